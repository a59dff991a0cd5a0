"""A throwaway PostgreSQL server for the tests, started from the installed binaries.

The storage tests run on PostgreSQL too, so the suite starts its own server when PostgreSQL's
binaries are installed (``/usr/lib/postgresql/15/bin``, or the folder in ``$PG_BIN``) and no
server is named in ``$SIM_TEST_POSTGRES_URL``. Like ``.ci/with-postgres``, the server lives in a
fresh temporary folder, listens only on a Unix socket there (no TCP), requires a random password
(so that the tests see a real password they must never print), and is stopped and deleted at the
end. initdb refuses to run as root, so as root the server runs as the system user ``simci``
(created if missing); pytest-postgresql cannot do that, hence this module.
"""

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_BIN = "/usr/lib/postgresql/15/bin"
SERVER_USER = "simci"
"""The unprivileged system user the server runs as when the tests run as root."""
INSTALL_HINT = "apt-get install postgresql-15"


def binaries() -> Path:
    """The folder of PostgreSQL's server programs: ``$PG_BIN``, else Debian's PostgreSQL 15."""
    return Path(os.environ.get("PG_BIN") or DEFAULT_BIN)


def missing() -> str | None:
    """Why no server can be started here, with how to fix it; None when one can."""
    folder = binaries()
    if not all((folder / program).is_file() for program in ("initdb", "pg_ctl", "postgres")):
        return f"no PostgreSQL server programs in {folder} (install them: {INSTALL_HINT})"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser (util-linux) to start PostgreSQL as another user"
    return None


def _as_server_user(command: list[str]) -> list[str]:
    """``command`` run as the server's owner: ourselves, or ``simci`` when we are root."""
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


def _owner_folder() -> Path:
    """A fresh private folder the server's owner can write (created by and for it)."""
    folder = Path(tempfile.mkdtemp(prefix="sim-pg-"))
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin"]
                + [SERVER_USER],
                check=True,
            )
        shutil.chown(folder, SERVER_USER)
    return folder


def _run(command: list[str], log: Path) -> None:
    """Run a server program as its owner; a failure raises with the program's log in it."""
    done = subprocess.run(
        _as_server_user(command), cwd="/", capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        details = log.read_text() if log.is_file() else ""
        raise RuntimeError(f"{command[0]} failed:\n{done.stdout}{done.stderr}{details}")


@contextmanager
def throwaway_server() -> Iterator[str]:
    """A running server's admin URL (with its password), stopped and deleted on exit."""
    folder = _owner_folder()
    programs = binaries()
    data = folder / "data"
    log = folder / "server.log"
    user = SERVER_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    try:
        password = secrets.token_hex(16)
        password_file = folder / "password"
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        shutil.chown(password_file, user)
        _run(
            [str(programs / "initdb"), "-D", str(data), "-U", user, f"--pwfile={password_file}"]
            + ["--auth=scram-sha-256", "--encoding=UTF8", "--no-locale"],
            log,
        )
        options = f"-c listen_addresses='' -c unix_socket_directories='{folder}' -c fsync=off"
        _run(
            [str(programs / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"]
            + ["-o", options, "start"],
            log,
        )
        yield f"postgresql://{user}:{password}@/postgres?host={folder}"
    finally:
        if (data / "postmaster.pid").exists():
            _run([str(programs / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], log)
        shutil.rmtree(folder, ignore_errors=True)
