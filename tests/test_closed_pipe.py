"""Output into a pipe whose reader has gone (``sim policies | head -1``) ends quietly.

As a Unix tool does: no message (it was "unexpected BrokenPipeError ... (a bug)"), and the
status of a process that SIGPIPE ended, 141, so that a script can still tell it stopped early.
"""

import subprocess
from pathlib import Path

import pytest
from test_bad_input import SIM

SMALL = ("--developers", "200", "--steps", "2")


def _reader_gone_at_once(*args: str, cwd: Path) -> tuple[int, str]:
    """Run ``sim ARGS`` with its output into a pipe closed before it writes: status, stderr."""
    process = subprocess.Popen(
        [*SIM, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd
    )
    process.stdout.close()  # before the command has imported anything, let alone printed
    stderr = process.stderr.read()
    return process.wait(timeout=300), stderr


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding ``runs.db`` with two runs."""
    folder = tmp_path_factory.mktemp("pipe")
    for seed in ("1", "2"):
        done = subprocess.run(
            [*SIM, "run", *SMALL, "--seed", seed, "--db", "runs.db"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=folder,
        )
        assert done.returncode == 0, done.stderr
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["policies"],  # a Rich table
        ["policies", "--json"],  # click.echo
        ["runs", "show", "2"],
        ["runs", "list"],
        ["scenario", "show", "baseline"],
    ],
    ids=" ".join,
)
def test_a_closed_pipe_ends_the_command_quietly(args: list[str], store: Path) -> None:
    """Exit status 141 and nothing on standard error; nothing stored changes."""
    before = (store / "runs.db").read_bytes()
    status, stderr = _reader_gone_at_once(*args, cwd=store)
    assert (status, stderr) == (141, "")
    assert (store / "runs.db").read_bytes() == before
