"""Running ``sim`` in-process, as the CLI tests do."""

from click.testing import CliRunner, Result

from interfaces.cli import cli


def sim(*args: str, stdin: str | None = None) -> Result:
    """Invoke ``sim ARGS`` in-process; exceptions are caught so a crash shows as a failed assert.

    ``stdin`` is what the command reads from standard input (e.g. a confirmation).
    """
    return CliRunner().invoke(cli, list(args), prog_name="sim", input=stdin)
