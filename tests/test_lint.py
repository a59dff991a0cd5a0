"""The tree passes ruff's lint rules and is formatted as ``ruff format`` would write it.

Part of the README's test command, so a contribution that does not lint or is not formatted fails
the suite the same way a broken behaviour does. The rules are in pyproject.toml ([tool.ruff]).
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=" ".join)
def test_ruff_finds_nothing_to_change(command: list[str]) -> None:
    """``ruff check`` reports no finding and ``ruff format --check`` would change no file."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, "--no-cache", str(ROOT)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
