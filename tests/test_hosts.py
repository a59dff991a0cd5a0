"""Hosts: Chinese open-weight models served abroad, counted by who made them and who serves them.

Issue 27: with no hosts in the roster, runs keep the lab-only structure; a host lists only the
open-weight products of the labs it names, from its listing months; US chip controls and the
Remote Access Security Act do not reach a US host's fleet, so Chinese models keep reaching
developers abroad through it.
"""

import numpy as np
import pandas as pd
import pytest

from agents.products import ProductLineup, load_products
from experiments.run_tables import RunTables
from experiments.sweep import Task
from experiments.sweep_worker import simulate
from experiments.targets import load_targets
from scenario.files import load_scenario
from scenario.overrides import resolve_scenario
from scenario.roster import default_hosts, default_listings
from scenario.scenario import Scenario
from simulator.capability import CapabilityTimeline
from simulator.model import TokenMarket
from vocabulary.calendar import parse_month
from vocabulary.errors import InputError


def run_tables(scenario: Scenario) -> RunTables:
    """One run of ``scenario`` (seed 1), in memory."""
    result = simulate(Task(0, 0, "main", 1, scenario))
    assert result.error is None, result.error
    return RunTables.from_result(result)


def small(preset: str, hosts: bool, **settings: object) -> Scenario:
    """A preset at 2,000 developers over 30 months (to mid 2026), hosts on or off."""
    return resolve_scenario(
        load_scenario(preset),
        settings={"hosts": hosts, **settings},
        developers=2_000,
        steps=30,
    )


def test_without_hosts_every_model_is_counted_with_the_lab_serving_it() -> None:
    """The lab-only structure: authors are sellers, nothing is hosted, both shares agree."""
    run = run_tables(small("baseline", hosts=False))
    products = run.products
    assert len(products) > 0
    assert (products["author"] == products["provider"]).all()
    assert (run.segments["hosted_cn_tokens"] == 0).all()
    market = run.market
    assert (market["cn_model_share"] == market["cn_share"]).all()
    assert (market["cn_model_share_global"] == market["cn_share_global"]).all()


def test_a_host_lists_only_the_open_weight_products_of_its_labs_from_its_listing_months() -> None:
    """Every hosted product is open-weight, made by a listed lab, on sale no earlier than listed.

    The hosts, and the labs that also serve DeepSeek from their clouds, sell them.
    """
    scenario = Scenario(hosts=True)
    specs = scenario.providers
    catalogue = {p.name: p for p in load_products()}
    lineup = ProductLineup.build(
        specs, load_products(), 0, CapabilityTimeline.load().provider_score
    )
    hosted = np.flatnonzero(lineup.lab != lineup.author)
    assert (
        {specs[i].name for i in lineup.lab[hosted]}
        == {p.name for p in specs if p.lists}
        == {h.name for h in default_hosts()} | set(default_listings())
    )
    for k in hosted.tolist():
        host, author = specs[lineup.lab[k]], specs[lineup.author[k]]
        product = catalogue[lineup.names[k]]
        assert product.open_weights and product.lab == author.name
        assert author.name in host.lists
        assert lineup.launch[k] >= parse_month(host.lists[author.name])
        assert lineup.launch[k] >= product.launch + host.listing_lag_months
    closed = {p.name for p in load_products() if not p.open_weights}
    assert not closed & {lineup.names[k] for k in hosted.tolist()}


def test_hosts_come_once_and_a_stored_scenario_reads_back_the_same() -> None:
    """Reading a stored scenario with hosts again adds no second copy of them."""
    scenario = Scenario(hosts=True)
    again = Scenario.model_validate(scenario.model_dump(mode="json"))
    assert again == scenario
    names = [p.name for p in again.providers]
    assert (
        len(names) == len(set(names)) == len(Scenario(hosts=False).providers) + len(default_hosts())
    )


def test_a_host_may_list_only_open_weight_labs_of_the_roster() -> None:
    """A closed lab in ``lists`` is refused with the field and the allowed labs named."""
    with pytest.raises(InputError, match=r"providers\.Router hosts\.lists: OpenAI .*allowed: "):
        resolve_scenario(settings={"providers.Router hosts.lists.OpenAI": "2025-01", "hosts": True})


US_HOSTS = {h.name for h in default_hosts() if h.jurisdiction == "US"}
"""The packaged hosts in the US (the others serve in China)."""


def hosted_cn_tokens(run: RunTables, host: str) -> pd.Series:
    """Tokens of Chinese-made models that ``host`` served, by month."""
    segments = run.segments
    return segments[segments["provider"] == host].groupby(level=0)["hosted_cn_tokens"].sum()


@pytest.fixture(scope="module")
def controlled() -> tuple[RunTables, RunTables]:
    """Hosts on: no US controls at all, and every control at full force from the start.

    ``strict`` has every export-control tier and the Remote Access Security Act.
    """
    return (
        run_tables(small("no_controls", hosts=True)),
        run_tables(small("strict", hosts=True)),
    )


def test_controls_do_not_reach_a_us_hosts_fleet(controlled: tuple[RunTables, RunTables]) -> None:
    """Under every control, a US host still buys every chip legally and rents, smuggles none.

    The controls bind on the Chinese labs (their legal purchases fall) while the hosts' fleets
    grow in the same channel as without them.
    """
    free, strict = controlled
    for run in (free, strict):
        hosts = run.providers[run.providers["provider"].isin(US_HOSTS)]
        assert (hosts["compute_smuggled"] == 0).all()
        assert (hosts["compute_remote"] == 0).all()
        assert (hosts["compute_domestic"] == 0).all()
        assert hosts["compute_legal"].max() > 0
    chinese = {
        name: run.providers[run.providers["jurisdiction"] == "CN"]["compute_legal"].sum()
        for name, run in (("free", free), ("strict", strict))
    }
    assert chinese["strict"] < chinese["free"]


def test_no_control_binds_a_us_buyer_at_full_force() -> None:
    """``strict`` at full force bans chips and rentals for Chinese buyers and none for US ones."""
    model = TokenMarket(small("strict", hosts=True), seed=1)
    constraints = model.policy_engine.constraints_at(parse_month("2026-06"))
    assert model.catalogue.banned_for(constraints, "CN").any()
    assert not model.catalogue.banned_for(constraints, "US").any()
    assert constraints.remote_keep["CN"] < 1.0
    assert constraints.remote_keep["US"] == 1.0
    assert constraints.extra_lead_months["US"] == 0


def test_controls_send_more_of_chinese_models_tokens_to_hosts_abroad(
    controlled: tuple[RunTables, RunTables],
) -> None:
    """With the Chinese labs' chips cut, hosts abroad serve more of their models' tokens.

    Demand for the models moves to the fleets the controls do not reach: of the Chinese-made
    models' tokens outside China, the share the hosts serve rises.
    """

    def hosted_part(run: RunTables) -> float:
        last = run.market.iloc[-1]
        made, served = last["cn_model_share_global"], last["cn_share_global"]
        return (made - served) / made

    free, strict = controlled
    assert hosted_part(strict) > hosted_part(free) + 0.05
    for host in US_HOSTS:
        assert hosted_cn_tokens(strict, host).iloc[-1] > 0


def chinese_made_share_by_segment(run: RunTables, month: str) -> pd.Series:
    """Chinese-made models' share of each segment's tokens outside China in ``month``."""
    rows = run.segments.loc[[month]]
    rows = rows[rows["region"] != "CN"]
    cn_providers = set(run.providers.loc[run.providers["jurisdiction"] == "CN", "provider"])
    made = rows["tokens"].where(rows["provider"].isin(cn_providers), 0.0) + rows["hosted_cn_tokens"]
    return made.groupby(rows["segment"]).sum() / rows.groupby("segment")["tokens"].sum()


def test_a_ban_by_origin_binds_the_segments_it_names_and_no_other() -> None:
    """Enterprises barred from Chinese models on any host from 2026-01.

    In the ban's first month no other segment's choices change (the runs share their draws);
    by 2026-06 no enterprise outside China uses a Chinese-made model, on a host or at its lab.
    Later, the other segments move only through the market (prices, the network).
    """
    base = small("baseline", hosts=True)
    banned = resolve_scenario(
        base,
        policies=["model_origin_ban"],
        settings={
            "model_origin_ban.segments": {"enterprise": 1.0},
            "model_origin_ban.developer_regions": ["US", "EU", "ROW"],
            "model_origin_ban.schedule.start": "2026-01",
        },
    )
    free, ban = run_tables(base), run_tables(banned)
    keys = ["region", "segment", "provider"]

    def developers(run: RunTables, segment: str) -> pd.Series:
        rows = run.segments.loc[["2026-01"]]
        return rows[rows["segment"] == segment].set_index(keys)["developers"].sort_index()

    for segment in ("indie", "startup", "government"):
        pd.testing.assert_series_equal(developers(ban, segment), developers(free, segment))
    assert not developers(ban, "enterprise").equals(developers(free, "enterprise"))
    before = chinese_made_share_by_segment(free, "2026-06")
    after = chinese_made_share_by_segment(ban, "2026-06")
    assert before["enterprise"] > 0.01
    assert after["enterprise"] == 0.0
    assert (after[["indie", "startup"]] > 0.05).all()


def test_t19_counts_the_makers_own_share_of_its_models_tokens() -> None:
    """DeepSeek serves all of its models' tokens without hosts, part of them with hosts (T19)."""
    t19 = next(t for t in load_targets() if t.id == "T19")
    lab_only = run_tables(small("baseline", hosts=False))
    hosted = run_tables(small("baseline", hosts=True))
    assert t19.measure_run(lab_only) == 1.0
    assert 0.0 < t19.measure_run(hosted) < 0.9
    products = hosted.products.loc["2025-05"]
    deepseek = products[products["author"] == "DeepSeek"]
    own = deepseek.loc[deepseek["provider"] == "DeepSeek", "tokens"].sum()
    assert t19.measure_run(hosted) == pytest.approx(own / deepseek["tokens"].sum())


def test_by_the_maker_a_hosts_chinese_tokens_count_as_chinese() -> None:
    """T8 by the maker: Chinese providers' tokens abroad plus those hosts serve of their models."""
    t8 = next(t for t in load_targets() if t.id == "T8")
    run = run_tables(small("baseline", hosts=True))
    month = t8.window
    rows = run.segments.loc[[month]]
    rows = rows[rows["region"] != "CN"]
    chinese = set(run.providers.loc[run.providers["jurisdiction"] == "CN", "provider"])
    served = rows.loc[rows["provider"].isin(chinese), "tokens"].sum()
    made = served + rows["hosted_cn_tokens"].sum()
    assert rows["hosted_cn_tokens"].sum() > 0
    assert t8.measure_run(run) == pytest.approx(made / rows["tokens"].sum())
