"""The dynamics checks of `sim validate` (D1 utilisation, D2 markup) on hand-made histories.

Each history is a few labs' monthly ``provider_steps`` rows, so the longest run of months each
check should find can be read off the test.
"""

from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from experiments.dynamics_checks import (
    DynamicsChecks,
    check_dynamics,
    load_checks,
    longest_streak,
)
from experiments.lab_revenue import year_months
from experiments.run_tables import RunTables
from vocabulary.errors import InputError

MONTHS = year_months(2024)
BOUNDS = (0.05, 30.0)
"""markup_min and markup_max of the hand-made scenario."""


def checks(**changes: object) -> DynamicsChecks:
    """The packaged thresholds (1%, 30%, 3 and 6 months) over 2024."""
    settings = {
        "window": "2024-01..2024-12",
        "min_token_share": 0.01,
        "low_utilisation": 0.30,
        "max_low_utilisation_months": 3,
        "max_markup_bound_months": 6,
        **changes,
    }
    return DynamicsChecks.model_validate(settings)


def history(labs: dict[str, dict[str, list[float]]]) -> RunTables:
    """A run over 2024: for each lab its monthly ``served``, ``utilisation`` and ``markup``.

    A metric a lab leaves out is served 1e12 tokens, utilisation 0.6, markup 0.5 each month.
    """
    rows = []
    for lab, given in labs.items():
        for i, month in enumerate(MONTHS):
            values = {"served": 1e12, "utilisation": 0.6, "markup": 0.5}
            values.update({name: series[i] for name, series in given.items()})
            rows.append({"month": month, "provider": lab, "jurisdiction": "CN", **values})
    providers = pd.DataFrame(rows).set_index("month").rename_axis(None)
    market = pd.DataFrame({"cn_share_global": 0.5}, index=MONTHS)
    return RunTables(market, providers, pd.DataFrame())


def with_months(value: float, months: range, otherwise: float) -> list[float]:
    """Twelve months: ``value`` in the months indexed ``months`` (0 = 2024-01), else the other."""
    return [value if i in months else otherwise for i in range(12)]


def row(result, check: str) -> dict:
    """The summary row of one check."""
    return result.checks.set_index("id").loc[check].to_dict()


def test_a_run_of_four_months_below_30_percent_fails_and_of_three_passes() -> None:
    """D1 fails on a planted run of 4 months below 30% utilisation; a run of 3 passes.

    The run is at 20% from 2024-03 to 2024-06. A lab with under 1% of the tokens is not checked,
    however idle it is.
    """
    idle_small = {"served": [1e9] * 12, "utilisation": [0.05] * 12}  # ~0.1% of the tokens
    four = history(
        {
            "DeepSeek": {"utilisation": with_months(0.2, range(2, 6), 0.6)},
            "Zhipu": idle_small,
        }
    )
    result = check_dynamics(checks(), [four], *BOUNDS)
    d1 = row(result, "D1")
    assert (d1["lab"], d1["seed"], d1["months"]) == ("DeepSeek", 1, 4)
    assert (d1["first"], d1["last"], d1["limit"]) == ("2024-03", "2024-06", 3)
    assert d1["passed"] is False and not result.passed
    small = result.detail.query("check == 'D1' and lab == 'Zhipu'").iloc[0]
    assert not small["checked"] and small["months"] == 12 and small["passed"]

    three = history({"DeepSeek": {"utilisation": with_months(0.2, range(2, 5), 0.6)}})
    d1 = row(check_dynamics(checks(), [three], *BOUNDS), "D1")
    assert (d1["months"], d1["passed"]) == (3, True)


def test_utilisation_exactly_at_the_threshold_is_not_below_it() -> None:
    """30.0% is not below 30%: four months at it pass; at 29.9% they fail."""
    at = history({"DeepSeek": {"utilisation": with_months(0.30, range(4), 0.6)}})
    below = history({"DeepSeek": {"utilisation": with_months(0.299, range(4), 0.6)}})
    assert row(check_dynamics(checks(), [at], *BOUNDS), "D1")["months"] == 0
    assert row(check_dynamics(checks(), [below], *BOUNDS), "D1")["months"] == 4


def test_the_worst_seed_is_reported_and_months_before_a_launch_do_not_count() -> None:
    """Of two seeds, the one with the longer run is named; months before a launch do not count.

    A lab idle until it first serves tokens (2024-07) counts only from then.
    """
    late = {
        "served": with_months(0.0, range(6), 1e12),
        "utilisation": with_months(0.0, range(6), 0.6),
    }
    seed_1 = history({"DeepSeek": {"utilisation": with_months(0.1, range(2), 0.6)}, "MiniMax": {}})
    seed_2 = history(
        {"DeepSeek": {"utilisation": with_months(0.1, range(5, 10), 0.6)}, "Moonshot": late}
    )
    result = check_dynamics(checks(), [seed_1, seed_2], *BOUNDS)
    d1 = row(result, "D1")
    assert (d1["lab"], d1["seed"], d1["months"]) == ("DeepSeek", 2, 5)
    moonshot = result.detail.query("check == 'D1' and lab == 'Moonshot'").iloc[0]
    assert moonshot["checked"] and moonshot["months"] == 0


def test_the_markup_check_counts_a_run_at_a_bound_and_honours_an_exemption() -> None:
    """Seven months at markup_max fail D2; a documented source exempts the lab.

    The run is 2024-04..2024-10. Exempt, the lab passes and the exemption is reported; a markup
    a hair inside the bound is not at it.
    """
    pinned = history(
        {
            "Zhipu": {"markup": with_months(30.0, range(3, 10), 2.0)},
            "DeepSeek": {"markup": with_months(0.05, range(0, 6), 0.3)},  # six months: passes
        }
    )
    d2 = row(check_dynamics(checks(), [pinned], *BOUNDS), "D2")
    assert (d2["lab"], d2["months"], d2["first"], d2["last"]) == ("Zhipu", 7, "2024-04", "2024-10")
    assert d2["passed"] is False and d2["exempt"] == ""
    detail = check_dynamics(checks(), [pinned], *BOUNDS).detail.query("check == 'D2'")
    assert dict(zip(detail["lab"], detail["bound"], strict=True)) == {
        "Zhipu": "markup_max",
        "DeepSeek": "markup_min",
    }

    source = "docs/model.md: a guess, listed at cost x 30"
    exempt = check_dynamics(checks(markup_bound_sources={"Zhipu": source}), [pinned], *BOUNDS)
    d2 = row(exempt, "D2")
    assert d2["passed"] is True and d2["exempt"] == f"Zhipu: {source}"
    assert (d2["lab"], d2["months"]) == ("DeepSeek", 6)  # the worst lab not exempt

    inside = history({"Zhipu": {"markup": with_months(30.0 * (1 - 1e-6), range(3, 10), 2.0)}})
    assert row(check_dynamics(checks(), [inside], *BOUNDS), "D2")["months"] == 0


def test_a_run_that_does_not_reach_the_window_fails_both_checks_with_the_reason() -> None:
    """Checks over 2024-2025 on a run of 2024 alone: unmeasured, failed, and saying why."""
    result = check_dynamics(checks(window="2024-01..2025-12"), [history({"Zhipu": {}})], *BOUNDS)
    assert list(result.checks["passed"]) == [False, False]
    assert set(result.checks["reason"]) == {"the runs do not reach 2025-12"}


def test_longest_streak_finds_the_longest_of_several_runs() -> None:
    """Runs of 2 and 3 flagged months: the 3, with its first and last month."""
    flags = pd.Series([True, True, False, True, True, True, False], index=MONTHS[:7])
    streak = longest_streak(flags)
    assert (streak.months, streak.span) == (3, "2024-04..2024-06")
    assert longest_streak(pd.Series([False], index=MONTHS[:1])).span == "-"


def test_the_packaged_checks_are_the_issues_and_exempt_no_lab() -> None:
    """The issue's window and thresholds, and no exemption until the docs name a source.

    2024-07 to 2027-12; 1% of tokens; below 30% for more than 3 months; a bound for more than 6.
    """
    packaged = load_checks()
    assert (packaged.dates.first, packaged.dates.last) == ("2024-07", "2027-12")
    assert (packaged.min_token_share, packaged.low_utilisation) == (0.01, 0.30)
    assert (packaged.max_low_utilisation_months, packaged.max_markup_bound_months) == (3, 6)
    assert packaged.markup_bound_sources == {}


GOOD = {
    "window": "2024-07..2027-12",
    "min_token_share": 0.01,
    "low_utilisation": 0.3,
    "max_low_utilisation_months": 3,
    "max_markup_bound_months": 6,
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"min_token_share": None}, "min_token_share: Field required"),
        ({"markup_bound_sources": {"Zhupi": "x"}}, "unknown lab 'Zhupi'"),
        ({"markup_bound_sources": {"Zhipu": " "}}, "Zhipu: name the source"),
        ({"colour": "red"}, "colour: unknown setting"),
        ({"min_token_share": 2}, "min_token_share: Input should be less than 1"),
        ({"window": "2027-12..2024-07"}, "ends before it starts"),
    ],
    ids=["missing", "unknown-lab", "no-source", "extra", "share", "window"],
)
def test_a_bad_checks_file_is_one_line_naming_file_and_setting(
    tmp_path: Path, change: dict, expected: str
) -> None:
    """Each mistake is one InputError line that names the file and the setting."""
    path = tmp_path / "checks.toml"
    settings = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    path.write_text(tomli_w.dumps(settings))
    with pytest.raises(InputError) as error:
        load_checks(path)
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"checks file {path}: ")
    assert expected in message


def test_a_good_checks_file_is_read(tmp_path: Path) -> None:
    """The same settings without a mistake load, with no exemption."""
    path = tmp_path / "checks.yaml"
    path.write_text("".join(f"{key}: {value}\n" for key, value in GOOD.items()))
    assert load_checks(path) == DynamicsChecks.model_validate(GOOD)
