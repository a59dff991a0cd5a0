"""The accelerator catalogue as arrays, so per-chip arithmetic is vectorised over chips."""

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from scenario.roster import ChipSpec
from vocabulary.calendar import parse_month, year_of
from vocabulary.regions import CHANNELS

if TYPE_CHECKING:
    from policies.constraints import Constraints

LEGAL, DOMESTIC, SMUGGLED, REMOTE = range(len(CHANNELS))

SECONDS_PER_MONTH = 365.25 / 12 * 24 * 3600
HOURS_PER_MONTH = SECONDS_PER_MONTH / 3600


@dataclass(frozen=True)
class ChipCatalogue:
    """Every accelerator the market knows, one index per chip.

    Attributes:
        names: (C,) chip names.
        tokens_per_s: (C,) blended tokens per second at full load for the reference model.
        watts: (C,) all-in power per accelerator.
        price_usd: (C,) list price.
        control_tier: (C,) first export-control step that caught the chip, "" if none.
        made_in: (C,) jurisdiction of the maker.
        available_from: (C,) first month index the chip ships.
        domestic_output: (C,) accelerators per year by calendar year, for chips whose output
            is limited (domestic chips); missing years repeat the last known one.
    """

    names: tuple[str, ...]
    tokens_per_s: np.ndarray
    watts: np.ndarray
    price_usd: np.ndarray
    control_tier: tuple[str, ...]
    made_in: tuple[str, ...]
    available_from: np.ndarray
    domestic_output: dict[str, dict[int, float]]

    @classmethod
    def from_specs(
        cls, specs: list[ChipSpec], domestic_output: dict[str, dict[int, float]]
    ) -> "ChipCatalogue":
        """Build the catalogue from validated scenario entries."""
        return cls(
            names=tuple(s.name for s in specs),
            tokens_per_s=np.array([s.tokens_per_s for s in specs]),
            watts=np.array([s.watts for s in specs]),
            price_usd=np.array([s.price_usd for s in specs]),
            control_tier=tuple(s.control_tier for s in specs),
            made_in=tuple(s.made_in for s in specs),
            available_from=np.array([parse_month(s.available_from) for s in specs]),
            domestic_output=domestic_output,
        )

    @cached_property
    def h100_equivalents(self) -> np.ndarray:
        """(C,) inference throughput of each chip in H100s: the unit compute is counted in."""
        return self.tokens_per_s / self.tokens_per_s[self.index("H100")]

    def index(self, name: str) -> int:
        """Position of a chip by name."""
        return self.names.index(name)

    def __len__(self) -> int:
        return len(self.names)

    def channel_for(self, chip: int, buyer: str) -> int:
        """How a buyer gets a chip it may buy.

        ``DOMESTIC`` for its own country's capped output (Huawei's Ascend for China), ``LEGAL``
        for everything sold on the open market.
        """
        if self.names[chip] in self.domestic_output and self.made_in[chip] == buyer:
            return DOMESTIC
        return LEGAL

    def starting_channel(self, chip: int, buyer: str, banned: bool) -> int:
        """How a chip in a buyer's starting fleet got there.

        A chip ``banned`` for the buyer at the start whose export-control step came before it
        shipped was never sold to it legally: ``SMUGGLED``. Otherwise :meth:`channel_for`.
        """
        tier = self.control_tier[chip]
        if banned and tier and parse_month(tier) <= self.available_from[chip]:
            return SMUGGLED
        return self.channel_for(chip, buyer)

    def banned_for(self, constraints: "Constraints", buyer: str) -> np.ndarray:
        """(C,) whether each chip is banned for ``buyer`` under ``constraints``."""
        return np.array(
            [
                constraints.chip_banned(buyer, name, tier)
                for name, tier in zip(self.names, self.control_tier, strict=True)
            ],
            dtype=bool,
        )

    def for_sale_to(self, chip: int, buyer: str) -> bool:
        """Whether a buyer could buy the chip at all, bans aside.

        Capped domestic output is sold only at home.
        """
        return self.names[chip] not in self.domestic_output or self.made_in[chip] == buyer

    def monthly_output(self, chip: int, month: int) -> float | None:
        """Accelerators of a capped chip made in ``month``; ``None`` if output is not capped."""
        by_year = self.domestic_output.get(self.names[chip])
        if by_year is None:
            return None
        year = year_of(month)
        known = [y for y in by_year if y <= year]
        return by_year[max(known)] / 12.0 if known else 0.0
