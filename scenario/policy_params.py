"""What a scenario says of each policy: when it acts and its typed parameters.

A policy's inputs are validated where every other input is, when the scenario is built, so
``--set smuggling.leakage=1.5`` is refused with the field's range before any run starts, and a
stored scenario holds every parameter of every policy. The behaviour (what a policy does to
the month's constraints) is :mod:`policies`'; each policy class there subclasses its
parameters class here, so the two cannot disagree on a field.

A policy installed by another package (entry point group :data:`ENTRY_POINT_GROUP`, see
:mod:`policies.registry`) is a :class:`PolicyParams` subclass too, and is found here by name.
"""

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    model_validator,
)

from scenario.fields import Label, Month, Section, Share
from vocabulary.calendar import format_month, parse_month
from vocabulary.errors import InputError, describe_validation_error
from vocabulary.regions import CONTROL_TIERS, DevRegion, Jurisdiction, Segment

ENTRY_POINT_GROUP = "token_market.policies"
"""The entry point group through which other packages add policies."""

MAX_MONTH_NUMBER = 12 * 300
"""The largest month number a schedule may give (300 years after a run's first month)."""


class Schedule(BaseModel):
    """When a policy acts.

    ``start`` and ``end`` are months (``YYYY-MM``) or month numbers counted from the run's first
    month (0; the step number in a monthly run); ``None`` means from the beginning / for ever.
    Schedules are monthly whatever the step length: a weekly run applies a month's intensity in
    every week that starts in it. Over ``ramp_months`` after the start
    the policy's intensity rises linearly from 1/(ramp+1) to 1; policies with a level (leakage,
    enforcement, a multiplier) scale it by the intensity, bans are on whenever it is above zero.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: str | int | None = None
    end: str | int | None = None
    ramp_months: int = Field(0, ge=0, le=120)

    @model_validator(mode="after")
    def _months_parse(self) -> "Schedule":
        for name in ("start", "end"):
            value = getattr(self, name)
            if isinstance(value, str):
                parse_month(value)
            elif isinstance(value, int) and not 0 <= value <= MAX_MONTH_NUMBER:
                raise ValueError(
                    f"{name} must be a month YYYY-MM or a month number from 0 to "
                    f"{MAX_MONTH_NUMBER}, got {value}"
                )
        if type(self.start) is type(self.end) and self.start is not None:
            self.check_order(self.start_month(0), self.end_month(0))
        return self

    def start_month(self, run_start: int) -> int | None:
        """The month index the policy starts in, for a run starting in ``run_start``."""
        return self._resolve(self.start, run_start)

    def end_month(self, run_start: int) -> int | None:
        """The month index of the policy's last month, for a run starting in ``run_start``."""
        return self._resolve(self.end, run_start)

    def check_order(self, start: int | None, end: int | None) -> None:
        """Refuse an end before the start: such a policy would never act."""
        if start is not None and end is not None and end < start:
            raise ValueError(
                f"schedule end {self.end} is before its start {self.start}: the "
                "end must be the same month as the start or later"
            )

    def _resolve(self, value: str | int | None, run_start: int) -> int | None:
        if value is None:
            return None
        return parse_month(value) if isinstance(value, str) else run_start + value

    def intensity(self, month: int, run_start: int) -> float:
        """How strongly the policy acts in ``month``: 0 (off) to 1 (fully on)."""
        start = self.start_month(run_start)
        end = self.end_month(run_start)
        if (start is not None and month < start) or (end is not None and month > end):
            return 0.0
        if start is None or self.ramp_months == 0:
            return 1.0
        return min(1.0, (month - start + 1) / (self.ramp_months + 1))

    def describe(self) -> str:
        """The schedule in words, for listings."""
        start = self.start if self.start is not None else "the start"
        text = f"from {start}" + (f" to {self.end}" if self.end is not None else "")
        return text + (f", ramp {self.ramp_months} months" if self.ramp_months else "")


class PolicyParams(BaseModel):
    """The parameters every policy has (its schedule); each policy's class adds its own.

    ``has_level`` says whether the policy acts with a level (a leakage, an enforcement, a
    multiplier) that a schedule's ramp can raise; a ban or a licence is on or off, so a ramp
    would change nothing and is refused.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    has_level: ClassVar[bool] = True
    schedule: Schedule = Schedule()

    @model_validator(mode="after")
    def _ramp_needs_a_level(self) -> "PolicyParams":
        if not self.has_level and self.schedule.ramp_months:
            raise ValueError(
                "schedule.ramp_months: this policy is on or off, with no level to ramp up; "
                "leave it at 0 (a later schedule.start delays it)"
            )
        return self


Tier = Literal[CONTROL_TIERS]  # type: ignore[valid-type]


class ExportBanParams(PolicyParams):
    """US export bans: which control tiers, for which buyers, from which month."""

    has_level: ClassVar[bool] = False

    tiers: list[Tier] = Field(
        default_factory=lambda: list(CONTROL_TIERS),
        min_length=1,
        description="control steps in force: 2022-10, 2023-10, 2025-04",
    )
    buyers: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"], min_length=1, description="jurisdictions that may not buy"
    )
    historical_dates: bool = Field(
        True,
        description="each tier takes effect no earlier than its real month; false: all "
        "tiers from the schedule's start",
    )


class ExportLicenceParams(PolicyParams):
    """An export licence: which chips, for which buyers, at what fee."""

    has_level: ClassVar[bool] = False

    chips: list[str] = Field(
        default_factory=lambda: ["H20"], min_length=1, description="chip names from the catalogue"
    )
    fee: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="share of the price paid as export fee "
        "(H20 15%, H200 25%; Nvidia CFO, introl.com)",
    )
    buyers: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"], min_length=1, description="jurisdictions the licence covers"
    )


class RemoteAccessParams(PolicyParams):
    """The Remote Access Security Act: how far it reaches, how much leaks, whom it targets."""

    enforcement: float = Field(
        1.0,
        ge=0.0,
        le=1.0,
        description="share of remote access the law reaches when fully in force",
    )
    leakage: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="share of the reached access that "
        "continues through proxies and shell companies; guess (unquantified "
        "publicly)",
    )
    targets: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"],
        min_length=1,
        description="provider jurisdictions whose access is cut",
    )


class HostPermitsParams(PolicyParams):
    """Host countries' permit rules: how much of the foreign capacity they close to renters."""

    blocked: Share = Field(
        0.3,
        description="share of the foreign capacity open to the renters' providers that the "
        "host countries' rules close at full strength: Malaysia requires a Strategic Trade "
        "Permit to export or transit US AI chips from 2025-07-14, and BIS's guidance of "
        "2025-05-13 puts offshore clouds that train Chinese models under licence (SOURCES 13, "
        "H); how much capacity they close is not reported: guess, range 0-0.6",
    )
    renters: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"],
        min_length=1,
        description="jurisdictions whose providers the rules keep from renting abroad",
    )


class SmugglingParams(PolicyParams):
    """Smuggling of banned chips: its share of demand, premium, yearly cap and seizures."""

    leakage: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="share of a provider's demand for banned chips that the smuggling network "
        "reaches, whatever the licences (within the network's yearly cap); guess in a range of "
        "0.05-0.5 (CNAS: smuggled chips 1-30%, median 6%, of China's inference compute in "
        "2024; FT: >= $1B in three months after Apr 2025), set by the calibration of "
        "December 2026 (docs/model.md, Calibration) with the Chinese-made share of 2025's "
        "purchases (T14)",
    )
    premium: float = Field(
        0.5, ge=0.0, le=10.0, description="price premium over list (+50%, FT / SemiAnalysis, M)"
    )
    cap_per_year: float = Field(
        300_000,
        ge=0.0,
        description="most chips smuggled in a year (CNAS: 10k to several hundred thousand, M)",
    )
    seizure_rate: float = Field(
        0.1,
        ge=0.0,
        le=1.0,
        description="share of paid-for smuggled chips "
        "seized; guess (DOJ seized $50M of >= $160M in one case)",
    )
    buyers: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"],
        min_length=1,
        description="jurisdictions whose buyers smuggle",
    )


class ApiRestrictionParams(PolicyParams):
    """API restrictions: who is bound, which jurisdictions are barred, how many comply."""

    developer_regions: list[DevRegion] = Field(
        default_factory=lambda: ["US", "EU"],
        min_length=1,
        description="regions whose developers are bound",
    )
    jurisdictions: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"], min_length=1, description="provider jurisdictions barred"
    )
    enterprise_share: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description="share of enterprises bound (52% of Netskope clients blocked DeepSeek, M)",
    )
    compliance: float = Field(1.0, ge=0.0, le=1.0, description="share of bound users that comply")


class ModelOriginBanParams(PolicyParams):
    """A ban on models by where they were made, whoever serves them: who is bound, how many."""

    developer_regions: list[DevRegion] = Field(
        default_factory=lambda: ["US"],
        min_length=1,
        description="regions whose developers are bound",
    )
    made_in: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"],
        min_length=1,
        description="jurisdictions whose labs' models are banned, on any host",
    )
    segments: dict[Segment, Share] = Field(
        default_factory=lambda: {"government": 1.0, "enterprise": 0.1},
        min_length=1,
        description="share of each named segment's developers bound: all of government and "
        "the defence contractors among enterprises (the FY2026 NDAA, Sec. 1532, bars DoD and "
        "its contractors from AI developed by DeepSeek on any host, from 2025-12-18; SOURCES "
        "16, M; the contractors' 0.1 of US enterprises is a guess, range 0.02-0.2); raise "
        "enterprise to ask what a wider ban would do",
    )
    compliance: float = Field(1.0, ge=0.0, le=1.0, description="share of bound users that comply")


class EnergyPriceParams(PolicyParams):
    """An energy price shock: whose electricity, by how much."""

    region: Jurisdiction = Field("CN", description="jurisdiction whose providers pay it")
    multiplier: float = Field(3.0, gt=0.0, le=100.0, description="price multiplier when fully on")


class PermittingParams(PolicyParams):
    """Permitting and grid delays: whose builds, by how many months."""

    region: Jurisdiction = Field("US", description="jurisdiction whose builds are delayed")
    extra_months: int = Field(12, ge=0, le=120, description="months added when fully on")


class BeijingMeasuresParams(PolicyParams):
    """Beijing's own measures against foreign chips: how much of their purchase it steers away."""

    refusal: dict[Month, Share] = Field(
        default_factory=lambda: {"2025-08": 0.99, "2025-11": 1.0, "2026-01": 0.7, "2026-05": 1.0},
        min_length=1,
        description="share of Chinese providers' purchases of foreign-made chips given up, from "
        "each month on (a step at each date): guidance against H20 purchases from 2025-08 "
        "(Nvidia's H20 China revenue ~$50m in Aug-Oct 2025 against $4.6bn in Feb-Apr, 1%, "
        "SOURCES 12, H; 0.99, range 0.9-1.0, part of the fall may be buyers' own caution); "
        "foreign chips banned in state-funded data centres from 2025-11 (SOURCES 12, M; 1.0 "
        "guess); H200 approvals for ByteDance, Alibaba and Tencent "
        "from 2026-01 on condition of domestic purchases (SOURCES 12, M; 0.7 guess, range "
        "0.5-0.9); Nvidia's guide for May-Jul 2026 assumes no China data-centre revenue "
        "(SOURCES 12, M; 1.0)",
    )
    buyers: list[Jurisdiction] = Field(
        default_factory=lambda: ["CN"], min_length=1, description="jurisdictions that steer"
    )

    def refusal_at(self, month: int) -> float:
        """The share refused in ``month``: the latest dated step at or before it, else 0."""
        started = [parse_month(m) for m in self.refusal if parse_month(m) <= month]
        return self.refusal[format_month(max(started))] if started else 0.0


BUILT_IN: Mapping[str, type[PolicyParams]] = {
    "export_ban": ExportBanParams,
    "export_licence": ExportLicenceParams,
    "remote_access": RemoteAccessParams,
    "smuggling": SmugglingParams,
    "api_restriction": ApiRestrictionParams,
    "model_origin_ban": ModelOriginBanParams,
    "energy_price": EnergyPriceParams,
    "permitting": PermittingParams,
    "beijing_measures": BeijingMeasuresParams,
    "host_permits": HostPermitsParams,
}
"""The parameters of each built-in policy, by the policy's name."""


def installed() -> dict[str, type[PolicyParams]]:
    """Every policy's parameters class by name: the built-ins, then those of entry points.

    An installed policy's class is its own parameters class (it subclasses
    :class:`PolicyParams` through :class:`policies.base.Policy`).
    """
    return dict(_discover())


@cache
def _discover() -> tuple[tuple[str, type[PolicyParams]], ...]:
    """Scan the entry points once per process.

    The scan reads every installed distribution's metadata (milliseconds), and every scenario
    that is built asks for it once per policy: a sweep of a thousand points would spend most of
    its set-up scanning.
    """
    found = dict(BUILT_IN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.name in found:
            continue
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, PolicyParams)):
            raise InputError(
                f"entry point {entry.name} = {entry.value} in group "
                f"{ENTRY_POINT_GROUP} is not a Policy subclass"
            )
        found[entry.name] = cls
    return tuple(found.items())


def parameters_of(name: str) -> type[PolicyParams]:
    """The parameters class of the policy called ``name``, or an error listing the names."""
    known = installed()
    if name not in known:
        raise InputError(f"unknown policy {name!r}; available: {', '.join(sorted(known))}")
    return known[name]


class PolicyConfig(Section):
    """A policy as the scenario holds it: registered name, optional label, typed parameters.

    The label is needed when a scenario uses the same policy twice, and ``--set LABEL.param``
    addresses the policy by it. ``params`` is the policy's own parameters class (every field
    filled in), however it was given: a mapping from a file is validated into it.
    """

    name: Label
    label: Label | None = None
    params: SerializeAsAny[PolicyParams] = Field(default_factory=PolicyParams)

    @model_validator(mode="before")
    @classmethod
    def _typed_params(cls, data: Any) -> Any:
        """Validate ``params`` as the named policy's parameters; errors name policy and field."""
        if not isinstance(data, Mapping) or not isinstance(data.get("name"), str):
            return data
        params = data.get("params", {})
        model = parameters_of(data["name"])
        if isinstance(params, model):
            return data
        if isinstance(params, BaseModel):
            params = params.model_dump()
        try:
            typed = model.model_validate(params if params is not None else {})
        except ValidationError as error:
            label = data.get("label") or data["name"]
            raise ValueError(describe_validation_error(error, prefix=str(label))) from None
        return {**data, "params": typed}

    @property
    def key(self) -> str:
        """How the run refers to this policy: its label, else its name."""
        return self.label or self.name
