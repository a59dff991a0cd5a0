"""Scenario presets and scenario files (TOML): loading, and printing a scenario in full.

A scenario file holds anything a run needs; what it leaves out keeps its default. Presets are
such files shipped in ``simulator/data/scenarios``. :func:`dump_scenario` writes every value,
policy parameters included, so ``sim scenario show baseline > b.toml`` gives a file that runs
exactly like the preset and can be edited.
"""

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import ValidationError

from simulator.errors import InputError, describe_validation_error
from simulator.overrides import build_policies
from simulator.scenario import Scenario


def preset_names() -> list[str]:
    """Names of the packaged presets."""
    folder = resources.files("simulator.data").joinpath("scenarios")
    return sorted(entry.name.removesuffix(".toml") for entry in folder.iterdir()
                  if entry.name.endswith(".toml"))


def _parse(text: str, origin: str) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"scenario file {origin}: invalid TOML: {error}") from None
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
    if path.suffix.lower() == ".toml" or path.exists():
        if not path.is_file():
            raise InputError(f"scenario file {name_or_path}: no such file")
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(f"scenario file {name_or_path}: cannot read it ({error})") from None
        scenario = _parse(text, name_or_path)
    elif name_or_path in preset_names():
        resource = resources.files("simulator.data").joinpath("scenarios", f"{name_or_path}.toml")
        scenario = _parse(resource.read_text(), f"{name_or_path} (preset)")
    else:
        raise InputError(f"unknown scenario {name_or_path!r}: not a file, and not a preset "
                         f"({', '.join(preset_names())})")
    build_policies(scenario)
    return scenario


def _drop_none(value: Any) -> Any:
    """TOML has no null: leave unset values out (they load back as their defaults)."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def dump_scenario(scenario: Scenario) -> str:
    """The whole scenario as TOML, each policy with all its parameters."""
    data = scenario.model_dump(mode="json")
    for config, active in zip(data["policies"], build_policies(scenario), strict=True):
        config["params"] = active.policy.parameters()
    return tomli_w.dumps(_drop_none(data))
