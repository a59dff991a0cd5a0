"""Reading a settings file (TOML or YAML) into a mapping, with one-line errors.

Scenario files and calibration target files are both written by hand, in either syntax, so
both read through here: the file's suffix (``.yaml`` / ``.yml``, else TOML) picks the parser,
and every problem (missing file, unreadable bytes, bad syntax, not a mapping) becomes an
:class:`~vocabulary.errors.InputError` that names the file.

A settings file is small and shallow, so anything else is refused before it can cost time or
memory: files over :data:`MAX_BYTES`, nesting deeper than :data:`MAX_DEPTH`, and more than
:data:`MAX_VALUES` values counted as the program would see them (a YAML alias counts its whole
target again, so a "billion laughs" file is refused however few bytes it has).
"""

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from vocabulary.errors import InputError, describe_validation_error

FileFormat = Literal["toml", "yaml"]
YAML_SUFFIXES = (".yaml", ".yml")
SETTINGS_SUFFIXES = (".toml", *YAML_SUFFIXES)
MAX_BYTES = 1_000_000
"""The largest settings file read: a full scenario with every value written out is ~20 kB."""
MAX_DEPTH = 16
"""The deepest nesting of tables and lists allowed (a full scenario nests 5 deep)."""
MAX_VALUES = 100_000
"""The most values (tables, lists and scalars, aliases expanded) a settings file may hold."""


def syntax_of(path: Path) -> FileFormat:
    """YAML for a ``.yaml`` or ``.yml`` file, TOML for anything else."""
    return "yaml" if path.suffix.lower() in YAML_SUFFIXES else "toml"


def is_file(path: Path) -> bool:
    """Whether ``path`` names a file; False for a name the system cannot even look up.

    A name too long for the file system, or with a NUL byte, raises in :meth:`Path.is_file`;
    no file has such a name, so it names none.
    """
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_settings_file(path: Path, what: str) -> dict[str, Any]:
    """The file's top-level mapping; errors start with ``what`` and the path.

    Args:
        path: the file.
        what: what the file is, for messages, e.g. ``"scenario file"``.
    """
    origin = f"{what} {path}"
    if not is_file(path):
        raise InputError(f"{origin}: no such file")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        text = raw.decode()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{origin}: cannot read it ({error})") from None
    if len(raw) > MAX_BYTES:
        raise InputError(
            f"{origin}: larger than {MAX_BYTES:,} bytes; settings files are "
            "small (a full scenario is about 20 kB)"
        )
    return parse_settings(text, origin, syntax_of(path))


def parse_settings(text: str, origin: str, syntax: FileFormat) -> dict[str, Any]:
    """``text`` as a mapping, or an error naming ``origin`` and what is wrong with it."""
    try:
        data = tomllib.loads(text) if syntax == "toml" else yaml.safe_load(text)
    except RecursionError:
        raise InputError(f"{origin}: nested deeper than {MAX_DEPTH} levels") from None
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
    _check_shape(data, origin)
    return data


def _check_shape(data: dict[str, Any], origin: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` or more than :data:`MAX_VALUES` values.

    Walks without recursion and stops at the limit, so a hostile file costs little to refuse.
    """
    pending: list[tuple[Any, int]] = [(data, 1)]
    count = 0
    while pending:
        value, depth = pending.pop()
        count += 1
        if count > MAX_VALUES:
            raise InputError(
                f"{origin}: more than {MAX_VALUES:,} values (YAML aliases count "
                "each time they are used); settings files are small"
            )
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise InputError(f"{origin}: nested deeper than {MAX_DEPTH} levels")
            children = value.values() if isinstance(value, dict) else value
            pending.extend((child, depth + 1) for child in children)


DataModel = TypeVar("DataModel", bound=BaseModel)
"""The pydantic model a packaged data file's contents are read into."""


def load_data_file(
    model: type[DataModel], packaged: str, path: str | Path | None, what: str
) -> DataModel:
    """A packaged data file of ``scenario/data``, or a user's TOML or YAML file of its form.

    Args:
        model: the pydantic model the file's contents must fit.
        packaged: the packaged file's name in ``scenario/data``, read when ``path`` is None.
        path: the user's file instead, or None.
        what: what the file is, for errors (``checks file``, ``revenue file``).

    Raises:
        InputError: one line naming the file and the setting that is wrong.
    """
    if path is None:
        origin = f"{what} scenario/data/{packaged} (packaged)"
        text = resources.files("scenario.data").joinpath(packaged).read_text()
        data = parse_settings(text, origin, "toml")
    else:
        origin = f"{what} {path}"
        data = read_settings_file(Path(path), what)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InputError(f"{origin}: {describe_validation_error(error)}") from None
