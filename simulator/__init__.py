"""Agent-based simulator of the global AI token market under chip export controls."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("token-market-sim")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
