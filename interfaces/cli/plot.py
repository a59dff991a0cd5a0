"""``sim plot``: draw stored runs' histories into an image file."""

from pathlib import Path

import click

from interfaces import api
from interfaces.cli.common import db_option


@click.command("plot")
@click.argument("run_ids", metavar="RUN [RUN...]", nargs=-1, required=True, type=int)
@click.option(
    "--out",
    required=True,
    metavar="FILE.png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Image to write; the suffix picks the format (png, pdf, svg, ...).",
)
@db_option
def plot_command(run_ids: tuple[int, ...], out: Path, db: str | None) -> None:
    """Draw the history of one run, or of several side by side, into FILE.

    One run: four panels over its months: the Chinese share of the tokens of developers
    outside China, average prices by provider jurisdiction (log), compute by jurisdiction (log)
    and Chinese compute by channel (log). Several runs: one panel per quantity, one colour per
    run. Policy changes are numbered dashed lines, listed in words with their runs below,
    under the names the runs give their policies (h20_resumed, not export_licence).

    \b
    Examples:
      sim plot 3 --out run3.png
      sim plot 1 2 3 --out compare.png
    """  # noqa: D301 - click's \b (keep these lines as they are) is a backspace
    click.echo(f"Wrote {api.open_store(db, existing=True).plot(run_ids, out)}")
