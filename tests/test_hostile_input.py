"""Hostile input: values chosen to break things get one line, exit 2, and change nothing.

Every case of issue 16's hostile pass that used to end in a traceback, a hang, a huge
allocation or a printed password: non-finite and huge numbers, dates out of range, names with
bad bytes, deep or huge or self-multiplying settings files, schedules that end before they
start, run ids out of range, sweeps too large, schedulers that are remote or answer garbage,
database URLs with their password in the query string, and databases changed outside ``sim``.
Cases that touch a store run on both backends and compare every row before and after.
"""

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pandas as pd
import pytest
from backends import Backend, per_backend
from sim_cli import sim
from test_bad_input import assert_one_line_error, assert_refused_and_unchanged

from experiments.run_tables import RunTables
from experiments.sweep_executors import probe_scheduler
from experiments.targets import Target
from experiments.validation import evaluate
from runs.store import mask_secrets, mask_url
from vocabulary.errors import InputError

SMALL = ("--developers", "500", "--steps", "3")
HUGE_ID = "99999999999999999999999"


@pytest.fixture
def seeded(backend: Backend) -> Backend:
    """The backend's fresh database holding two finished runs."""
    for seed in ("1", "2"):
        result = sim("run", *SMALL, "--seed", seed, "--db", backend.url)
        assert result.exit_code == 0, result.output
    return backend


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        pytest.param(
            ["--set", "demand.tokens_per_month_global=inf"],
            ["demand.tokens_per_month_global", "finite number"],
            id="inf",
        ),
        pytest.param(
            ["--set", "demand.tokens_per_month_global=1e308"],
            ["demand.tokens_per_month_global", "1e+15"],
            id="huge",
        ),
        pytest.param(["--set", "choice.quality_weight=nan"], ["choice.quality_weight"], id="nan"),
        pytest.param(["--set", "choice.quality_weight=-inf"], ["choice.quality_weight"], id="-inf"),
        pytest.param(
            ["--policy", "export_ban", "--set", "export_ban.schedule.end=1e400"],
            ["schedule.end", "finite number"],
            id="policy-param-inf",
        ),
        pytest.param(
            ["--start", "9999-12", "--step-length", "week"],
            ["start", "2200-12"],
            id="year-9999-weekly",
        ),
        pytest.param(
            ["--start", "0000-01", "--step-length", "week"], ["start", "1900-01"], id="year-0"
        ),
        pytest.param(["--start", "9999-12"], ["start", "2200-12"], id="year-9999-monthly"),
        pytest.param(["--name", "\udcff\udcfe"], ["--name", "not UTF-8"], id="name-bad-bytes"),
        pytest.param(["--name", "x" * 300], ["--name", "at most 200 characters"], id="name-300"),
        pytest.param(["--name", "a\x00b"], ["--name", "control character"], id="name-nul"),
        pytest.param(["--name", "a\x1b[31mb"], ["--name", "control character"], id="name-esc"),
        pytest.param(["--tag", "a\nb"], ["--tag", "control character"], id="tag-newline"),
        pytest.param(
            ["--set", "name=a\x00b"], ["name", "control character"], id="scenario-name-nul"
        ),
        pytest.param(
            ["--set", "choice.quality_weight=" + "[" * 5000 + "]" * 5000],
            ["nested too deeply"],
            id="deep-set-value",
        ),
        pytest.param(
            [
                "--policy",
                "export_ban",
                "--set",
                "export_ban.schedule.start=2025-06",
                "--set",
                "export_ban.schedule.end=2025-01",
            ],
            ["schedule", "before its start"],
            id="schedule-months-reversed",
        ),
        pytest.param(
            [
                "--policy",
                "export_ban",
                "--set",
                "export_ban.schedule.start=2025-06",
                "--set",
                "export_ban.schedule.end=3",
            ],
            ["export_ban.schedule", "before its start"],
            id="schedule-mixed-reversed",
        ),
    ],
)
def test_hostile_run_option_is_refused(
    seeded: Backend, args: list[str], fragments: list[str]
) -> None:
    """`sim run` with a value that would overflow, fail to store or never act is refused."""
    assert_refused_and_unchanged(seeded, ["run", *SMALL, *args], *fragments)


def _billion_laughs() -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("filename", "content", "fragments"),
    [
        pytest.param(
            "deep.yaml",
            "a: " + "[" * 100_000 + "]" * 100_000,
            ["nested deeper"],
            id="deep-yaml-lists",
        ),
        pytest.param(
            "deep.toml",
            "a = " + "[" * 100_000 + "]" * 100_000,
            ["nested deeper"],
            id="deep-toml-arrays",
        ),
        pytest.param(
            "tables.toml",
            "[" + ".".join(["t"] * 20_000) + "]\nx = 1\n",
            ["nested deeper"],
            id="deep-toml-tables",
        ),
        pytest.param(
            "laughs.yaml", _billion_laughs(), ["more than 100,000 values"], id="billion-laughs"
        ),
        pytest.param(
            "big.toml",
            'description = "' + "x" * 2_000_000 + '"\n',
            ["larger than 1,000,000 bytes"],
            id="huge-file",
        ),
        pytest.param(
            "nul.toml", 'name = "a\\u0000b"\n', ["name", "control character"], id="nul-in-name"
        ),
        pytest.param(
            "inf.toml",
            "[demand]\ntokens_per_month_global = inf\n",
            ["demand.tokens_per_month_global", "finite"],
            id="inf-in-file",
        ),
        pytest.param(
            "schedule.yaml",
            "policies:\n- name: export_ban\n  params:\n    schedule: "
            "{start: '2025-06', end: '2025-01'}\n",
            ["before its start"],
            id="schedule-reversed",
        ),
    ],
)
def test_hostile_scenario_file_is_refused_quickly(
    seeded: Backend, filename: str, content: str, fragments: list[str]
) -> None:
    """A scenario file built to exhaust the stack, memory or time is refused in seconds."""
    path = seeded.folder / "hostile" / filename
    path.parent.mkdir(exist_ok=True)
    path.write_text(content)
    began = time.monotonic()
    line = assert_refused_and_unchanged(
        seeded, ["run", *SMALL, "--scenario", str(path)], filename, *fragments
    )
    assert time.monotonic() - began < 30
    assert len(line) < 300, "the message quotes a short excerpt at most"


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["runs", "show", HUGE_ID], id="show"),
        pytest.param(["runs", "show", "0"], id="show-0"),
        pytest.param(["runs", "export", HUGE_ID, "--out", "exported"], id="export"),
        pytest.param(["runs", "delete", HUGE_ID, "--yes"], id="delete"),
        pytest.param(["runs", "compare", "1", HUGE_ID], id="compare"),
        pytest.param(["replay", HUGE_ID], id="replay"),
        pytest.param(["plot", HUGE_ID, "--out", "plot.png"], id="plot"),
        pytest.param(["sweep", "show", HUGE_ID], id="sweep-show"),
    ],
)
def test_run_id_out_of_range_is_refused(seeded: Backend, args: list[str]) -> None:
    """An id no database can hold names the range of ids instead of overflowing."""
    assert_refused_and_unchanged(seeded, args, "ids are whole numbers from 1 to")


def test_comparing_a_run_with_itself_is_refused(seeded: Backend) -> None:
    """`sim runs compare 1 1` says the run is given twice."""
    assert_refused_and_unchanged(seeded, ["runs", "compare", "1", "1"], "run 1 is given twice")


def test_huge_sweep_is_refused_before_anything_is_built(seeded: Backend) -> None:
    """A 10k x 1k grid over 100,000 seeds is refused at once, even with --large."""
    grid = [
        "--grid",
        "choice.social_weight=" + ",".join(str(i / 10_000) for i in range(10_000)),
        "--grid",
        "choice.latency_weight=" + ",".join(str(i / 1_000) for i in range(1_000)),
    ]
    for extra in ([], ["--large"]):
        assert_refused_and_unchanged(
            seeded, ["sweep", *SMALL, *grid, "--seeds", "100000", *extra], "1,000,000,000,000 runs"
        )


def test_sweep_over_the_default_limit_needs_large(seeded: Backend) -> None:
    """12,000 runs are refused without --large, naming the flag."""
    assert_refused_and_unchanged(
        seeded,
        ["sweep", *SMALL, "--grid", "choice.social_weight=1,2", "--seeds", "6000"],
        "12,000 runs",
        "--large",
    )


@pytest.fixture
def garbage_port() -> Iterator[int]:
    """A port on 127.0.0.1 that answers every connection with bytes that are not Dask's."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def answer() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.sendall(b"\xff" * 64 + b"HTTP/1.0 200 OK\r\n\r\n")
                stop.wait(1)

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(5)
    server.close()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts connections and never says anything."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


@pytest.mark.parametrize(
    ("address", "fragments"),
    [
        pytest.param(
            "tcp://10.255.255.1:8786",
            ["another machine without TLS", "--insecure"],
            id="remote-tcp",
        ),
        pytest.param("192.0.2.1:8786", ["another machine without TLS"], id="remote-bare"),
        pytest.param(
            "tcp://scheduler.example:8786", ["another machine without TLS"], id="remote-name"
        ),
        pytest.param("not an address", ["expected tcp://HOST:PORT"], id="garbage"),
        pytest.param("http://example.com:80", ["expected tcp://HOST:PORT"], id="http"),
        pytest.param("tcp://127.0.0.1:99999", ["port from 1 to 65535"], id="bad-port"),
        pytest.param("tls://192.0.2.1:8786", ["Dask's TLS settings"], id="tls-unconfigured"),
        pytest.param("tcp://127.0.0.1:1", ["no Dask scheduler there"], id="loopback-closed"),
    ],
)
def test_untrusted_scheduler_is_refused_before_connecting(
    seeded: Backend, address: str, fragments: list[str]
) -> None:
    """Remote plain-TCP schedulers, other protocols and malformed addresses are refused."""
    assert_refused_and_unchanged(
        seeded,
        [
            "sweep",
            *SMALL,
            "--grid",
            "choice.social_weight=1,2",
            "--seeds",
            "1",
            "--scheduler",
            address,
        ],
        *fragments,
    )


def test_scheduler_port_answering_garbage_is_refused_at_once(
    seeded: Backend, garbage_port: int
) -> None:
    """A loopback port that answers garbage ends in one line, without a hang or allocation."""
    began = time.monotonic()
    assert_refused_and_unchanged(
        seeded,
        [
            "sweep",
            *SMALL,
            "--grid",
            "choice.social_weight=1,2",
            "--seeds",
            "1",
            "--scheduler",
            f"tcp://127.0.0.1:{garbage_port}",
        ],
        "not a Dask handshake",
    )
    assert time.monotonic() - began < 60


def test_silent_scheduler_is_given_up_after_the_connect_timeout(silent_port: int) -> None:
    """A port that never answers is refused once the connect timeout has passed."""
    began = time.monotonic()
    with pytest.raises(InputError, match="no handshake within 0.5 s"):
        probe_scheduler(f"tcp://127.0.0.1:{silent_port}", "127.0.0.1", silent_port, 0.5)
    assert time.monotonic() - began < 5


def test_ratio_over_zero_fails_the_target_instead_of_the_command() -> None:
    """A ratio whose denominator group served nothing measures as nothing, and fails."""
    target = Target(
        id="r",
        observable="revenue per token, US over CN",
        population="routed",
        measure="revenue_per_token_ratio",
        providers="US",
        versus="CN",
        window="2024-01",
        target=1.0,
        low=0.5,
        high=2.0,
    )
    providers = pd.DataFrame(
        {"provider": ["A", "B"], "jurisdiction": ["US", "CN"]}, index=["2024-01"] * 2
    )
    segments = pd.DataFrame(
        {
            "region": ["US"],
            "segment": ["indie"],
            "provider": ["A"],
            "tokens": [1e9],
            "spend_usd": [5.0],
        },
        index=["2024-01"],
    )
    market = pd.DataFrame({"tokens_total": [1e9]}, index=["2024-01"])
    [row] = evaluate([target], [RunTables(market, providers, segments)])
    assert row["passed"] is False
    assert row["simulated_text"] == "-"


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:hunter2@localhost:abc/x",
        "postgresql://u@/x?host=/nonexistent&password=hunter2",
        "postgresql://u@/x?host=/nonexistent&sslpassword=hunter2&PASSWORD=hunter2",
        "postgresql://u:hunter2@127.0.0.1:1/x",
    ],
)
@pytest.mark.parametrize(
    "args",
    [
        ["runs", "list"],
        ["runs", "list", "--json"],
        ["runs", "show", "999"],
        ["run", *SMALL],
        ["validate", "--targets"],  # takes "--db" for its file: a usage error quotes the URL
    ],
)
def test_database_password_is_never_printed(url: str, args: list[str]) -> None:
    """Whatever form a URL carries its password in, no output shows it."""
    result = sim(*args, "--db", url)
    assert_one_line_error(result)
    assert "hunter2" not in result.output


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p%40ss@h/d?password=s3cret&sslpassword=s3cret",
        "postgresql://u@h/d?password=s3cret",
        "postgresql://u:s3cret@h:notaport/d",
        "weird://u:s3cret@@h/d?x=1&api_token=s3cret",
    ],
)
def test_mask_url_hides_every_credential(url: str) -> None:
    """The password of the user info and of secret query parameters become ***."""
    masked = mask_url(url)
    assert "s3cret" not in masked and "p%40ss" not in masked and "***" in masked
    assert "s3cret" not in mask_secrets(f"could not connect with {url}")


def test_password_in_the_query_string_stays_hidden_on_a_real_server(postgres: Backend) -> None:
    """A working URL with `?password=` stores runs; no line or JSON field shows the password."""
    parts = urlsplit(postgres.url)
    query = urlencode([*parse_qsl(parts.query), ("password", postgres.password)])
    url = parts._replace(netloc=parts.username + "@", query=query).geturl()
    ran = sim("run", *SMALL, "--db", url)
    assert ran.exit_code == 0, ran.output
    assert "Stored as run 1 in" in ran.output and "password=***" in ran.output
    outputs = [ran.output]
    for args in (
        ["run", *SMALL, "--json"],
        ["runs", "list"],
        ["runs", "list", "--json"],
        ["runs", "show", "1"],
        ["runs", "show", "1", "--json"],
        ["runs", "show", "999"],
    ):
        outputs.append(sim(*args, "--db", url).output)
    shown = json.loads(outputs[1].splitlines()[-1])["db"]
    assert "***" in shown
    assert all(postgres.password not in output for output in outputs)


def test_runs_list_shows_a_damaged_row_and_the_others(backend: Backend) -> None:
    """One row whose JSON was corrupted outside sim is listed as damaged, the rest as usual."""
    for seed in ("1", "2"):
        assert sim("run", *SMALL, "--seed", seed, "--db", backend.url).exit_code == 0
    if backend.name == "sqlite":
        backend.execute("UPDATE runs SET scenario = '{bad' WHERE id = 1")
    else:  # PostgreSQL checks JSON: damage a type instead
        backend.execute(
            "ALTER TABLE runs ALTER COLUMN created_at DROP NOT NULL",
            "UPDATE runs SET created_at = NULL WHERE id = 1",
        )
    result = sim("runs", "list", "--json", "--db", backend.url)
    assert result.exit_code == 0, result.output
    assert "NaN" not in result.stdout, "not JSON: a missing value is null"
    rows = {row["id"]: row for row in json.loads(result.stdout)}
    assert rows[2]["status"] == "finished"
    assert rows[1]["status"] == "damaged" and rows[1]["digest"] is None
    table = sim("runs", "list", "--db", backend.url)
    assert table.exit_code == 0, table.output
    assert "damaged" in table.output and "finished" in table.output


SQLITE_DAMAGE = [
    pytest.param("UPDATE runs SET scenario = '{bad' WHERE id = 1", id="corrupt-json"),
    pytest.param("UPDATE runs SET created_at = 'abc' WHERE id = 1", id="text-in-datetime"),
    pytest.param("UPDATE market_steps SET cn_share = 'abc' WHERE run_id = 1", id="text-in-float"),
    pytest.param("DROP TABLE market_steps", id="dropped-table"),
    pytest.param("ALTER TABLE runs DROP COLUMN tags", id="dropped-column"),
]
POSTGRES_DAMAGE = [
    pytest.param("DROP TABLE market_steps CASCADE", id="dropped-table"),
    pytest.param("ALTER TABLE runs DROP COLUMN tags", id="dropped-column"),
    pytest.param(
        "ALTER TABLE market_steps ALTER COLUMN cn_share TYPE text; "
        "UPDATE market_steps SET cn_share = 'abc'",
        id="text-in-float",
    ),
]


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "show", "1"],
        ["runs", "export", "1", "--out", "x"],
        ["runs", "compare", "1", "2"],
        ["replay", "1"],
    ],
)
@pytest.mark.parametrize(
    ("backend", "damage"),
    per_backend({"sqlite": SQLITE_DAMAGE, "postgresql": POSTGRES_DAMAGE}),
    indirect=["backend"],
)
def test_damaged_database_gets_one_line(seeded: Backend, damage: str, args: list[str]) -> None:
    """A table, column or value changed outside sim is one line naming it, not a traceback."""
    seeded.execute(*damage.split("; "))
    assert_refused_and_unchanged(seeded, args, "database")


def test_unexpected_error_is_one_line_naming_its_masked_traceback(
    seeded: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug prints one line with exit 1; the traceback file holds no password."""

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom at postgresql://u:hunter2@db/x?password=hunter2")

    monkeypatch.setattr("interfaces.public.store.list_runs", broken)
    result = sim("runs", "list", "--db", seeded.url)
    assert result.exit_code == 1
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: unexpected RuntimeError") and "hunter2" not in line
    report = Path(line.rsplit(" ", 1)[-1].rstrip(")"))
    text = report.read_text()
    report.unlink()
    assert "Traceback" in text and "hunter2" not in text


def test_stored_escape_codes_are_not_printed_raw(backend: Backend) -> None:
    """A name with an ESC byte written outside sim is listed with the byte shown as ?."""
    assert sim("run", *SMALL, "--db", backend.url).exit_code == 0
    backend.execute(
        "UPDATE runs SET name = 'a' || chr(27) || '[2Jb' WHERE id = 1"
        if backend.name == "postgresql"
        else "UPDATE runs SET name = 'a' || char(27) || '[2Jb' WHERE id = 1"
    )
    result = sim("runs", "list", "--db", backend.url)
    assert result.exit_code == 0 and "\x1b" not in result.output and "a?[2Jb" in result.output


def test_sqlite_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    """`--db` naming a file that is not SQLite says so instead of listing nothing."""
    path = tmp_path / "notes.db"
    path.write_text("not a database\n" * 100)
    result = sim("runs", "list", "--db", str(path))
    assert_one_line_error(result, "not a database")
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(path).execute("SELECT 1 FROM sqlite_master").fetchall()


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        pytest.param("/dev/null", "not a regular file", id="device"),
        pytest.param("loop", "leads to no file", id="symlink-loop"),
    ],
)
def test_sqlite_path_that_is_no_file_is_one_line(
    tmp_path: Path, target: str, fragment: str
) -> None:
    """`--db` naming a device or a symbolic link loop says so instead of "No runs yet"."""
    if target == "loop":
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        target = str(tmp_path / "a")
    assert_one_line_error(sim("runs", "list", "--db", target), fragment)
