"""The top-products table that ``sim run`` and ``sim runs show`` print after a run's outcomes."""

from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from interfaces.cli.common import json_safe
from interfaces.cli.tables import literal, print_table
from interfaces.formatting import fmt, scaled_column
from vocabulary.metrics import Unit


def print_top_products(top: pd.DataFrame, when: str, console: Console) -> None:
    """Print ``top`` (``api.top_products`` of the step ``when``); nothing if it is empty."""
    if top.empty:
        return
    table = Table(title=f"Products: the {len(top)} with most tokens ({when})", title_justify="left")
    scale, tokens = scaled_column(top["tokens"].tolist())
    for header in (
        "product",
        "made by",
        "provider",
        f"tokens ({scale} per month)" if scale else "tokens per month",
        "share of provider's tokens",
        "list price ($/M tokens)",
    ):
        text = header in ("product", "made by", "provider")
        table.add_column(header, justify="left" if text else "right")
    for row, served in zip(top.itertuples(index=False), tokens, strict=True):
        table.add_row(
            literal(row.product),
            literal(row.author),
            literal(row.provider),
            served,
            fmt(row.provider_share, Unit.SHARE),
            fmt(row.price, Unit.PRICE),
        )
    print_table(table, wrap=("product", "made by", "provider"), console=console)


def top_product_rows(top: pd.DataFrame) -> list[dict[str, Any]]:
    """``top`` as ``--json`` prints it: one object per product, NaN as null."""
    return [json_safe(row) for row in top.to_dict(orient="records")]
