"""Scenario presets and scenario files (TOML or YAML): loading, and printing a scenario in full.

A scenario file holds anything a run needs; what it leaves out keeps its default. Presets are
such files shipped in ``scenario/data/scenarios``. :func:`dump_scenario` writes every value,
policy parameters included, so ``sim scenario show baseline > b.toml`` gives a file that runs
exactly like the preset and can be edited. YAML holds the same structure for users whose other
tools speak YAML; the file's suffix (``.yaml`` / ``.yml``) says which syntax it is in.
"""

from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from scenario.file_comments import commented
from scenario.overrides import validate_scenario
from scenario.scenario import Scenario
from scenario.settings_files import (
    SETTINGS_SUFFIXES,
    FileFormat,
    is_file,
    parse_settings,
    read_settings_file,
)
from vocabulary.errors import InputError


def preset_names() -> list[str]:
    """Names of the packaged presets."""
    folder = resources.files("scenario.data").joinpath("scenarios")
    return sorted(
        entry.name.removesuffix(".toml")
        for entry in folder.iterdir()
        if entry.name.endswith(".toml")
    )


def load_scenario(name_or_path: str) -> Scenario:
    """A preset by name, or a scenario file by path.

    Raises:
        InputError: naming the file and the key, or listing the presets.
    """
    path = Path(name_or_path)
    if path.suffix.lower() in SETTINGS_SUFFIXES or is_file(path):
        data = read_settings_file(path, "scenario file")
        scenario = validate_scenario(data, f"scenario file {name_or_path}")
    elif name_or_path in preset_names():
        resource = resources.files("scenario.data").joinpath("scenarios", f"{name_or_path}.toml")
        origin = f"scenario file {name_or_path} (preset)"
        scenario = validate_scenario(parse_settings(resource.read_text(), origin, "toml"), origin)
    else:
        raise InputError(
            f"unknown scenario {name_or_path!r}: not a file, and not a preset "
            f"({', '.join(preset_names())})"
        )
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
    """The whole scenario as TOML or YAML, each policy with all its parameters.

    Each parameter of the scenario's sections comes with its meaning, unit and source as a
    comment (:mod:`scenario.file_comments`), so the file says that a growth rate is monthly.
    """
    data = _drop_none(scenario.model_dump(mode="json"))
    if syntax == "yaml":
        return commented(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), syntax)
    return commented(tomli_w.dumps(data), syntax)
