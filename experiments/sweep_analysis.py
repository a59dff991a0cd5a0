"""What a sweep says: outcomes per point with intervals, paired differences, sensitivity.

Outcomes are ``market_steps`` metrics at each run's last step. Intervals are 95% t intervals
over the replicates. With a baseline arm, the difference main − baseline is computed per
replicate (the two runs share their seed: common random numbers) and its interval is set beside
the Welch interval of the same difference treated as if the arms were independent runs, which
is what independent seeds would give: the gap between the two is what pairing buys.

Global sensitivity (SALib) needs the sweep's own sampling design: Sobol indices for a ``sobol``
sample (first-order S1 and total ST, with bootstrap confidence), Morris elementary effects for
a ``morris`` sample (mu*, its confidence, sigma). The outcome of a point is the mean over its
replicates of the main arm.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from experiments.sweep import MORRIS_LEVELS, SweepSpec
from runs.sweeps import StoredSweep
from vocabulary.errors import InputError, excerpt
from vocabulary.metrics import Level, names

OUTCOMES = ("cn_share_global", "compute_cn", "price_cn", "price_us")
"""The main outcomes ``sim sweep show`` reports."""
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean and its confidence interval from ``n`` values (NaN bounds below two)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        """Half the interval's width."""
        return (self.high - self.low) / 2


def _around(mean: float, half: float, n: int) -> Interval:
    return Interval(float(mean), float(mean - half), float(mean + half), n)


def t_interval(values: np.ndarray) -> Interval:
    """The mean of ``values`` and its t interval."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return Interval(np.nan, np.nan, np.nan, 0)
    if n == 1:
        return Interval(float(values[0]), np.nan, np.nan, 1)
    half = stats.t.ppf((1 + LEVEL) / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return _around(values.mean(), half, n)


def welch_interval(a: np.ndarray, b: np.ndarray) -> Interval:
    """mean(a) − mean(b) and its Welch interval, as for independent samples.

    ``n`` is the smaller sample's size.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if min(len(a), len(b)) < 2:
        return Interval(
            float(a.mean() - b.mean()) if len(a) and len(b) else np.nan,
            np.nan,
            np.nan,
            min(len(a), len(b)),
        )
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return _around(a.mean() - b.mean(), 0.0, min(len(a), len(b)))
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return _around(a.mean() - b.mean(), stats.t.ppf((1 + LEVEL) / 2, df) * se, min(len(a), len(b)))


def check_outcome(outcome: str) -> None:
    """An outcome must be a ``market_steps`` metric.

    Raises:
        InputError: listing every allowed one.
    """
    allowed = names(Level.MARKET)
    if outcome not in allowed:
        raise InputError(
            f"--outcome {excerpt(outcome)}: not a market metric; expected one of "
            f"{', '.join(allowed)}"
        )


def point_summary(
    runs: pd.DataFrame, n_points: int, arms: tuple[str, ...], outcomes: tuple[str, ...] = OUTCOMES
) -> pd.DataFrame:
    """Per point, arm and outcome: finished runs, mean and 95% interval.

    Args:
        runs: :func:`runs.sweeps.sweep_outcomes` of the sweep.
        n_points: the sweep's number of points (points without runs get NaN rows).
        arms: the sweep's arms.
        outcomes: the metrics to summarise.

    Returns:
        Columns ``point, arm, outcome, runs, mean, low, high``.
    """
    rows = []
    for point in range(n_points):
        for arm in arms:
            mine = runs[(runs["point"] == point) & (runs["arm"] == arm)]
            for outcome in outcomes:
                values = mine[outcome].dropna().to_numpy()
                interval = t_interval(values)
                rows.append(
                    {
                        "point": point,
                        "arm": arm,
                        "outcome": outcome,
                        "runs": interval.n,
                        "mean": interval.mean,
                        "low": interval.low,
                        "high": interval.high,
                    }
                )
    return pd.DataFrame(rows, columns=["point", "arm", "outcome", "runs", "mean", "low", "high"])


def paired_differences(
    runs: pd.DataFrame, n_points: int, outcomes: tuple[str, ...] = OUTCOMES
) -> pd.DataFrame:
    """Per point and outcome: main − baseline, paired by replicate, beside the unpaired interval.

    Only replicates with a finished run in both arms count, for both intervals, so the two
    differ only in whether the pairing is used.

    Returns:
        Columns ``point, outcome, pairs, mean, low, high`` (paired t interval) and
        ``unpaired_low, unpaired_high`` (Welch).
    """
    rows = []
    for point in range(n_points):
        arms = {
            arm: runs[(runs["point"] == point) & (runs["arm"] == arm)].set_index("replicate")
            for arm in ("main", "baseline")
        }
        for outcome in outcomes:
            pairs = pd.concat({arm: rows[outcome] for arm, rows in arms.items()}, axis=1).dropna()
            paired = t_interval((pairs["main"] - pairs["baseline"]).to_numpy())
            unpaired = welch_interval(pairs["main"].to_numpy(), pairs["baseline"].to_numpy())
            rows.append(
                {
                    "point": point,
                    "outcome": outcome,
                    "pairs": paired.n,
                    "mean": paired.mean,
                    "low": paired.low,
                    "high": paired.high,
                    "unpaired_low": unpaired.low,
                    "unpaired_high": unpaired.high,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "point",
            "outcome",
            "pairs",
            "mean",
            "low",
            "high",
            "unpaired_low",
            "unpaired_high",
        ],
    )


def sobol_indices(problem: dict, outcome: np.ndarray, seed: int) -> pd.DataFrame:
    """Sobol S1 and ST (with 95% confidence) of ``outcome`` over a Saltelli sample, ranked by ST.

    ``outcome`` holds one value per point of ``SALib.sample.sobol.sample(problem, N,
    calc_second_order=False)``, in its order.
    """
    from SALib.analyze import sobol

    result = sobol.analyze(
        problem,
        np.asarray(outcome, dtype=float),
        calc_second_order=False,
        conf_level=LEVEL,
        seed=seed,
    )
    frame = pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    )
    return frame.sort_values("ST", ascending=False, ignore_index=True)


def morris_effects(
    problem: dict, points: np.ndarray, outcome: np.ndarray, seed: int
) -> pd.DataFrame:
    """Morris mu* (with 95% confidence) and sigma of ``outcome``, ranked by mu*."""
    from SALib.analyze import morris

    result = morris.analyze(
        problem,
        np.asarray(points, dtype=float),
        np.asarray(outcome, dtype=float),
        conf_level=LEVEL,
        num_levels=MORRIS_LEVELS,
        seed=seed,
    )
    frame = pd.DataFrame(
        {
            "parameter": problem["names"],
            "mu_star": result["mu_star"],
            "mu_star_conf": result["mu_star_conf"],
            "sigma": result["sigma"],
        }
    )
    return frame.sort_values("mu_star", ascending=False, ignore_index=True)


SMALLEST_SAMPLE = {"sobol": 64, "morris": 10}
"""The ``N`` below which a sample's indices are too rough to rank parameters: a Sobol base
sample of 64 (SALib's examples use 1,024; Saltelli et al. 2010 show the estimates settle from
the hundreds), 10 Morris trajectories (Campolongo et al. 2007 suggest 10 to 50)."""
_SPREAD = {"sobol": ("S1", "S1_conf"), "morris": ("mu_star", "mu_star_conf")}
"""Each method's main index and its confidence half-width, as :func:`sensitivity` names them."""


def sensitivity_warnings(method: str, n: int, indices: pd.DataFrame) -> list[str]:
    """What makes ``indices`` (of a ``method``:``n`` sample) too rough to read as they are.

    A sample below :data:`SMALLEST_SAMPLE`, and each parameter whose index has a 95% interval
    wider than the index itself (the sign and rank then say nothing; intervals under a
    twentieth of the scale, around an index of about 0, are left alone), or a Sobol index
    outside 0 to 1, which only sampling error gives.
    """
    found = []
    if n < SMALLEST_SAMPLE[method]:
        found.append(
            f"{method}:{n} is a small sample: below {method}:{SMALLEST_SAMPLE[method]} the "
            "indices are rough; run a larger one"
        )
    index, conf = _SPREAD[method]
    scale = 1.0 if method == "sobol" else float(indices[index].abs().max())  # Sobol's are 0-1
    rough = indices[(indices[conf] > indices[index].abs()) & (indices[conf] > 0.05 * scale)]
    if len(rough):
        found.append(
            f"the 95% interval of {index} is wider than the index for "
            f"{', '.join(map(str, rough['parameter']))}: a larger sample would tell whether "
            "they matter at all"
        )
    if method == "sobol":
        odd = indices[(indices["S1"] < -0.05) | (indices["S1"] > 1.05) | (indices["ST"] > 1.05)]
        if len(odd):
            found.append(
                f"S1 or ST outside 0 to 1 for {', '.join(map(str, odd['parameter']))}: "
                "sampling error, not an effect; the sample is too small"
            )
    return found


def sensitivity(sweep: StoredSweep, runs: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The sensitivity of ``outcome`` to the sweep's sampled parameters, ranked.

    Raises:
        InputError: the sweep is not a ``sobol`` or ``morris`` sample, or some of its points
            have no finished run (or no value of the outcome) yet.
    """
    check_outcome(outcome)
    spec = SweepSpec.model_validate(sweep.spec)
    if spec.sample is None or spec.sample.method not in ("sobol", "morris"):
        design = f"a {spec.sample.method} sample" if spec.sample else "a grid"
        raise InputError(
            f"sweep {sweep.id} is {design}: sensitivity indices need a sweep "
            "made with --sample sobol:N (Sobol indices) or --sample morris:N "
            "(Morris effects) and --range KEY=LOW:HIGH"
        )
    per_point = (
        runs[runs["arm"] == "main"]
        .groupby("point")[outcome]
        .mean()
        .reindex(range(len(sweep.points)))
    )
    missing = int(per_point.isna().sum())
    if missing:
        raise InputError(
            f"sweep {sweep.id}: {missing} of {len(per_point)} points have no "
            f"finished run with a value of {outcome}; resume it with "
            f"`sim sweep --resume {sweep.id}`, or pick another --outcome"
        )
    problem = spec.sample.problem
    if spec.sample.method == "sobol":
        return sobol_indices(problem, per_point.to_numpy(), spec.sample.seed)
    design = np.array([[point[name] for name in problem["names"]] for point in sweep.points])
    return morris_effects(problem, design, per_point.to_numpy(), spec.sample.seed)
