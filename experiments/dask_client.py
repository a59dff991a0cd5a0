"""Connecting to a Dask scheduler: a client that fails fast and quietly when it cannot.

Kept apart from :mod:`experiments.sweep_executors` so that Dask is imported only by sweeps
that use it.
"""

from distributed import Client


class _Client(Client):
    """Dask's Client, except that one whose start failed is simply dropped.

    Dask's own clean-up of a client that never connected blocks for twice the connect timeout
    and then prints a traceback; there is nothing to close, so it is skipped.
    """

    def __del__(self) -> None:
        if self.status != "connecting":
            super().__del__()


def connect(address: str, timeout: float) -> Client:
    """A client of the scheduler at ``address``, connected within ``timeout`` seconds.

    Raises:
        OSError, ValueError, TypeError, RuntimeError: what Dask raises when it cannot connect.
    """
    return _Client(address, timeout=timeout, set_as_default=False)
