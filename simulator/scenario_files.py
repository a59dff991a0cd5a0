"""Scenario presets and scenario files (TOML or YAML): loading, and printing a scenario in full.

A scenario file holds anything a run needs; what it leaves out keeps its default. Presets are
such files shipped in ``simulator/data/scenarios``. :func:`dump_scenario` writes every value,
policy parameters included, so ``sim scenario show baseline > b.toml`` gives a file that runs
exactly like the preset and can be edited. YAML holds the same structure for users whose other
tools speak YAML; the file's suffix (``.yaml`` / ``.yml``) says which syntax it is in.
"""

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import tomli_w
import yaml
from pydantic import ValidationError

from simulator.errors import InputError, describe_validation_error
from simulator.overrides import build_policies
from simulator.scenario import Scenario


def preset_names() -> list[str]:
    """Names of the packaged presets."""
    folder = resources.files("simulator.data").joinpath("scenarios")
    return sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir()
                  if entry.name.endswith(".toml"))


FileFormat = Literal["toml", "yaml"]
YAML_SUFFIXES = (".yaml", ".yml")
SCENARIO_SUFFIXES = (".toml", *YAML_SUFFIXES)


def _read_mapping(text: str, origin: str, syntax: FileFormat) -> dict[str, Any]:
    """The file's top-level table, or an error naming the file and what is wrong with it."""
    try:
        data = tomllib.loads(text) if syntax == "toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"scenario file {origin}: invalid TOML: {error}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or "cannot parse"
        raise InputError(f"scenario file {origin}: invalid YAML{at}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"scenario file {origin}: expected a mapping of settings at the top, "
                         f"got {type(data).__name__}")
    return data


def _parse(text: str, origin: str, syntax: FileFormat = "toml") -> Scenario:
    data = _read_mapping(text, origin, syntax)
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise InputError(f"scenario file {origin}: {describe_validation_error(error)}") from None


def load_scenario(name_or_path: str) -> Scenario:
    """A preset by name, or a scenario file by path.

    Raises:
        InputError: naming the file and the key, or listing the presets.
    """
    path = Path(name_or_path)
    if path.suffix.lower() in SCENARIO_SUFFIXES or path.exists():
        if not path.is_file():
            raise InputError(f"scenario file {name_or_path}: no such file")
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"scenario file {name_or_path}: cannot read it ({error})") from None
        syntax: FileFormat = "yaml" if path.suffix.lower() in YAML_SUFFIXES else "toml"
        scenario = _parse(text, name_or_path, syntax)
    elif name_or_path in preset_names():
        resource = resources.files("simulator.data").joinpath("scenarios", f"{name_or_path}.toml")
        scenario = _parse(resource.read_text(), f"{name_or_path} (preset)")
    else:
        raise InputError(f"unknown scenario {name_or_path!r}: not a file, and not a preset "
                         f"({', '.join(preset_names())})")
    build_policies(scenario)
    return scenario


def _drop_none(value: Any) -> Any:
    """TOML has no null: leave unset values out (they load back as their defaults).

    YAML gets the same, so both formats print the same settings.
    """
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def dump_scenario(scenario: Scenario, syntax: FileFormat = "toml") -> str:
    """The whole scenario as TOML or YAML, each policy with all its parameters."""
    data = scenario.model_dump(mode="json")
    for config, active in zip(data["policies"], build_policies(scenario), strict=True):
        config["params"] = active.policy.parameters()
    data = _drop_none(data)
    if syntax == "yaml":
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return tomli_w.dumps(data)
