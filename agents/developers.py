"""The developer population: one row per developer in numpy arrays.

Developers are too many to be Python objects (10^4 to 10^6), so, in the spirit of mesa-frames,
they are columns: region, segment, current provider, tenure, demand. Every stage that touches
them works on whole columns; :meth:`DeveloperPopulation.view` gives the per-developer view for
inspection, and :meth:`DeveloperPopulation.to_frame` the whole table.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from scenario.roster import ProviderSpec
from scenario.sections import DemandParams
from vocabulary.regions import CHINA, DEV_REGIONS, SEGMENTS, WORK


@dataclass
class DeveloperPopulation:
    """All developers, as arrays of length N.

    Attributes:
        region: (N,) int8 index into ``DEV_REGIONS``.
        segment: (N,) int8 index into ``SEGMENTS``.
        base_demand: (N,) float64 tokens per month at the start, at the start's prices.
        provider: (N,) int16 index of the provider the developer uses.
        tenure: (N,) float32 months with that provider.
        restriction_draw: (N,) float64 uniform draw, fixed for the run: an API restriction that
            binds a share s of a segment binds the developers whose draw is below s, so the same
            developers are bound in every run with the same seed.
        work_draw: (N,) float64 uniform draw, fixed for the run: when a share s of developers
            does programming work, it is those whose draw is below s, so a developer who
            programs keeps doing so as the share grows.
        adjacency: (N, N) row-normalised sparse adjacency of the developer network.
        cell: (N,) int64 index of each developer's region x segment cell, ``region * S +
            segment`` (derived).
        programming: (N,) bool, the developer's work is programming this month
            (:meth:`assign_work`).
        group: (N,) int64 index of each developer's buyer group this month, segment x work,
            ``segment * W + programming``: who buys the same mix of a lab's products
            (:mod:`simulator.product_choice`).
        work_cell: (N,) int64 index of each developer's region x segment x work cell this month,
            ``cell * W + programming`` (= ``region * G + group``): the choice rule's cells, and
            the rows of the demand's price response.
    """

    region: np.ndarray
    segment: np.ndarray
    base_demand: np.ndarray
    provider: np.ndarray
    tenure: np.ndarray
    restriction_draw: np.ndarray
    work_draw: np.ndarray
    adjacency: sp.csr_array

    @property
    def size(self) -> int:
        """Number of developers."""
        return len(self.region)

    cell: np.ndarray = field(init=False)
    programming: np.ndarray = field(init=False)
    group: np.ndarray = field(init=False)
    work_cell: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.cell = self.region.astype(np.int64) * len(SEGMENTS) + self.segment
        self.assign_work(0.0)

    def assign_work(self, programming_share: float) -> None:
        """The developers whose work draw is below ``programming_share`` program."""
        self.programming = self.work_draw < programming_share
        self.group = self.segment.astype(np.int64) * len(WORK) + self.programming
        self.work_cell = self.cell * len(WORK) + self.programming

    @staticmethod
    def draw_attributes(
        n: int, demand: DemandParams, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray]:
        """Regions and segments of ``n`` developers, drawn from the scenario's shares."""
        region_p = np.array([demand.developer_region_share[r] for r in DEV_REGIONS])
        segment_p = np.array([demand.developer_segment_share[s] for s in SEGMENTS])
        region = rng.choice(len(DEV_REGIONS), size=n, p=region_p / region_p.sum()).astype(np.int8)
        segment = rng.choice(len(SEGMENTS), size=n, p=segment_p / segment_p.sum()).astype(np.int8)
        return np.sort(region), segment  # ids grouped by region: neighbours close in memory

    @classmethod
    def generate(
        cls,
        region: np.ndarray,
        segment: np.ndarray,
        demand: DemandParams,
        providers: list[ProviderSpec],
        adjacency: sp.csr_array,
        rng: np.random.Generator,
    ) -> "DeveloperPopulation":
        """Give each developer its demand, first provider and tenure.

        Each region x segment cell gets its sourced share of demand, split among the cell's
        developers with lognormal dispersion; first providers are drawn from the initial shares
        of the providers serving the developer's region.
        """
        n = len(region)
        cell = region.astype(np.int64) * len(SEGMENTS) + segment
        weight = rng.lognormal(0.0, demand.demand_dispersion, size=n)
        cell_demand = _cell_demand(demand)
        cell_weight = np.bincount(cell, weights=weight, minlength=cell_demand.size)
        scale = np.divide(
            cell_demand, cell_weight, out=np.zeros_like(cell_demand), where=cell_weight > 0
        )
        base_demand = weight * scale[cell]

        provider = np.zeros(n, dtype=np.int16)
        for r, name in enumerate(DEV_REGIONS):
            members = np.flatnonzero(region == r)
            shares = np.array(
                [
                    (p.initial_share_china if r == CHINA else p.initial_share_global)
                    if name in p.markets
                    else 0.0
                    for p in providers
                ]
            )
            if shares.sum() <= 0:  # no sourced shares: spread evenly over those serving it
                shares = np.array([float(name in p.markets) for p in providers])
            provider[members] = rng.choice(
                len(providers), size=members.size, p=shares / shares.sum()
            )
        tenure = rng.uniform(0.0, 24.0, size=n).astype(np.float32)  # guess: up to two years
        return cls(
            region=region,
            segment=segment,
            base_demand=base_demand,
            provider=provider,
            tenure=tenure,
            restriction_draw=rng.random(n),
            work_draw=rng.random(n),
            adjacency=adjacency,
        )

    def view(self, developer: int, provider_names: list[str]) -> dict[str, object]:
        """One developer as a plain record, for inspection in a notebook or a test."""
        return {
            "id": developer,
            "region": DEV_REGIONS[self.region[developer]],
            "segment": SEGMENTS[self.segment[developer]],
            "work": WORK[int(self.programming[developer])],
            "provider": provider_names[self.provider[developer]],
            "tenure_months": float(self.tenure[developer]),
            "base_demand_tokens": float(self.base_demand[developer]),
            "neighbours": self.adjacency.indices[
                self.adjacency.indptr[developer] : self.adjacency.indptr[developer + 1]
            ].tolist(),
        }

    def to_frame(self, provider_names: list[str]) -> pd.DataFrame:
        """The whole population as a table, one row per developer."""
        return pd.DataFrame(
            {
                "region": pd.Categorical.from_codes(self.region, DEV_REGIONS),
                "segment": pd.Categorical.from_codes(self.segment, SEGMENTS),
                "work": pd.Categorical.from_codes(self.programming.astype(np.int8), WORK),
                "provider": pd.Categorical.from_codes(self.provider, provider_names),
                "tenure_months": self.tenure,
                "base_demand_tokens": self.base_demand,
            }
        )


def _cell_demand(demand: DemandParams) -> np.ndarray:
    """(R * S,) tokens per month of each region x segment cell at the start."""
    cells = np.zeros(len(DEV_REGIONS) * len(SEGMENTS))
    regions = demand.region_spend_share
    china = demand.segment_spend_share_china
    abroad = demand.segment_spend_share_global
    for r, region in enumerate(DEV_REGIONS):
        for s, segment in enumerate(SEGMENTS):
            if r == CHINA:
                value = demand.tokens_per_month_china * china[segment] / sum(china.values())
            else:
                value = (
                    demand.tokens_per_month_global
                    * regions[region]
                    / sum(regions.values())
                    * abroad[segment]
                    / sum(abroad.values())
                )
            cells[r * len(SEGMENTS) + s] = value
    return cells
