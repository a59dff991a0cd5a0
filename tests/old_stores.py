"""Stores as older versions of the package left them, built for the migration tests."""

from alembic import command
from backends import Backend
from sqlalchemy import create_engine

from runs.migrate import alembic_config
from runs.store import resolve_url

# One run as schema version 1 stored it (the first in its store, so run 1): two months, two
# providers, one policy event.
VERSION_1_ROWS = (
    "INSERT INTO runs (name, status, created_at, finished_at, seed, steps_planned, "
    "steps_done, scenario, policies, versions, digest, error, host, pid) VALUES ('old run', "
    "'finished', '2025-03-01 10:00:00', '2025-03-01 10:05:00', '42', 2, 2, "
    '\'{"name": "default"}\', \'[{"name": "export_ban"}]\', \'{"package": "0.1.0"}\', '
    "'ab12', NULL, 'lab-pc', 4242)",
    "INSERT INTO market_steps (run_id, step, month, tokens_total, cn_share, price_cn) VALUES "
    "(1, 0, '2024-01', 1.5e12, 0.25, 0.4), (1, 1, '2024-02', 1.75e12, 0.3125, NULL)",
    *(
        f"INSERT INTO provider_steps (run_id, step, month, provider, jurisdiction, demand, served, "
        f"served_global, capacity, utilisation, price, markup, latency_s, revenue, energy_kwh, "
        f"profit, cash, capex, capability, efficiency, developers, share_global, compute_legal, "
        f"compute_domestic, compute_smuggled, compute_remote) VALUES (1, {step}, '2024-0{step + 1}', "
        f"'{name}', '{jurisdiction}', 1e11, 9e10, 5e10, 1e11, 0.9, 0.5, 1.2, 1.1, 45000.0, 2e6, "
        f"1000.0, 1e9, 1e8, 0.8, 1.0, 300, 0.5, 100.0, 20.0, 5.0, 0.0)"
        for step in (0, 1)
        for name, jurisdiction in (("DeepSeek", "CN"), ("OpenAI", "US"))
    ),
    "INSERT INTO segment_steps (run_id, step, month, region, segment, provider, developers, "
    "tokens, demand) VALUES (1, 0, '2024-01', 'CN', 'indie', 'DeepSeek', 120, 3e9, 3.5e9)",
    "INSERT INTO policy_events (run_id, step, month, policy, status) VALUES "
    "(1, 0, '2024-01', 'export_ban', 'on: tier 1')",
)


def migrate(backend: Backend, revision: str) -> None:
    """Bring the backend's database to ``revision`` with Alembic alone, as a release would.

    A SQLite file made here keeps SQLite's default rollback journal, not the WAL mode the store
    switches on: harder on processes that share it, which the concurrency tests want.
    """
    engine = create_engine(resolve_url(backend.url))
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        engine.dispose()
