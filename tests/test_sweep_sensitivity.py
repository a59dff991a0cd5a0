"""Global sensitivity of a sweep's outcome: known answers, and `sim sweep sensitivity` for real.

The analysis functions are checked on outcomes with a known answer (a function of the sampled
inputs that ignores one of them); the command is checked on a small Sobol sweep of the model
in which one swept parameter cannot matter (its policy starts after the last month).
"""

import json
from pathlib import Path

import numpy as np
from sim_cli import sim

from experiments.sweep import make_spec
from experiments.sweep_analysis import morris_effects, sensitivity_warnings, sobol_indices
from scenario.overrides import resolve_scenario

RANGES = {"a": (0.0, 1.0), "b": (0.0, 1.0), "ignored": (0.0, 1.0)}


def sampled(method: str, n: int) -> tuple[dict, np.ndarray]:
    """The sweep spec's own sample over RANGES: SALib's problem and the points as an array."""
    main = resolve_scenario(developers=1000, steps=12)
    spec = make_spec(
        name="synthetic",
        scenario=main.model_dump(mode="json"),
        seeds=1,
        seed_root=0,
        sample={"method": method, "n": n, "ranges": RANGES, "seed": 5},
    )
    points = np.array([[point[key] for key in RANGES] for point in spec.points()])
    return spec.sample.problem, points


def outcome(points: np.ndarray) -> np.ndarray:
    """An outcome that moves strongly with a, weakly with b, and not at all with the third."""
    return 4 * points[:, 0] ** 2 + np.sin(np.pi * points[:, 1]) * 0.5


def test_sobol_indices_rank_the_inputs_and_put_an_ignored_one_at_zero() -> None:
    """S1 and ST of an input the outcome ignores are ~0; the dominant input comes first."""
    problem, points = sampled("sobol", 512)
    indices = sobol_indices(problem, outcome(points), seed=1).set_index("parameter")
    assert list(indices.index) == ["a", "b", "ignored"]
    assert abs(indices.loc["ignored", "ST"]) < 1e-12
    assert abs(indices.loc["ignored", "S1"]) < 1e-12
    assert indices.loc["a", "ST"] > 0.8 and 0.01 < indices.loc["b", "ST"] < 0.2
    assert (indices["ST_conf"] >= 0).all()


def test_morris_effects_put_an_ignored_input_at_zero() -> None:
    """Morris mu* and sigma of an ignored input are 0; the dominant input ranks first."""
    problem, points = sampled("morris", 20)
    effects = morris_effects(problem, points, outcome(points), seed=1).set_index("parameter")
    assert list(effects.index) == ["a", "b", "ignored"]
    assert effects.loc["ignored", "mu_star"] == 0 and effects.loc["ignored", "sigma"] == 0


def test_sensitivity_of_a_sobol_sweep_ranks_its_parameters(tmp_path: Path) -> None:
    """`sim sweep sensitivity` on a real Sobol sweep: the parameter that cannot act is last, at 0.

    Remote-access enforcement is swept while the Remote Access Security Act starts in 2030,
    after the last simulated month; smuggling leakage is swept under the export bans. The
    outcome is the smuggled compute of Chinese providers.
    """
    db = str(tmp_path / "runs.db")
    ran = sim(
        "sweep",
        "--policy",
        "export_ban",
        "--policy",
        "smuggling",
        "--policy",
        "remote_access",
        "--set",
        "remote_access.schedule.start=2030-01",
        "--sample",
        "sobol:4",
        "--range",
        "remote_access.enforcement=0:1",
        "--range",
        "smuggling.leakage=0:1",
        "--seeds",
        "1",
        "--steps",
        "12",
        "--developers",
        "1000",
        "--db",
        db,
        "--json",
    )
    assert ran.exit_code == 0, ran.output
    sweep = json.loads(ran.stdout)
    assert sweep["planned"] == 4 * (2 + 2) and sweep["finished"] == 16

    result = sim(
        "sweep",
        "sensitivity",
        str(sweep["sweep_id"]),
        "--outcome",
        "compute_cn_smuggled",
        "--db",
        db,
        "--json",
    )
    assert result.exit_code == 0, result.output
    indices = json.loads(result.stdout)["indices"]
    assert [row["parameter"] for row in indices] == [
        "smuggling.leakage",
        "remote_access.enforcement",
    ]
    assert indices[0]["ST"] > 0
    assert indices[1]["ST"] == 0 and indices[1]["S1"] == 0

    table = sim("sweep", "sensitivity", str(sweep["sweep_id"]), "--db", db)
    assert table.exit_code == 0, table.output
    assert "smuggling.leakage" in table.stdout and "ST_conf" in table.stdout
    assert "Warning: sobol:4 is a small sample" in table.stderr  # and not in the table
    assert json.loads(result.stdout)["warnings"][0].startswith("sobol:4 is a small sample")


def test_indices_too_rough_to_read_are_flagged_and_good_ones_are_not() -> None:
    """S1 = 1.901 (+/- 1.364) from sobol:8 is sampling error: say so; sobol:512 says nothing."""
    problem, points = sampled("sobol", 512)
    good = sobol_indices(problem, outcome(points), seed=1)
    assert sensitivity_warnings("sobol", 512, good) == []
    rough = good.assign(S1=[1.901, 0.1, 0.0], S1_conf=[1.364, 0.3, 0.01])
    warnings = sensitivity_warnings("sobol", 8, rough)
    assert "sobol:8 is a small sample" in warnings[0]
    assert "wider than the index for b:" in warnings[1]  # not for the ignored input
    assert "outside 0 to 1 for a" in warnings[2]
    problem, points = sampled("morris", 20)
    effects = morris_effects(problem, points, outcome(points), seed=1)
    assert sensitivity_warnings("morris", 20, effects) == []
    assert "morris:4 is a small sample" in sensitivity_warnings("morris", 4, effects)[0]


def test_sensitivity_of_a_grid_says_which_sample_it_needs(tmp_path: Path) -> None:
    """A grid (or an LHS sample) has no sensitivity design: one line naming what is needed."""
    db = str(tmp_path / "runs.db")
    ran = sim(
        "sweep",
        "--policy",
        "smuggling",
        "--grid",
        "smuggling.leakage=0,1",
        "--seeds",
        "1",
        "--steps",
        "3",
        "--developers",
        "500",
        "--workers",
        "1",
        "--db",
        db,
    )
    assert ran.exit_code == 0, ran.output
    for outcome_option in ([], ["--outcome", "no_such_metric"]):
        result = sim("sweep", "sensitivity", "1", *outcome_option, "--db", db)
        assert result.exit_code == 2 and result.stdout == ""
        (line,) = result.stderr.strip().splitlines()
        assert (
            "--sample sobol:N" in line if not outcome_option else "not a market metric" in line
        ), line
