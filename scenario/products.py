"""Changes a scenario makes to the product catalogue: a product's launch, prices, retirement.

The catalogue itself, ``scenario/data/products.csv`` (121 sourced products, docs/inputs.md
section 7), is read by :mod:`agents.products`. A scenario holds only what it changes, by
product name, so stored runs and printed scenarios stay small and a run without changes uses
the catalogue as it is: ``--set "products.DeepSeek V3.launch_month=2024-06"`` or a
``[products."GPT-4.1"]`` table in a scenario file. Every field left out keeps the
catalogue's value.
"""

import csv
from functools import cache
from importlib import resources

from pydantic import Field, model_validator

from scenario.fields import Month, Section

CATALOGUE = "products.csv"
"""The packaged product catalogue in ``scenario/data``."""


class ProductChange(Section):
    """What a scenario changes of one catalogued product; unset fields keep the catalogue's."""

    launch_month: Month | None = Field(
        None, description="first month on sale, YYYY-MM (catalogue: its recorded launch)"
    )
    retired_month: Month | None = Field(
        None,
        description="first month no longer on sale, YYYY-MM (catalogue: recorded, else the "
        "retirement rule of docs/model.md 4b)",
    )
    input_usd_per_m: float | None = Field(
        None, gt=0, description="list price of input tokens at launch, USD per million"
    )
    output_usd_per_m: float | None = Field(
        None, gt=0, description="list price of output tokens at launch, USD per million"
    )
    aa_index: float | None = Field(
        None, gt=0, le=100, description="capability, Artificial Analysis Intelligence Index v4.1"
    )
    output_tokens_per_s: float | None = Field(
        None, gt=0, description="output speed, tokens per second"
    )

    @model_validator(mode="after")
    def _retires_after_launch(self) -> "ProductChange":
        if (
            self.launch_month is not None
            and self.retired_month is not None
            and self.retired_month <= self.launch_month
        ):
            raise ValueError(
                f"retired_month {self.retired_month} must be after launch_month {self.launch_month}"
            )
        return self


@cache
def catalogue_launches() -> dict[str, str]:
    """Each catalogued product's launch month (``YYYY-MM``) by name, in the catalogue's order.

    The catalogue itself is parsed by :mod:`agents.products`; the scenario needs only which
    products there are (to check ``products.NAME``) and when the last one launches
    (:mod:`scenario.notes`).
    """
    with resources.files("scenario.data").joinpath(CATALOGUE).open() as handle:
        return {
            row["product"].strip(): row["launch_month"].strip() for row in csv.DictReader(handle)
        }


def catalogue_names() -> tuple[str, ...]:
    """The names of the catalogued products, in the catalogue's order."""
    return tuple(catalogue_launches())
