"""``sim dashboard``: serve the live policy dashboard in the browser."""

from importlib.util import find_spec

import click

from interfaces import api
from interfaces.cli.common import db_option
from interfaces.dashboard.server import DEFAULT_HOST, DEFAULT_PORT, free_port, serve
from vocabulary.errors import InputError


def _loopback(host: str) -> bool:
    """Whether serving on ``host`` keeps the dashboard to this machine."""
    return host.lower() == "localhost" or host.startswith("127.") or host in ("::1", "[::1]")


@click.command()
@db_option
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port to serve on (0: any free port).",
)
@click.option(
    "--host",
    default=DEFAULT_HOST,
    show_default=True,
    help="Address to serve on; the default is reachable from this machine only.",
)
def dashboard(db: str | None, port: int, host: str) -> None:
    """Watch the market in the browser: move a policy lever, step, compare with the baseline.

    Serves a page built with Solara and Mesa's model controller. The tab "Live run vs baseline" runs
    the model: set the levers in the sidebar (export-ban tiers, H20/H200 licences, smuggling
    leakage, Remote Access Security Act enforcement, Chinese electricity price, population, months,
    seed), press Reset to apply them, then Step or play; the charts draw this run beside the
    baseline preset with the same seed, and "Save run to database" stores it as `sim run` would. The
    tab "Stored runs" overlays runs already in the database. A database named by --db (or
    $SIM_DB) must hold runs already, so a typo is refused; without either, runs.db is used, or
    created by the first save. Ctrl-C stops the server.

    Example: sim dashboard --db runs.db --port 8800
    """
    if find_spec("solara") is None:
        raise InputError(
            "sim dashboard needs the dashboard extra: pip install 'token-market-sim[dashboard]'"
        )
    # A database that cannot be opened is an error now, not in the page. One named by --db or
    # $SIM_DB must hold a store already, so that a typo is not taken for an empty one; the
    # default runs.db may be missing (the page's first save creates it).
    api.open_store(db, existing=db is not None)
    port = free_port(host, port)
    if not _loopback(host):
        click.echo(
            f"Warning: --host {host} is not this machine's loopback address: anyone who "
            f"can reach port {port} of it over the network can use the dashboard, "
            "and run simulations with it.",
            err=True,
        )
    click.echo(f"Starting the dashboard on http://{host}:{port}/ ...", err=True)
    serve(
        host,
        port,
        db,
        on_ready=lambda url: click.echo(f"Dashboard ready at {url} (Ctrl-C stops it)", err=True),
    )
