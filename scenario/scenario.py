"""A scenario: everything a run needs except its seed, validated once, printable in full.

A :class:`Scenario` holds the start month, the horizon and its step length, the population
size, every behavioural parameter (:mod:`scenario.sections`), the provider roster and the chip
catalogue (:mod:`scenario.roster`), the policies with their schedules and typed parameters
(:mod:`scenario.policy_params`) and the changes to the product catalogue
(:mod:`scenario.products`). It is validated once, on construction (pydantic), with errors that
name the field and the allowed values; the model itself never re-checks its inputs.
"""

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from scenario.fields import Month, Name, Section, first_bad_value, text_field
from scenario.names import unknown_name
from scenario.policy_params import PolicyConfig
from scenario.products import ProductChange, catalogue_launches, catalogue_names
from scenario.roster import (
    ChipSpec,
    ProviderSpec,
    default_chips,
    default_domestic_output,
    default_hosts,
    default_listings,
    default_providers,
)
from scenario.sections import ChoiceParams, DemandParams, NetworkParams, SupplyParams
from vocabulary.calendar import MAX_STEPS, parse_month
from vocabulary.clock import STEP_LENGTHS
from vocabulary.regions import DEV_REGIONS
from vocabulary.text import TEXT_LENGTH


class Scenario(Section):
    """A complete, validated description of one run except its seed."""

    name: Name = "default"
    description: Annotated[str, text_field(TEXT_LENGTH, lines=True)] = ""
    start: Month = Field("2024-01", description="first simulated month")
    steps: int = Field(
        48,
        ge=1,
        le=MAX_STEPS,
        description="number of steps, each of "
        "step_length: 48 months cover 2024-2027 from the default start, as do "
        "209 weeks",
    )
    step_length: Literal[STEP_LENGTHS] = Field(  # type: ignore[valid-type]
        "month",
        description="what one step simulates: a calendar month, or a week of 7 days "
        "counted from the 1st of the start month, with monthly rates scaled to the week "
        "(docs/model.md, 'Step length')",
    )
    developers: int = Field(
        20_000,
        ge=100,
        le=5_000_000,
        description="size of the simulated developer population; "
        "each row stands for an equal slice of its region and segment's demand",
    )
    demand: DemandParams = DemandParams()
    choice: ChoiceParams = ChoiceParams()
    supply: SupplyParams = SupplyParams()
    network: NetworkParams = NetworkParams()
    providers: list[ProviderSpec] = Field(default_factory=default_providers, min_length=2)
    hosts: bool = Field(
        True,
        description="add the packaged hosts (scenario/data/hosts.toml: router hosts and US "
        "clouds serving Chinese open-weight models abroad) to the roster, and the listings of "
        "DeepSeek's models that Alibaba, Tencent and ByteDance serve from their clouds in China; "
        "entries already in the roster, and labs with listings of their own, are kept as they "
        "are; false leaves the packaged ones out (docs/model.md, section 4c)",
    )
    chips: list[ChipSpec] = Field(default_factory=default_chips, min_length=1)
    domestic_output: dict[str, dict[int, Annotated[float, Field(ge=0)]]] = Field(
        default_factory=default_domestic_output,
        description="accelerators made per year by domestic chip (Huawei, SOURCES 4)",
    )
    policies: list[PolicyConfig] = Field(default_factory=list)
    products: dict[str, ProductChange] = Field(
        default_factory=dict,
        description="changes to catalogued products by name (scenario/data/products.csv); "
        "products not named are sold as the catalogue lists them",
    )

    @model_validator(mode="before")
    @classmethod
    def _plain_values(cls, data: Any) -> Any:
        """Refuse numbers that are not finite or too large, and text with control characters.

        Wherever they are (policy parameters included): numbers beyond :data:`MAX_NUMBER`.
        """
        problem = first_bad_value(data)
        if problem:
            raise ValueError(problem)
        return data

    @model_validator(mode="before")
    @classmethod
    def _with_hosts(cls, data: Any) -> Any:
        """With ``hosts`` on, the roster gains the packaged hosts and listings; off, loses them.

        On: each packaged host the roster does not already name, and each packaged listing for
        a lab with no listings of its own; a stored scenario holds them already, so reading it
        again adds nothing, and a host changed by ``--set providers.NAME...`` keeps its change.
        Off: the packaged hosts go, and the labs' listings that are the packaged ones; a host or
        listing of the scenario's own stays.
        """
        if not isinstance(data, dict):
            return data
        providers = data.get("providers")
        roster = list(default_providers() if providers is None else providers)
        if data.get("hosts", True) is True:
            named = {_name(p) for p in roster}
            open_labs = {_name(p) for p in roster if _attribute(p, "open_weights") is True}
            roster = [_with_listing(p, open_labs) for p in roster]
            hosts = [_listing_only(h, open_labs) for h in default_hosts() if h.name not in named]
            return {**data, "providers": roster + [h for h in hosts if h.lists]}
        if providers is None:
            return data
        hosts = {host.name for host in default_hosts()}
        kept = [_without_listing(p) for p in roster if _name(p) not in hosts]
        return {**data, "providers": kept}

    @model_validator(mode="after")
    def _cross_references(self) -> "Scenario":
        chips = {chip.name for chip in self.chips}
        names = [p.name for p in self.providers]
        if len(set(names)) != len(names):
            raise ValueError("providers: names must be unique")
        for provider in self.providers:
            unknown = set(provider.fleet_mix) - chips
            if unknown:
                raise ValueError(
                    f"providers.{provider.name}.fleet_mix: unknown chip "
                    f"{', '.join(sorted(unknown))}; "
                    f"allowed: {', '.join(sorted(chips))}"
                )
        open_labs = {p.name for p in self.providers if p.open_weights}
        for provider in self.providers:
            unknown = set(provider.lists) - (open_labs - {provider.name})
            if unknown:
                raise ValueError(
                    f"providers.{provider.name}.lists: {', '.join(sorted(unknown))} is not an "
                    f"open-weight lab of the roster (other than itself); allowed: "
                    f"{', '.join(sorted(open_labs - {provider.name}))}"
                )
        for region in DEV_REGIONS:
            if not any(region in p.markets for p in self.providers):
                raise ValueError(f"providers: no provider serves developer region {region}")
        if self.supply.remote_chip not in chips:
            raise ValueError(
                f"supply.remote_chip: unknown chip {self.supply.remote_chip!r}; "
                f"allowed: {', '.join(sorted(chips))}"
            )
        unknown = set(self.choice.programming_preference) - set(names)
        if unknown:
            raise ValueError(
                f"choice.programming_preference: unknown provider {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(names)}"
            )
        keys = [p.key for p in self.policies]
        if len(set(keys)) != len(keys):
            raise ValueError("policies: a policy used twice needs a distinct label on each use")
        unknown = set(self.domestic_output) - chips
        if unknown:
            raise ValueError(f"domestic_output: unknown chip {', '.join(sorted(unknown))}")
        for name in self.products:
            if name not in catalogue_launches():
                raise ValueError(f"products: {unknown_name(name, catalogue_names(), 'product')}")
        run_start = parse_month(self.start)
        for config in self.policies:
            schedule = config.params.schedule
            try:
                schedule.check_order(schedule.start_month(run_start), schedule.end_month(run_start))
            except ValueError as error:
                raise ValueError(f"{config.key}.schedule: {error}") from None
        return self


def _name(provider: Any) -> Any:
    """A roster entry's name, as data or as a spec (None for what is neither)."""
    return _attribute(provider, "name")


def _without_listing(provider: Any) -> Any:
    """A roster entry without its listings if they are the packaged ones."""
    listing = default_listings().get(_name(provider))
    if not listing:
        return provider
    if isinstance(provider, ProviderSpec):
        if provider.lists != listing["lists"]:
            return provider
        return provider.model_copy(
            update={"lists": {}, "listing_lag_months": 0, "list_price_ratio": 1.0}
        )
    if isinstance(provider, dict) and provider.get("lists") == listing["lists"]:
        return {k: v for k, v in provider.items() if k not in listing}
    return provider


def _attribute(provider: Any, field: str) -> Any:
    """A field of a roster entry, as data or as a spec (None where it has none)."""
    if isinstance(provider, dict):
        return provider.get(field)
    return getattr(provider, field, None)


def _listing_only(host: ProviderSpec, open_labs: set[Any]) -> ProviderSpec:
    """A packaged host listing only the open-weight labs the roster has.

    A scenario may rename a lab, or close its weights.
    """
    kept = {lab: month for lab, month in host.lists.items() if lab in open_labs}
    return host.model_copy(update={"lists": kept})


def _with_listing(provider: Any, open_labs: set[Any]) -> Any:
    """A roster entry with its packaged listings of other labs' models, if it has none itself.

    Only of the open-weight labs the roster has, other than itself.
    """
    name = _name(provider)
    listing = default_listings().get(name)
    if (
        not listing
        or _attribute(provider, "lists")
        or not isinstance(provider, dict | ProviderSpec)
    ):
        return provider  # none to add, its own, or not an entry (validation names the problem)
    kept = {lab: month for lab, month in listing["lists"].items() if lab in open_labs - {name}}
    if not kept:
        return provider
    update = {**listing, "lists": kept}
    if isinstance(provider, ProviderSpec):
        return provider.model_copy(update=update)
    return {**provider, **update}


RETIRED_INPUTS: dict[str, tuple[str, ...]] = {
    "supply": ("capability_catch_up", "open_weights_catch_up_bonus"),
    "choice": ("open_weights_security_factor",),
}
"""Inputs earlier versions had and this one no longer reads, by section: runs stored with them
stay readable (:func:`without_retired_inputs`), while a new scenario naming them is refused.
The two catch-up rates went in December 2026, when followers started keeping their own gap to
the frontier after the capability timeline instead of converging to one lag. The open-weight
discount on the security penalty went with it, when hosts abroad started serving open-weight
models themselves (the penalty now follows where a model is served, and an origin penalty
where it was made: docs/model.md, section 4c)."""


def without_retired_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """A stored scenario's data without :data:`RETIRED_INPUTS` (the stored JSON is untouched).

    A scenario stored before hosts existed (no ``hosts`` in it) had none: it reads as
    ``hosts = false``, its roster as it was.
    """
    cleaned = {"hosts": False, **data}
    for section, names in RETIRED_INPUTS.items():
        if isinstance(cleaned.get(section), dict):
            cleaned[section] = {k: v for k, v in cleaned[section].items() if k not in names}
    return cleaned
