"""Serving the dashboard: Solara's Starlette app under uvicorn, on 127.0.0.1 by default.

Solara reads its settings from the environment when it is first imported, so :func:`serve` sets
them before importing it: the page module, no telemetry, no hook linting of Mesa's components,
our title, and a cull of the state of pages no longer connected. The page's JavaScript and CSS
come from the ``solara-assets`` package and are served by the dashboard itself, so the page works
without internet access and the browser talks to the dashboard's address only.
"""

import os
import socket
import threading
import time
import warnings

from interfaces.api import DB_ENV_VAR
from vocabulary.errors import InputError

APP = "interfaces.dashboard.app"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

SOLARA_ENVIRONMENT = {
    "SOLARA_APP": APP,
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_CHECK_HOOKS": "off",
    "SOLARA_THEME_TITLE": "Token market dashboard",
    "SOLARA_THEME_SHOW_BANNER": "False",
}
KERNEL_CULL_TIMEOUT = "60s"
"""How long a page's state (its Solara kernel: its model and charts) outlives the page's
connection. Solara keeps it 24 hours by default, so every page load, reload or closed tab grew
the server by the model it held; a minute still lets a page that lost its connection for a
moment come back to its run. ``$SOLARA_KERNEL_CULL_TIMEOUT`` overrides it."""


def free_port(host: str, port: int) -> int:
    """``port`` if the dashboard can listen on it (any free port for 0).

    Raises:
        InputError: if the address is taken or not this machine's.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise InputError(
                f"cannot listen on {host}:{port} ({error.strerror or error}); "
                "pick another --port, or a --host of this machine"
            ) from None
        return probe.getsockname()[1]


def serve(host: str, port: int, db: str | None, on_ready=None) -> None:
    """Serve the dashboard until interrupted (Ctrl-C or SIGTERM).

    Args:
        host: address to listen on.
        port: port to listen on; must be free (see :func:`free_port`).
        db: the run store to read and save runs (URL or SQLite file); ``$SIM_DB`` or
            ``runs.db`` when None.
        on_ready: called with the page's URL once the server accepts connections.
    """
    os.environ.update(SOLARA_ENVIRONMENT)
    os.environ.setdefault("SOLARA_KERNEL_CULL_TIMEOUT", KERNEL_CULL_TIMEOUT)
    os.environ["SERVER_NAME"], os.environ["SERVER_PORT"] = host, str(port)
    if db is not None:
        os.environ[DB_ENV_VAR] = db

    # Solara warns on every page load from an address other than "localhost" that its session
    # cookie falls back to SameSite=lax, which is what a local dashboard wants anyway.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import uvicorn  # after the environment: importing the app reads Solara's settings

    server = uvicorn.Server(
        uvicorn.Config(
            "solara.server.starlette:app",
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
        )
    )
    if on_ready is not None:

        def announce() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                on_ready(f"http://{host}:{port}/")

        threading.Thread(target=announce, daemon=True).start()
    server.run()
