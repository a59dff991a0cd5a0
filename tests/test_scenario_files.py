"""Scenario presets and files: what `sim scenario show` prints runs exactly like the preset."""

import json
from pathlib import Path

from click.testing import CliRunner

from simulator.cli import cli

SMALL = ("--developers", "500", "--steps", "6", "--seed", "1", "--json")


def sim(*args: str):
    """`sim ARGS` in-process."""
    return CliRunner().invoke(cli, list(args))


def test_shown_scenario_saved_to_a_file_runs_like_the_preset(tmp_path: Path) -> None:
    """`sim scenario show baseline > b.toml`, then running b.toml gives the preset's digest."""
    shown = sim("scenario", "show", "baseline")
    assert shown.exit_code == 0, shown.output
    path = tmp_path / "b.toml"
    path.write_text(shown.stdout)
    db = str(tmp_path / "runs.db")
    from_file = sim("run", "--scenario", str(path), *SMALL, "--db", db)
    from_preset = sim("run", "--scenario", "baseline", *SMALL, "--db", db)
    assert from_file.exit_code == 0 and from_preset.exit_code == 0, from_file.output
    assert json.loads(from_file.stdout)["digest"] == json.loads(from_preset.stdout)["digest"]


def test_presets_differ_where_they_should(tmp_path: Path) -> None:
    """The three presets are distinct runs: their policies make different histories."""
    db = str(tmp_path / "runs.db")
    digests = {name: json.loads(sim("run", "--scenario", name, *SMALL, "--db", db).stdout)["digest"]
               for name in ("baseline", "no_controls", "strict")}
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
