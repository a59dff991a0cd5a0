r"""Names are data: what a user typed is drawn in plots and written to CSV exactly as typed.

A run's name, a provider's name and a policy's label may hold matplotlib mathtext (``$5 to
$6``, or ``$\x{$``, which mathtext cannot even parse) and spreadsheet formulas (``=...``,
``@...``). Figures must draw them as the plain characters they are, and CSV files must not let a
spreadsheet evaluate them. The command line's own tables are fuzzed in ``test_fuzz_cli.py``.
"""

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text
from sim_cli import hostile_scenario, sim

from interfaces.dashboard import charts
from interfaces.dashboard.history import History
from interfaces.dashboard.network_view import NetworkSample, network_figure
from interfaces.plot import history_figure
from runs.load import StoredRun, load_run, open_store
from vocabulary.text import spreadsheet_cell, spreadsheet_safe

NAME = "cost $5 to $6"
"""Mathtext would draw this "cost 5to6", in italics."""
PROVIDER = "$\\nosuchmacro{$"
"""Mathtext cannot parse this: drawing it as mathtext raises ValueError."""
LABEL = "@x $\\x{$"
SMALL = ("--developers", "100", "--steps", "2")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[StoredRun]:
    """Two stored runs with hostile names, a hostile provider and a hostile policy label."""
    folder = tmp_path_factory.mktemp("names")
    scenario = str(hostile_scenario(folder, "scenario", PROVIDER, LABEL))
    db = str(folder / "runs.db")
    for name in (NAME, "$\\x{$ second"):
        result = sim("run", "--scenario", scenario, f"--name={name}", *SMALL, "--db", db)
        assert result.exit_code == 0, result.output
    store = open_store(db)
    return [load_run(store, run_id) for run_id in (1, 2)]


def drawn_texts(figure: Figure, *wanted: str) -> list[Text]:
    """The texts of ``figure`` that contain any of ``wanted``, once it is drawn (as a PNG)."""
    figure.savefig(io.BytesIO(), format="png")
    texts = [
        text
        for text in figure.findobj(Text)
        if text.get_visible() and any(part in text.get_text() for part in wanted)
    ]
    assert texts, f"none of {wanted} is drawn"
    return texts


def assert_drawn_as_written(texts: list[Text]) -> None:
    """Each text is as long on the page as its characters set in plain type.

    Mathtext drops the ``$`` and the spaces between them and sets the rest in italics, so a
    text read as mathtext has another length.
    """
    for text in texts:
        renderer = text.figure.canvas.get_renderer()
        plain, _, _ = renderer.get_text_width_height_descent(
            text.get_text(), text.get_fontproperties(), ismath=False
        )
        box = text.get_window_extent(renderer)
        drawn = box.height if text.get_rotation() == 90 else box.width
        assert drawn == pytest.approx(plain, abs=1), f"{text.get_text()!r} is not drawn as written"


@pytest.mark.parametrize("several", [False, True], ids=["one run", "two runs"])
def test_plot_draws_run_names_and_policy_labels_as_written(
    runs: list[StoredRun], several: bool
) -> None:
    """`sim plot`'s heading, legend and list of policy changes show names as typed."""
    figure = history_figure(runs if several else runs[:1])
    assert_drawn_as_written(drawn_texts(figure, NAME, LABEL))


@pytest.mark.parametrize(
    "draw",
    [
        charts.share_figure,
        charts.price_figure,
        charts.compute_figure,
        lambda histories: charts.provider_share_figure(histories, {PROVIDER: "#c0392b"}),
    ],
    ids=["share", "price", "compute", "providers"],
)
def test_dashboard_charts_of_stored_runs_draw_names_as_written(
    runs: list[StoredRun], draw: Callable[[list[History]], Figure]
) -> None:
    """Picking such runs in the stored-runs tab draws their charts (no traceback instead)."""
    histories = [History.from_stored(run) for run in runs]
    wanted = (NAME, LABEL, PROVIDER)
    assert_drawn_as_written(drawn_texts(draw(histories), *wanted))


def test_the_network_chart_draws_provider_names_as_written() -> None:
    """The live tab's network legend names providers as typed."""
    sample = NetworkSample(
        nodes=np.arange(3), edges=np.array([[0, 1], [1, 2]]), positions=np.random.rand(3, 2)
    )
    names = [PROVIDER, NAME]
    figure = network_figure(
        sample, np.array([0, 1, 0]), names, {PROVIDER: "#c0392b", NAME: "#2166ac"}, "2024-02"
    )
    assert_drawn_as_written(drawn_texts(figure, PROVIDER, NAME))


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://127.0.0.1/","x")', "+1+1", "-1+1", "@SUM(1+1)", "\t=1", "\r=1", "-"],
)
def test_a_text_cell_that_starts_like_a_formula_gets_a_quote(text: str) -> None:
    """OWASP's advice for CSV: a leading ``'`` makes a spreadsheet show the cell as text."""
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-0.5", "+1e3", "-12", ".5", -0.5, -3, None, "plain", ""])
def test_numbers_and_plain_text_stay_as_they_are(value: object) -> None:
    """A negative number, in a number column or written as text, is still a number."""
    assert spreadsheet_cell(value) == value


def test_a_csv_keeps_its_number_columns_and_quotes_formula_headers_and_cells(
    tmp_path: Path,
) -> None:
    """Only text cells and headers change; a negative number is written as a number."""
    frame = pd.DataFrame(
        {"provider": ["=1+1", "OpenAI"], "@SUM(1+1).fee": [-0.5, 0.25], "steps": [-1, 2]}
    )
    path = tmp_path / "table.csv"
    spreadsheet_safe(frame).to_csv(path, index=False)
    assert path.read_text().splitlines() == [
        "provider,'@SUM(1+1).fee,steps",
        "'=1+1,-0.5,-1",
        "OpenAI,0.25,2",
    ]
    assert frame.columns[1] == "@SUM(1+1).fee" and frame["provider"][0] == "=1+1"  # untouched


def test_calibrate_prints_a_name_with_markup_as_typed(tmp_path: Path) -> None:
    """`sim calibrate --name` with closing tags and emoji codes: exit 0, the name as typed."""
    name = "[/] cal [bold]x :bug:"
    result = sim(
        "calibrate",
        "--trials",
        "1",
        "--seeds",
        "1",
        "--developers",
        "100",
        "--workers",
        "1",
        f"--name={name}",
        "--out",
        str(tmp_path / "calibrated.toml"),
        "--db",
        str(tmp_path / "runs.db"),
    )
    assert result.exit_code == 0, result.output
    assert f"Calibration 1 ({name}): 1 trials" in " ".join(result.output.split())
