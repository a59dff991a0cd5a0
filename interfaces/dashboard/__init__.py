"""``sim dashboard``: the token market in the browser, built with Mesa's Solara visualisation.

The live page runs a :class:`~interfaces.dashboard.market.DashboardMarket` (the baseline preset
plus the levers a policy analyst moves) beside the unchanged baseline; a second page overlays
runs already in the store; a run can be saved like any ``sim run``. ``levers`` turns the controls
into a scenario, ``history`` gives live and stored runs one shape, ``charts`` and ``network_view``
draw them, ``app`` lays out the page, ``server`` serves it.
"""
