"""The Chinese labs' API revenue table of `sim validate`, on hand-made provider_steps frames."""

from pathlib import Path

import pandas as pd
import pytest

from experiments.lab_revenue import (
    ReportedRevenue,
    annual_revenue,
    lab_revenue_table,
    load_reported_revenue,
    markdown,
    usd_text,
    year_months,
)
from experiments.run_tables import RunTables
from vocabulary.errors import InputError

MONTHS = year_months(2024) + year_months(2025)


def history(revenue: dict[str, list[float]], last: str = "2025-12") -> RunTables:
    """A run from 2024-01 to ``last``: each lab's monthly revenue (USD a month), in order.

    Zhipu and MiniMax are Chinese, OpenAI is not.
    """
    months = MONTHS[: MONTHS.index(last) + 1]
    jurisdiction = {"Zhipu": "CN", "MiniMax": "CN", "OpenAI": "US"}
    rows = [
        {"month": month, "provider": lab, "jurisdiction": jurisdiction[lab], "revenue": value}
        for lab, values in revenue.items()
        for month, value in zip(months, values, strict=False)
    ]
    providers = pd.DataFrame(rows).set_index("month").rename_axis(None)
    return RunTables(pd.DataFrame({"x": 0.0}, index=months), providers, pd.DataFrame())


FIGURES = ReportedRevenue.model_validate(
    {
        "years": [2024, 2025],
        "reported": [
            {
                "lab": "Zhipu",
                "year": 2024,
                "low_usd": 70e6,
                "high_usd": 80e6,
                "reported": "r",
                "source": "s",
            },
            {
                "lab": "Zhipu",
                "year": 2025,
                "low_usd": 0,
                "high_usd": 1e6,
                "reported": "r",
                "source": "s",
            },
        ],
        "undisclosed": {"MiniMax": "not disclosed (a source)"},
    }
)


def test_a_years_revenue_is_the_sum_of_its_twelve_months() -> None:
    """Zhipu earns $1m x the month's number in 2024 and $10m a month in 2025: $78m and $120m.

    A US lab is left out; all Chinese labs together add MiniMax's $2m a month.
    """
    run = history(
        {
            "Zhipu": [1e6 * m for m in range(1, 13)] + [10e6] * 12,
            "MiniMax": [2e6] * 24,
            "OpenAI": [1e9] * 24,
        }
    )
    assert annual_revenue(run, 2024).to_dict() == {
        "Zhipu": 78e6,
        "MiniMax": 24e6,
        "CN": 102e6,
    }
    assert annual_revenue(run, 2025)["Zhipu"] == 120e6


def test_the_table_gives_the_mean_over_seeds_and_whether_it_lies_in_the_reported_range() -> None:
    """Two seeds of $72m and $78m in 2024: $75m, within $70m-80m; 2025 above its $1m bound.

    A lab without a figure shows what is known instead, and no verdict.
    """
    runs = [
        history({"Zhipu": [6e6] * 12 + [1e6] * 12, "MiniMax": [0.0] * 24}),
        history({"Zhipu": [6.5e6] * 12 + [1e6] * 12, "MiniMax": [0.0] * 24}),
    ]
    table = lab_revenue_table(FIGURES, runs).set_index(["lab", "year"])
    zhipu = table.loc[("Zhipu", 2024)]
    assert zhipu["simulated"] == pytest.approx(75e6)
    assert (zhipu["simulated_low"], zhipu["simulated_high"]) == (72e6, 78e6)
    assert zhipu["within"] is True and zhipu["within_text"] == "yes"
    assert zhipu["simulated_text"] == "$75.0m ($72.0m to $78.0m)"
    assert zhipu["reported_text"] == "$70.0m to $80.0m"
    later = table.loc[("Zhipu", 2025)]
    assert later["within"] is False and later["reported_text"] == "at most $1.0m"
    minimax = table.loc[("MiniMax", 2024)]
    assert minimax["within"] is None and minimax["reported"] == "not disclosed (a source)"
    assert list(table.index.get_level_values("lab").unique()) == ["Zhipu", "MiniMax", "CN"]
    assert table.loc[("CN", 2025), "lab_text"] == "all Chinese labs"


def test_a_year_the_runs_do_not_cover_is_not_simulated_and_says_why() -> None:
    """A run ending 2025-06 has no 2025 total: NaN, no verdict, and the months it covers."""
    table = lab_revenue_table(FIGURES, [history({"Zhipu": [1e6] * 18}, last="2025-06")])
    row = table.set_index(["lab", "year"]).loc[("Zhipu", 2025)]
    assert pd.isna(row["simulated"]) and row["within"] is None and row["simulated_text"] == "-"
    assert row["reason"] == "the runs cover 2024-01 to 2025-06, not the whole of 2025"


def test_the_markdown_has_one_row_per_lab_and_year() -> None:
    """A header, its rule, then each row; a pipe in a source is escaped."""
    figures = FIGURES.model_copy(update={"undisclosed": {"MiniMax": "a | b"}})
    run = history({"Zhipu": [1e6] * 24, "MiniMax": [0.0] * 24})
    text = markdown(lab_revenue_table(figures, [run]))
    lines = text.splitlines()
    assert lines[0].startswith("| lab | year | simulated")
    assert len(lines) == 2 + 3 * 2
    assert "| Zhipu | 2024 | $12.0m | $70.0m to $80.0m | no | r; s |" in lines
    assert any("a \\| b" in line for line in lines)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.0, "$0"), (32_000, "$0.032m"), (12_345_678, "$12.3m"), (1.234e9, "$1.23bn")],
)
def test_usd_reads_in_millions_and_billions(value: float, text: str) -> None:
    """Every figure has its unit: $ and m or bn."""
    assert usd_text(value) == text


def test_the_packaged_figures_cover_the_labs_the_issue_names() -> None:
    """Zhipu and MiniMax for 2024 and 2025, DeepSeek's bound for 2025, Moonshot undisclosed."""
    packaged = load_reported_revenue()
    assert packaged.years == [2024, 2025]
    for lab, year in (("Zhipu", 2024), ("Zhipu", 2025), ("MiniMax", 2024), ("MiniMax", 2025)):
        assert packaged.figure(lab, year) is not None
    assert packaged.figure("DeepSeek", 2025).low_usd == 0
    assert packaged.figure("MiniMax", 2025).high_usd == 26.0e6
    assert "Moonshot" in packaged.undisclosed and "Alibaba" in packaged.undisclosed


def test_a_bad_revenue_file_is_one_line_naming_file_and_setting(tmp_path: Path) -> None:
    """A lab that is not a Chinese lab of the roster, or a range upside down, is refused."""
    for text, expected in (
        ("years = [2024]\n[undisclosed]\nOpenAI = 'x'\n", "unknown lab 'OpenAI'"),
        (
            "years = [2024]\n[[reported]]\nlab = 'Zhipu'\nyear = 2024\nlow_usd = 2.0\n"
            "high_usd = 1.0\nreported = 'r'\nsource = 's'\n",
            "low_usd (2) above high_usd (1)",
        ),
    ):
        path = tmp_path / "revenue.toml"
        path.write_text(text)
        with pytest.raises(InputError) as error:
            load_reported_revenue(path)
        assert str(error.value).startswith(f"revenue file {path}: ")
        assert expected in str(error.value) and "\n" not in str(error.value)
