"""The vectorised choice kernel must make exactly the choices of the per-developer rule."""

import numpy as np
import pytest

from simulator.market import (
    UtilityTerms, cell_utility, choose, choose_reference, neighbour_shares, stay_bonus,
)
from simulator.model import TokenMarket
from simulator.regions import JURISDICTIONS


def _kernel_choices(model: TokenMarket, rows: np.ndarray, gumbel: np.ndarray,
                    barred: np.ndarray | None) -> np.ndarray:
    dev = model.developers
    terms = model.utility_terms()
    shares = neighbour_shares(dev.adjacency, dev.provider, len(model.providers))[rows]
    bonus = stay_bonus(terms, dev.segment[rows], dev.tenure[rows], dev.provider[rows])
    return choose(cell_utility(terms), dev.cell[rows], dev.provider[rows], bonus, shares,
                  terms.social_weight, gumbel, barred)


def _reference_choices(model: TokenMarket, rows: np.ndarray, gumbel: np.ndarray,
                       barred: np.ndarray | None) -> np.ndarray:
    dev = model.developers
    return choose_reference(model.utility_terms(), dev.region, dev.segment, dev.provider,
                            dev.tenure, dev.adjacency, dev.provider, rows, gumbel, barred)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_choice_equals_reference_rule(seed: int) -> None:
    """Same draws, same choices, for every developer, after the market has moved a few months."""
    model = TokenMarket(developers=2_000, steps=12, seed=seed)
    model.run(5)
    rng = np.random.default_rng(seed)
    rows = np.arange(model.developers.size)
    gumbel = rng.gumbel(size=(rows.size, len(model.providers)))
    fast = _kernel_choices(model, rows, gumbel, None)
    slow = _reference_choices(model, rows, gumbel, None)
    np.testing.assert_array_equal(fast, slow)
    assert len(np.unique(fast)) > 3, "the check is only meaningful if choices vary"


def test_vectorised_choice_equals_reference_rule_with_barred_providers() -> None:
    """API restrictions (barred providers) are applied identically by both implementations."""
    model = TokenMarket(developers=1_500, steps=6, seed=9, policies="api_restriction")
    model.run(2)
    constraints = model.policy_engine.constraints_at(model.month)
    rows = np.arange(model.developers.size)
    barred = model.barred_mask(constraints, rows)
    assert barred is not None and barred.any()
    gumbel = np.random.default_rng(4).gumbel(size=(rows.size, len(model.providers)))
    np.testing.assert_array_equal(_kernel_choices(model, rows, gumbel, barred),
                                  _reference_choices(model, rows, gumbel, barred))


def test_neighbour_shares_are_shares_of_neighbours() -> None:
    """Each developer's neighbour shares sum to one and count its neighbours' providers."""
    model = TokenMarket(developers=500, steps=2, seed=5)
    dev = model.developers
    shares = neighbour_shares(dev.adjacency, dev.provider, len(model.providers))
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    d = 17
    neighbours = dev.adjacency.indices[dev.adjacency.indptr[d]:dev.adjacency.indptr[d + 1]]
    expected = np.bincount(dev.provider[neighbours], minlength=len(model.providers)) / len(neighbours)
    np.testing.assert_allclose(shares[d], expected)


def test_developers_never_pick_a_provider_that_does_not_serve_them() -> None:
    """Chinese developers cannot buy from US labs that do not sell in China, whatever the shocks."""
    model = TokenMarket(developers=2_000, steps=6, seed=11)
    model.run()
    dev = model.developers
    serves = model.utility_terms().serves
    assert serves[dev.region, dev.provider].all()


def _terms(price: np.ndarray) -> UtilityTerms:
    providers = len(price)
    return UtilityTerms(
        price=price, quality=np.full(providers, 0.8), provider_latency=np.full(providers, 0.8),
        network_latency=np.zeros((4, len(JURISDICTIONS))), jurisdiction=np.zeros(providers, int),
        open_weights=np.zeros(providers, bool), serves=np.ones((4, providers), bool),
        distrust=np.zeros((4, len(JURISDICTIONS))), price_weight=np.ones(4),
        security_penalty=np.zeros(4), open_factor=1.0, quality_weight=1.0, latency_weight=1.0,
        social_weight=0.0, switching_cost=np.zeros(4), lock_in_open=0.0, lock_in_closed=0.0)


def test_cheaper_provider_wins_more_developers() -> None:
    """With everything else equal, the logit sends more developers to the cheaper provider."""
    terms = _terms(np.array([1.0, 2.0]))
    n = 20_000
    rng = np.random.default_rng(0)
    cells = np.zeros(n, dtype=np.int64)
    picks = choose(cell_utility(terms), cells, np.zeros(n, dtype=np.int64), np.zeros(n),
                   np.zeros((n, 2)), 0.0, rng.gumbel(size=(n, 2)))
    share_cheap = (picks == 0).mean()
    # logit: 1 / (1 + 2 ** -1) = 2/3 at price weight 1
    assert share_cheap == pytest.approx(2 / 3, abs=0.015)
