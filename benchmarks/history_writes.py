"""Benchmark: per-developer history writes, rows per second, SQLite and PostgreSQL.

Writes one step of N developer rows at a time through the store's bulk path (SQLite executemany
on tuples, PostgreSQL COPY), each step in its own transaction as in a run. PostgreSQL is
measured when SIM_TEST_POSTGRES_URL names a server (run under .ci/with-postgres). Prints a table
and one JSON line::

    .ci/with-postgres .venv/bin/python benchmarks/history_writes.py [--rows 1000000] [--steps 5]
"""

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import psycopg
from psycopg import sql

from runs.developer_history import write_developer_rows
from runs.store import RunDescription, RunStore


def measure(url: str, rows: int, steps: int) -> float:
    """Rows per second writing ``steps`` steps of ``rows`` developer rows into a fresh run."""
    store = RunStore(url)
    run_id = store.start_run(
        RunDescription(name="bench", seed=1, steps=steps, scenario={}, policies=[], versions={})
    )
    rng = np.random.default_rng(1)
    ids = np.arange(rows)
    providers = rng.integers(0, 20, rows)
    tokens = rng.lognormal(20, 1, rows)
    start = time.perf_counter()
    for step in range(steps):
        with store.writer.begin() as connection:
            write_developer_rows(connection, run_id, step, ids, providers, tokens)
    return rows * steps / (time.perf_counter() - start)


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="developer rows per step")
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = measure(str(Path(folder) / "bench.db"), args.rows, args.steps)
    admin = os.environ.get("SIM_TEST_POSTGRES_URL")
    if admin:
        name = f"sim_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            results["postgresql"] = measure(
                urlsplit(admin)._replace(path=f"/{name}").geturl(), args.rows, args.steps
            )
        finally:
            with psycopg.connect(admin, autocommit=True) as connection:
                connection.execute(
                    sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name))
                )
    print(f"developer history writes, {args.rows:,} rows per step, {args.steps} steps")
    print(f"{'backend':>12} {'rows/s':>12}")
    for backend, rate in results.items():
        print(f"{backend:>12} {rate:>12,.0f}")
    print(
        json.dumps(
            {"benchmark": "history_writes", "rows_per_step": args.rows, "rows_per_s": results}
        )
    )


if __name__ == "__main__":
    main()
