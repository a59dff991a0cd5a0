"""Bad input, case by case: one line naming the problem, exit status 2, nothing stored changed.

A typo must cost the user one readable line (``Error: ...`` on standard error, nothing on
standard output), never a traceback and never a half-made run. Cases that touch a database run
on both backends against a store that already holds a run, and compare every row (and, for
SQLite, every file in the folder) before and after; PostgreSQL URLs carry a password, which
must never be printed.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from backends import Backend
from click.testing import Result
from sim_cli import sim

SMALL = ("--developers", "500", "--steps", "6")
SIM = [sys.executable, "-c", "from interfaces.cli import main; main()"]
UNREACHABLE = "postgresql://nobody:secret@127.0.0.1:1/none"
STORE_COMMANDS = [
    pytest.param(["run", *SMALL], id="run"),
    pytest.param(["runs", "list"], id="runs-list"),
    pytest.param(["runs", "show", "1"], id="runs-show"),
    pytest.param(["db", "upgrade"], id="db-upgrade"),
]


def assert_one_line_error(result: Result, *fragments: str) -> str:
    """Exit status 2, exactly one line starting 'Error:' (on stderr), no traceback."""
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.output!r}"
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == "", f"nothing belongs on stdout: {result.stdout!r}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {result.stderr!r}"
    assert lines[0].startswith("Error:"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    return lines[0]


@pytest.fixture
def seeded(backend: Backend) -> Backend:
    """The backend's fresh database holding one finished run (export_ban, seed 1)."""
    result = sim("run", *SMALL, "--policy", "export_ban", "--seed", "1", "--db", backend.url)
    assert result.exit_code == 0, result.output
    return backend


def assert_refused_and_unchanged(store: Backend, args: list[str], *fragments: str) -> str:
    """``sim ARGS --db STORE`` is refused with one line, and the store is exactly as before."""
    before = store.snapshot()
    result = sim(*args, "--db", store.url)
    line = assert_one_line_error(result, *fragments)
    if store.password:
        assert store.password not in result.output
    assert store.snapshot() == before
    return line


def test_unknown_policy_is_refused_naming_the_known_ones(seeded: Backend) -> None:
    """`--policy` with a name that is not a policy says which names there are."""
    assert_refused_and_unchanged(
        seeded,
        ["run", *SMALL, "--policy", "nope"],
        "unknown policy 'nope'",
        "export_ban",
        "smuggling",
    )


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        pytest.param(
            ["--set", "choice.nope=1"], ["choice.nope", "social_weight"], id="unknown-scenario-key"
        ),
        pytest.param(
            ["--set", "providers.Nobody.latency_s=1"],
            ["Nobody", "DeepSeek"],
            id="unknown-roster-entry",
        ),
        pytest.param(
            ["--set", "smuggling.leakage=0.5"],
            ["smuggling", "not enabled"],
            id="policy-not-enabled",
        ),
        pytest.param(
            ["--policy", "smuggling", "--set", "smuggling.leakage"],
            ["KEY=VALUE"],
            id="no-equals-sign",
        ),
    ],
)
def test_unknown_set_key_is_refused_naming_the_known_ones(
    seeded: Backend, args: list[str], fragments: list[str]
) -> None:
    """A `--set` path that leads nowhere names the keys (or entries) that exist there."""
    assert_refused_and_unchanged(seeded, ["run", *SMALL, *args], *fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        pytest.param(
            ["--policy", "smuggling", "--set", "smuggling.leakage=abc"],
            ["smuggling.leakage", "valid number", "abc"],
            id="set-text-for-number",
        ),
        pytest.param(
            ["--steps", "many"],
            ["--steps", "'many' is not a valid integer"],
            id="option-text-for-integer",
        ),
    ],
)
def test_value_of_the_wrong_type_is_refused(
    seeded: Backend, args: list[str], fragments: list[str]
) -> None:
    """A value that is not of the parameter's type names the parameter and the value."""
    assert_refused_and_unchanged(seeded, ["run", *SMALL, *args], *fragments)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        pytest.param(
            ["--policy", "smuggling", "--set", "smuggling.leakage=1.5"],
            ["smuggling.leakage", "less than or equal to 1", "1.5"],
            id="leakage-above-one",
        ),
        pytest.param(
            ["--set", "providers.DeepSeek.price_usd_per_m=-1"],
            ["price_usd_per_m", "-1"],
            id="negative-price",
        ),
        pytest.param(
            ["--developers", "5"], ["--developers", "100<=x<=5000000"], id="population-too-small"
        ),
    ],
)
def test_value_out_of_range_is_refused_naming_the_range(
    seeded: Backend, args: list[str], fragments: list[str]
) -> None:
    """A value of the right type but outside its range names the parameter and the bound."""
    assert_refused_and_unchanged(seeded, ["run", *SMALL, *args], *fragments)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--step-length", "day"], id="option"),
        pytest.param(["--set", "step_length=day"], id="set"),
    ],
)
def test_unknown_step_length_is_refused_naming_the_allowed_ones(
    seeded: Backend, args: list[str]
) -> None:
    """A step length other than month or week names the setting and both allowed values."""
    line = assert_refused_and_unchanged(seeded, ["run", *SMALL, *args], "day", "'month'", "'week'")
    assert "step-length" in line or "step_length" in line


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        pytest.param(
            'step_length = "fortnight"\n',
            ["step_length", "'month' or 'week'", "fortnight"],
            id="unknown-step-length",
        ),
        pytest.param(
            'name = "mine"\n[demand\ngrowth_china = 1\n', ["invalid TOML", "line 2"], id="not-toml"
        ),
        pytest.param(
            '[demand]\ngrowth_china = "fast"\n',
            ["demand.growth_china", "fast"],
            id="wrong-type-inside",
        ),
        pytest.param(
            "[demand]\nno_such_parameter = 1\n", ["no_such_parameter"], id="unknown-key-inside"
        ),
        pytest.param(None, ["no such file"], id="missing-file"),
    ],
)
def test_malformed_scenario_file_is_refused(
    seeded: Backend, content: str | None, fragments: list[str]
) -> None:
    """`--scenario FILE` that cannot be read as a scenario names the file and the problem."""
    path = seeded.folder / "scenario.toml"
    if content is not None:
        path.write_text(content)
    line = assert_refused_and_unchanged(
        seeded, ["run", *SMALL, "--scenario", str(path)], *fragments
    )
    assert str(path) in line


def test_unknown_run_id_is_refused_naming_the_ids_there_are(seeded: Backend) -> None:
    """`sim runs show` of a run that is not there says which run ids the store has."""
    assert_refused_and_unchanged(seeded, ["runs", "show", "999"], "no run 999", "1 to 1")


@pytest.mark.parametrize("command", STORE_COMMANDS)
def test_database_that_cannot_be_reached_is_refused_without_its_password(
    command: list[str],
) -> None:
    """A server that is not there is one line naming the URL, with the password masked."""
    result = sim(*command, "--db", UNREACHABLE)
    assert_one_line_error(
        result, "cannot open database", "postgresql+psycopg://nobody:***@127.0.0.1:1/none"
    )
    assert "secret" not in result.output


@pytest.mark.parametrize("wrong", ["password", "database"])
@pytest.mark.parametrize("command", STORE_COMMANDS)
def test_wrong_password_or_database_on_a_real_server_is_refused(
    postgres: Backend, command: list[str], wrong: str
) -> None:
    """A real server turning the connection down: its reason, and no password shown.

    Neither the wrong password given nor the right one appears, and nothing is created on the
    server.
    """
    parts = urlsplit(postgres.url)
    if wrong == "password":
        netloc = parts.netloc.replace(f":{parts.password}@", ":not-the-password@")
        url, reason, secret = parts._replace(netloc=netloc).geturl(), "password", "not-the-password"
    else:
        url, reason, secret = (
            parts._replace(path="/no_such_database").geturl(),
            '"no_such_database" does not exist',
            postgres.password,
        )
    before = postgres.snapshot()
    result = sim(*command, "--db", url)
    assert_one_line_error(result, "cannot open database", reason)
    assert secret not in result.output and postgres.password not in result.output
    assert postgres.snapshot() == before


@pytest.mark.parametrize("command", STORE_COMMANDS)
def test_database_in_a_folder_that_does_not_exist_is_refused(
    tmp_path: Path, command: list[str]
) -> None:
    """A path whose folder is missing (a typo, an unmounted disk) is refused.

    The folder is not created. A command that only reads says there is no run store there.
    """
    db = tmp_path / "no_such_folder" / "runs.db"
    result = sim(*command, "--db", str(db))
    if command[0] == "runs":
        assert_one_line_error(result, "no run store in", str(db))
    elif command == ["db", "upgrade"]:
        assert_one_line_error(result, "no run store", "nothing to upgrade")
    else:
        assert_one_line_error(result, str(db), "folder", "no_such_folder", "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_database_in_a_read_only_folder_is_refused(tmp_path: Path) -> None:
    """A folder the user may not write to is refused in one line, with nothing created.

    CI runs as root, whom permission bits do not stop; so the command runs in a real process
    that has given up root's powers over files (setpriv drops the capabilities), which is
    what a read-only mount or another user's folder means for everyone else.
    """
    folder = tmp_path / "read_only"
    folder.mkdir()
    folder.chmod(0o555)
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip(
                "running as root without setpriv to drop root's powers "
                "(install it: apt-get install util-linux)"
            )
        caps = "-dac_override,-dac_read_search,-fowner"
        prefix = [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]
    db = folder / "runs.db"
    done = subprocess.run(
        [*prefix, *SIM, "run", *SMALL, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == "" and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [f"Error: cannot create database {db}: folder {folder} is not writable"]
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("command", STORE_COMMANDS)
def test_file_that_is_not_a_database_is_refused_and_left_as_it_was(
    tmp_path: Path, command: list[str]
) -> None:
    """Pointing --db at some other file (a CSV, a mistyped path) must not touch it.

    One line says it is not a database; the file stays byte for byte as it was, with nothing
    created beside it.
    """
    garbage = tmp_path / "notes.db"
    garbage.write_bytes(bytes(range(256)) * 16)
    result = sim(*command, "--db", str(garbage))
    assert_one_line_error(result, "cannot open database", "file is not a database")
    assert garbage.read_bytes() == bytes(range(256)) * 16
    assert [p.name for p in tmp_path.iterdir()] == ["notes.db"]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["run", *SMALL, "--policy", "nope"], id="unknown-policy"),
        pytest.param(["run", *SMALL, "--db", UNREACHABLE], id="unreachable-postgres"),
        pytest.param(["runs", "show", "1", "--db", "{garbage}"], id="file-not-a-database"),
    ],
)
def test_bad_input_in_a_real_process_prints_one_line_on_stderr(tmp_path: Path, args) -> None:
    """A real `sim` process, which is what users see, also answers with one line.

    CliRunner shares this interpreter. The real process's exit status must be 2 with one
    'Error:' line on stderr, nothing on stdout, no traceback and no password, whatever
    import-time or driver errors the real environment produces.
    """
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"\x00not sqlite\xff" * 200)
    content = garbage.read_bytes()
    args = [a.replace("{garbage}", str(garbage)) for a in args]
    if "--db" not in args:
        args += ["--db", str(tmp_path / "runs.db")]
    done = subprocess.run([*SIM, *args], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert "Traceback" not in done.stderr and "secret" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), done.stderr
    assert garbage.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.db"]


def test_programming_preference_for_a_lab_not_in_the_roster_is_refused(seeded: Backend) -> None:
    """A preference for a lab the run does not have names the setting and the roster's labs."""
    assert_refused_and_unchanged(
        seeded,
        ["run", *SMALL, "--set", "choice.programming_preference.Nobody=1"],
        "choice.programming_preference",
        "Nobody",
        "Anthropic",
    )
