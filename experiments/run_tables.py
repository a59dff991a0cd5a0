"""A run's history as calibration targets read it, and each measure's monthly values.

Targets (:mod:`experiments.targets`) observe a population of developers (:data:`POPULATIONS`)
and a group of providers; their figures are sums over ``segment_steps`` rows (tokens served,
spend) by month and provider, as docs/targets.md's SQL recomputes them. A run's tables come
from the store (:meth:`RunTables.from_stored`) or from a simulation held in memory
(:meth:`RunTables.from_records`, :meth:`RunTables.from_result`) without storing it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

import numpy as np
import pandas as pd

from runs.history_rows import Table
from simulator.metrics import StepRecord
from vocabulary.metrics import OWNED_CHANNELS, Level, names
from vocabulary.regions import CHANNELS, CHINA, DEV_REGIONS, JURISDICTIONS, SEGMENTS

if TYPE_CHECKING:  # a sweep worker measures runs in calibration mode: it imports this module,
    # and neither the worker's own module nor the store's loading
    from experiments.sweep_worker import TaskResult
    from runs.load import StoredRun

T = TypeVar("T")

OUTSIDE_CHINA = tuple(region for region in DEV_REGIONS if region != DEV_REGIONS[CHINA])

POPULATIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "routed": (OUTSIDE_CHINA, ("indie", "startup")),
    "enterprise": (OUTSIDE_CHINA, ("enterprise",)),
    "outside_china": (OUTSIDE_CHINA, SEGMENTS),
    "china": ((DEV_REGIONS[CHINA],), SEGMENTS),
    "all": (DEV_REGIONS, SEGMENTS),
}
"""Who a target observes, as (developer regions, segments) of ``segment_steps``: ``routed`` is
what OpenRouter's rankings measure (indies and startups outside China), ``enterprise`` what Menlo
Ventures' surveys measure."""

SHARES = ("token_share", "spend_share")
"""The measures that are shares of what a population bought (of tokens, of spend)."""
PERCENTAGES = (
    *SHARES,
    "compute_share",
    "purchase_share",
    "api_token_share",
    "maker_served_share",
)
"""The measures read as percentages."""
PROVIDER_MEASURES = (
    "revenue_ratio",
    "annual_revenue",
    "compute_share",
    "tokens_per_compute_day",
    "purchase_share",
    "purchase_ratio",
    "api_token_share",
    "maker_served_share",
)
"""The measures of what each lab itself sells, buys and runs (``provider_steps``), in every
region: TARGETS.md v3's "made by versus served by" (T11-T19)."""
DAYS_PER_MONTH = 365.25 / 12
"""Days in an average month: tokens per month over this are tokens per day."""
SPECIAL_GROUPS = ("largest", "all")
"""``largest``: the single lab with most of the measure in each month; ``all``: every provider."""


PRODUCT_KEYS = ("product", "provider", "author")
"""The columns of a product row that say which product it is, who sells it and who made it;
its metrics follow them."""


def no_products() -> pd.DataFrame:
    """The product table of a run without product rows: its columns, no rows."""
    return pd.DataFrame(
        {
            **{key: pd.Series(dtype=object) for key in PRODUCT_KEYS},
            **{metric: pd.Series(dtype="float64") for metric in names(Level.PRODUCT)},
        }
    )


def _frame(table: Table, level: Level) -> pd.DataFrame:
    """A history table's rows indexed by month, as :meth:`RunTables.from_records` has them.

    Stored rows hold None where a record held NaN: metric columns are read back as floats.
    """
    frame = pd.DataFrame(table.rows, columns=list(table.columns))
    months = pd.Index(frame.pop("month").to_numpy(), name=None)
    frame = frame.drop(columns="step").set_axis(months, axis=0)
    unread = [c for c in names(level) if c in frame.columns and frame[c].dtype == object]
    return frame.astype(dict.fromkeys(unread, "float64"))


class Unmeasurable(Exception):
    """A target cannot be measured on a run; the message says why, in one line."""


@dataclass(frozen=True)
class RunTables:
    """One run's history as targets read it: one row per month (weeks averaged into months).

    Attributes:
        market: ``market_steps``' metrics, indexed by month ``YYYY-MM``.
        providers: ``provider_steps``: columns ``provider``, ``jurisdiction`` and the metrics,
            indexed by month.
        segments: ``segment_steps``: columns ``region``, ``segment``, ``provider`` and the
            metrics (``spend_usd`` NaN for runs stored before schema version 5), indexed by month.
        products: ``product_steps``: columns ``product``, ``provider``, ``author`` and the
            metrics, indexed by month; no rows (the same columns) for a run without products,
            such as one stored before schema version 7.

    Weekly runs' rates (tokens, spend, revenue per month) are averaged over the weeks of each
    month: a segment or product row missing in a week (no developers there, not yet on sale)
    counts as zero in that week. A product's ``price`` is the mean over the weeks it was on sale.
    """

    market: pd.DataFrame
    providers: pd.DataFrame
    segments: pd.DataFrame
    products: pd.DataFrame = field(default_factory=no_products)
    derived: dict[tuple[str, ...], Any] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """Tables derived from the others, kept once made: ``sim validate`` and each calibration
    trial measure some twenty targets on every run, many of them on the same few tables."""

    @classmethod
    def from_records(cls, records: Sequence[StepRecord]) -> Self:
        """From a simulation held in memory (a sweep worker's or validation's), never stored."""
        months = [record.month for record in records]
        market = pd.DataFrame([record.market for record in records], index=months)
        providers = pd.DataFrame(
            [row for record in records for row in record.providers],
            index=[record.month for record in records for _ in record.providers],
        )
        segments = pd.DataFrame(
            [row for record in records for row in record.segments],
            index=[record.month for record in records for _ in record.segments],
        )
        rows = [row for record in records for row in record.products]
        products = (
            pd.DataFrame(rows, index=[record.month for record in records for _ in record.products])
            if rows
            else no_products()
        )
        return cls._monthly(market, providers, segments, products)

    @classmethod
    def from_result(cls, result: "TaskResult") -> Self:
        """From a sweep worker's :class:`~experiments.sweep_worker.TaskResult` (its rows)."""
        history = result.history
        tables = [
            _frame(table, level)
            for table, level in (
                (history.market, Level.MARKET),
                (history.providers, Level.PROVIDER),
                (history.segments, Level.SEGMENT),
            )
        ]
        products = _frame(history.products, Level.PRODUCT) if history.products.rows else None
        return cls._monthly(*tables, no_products() if products is None else products)

    @classmethod
    def from_stored(cls, run: "StoredRun") -> Self:
        """From a stored run (:func:`runs.load.load_run`), monthly or weekly."""
        tables = []
        stored = (run.market_steps, run.provider_steps, run.segment_steps, run.product_steps)
        for frame in stored:
            if frame.index.name == "month":
                months = frame.index.astype(str)
            else:
                months = frame["month"].astype(str)
            frame = frame.drop(columns=[c for c in ("step", "month") if c in frame.columns])
            if "author" in frame.columns:  # NULL before schema version 10: labs sold their own
                frame["author"] = frame["author"].fillna(frame["provider"])
                frame = frame[[*PRODUCT_KEYS, *names(Level.PRODUCT)]]  # as the model's rows
            tables.append(frame.set_axis(pd.Index(np.asarray(months), name=None), axis=0))
        return cls._monthly(*tables)

    @classmethod
    def _monthly(
        cls,
        market: pd.DataFrame,
        providers: pd.DataFrame,
        segments: pd.DataFrame,
        products: pd.DataFrame,
    ) -> Self:
        """Each table as one row per month (and key): rates averaged over the month's steps."""
        steps = market.groupby(level=0, sort=False).size()
        if (steps == 1).all():
            return cls(market, providers, segments, products)
        market = market.groupby(level=0, sort=False).mean()
        keyed = []
        # levels (a price, not a rate) are averaged over the steps that have the row
        for frame, keys, levels in (
            (providers, ["provider", "jurisdiction"], []),
            (segments, ["region", "segment", "provider"], []),
            (products, list(PRODUCT_KEYS), ["price"]),
        ):
            flat = frame.rename_axis("month").reset_index()
            grouped = flat.groupby(["month", *keys], sort=False)
            sums = grouped.sum(min_count=1)
            per_month = steps.reindex(sums.index.get_level_values("month")).to_numpy()
            monthly = sums.div(per_month, axis=0)
            monthly[levels] = grouped[levels].mean()
            keyed.append(monthly.reset_index(keys).rename_axis(None))
        return cls(market, *keyed)

    @property
    def months(self) -> list[str]:
        """The months the run covers, in order."""
        return list(self.market.index)


def _derived(run: RunTables, key: tuple[str, ...], make: Callable[[], T]) -> T:
    """``make()``, made once per run and ``key`` (:attr:`RunTables.derived`); never modified."""
    if key not in run.derived:
        run.derived[key] = make()
    return cast(T, run.derived[key])


def _members(run: RunTables, group: str) -> list[str]:
    """The providers of a group in this run: a jurisdiction's, one lab, or all."""
    roster = _derived(run, ("roster",), lambda: run.providers.drop_duplicates("provider"))
    if group in JURISDICTIONS:
        return list(roster.loc[roster["jurisdiction"] == group, "provider"])
    if group in SPECIAL_GROUPS:
        return list(roster["provider"])
    return [group]


def _by_provider(run: RunTables, population: str, column: str) -> pd.DataFrame:
    """``column`` of the population's segment rows summed by month x provider (0 where none).

    Counted by the lab that made the model (see :func:`_to_makers`); made once per run.
    """
    return _derived(
        run, ("by_provider", population, column), lambda: _by_maker(run, population, column)
    )


def _by_maker(run: RunTables, population: str, column: str) -> pd.DataFrame:
    """:func:`_by_provider`, computed."""
    regions, segments = POPULATIONS[population]
    rows = _derived(
        run,
        ("population", population),
        lambda: run.segments[
            run.segments["region"].isin(regions) & run.segments["segment"].isin(segments)
        ],
    )
    if rows[column].isna().any():
        raise Unmeasurable(
            f"{column} is not stored for runs stored before schema version 5; "
            "simulate them again to measure this target"
        )
    table = _by_month_and_provider(run, rows, column)
    if "hosted_cn_tokens" not in rows.columns or not (rows["hosted_cn_tokens"] > 0).any():
        return table
    return _to_makers(run, rows, column, table)


def _by_month_and_provider(run: RunTables, rows: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` of segment ``rows`` summed by month x provider, every provider (0 where none)."""
    providers = run.providers["provider"].unique()
    table = rows.groupby([rows.index, "provider"])[column].sum().unstack("provider")
    return table.reindex(index=run.months, columns=providers).fillna(0.0)


def _to_makers(
    run: RunTables, rows: pd.DataFrame, column: str, table: pd.DataFrame
) -> pd.DataFrame:
    """``table`` with the Chinese-made models hosts served moved to the labs that made them.

    TARGETS.md counts T1-T10 by the lab that made the model, whoever served it. A segment row
    holds how many of its tokens were Chinese-made models a host abroad served, not whose: a
    host's share goes to the labs in the proportions of its products' tokens outside China that
    month, and its spend with its tokens (a host's spend per token being the same on them all).
    """
    hosted = _by_month_and_provider(run, rows, "hosted_cn_tokens")
    if column != "tokens":
        tokens = _by_month_and_provider(run, rows, "tokens")
        hosted = table * (hosted / tokens.where(tokens > 0)).fillna(0.0)
    products = run.products[run.products["provider"] != run.products["author"]]
    made = products.groupby([products.index, "provider", "author"])["tokens_global"].sum()
    mix = (made / made.groupby(level=[0, 1]).transform("sum")).dropna()
    amount = mix * hosted.stack().reindex(mix.index.droplevel(2)).to_numpy()
    out = amount.groupby(level=[0, 1]).sum().unstack().reindex_like(table).fillna(0.0)
    into = amount.groupby(level=[0, 2]).sum().unstack().reindex_like(table).fillna(0.0)
    return table - out + into


def _provider_sum(run: RunTables, group: str, columns: Sequence[str]) -> pd.Series:
    """``columns`` of the group's ``provider_steps`` rows, summed by month (0 where none)."""
    rows = _derived(
        run,
        ("group", group),
        lambda: run.providers[run.providers["provider"].isin(_members(run, group))],
    )
    summed = rows[list(columns)].astype(float).sum(axis=1)
    return summed.groupby(level=0, sort=False).sum().reindex(run.months).fillna(0.0)


def purchases(run: RunTables, group: str, channel: str, unit: str) -> tuple[pd.Series, pd.Series]:
    """The group's purchases through ``channel`` and through every channel, by month.

    ``unit``: ``units`` (accelerators) or ``usd``. Unmeasurable on runs stored before schema
    version 8, which hold no purchases.
    """
    columns = [f"bought_{name}_{unit}" for name in OWNED_CHANNELS]
    if any(c not in run.providers.columns or run.providers[c].isna().any() for c in columns):
        raise Unmeasurable(
            "purchases by channel are not stored for runs stored before schema version 8; "
            "simulate them again to measure this target"
        )
    part = _provider_sum(run, group, [f"bought_{channel}_{unit}"])
    return part, _provider_sum(run, group, columns)


def _provider_series(run: RunTables, measure: str, group: str, channel: str | None) -> pd.Series:
    """A measure of what the group's labs sell and run themselves, by month (T12-T18)."""
    compute = [f"compute_{name}" for name in CHANNELS]
    if measure == "revenue_ratio":
        return _provider_sum(run, group, ["revenue"])
    if measure == "annual_revenue":
        return _provider_sum(run, group, ["revenue"]) * 12
    if measure in ("purchase_share", "purchase_ratio"):
        unit = "units" if measure == "purchase_share" else "usd"
        part, total = purchases(run, group, channel, unit)
        return part / total.where(total > 0) if measure == "purchase_share" else part
    if measure == "maker_served_share":
        return _maker_served_share(run, group)
    if measure == "api_token_share":
        if "served_apps" not in run.providers.columns or run.providers["served_apps"].isna().any():
            raise Unmeasurable(
                "the own apps' tokens are not stored for runs stored before schema version 9; "
                "simulate them again to measure this target"
            )
        in_china = _provider_sum(run, group, ["served"]) - _provider_sum(
            run, group, ["served_global"]
        )
        apps = _provider_sum(run, group, ["served_apps"])
        return (in_china - apps) / in_china.where(in_china > 0)
    total = _provider_sum(run, group, compute)
    if measure == "compute_share":
        part = _provider_sum(run, group, [f"compute_{channel}"])
        return part / total.where(total > 0)
    served = _provider_sum(run, group, ["served"])
    return served / DAYS_PER_MONTH / total.where(total > 0)


def _maker_served_share(run: RunTables, group: str) -> pd.Series:
    """Of all tokens of the group's labs' models, every region and host, those the labs served.

    T19: hosts abroad and clouds in China serve most tokens of open-weight models.
    """
    products = run.products
    if products.empty:
        raise Unmeasurable(
            "product rows are not stored for runs stored before schema version 7; "
            "simulate them again to measure this target"
        )
    made = products[products["author"].isin(_members(run, group))]
    total = made.groupby(level=0, sort=False)["tokens"].sum().reindex(run.months)
    own = made["tokens"].where(made["provider"] == made["author"], 0.0)
    return own.groupby(level=0, sort=False).sum().reindex(run.months) / total.where(total > 0)


def group_series(
    run: RunTables, measure: str, population: str, group: str, channel: str | None = None
) -> pd.Series:
    """One group's measure on one run, by month: a share, revenue per token, tokens or a ratio.

    ``token_share``/``spend_share``: the group's share (``largest``: the largest lab's that
    month); ``revenue_per_token_ratio``: the group's spend per token, USD per million tokens;
    ``volume_growth``: the group's tokens per month; ``revenue_per_kwh``: the market's
    ``value_added_per_kwh_cn``; ``revenue_ratio``: the group's revenue (USD per month);
    ``annual_revenue``: that x 12; ``compute_share``: the share of its compute in ``channel``;
    ``tokens_per_compute_day``: tokens served per H100e per day; ``api_token_share``: the share
    of the group's tokens served in China sold through its API (not its own apps). NaN where
    there was nothing.
    """
    if measure == "revenue_per_kwh":
        return run.market["value_added_per_kwh_cn"].astype(float)
    if measure in PROVIDER_MEASURES:
        return _provider_series(run, measure, group, channel)
    column = "spend_usd" if measure in ("spend_share", "revenue_per_token_ratio") else "tokens"
    table = _by_provider(run, population, column)
    if measure in SHARES:
        total = table.sum(axis=1)
        part = table.max(axis=1) if group == "largest" else table[_members(run, group)].sum(axis=1)
        return part / total.where(total > 0)
    part = table[_members(run, group)].sum(axis=1)
    if measure == "volume_growth":
        return part
    tokens = _by_provider(run, population, "tokens")[_members(run, group)].sum(axis=1)
    return part / tokens.where(tokens > 0) * 1e6
