"""The choice within a lab: which of its products a developer's tokens go to.

Developers choose a lab, then a product of it: a nested logit. Who buys the same mix of a lab's
products is a buyer group g, a segment s and a kind of work w (G = S x W groups: an indie who
programs, an enterprise's general work, ...). Within lab j, product k's utility for group g
differs from the lab's by terms that compare the product with the lab's best product on sale
(the most capable one)::

    w[g, k] = - price_weight[s] * log(price[k] / price[best])
              + quality_weight * quality_scale[s] * product_quality_scale[w]
                * log(aa_index[k] / aa_index[best])
              + latency_weight * log(speed[k] / speed[best])

(a response takes time inversely to the output speed, so the latency weight carries over;
``product_quality_scale[w]`` <= 1 says that within a lab developers send each task to the
cheapest product that does it, so the index's gaps count for less than between labs: for
general work ``choice.product_quality_scale``, for programming
``choice.programming_product_quality_scale``). The tokens of group g at lab j split over its
products as ``softmax(w[g, k] / scale)``, and the lab is worth
``scale * log(sum_k exp(w[g, k] / scale))`` more to the group than its best product alone: the
inclusive value, which enters the lab's utility. The developer kernel so still chooses among P
labs, however many products are on sale; the products add a (G, K) computation a step.

Chinese models hosted abroad: a host outside China sells only to developers outside China, so a
Chinese-made product it serves carries the origin penalty of its buyers' segment
(``choice.origin_penalty[s]``) in ``w[g, k]``, and through the inclusive value in the host's
utility; the product a lab in China serves carries it in the lab's utility instead
(:mod:`simulator.choice`).

Free variants: in the months a lab has a free variant (:mod:`agents.free_previews`), a share
``free[s]`` of a segment's tokens at the lab costs nothing, so the segment pays ``1 - free[s]``
of the lab's prices: the lab is worth ``- price_weight[s] * log(1 - free[s])`` more to it, and
its spend and the lab's revenue fall by that share. A lab's own pricing still looks at its list
prices (the free tokens are a promotion, not a price it sets).

Prices: a product goes on sale at its list price at launch (an input); after that the lab moves
the prices of all its products by one factor a step, towards its cost-plus target for its
average price per token (:meth:`agents.provider.ProviderAgent.set_price`). Developers are billed
``billed[k]`` of the list price, less than all of it once the lab prices cache hits
(:mod:`agents.cache_pricing`): the within-lab utility compares billed prices, the lab's own
price in the developer's utility is its best product's billed price, and a group pays the mean
billed price over the products it buys. The lab's average price, which its pricing moves, is
at list prices.
"""

import numpy as np

from agents.cache_pricing import CachePricing
from agents.free_previews import FreePreviewCalendar
from agents.products import ProductLineup
from scenario.sections import ChoiceParams
from vocabulary.regions import GROUPS, SEGMENTS, WORK


class ProductNest:
    """The products on sale in a run, and how each buyer group's tokens at a lab split over them.

    Args:
        lineup: the run's products.
        labs: the number of providers P.
        params: the scenario's choice section (weights, nest scale, free share).
        free_previews: the months each lab has a free variant.
        cache_pricing: the labs' cache prices, by month.
        hosted_cn: (K,) bool, the Chinese-made products a provider outside China serves.

    Attributes:
        on_sale: (K,) bool, products on sale this month.
        share: (G, K) share of a buyer group's tokens at a product's lab that go to the product.
        value: (G, P) inclusive value of each lab for each buyer group, free variants included;
            -inf with nothing on sale.
        price: (K,) list price, USD per million tokens, NaN until a product first goes on sale.
        billed: (K,) share of its list price a product's tokens are billed at this month.
        best: (P,) index of each lab's most capable product on sale, -1 with none.
        free: (G, P) share of a group's tokens at a lab that its free variant serves this month.
    """

    def __init__(
        self,
        lineup: ProductLineup,
        labs: int,
        params: ChoiceParams,
        free_previews: FreePreviewCalendar,
        cache_pricing: CachePricing,
        hosted_cn: np.ndarray,
    ) -> None:
        self.lineup = lineup
        self.hosted_cn = hosted_cn
        self.origin_penalty = by_group([params.origin_penalty[s] for s in SEGMENTS])
        self.cache_pricing = cache_pricing
        self.labs = labs
        self.scale = params.product_nest_scale
        self.price_weight = by_group([params.price_weight[s] for s in SEGMENTS])
        work_scale = {
            "general": params.product_quality_scale,
            "programming": params.programming_product_quality_scale,
        }
        self.quality_weight = (
            params.quality_weight
            * by_group([params.quality_scale[s] for s in SEGMENTS])
            * np.tile([work_scale[w] for w in WORK], len(SEGMENTS))
        )
        self.latency_weight = params.latency_weight
        self.free_previews = free_previews
        self.free_share = by_group([params.free_share[s] for s in SEGMENTS])
        self.free = np.zeros((GROUPS, labs))
        size = len(lineup)
        self.on_sale = np.zeros(size, dtype=bool)
        self.share = np.zeros((GROUPS, size))
        self.value = np.full((GROUPS, labs), -np.inf)
        self.price = np.full(size, np.nan)
        self.billed = np.ones(size)
        self.best = np.full(labs, -1)

    def open_month(self, month: int) -> None:
        """Products launch (at their list price) and retire; free variants and cache prices change.

        The within-lab choice follows.
        """
        lineup = self.lineup
        self.free = self.free_share[:, None] * self.free_previews.offering(month)[None, :]
        self.on_sale = lineup.on_sale(month)
        launched = self.on_sale & np.isnan(self.price)
        self.price[launched] = lineup.launch_price[launched]
        self.billed = self.cache_pricing.billed_share(month, lineup.lab, lineup.input_share)
        self.best = lineup.best_on_sale(self.on_sale, self.labs)
        self._update_choice()

    def _update_choice(self) -> None:
        """Within-lab utilities, shares and inclusive values at the current prices."""
        lineup, on_sale, price = self.lineup, self.on_sale, self.billed_price
        sold = np.flatnonzero(on_sale)
        anchor = self.best[lineup.lab[sold]]
        within = np.full((GROUPS, len(lineup)), -np.inf)
        within[:, sold] = (
            -self.price_weight[:, None] * np.log(price[sold] / price[anchor])[None, :]
            + self.quality_weight[:, None]
            * np.log(lineup.aa_index[sold] / lineup.aa_index[anchor])[None, :]
            + self.latency_weight * np.log(lineup.speed[sold] / lineup.speed[anchor])
        )
        if self.hosted_cn.any():
            within[:, sold] -= self.origin_penalty[:, None] * self.hosted_cn[sold][None, :]
        scaled = within / self.scale  # the best product scores 0, so no overflow
        weight = np.exp(scaled)
        total = self._by_lab(weight)
        with np.errstate(divide="ignore"):
            self.value = self.scale * np.log(total) - self.price_weight[:, None] * np.log1p(
                -self.free
            )
        self.share = np.divide(
            weight,
            total[:, lineup.lab],
            out=np.zeros_like(weight),
            where=total[:, lineup.lab] > 0,
        )

    def _by_lab(self, values: np.ndarray) -> np.ndarray:
        """(G, P) sums of (G, K) ``values`` over each lab's products, in product order."""
        lab = self.lineup.lab
        return np.array([np.bincount(lab, weights=row, minlength=self.labs) for row in values])

    @property
    def lab_on_sale(self) -> np.ndarray:
        """(P,) bool: the lab has at least one product on sale."""
        return np.isfinite(self.value[0])

    @property
    def billed_price(self) -> np.ndarray:
        """(K,) USD per million tokens billed this month: list price less the cache discount.

        NaN for a product until it first goes on sale.
        """
        return self.price * self.billed

    def lab_price(self) -> np.ndarray:
        """(P,) billed price of each lab's best product on sale: the lab's price in the utility.

        NaN for a lab with nothing on sale.
        """
        best = self.best
        return np.where(best >= 0, self.billed_price[best], np.nan)

    def group_price(self) -> np.ndarray:
        """(G, P) USD per million tokens a buyer group is billed on average at each lab.

        NaN at a lab with nothing on sale.
        """
        return np.where(self.lab_on_sale[None, :], self._mean(self.billed_price), np.nan)

    def _mean(self, prices: np.ndarray) -> np.ndarray:
        """(G, P) the mean of (K,) ``prices`` over the products each group buys at each lab.

        0 at a lab with nothing on sale (its shares are 0).
        """
        priced = np.where(self.on_sale, prices, 0.0)
        return self._by_lab(self.share * priced[None, :])

    def group_paid(self) -> np.ndarray:
        """(G, P) USD per million tokens a buyer group pays on average at each lab.

        Its free tokens count at nothing.
        """
        return self.group_price() * (1.0 - self.free)

    def average_price(self, tokens: np.ndarray) -> np.ndarray:
        """(P,) mean list price of each lab's products at its (G, P) token mix by buyer group.

        A lab with products on sale but no tokens takes their plain mean (a lab that has just
        launched); a lab with nothing on sale, NaN.
        """
        volume = tokens.sum(axis=0)
        paid = (self._mean(self.price) * tokens).sum(axis=0)
        sold = self.on_sale
        count = np.bincount(self.lineup.lab[sold], minlength=self.labs)
        total = np.bincount(self.lineup.lab[sold], weights=self.price[sold], minlength=self.labs)
        with np.errstate(invalid="ignore", divide="ignore"):
            plain = np.where(count > 0, total / count, np.nan)
            return np.where(volume > 0, paid / volume, plain)

    def reprice(self, factor: np.ndarray) -> None:
        """Multiply the prices of each lab's products on sale by its (P,) ``factor``."""
        self.price[self.on_sale] *= factor[self.lineup.lab[self.on_sale]]
        self._update_choice()

    def share_of(self, products: np.ndarray) -> np.ndarray:
        """(G, P) share of each group's tokens at each lab that go to the (K,) bool ``products``."""
        return self._by_lab(self.share * products[None, :])

    def product_tokens(self, served: np.ndarray) -> np.ndarray:
        """(K,) tokens per month each product served, from (G, P) tokens served by group."""
        return (served[:, self.lineup.lab] * self.share).sum(axis=0)

    def product_spend(self, served: np.ndarray) -> np.ndarray:
        """(K,) USD per month paid for each product, from (G, P) tokens served by group.

        Free tokens are paid nothing, the rest at the billed price; NaN for a product never on
        sale.
        """
        paid_tokens = served * (1.0 - self.free)
        # tokens x price first, then the discount: the order the stored spend was computed in
        return self.product_tokens(paid_tokens) * self.price * self.billed / 1e6


def by_group(by_segment: list[float]) -> np.ndarray:
    """(G,) a value per segment, repeated for each kind of work: the buyer groups' order."""
    return np.repeat(np.array(by_segment, dtype=float), len(WORK))
