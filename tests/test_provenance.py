"""Every default figure is traceable: it names a source or says it is a guess."""

import re
from importlib import resources
from pathlib import Path

import pytest

from scenario.parameter_docs import SECTIONS, render

SOURCE_MARK = re.compile(
    r"SOURCES|INPUTS|guess|derived|\b[HML]\)|Nvidia|DeepSeek|EIA|IDC|"
    r"Menlo|GitHub|CNAS|FT|BIS",
    re.IGNORECASE,
)


@pytest.mark.parametrize("filename", ["roster.toml", "hosts.toml", "chips.toml"])
def test_every_figure_in_the_data_files_cites_a_source_or_says_guess(filename: str) -> None:
    """Each numeric line of the roster and catalogue carries a comment with its provenance."""
    text = resources.files("scenario.data").joinpath(filename).read_text()
    missing = []
    for number, line in enumerate(text.splitlines(), 1):
        match = re.match(r"^(\w+)\s*=\s*([-\d.e+]+|\{[^}]*\d[^}]*\})\s*(#.*)?$", line)
        if match and not (match.group(3) and SOURCE_MARK.search(match.group(3))):
            missing.append(f"{filename}:{number}: {line.strip()}")
    assert not missing, "figures without a source or 'guess':\n" + "\n".join(missing)


def test_every_behavioural_default_cites_a_source_or_says_guess() -> None:
    """Each scenario parameter's description names its source, derivation or 'guess'."""
    missing = [
        f"{prefix}.{name}"
        for prefix, model in SECTIONS
        for name, field in model.model_fields.items()
        if not SOURCE_MARK.search(field.description or "")
        and name not in ("electricity_price_multiplier", "remote_chip")
    ]
    assert not missing, f"parameters without a source or 'guess': {missing}"


def test_the_parameter_reference_in_docs_is_current() -> None:
    """docs/model.md shows the defaults the code uses.

    Regenerate it with `python -m scenario.parameter_docs --write docs/model.md`.
    """
    document = (Path(__file__).parents[1] / "docs" / "model.md").read_text()
    assert render() in document


def test_every_tuned_range_cites_a_source_or_says_guess() -> None:
    """`sim calibrate` searches only ranges whose origin is stated (scenario/data/tuning.toml)."""
    from experiments.calibration_space import load_space

    missing = [p.key for p in load_space() if not SOURCE_MARK.search(p.source)]
    assert not missing, f"tuned ranges without a source or 'guess': {missing}"
