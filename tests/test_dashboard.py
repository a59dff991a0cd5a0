"""``sim dashboard``: the levers, saving a run, and the page itself in a real browser.

The browser tests start ``sim dashboard`` as a subprocess on a free port of 127.0.0.1 and drive
Debian's Chromium through Playwright (never a browser Playwright downloads). The browser may
talk to 127.0.0.1 only: anything else is refused and fails the test. Without Chromium they are
skipped, unless the CI variable is set: then they fail, since CI must install it.
"""

import json
import os
import queue
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest
from click.testing import CliRunner

from interfaces.cli import cli
from interfaces.dashboard.app import STORED_TAB, _final_table
from interfaces.dashboard.charts import COMPUTE_SERIES, compute_figure
from interfaces.dashboard.history import History
from interfaces.dashboard.levers import BASELINE, BASELINE_LEVERS, Levers, controls
from interfaces.dashboard.market import DashboardMarket, baseline_history, save_run
from interfaces.formatting import SUMMARY_ROWS
from runs.load import list_runs, load_run, open_store
from runs.store import RunStore
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from simulator.model import TokenMarket

SIM = [sys.executable, "-c", "from interfaces.cli import main; main()"]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
SMALL = {"developers": 500, "steps": 6, "seed": 2}


def moved(**changes) -> Levers:
    """The baseline levers with some moved."""
    fields = {name: getattr(BASELINE_LEVERS, name) for name in Levers.__dataclass_fields__}
    return Levers(**{**fields, **changes})


# ---- the levers and the model, without a browser ------------------------------------------


def test_untouched_levers_simulate_the_baseline_preset():
    """With no lever moved, the dashboard run is the baseline it is compared with."""
    model = DashboardMarket(**SMALL)
    model.run()
    assert model.levers.changes() == []
    assert model.scenario == load_scenario(BASELINE).model_copy(
        update={"developers": SMALL["developers"], "steps": SMALL["steps"]}
    )
    pd.testing.assert_frame_equal(model.history().market, model.baseline.market)


def test_moved_levers_change_the_scenario_and_are_listed():
    """Each lever reaches its policy parameter, and the panel lists what moved."""
    levers = moved(
        ban_tiers=("2022-10",),
        smuggling_leakage=0.8,
        remote_access=True,
        remote_access_enforcement=0.5,
        cn_electricity=2.0,
    )
    scenario = levers.scenario(developers=500, steps=6)
    params = {p.key: p.params for p in scenario.policies}
    assert params["export_ban"].tiers == ["2022-10"]
    assert params["smuggling"].leakage == 0.8
    assert params["remote_access"].enforcement == 0.5
    assert params["energy_price"].multiplier == 2.0
    assert levers.changes() == [
        "remote_access on",
        "energy_price on",
        "export_ban.tiers=2022-10",
        "smuggling.leakage=0.8",
        "remote_access.enforcement=0.5",
        "energy_price.multiplier=2.0",
    ]


def test_switching_a_preset_policy_off_removes_it_and_leaves_no_command():
    """`sim run` cannot remove a preset policy, so no command is offered for such a run."""
    levers = moved(export_ban=False, licences=False)
    keys = [p.key for p in levers.scenario(developers=500, steps=6).policies]
    assert keys == ["smuggling", "beijing_measures", "host_permits"]
    assert levers.command(500, 6, 1) is None


def test_slider_float_noise_does_not_reach_the_scenario():
    """Browser slider arithmetic must not make the run differ from the command printed."""
    levers = moved(smuggling_leakage=0.45000000000000007)
    assert levers.changes() == ["smuggling.leakage=0.45"]


def test_a_saved_dashboard_run_equals_the_sim_run_its_panel_prints(tmp_path):
    """Saving stores exactly what the printed `sim run` command stores (same digest)."""
    model = DashboardMarket(smuggling_leakage=0.8, remote_access=True, cn_electricity=1.5, **SMALL)
    model.step()  # how far the page stepped does not matter: the whole run is stored
    saved = save_run(model, str(tmp_path / "dashboard.db"))
    command = shlex.split(model.command())
    assert command[:2] == ["sim", "run"]
    result = CliRunner().invoke(cli, [*command[1:], "--db", str(tmp_path / "cli.db"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["digest"] == saved.digest
    stored = load_run(open_store(str(tmp_path / "dashboard.db")), saved.run_id)
    assert stored.name == model.run_name() and stored.steps_done == SMALL["steps"]


def test_a_stored_run_draws_the_same_history_as_the_live_one(tmp_path):
    """The stored-runs page draws from the store the very numbers the live page showed."""
    model = DashboardMarket(remote_access=True, **SMALL)
    model.run()
    saved = save_run(model, str(tmp_path / "runs.db"))
    stored = History.from_stored(load_run(open_store(str(tmp_path / "runs.db")), saved.run_id))
    live = model.history()
    columns = list(live.market.columns)
    pd.testing.assert_frame_equal(stored.market[columns], live.market, check_dtype=False)
    pd.testing.assert_frame_equal(
        stored.events[["policy", "status"]], live.events, check_dtype=False
    )
    assert list(stored.providers["share_global"]) == list(live.providers["share_global"])


def test_the_baseline_comparison_uses_the_same_seed_and_population():
    """The dashed baseline is simulated once per seed, population and horizon."""
    model = DashboardMarket(remote_access=True, **SMALL)
    assert model.baseline is baseline_history(SMALL["developers"], SMALL["steps"], SMALL["seed"])
    assert len(model.baseline.market) == SMALL["steps"]


def test_the_network_is_drawn_only_for_small_populations():
    """A readable sample of the network for small populations; none for large ones."""
    small = DashboardMarket(developers=500, steps=6, seed=1)
    sample = small.network_sample
    assert 0 < len(sample.nodes) <= 250 and len(set(sample.nodes.tolist())) == len(sample.nodes)
    assert DashboardMarket(developers=2_500, steps=6, seed=1).network_sample is None


def fake_history(label: str, months: int = 12) -> History:
    """A run's history of made-up figures: the compute chart's and the final table's."""
    index = pd.period_range("2024-01", periods=months, freq="M", name="month")
    columns = {column for column, _, _ in COMPUTE_SERIES} | {key for _, key, _ in SUMMARY_ROWS}
    market = pd.DataFrame({c: [1e3 * (i + 1) for i in range(months)] for c in columns}, index)
    events = pd.DataFrame(columns=["policy", "status"], index=index[:0])
    return History(label, market, pd.DataFrame(), events)


def test_the_compute_chart_of_many_runs_gives_each_run_its_panel():
    """Four stored runs were 24 lines in one panel: now four panels of six, on one scale."""
    runs = [fake_history(f"run {i}: name {i} (seed 1)") for i in range(1, 5)]
    figure = compute_figure(runs)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert len(panels) == 4 and all(len(ax.get_lines()) == len(COMPUTE_SERIES) for ax in panels)
    assert [ax.get_title(loc="left") for ax in panels] == [r.label for r in runs]
    assert len({ax.get_ylim() for ax in panels}) == 1
    (together,) = compute_figure(runs[:2]).axes  # the live page: this run and the baseline
    assert len(together.get_lines()) == 2 * len(COMPUTE_SERIES)


def test_a_lever_of_a_policy_switched_off_is_disabled_and_its_move_is_not_dropped():
    """RASA unticked: its enforcement slider is greyed out; a move made before says it is idle."""
    controls_ = controls()
    assert {name: c["switch"] for name, c in controls_.items() if "switch" in c} == {
        "ban_tiers": "export_ban",
        "smuggling_leakage": "smuggling",
        "remote_access_enforcement": "remote_access",
    }
    levers = moved(remote_access=False, remote_access_enforcement=0.8, smuggling_leakage=0.45)
    assert levers.changes() == ["smuggling.leakage=0.45"]
    assert levers.unapplied() == ["remote_access.enforcement=0.8 (remote_access off)"]
    assert moved(remote_access=True, remote_access_enforcement=0.8).unapplied() == []


def test_the_final_table_wraps_its_cells_instead_of_clipping_them():
    """At four runs the table was clipped ("ru", "25.92 q"): its cells may now wrap."""
    html = _final_table([fake_history(f"run {i}: r (seed 1)") for i in range(4)])
    assert "nowrap" not in html and "overflow-x: auto" in html


def test_dashboard_refuses_a_store_that_is_not_there(tmp_path, monkeypatch):
    """`--db typo.db` is one line and exit 2, as for the read-only commands; nothing is made.

    Without --db or $SIM_DB the page may start on a missing runs.db: its first save makes it.
    """
    typo = tmp_path / "rusn.db"
    result = CliRunner().invoke(cli, ["dashboard", "--port", "1", "--db", str(typo)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith("Error: no run store in") and result.output.count("\n") == 1
    assert not typo.exists()
    monkeypatch.setenv("SIM_DB", str(typo))
    assert CliRunner().invoke(cli, ["dashboard", "--port", "1"]).exit_code == 2


def test_dashboard_refuses_a_port_already_taken(tmp_path):
    """A busy port is one line and exit status 2, not a traceback from the web server."""
    db = str(tmp_path / "runs.db")
    RunStore(db).engine.dispose()  # a store that is there, empty
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["dashboard", "--port", str(port), "--db", db])
    assert result.exit_code == 2
    assert (
        result.output.startswith("Error: cannot listen on 127.0.0.1:")
        and result.output.count("\n") == 1
    )


# ---- the page in a real browser --------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure under CI, which must install it)."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}, but CI is set: .ci/run must install it")
        pytest.skip(f"{message}; the browser tests run in CI")
    return CHROMIUM


def _reader(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


CULL_SECONDS = 1
"""The browser tests' kernel cull timeout, so that a reload loop need not wait the default."""


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, chromium) -> Iterator[tuple[str, Path, subprocess.Popen]]:
    """``sim dashboard`` on a free port of 127.0.0.1, over a store holding one ``sim run``."""
    folder = tmp_path_factory.mktemp("dashboard")
    db = folder / "runs.db"
    subprocess.run(
        [
            *SIM,
            "run",
            "--scenario",
            BASELINE,
            "--developers",
            "1000",
            "--steps",
            "12",
            "--seed",
            "5",
            "--db",
            str(db),
        ],
        check=True,
        capture_output=True,
        cwd=folder,
    )
    process = subprocess.Popen(
        [*SIM, "dashboard", "--db", str(db), "--port", "0"],
        cwd=folder,
        env={**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": f"{CULL_SECONDS}s"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(process.stderr, lines), daemon=True).start()
    seen = []
    try:
        while True:
            line = lines.get(timeout=180)
            seen.append(line)
            if found := re.search(r"ready at (http://127\.0\.0\.1:\d+/)", line):
                break
            if process.poll() is not None:
                pytest.fail("sim dashboard exited: " + "".join(seen))
        yield found.group(1), db, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def server(dashboard) -> tuple[str, Path]:
    """The dashboard's URL and its store."""
    url, db, _ = dashboard
    return url, db


@pytest.fixture
def page(server, chromium):
    """A browser page that may reach the dashboard only.

    Any request elsewhere, or a file the dashboard cannot serve, fails the test.
    """
    from playwright.sync_api import expect, sync_playwright

    url, _ = server
    expect.set_options(timeout=60_000)  # a step redraws five charts; CI machines are small
    outside, missing = [], []

    def only_local(route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.set_default_timeout(60_000)
        tab.route("**/*", only_local)
        tab.on("response", lambda r: r.status >= 400 and missing.append(f"{r.status} {r.url}"))
        tab.goto(url)
        tab.locator(".share-caption").wait_for()
        yield tab
        browser.close()
    assert outside == [], "the page asked for addresses other than 127.0.0.1"
    assert missing == [], "the dashboard did not serve files the page needs"


def _shares(caption: str) -> tuple[float, float]:
    found = re.search(r"([\d.]+)% in this run, ([\d.]+)% in the baseline", caption)
    live, baseline = found.groups()
    return float(live) / 100, float(baseline) / 100


def test_changing_smuggling_leakage_and_stepping_redraws_the_share_chart(page, server, tmp_path):
    """Move leakage (with RASA), Reset, step 24 months: the chart departs from the baseline.

    The run saved from the page then equals the one its `sim run` command stores.
    """
    from playwright.sync_api import expect

    _, db = server
    leakage = page.locator(".v-input", has_text="Smuggling leakage").locator(".v-slider")
    box = leakage.bounding_box()
    leakage.click(position={"x": box["width"] * 0.8, "y": box["height"] / 2})
    page.get_by_role("checkbox", name="Remote Access Security Act").check(force=True)
    values = page.locator(".lever-value")  # every slider shows its value and unit
    expect(values.filter(has_text="80% of the demand for banned chips gets in")).to_have_count(1)
    for shown in ("2,000 developers", "48 months, 2024-01 to 2027-12", "seed 1"):
        expect(values.filter(has_text=shown)).to_have_count(1)
    page.get_by_role("button", name="Reset").click()
    panel = page.locator(".run-panel")
    expect(panel).to_contain_text("remote_access on, smuggling.leakage=0.8")

    chart = page.locator(".share-chart img")
    before = chart.get_attribute("src")
    for month in range(1, 25):
        page.get_by_role("button", name="Step").click()
        expect(page.locator(".share-caption")).to_contain_text(f"(month {month} of 48)")
    assert chart.get_attribute("src") != before
    live, baseline = _shares(page.locator(".share-caption").inner_text())
    assert 0 < live and 0 < baseline  # both series drawn; the policies act on supply (below)
    page.screenshot(path=tmp_path / "dashboard-live.png")
    assert (tmp_path / "dashboard-live.png").stat().st_size > 10_000

    page.get_by_role("button", name="Save run to database").click()
    expect(panel).to_contain_text("Saved as run", timeout=120_000)
    run_id = int(re.search(r"Saved as run (\d+)", panel.inner_text()).group(1))
    command = shlex.split(panel.locator("code").inner_text())
    done = subprocess.run(
        [*SIM, *command[1:], "--db", str(tmp_path / "cli.db"), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    saved = load_run(open_store(str(db)), run_id)
    assert saved.digest == json.loads(done.stdout)["digest"]
    # the Act reaches the rented compute: by month 24 well under the baseline's (which the page
    # compares with: the same seed and population)
    rented = saved.market_steps["compute_cn_remote"].iloc[23]
    baseline_run = TokenMarket(
        resolve_scenario(load_scenario("baseline"), developers=2_000, steps=24), seed=1
    )
    baseline_run.run()
    assert rented < 0.75 * baseline_run.last_record.market["compute_cn_remote"]


def _runs_show_rows(db: Path, run_id: int) -> dict[str, str]:
    """The "Last step" table of ``sim runs show`` as printed: metric -> value."""
    shown = subprocess.run(
        [*SIM, "runs", "show", str(run_id), "--db", str(db)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "200"},
    ).stdout
    rows = {}
    for label, _, _ in SUMMARY_ROWS:  # piped: plain lines, label and value apart by spaces
        match = re.search(rf"^\s*{re.escape(label.strip())}\s{{2,}}(\S.*?)\s*$", shown, re.M)
        rows[label.strip()] = match.group(1)
    return rows


def test_stored_runs_page_shows_a_sim_run_as_runs_show_does(page, server, tmp_path):
    """A run stored by `sim run`, picked on the stored-runs tab, shows what `sim runs show` does."""
    from playwright.sync_api import expect

    _, db = server
    page.get_by_role("tab", name=STORED_TAB).click()
    expect(page.get_by_text("Smuggling leakage")).to_have_count(0)  # levers act only live
    page.locator(".stored-runs .v-select").click()
    page.get_by_role("option", name="run 1: baseline (seed 5").click()
    page.keyboard.press("Escape")
    table = page.locator(".final-table")
    expect(table).to_contain_text("2024-12")
    page.locator(".stored-share-chart img").wait_for()
    shown = {}
    for row in table.locator("tr").all()[1:]:
        cells = [cell.inner_text().strip() for cell in row.locator("td").all()]
        shown[cells[0]] = cells[1]
    assert shown == _runs_show_rows(db, 1)
    page.screenshot(path=tmp_path / "dashboard-stored.png")


def test_a_lever_of_an_unticked_policy_is_disabled_and_a_move_is_not_dropped(page):
    """RASA unticked: its slider is disabled and says so; a move then unticked is listed."""
    from playwright.sync_api import expect

    enforcement = page.locator(".v-input", has_text="RASA enforcement")
    values = page.locator(".lever-value")
    act = page.get_by_role("checkbox", name="Remote Access Security Act")
    expect(enforcement).to_have_class(re.compile("v-input--is-disabled"))
    expect(
        values.filter(has_text='off: tick "Remote Access Security Act" to use it')
    ).to_have_count(1)
    expect(values.filter(has_text="of rented foreign compute reached")).to_have_count(0)
    act.check(force=True)
    expect(enforcement).not_to_have_class(re.compile("v-input--is-disabled"))
    slider = enforcement.locator(".v-slider")
    box = slider.bounding_box()
    slider.click(position={"x": box["width"] * 0.8, "y": box["height"] / 2})
    expect(values.filter(has_text="80% of rented foreign compute reached")).to_have_count(1)
    act.uncheck(force=True)
    page.get_by_role("button", name="Reset").click()
    panel = page.locator(".run-panel")
    expect(panel).to_contain_text("Moved, but not applied (their policy is off):")
    expect(panel).to_contain_text("remote_access.enforcement=0.8 (remote_access off)")


def test_four_stored_runs_fit_their_table_and_get_a_compute_panel_each(page, server):
    """At four runs the final table lost characters at its edge; now every cell shows whole."""
    from playwright.sync_api import expect

    _, db = server
    for seed in (6, 7, 8):
        subprocess.run(
            [*SIM, "run", "--developers", "500", "--steps", "6", "--seed", str(seed)]
            + ["--name", f"a rather long run name to wrap, seed {seed}", "--db", str(db)],
            check=True,
            capture_output=True,
        )
    page.get_by_role("tab", name=STORED_TAB).click()
    page.get_by_role("button", name="Reload the list").click()
    page.locator(".stored-runs .v-select").click()
    for name in ("run 1: baseline (seed 5", *(f"seed {seed} (seed {seed}" for seed in (6, 7, 8))):
        page.get_by_role("option", name=re.compile(re.escape(name))).click()
    page.keyboard.press("Escape")
    table = page.locator(".final-table table")
    expect(table.locator("th")).to_have_count(5)
    clipped = table.evaluate(
        """table => {
            const room = table.closest('.final-table').parentElement.getBoundingClientRect();
            const cut = [...table.querySelectorAll('td, th')].filter(cell => {
                const box = cell.getBoundingClientRect();
                return cell.scrollWidth > cell.clientWidth || box.right > room.right + 1;
            });
            return cut.map(cell => cell.innerText);
        }"""
    )
    assert clipped == []
    compute, share = (page.locator(f".stored-{name}-chart img") for name in ("compute", "share"))
    compute.wait_for()
    # Two rows of panels, one per run, make a taller image than one crowded chart.
    assert compute.bounding_box()["height"] > 1.15 * share.bounding_box()["height"]


def test_picking_a_run_deleted_since_the_list_was_read_is_one_line_in_the_page(page, server):
    """Another process deletes a listed run; picking it says so in one line, not a traceback."""
    from playwright.sync_api import expect

    _, db = server
    subprocess.run(
        [*SIM, "run", "--developers", "300", "--steps", "3", "--name", "soon gone"]
        + ["--db", str(db)],
        check=True,
        capture_output=True,
    )
    page.get_by_role("tab", name=STORED_TAB).click()
    page.get_by_role("button", name="Reload the list").click()
    page.locator(".stored-runs .v-select").click()
    option = page.get_by_role("option", name=re.compile("soon gone"))
    run_id = int(re.search(r"run (\d+):", option.inner_text()).group(1))
    subprocess.run([*SIM, "runs", "delete", str(run_id), "--yes", "--db", str(db)], check=True)
    option.click()
    problem = page.locator(".pick-error")
    expect(problem).to_contain_text(f"no run {run_id} in")
    assert problem.inner_text().strip().count("\n") == 0
    expect(page.get_by_text("Traceback")).to_have_count(0)
    expect(page.locator(".stored-runs")).to_be_visible()


def _hold_write_lock(db: Path) -> subprocess.Popen:
    """Another process holding the SQLite store's write lock until it is killed."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
            "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep(600)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_saving_while_another_process_holds_the_write_lock_says_it_was_not_saved(page, server):
    """A store locked past SQLite's busy timeout: one line saying why, and nothing stored."""
    from playwright.sync_api import expect

    _, db = server
    before = len(list_runs(open_store(str(db))))
    holder = _hold_write_lock(db)
    try:
        page.get_by_role("button", name="Save run to database").click()
        problem = page.locator(".save-error")
        expect(problem).to_contain_text("Not saved:", timeout=120_000)
        expect(problem).to_contain_text("database is locked")
        assert problem.inner_text().strip().count("\n") == 0
    finally:
        holder.kill()
        holder.wait()
    assert len(list_runs(open_store(str(db)))) == before


def _rss(process: subprocess.Popen) -> int:
    """The resident memory of a process, in kB."""
    status = Path(f"/proc/{process.pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M).group(1))


def test_reloading_the_page_does_not_grow_the_server(page, dashboard):
    """Each page load used to keep its model for a day: 52 loads took the server to 1 GB."""
    _, _, process = dashboard

    def reload(times: int) -> int:
        for _ in range(times):
            page.reload()
            page.locator(".share-caption").wait_for()
        page.wait_for_timeout(1000 * (CULL_SECONDS + 2))  # the closed pages' kernels go
        return _rss(process)

    after_5 = reload(5)
    after_50 = reload(45)
    assert after_50 < 1.5 * after_5, f"{after_5} kB after 5 loads, {after_50} kB after 50"
