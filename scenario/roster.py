"""The roster of providers and the chip catalogue: who sells tokens, on what hardware.

The defaults are ``scenario/data/roster.toml`` and ``scenario/data/chips.toml``, a source comment
on every figure; a scenario may replace either, and ``--set providers.NAME.FIELD`` or
``--set chips.NAME.FIELD`` changes one entry.

A *host* is a provider that serves other labs' open-weight models from its own fleet (router
hosts such as DeepInfra or Together, cloud marketplaces such as Bedrock): its ``lists`` name the
labs whose open-weight products it sells and from when. The packaged hosts are
``scenario/data/hosts.toml``; a scenario with ``hosts = true`` adds them to its roster, and the
listings of other labs' models that some labs of the roster serve from their clouds (Alibaba,
Tencent and ByteDance serving DeepSeek in China).
"""

import tomllib
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import Field

from scenario.fields import Label, Month, Section, Share
from vocabulary.regions import CONTROL_TIERS, DevRegion, Jurisdiction


class ProviderSpec(Section):
    """One provider of the roster; see ``scenario/data/roster.toml`` for sources."""

    name: Label
    jurisdiction: Jurisdiction
    open_weights: bool
    efficiency: float = Field(gt=0)
    price_usd_per_m: float = Field(gt=0)
    latency_s: float = Field(gt=0)
    energy_usd_per_kwh: float = Field(gt=0)
    pue: float = Field(ge=1.0, le=3.0)
    markets: list[DevRegion] = Field(min_length=1)
    initial_share_global: Share
    initial_share_china: Share
    standby_fleet_share: Share = 0.0
    fleet_mix: dict[str, Annotated[float, Field(gt=0)]] = Field(min_length=1)
    remote_share: Share
    backing_usd: float = Field(ge=0)
    capability_key: str
    capability_proxy: str | None = None
    capability_proxy_factor: float = Field(1.0, gt=0)
    cache_price_ratio: dict[Month, Share] = {}
    lists: dict[Label, Month] = {}
    listing_lag_months: int = Field(0, ge=0, le=24)
    list_price_ratio: float = Field(1.0, gt=0, le=100)

    @property
    def is_host(self) -> bool:
        """Whether the provider serves other labs' open-weight models (its ``lists``)."""
        return bool(self.lists)


class ChipSpec(Section):
    """One accelerator of the catalogue; see ``scenario/data/chips.toml`` for sources."""

    name: str = Field(min_length=1)
    tokens_per_s: float = Field(gt=0)
    watts: float = Field(gt=0)
    price_usd: float = Field(gt=0)
    control_tier: Literal[("",) + CONTROL_TIERS]  # type: ignore[valid-type]
    made_in: Jurisdiction
    available_from: Month


@cache
def _load_data(filename: str) -> dict[str, Any]:
    """A packaged data file, read once (callers build new entries from it, never change it)."""
    with resources.files("scenario.data").joinpath(filename).open("rb") as handle:
        return tomllib.load(handle)


def default_providers() -> list[ProviderSpec]:
    """The default roster, from ``scenario/data/roster.toml``."""
    return [ProviderSpec(**row) for row in _load_data("roster.toml")["providers"]]


def default_hosts() -> list[ProviderSpec]:
    """The packaged hosts, from ``scenario/data/hosts.toml`` (not in the default roster)."""
    return [ProviderSpec(**row) for row in _load_data("hosts.toml")["hosts"]]


def default_listings() -> dict[str, dict[str, Any]]:
    """Roster labs' listings of other labs' models, by lab (``scenario/data/hosts.toml``)."""
    return {
        row["provider"]: {key: value for key, value in row.items() if key != "provider"}
        for row in _load_data("hosts.toml")["listings"]
    }


def default_chips() -> list[ChipSpec]:
    """The default chip catalogue, from ``scenario/data/chips.toml``."""
    return [ChipSpec(**row) for row in _load_data("chips.toml")["chips"]]


def default_domestic_output() -> dict[str, dict[int, float]]:
    """Domestic accelerator output per year, from ``scenario/data/chips.toml``."""
    table = _load_data("chips.toml")["domestic_output"]
    return {
        chip: {int(year): float(units) for year, units in years.items()}
        for chip, years in table.items()
    }
