"""Comments that make a written scenario file readable on its own: each parameter's unit.

A bare ``2024 = 0.15`` under ``[demand.growth_global]`` does not say that it is a growth rate
per month. Each parameter's description (:mod:`scenario.sections`, shown in docs/model.md too)
says what it measures, in which unit, and its source; :func:`commented` writes it as a comment
above the line or table that sets the parameter. TOML and YAML readers skip comments, so a
commented file loads back as the same scenario.
"""

import re
import textwrap

from pydantic import BaseModel

from scenario.scenario import Scenario
from scenario.settings_files import FileFormat

HEADER = (
    "A scenario for `sim run --scenario FILE`: edit any value. The comment above a parameter "
    "gives its meaning, unit and source; rates are per month and shares run from 0 to 1 "
    "unless it says otherwise (docs/model.md lists them all)."
)
"""The file's first comment: what it is, and where the units are said."""

WIDTH = 98
"""Comment lines are wrapped to this many characters, indentation included."""

_TOML_TABLE = re.compile(r"^\[([^\[\]]+)\]$")
_TOML_KEY = re.compile(r"^(\w+) = ")
_YAML_KEY = re.compile(r"^( *)(\w+):")

Parameter = tuple[str, str]
"""A parameter of a scenario file: (section, name), the section ``""`` at the top level."""


def _descriptions() -> dict[Parameter, str]:
    """Each described parameter's description, by (section, name); ``""`` for the top level."""
    described = {}
    for name, field in Scenario.model_fields.items():
        if isinstance(field.default, BaseModel):
            for key, sub in type(field.default).model_fields.items():
                if sub.description:
                    described[name, key] = sub.description
        elif field.description:
            described["", name] = field.description
    return described


def _comment(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ")


def commented(text: str, syntax: FileFormat) -> str:
    """``text``, a scenario dumped as ``syntax``, with the header and each parameter's comment.

    A parameter set on one line (``steps = 48``) gets its comment above that line; one set as
    a table (``[demand.growth_global]``, or a YAML mapping) above the table. Lines that set no
    described parameter (years, providers, policies) are left as they are.
    """
    described = _descriptions()
    lines = _comment(HEADER)
    section: str | None = ""
    for line in text.splitlines():
        read = _yaml_parameter if syntax == "yaml" else _toml_parameter
        candidates, indent, section = read(line, section)
        for key in candidates:
            if key in described:
                lines += _comment(described.pop(key), indent)  # once: a table's first line
        lines.append(line)
    return "\n".join(lines) + "\n"


def _toml_parameter(
    line: str, section: str | None
) -> tuple[tuple[Parameter, ...], str, str | None]:
    """The parameters a TOML line may set, its comment's indent, and the section it is in.

    Inside ``[demand]`` a key is ``demand``'s parameter; ``[demand.growth_global]`` sets
    ``growth_global`` (and ``[domestic_output.X]`` the top-level ``domestic_output``), and
    the keys below such a table, like those of ``[[policies]]``, are in no section (None).
    """
    if line.startswith("[["):
        return (), "", None
    table = _TOML_TABLE.match(line)
    if table:
        parts = table.group(1).split(".")
        if len(parts) == 1:
            return (), "", parts[0]
        return ((parts[0], parts[1]), ("", parts[0])), "", None
    key = _TOML_KEY.match(line)
    if key and section is not None:
        return ((section, key.group(1)),), "", section
    return (), "", section


def _yaml_parameter(
    line: str, section: str | None
) -> tuple[tuple[Parameter, ...], str, str | None]:
    """The parameter a YAML line may set, its comment's indent, and the section it is in.

    A key at the left margin is a top-level parameter or a section; one indented two spaces
    under a section, that section's parameter.
    """
    key = _YAML_KEY.match(line)
    if not key:
        return (), "", section
    indent, name = key.groups()
    if not indent:
        return (("", name),), "", name
    if len(indent) == 2:
        return ((section, name),), indent, section
    return (), "", section
