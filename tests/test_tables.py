"""Tables keep every number, status and id whole, at 80 columns and when piped; units shown.

Two small runs are stored once (one finished, one marked interrupted, with a long name and a
19-digit seed); ``sim`` runs in-process. Piped means standard output is not a terminal (as under
``CliRunner``); "a terminal of 80 columns" is forced with rich's ``TTY_COMPATIBLE`` and
``COLUMNS``.
"""

import io
import json

import pytest
from click.testing import CliRunner, Result
from rich.console import Console
from rich.table import Table

from experiments.runner import execute
from interfaces.cli import cli
from interfaces.cli.runs import fmt_delta
from interfaces.cli.tables import print_table
from interfaces.formatting import SUMMARY_ROWS, fmt, scaled, scaled_column
from runs.store import RunStore
from scenario.overrides import resolve_scenario
from vocabulary.metrics import Unit

LONG_NAME = "export bans with smuggling, a name longer than a narrow column"
BIG_SEED = 8_765_432_109_876_543_210
TERMINAL_80 = {"TTY_COMPATIBLE": "1", "COLUMNS": "80"}


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Run 1 finished (seed 1); run 2 interrupted, with a long name and a 19-digit seed."""
    path = str(tmp_path_factory.mktemp("tables") / "runs.db")
    store = RunStore(path)
    scenario = resolve_scenario(policies=("export_ban",), developers=500, steps=6)
    execute(scenario, seed=1, store=store, name="export_ban")
    execute(scenario.model_copy(), seed=BIG_SEED, store=store, name=LONG_NAME)
    store.finish_run(2, "interrupted")
    store.engine.dispose()
    return path


def sim(*args: str, env: dict[str, str] | None = None) -> Result:
    """``sim ARGS`` in-process; ``env`` adds environment variables."""
    result = CliRunner().invoke(cli, list(args), prog_name="sim", env=env)
    assert result.exit_code == 0, result.output
    return result


def test_piped_runs_list_keeps_the_interrupted_row_whole_on_one_line(db: str) -> None:
    """`sim runs list | grep interrupted` finds the row, with its whole name and seed."""
    lines = [line for line in sim("runs", "list", "--db", db).stdout.splitlines()]
    found = [line for line in lines if "interrupted" in line]
    assert len(found) == 1
    assert found[0].startswith("2 ") and LONG_NAME in found[0] and str(BIG_SEED) in found[0]
    assert "…" not in "".join(lines) and "│" not in "".join(lines)


def test_runs_list_on_an_80_column_terminal_cuts_nothing(db: str) -> None:
    """At 80 columns the name wraps, but status, seed and date are whole; nothing is cut."""
    shown = sim("runs", "list", "--db", db, env=TERMINAL_80).stdout
    assert "…" not in shown
    for whole in ("interrupted", str(BIG_SEED), "finished", "6/6"):
        assert whole in shown
    assert all(word in shown for word in LONG_NAME.split())


@pytest.mark.parametrize("env", [None, TERMINAL_80], ids=["piped", "80 columns"])
def test_runs_compare_shows_every_number_whole_with_its_unit(db: str, env) -> None:
    """Each value and difference of `sim runs compare` is printed in full, as --json has it."""
    shown = sim("runs", "compare", "1", "2", "--db", db, env=env).stdout
    rows = json.loads(sim("runs", "compare", "1", "2", "--db", db, "--json").stdout)["rows"]
    units = {key: unit for _, key, unit in SUMMARY_ROWS}
    assert "…" not in shown
    for row in rows:
        for value in row["values"].values():
            assert fmt(value, units[row["metric"]]) in shown, row["metric"]
    assert f"run 2: {LONG_NAME} (seed {BIG_SEED})" in shown


def test_policies_on_an_80_column_terminal_keep_their_examples_whole() -> None:
    """`sim policies` at 80 columns: the --set example of every policy keeps its key whole."""
    shown = sim("policies", env=TERMINAL_80).stdout
    names = [entry["name"] for entry in json.loads(sim("policies", "--json").stdout)]
    assert "…" not in shown
    for name in names:
        assert f"{name}.schedule.start=2025-01" in shown


def test_a_table_too_wide_for_the_terminal_is_printed_wider_not_cut() -> None:
    """A row of numbers wider than a 30-column terminal is printed whole, frame and all."""
    table = Table()
    table.add_column("metric")
    for header in ("run 1", "run 2", "run 2 minus 1"):
        table.add_column(header, justify="right")
    table.add_row("Tokens served per month", "42.90 quadrillion", "41.11 quadrillion", "-1.790")
    out = io.StringIO()
    print_table(table, wrap=("metric",), console=Console(file=out, width=30, force_terminal=True))
    text = out.getvalue()
    for number in ("42.90 quadrillion", "41.11 quadrillion", "-1.790"):
        assert number in text
    assert "…" not in text


@pytest.mark.parametrize(
    "value, unit, shown",
    [
        (1_026_700, Unit.H100E, "1.027 million"),
        (999_960, Unit.H100E, "1.000 million"),
        (42_896.3e12, Unit.TOKENS, "42.90 quadrillion"),
        (5.1e12, Unit.TOKENS, "5.100 trillion"),
        (512.3, Unit.H100E, "512.3"),
        (32.14, Unit.POWER_PRICE_MULTIPLE, "32.1x"),
        (0.3456, Unit.SHARE, "34.6%"),
        (0.1234, Unit.PRICE, "$0.123"),
        (-2.5e6, Unit.USD_PER_MONTH, "-$2.500 million"),
        (float("nan"), Unit.PRICE, "-"),
    ],
)
def test_figures_carry_their_unit_and_switch_to_the_next_scale(value, unit, shown) -> None:
    """No bare "T" or "k", no "1,026.7k": counts scale by a word, multiples end in x."""
    assert fmt(value, unit) == shown


@pytest.mark.parametrize(
    "difference, unit, between, shown",
    [
        (1.36e-12, Unit.TOKENS, 1e-10, "0"),  # float noise, whatever the values
        (-0.0108, Unit.H100E, 1.2e6, "0"),
        (-2_500.0, Unit.H100E, 1.2e6, "-2.500 thousand"),
        (3e-4, Unit.PRICE, 1.234, "0"),  # below the values' last shown digit
        (0.0123, Unit.SHARE, 0.5, "+1.2 pp"),
        (-1.79, Unit.POWER_PRICE_MULTIPLE, 32.1, "-1.8x"),
    ],
)
def test_compare_shows_float_noise_as_zero_and_rounds_differences(
    difference, unit, between, shown
) -> None:
    """`runs compare` differences: noise is 0, real ones in the values' unit and digits."""
    assert fmt_delta(difference, unit, between) == shown


def test_a_column_of_counts_reads_in_one_scale() -> None:
    """6,487,372.6 billion tokens read as 6.487 quadrillion, and the column with them."""
    assert scaled_column([6_487_372.6e9, 412_001.9e9]) == ("quadrillion", ["6.487", "0.412"])
    assert scaled_column([950.0, 12.0]) == ("", ["950.0", "12.0"])


def test_every_summary_row_names_its_unit_or_carries_it() -> None:
    """A summary figure is a %, a $, an x, or its label names the unit (H100e, per month)."""
    carried = {Unit.SHARE: "%", Unit.PRICE: "$", Unit.POWER_PRICE_MULTIPLE: "x"}
    for label, _, unit in SUMMARY_ROWS:
        if unit in carried:
            assert carried[unit] in fmt(1.5, unit)
        else:
            assert "H100e" in label or "per month" in label or label.startswith("  of which")
    assert scaled(0) == "0"


def test_runs_show_piped_is_plain_text(db: str) -> None:
    """Piped, `sim runs show` writes plain lines: no frame, no colour codes."""
    lines = sim("runs", "show", "1", "--db", db).stdout.splitlines()
    assert not any("\x1b[" in line or "│" in line for line in lines)
    assert any(line.startswith("Chinese share, developers outside China  ") for line in lines)
