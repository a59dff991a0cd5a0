"""The interfaces: the public Python API (``interfaces.api``), the ``sim`` CLI and the dashboard.

The top layer. The CLI, the dashboard and the notebooks call only the public API, which calls
the experiments, storage and model layers below it.
"""
