"""Shared fixtures: small, seeded models so the suite stays fast and deterministic."""

import pytest

from simulator.model import TokenMarket


@pytest.fixture
def small_model() -> TokenMarket:
    """A 1,000-developer model with the default roster, seeded, not yet stepped."""
    return TokenMarket(developers=1_000, steps=12, seed=3)
