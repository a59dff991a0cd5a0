"""The README's "Using it from Python" block runs as a script, as it is, and stores each run once.

Saved as ``script.py`` in an empty folder and run with ``python script.py`` (``$SIM_DB`` a SQLite
file there), the block must exit 0 though it has no ``if __name__ == "__main__":`` guard: its
sweep and validation start worker processes after it simulated in-process, so the workers are
spawned, and spawned workers that imported the script again would run it again (storing its
runs twice, then breaking the pool). The block is run exactly as the README prints it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from interfaces import api

README = Path(__file__).parent.parent / "README.md"
SECTION = "## Using it from Python"

RUNS_ASKED_FOR = 2 + 3 * 3 + 5 + 1
"""The runs the block stores: two ``api.run`` calls, the sweep's three points by three seeds,
five validation seeds and one replay."""


def readme_python_block() -> str:
    """The one ```python block of the README's section "Using it from Python"."""
    section = README.read_text().split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, re.DOTALL | re.MULTILINE)
    assert len(blocks) == 1, f"expected one python block under {SECTION!r}"
    return blocks[0]


def test_the_readme_python_block_runs_as_a_script_storing_each_run_once(tmp_path: Path) -> None:
    """Exit status 0; every run finished, none stored twice, as many as the block asks for."""
    (tmp_path / "script.py").write_text(readme_python_block())
    db = tmp_path / "runs.db"
    done = subprocess.run(
        [sys.executable, "script.py"],
        cwd=tmp_path,
        env={**os.environ, "SIM_DB": str(db)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    runs = api.open_store(str(db), existing=True).runs()
    assert set(runs["status"]) == {"finished"}, runs[["name", "status", "error"]]
    same = runs[["name", "seed"]].assign(policies=runs["policies"].astype(str))
    assert not same.duplicated().any(), runs[same.duplicated(keep=False)][["name", "seed"]]
    assert len(runs) == RUNS_ASKED_FOR, runs[["name", "seed"]]
    assert (tmp_path / "exports").is_dir()  # the block's export wrote into its own folder
