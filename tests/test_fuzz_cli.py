"""Fuzzing the command line: whatever hypothesis types, `sim` answers as the README promises.

Hypothesis generates command lines for ten commands: `sim run` options and `--set` values,
scenario files (TOML, YAML or garbage) for `sim scenario show` and `sim run --scenario`, run ids
for `sim runs show/export/compare/delete`, `sim replay` and `sim plot`, sweeps and sweep ids, and
stray arguments for any command. Every case must exit 0 or 2, or 1 only where the README
documents it (a sweep with failed runs, a replay that does not reproduce its run), print no
traceback and no "a bug" line, and leave the database exactly as it was when it exits 2.

Names are data: run and sweep names, provider names and policy labels made of Rich markup
(``[/]``), matplotlib mathtext (``$5 to $6``), emoji codes and spreadsheet formulas (``=...``,
``@...``) go through every command that shows or exports them, which must exit 0, show each
name exactly as typed, and prefix the formulas' CSV cells with ``'``.

The commands run in-process (``tests/sim_cli.py``), against a store seeded with two short runs,
once per backend. Hypothesis is derandomized, so CI runs the same cases every time; the number
of cases per backend is the sum of the ``max_examples`` below (2,050).
"""

import csv
import itertools
import json
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import tomli_w
import yaml
from backends import Backend
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sim_cli import hostile_scenario, sim

SMALL = ("--developers", "100", "--steps", "1")
"""Every simulation the fuzz may start stays this small, so that a case takes milliseconds."""
EXIT_1_DOCUMENTED = ("sweep", "replay")
"""Commands whose exit status 1 the README documents: failed sweep runs, a replay mismatch."""
BUG_LINE = "(a bug; the full traceback is in"


def fuzz_settings(examples: int) -> settings:
    """Reproducible settings for ``examples`` cases: derandomized, no example database."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


# ---- what hostile input is made of --------------------------------------------------------------

NASTY_CHARS = st.sampled_from(["\x00", "\x1b", "\n", "\t", "\r", "\udcff", "\u202e", "\x7f", "é"])
TEXT = st.one_of(
    st.text(max_size=20),
    st.lists(st.one_of(st.characters(), NASTY_CHARS), max_size=12).map("".join),
    st.integers(min_value=190, max_value=400).map(lambda n: "x" * n),
)
NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(
        ["inf", "-inf", "nan", "1e308", "-1e308", "1e-320", "0", "-0", "1_000", "0x10"]
    ),
)
VALUE = st.one_of(
    NUMBER_TEXT,
    TEXT,
    st.sampled_from(["true", "[1, 2]", "{a = 1}", "{2024 = 0.1}", "2024-01", "9999-12", "[]"]),
)
SET_KEYS = st.sampled_from(
    [
        "demand.tokens_per_month_global",
        "demand.growth_china",
        "demand.growth_global",
        "choice.quality_weight",
        "choice.social_weight",
        "supply.learning_exponent",
        "providers.DeepSeek.price_usd_per_m",
        "providers.Anthropic.latency_s",
        "chips.H20.price_usd",
        "smuggling.leakage",
        "export_ban.schedule.start",
        "export_ban.schedule.end",
        "remote_access.schedule.ramp_months",
        "choice.nope",
        "providers.Nobody.latency_s",
        "",
        ".",
        "a..b",
    ]
)
POLICIES = st.sampled_from(["export_ban", "smuggling", "remote_access", "nope", ""])
MONTHS = st.one_of(
    st.sampled_from(["2024-01", "1900-01", "2200-12", "0000-01", "9999-12", "2024-13", "2024-1"]),
    st.builds("{:04d}-{:02d}".format, st.integers(-10, 10_000), st.integers(-1, 13)),
    TEXT,
)
RUN_IDS = st.one_of(
    st.integers(min_value=-3, max_value=4).map(str),
    st.sampled_from(["99999999999999999999999", str(2**63 - 1), str(2**63), "1e3", "1.0", ""]),
    TEXT,
)


def options(pairs: list[tuple[str, str]]) -> list[str]:
    """``[("--a", "1"), ...]`` as ``["--a", "1", ...]``."""
    return [word for pair in pairs for word in pair]


RUN_OPTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("--set"), st.builds("{}={}".format, SET_KEYS, VALUE)),
        st.tuples(st.just("--policy"), POLICIES),
        st.tuples(st.just("--start"), MONTHS),
        st.tuples(st.just("--step-length"), st.sampled_from(["month", "week", "day", ""])),
        st.tuples(st.just("--name"), TEXT),
        st.tuples(st.just("--tag"), TEXT),
        st.tuples(st.just("--seed"), st.one_of(RUN_IDS, NUMBER_TEXT)),
        st.tuples(st.just("--steps"), st.sampled_from(["0", "-1", "2601", "abc", "1e3", "1", ""])),
        st.tuples(st.just("--developers"), st.sampled_from(["99", "0", "5000001", "x", "100"])),
        st.tuples(
            st.just("--developer-history"),
            st.sampled_from(["all", "every:0", "every:-1", "sample:2", "sample:nan", "x"]),
        ),
    ),
    min_size=1,
    max_size=4,
).map(options)

SCENARIO_KEYS = st.sampled_from(
    [
        "name",
        "description",
        "start",
        "steps",
        "step_length",
        "developers",
        "demand",
        "choice",
        "supply",
        "policies",
        "providers",
        "chips",
        "growth_china",
        "leakage",
        "schedule",
        "junk",
    ]
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    TEXT,
    MONTHS,
)
TREE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(SCENARIO_KEYS, inner, max_size=4)
    ),
    max_leaves=12,
)
DOCUMENT = st.dictionaries(SCENARIO_KEYS, TREE, max_size=5)


def as_text(document: Any, form: str) -> str:
    """``document`` written as a TOML or YAML file (YAML when TOML cannot hold it)."""
    if form == "toml":
        try:
            return tomli_w.dumps(document)
        except (TypeError, ValueError):
            pass
    return yaml.safe_dump(document, allow_unicode=True)


SCENARIO_FILES = st.one_of(
    st.tuples(DOCUMENT, st.sampled_from(["toml", "yaml"])).map(
        lambda pair: (as_text(*pair), pair[1])
    ),
    st.tuples(st.text(max_size=200), st.sampled_from(["toml", "yaml", "yml", "txt"])),
    st.tuples(
        st.sampled_from(["[" * 200, "a: &a [1]\nb: &b [*a, *a]\n", "x = 1\nx = 2\n", "- 1\n"]),
        st.sampled_from(["toml", "yaml"]),
    ),
)


# ---- running the cases ---------------------------------------------------------------------------


@pytest.fixture
def store(backend: Backend) -> Backend:
    """The backend's fresh database holding two short finished runs."""
    for seed in ("1", "2"):
        result = sim("run", *SMALL, "--seed", seed, "--db", backend.url)
        assert result.exit_code == 0, result.output
    return backend


@pytest.fixture
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for files the cases write, outside the store's folder (which must not change)."""
    return tmp_path_factory.mktemp("fuzz-scratch")


def check_case(store: Backend, args: list[str], stdin: str | None = None) -> Result:
    """Run ``sim ARGS --db STORE`` and assert everything the README promises of its outcome."""
    before = store.snapshot()
    result = sim(*args, "--db", store.url, stdin=stdin)
    shown = f"sim {args!r} -> {result.exit_code}\n{result.output}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(shown) from result.exception
    assert "Traceback" not in result.output, shown
    assert BUG_LINE not in result.output, shown
    allowed = {0, 2} | ({1} if args[0] in EXIT_1_DOCUMENTED else set())
    assert result.exit_code in allowed, shown
    if result.exit_code == 2:
        assert store.snapshot() == before, f"{shown}\nchanged the database"
    if store.password:
        assert store.password not in result.output, shown
    return result


@fuzz_settings(300)
@given(extra=RUN_OPTIONS)
def test_fuzzed_run_options(store: Backend, extra: list[str]) -> None:
    """`sim run` with hostile options and `--set` values: a run, or one line and exit 2."""
    check_case(store, ["run", *SMALL, *extra])


@fuzz_settings(400)
@given(file=SCENARIO_FILES, run=st.booleans(), extra=RUN_OPTIONS)
def test_fuzzed_scenario_files(
    store: Backend, scratch: Path, file: tuple[str, str], run: bool, extra: list[str]
) -> None:
    """`sim scenario show FILE` and `sim run --scenario FILE` with generated files."""
    text, suffix = file
    path = scratch / f"scenario.{suffix}"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    if run:
        check_case(store, ["run", "--scenario", str(path), *extra, *SMALL])
    else:
        check_case(store, ["scenario", "show", str(path)])


RUN_ID_COMMANDS: dict[str, Callable[[list[str], Path], list[str]]] = {
    "show": lambda ids, _: ["runs", "show", ids[0]],
    "show-json": lambda ids, _: ["runs", "show", ids[0], "--json"],
    "export": lambda ids, out: ["runs", "export", ids[0], "--format", "csv", "--out", str(out)],
    "export-force": lambda ids, out: ["runs", "export", ids[0], "--out", str(out), "--force"],
    "compare": lambda ids, _: ["runs", "compare", *ids],
    "delete": lambda ids, _: ["runs", "delete", ids[0], "--yes"],
    "replay": lambda ids, _: ["replay", ids[0], "--verify"],
    "plot": lambda ids, out: ["plot", *ids, "--out", str(out / "plot.png")],
    "sweep-show": lambda ids, _: ["sweep", "show", ids[0]],
}


@fuzz_settings(950)
@given(
    command=st.sampled_from(sorted(RUN_ID_COMMANDS)),
    ids=st.lists(RUN_IDS, min_size=1, max_size=3),
)
def test_fuzzed_run_ids(store: Backend, scratch: Path, command: str, ids: list[str]) -> None:
    """Commands that take run (or sweep) ids, given hostile ids."""
    check_case(store, RUN_ID_COMMANDS[command](ids, scratch))


GRID_VALUES = st.lists(st.one_of(NUMBER_TEXT, TEXT), min_size=0, max_size=2).map(",".join)
SWEEP_OPTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("--grid"), st.builds("{}={}".format, SET_KEYS, GRID_VALUES)),
        st.tuples(
            st.just("--sample"),
            st.builds(
                "{}:{}".format,
                st.sampled_from(["lhs", "sobol", "morris", "random", "x", ""]),
                st.sampled_from(["1", "2", "0", "-1", "10000000", "x"]),
            ),
        ),
        st.tuples(
            st.just("--range"),
            st.builds("{}={}:{}".format, SET_KEYS, NUMBER_TEXT, NUMBER_TEXT),
        ),
        st.tuples(st.just("--seeds"), st.sampled_from(["0", "-1", "100000000", "x", "1"])),
        st.tuples(st.just("--name"), TEXT),
        st.tuples(
            st.just("--scheduler"),
            st.one_of(
                st.sampled_from(["tcp://10.0.0.5:8786", "http://example.com:80", "tcp://[::1]:0"]),
                TEXT,
            ),
        ),
        st.tuples(st.just("--baseline"), st.one_of(POLICIES, TEXT)),
        st.tuples(st.just("--resume"), RUN_IDS),
    ),
    min_size=1,
    max_size=4,
).map(options)


@fuzz_settings(100)
@given(extra=SWEEP_OPTIONS)
def test_fuzzed_sweeps(store: Backend, extra: list[str]) -> None:
    """`sim sweep` with hostile grids, samples, ranges, seeds, names and schedulers."""
    check_case(store, ["sweep", "--steps", "1", "--developers", "100", "--workers", "1", *extra])


COMMANDS = [
    ["runs", "list"],
    ["runs", "list", "--limit"],
    ["policies"],
    ["scenario", "list"],
    ["scenario", "show"],
    ["sweep", "list"],
    ["sweep", "sensitivity"],
    ["db", "check"],
    ["run"],
    ["validate", "--targets"],
]
WORDS = st.one_of(
    st.sampled_from(["--json", "--help", "-h", "--", "-", "--limit", "--yes", "--db", "1", "0"]),
    TEXT,
)


@fuzz_settings(300)
@given(command=st.sampled_from(COMMANDS), words=st.lists(WORDS, max_size=3))
def test_fuzzed_stray_arguments(store: Backend, command: list[str], words: list[str]) -> None:
    """Any command with stray words after it: a usage error in one line, or its normal output."""
    if command[0] == "run":  # a run that is accepted must stay small
        command = ["run", *SMALL]
    if command[0] == "validate" and words:  # a targets file that is accepted would run 5 seeds
        words = [*words[:1], "--seeds", "0"]
    check_case(store, [*command, *words])


# ---- names are data -----------------------------------------------------------------------------

NAME_PARTS = st.sampled_from(
    [
        "[/]",
        "[/red]",
        "[bold]x",
        "[link=file:///etc/passwd]y",
        "RASA [enforcement=0.5]",
        "$\\x{$",
        "$5 to $6",
        "=1+1",
        "@SUM(1+1)",
        "-2+3",
        "fix:bug:2",
        "é",
    ]
)
MARKED_NAMES = st.lists(NAME_PARTS, min_size=1, max_size=3).map(" ".join)
"""Run and sweep names made of the parts that Rich, matplotlib and spreadsheets would read."""
FORMULA_PROVIDERS = st.sampled_from(
    ['=HYPERLINK("http://127.0.0.1/","x")', "+1+1", "-1+1", "@SUM(1+1)"]
)
FORMULA_LABELS = st.sampled_from(["@SUM(1+1)", "-1+1 [/red]", "+[bold]x $5 to $6", "@x $\\x{$"])
"""Policy labels that start like a formula; without ``=`` or ``.``, so ``--grid LABEL.fee``."""
SWEEP_NUMBERS = itertools.count(1)
"""Makes each sweep's name unique: the same name with another spec is refused."""


def shown(store: Backend, *args: str) -> str:
    """``sim ARGS --db STORE``'s output; the command must exit 0.

    Runs of spaces and line breaks come back as one space: a console that is not a terminal
    wraps long lines at 80 columns.
    """
    result = check_case(store, list(args))
    assert result.exit_code == 0, f"sim {args!r} -> {result.exit_code}\n{result.output}"
    return " ".join(result.output.split())


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file as the csv module reads them."""
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


@fuzz_settings(2)
@example(
    name="RASA [enforcement=0.5]",
    provider='=HYPERLINK("http://127.0.0.1/","x")',
    label="@SUM(1+1)",
)
@example(
    name="ban [/draft] [bold red]X[link=file:///etc/passwd]Y", provider="+1+1", label="-1+1 [/red]"
)
@example(name="$\\nosuchmacro{$ cost $5 to $6 :bug:", provider="-1+1", label="@x $\\x{$")
@given(name=MARKED_NAMES, provider=FORMULA_PROVIDERS, label=FORMULA_LABELS)
def test_names_are_shown_and_exported_as_typed(
    store: Backend, scratch: Path, name: str, provider: str, label: str
) -> None:
    """Markup, mathtext, emoji codes and formulas in names: every command shows them as typed."""
    folder = Path(tempfile.mkdtemp(dir=scratch))
    scenario = str(hostile_scenario(folder, name, provider, label))
    small = ("--developers", "100", "--steps", "2")
    output = shown(store, "run", "--scenario", scenario, f"--name={name}", *small)
    run_id = re.search(r"Stored as run (\d+) in", output)[1]
    assert f"Run {run_id}: {name} (seed 1)" in output
    assert name in shown(store, "runs", "list")
    details = shown(store, "runs", "show", run_id)
    assert f"Run {run_id} {name}: finished" in details and label in details
    assert f"run {run_id}: {name} (seed 1)" in shown(store, "runs", "compare", "1", run_id)

    shown(store, "runs", "export", run_id, "--format", "csv", "--out", str(folder))
    events = csv_rows(folder / f"run-{run_id}-policy_events.csv")
    assert "'" + label in [row["policy"] for row in events]
    providers = csv_rows(folder / f"run-{run_id}-provider_steps.csv")
    assert "'" + provider in [row["provider"] for row in providers]
    record = json.loads((folder / f"run-{run_id}.json").read_text(encoding="utf-8"))
    assert record["name"] == name  # JSON keeps the raw text
    assert record["scenario"]["providers"][0]["name"] == provider

    for runs in ([run_id], ["1", run_id]):
        shown(store, "plot", *runs, "--out", str(folder / "plot.png"))
        assert (folder / "plot.png").read_bytes()[:4] == b"\x89PNG"

    sweep_name = f"{name} #{next(SWEEP_NUMBERS)}"
    grid = (f"--grid={label}.fee=0.1,0.2", "--seeds", "1", "--workers", "1")
    output = shown(store, "sweep", "--scenario", scenario, *grid, f"--name={sweep_name}", *small)
    sweep_id = re.search(r"Sweep (\d+) \(", output)[1]
    assert f"Sweep {sweep_id} ({sweep_name})" in output
    assert sweep_name in shown(store, "sweep", "list")
    table = folder / "sweep.csv"
    output = shown(store, "sweep", "show", sweep_id, "--csv", str(table))
    assert f"Sweep {sweep_id} {sweep_name}: finished" in output and f"{label}.fee" in output
    assert "'" + label + ".fee" in csv_rows(table)[0]
