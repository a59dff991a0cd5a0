"""Shared fixtures: small, seeded models so the suite stays fast and deterministic.

Also the suite's one rule about skips: a skip says what is missing and how to install it, and
under CI (``CI=true``) a skip is a failure, since CI must run every test.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import backends
import postgres_server
import pytest

from simulator.model import TokenMarket


@pytest.fixture
def small_model() -> TokenMarket:
    """A 1,000-developer model with the default roster, seeded, not yet stepped."""
    return TokenMarket(developers=1_000, steps=12, seed=3)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """The PostgreSQL test server's admin URL, started only when a test needs it.

    ``$SIM_TEST_POSTGRES_URL`` when set; else a throwaway server of the suite's own, from the
    installed binaries (``tests/postgres_server.py``); else a skip saying what to install.
    """
    url = os.environ.get(backends.POSTGRES_ENV)
    if url:
        yield url
        return
    problem = postgres_server.missing()
    if problem is not None:
        pytest.skip(
            f"PostgreSQL backend: {problem}, or set {backends.POSTGRES_ENV} "
            "to a running server's admin URL"
        )
    with postgres_server.throwaway_server() as url:
        yield url


def _admin_url(request: pytest.FixtureRequest, name: str) -> str | None:
    """The test server's admin URL for a PostgreSQL backend (None for SQLite)."""
    return request.getfixturevalue("postgres_admin_url") if name == "postgresql" else None


@pytest.fixture(params=backends.NAMES)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[backends.Backend]:
    """A fresh run database, once on SQLite and once on PostgreSQL (see ``tests/backends.py``)."""
    admin_url = _admin_url(request, request.param)
    with backends.fresh_backend(request.param, tmp_path, admin_url) as fresh:
        yield fresh


@pytest.fixture
def postgres(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[backends.Backend]:
    """A fresh PostgreSQL database only, for what only a server has (passwords, connections)."""
    admin_url = _admin_url(request, "postgresql")
    with backends.fresh_backend("postgresql", tmp_path, admin_url) as fresh:
        yield fresh


@pytest.fixture(scope="module", params=backends.NAMES)
def module_backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[backends.Backend]:
    """A fresh run database shared by a module's tests, once per backend.

    For a store that is built once and then only read.
    """
    folder = tmp_path_factory.mktemp(request.param)
    admin_url = _admin_url(request, request.param)
    with backends.fresh_backend(request.param, folder, admin_url) as fresh:
        yield fresh


def _fail_skip_under_ci(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip into a failure under CI, which must run every test; keep its reason."""
    if os.environ.get("CI") != "true" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under CI, which must run every test: {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport:
    """Skipped tests fail under CI."""
    report = yield
    _fail_skip_under_ci(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> pytest.CollectReport:
    """Skipped modules fail under CI."""
    report = yield
    _fail_skip_under_ci(report)
    return report
