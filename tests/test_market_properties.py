"""Invariants of the market kernel and the model, for random valid inputs (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from simulator.clearing import clear
from simulator.model import TokenMarket

demand_arrays = arrays(
    np.float64,
    st.integers(1, 200),
    elements=st.floats(0, 1e12, allow_nan=False, allow_infinity=False),
)


@given(demand=demand_arrays, data=st.data())
def test_clearing_conserves_tokens_and_respects_capacity(demand: np.ndarray, data) -> None:
    """Served never exceeds capacity or demand; served + unserved equals demand.

    Both hold per provider and summed over developers; queueing never makes latency shorter.
    """
    providers = data.draw(st.integers(1, 12))
    choices = data.draw(arrays(np.int64, demand.size, elements=st.integers(0, providers - 1)))
    capacity = data.draw(
        arrays(np.float64, providers, elements=st.floats(0, 1e13, allow_nan=False))
    )
    result = clear(demand, choices, capacity, planned_utilisation=0.7)
    assert np.all(result.served <= capacity * (1 + 1e-12))
    assert np.all(result.served <= result.demand * (1 + 1e-12))
    assert np.all((result.fill >= 0) & (result.fill <= 1))
    assert np.all(result.congestion >= 1)
    np.testing.assert_allclose(
        result.developer_served.sum(), result.served.sum(), rtol=1e-9, atol=1e-3
    )
    np.testing.assert_allclose(result.demand.sum(), demand.sum(), rtol=1e-9, atol=1e-3)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    leakage=st.floats(0, 1),
    enforcement=st.floats(0, 1),
    social=st.floats(0, 4),
    elasticity=st.floats(-1.5, 0),
)
def test_model_invariants_hold_for_random_parameters(
    seed: int, leakage: float, enforcement: float, social: float, elasticity: float
) -> None:
    """Every step: shares in [0, 1] sum to one, no stock is negative, spending equals revenue.

    Also served stays within capacity.
    """
    model = TokenMarket(
        developers=400,
        steps=8,
        seed=seed,
        policies="export_ban,remote_access,smuggling",
        settings={
            "smuggling.leakage": leakage,
            "remote_access.enforcement": enforcement,
            "choice.social_weight": social,
            "demand.price_elasticity.indie": elasticity,
        },
    )
    while model.running:
        model.step()
        record = model.last_record
        shares = np.array([row["share_global"] for row in record.providers])
        assert np.all((shares >= 0) & (shares <= 1))
        assert abs(shares.sum() - 1.0) < 1e-9
        for share in ("cn_share", "cn_share_global", "cn_share_china"):
            assert 0.0 <= record.market[share] <= 1.0
        for provider in model.providers:
            assert np.all(provider.fleet >= 0) and provider.remote_units >= 0
            assert all(d.units >= 0 for d in provider.pipeline)
        for row in record.providers:
            assert row["served"] <= row["capacity"] * (1 + 1e-9)
        spending = sum(seg["spend_usd"] for seg in record.segments)
        revenue = sum(row["revenue"] for row in record.providers)
        np.testing.assert_allclose(spending, revenue, rtol=1e-9)
        served = {row["provider"]: row["served"] for row in record.providers}
        by_product = dict.fromkeys(served, 0.0)
        for product in record.products:
            assert product["tokens"] >= 0 and product["price"] > 0
            by_product[product["provider"]] += product["tokens"]
        for name, tokens in served.items():  # tokens conserved: a lab's products serve its tokens
            np.testing.assert_allclose(by_product[name], tokens, rtol=1e-9, atol=1e-6)
        product_spend = sum(product["spend_usd"] for product in record.products)
        np.testing.assert_allclose(product_spend, revenue, rtol=1e-9)
