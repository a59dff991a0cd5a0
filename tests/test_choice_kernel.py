"""The fused choice kernel must make exactly the choices of the per-developer rule."""

import dataclasses
import math

import numpy as np
import pytest
import scipy.sparse as sp

from simulator.choice import UtilityTerms, cell_utility, choose, choose_reference
from simulator.choice_kernel import Choosers, Neighbours
from simulator.choice_kernel import choose as choose_fused
from simulator.model import TokenMarket
from vocabulary.regions import GROUPS, JURISDICTIONS


def _kernel_choices(
    model: TokenMarket, rows: np.ndarray, uniform: np.ndarray, barred: np.ndarray | None
) -> np.ndarray:
    return choose(model.utility_terms(), model.developers, rows, uniform, barred)


def _reference_choices(
    model: TokenMarket, rows: np.ndarray, uniform: np.ndarray, barred: np.ndarray | None
) -> np.ndarray:
    return choose_reference(model.utility_terms(), model.developers, rows, uniform, barred)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_vectorised_choice_equals_reference_rule(seed: int) -> None:
    """Same draws, same choices, for every developer, after the market has moved a few months."""
    model = TokenMarket(developers=2_000, steps=12, seed=seed)
    model.run(5)
    rows = np.arange(model.developers.size)
    uniform = np.random.default_rng(seed).random(rows.size)
    fast = _kernel_choices(model, rows, uniform, None)
    slow = _reference_choices(model, rows, uniform, None)
    np.testing.assert_array_equal(fast, slow)
    assert len(np.unique(fast)) > 3, "the check is only meaningful if choices vary"


def test_vectorised_choice_equals_reference_rule_with_hosts_and_an_origin_penalty() -> None:
    """Hosts on sale and a penalty on Chinese-made models: the same choices both ways."""
    penalty = {"indie": 0.2, "startup": 0.5, "enterprise": 1.5, "government": 3.0}
    model = TokenMarket(
        developers=2_000,
        steps=30,
        seed=4,
        settings={"hosts": True, "choice.origin_penalty": penalty},
    )
    model.run(26)
    terms = model.utility_terms()
    assert terms.origin_penalty.any() and terms.chinese_made.any()
    rows = np.arange(model.developers.size)
    uniform = np.random.default_rng(4).random(rows.size)
    fast = _kernel_choices(model, rows, uniform, None)
    np.testing.assert_array_equal(fast, _reference_choices(model, rows, uniform, None))
    hosts = [i for i, p in enumerate(model.scenario.providers) if p.is_host]
    assert np.isin(fast, hosts).any(), "the check is only meaningful if some pick a host"


def test_vectorised_choice_equals_reference_rule_for_a_subset_with_barred_providers() -> None:
    """API restrictions (barred providers) and a subset of choosers are handled identically."""
    model = TokenMarket(developers=1_500, steps=6, seed=9, policies="api_restriction")
    model.run(2)
    constraints = model.policy_engine.constraints_at(model.month)
    rows = np.flatnonzero(np.random.default_rng(3).random(model.developers.size) < 0.5)
    barred = model.choice.barred_mask(constraints, model.developers, rows)
    assert barred is not None and barred.any()
    uniform = np.random.default_rng(4).random(rows.size)
    picks = _kernel_choices(model, rows, uniform, barred)
    np.testing.assert_array_equal(picks, _reference_choices(model, rows, uniform, barred))
    assert not barred[np.arange(rows.size), picks].any()


def test_developers_never_pick_a_provider_that_does_not_serve_them() -> None:
    """Chinese developers cannot buy from US labs that do not sell in China, whatever the draws."""
    model = TokenMarket(developers=2_000, steps=6, seed=11)
    model.run()
    dev = model.developers
    assert model.choice.serves[dev.region, dev.provider].all()


def _terms(price: np.ndarray) -> UtilityTerms:
    providers = len(price)
    return UtilityTerms(
        price=price,
        quality=np.full(providers, 0.8),
        provider_latency=np.full(providers, 0.8),
        network_latency=np.zeros((4, len(JURISDICTIONS))),
        jurisdiction=np.zeros(providers, int),
        open_weights=np.zeros(providers, bool),
        serves=np.ones((4, providers), bool),
        distrust=np.zeros((4, len(JURISDICTIONS))),
        product_value=np.zeros((GROUPS, providers)),
        programming_bonus=np.zeros(providers),
        quality_scale=np.ones(4),
        price_weight=np.ones(4),
        security_penalty=np.zeros(4),
        origin_penalty=np.zeros(4),
        chinese_made=np.zeros(providers, bool),
        quality_weight=1.0,
        latency_weight=1.0,
        social_weight=0.0,
        switching_cost=np.zeros(4),
        lock_in_open=0.0,
        lock_in_closed=0.0,
    )


def _picks_without_neighbours(terms: UtilityTerms, cells: np.ndarray, seed: int) -> np.ndarray:
    """The kernel's picks for developers in ``cells``, on provider 0, alone and unattached.

    No stay bonus and no neighbours: only the cells' utilities and the draws decide.
    """
    n = len(cells)
    nobody = np.zeros(n, dtype=np.int64)
    choosers = Choosers(
        rows=np.arange(n),
        cells=cells.astype(np.int64),
        current=nobody,
        stay_bonus=np.zeros(n),
        uniform=np.random.default_rng(seed).random(n),
    )
    return choose_fused(
        cell_utility(terms),
        choosers,
        Neighbours(adjacency=sp.csr_array((n, n)), providers=nobody, social_weight=0.0),
    )


def test_choice_probabilities_are_the_logit_ones() -> None:
    """With everything else equal, the cheaper provider wins its logit share.

    At price weight 1 and prices 1 and 2, that is two thirds of developers.
    """
    picks = _picks_without_neighbours(_terms(np.array([1.0, 2.0])), np.zeros(30_000, int), 0)
    assert (picks == 0).mean() == pytest.approx(2 / 3, abs=0.01)


def test_programming_work_prefers_the_lab_programmers_favour() -> None:
    """A programming bonus of 1 on lab 1 moves programmers, and only them, to e/(1+e) there.

    Cells are region x segment x work, work innermost: cell 0 is general work, cell 1
    programming, in the first region and segment.
    """
    terms = dataclasses.replace(_terms(np.array([1.0, 1.0])), programming_bonus=np.array([0, 1.0]))
    work = np.arange(40_000) % 2
    picks = _picks_without_neighbours(terms, work, 2)
    assert (picks[work == 1] == 1).mean() == pytest.approx(math.e / (1 + math.e), abs=0.01)
    assert (picks[work == 0] == 1).mean() == pytest.approx(0.5, abs=0.01)


def test_neighbours_pull_developers_towards_their_provider() -> None:
    """The social term: developers whose neighbours all use provider 1 pick it more often."""
    terms = _terms(np.array([1.0, 1.0]))
    n = 20_000
    ring = sp.csr_array(
        sp.diags_array([np.ones(n - 1), np.ones(n - 1)], offsets=[-1, 1], format="csr") / 2
    )
    everyone_on_1 = np.ones(n, dtype=np.int64)
    zeros = np.zeros(n, dtype=np.int64)
    choosers = Choosers(
        rows=np.arange(n),
        cells=zeros,
        current=zeros,
        stay_bonus=np.zeros(n),
        uniform=np.random.default_rng(1).random(n),
    )

    def picks(social_weight: float) -> np.ndarray:
        return choose_fused(
            cell_utility(terms),
            choosers,
            Neighbours(adjacency=ring, providers=everyone_on_1, social_weight=social_weight),
        )

    alone = picks(0.0)
    social = picks(2.0)
    assert (social == 1).mean() > (alone == 1).mean() + 0.3
