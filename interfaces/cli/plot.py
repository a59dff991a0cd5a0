"""``sim plot``: draw stored runs' histories into an image file."""

from pathlib import Path

import click

from interfaces.cli.common import db_option
from interfaces.plot import save_history
from runs.load import load_run
from runs.store import RunStore


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
    """Draw the history of one run, or of several overlaid, into FILE.

    Four panels over the run's months: the Chinese share of tokens on global platforms,
    average prices by provider jurisdiction (log), compute by jurisdiction (log) and Chinese
    compute by channel (log); policy changes are dashed vertical lines.
    Example: sim plot 1 2 3 --out compare.png
    """
    store = RunStore(db, create=False)
    runs = [load_run(store, run_id) for run_id in run_ids]
    click.echo(f"Wrote {save_history(runs, out)}")
