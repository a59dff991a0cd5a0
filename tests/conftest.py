"""Shared fixtures: small, seeded models so the suite stays fast and deterministic."""

from collections.abc import Iterator
from pathlib import Path

import backends
import pytest

from simulator.model import TokenMarket


@pytest.fixture
def small_model() -> TokenMarket:
    """A 1,000-developer model with the default roster, seeded, not yet stepped."""
    return TokenMarket(developers=1_000, steps=12, seed=3)


@pytest.fixture(params=backends.NAMES)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[backends.Backend]:
    """A fresh run database, once on SQLite and once on PostgreSQL (see ``tests/backends.py``)."""
    with backends.fresh_backend(request.param, tmp_path) as fresh:
        yield fresh


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[backends.Backend]:
    """A fresh PostgreSQL database only, for what only a server has (passwords, connections)."""
    with backends.fresh_backend("postgresql", tmp_path) as fresh:
        yield fresh


@pytest.fixture(scope="module", params=backends.NAMES)
def module_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[backends.Backend]:
    """A fresh run database shared by a module's tests, once per backend.

    For a store that is built once and then only read.
    """
    folder = tmp_path_factory.mktemp(request.param)
    with backends.fresh_backend(request.param, folder) as fresh:
        yield fresh
