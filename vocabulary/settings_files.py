"""Reading a settings file (TOML or YAML) into a mapping, with one-line errors.

Scenario files and calibration target files are both written by hand, in either syntax, so
both read through here: the file's suffix (``.yaml`` / ``.yml``, else TOML) picks the parser,
and every problem (missing file, unreadable bytes, bad syntax, not a mapping) becomes an
:class:`~vocabulary.errors.InputError` that names the file.
"""

import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml

from vocabulary.errors import InputError

FileFormat = Literal["toml", "yaml"]
YAML_SUFFIXES = (".yaml", ".yml")
SETTINGS_SUFFIXES = (".toml", *YAML_SUFFIXES)


def syntax_of(path: Path) -> FileFormat:
    """YAML for a ``.yaml`` or ``.yml`` file, TOML for anything else."""
    return "yaml" if path.suffix.lower() in YAML_SUFFIXES else "toml"


def read_settings_file(path: Path, what: str) -> dict[str, Any]:
    """The file's top-level mapping; errors start with ``what`` and the path.

    Args:
        path: the file.
        what: what the file is, for messages, e.g. ``"scenario file"``.
    """
    origin = f"{what} {path}"
    if not path.is_file():
        raise InputError(f"{origin}: no such file")
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{origin}: cannot read it ({error})") from None
    return parse_settings(text, origin, syntax_of(path))


def parse_settings(text: str, origin: str, syntax: FileFormat) -> dict[str, Any]:
    """``text`` as a mapping, or an error naming ``origin`` and what is wrong with it."""
    try:
        data = tomllib.loads(text) if syntax == "toml" else yaml.safe_load(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{origin}: invalid TOML: {error}") from None
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        at = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(error, "problem", None) or "cannot parse"
        raise InputError(f"{origin}: invalid YAML{at}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(
            f"{origin}: expected a mapping of settings at the top, got {type(data).__name__}"
        )
    return data
