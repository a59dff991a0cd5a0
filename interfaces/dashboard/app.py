"""The dashboard page: the live model against the baseline, and the stored runs, in two tabs.

"Live run vs baseline" runs the model: the sidebar holds Mesa's Reset / play / Step controller
and the levers (each showing its value and unit; a changed lever applies on Reset), the charts
show this run beside the baseline preset, and a panel saves the run to the store. "Stored runs"
overlays runs picked from the store, drawn from their stored histories; the levers, which act
only on the live model, are not shown there. Solara serves this module
(``interfaces.dashboard.server``); each browser tab gets its own model.
"""

from collections.abc import Sequence
from html import escape

import solara
import solara.lab
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from interfaces import api
from interfaces.dashboard import charts
from interfaces.dashboard.history import History
from interfaces.dashboard.levers import controls
from interfaces.dashboard.market import DashboardMarket, save_run
from interfaces.dashboard.network_view import NETWORK_LIMIT, network_figure
from interfaces.formatting import SUMMARY_ROWS, fmt, row_label
from vocabulary.errors import InputError

TITLE = "Token market: policy dashboard"
LIVE_TAB, STORED_TAB = "Live run vs baseline", "Stored runs"
"""The page's two tabs, named for what they show."""
PLAY_INTERVAL_MS = 150
"""Pause between steps while playing."""


def _live(model: DashboardMarket) -> list[History]:
    return [model.history(), model.baseline]


def _model_colours(model: DashboardMarket) -> dict[str, str]:
    return charts.provider_colours((p.spec.name, p.spec.jurisdiction) for p in model.providers)


def _chart(figure, css_class: str, dependencies: list) -> None:
    with solara.Column(classes=[css_class], gap="0px"):
        solara.FigureMatplotlib(figure, format="png", dependencies=dependencies)


def _text(html: str, css_class: str = "note") -> None:
    """A paragraph of our own HTML (dynamic parts escaped by the caller).

    Solara's Markdown would load KaTeX from a CDN, which the page must not need.
    """
    solara.HTML(
        tag="div",
        unsafe_innerHTML=html,
        classes=[css_class],
        style="font-size: 13px; line-height: 1.5; margin: 4px 0",
    )


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def live_share(model: DashboardMarket) -> None:
    """The Chinese share, this run against the baseline, with the latest figures in words."""
    live, baseline = _live(model)
    month = live.last_month
    if month is None:
        caption = (
            "Not stepped yet: the dashed grey line is the baseline preset. Press Step or "
            "the play button."
        )
    else:
        last = live.market.index[-1]
        same = baseline.market["cn_share_global"].get(last)
        made = baseline.market["cn_model_share_global"].get(last)
        caption = (
            f"<b>{month}</b> (month {model.steps} of {model.horizon}): "
            f"{row_label('cn_share_global')} "
            f"<b>{_percent(live.last('cn_share_global'))}</b> in this run, "
            f"{_percent(same)} in the baseline; "
            f"{row_label('cn_model_share_global')} "
            f"<b>{_percent(live.last('cn_model_share_global'))}</b> in this run, "
            f"{_percent(made)} in the baseline (the thin lines)."
        )
    _text(caption, "share-caption")
    _chart(charts.share_figure([live, baseline]), "share-chart", [id(model), model.steps])


def live_prices(model: DashboardMarket) -> None:
    """Average prices by provider jurisdiction, this run against the baseline."""
    _chart(charts.price_figure(_live(model)), "price-chart", [id(model), model.steps])


def live_compute(model: DashboardMarket) -> None:
    """Compute by jurisdiction and channel, this run against the baseline."""
    _chart(charts.compute_figure(_live(model)), "compute-chart", [id(model), model.steps])


def live_providers(model: DashboardMarket) -> None:
    """Provider market shares, this run against the baseline."""
    _chart(
        charts.provider_share_figure(_live(model), _model_colours(model)),
        "provider-chart",
        [id(model), model.steps],
    )


def live_network(model: DashboardMarket) -> None:
    """The developer network coloured by provider, for populations small enough to draw."""
    sample = model.network_sample
    if sample is None:
        _text(
            f"The developer network is drawn for populations of at most {NETWORK_LIMIT:,} "
            f"developers; this run has {model.developers.size:,}."
        )
        return
    figure = network_figure(
        sample,
        model.developers.provider,
        model.provider_names,
        _model_colours(model),
        model.history().last_month,
    )
    _chart(figure, "network-chart", [id(model), model.steps])


@solara.component
def SavePanel(model: DashboardMarket, steps: int) -> None:
    """What this run is, the command that gives it, and a button that stores it."""
    task = solara.lab.use_task(lambda: save_run(model), dependencies=None, raise_error=False)
    changes = model.levers.changes()
    unapplied = model.levers.unapplied()
    command = model.command()
    with solara.Column(classes=["run-panel"]):
        where = f"month {steps} of {model.horizon}" if steps else "not stepped yet"
        _text(
            f"<h3>This run</h3>{where} · seed {model.seed} · "
            f"{model.scenario.developers:,} developers<br>"
            f"<b>Levers moved from the baseline:</b> {escape(', '.join(changes) or 'none')}"
            + (
                f"<br><b>Moved, but not applied (their policy is off):</b> "
                f"{escape(', '.join(unapplied))}"
                if unapplied
                else ""
            )
        )
        _text(
            f"The same run from the command line:<br><code>{escape(command)}</code>"
            if command
            else "A preset policy is switched off, which <code>sim run</code> cannot do: save "
            "the run here.",
            "command",
        )
        solara.Button("Save run to database", on_click=task, disabled=task.pending, color="primary")
        if task.pending:
            solara.Info("Simulating all months of this scenario and seed, as sim run does...")
        elif task.error:
            solara.Error(f"Not saved: {task.exception}", classes=["save-error"])
        elif task.finished and task.value is not None:
            solara.Success(
                f"Saved as run {task.value.run_id} (digest "
                f"{task.value.digest[:12]}); see: sim runs show {task.value.run_id}"
            )


def run_panel(model: DashboardMarket) -> None:
    """The save panel, fresh for each new model (after Reset)."""
    SavePanel(model, model.steps).key(f"save-{id(model)}")


stored_ids: solara.Reactive[list[int]] = solara.reactive([])
"""Run ids picked on the stored-runs page (per browser tab, as every Solara reactive)."""
stored_histories: solara.Reactive[tuple[History, ...]] = solara.reactive(())


def _final_table(histories: Sequence[History]) -> str:
    """The runs' last stored month, metric by metric, formatted as ``sim runs show`` does.

    Cells wrap at spaces (``25.92`` over ``quadrillion``) and the table never grows wider than
    its column, so four or more runs side by side lose no character to the column's edge;
    should a word still not fit, the table scrolls sideways rather than clip it.
    """
    cell = 'style="padding: 0 8px; white-space: normal; vertical-align: top"'
    head = "".join(
        f"<th {cell}>{escape(h.label.split(':')[0])}<br>{h.last_month}</th>" for h in histories
    )
    rows = "".join(
        f"<tr><td {cell}>{escape(label.strip())}</td>"
        + "".join(
            f'<td {cell} align="right">{escape(fmt(h.last(key), kind))}</td>' for h in histories
        )
        + "</tr>"
        for label, key, kind in SUMMARY_ROWS
    )
    return (
        '<div style="max-width: 100%; overflow-x: auto">'
        '<table style="border-collapse: collapse; font-size: 12px; line-height: 1.35; '
        'max-width: 100%">'
        f'<tr><th {cell} align="left">last month stored</th>{head}</tr>{rows}</table></div>'
    )


@solara.component
def StoredRunPicker(model: DashboardMarket) -> None:
    """Pick runs from the store; shows their last month as ``sim runs show`` does."""
    reloads = solara.use_reactive(0)
    unreadable = solara.use_reactive("")
    # why the last pick could not be drawn (a run deleted since the list was read)

    def read_list():
        try:
            store = api.open_store()
            return store, store.runs(), None
        except InputError as error:
            return None, None, str(error)

    store, table, problem = solara.use_memo(read_list, dependencies=[reloads.value])
    with solara.Column(classes=["stored-runs"]):
        _text(
            "<h3>Stored runs</h3>Pick runs to overlay their stored histories (nothing is "
            "simulated again)."
        )
        if problem:
            solara.Error(problem)
            return
        labels = {
            f"run {run_id}: {row['name']} (seed {row['seed']}, {row['status']}, "
            f"{row['steps_done']} months)": int(run_id)
            for run_id, row in table.iterrows()
        }
        by_id = {run_id: label for label, run_id in labels.items()}

        def pick(values: list[str]) -> None:
            ids = [labels[value] for value in values]
            try:
                histories = tuple(History.from_stored(store.run(run_id)) for run_id in ids)
            except InputError as error:  # deleted by another process since the list was read
                unreadable.set(f"{error}: press Reload the list")
                return
            unreadable.set("")
            stored_histories.set(histories)
            stored_ids.set(ids)

        if not labels:
            _text(
                f"No runs in {escape(store.url)} yet: run <code>sim run</code>, or "
                "save one from the live page."
            )
        else:
            solara.SelectMultiple(
                f"Runs in {store.url}",
                values=[by_id[i] for i in stored_ids.value if i in by_id],
                all_values=list(labels),
                on_value=pick,
            )
        if unreadable.value:
            solara.Error(unreadable.value, classes=["pick-error"])

        def reload() -> None:
            unreadable.set("")
            reloads.set(reloads.value + 1)

        solara.Button("Reload the list", on_click=reload, text=True)


@solara.component
def StoredFinalTable(model: DashboardMarket) -> None:
    """The picked runs' last stored month, metric by metric, as ``sim runs show`` prints it."""
    picked = [h for h in stored_histories.value if len(h.market)]
    if picked:
        _text(_final_table(picked), "final-table")
    else:
        _text("Pick stored runs to compare their last months here.")


def _stored_colours(histories: Sequence[History]) -> dict[str, str]:
    pairs = {}
    for history in histories:
        if len(history.providers):
            pairs.update(
                zip(history.providers["provider"], history.providers["jurisdiction"], strict=True)
            )
    return charts.provider_colours(pairs.items())


def _stored_chart(draw, css_class: str) -> None:
    histories = [h for h in stored_histories.value if len(h.market)]
    if not histories:
        _text("Pick stored runs to draw them here.")
        return
    _chart(draw(histories), css_class, [tuple(stored_ids.value)])


@solara.component
def StoredShare(model: DashboardMarket) -> None:
    """The Chinese share of the picked runs."""
    _stored_chart(charts.share_figure, "stored-share-chart")


@solara.component
def StoredPrices(model: DashboardMarket) -> None:
    """Prices by provider jurisdiction of the picked runs."""
    _stored_chart(charts.price_figure, "stored-price-chart")


@solara.component
def StoredCompute(model: DashboardMarket) -> None:
    """Compute by jurisdiction and channel of the picked runs."""
    _stored_chart(charts.compute_figure, "stored-compute-chart")


@solara.component
def StoredProviders(model: DashboardMarket) -> None:
    """Provider market shares of the picked runs."""
    _stored_chart(
        lambda hs: charts.provider_share_figure(hs, _stored_colours(hs)), "stored-provider-chart"
    )


LIVE_COMPONENTS = (
    live_share,
    live_prices,
    live_compute,
    live_providers,
    live_network,
    run_panel,
)
STORED_COMPONENTS = (
    StoredRunPicker,
    StoredFinalTable,
    StoredShare,
    StoredPrices,
    StoredCompute,
    StoredProviders,
)


@solara.component
def LeverControls(parameters: solara.Reactive[dict]) -> None:
    """The levers, population, months and seed; under each slider its value and unit.

    A lever of a policy that is unticked is disabled and says so, instead of moving and
    reading as if it acted.
    """
    every = controls()
    for name, options in every.items():
        value = parameters.value.get(name, options["value"])
        switch = options.get("switch")
        off = switch is not None and not parameters.value.get(switch, every[switch]["value"])

        def change(new, name=name) -> None:
            parameters.set({**parameters.value, name: new})

        kind = options["type"]
        if kind == "Checkbox":
            solara.Checkbox(label=options["label"], value=value, on_value=change)
            continue
        if kind == "Select":
            solara.Select(
                options["label"],
                value=value,
                values=options["values"],
                on_value=change,
                disabled=off,
            )
        else:
            slider = solara.SliderFloat if kind == "SliderFloat" else solara.SliderInt
            slider(
                options["label"],
                value=value,
                min=options["min"],
                max=options["max"],
                step=options["step"],
                on_value=change,
                disabled=off,
            )
        if off or kind != "Select":
            solara.Text(
                f'off: tick "{every[switch]["label"]}" to use it'
                if off
                else options["shown"](value),
                classes=["lever-value", "lever-off"] if off else ["lever-value"],
                style="display: block; font-size: 12px; color: #444; margin: -14px 0 10px 0",
            )


@solara.component
def LiveView(model: DashboardMarket) -> None:
    """The live charts and the save panel, redrawn on every step (Mesa's update counter)."""
    update_counter.get()
    with solara.ColumnsResponsive(6, large=6):
        for component in LIVE_COMPONENTS:
            with solara.Column():
                component(model)


@solara.component
def StoredView(model: DashboardMarket) -> None:
    """The stored runs: the picker, their last month, their charts."""
    with solara.ColumnsResponsive(6, large=6):
        for component in STORED_COMPONENTS:
            with solara.Column():
                component(model)


@solara.component
def Page() -> None:
    """The whole page; one model per browser tab."""
    model = solara.use_reactive(solara.use_memo(DashboardMarket, dependencies=[]))
    defaults = {name: options["value"] for name, options in controls().items()}
    parameters = solara.use_reactive(defaults)
    tab = solara.use_reactive(0)
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    threads = solara.use_reactive(False)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        if tab.value == 0:
            with solara.Card("This run"):
                ModelController(
                    model,
                    model_parameters=parameters,
                    play_interval=play_interval,
                    render_interval=render_interval,
                    use_threads=threads,
                )
                _text("Levers apply when you press Reset.")
            with solara.Card("Levers, population, months, seed"):
                LeverControls(parameters)
        else:
            _text(
                "Stored runs are drawn from the store as they were simulated: no lever acts "
                "on them. The levers are on the tab <b>Live run vs baseline</b>."
            )
    with solara.lab.Tabs(value=tab):
        with solara.lab.Tab(LIVE_TAB):
            if tab.value == 0:
                LiveView(model.value)
        with solara.lab.Tab(STORED_TAB):
            if tab.value == 1:
                StoredView(model.value)
