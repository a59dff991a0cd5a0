"""The choice within a lab: which of its products a developer's tokens go to.

Developers choose a lab, then a product of it: a nested logit. Within lab j, product k's
utility for a developer of segment s differs from the lab's by terms that compare the product
with the lab's best product on sale (the most capable one), from the catalogue's ratios::

    w[s, k] = - price_weight[s] * log(list_price[k] / list_price[best])
              + quality_weight * quality_scale[s] * log(aa_index[k] / aa_index[best])
              + latency_weight * log(speed[k] / speed[best])

(a response takes time inversely to the output speed, so the latency weight carries over). The
tokens of segment s at lab j split over its products as ``softmax(w[s, k] / scale)``, and the
lab is worth ``scale * log(sum_k exp(w[s, k] / scale))`` more to the segment than its best
product alone: the inclusive value, which enters the lab's utility. The developer kernel so
still chooses among P labs, however many products are on sale; the products add an (S, K)
computation a month.

The lab sets the level of its prices (cost-plus on its average cost, :mod:`agents.provider`)
and the catalogue their ladder: product k sells at ``lab_price * ratio[k] / mean_ratio[j]``,
where ``mean_ratio[j]`` is the token-weighted mean list-price ratio of the lab's sales in the
previous step, so that the lab's average price per token stays its price level.
"""

import numpy as np

from agents.products import ProductLineup
from simulator.scenario import ChoiceParams
from vocabulary.regions import SEGMENTS


class ProductNest:
    """The products on sale in a run, and how each segment's tokens at a lab split over them.

    Args:
        lineup: the run's products.
        labs: the number of providers P.
        params: the scenario's choice section (weights, nest scale).

    Attributes:
        on_sale: (K,) bool, products on sale this month.
        share: (S, K) share of a segment's tokens at a product's lab that go to the product.
        value: (S, P) inclusive value of each lab for each segment; -inf with nothing on sale.
        ratio: (K,) list price relative to the lab's best product on sale.
        mean_ratio: (P,) token-weighted mean of ``ratio`` over the lab's last sales.
    """

    def __init__(self, lineup: ProductLineup, labs: int, params: ChoiceParams) -> None:
        self.lineup = lineup
        self.labs = labs
        self.scale = params.product_nest_scale
        self.price_weight = np.array([params.price_weight[s] for s in SEGMENTS])
        self.quality_weight = params.quality_weight * np.array(
            [params.quality_scale[s] for s in SEGMENTS]
        )
        self.latency_weight = params.latency_weight
        size = len(lineup)
        self.on_sale = np.zeros(size, dtype=bool)
        self.share = np.zeros((len(SEGMENTS), size))
        self.value = np.full((len(SEGMENTS), labs), -np.inf)
        self.ratio = np.ones(size)
        self.mean_ratio = np.ones(labs)

    def open_month(self, month: int) -> None:
        """Products launch and retire; the within-lab utilities, shares and values follow."""
        lineup = self.lineup
        on_sale = lineup.on_sale(month)
        price = lineup.list_price(month)
        best = _best_on_sale(lineup, on_sale, self.labs)
        sold = np.flatnonzero(on_sale)
        anchor = best[lineup.lab[sold]]
        ratio = np.ones(len(lineup))
        ratio[sold] = price[sold] / price[anchor]
        within = np.full((len(SEGMENTS), len(lineup)), -np.inf)
        within[:, sold] = (
            -self.price_weight[:, None] * np.log(ratio[sold])[None, :]
            + self.quality_weight[:, None]
            * np.log(lineup.aa_index[sold] / lineup.aa_index[anchor])[None, :]
            + self.latency_weight * np.log(lineup.speed[sold] / lineup.speed[anchor])
        )
        scaled = within / self.scale  # the best product scores 0, so no overflow
        weight = np.exp(scaled)
        total = np.zeros((len(SEGMENTS), self.labs))
        np.add.at(total.T, lineup.lab, weight.T)
        with np.errstate(divide="ignore"):
            self.value = self.scale * np.log(total)
        self.share = np.divide(
            weight,
            total[:, lineup.lab],
            out=np.zeros_like(weight),
            where=total[:, lineup.lab] > 0,
        )
        self.on_sale, self.ratio = on_sale, ratio

    @property
    def lab_on_sale(self) -> np.ndarray:
        """(P,) bool: the lab has at least one product on sale."""
        return np.isfinite(self.value[0])

    def mix(self) -> np.ndarray:
        """(S, P) mean list-price ratio of what each segment buys at each lab."""
        mix = np.zeros((len(SEGMENTS), self.labs))
        np.add.at(mix.T, self.lineup.lab, (self.share * self.ratio[None, :]).T)
        return np.where(self.lab_on_sale[None, :], mix, 1.0)

    def segment_price(self, lab_price: np.ndarray) -> np.ndarray:
        """(S, P) USD per million tokens a segment pays on average at each lab."""
        return lab_price[None, :] * self.mix() / self.mean_ratio[None, :]

    def product_value(self) -> np.ndarray:
        """(S, P) what the lab's products add to its utility for each segment.

        The inclusive value, plus the price term of the lab's price level against the price of
        its best product: ``price_weight * log(mean_ratio)``.
        """
        return self.value + self.price_weight[:, None] * np.log(self.mean_ratio)[None, :]

    def product_price(self, lab_price: np.ndarray) -> np.ndarray:
        """(K,) USD per million tokens of each product at the labs' price levels."""
        lab = self.lineup.lab
        return lab_price[lab] * self.ratio / self.mean_ratio[lab]

    def product_tokens(self, served: np.ndarray) -> np.ndarray:
        """(K,) tokens per month each product served, from (S, P) tokens served by segment."""
        return (served[:, self.lineup.lab] * self.share).sum(axis=0)

    def settle(self, served: np.ndarray) -> None:
        """Update each lab's mean price ratio from this step's (S, P) tokens by segment."""
        volume = served.sum(axis=0)
        weighted = (served * self.mix()).sum(axis=0)
        self.mean_ratio = np.divide(weighted, volume, out=self.mean_ratio.copy(), where=volume > 0)


def _best_on_sale(lineup: ProductLineup, on_sale: np.ndarray, labs: int) -> np.ndarray:
    """(P,) index of each lab's most capable product on sale (its first product if none)."""
    best = np.zeros(labs, dtype=np.int64)
    for lab in range(labs):
        own = np.flatnonzero((lineup.lab == lab) & on_sale)
        if own.size == 0:
            own = np.flatnonzero(lineup.lab == lab)
        if own.size:
            best[lab] = own[np.argmax(lineup.aa_index[own])]
    return best
