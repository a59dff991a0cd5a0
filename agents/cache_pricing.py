"""Prompt caching: the share of a product's list price that its tokens are billed at.

Input tokens a lab has seen recently (a repeated system prompt, the history of a conversation, a
repository sent again) are read from a cache and billed at a fraction of the input price.
DeepSeek's Day-6 disclosure has 56% of its input tokens hitting the cache (SOURCES 5, H:
``demand.cache_hit_share``); the labs priced cache hits at 10-50% of the input price from
mid-2024 on, each from its own month (``cache_price_ratio`` in ``scenario/data/roster.toml``).

The catalogue's list prices and the labs' cost-plus pricing stay on list prices: a cache
discount is a billing rule, introduced as a price cut, not a list price the lab sets. What
developers weigh and pay, and so the labs' API revenue (T7, T12, T13), is after it. Cached
tokens cost the lab less to serve as well, but the throughput the fleet numbers use (DeepSeek's
Day-6 tokens per GPU, T18) was measured with this mix of hits, so the cost side needs no change.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scenario.roster import ProviderSpec
from vocabulary.calendar import parse_month


@dataclass(frozen=True)
class CachePricing:
    """Each lab's cache price by month, and the share of input tokens that hit the cache.

    Attributes:
        hit_share: share of input tokens read from a cache, once a lab prices cache hits.
        months: per lab, the (sorted) month indices from which a cache price holds.
        ratios: per lab, the cache price as a share of the input price from each such month.
    """

    hit_share: float
    months: tuple[np.ndarray, ...]
    ratios: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, specs: Sequence[ProviderSpec], hit_share: float) -> "CachePricing":
        """The cache prices of a roster, in provider index order."""
        schedules = [
            sorted((parse_month(m), r) for m, r in s.cache_price_ratio.items()) for s in specs
        ]
        return cls(
            hit_share=hit_share,
            months=tuple(np.array([m for m, _ in path], dtype=int) for path in schedules),
            ratios=tuple(np.array([r for _, r in path], dtype=float) for path in schedules),
        )

    def ratio(self, month: int) -> np.ndarray:
        """(P,) each lab's cache price over its input price in ``month``; 1 before its first."""
        ratio = np.ones(len(self.months))
        for lab, (months, ratios) in enumerate(zip(self.months, self.ratios, strict=True)):
            held = np.searchsorted(months, month, side="right") - 1
            if held >= 0:
                ratio[lab] = ratios[held]
        return ratio

    def billed_share(self, month: int, lab: np.ndarray, input_share: np.ndarray) -> np.ndarray:
        """(K,) share of each product's list price its tokens are billed at in ``month``.

        Args:
            month: the month index.
            lab: (K,) each product's lab.
            input_share: (K,) the share of the product's blended list price that is input.
        """
        discount = self.hit_share * (1.0 - self.ratio(month)[lab])
        return 1.0 - discount * input_share
