"""What ``--db`` and ``$SIM_DB`` accept: URLs, files, libpq keyword/value strings, and not memory.

A libpq keyword/value string (``host=... password=... dbname=...``) is a PostgreSQL database,
never a file named after it; an in-memory SQLite database is refused, since nothing stored in
it outlives the command; and no password of any form appears in any output, file name or
traceback file.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from backends import Backend
from sim_cli import sim
from sqlalchemy.engine import make_url
from test_bad_input import SIM, SMALL, assert_one_line_error

from interfaces import api
from runs.store import mask_secrets, resolve_url

PASSWORD = "S3cretPw!x"
KEYWORD_VALUE = f"host=127.0.0.1 port=1 user=simci password={PASSWORD} dbname=simt"
"""The hostile round's string: a libpq keyword/value string with a server that is not there."""


def keyword_value(url: str) -> str:
    """The libpq keyword/value string of the same database as ``postgresql://`` URL ``url``."""
    parsed = make_url(url)
    pairs = {
        "host": parsed.host or parsed.query.get("host"),
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "dbname": parsed.database,
    }
    return " ".join(f"{key}='{value}'" for key, value in pairs.items() if value is not None)


def test_a_keyword_value_string_is_a_postgresql_url() -> None:
    """Host, port, user, password and database land where a URL has them; the rest in its query."""
    assert resolve_url(KEYWORD_VALUE) == (
        "postgresql+psycopg://simci:S3cretPw%21x@127.0.0.1:1/simt"
    )
    quoted = resolve_url(r"dbname=simt host=/run/pg password='a b\'c' sslmode=disable")
    assert quoted == (
        "postgresql+psycopg:///simt?host=%2Frun%2Fpg&password=a+b%27c&sslmode=disable"
    )


@pytest.mark.parametrize(
    "target",
    [
        f"host=127.0.0.1 nosuchkey=1 password={PASSWORD}",
        f"host=127.0.0.1 password={PASSWORD} dbname",
        f"host=127.0.0.1 password='{PASSWORD}",
    ],
    ids=["unknown-keyword", "no-value", "open-quote"],
)
def test_a_malformed_keyword_value_string_is_refused_without_its_password(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One line naming what is wrong, no password, and no file made of the string."""
    monkeypatch.chdir(tmp_path)
    line = assert_one_line_error(sim("runs", "list", "--db", target), "libpq")
    assert PASSWORD not in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "target", [":memory:", "sqlite:///:memory:", "sqlite://", "sqlite:///file:x?mode=memory"]
)
@pytest.mark.parametrize(
    "args",
    [["run", *SMALL], ["runs", "list"], ["runs", "show", "1"], ["db", "check"], ["db", "upgrade"]],
    ids=lambda args: "-".join(a for a in args if not a.startswith("-") and not a.isdigit()),
)
def test_an_in_memory_store_is_refused(
    target: str, args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An in-memory database would say "Stored as run 1" and keep nothing: refused, in one line."""
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(sim(*args, "--db", target), "in-memory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("sslpassword=hunter2: connection is bad", "sslpassword=***: connection is bad"),
        ("password=hunter2, then dbname=x", "password=***, then dbname=x"),
        ("bad password 'password=hunter2'.", "bad password 'password=***'."),
        ("password='hunter 2' dbname=x", "password=*** dbname=x"),
        (
            "postgresql://u@h/d?password=hunter2&x=1: refused",
            "postgresql://u@h/d?password=***&x=1: refused",
        ),
        ("postgresql://u:hunter2@h/d: refused", "postgresql://u:***@h/d: refused"),
    ],
)
def test_masking_keeps_the_text_around_the_secret(text: str, masked: str) -> None:
    """Only the secret becomes ***: the punctuation and words after it stay as they were."""
    assert mask_secrets(text) == masked
    assert mask_secrets(text, ["hunter2", "hunter 2"]) == masked


def test_notebooks_take_a_keyword_value_sim_db_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """``db_where_started`` leaves a keyword/value ``$SIM_DB`` alone, as it does a URL."""
    monkeypatch.setenv(api.DB_ENV_VAR, KEYWORD_VALUE)
    assert api.db_where_started("/somewhere") == KEYWORD_VALUE


COMMANDS = [
    ["run", *SMALL],
    ["run", *SMALL, "--json"],
    ["runs", "list"],
    ["runs", "list", "--json"],
    ["runs", "show", "1"],
    ["runs", "show", "1", "--json"],
    ["runs", "show", "999"],
    ["db", "check"],
]


def _run_everywhere(tmp_path: Path, url: str, how: str) -> list[str]:
    """Each of :data:`COMMANDS` in a real process in ``tmp_path``, ``url`` as ``how`` says.

    ``how`` is ``--db`` or ``SIM_DB``. Traceback files go to ``tmp_path/tmp``. Returns every
    output (stdout and stderr of each command).
    """
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    env.pop(api.DB_ENV_VAR, None)
    (tmp_path / "tmp").mkdir(exist_ok=True)
    outputs = []
    for args in COMMANDS:
        if how == "SIM_DB":
            command, env[api.DB_ENV_VAR] = [*SIM, *args], url
        else:
            command = [*SIM, *args, "--db", url]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env
        )
        outputs += [done.stdout, done.stderr]
    return outputs


def _password_nowhere(tmp_path: Path, outputs: list[str], password: str) -> None:
    """``password`` is in no output, no file or folder name under ``tmp_path``, no file there."""
    for output in outputs:
        assert password not in output, output
    for path in tmp_path.rglob("*"):
        assert password not in path.name, path
        if path.is_file():
            assert password.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("how", ["--db", "SIM_DB"])
@pytest.mark.parametrize(
    "url",
    [
        f"postgresql://simci:{PASSWORD}@127.0.0.1:1/simt",
        f"postgresql://simci@127.0.0.1:1/simt?password={PASSWORD}",
        KEYWORD_VALUE,
    ],
    ids=["user-info", "query", "keyword-value"],
)
def test_no_password_of_any_form_is_shown_or_written(url: str, how: str, tmp_path: Path) -> None:
    """A server that is not there: every command is one line, none shows or writes the password."""
    outputs = _run_everywhere(tmp_path, url, how)
    for stdout, stderr in zip(outputs[::2], outputs[1::2], strict=True):
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert stdout == "" and len(lines) == 1 and lines[0].startswith("Error: "), stderr
        assert "a bug" not in stderr, stderr
    _password_nowhere(tmp_path, outputs, PASSWORD)


@pytest.mark.parametrize("how", ["--db", "SIM_DB"])
def test_a_keyword_value_string_reaches_a_real_server(
    postgres: Backend, how: str, tmp_path: Path
) -> None:
    """Runs are stored and read through a keyword/value string; its password shows nowhere."""
    target = keyword_value(postgres.url)
    outputs = _run_everywhere(tmp_path, target, how)
    assert "Stored as run 1 in" in outputs[0], outputs[:2]
    assert outputs[2].strip(), outputs[2:4]
    assert json.loads(outputs[2].splitlines()[-1])["run_id"] == 2, outputs[2:4]
    assert postgres.query("SELECT count(*) FROM runs") == [(2,)]
    _password_nowhere(tmp_path, outputs, postgres.password)
