"""The Mesa model: driven by Mesa's tools, reproducible, and sane under policy changes."""

import mesa
import numpy as np
import pytest

from simulator.model import TokenMarket
from vocabulary.errors import InputError


def _final(policies: str, seed: int, **settings) -> dict:
    model = TokenMarket(developers=3_000, seed=seed, policies=policies, settings=settings or None)
    model.run()
    return model.last_record.market


def test_batch_run_drives_the_model() -> None:
    """mesa.batch_run can sweep TokenMarket by keyword, with its data collector."""
    results = mesa.batch_run(
        TokenMarket,
        parameters={"developers": [500, 800], "policies": ["export_ban"]},
        iterations=2,
        max_steps=12,
        number_processes=1,
        display_progress=False,
    )
    assert len(results) == 4
    for row in results:
        assert row["Step"] == 12  # Mesa runs while steps <= max_steps and reports the last
        assert 0.0 <= row["cn_share_global"] <= 1.0
        assert row["tokens_total"] > 0


def test_same_seed_same_history_other_seed_other_history() -> None:
    """Bit-identical histories from the same scenario and seed."""

    def history(seed: int) -> list[float]:
        model = TokenMarket(developers=1_000, steps=10, seed=seed, policies="export_ban")
        values = []
        while model.running:
            model.step()
            values.append(model.last_record.market["cn_share_global"])
        return values

    assert history(4) == history(4)
    assert history(4) != history(5)


def test_the_models_rng_is_the_source_of_the_developers_draws() -> None:
    """Mesa's ``model.rng`` is the step's random source: reseeding it changes the choices."""

    def providers(reseed: int | None) -> np.ndarray:
        model = TokenMarket(developers=1_000, steps=4, seed=6)
        if reseed is not None:
            model.reset_rng(reseed)
        model.run()
        return model.developers.provider

    assert np.array_equal(providers(None), providers(None))
    assert not np.array_equal(providers(None), providers(123))


def test_one_step_is_one_month_from_the_start() -> None:
    """Steps advance monthly from the scenario's start to the horizon, then stop."""
    model = TokenMarket(developers=500, steps=3, start="2025-11", seed=1)
    months = []
    while model.running:
        model.step()
        months.append(model.last_record.month)
    assert months == ["2025-11", "2025-12", "2026-01"]


def test_export_ban_lowers_chinese_compute_and_share() -> None:
    """Banning every tier leaves Chinese providers less compute and share than no controls.

    The strict case also has no smuggling and remote access closed; both run on the same seeds.
    """
    for seed in (1, 2):
        free = _final("", seed)
        strict = _final("export_ban,remote_access", seed, **{"remote_access.leakage": 0.0})
        assert strict["compute_cn"] < free["compute_cn"]
        assert strict["cn_share_global"] < free["cn_share_global"]


def test_more_smuggling_gives_more_chinese_compute() -> None:
    """With the cloud loophole closed, a higher leakage brings in more smuggled compute."""
    base = "export_ban,remote_access,smuggling"
    low = _final(base, 3, **{"smuggling.leakage": 0.05})
    high = _final(base, 3, **{"smuggling.leakage": 0.6})
    assert high["compute_cn_smuggled"] > low["compute_cn_smuggled"] > 0
    assert high["compute_cn"] > low["compute_cn"]


def test_government_under_api_restriction_gets_no_tokens_from_barred_providers() -> None:
    """Government developers in the US and EU never route a token to a Chinese provider."""
    model = TokenMarket(developers=3_000, steps=12, seed=2, policies="api_restriction")
    cn = {p.spec.name for p in model.providers if p.spec.jurisdiction == "CN"}
    while model.running:
        model.step()
        for row in model.last_record.segments:
            if (
                row["segment"] == "government"
                and row["region"] in ("US", "EU")
                and row["provider"] in cn
            ):
                assert row["tokens"] == 0 and row["developers"] == 0


def test_developer_view_describes_one_developer() -> None:
    """The per-developer view gives a readable record for inspection."""
    model = TokenMarket(developers=300, steps=1, seed=1)
    view = model.developers.view(5, model.provider_names)
    assert view["region"] in ("US", "EU", "CN", "ROW")
    assert view["provider"] in model.provider_names
    assert len(model.developers.to_frame(model.provider_names)) == 300


def test_unknown_settings_are_rejected_before_anything_runs() -> None:
    """A typo in a setting is an InputError naming the key and what is known."""
    with pytest.raises(InputError, match="choice.social_wieght"):
        TokenMarket(settings={"choice.social_wieght": 2.0})


def test_chinese_providers_serve_all_of_china() -> None:
    """US labs do not sell in China, so China's tokens are served by Chinese providers."""
    final = _final("export_ban", 1)
    assert final["cn_share_china"] == pytest.approx(1.0)
    assert np.isfinite(final["price_cn"]) and final["price_cn"] > 0


def test_networkx_graph_of_the_default_network_is_the_models_network() -> None:
    """`homophily_graph` gives users the model's small world as networkx, tie for tie."""
    import networkx as nx

    from simulator.network import homophily_adjacency, homophily_graph

    regions = np.sort(np.random.default_rng(0).integers(0, 4, 400))
    graph = homophily_graph(regions, 8, 0.1, np.random.default_rng(1))
    adjacency = homophily_adjacency(regions, 8, 0.1, np.random.default_rng(1))
    assert graph.number_of_edges() * 2 == adjacency.nnz
    assert nx.number_of_nodes(graph) == 400


def test_programming_work_follows_its_dated_share_and_keeps_its_developers() -> None:
    """11% of developers program until 2025-01, 50% from 2025-11, linearly between.

    The developers who programmed at 11% still program at 50%: the share grows by adding
    programmers, not by drawing them afresh each month.
    """
    model = TokenMarket(developers=20_000, seed=3, steps=24)
    shares = {}
    for _ in range(24):
        model.step()
        shares[model.steps] = model.developers.programming.copy()
    assert shares[1].mean() == pytest.approx(0.11, abs=0.01)  # 2024-01
    assert shares[19].mean() == pytest.approx(0.11 + 0.39 * 6 / 10, abs=0.01)  # 2025-07
    assert shares[23].mean() == pytest.approx(0.5, abs=0.01)  # 2025-11
    assert shares[23][shares[1]].all()
