"""``sim plot``: one run's or several runs' history drawn into an image file."""

from pathlib import Path

import matplotlib.image
import pytest
from sim_cli import sim

from experiments.runner import execute
from interfaces.plot import PANELS, history_figure
from runs.load import load_run, open_store
from runs.store import RunStore
from simulator.overrides import resolve_scenario


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three small runs, ids 1 to 3, with policy events."""
    path = tmp_path_factory.mktemp("plot") / "runs.db"
    store = RunStore(str(path))
    for policies in (("export_ban",), ("export_ban", "smuggling"), ("export_ban", "remote_access")):
        execute(
            resolve_scenario(policies=policies, developers=500, steps=18),
            seed=2,
            store=store,
            name="+".join(policies),
        )
    return path


@pytest.mark.parametrize("run_ids", [("1",), ("1", "2", "3")], ids=["one run", "three runs"])
def test_plot_writes_a_png_of_the_runs(db: Path, tmp_path: Path, run_ids) -> None:
    """`sim plot` writes a full-size PNG for one run and for three runs overlaid."""
    out = tmp_path / "history.png"
    result = sim("plot", *run_ids, "--out", str(out), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = matplotlib.image.imread(out).shape
    assert width > 1000 and height > 700


def test_figure_overlays_every_run_in_every_panel_with_events_and_a_legend(db: Path) -> None:
    """Each panel shows every series of every run, policy events, and a legend naming the runs."""
    store = open_store(str(db))
    runs = [load_run(store, run_id) for run_id in (1, 2, 3)]
    figure = history_figure(runs)
    axes = figure.axes
    assert len(axes) == len(PANELS)
    for ax, (title, _, _, series) in zip(axes, PANELS, strict=True):
        assert ax.get_title(loc="left") == title
        event_lines = [line for line in ax.get_lines() if len(set(line.get_xdata())) == 1]
        assert event_lines
        assert len(ax.get_lines()) - len(event_lines) == len(runs) * len(series)
    labels = [text.get_text() for text in figure.legends[0].get_texts()]
    assert labels == [run.label for run in runs]
    event_labels = " ".join(text.get_text() for text in axes[0].texts)
    assert "export_ban" in event_labels and "smuggling" in event_labels


@pytest.mark.parametrize(
    "out, problem",
    [
        ("history.xyz", "unknown image format 'xyz'"),
        ("missing/history.png", "does not exist"),
    ],
)
def test_plot_refuses_a_bad_output_path_with_status_2(
    db: Path, tmp_path: Path, out: str, problem: str
) -> None:
    """An unknown image suffix or a missing folder is refused, and nothing is written."""
    result = sim("plot", "1", "--out", str(tmp_path / out), "--db", str(db))
    assert result.exit_code == 2
    assert problem in result.stderr
    assert list(tmp_path.iterdir()) == []
