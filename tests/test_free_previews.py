"""Free variants: when a lab has one (an input), what it is worth to developers, who pays."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agents.free_previews import FreePreview, FreePreviewCalendar, load_free_previews
from simulator.model import TokenMarket
from vocabulary.calendar import parse_month
from vocabulary.errors import InputError
from vocabulary.regions import SEGMENTS, WORK

INDIE, ENTERPRISE = (SEGMENTS.index(s) * len(WORK) for s in ("indie", "enterprise"))
"""The buyer groups of indies' and enterprises' general work."""


def test_the_packaged_windows_are_the_months_of_the_weekly_data_with_free_tokens() -> None:
    """Xiaomi's MiMo was free on OpenRouter from the week labelled 2025-12-21 to 2026-01-25."""
    calendar = FreePreviewCalendar(load_free_previews(), ["OpenAI", "Xiaomi", "DeepSeek"])
    assert calendar.offering(parse_month("2025-12")).tolist() == [False, True, False]
    assert calendar.offering(parse_month("2026-01")).tolist() == [False, True, False]
    assert calendar.offering(parse_month("2026-02")).tolist() == [False, False, False]
    assert calendar.offering(parse_month("2025-03")).tolist() == [False, False, True]


def test_labs_the_run_does_not_have_are_left_out() -> None:
    """A scenario that drops a lab keeps working: its free months are ignored."""
    preview = FreePreview(lab="Gone", first=0, last=10**6, source="test")
    calendar = FreePreviewCalendar([preview], ["OpenAI"])
    assert calendar.offering(parse_month("2025-06")).tolist() == [False]


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ("Xiaomi,2025-13,2026-01,x,M", "line 2.first_month: '2025-13' is not a month"),
        ("Xiaomi,2026-01,2025-12,x,M", "line 2: last_month is before first_month"),
    ],
)
def test_a_bad_row_is_one_clear_error(tmp_path: Path, row: str, fragment: str) -> None:
    """A malformed file names its line and column instead of failing later in a run."""
    path = tmp_path / "free.csv"
    path.write_text("lab,first_month,last_month,source,confidence\n" + row + "\n")
    with pytest.raises(InputError, match=fragment):
        load_free_previews(path)


def test_a_free_variant_draws_routed_developers_and_only_they_pay_less() -> None:
    """In Xiaomi's free months indies pay half its price and value it more; enterprises not.

    With the free share 0.5, an indie's tokens at Xiaomi cost half, so Xiaomi is worth
    ``-price_weight * log(0.5)`` more to indies; enterprises (free share 0) see no change.
    """
    settings = {"choice.free_share.indie": 0.5}
    model = TokenMarket(developers=500, seed=1, start="2025-12", steps=1, settings=settings)
    without = TokenMarket(
        developers=500, seed=1, start="2025-12", steps=1, settings={"choice.free_share.indie": 0}
    )
    xiaomi = model.provider_names.index("Xiaomi")
    nest, plain = model.products, without.products
    assert nest.free[INDIE, xiaomi] == 0.5 and nest.free[ENTERPRISE, xiaomi] == 0.0
    paid = nest.group_paid()
    assert paid[INDIE, xiaomi] == pytest.approx(0.5 * nest.group_price()[INDIE, xiaomi])
    assert paid[ENTERPRISE, xiaomi] == nest.group_price()[ENTERPRISE, xiaomi]
    weight = model.scenario.choice.price_weight["indie"]
    gain = nest.value[INDIE, xiaomi] - plain.value[INDIE, xiaomi]
    assert gain == pytest.approx(-weight * np.log(0.5))
    assert nest.value[ENTERPRISE, xiaomi] == plain.value[ENTERPRISE, xiaomi]


def test_free_tokens_count_as_the_labs_tokens_but_earn_nothing() -> None:
    """A larger free share wins Xiaomi more demand in its free months and less revenue a token.

    Demand, not served tokens: a lab whose chips cannot keep up serves its capacity either way.
    """

    def xiaomi_month(free_share: float) -> dict:
        settings = {"choice.free_share.indie": free_share, "choice.free_share.startup": free_share}
        model = TokenMarket(developers=3_000, seed=2, start="2025-11", steps=3, settings=settings)
        model.run()
        (row,) = [r for r in model.last_record.providers if r["provider"] == "Xiaomi"]
        return row

    stingy, generous = xiaomi_month(0.0), xiaomi_month(0.9)
    assert generous["demand"] > stingy["demand"]
    assert generous["revenue"] / generous["served"] < stingy["revenue"] / stingy["served"]


AUTHORS = {
    "deepseek": "DeepSeek",
    "google": "Google",
    "qwen": "Alibaba",
    "x-ai": "xAI",
    "minimax": "MiniMax",
    "xiaomi": "Xiaomi",
    "stepfun": "StepFun",
    "tencent": "Tencent",
}
"""Weekly-data authors of the roster's labs that had free tokens (the others with free tokens,
such as stealth models, arcee-ai or nvidia, are not in the roster)."""


def test_every_window_is_the_run_of_months_the_weekly_data_show_free_tokens_in() -> None:
    """Re-derived from docs/data/openrouter_top10_weekly.csv: same labs, same months.

    Weeks are grouped by the month of their label (docs/data/README.md); a lab's windows cover
    exactly the months in which it had free tokens in the top ten.
    """
    weekly = pd.read_csv(
        Path(__file__).parents[1] / "docs" / "data" / "openrouter_top10_weekly.csv"
    )
    free = weekly[(weekly.free_tokens_T > 0) & weekly.author.isin(AUTHORS)]
    observed = {
        (AUTHORS[author], parse_month(week[:7]))
        for author, week in zip(free.author, free.week, strict=True)
    }
    packaged = {
        (preview.lab, month)
        for preview in load_free_previews()
        for month in range(preview.first, preview.last + 1)
    }
    assert packaged == observed
    assert all("OpenRouter top-10 weekly" in p.source for p in load_free_previews())
