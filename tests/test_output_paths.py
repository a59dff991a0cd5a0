"""Output paths are checked before the work, and files are written whole or not at all.

A full disk met half-way through an export used to leave ``run-1.json`` and a truncated CSV
(and the next export refused "already exists"); ``sim calibrate --out nodir/c.toml`` ran every
trial and then failed as "a bug"; a dangling link in the export folder was written through.
Each now ends in one line, exit status 2, with nothing left behind.
"""

import errno
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.figure import Figure
from sim_cli import sim
from test_bad_input import assert_one_line_error


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding one small run."""
    db = tmp_path_factory.mktemp("store") / "runs.db"
    done = sim("run", "--developers", "200", "--steps", "2", "--db", str(db))
    assert done.exit_code == 0, done.output
    return str(db)


def _disk_fills_after(monkeypatch: pytest.MonkeyPatch, method: str, cls: type, files: int) -> None:
    """``cls.method`` writes ``files`` whole files, then half a file and hits a full disk."""
    write = getattr(cls, method)
    written = []

    def filling(self: object, path: Path, *args: object, **kwargs: object) -> object:
        if len(written) == files:
            Path(path).write_text("run_id,st")
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        return write(self, path, *args, **kwargs)

    monkeypatch.setattr(cls, method, filling)


def test_an_export_onto_a_full_disk_leaves_nothing_and_can_be_retried(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The disk filling at the third table: one line with the reason, no file, no new folder."""
    out = tmp_path / "new" / "exports"
    _disk_fills_after(monkeypatch, "to_csv", pd.DataFrame, files=2)
    result = sim("runs", "export", "1", "--out", str(out), "--db", store)
    assert_one_line_error(result, "cannot write it", "no space left on device")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    again = sim("runs", "export", "1", "--out", str(out), "--db", store)
    assert again.exit_code == 0, again.output
    assert sorted(out.iterdir()) == sorted(Path(line) for line in again.output.split())


def test_an_export_refuses_a_dangling_link_unless_forced(store: str, tmp_path: Path) -> None:
    """A link in place of an export's file is not written through: it may point anywhere."""
    target = tmp_path / "elsewhere.json"
    (tmp_path / "run-1.json").symlink_to(target)
    result = sim("runs", "export", "1", "--out", str(tmp_path), "--db", store)
    assert_one_line_error(result, "run-1.json", "symbolic link", "--force")
    assert [p.name for p in tmp_path.iterdir()] == ["run-1.json"]
    forced = sim("runs", "export", "1", "--out", str(tmp_path), "--db", store, "--force")
    assert forced.exit_code == 0, forced.output
    assert not target.exists() and not (tmp_path / "run-1.json").is_symlink()


@pytest.mark.parametrize(
    ("out", "reason"),
    [
        ("nodir/c.toml", "does not exist"),
        (".", "is a folder"),
        ("/dev/full", "not a regular file"),
    ],
)
def test_calibrate_refuses_its_output_path_before_any_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str, reason: str
) -> None:
    """A path the result cannot be written to is refused at once, not after every trial."""
    monkeypatch.chdir(tmp_path)
    result = sim("calibrate", "--trials", "2", "--seeds", "1", "--developers", "200", "--out", out)
    assert_one_line_error(result, f"--out {out}", reason)
    assert list(tmp_path.iterdir()) == []  # not even the run store: no trial started


def test_a_plot_onto_a_full_disk_is_one_line_and_leaves_nothing(
    store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The image is written whole or not at all."""
    _disk_fills_after(monkeypatch, "savefig", Figure, files=0)
    result = sim("plot", "1", "--out", str(tmp_path / "run.png"), "--db", store)
    assert_one_line_error(result, "run.png", "no space left on device")
    assert list(tmp_path.iterdir()) == []


def test_sweep_csv_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    """The reason is the folder, not "cannot write it (None)"."""
    result = sim("sweep", "show", "1", "--csv", str(tmp_path / "nodir" / "x.csv"))
    assert_one_line_error(result, "x.csv", f"folder {tmp_path / 'nodir'} does not exist")
