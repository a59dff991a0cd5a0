"""Scenario presets and files: what `sim scenario show` prints runs exactly like the preset."""

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from sim_cli import sim

from scenario.scenario import Scenario, without_retired_inputs

SMALL = ("--developers", "500", "--steps", "6", "--seed", "1", "--json")


FORMATS = [
    ((), "b.toml", "[[policies]]", "policies:"),  # TOML is the default
    (("--format", "yaml"), "b.yaml", "policies:", "[[policies]]"),
]


@pytest.mark.parametrize(
    ("options", "file_name", "marker", "other_marker"), FORMATS, ids=["toml", "yaml"]
)
def test_shown_scenario_saved_to_a_file_runs_like_the_preset(
    tmp_path: Path, options: tuple[str, ...], file_name: str, marker: str, other_marker: str
) -> None:
    """`sim scenario show baseline [--format yaml] > FILE`, run, gives the preset's digest."""
    shown = sim("scenario", "show", "baseline", *options)
    assert shown.exit_code == 0, shown.output
    assert marker in shown.stdout and other_marker not in shown.stdout
    path = tmp_path / file_name
    path.write_text(shown.stdout)
    db = str(tmp_path / "runs.db")
    from_file = sim("run", "--scenario", str(path), *SMALL, "--db", db)
    from_preset = sim("run", "--scenario", "baseline", *SMALL, "--db", db)
    assert from_file.exit_code == 0 and from_preset.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["digest"] == json.loads(from_preset.stdout)["digest"]


def test_presets_differ_where_they_should(tmp_path: Path) -> None:
    """The three presets are distinct runs: their policies make different histories."""
    db = str(tmp_path / "runs.db")
    digests = {
        name: json.loads(sim("run", "--scenario", name, *SMALL, "--db", db).stdout)["digest"]
        for name in ("baseline", "no_controls", "strict")
    }
    assert len(set(digests.values())) == 3


def test_invalid_scenario_file_names_the_file_and_the_key(tmp_path: Path) -> None:
    """A wrong value in a scenario file is one line naming the file, the key and the rule."""
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n[choice]\nsocial_weight = -1\n')
    result = sim("run", "--scenario", str(path), *SMALL, "--db", str(tmp_path / "runs.db"))
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "bad.toml" in line and "choice.social_weight" in line
    assert "greater than or equal to 0" in line


def test_short_yaml_file_keeps_defaults_for_what_it_leaves_out(tmp_path: Path) -> None:
    """A YAML file with a few keys is a full scenario: the rest are the defaults."""
    path = tmp_path / "mine.yml"
    path.write_text("name: mine\nchoice:\n  social_weight: 0.5\n")
    shown = sim("scenario", "show", str(path))
    assert shown.exit_code == 0, shown.output
    assert "social_weight = 0.5" in shown.stdout and 'name = "mine"' in shown.stdout


def test_invalid_yaml_names_the_file_and_the_line(tmp_path: Path) -> None:
    """Broken YAML syntax and a wrong value are each one line naming the file."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nchoice:\n  social_weight: [1\n")
    result = sim("scenario", "show", str(broken))
    assert result.exit_code == 2
    assert "broken.yaml" in result.stderr and "invalid YAML at line" in result.stderr
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("choice:\n  social_weight: -1\n")
    result = sim("scenario", "show", str(wrong))
    assert result.exit_code == 2 and "\n" not in result.stderr.strip()
    assert "wrong.yaml" in result.stderr and "choice.social_weight" in result.stderr
    not_a_mapping = tmp_path / "list.yaml"
    not_a_mapping.write_text("- 1\n- 2\n")
    result = sim("scenario", "show", str(not_a_mapping))
    assert result.exit_code == 2 and "expected a mapping" in result.stderr


@pytest.mark.parametrize(
    ("options", "table"), [((), "[demand.growth_global]"), (("--format", "yaml"), "growth_global:")]
)
def test_shown_scenario_says_each_parameters_unit_above_it(options, table: str) -> None:
    """A written file says, above `[demand.growth_global]`, that its rates are monthly."""
    lines = sim("scenario", "show", "baseline", *options).stdout.splitlines()
    assert lines[0].startswith("# A scenario for `sim run --scenario FILE`")
    at = next(i for i, line in enumerate(lines) if line.strip() == table)
    above = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("#"):
            break
        above.append(line)
    assert "monthly growth of demand outside China" in " ".join(above)
    assert any(line.strip().startswith("# size of the simulated developer") for line in lines)


def test_a_stored_scenario_with_retired_inputs_stays_readable() -> None:
    """Runs stored with the catch-up rates (retired in December 2026) load.

    A new scenario naming them is refused, and what was stored is left as it was.
    """
    data = Scenario().model_dump(mode="json")
    data["supply"] |= {"capability_catch_up": 0.12, "open_weights_catch_up_bonus": 0.04}
    data["choice"] |= {"open_weights_security_factor": 0.4}
    with pytest.raises(ValidationError, match="capability_catch_up"):
        Scenario.model_validate(data)
    assert Scenario.model_validate(without_retired_inputs(data)) == Scenario()
    assert data["supply"]["capability_catch_up"] == 0.12  # what was stored is left as it was
    assert data["choice"]["open_weights_security_factor"] == 0.4


def test_a_scenario_stored_before_hosts_reads_back_without_them() -> None:
    """A stored scenario with no ``hosts`` had none: the lab-only roster, no listings."""
    data = Scenario(hosts=False).model_dump(mode="json")
    del data["hosts"]
    stored = Scenario.model_validate(without_retired_inputs(data))
    assert stored == Scenario(hosts=False)
    assert not any(provider.lists for provider in stored.providers)
    assert len(Scenario().providers) > len(stored.providers)  # a new scenario has the hosts
