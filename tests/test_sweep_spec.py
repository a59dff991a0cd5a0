"""A sweep as data: its points, seeds, baseline arm, and the bad input it refuses.

Nothing here simulates: the spec must say exactly which runs a sweep has before any of them is
run, and refuse a bad sweep with one line before anything is stored.
"""

from pathlib import Path

import numpy as np
import pytest
from sim_cli import sim

from experiments.sweep import SweepSpec, baseline_scenario, make_spec
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from vocabulary.errors import InputError

SMALL = {"developers": 1000, "steps": 12}


def spec(**fields) -> SweepSpec:
    """A spec over export_ban + smuggling, small, with ``fields`` on top."""
    main = resolve_scenario(policies=["export_ban", "smuggling"], **SMALL)
    return make_spec(
        **{
            "name": "test",
            "scenario": main.model_dump(mode="json"),
            "seeds": 2,
            "seed_root": 7,
            **fields,
        }
    )


def test_grid_points_are_the_product_of_the_grids_in_key_order() -> None:
    """Two grids of 3 and 2 values give 6 points, the first key varying slowest."""
    points = spec(
        grid={"smuggling.leakage": [0, 0.2, 0.5], "choice.social_weight": [1.0, 2.0]}
    ).points()
    assert points == [
        {"smuggling.leakage": a, "choice.social_weight": b}
        for a in (0, 0.2, 0.5)
        for b in (1.0, 2.0)
    ]


def test_every_point_uses_the_same_replicate_seeds_spawned_from_the_root() -> None:
    """Replicate r has the r-th SeedSequence child's seed at every point, and tasks carry them.

    Points must differ only by their settings, not by their random draws.
    """
    sweep = spec(grid={"smuggling.leakage": [0, 0.5]}, seeds=3)
    children = np.random.SeedSequence(7).spawn(3)
    expected = [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]
    assert sweep.replicate_seeds() == expected
    assert len(set(expected)) == 3 and all(0 <= s < 2**63 for s in expected)
    tasks = sweep.tasks()
    assert [(t.point, t.replicate, t.seed) for t in tasks] == [
        (p, r, expected[r]) for p in range(2) for r in range(3)
    ]
    assert [t.scenario.policies[1].params.leakage for t in tasks] == [0] * 3 + [0.5] * 3


@pytest.mark.parametrize(
    ("method", "n", "count"),
    [("lhs", 10, 10), ("random", 10, 10), ("sobol", 8, 8 * (2 + 2)), ("morris", 4, 4 * (2 + 1))],
)
def test_samples_stay_in_their_ranges_and_are_reproducible(method: str, n: int, count: int) -> None:
    """Each sampler gives its number of points, inside the ranges, the same for the same seed."""
    ranges = {"smuggling.leakage": (0.1, 0.6), "choice.social_weight": (0.5, 3.0)}
    sample = {"method": method, "n": n, "ranges": ranges, "seed": 3}
    points = spec(sample=sample).points()
    assert len(points) == count
    for key, (low, high) in ranges.items():
        values = [point[key] for point in points]
        assert all(low <= v <= high for v in values), key
        assert len(set(values)) > 1, key
    assert spec(sample=sample).points() == points
    assert spec(sample={**sample, "seed": 4}).points() != points


def test_latin_hypercube_puts_one_point_in_each_stratum() -> None:
    """LHS: with n points, each of the n equal slices of every range holds exactly one."""
    points = spec(
        sample={"method": "lhs", "n": 8, "ranges": {"smuggling.leakage": (0.0, 0.8)}, "seed": 1}
    ).points()
    strata = sorted(int(point["smuggling.leakage"] / 0.1) for point in points)
    assert strata == list(range(8))


def test_baseline_arm_takes_scenario_keys_and_only_the_policy_keys_it_has() -> None:
    """A point's scenario-level setting applies to both arms; a policy's only where enabled.

    The baseline is the comparison the user named: a parameter of a policy it does not have
    must not switch that policy on, while the world both arms live in (demand, behaviour)
    must be the same in both.
    """
    main = resolve_scenario(load_scenario("baseline"), policies=["remote_access"], **SMALL)
    sweep = make_spec(
        name="paired",
        scenario=main.model_dump(mode="json"),
        seeds=2,
        seed_root=1,
        grid={
            "remote_access.enforcement": [0.5],
            "smuggling.leakage": [0.4],
            "choice.social_weight": [2.5],
        },
        baseline=baseline_scenario("baseline", main).model_dump(mode="json"),
    )
    tasks = sweep.tasks()
    assert [(t.replicate, t.arm) for t in tasks] == [
        (0, "main"),
        (0, "baseline"),
        (1, "main"),
        (1, "baseline"),
    ]
    assert tasks[0].seed == tasks[1].seed and tasks[2].seed == tasks[3].seed
    by_arm = {t.arm: t.scenario for t in tasks[:2]}
    assert {p.key for p in by_arm["baseline"].policies} == {
        p.key for p in load_scenario("baseline").policies
    }
    for scenario in by_arm.values():
        assert scenario.choice.social_weight == 2.5
        smuggling = next(p for p in scenario.policies if p.key == "smuggling")
        assert smuggling.params.leakage == 0.4
        assert (scenario.steps, scenario.developers) == (12, 1000)
    remote = next(p for p in by_arm["main"].policies if p.key == "remote_access")
    assert remote.params.enforcement == 0.5


def test_baseline_may_name_a_single_policy() -> None:
    """`--baseline export_ban`: the default scenario with only that policy, at the main's size."""
    main = resolve_scenario(policies=["export_ban", "smuggling"], **SMALL)
    baseline = baseline_scenario("export_ban", main)
    assert [p.key for p in baseline.policies] == ["export_ban"]
    assert (baseline.steps, baseline.developers) == (12, 1000)
    with pytest.raises(InputError, match="not a preset"):
        baseline_scenario("nonsense", main)


def test_default_name_is_the_same_for_the_same_spec_and_differs_otherwise() -> None:
    """Running the same command again must find the same sweep, another one must not."""
    grid = {"smuggling.leakage": [0, 0.5]}
    first, again = spec(name=None, grid=grid), spec(name=None, grid=grid)
    assert first.name == again.name and first.name.startswith("sweep-")
    assert spec(name=None, grid=grid, seeds=3).name != first.name


BAD = [
    (["--grid", "smuggling.leakage="], "expected KEY=V1,V2"),
    (["--grid", "smuggling.leakagex=0,1"], "unknown setting 'smuggling.leakagex'"),
    (["--grid", "smuggling.leakage=0,2"], "smuggling.leakage"),
    (["--grid", "smuggling.leakage=0", "--grid", "smuggling.leakage=1"], "given twice"),
    (["--sample", "lhs:4", "--range", "smuggling.leakage=0.5:0.1"], "expected finite LOW < HIGH"),
    (["--sample", "lhs:4", "--range", "smuggling.leakage=a:b"], "expected KEY=LOW:HIGH"),
    (["--sample", "sobol:6", "--range", "smuggling.leakage=0:1"], "power of two"),
    (["--sample", "halton:6", "--range", "smuggling.leakage=0:1"], "lhs, random, sobol, morris"),
    (["--sample", "lhs:4"], "needs at least one range"),
    (["--range", "smuggling.leakage=0:1"], "--range needs --sample"),
    (
        [
            "--grid",
            "smuggling.leakage=0,1",
            "--sample",
            "lhs:4",
            "--range",
            "choice.social_weight=1:2",
        ],
        "exclude each other",
    ),
    (["--grid", "smuggling.leakage=0,1", "--baseline", "nowhere"], "--baseline 'nowhere'"),
    (
        ["--grid", "smuggling.leakage=0,1", "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"],
        "exclude each other",
    ),
    (["--resume", "1", "--seeds", "4"], "leave out --policy, --steps, --developers, --seeds"),
]


@pytest.mark.parametrize(("args", "fragment"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_sweep_is_one_line_and_stores_nothing(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    """Bad input: exit status 2, one `Error:` line naming the problem, no database created."""
    db = tmp_path / "runs.db"
    result = sim(
        "sweep",
        "--policy",
        "export_ban",
        "--policy",
        "smuggling",
        "--steps",
        "6",
        "--developers",
        "500",
        *args,
        "--db",
        str(db),
    )
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.output
    assert not db.exists()
