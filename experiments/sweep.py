"""A sweep as data: what to vary, how many seeds, and the tasks that follow from it.

A :class:`SweepSpec` is everything needed to run, store, print and resume a sweep: the resolved
scenario of the main arm, the parameters that vary (a grid, or a sample over ranges), the
number of replicates and the root of their seeds, and optionally a baseline scenario run beside
every point with the same seeds. It never runs anything itself; executors
(:mod:`experiments.sweep_executors`) only run the tasks it enumerates, as in EMA Workbench's split
of experiments and evaluators.

Seeds: replicate ``r`` of every point uses the ``r``-th child of ``SeedSequence(seed_root)``, so
points differ only by their settings, and a point's main and baseline arms share their seed:
common random numbers. The model draws its network, population and choice shocks from the seed
alone, independently of the policies, so the paired difference of two arms is not blurred by
sampling noise the way the difference of independent runs is.
"""

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from policies.registry import available
from scenario.files import load_scenario, preset_names
from scenario.overrides import resolve_scenario
from scenario.scenario import Scenario, without_retired_inputs
from scenario.settings_files import SETTINGS_SUFFIXES, is_file
from vocabulary.errors import InputError, describe_validation_error
from vocabulary.text import text_problem

if TYPE_CHECKING:  # the targets import the run tables, which a sweep's coordinator does not need
    from experiments.targets import Target

SAMPLE_METHODS = ("lhs", "random", "sobol", "morris")
ARMS = ("main", "baseline")
MORRIS_LEVELS = 4
"""Levels of the Morris grid; :mod:`experiments.sweep_analysis` must analyse with the same."""
NAME_LENGTH = 150
"""Longest sweep name: its runs are named ``NAME p12 r3 baseline`` within ``runs.name``'s 200."""
MAX_RUNS = 10_000
"""The most runs a sweep may plan unless its user says it is meant (``--large``)."""
MAX_RUNS_LARGE = 1_000_000
"""The most runs any sweep may plan; each point's scenario is held in memory while it runs."""

Setting = bool | int | float | str
Point = dict[str, Setting]
"""The settings of one point: dotted key -> value, as ``--set`` takes them."""


def _printable_name(name: str) -> str:
    """A sweep's name must be one line of printable text (its runs' names start with it)."""
    problem = text_problem(name, NAME_LENGTH)
    if problem:
        raise ValueError(problem)
    return name


def _fail(kind: str, message: str) -> PydanticCustomError:
    """A validation error whose message pydantic shows as it is, without a prefix."""
    return PydanticCustomError(kind, message)


class Sample(BaseModel):
    """Points drawn from ranges: Latin hypercube, uniform random, Sobol (Saltelli) or Morris.

    ``n`` is the number of points for ``lhs`` and ``random``; for ``sobol`` it is SALib's base
    sample size (a power of two; the sweep has ``n * (k + 2)`` points for ``k`` ranges), for
    ``morris`` the number of trajectories (``n * (k + 1)`` points).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal[SAMPLE_METHODS]  # type: ignore[valid-type]
    n: int = Field(ge=1, le=1_000_000)
    ranges: dict[str, tuple[float, float]]
    seed: int = Field(ge=0)

    @model_validator(mode="after")
    def _check(self) -> "Sample":
        if not self.ranges:
            raise _fail(
                "ranges", f"{self.method}:{self.n} needs at least one range (--range KEY=LOW:HIGH)"
            )
        for key, (low, high) in self.ranges.items():
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise _fail("range", f"range {key}={low:g}:{high:g}: expected finite LOW < HIGH")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise _fail(
                "sobol",
                f"sobol:{self.n}: N must be a power of two (Sobol' "
                "sequences are balanced only then), e.g. 64 or 128",
            )
        if self.method == "morris" and self.n < 2:
            raise _fail("morris", f"morris:{self.n}: N (trajectories) must be at least 2")
        return self

    @property
    def size(self) -> int:
        """How many points :meth:`draw` gives, without drawing them."""
        factor = {"sobol": len(self.ranges) + 2, "morris": len(self.ranges) + 1}
        return self.n * factor.get(self.method, 1)

    @property
    def problem(self) -> dict[str, Any]:
        """The ranges as SALib's problem definition."""
        return {
            "num_vars": len(self.ranges),
            "names": list(self.ranges),
            "bounds": [list(bounds) for bounds in self.ranges.values()],
        }

    def draw(self) -> list[Point]:
        """The sampled points, in SALib's order for ``sobol`` and ``morris``."""
        from SALib.sample import morris, sobol  # slow to import; only samplers need them
        from scipy.stats import qmc

        lows, highs = np.array(list(self.ranges.values())).T
        if self.method == "lhs":
            unit = qmc.LatinHypercube(len(self.ranges), rng=self.seed).random(self.n)
            values = qmc.scale(unit, lows, highs)
        elif self.method == "random":
            values = np.random.default_rng(self.seed).uniform(
                lows, highs, (self.n, len(self.ranges))
            )
        elif self.method == "sobol":
            values = sobol.sample(self.problem, self.n, calc_second_order=False, seed=self.seed)
        else:
            values = morris.sample(self.problem, self.n, num_levels=MORRIS_LEVELS, seed=self.seed)
        return [dict(zip(self.ranges, map(float, row), strict=True)) for row in values]


@dataclass(frozen=True)
class Task:
    """One run of a sweep: a point's replicate in one arm, with its seed and full scenario.

    ``measure``: calibration mode. With targets, the worker measures the run on them itself
    and sends back only the measurements (:attr:`~experiments.sweep_worker.TaskResult.measured`),
    neither the history's rows nor its digest: a posterior needs thousands of runs and keeps
    none of them, and measuring in the workers spares the coordinating process the work.
    """

    point: int
    replicate: int
    arm: str
    seed: int
    scenario: Scenario
    measure: tuple["Target", ...] = ()

    @property
    def key(self) -> tuple[int, int, str]:
        """``(point, replicate, arm)``: what identifies the task within its sweep."""
        return self.point, self.replicate, self.arm


class SweepSpec(BaseModel):
    """A sweep: the scenario, what varies, the replicates and their seeds, and a baseline.

    Attributes:
        name: unique within a store; the same name runs (or resumes) the same sweep.
        scenario: the main arm's resolved scenario (JSON), before any point's settings.
        grid: key -> values; the points are the product of the grids, in this key order.
        sample: points drawn from ranges instead of a grid.
        seeds: replicates per point (and per arm).
        seed_root: the root of the replicates' seeds.
        baseline: a resolved scenario (JSON) run beside the main arm at every point, with the
            same seeds; the point's settings apply to it where they can (see
            :func:`_policies_not_in_baseline`).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[
        str, Field(min_length=1, max_length=NAME_LENGTH), AfterValidator(_printable_name)
    ]
    scenario: dict[str, Any]
    grid: dict[str, list[Setting]] = Field(default_factory=dict)
    sample: Sample | None = None
    seeds: int = Field(ge=1, le=100_000)
    seed_root: int = Field(ge=0)
    baseline: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _check(self) -> "SweepSpec":
        if self.grid and self.sample:
            raise _fail(
                "design",
                "--grid and --sample exclude each other: vary parameters "
                "on a grid or sample them from ranges, not both",
            )
        for key, values in self.grid.items():
            if not values:
                raise _fail("grid", f"--grid {key}: no values; expected KEY=V1,V2,...")
        return self

    @property
    def planned_runs(self) -> int:
        """How many runs the sweep plans: points x seeds x arms, counted without listing them."""
        points = self.sample.size if self.sample else math.prod(map(len, self.grid.values()))
        return points * self.seeds * len(self.arms)

    @property
    def arms(self) -> tuple[str, ...]:
        """``("main",)``, or ``("main", "baseline")`` with a baseline."""
        return ARMS if self.baseline is not None else ARMS[:1]

    def points(self) -> list[Point]:
        """Each point's settings: the grid's product, or the sample; one empty point if neither."""
        if self.sample:
            return self.sample.draw()
        return [
            dict(zip(self.grid, values, strict=True))
            for values in itertools.product(*self.grid.values())
        ]

    def replicate_seeds(self) -> list[int]:
        """The seed of each replicate, the same at every point (63 bits, as ``sim run --seed``)."""
        children = np.random.SeedSequence(self.seed_root).spawn(self.seeds)
        return [int(child.generate_state(1, np.uint64)[0] >> np.uint64(1)) for child in children]

    def main_scenario(self) -> Scenario:
        """The main arm's scenario before any point's settings."""
        return Scenario.model_validate(without_retired_inputs(self.scenario))

    def tasks(self, points: list[Point] | None = None) -> list[Task]:
        """Every run of the sweep, by point, replicate and arm, each with its full scenario.

        Args:
            points: the points to run; :meth:`points` when omitted (a resumed sweep passes
                the points it stored, which a newer sampler might not draw again).

        Raises:
            InputError: a point's setting is unknown or its value is not allowed.
        """
        points = self.points() if points is None else points
        seeds = self.replicate_seeds()
        main = self.main_scenario()
        baseline = (
            Scenario.model_validate(without_retired_inputs(self.baseline))
            if self.baseline is not None
            else None
        )
        skipped = _policies_not_in_baseline(main, baseline) if baseline is not None else set()
        tasks = []
        for index, point in enumerate(points):
            scenarios = {"main": _apply(main, point, index, "main")}
            if baseline is not None:
                settings = {
                    key: value for key, value in point.items() if key.split(".")[0] not in skipped
                }
                scenarios["baseline"] = _apply(baseline, settings, index, "baseline")
            tasks += [
                Task(index, replicate, arm, seed, scenario)
                for replicate, seed in enumerate(seeds)
                for arm, scenario in scenarios.items()
            ]
        return tasks

    def without_name(self) -> dict[str, Any]:
        """The spec as JSON, name left out: what two sweeps must share to be the same."""
        return self.model_dump(mode="json", exclude={"name"})


def baseline_scenario(ref: str, main: Scenario) -> Scenario:
    """The scenario ``--baseline`` names, with the main arm's calendar and population.

    The calendar is the start, the horizon and the step length. ``ref`` is a preset or a
    scenario file (taken as it is), or a policy's name (the default scenario with only that
    policy). Pairing needs the same steps and the same developers,
    so those come from ``main``.

    Raises:
        InputError: ``ref`` is none of these.
    """
    path = Path(ref)
    if ref in preset_names() or path.suffix.lower() in SETTINGS_SUFFIXES or is_file(path):
        base = load_scenario(ref)
    elif ref in available():
        base = resolve_scenario(policies=[ref])
    else:
        raise InputError(
            f"--baseline {ref!r}: not a preset ({', '.join(preset_names())}), a "
            f"scenario file or a policy ({', '.join(sorted(available()))})"
        )
    return resolve_scenario(
        base,
        start=main.start,
        steps=main.steps,
        step_length=main.step_length,
        developers=main.developers,
    )


def _policies_not_in_baseline(main: Scenario, baseline: Scenario) -> set[str]:
    """The policies whose settings a point does not pass on to the baseline arm.

    A scenario key (``demand.growth_china``, ``providers.DeepSeek.latency_s``) always applies to
    the baseline; a policy's key (``smuggling.leakage``) only if the baseline has that policy
    enabled, so the baseline stays the comparison the user named.
    """
    policy_keys = set(available()) | {p.key for p in main.policies}
    return policy_keys - {p.key for p in baseline.policies}


def _apply(base: Scenario, settings: Point, index: int, arm: str) -> Scenario:
    """``base`` with a point's settings; an error names the point and the arm."""
    try:
        return resolve_scenario(base, settings=settings)
    except InputError as error:
        where = ", ".join(f"{key}={value}" for key, value in settings.items())
        raise InputError(f"point {index} ({where or 'no settings'}), {arm} arm: {error}") from None


def default_name(spec_fields: dict[str, Any], kind: str = "sweep") -> str:
    """A name from the spec's content, so that running the same spec again finds it."""
    text = json.dumps(spec_fields, sort_keys=True)
    return f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"


def make_spec(large: bool = False, **fields: Any) -> SweepSpec:
    """A validated spec from ``fields``; ``name`` defaults to :func:`default_name`.

    Args:
        large: allow up to :data:`MAX_RUNS_LARGE` runs instead of :data:`MAX_RUNS`; a typo in
            a grid should not plan a million runs unasked.
        **fields: the :class:`SweepSpec`'s fields.

    Raises:
        InputError: one line naming the first problem.
    """
    try:
        if fields.get("name") is None:
            unnamed = SweepSpec.model_validate({**fields, "name": "unnamed"})
            fields["name"] = default_name(unnamed.without_name())
        spec = SweepSpec.model_validate(fields)
    except ValidationError as error:
        raise InputError(describe_validation_error(error)) from None
    limit = MAX_RUNS_LARGE if large else MAX_RUNS
    if spec.planned_runs > limit:
        hint = "" if large else f", or pass --large to allow up to {MAX_RUNS_LARGE:,}"
        raise InputError(
            f"the sweep plans {spec.planned_runs:,} runs (points x --seeds x "
            f"arms), more than the {limit:,} allowed: use fewer values, points or "
            f"seeds{hint}"
        )
    return spec
