"""What every ``sim`` command shares: error handling, common options and number formats."""

import math
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from interfaces import api
from interfaces.cli.tables import new_console
from vocabulary.clock import STEP_LENGTHS
from vocabulary.errors import InputError

PIPE_CLOSED = 128 + signal.SIGPIPE
"""The exit status when the reader of our output is gone: a shell's for a SIGPIPE death."""


class BadInput(click.ClickException):
    """A user error: printed as ``Error: ...`` on one line, exit status 2."""

    exit_code = 2


class Crashed(click.ClickException):
    """A bug: one line saying where its traceback was written, exit status 1."""

    exit_code = 1


class SimGroup(click.Group):
    """Turns every user error raised below it into a one-line error with status 2.

    That is our own :class:`InputError`, click's usage errors (an option's value of the wrong
    type or out of range), which click would otherwise print under three lines of usage, and a
    database damaged in a way the store's own checks did not foresee. Anything else is a bug:
    the top group prints one line naming the file that holds its traceback, and exits 1.
    """

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, turning user errors into one line and exit status 2."""
        try:
            return super().invoke(ctx)
        except InputError as error:
            raise BadInput(_masked(str(error))) from None
        except click.UsageError as error:  # may quote any argument, e.g. a --db URL
            raise BadInput(_masked(error.format_message())) from None
        except SQLAlchemyError as error:
            reason = _masked(_first_line(getattr(error, "orig", None) or error))
            raise BadInput(f"the database cannot be used as it is: {reason}") from None
        except BrokenPipeError:
            _reader_gone()
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            if ctx.parent is not None:
                raise
            path = _write_traceback(error)
            raise Crashed(
                f"unexpected {type(error).__name__}: {_masked(_first_line(error))} "
                f"(a bug; the full traceback is in {path})"
            ) from None


def _reader_gone() -> NoReturn:
    """End quietly: the reader of standard output stopped reading (``sim policies | head -1``).

    As a Unix tool that SIGPIPE ends: no message, exit status 141 (128 + SIGPIPE). Standard
    output goes to /dev/null first, so that flushing what is left in it at exit fails no more.
    """
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # not a file (a test's buffer): nothing is left to flush
        pass
    sys.exit(PIPE_CLOSED)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _masked(text: str) -> str:
    """``text`` without database credentials.

    Neither those of any URL given on the command line or in ``$SIM_DB``, nor any that looks
    like one.
    """
    given = [
        arg.partition("=")[2] if arg.startswith("--") else arg
        for arg in [*sys.argv[1:], os.environ.get(api.DB_ENV_VAR, "")]
    ]
    return api.mask_credentials(text, given)


def _write_traceback(error: BaseException) -> str:
    """Write ``error``'s traceback, credentials masked, to a new file; return its path."""
    text = "".join(traceback.format_exception(error))
    handle, path = tempfile.mkstemp(prefix="sim-error-", suffix=".txt")
    with os.fdopen(handle, "w") as report:
        report.write(_masked(f"sim {' '.join(sys.argv[1:])}\n{text}"))
    return path


def with_options(
    command: Callable[..., Any], options: list[Callable[[Callable[..., Any]], Any]]
) -> Callable[..., Any]:
    """``command`` with click ``options`` applied, so that ``--help`` lists them in order."""
    for option in reversed(options):
        command = option(command)
    return command


def scenario_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options that say what to simulate, shared by every command that runs the model.

    The command receives ``scenario``, ``policies``, ``settings``, ``steps``, ``developers``,
    ``start`` and ``step_length``; :func:`scenario_from_options` turns them into one validated
    Scenario.
    """
    options = [
        click.option(
            "--scenario",
            default=None,
            metavar="NAME|FILE",
            help="A preset (baseline, no_controls, strict; see `sim scenario list`) or "
            "a scenario file, TOML or YAML (.yaml, .yml) [default: the default scenario, "
            "no policies].",
        ),
        click.option(
            "--policy",
            "policies",
            multiple=True,
            metavar="NAME",
            help="Enable a policy (repeatable); see `sim policies`.",
        ),
        click.option(
            "--set",
            "settings",
            multiple=True,
            metavar="KEY=VALUE",
            help="Override a parameter by dotted path, e.g. smuggling.leakage=0.3 or "
            "choice.social_weight=2 (repeatable); a policy goes by its name in the run "
            "(the baseline's licences: h20_resumed.fee=0.2).",
        ),
        click.option(
            "--steps",
            type=click.IntRange(1, 2600),
            default=None,
            help="Number of steps [default 48 months; with --step-length week, the "
            "weeks of the same span: 209].",
        ),
        click.option(
            "--developers",
            type=click.IntRange(100, 5_000_000),
            default=None,
            help="Size of the developer population [default 20000].",
        ),
        click.option(
            "--start", default=None, metavar="YYYY-MM", help="First month [default 2024-01]."
        ),
        click.option(
            "--step-length",
            "step_length",
            type=click.Choice(STEP_LENGTHS),
            default=None,
            help="What one step simulates: a month, or a week from the 1st of the "
            "start month [default month].",
        ),
    ]
    return with_options(command, options)


def scheduler_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--scheduler`` and ``--insecure-scheduler``: run on a Dask cluster instead of locally.

    The command receives ``scheduler`` and ``insecure_scheduler``; it checks them against its
    ``--workers`` with :func:`check_one_executor`.
    """
    options = [
        click.option(
            "--scheduler",
            default=None,
            metavar="ADDRESS",
            help="Run on this Dask distributed scheduler instead: tcp://HOST:PORT on this "
            "machine (e.g. tcp://127.0.0.1:8786), or tls://HOST:PORT anywhere.",
        ),
        click.option(
            "--insecure-scheduler",
            is_flag=True,
            help="Allow a --scheduler on another machine without TLS: whoever answers there, "
            "or can tamper with the network, can run any code on this machine.",
        ),
    ]
    return with_options(command, options)


def check_one_executor(workers: int | None, scheduler: str | None) -> None:
    """Local workers or a cluster, not both.

    Raises:
        InputError: both ``--workers`` and ``--scheduler`` were given.
    """
    if workers is not None and scheduler is not None:
        raise InputError(
            "--workers and --scheduler exclude each other: the cluster's own workers run the tasks"
        )


def scenario_from_options(
    scenario: str | None,
    policies: tuple[str, ...],
    settings: tuple[str, ...],
    steps: int | None,
    developers: int | None,
    start: str | None,
    step_length: str | None,
) -> api.Scenario:
    """The scenario the options describe: preset or file, plus policies, settings, options."""
    return api.scenario(
        scenario or None,
        policies=policies,
        settings=settings,
        developers=developers,
        steps=steps,
        start=start,
        step_length=step_length,
    )


db_option = click.option(
    "--db",
    envvar=api.DB_ENV_VAR,
    default=None,
    metavar="URL",
    help=f"SQLAlchemy URL or SQLite file of the run store [env {api.DB_ENV_VAR}; default runs.db].",
)
json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on one line instead of tables."
)


def json_safe(record: dict[str, Any]) -> dict[str, Any]:
    """The record with NaN (nothing to measure) as None, which JSON can carry."""
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in record.items()}


def progress_bar(label: str) -> Progress:
    """A bar of steps done and time left on standard error, labelled ``label`` (rich markup).

    Transient, so it is gone when the command prints its result.
    """
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=new_console(stderr=True),
        transient=True,
    )


@contextmanager
def shown_once_started(progress: Progress) -> Iterator[Callable[..., None]]:
    """``progress`` hidden until the work has started (call what this yields), gone at the end.

    A live bar redraws itself from a thread of its own; a local pool forks its workers (they
    start at once) only while this process has no other thread, so commands that run a pool
    show their bar from the pool's first callback on. What is yielded takes and ignores the
    callback's arguments.
    """
    try:
        yield lambda *_: progress.start()
    finally:
        progress.stop()


@contextmanager
def exit_when_interrupted(progress: Progress) -> Iterator[None]:
    """A run (or validation) stopped by a signal ends the command: message, status 130 or 143."""
    try:
        yield
    except (api.RunInterrupted, api.ValidationInterrupted) as stop:
        progress.stop()
        progress.console.print(f"[yellow]{escape(str(stop))}[/]")
        sys.exit(stop.exit_status)
