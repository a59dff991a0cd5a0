"""``sim plot``: one run's or several runs' history drawn into an image file."""

from pathlib import Path

import matplotlib.image
import pytest
from sim_cli import sim

from experiments.runner import execute
from interfaces.plot import PANELS, QUANTITIES, history_figure
from runs.load import load_run, open_store
from runs.store import RunStore
from scenario.overrides import resolve_scenario


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


def _legend_texts(figure) -> list[list[str]]:
    return [[text.get_text() for text in legend.get_texts()] for legend in figure.legends]


def test_several_runs_get_one_panel_per_quantity_and_one_colour_per_run(db: Path) -> None:
    """Three runs: each panel one quantity with one line per run, each run its own colour."""
    store = open_store(str(db))
    runs = [load_run(store, run_id) for run_id in (1, 2, 3)]
    figure = history_figure(runs)
    assert len(figure.axes) == len(QUANTITIES)
    for ax, quantity in zip(figure.axes, QUANTITIES, strict=True):
        assert ax.get_title(loc="left") == quantity.title
        assert ax.get_ylabel()  # every axis names its unit
        event_lines = [line for line in ax.get_lines() if len(set(line.get_xdata())) == 1]
        assert event_lines
        data_lines = [line for line in ax.get_lines() if line not in event_lines]
        assert len({line.get_color() for line in data_lines}) == len(runs)
    assert [run.label for run in runs] in _legend_texts(figure)


def test_events_are_listed_in_words_with_the_runs_they_belong_to(db: Path) -> None:
    """Each policy change is listed once with its month, its runs, its policy and its state."""
    store = open_store(str(db))
    runs = [load_run(store, run_id) for run_id in (1, 2, 3)]
    events = next(texts for texts in _legend_texts(history_figure(runs)) if texts[0][:2] == "1 ")
    shared_ban = [
        text for text in events if text.startswith("1  2024-01  runs 1, 2, 3: export_ban")
    ]
    assert len(shared_ban) == 1 and "banned for CN" in shared_ban[0]
    assert any("run 2: smuggling: on" in text for text in events)
    assert any("run 3: remote_access: on" in text for text in events)


def test_one_run_legend_lists_only_lines_that_are_drawn(tmp_path: Path) -> None:
    """A run with no smuggling draws no smuggled line, so its legend does not list one.

    Without an export ban nothing is smuggled, not even the starting fleet's H100s (bought
    legally when no rule forbids them).
    """
    execute(
        resolve_scenario(developers=500, steps=6), seed=1, store=RunStore(str(tmp_path / "p.db"))
    )
    run = load_run(open_store(str(tmp_path / "p.db")), 1)
    assert not (run.market_steps["compute_cn_smuggled"] > 0).any()
    figure = history_figure([run])
    channels = figure.axes[3].get_legend()
    labels = [text.get_text() for text in channels.get_texts()]
    assert "smuggled" not in labels and labels
    assert len(figure.axes) == len(PANELS)


def test_a_long_seed_is_in_the_legend_not_the_title(db: Path, tmp_path: Path) -> None:
    """A 19-digit seed appears once, in the run's legend entry, never in the figure's title."""
    store = RunStore(str(tmp_path / "seed.db"))
    seed = 3_013_373_327_912_726_865
    execute(resolve_scenario(developers=500, steps=6), seed=seed, store=store, name="seeded")
    run = load_run(open_store(str(tmp_path / "seed.db")), 1)
    for runs in ([run], [run, run]):
        figure = history_figure(runs)
        heading = figure.legends[-1].get_title().get_text()
        assert str(seed) not in heading and heading.startswith(("Run 1", "Runs 1"))
        assert any(str(seed) in text for text in _legend_texts(figure)[-1])


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
