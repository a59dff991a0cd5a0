"""Benchmark: whole `sim run`s end to end (network, model, storage), wall time and peak memory.

Each run is a fresh `sim run --json` process of the default 48 monthly steps, writing to a new
SQLite file; the peak memory is the one the run itself reports. Prints a table and a JSON line::

    python benchmarks/full_run.py [--sizes 10000 100000 1000000] [--providers 24]
"""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from scenarios import write_widened_scenario  # noqa: E402


def run_once(developers: int, scenario: Path | None, folder: Path) -> dict:
    """One `sim run` in a subprocess: wall time, peak memory, status."""
    command = [
        sys.executable,
        "-c",
        "from interfaces.cli import main; main()",
        "run",
        "--developers",
        str(developers),
        "--seed",
        "1",
        "--json",
        "--db",
        str(folder / f"run_{developers}.db"),
    ]
    if scenario:
        command += ["--scenario", str(scenario)]
    start = time.perf_counter()
    finished = subprocess.run(command, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    result = json.loads(finished.stdout)
    return {
        "developers": developers,
        "wall_seconds": wall,
        "steps": result["steps"],
        "peak_memory_mb": result["peak_memory_mb"],
        "status": result["status"],
    }


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument(
        "--providers",
        type=int,
        default=24,
        help="providers in the scenario (12 = the default roster)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        scenario = write_widened_scenario(args.providers, folder) if args.providers != 12 else None
        run_once(1_000, scenario, folder)  # warm the numba cache and the imports
        results = [run_once(n, scenario, folder) for n in args.sizes]
    print(
        f"sim run, 48 monthly steps, {args.providers} providers, SQLite; "
        f"{platform.machine()}, Python {platform.python_version()}"
    )
    print(f"{'developers':>12} {'wall s':>8} {'peak MiB':>9}")
    for row in results:
        print(
            f"{row['developers']:>12,} {row['wall_seconds']:>8.1f} {row['peak_memory_mb']:>9,.0f}"
        )
    print(json.dumps({"benchmark": "full_run", "providers": args.providers, "results": results}))


if __name__ == "__main__":
    main()
