"""A store this process may not write (a read-only mount, another user's file) is still read.

SQLite wants to write beside a database even to read it (its write-ahead log and shared
memory), so a read-only file or folder used to fail every command: "unable to open database
file", or "attempt to write a readonly database", and ``sim db check`` advised restoring from
a backup. Such a store is now opened read-only: the commands that only read work, and those
that write say in one line that the store is read-only, changing nothing.

The commands run in real processes. CI runs as root, whom file modes do not stop, so there
they run under ``setpriv`` with root's powers over files dropped, which is what a read-only
mount or another user's folder means for everyone else.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_bad_input import SIM

SMALL = ("--developers", "200", "--steps", "2")
READERS = [
    ["runs", "list"],
    ["runs", "list", "--json"],
    ["runs", "show", "1"],
    ["runs", "compare", "1", "2"],
    ["sweep", "list"],
    ["db", "check"],
]
WRITERS = [
    ["run", *SMALL],
    ["runs", "delete", "1", "--yes"],
    ["db", "upgrade"],
    ["replay", "1"],
]


def _unprivileged() -> list[str]:
    """The command prefix that makes file modes apply to this process's children, even root's."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip(
            "running as root without setpriv to drop root's powers "
            "(install it: apt-get install util-linux)"
        )
    caps = "-dac_override,-dac_read_search,-fowner"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def _sim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_unprivileged(), *SIM, *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


@pytest.fixture(scope="module")
def read_only_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A store of two runs, in a folder and a file no one may write (made so after the runs)."""
    folder = tmp_path_factory.mktemp("read_only")
    db = folder / "store" / "runs.db"
    db.parent.mkdir()
    for seed in ("1", "2"):
        done = subprocess.run(
            [*SIM, "run", *SMALL, "--seed", seed, "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    db.chmod(0o444)
    db.parent.chmod(0o555)
    yield db
    db.parent.chmod(0o755)


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_reading_a_read_only_store_works(args: list[str], read_only_store: Path) -> None:
    """Listing, showing, comparing and checking need no write, and change nothing."""
    before = read_only_store.read_bytes()
    done = _sim(*args, "--db", str(read_only_store), cwd=read_only_store.parent.parent)
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr
    assert read_only_store.read_bytes() == before
    assert [path.name for path in read_only_store.parent.iterdir()] == ["runs.db"]


def test_a_read_only_store_exports_to_a_writable_folder(
    read_only_store: Path, tmp_path: Path
) -> None:
    """Exporting reads the store and writes elsewhere: it works."""
    out = tmp_path / "exported"
    tmp_path.chmod(0o777)  # the unprivileged process writes here
    done = _sim(
        "runs", "export", "1", "--out", str(out), "--db", str(read_only_store), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert (out / "run-1.json").exists()


@pytest.mark.parametrize("args", WRITERS, ids=" ".join)
def test_writing_a_read_only_store_is_one_line(args: list[str], read_only_store: Path) -> None:
    """A command that writes says the store is read-only, and why; exit 2, nothing changed."""
    before = read_only_store.read_bytes()
    done = _sim(*args, "--db", str(read_only_store), cwd=read_only_store.parent.parent)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    folder = read_only_store.parent
    assert lines == [
        f"Error: database sqlite:///{read_only_store} is read-only here (folder {folder} is "
        "not writable): commands that only read it work, this one writes to it"
    ]
    assert read_only_store.read_bytes() == before
    assert [path.name for path in folder.iterdir()] == ["runs.db"]
