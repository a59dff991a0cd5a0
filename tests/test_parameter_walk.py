"""No input is dead: every documented parameter, changed through ``--set``, changes the numbers.

The walk goes over every input a scenario holds, as ``--set`` reaches it: each field of the
behavioural sections (each entry of a keyed mapping on its own: a year of a growth schedule, a
segment's weight), each field of the roster and of the chip catalogue (on the first entry where
it matters), each parameter of every policy (the baseline's, and each other policy switched on),
each field of a product change, and the run's shape. For each it runs the baseline with the
value moved and checks that its numbers (the digest's rows, policy events aside) differ from the
unchanged run's. A parameter that changes
nothing misleads every user who sets it (``supply.electricity_price_multiplier`` did, until it
was wired), so the walk fails naming it.

Left out, since they name things rather than set them: ``name`` and ``description`` of the
scenario, the ``name`` of a roster or catalogue entry, and a policy's label.
"""

import hashlib
from collections.abc import Iterator
from functools import cache
from typing import Any, Literal, get_args, get_origin

import pytest
from pydantic import BaseModel

from experiments.sweep import Task
from experiments.sweep_worker import simulate
from policies.registry import available
from scenario.files import load_scenario
from scenario.overrides import _unwrap, resolve_scenario
from scenario.products import ProductChange
from scenario.scenario import Scenario
from vocabulary.calendar import format_month, parse_month
from vocabulary.errors import InputError

DEVELOPERS = 2_000
"""Enough developers that every region x segment has some (government is 2%), few enough to
simulate a few hundred scenarios in a minute or two."""
NAMING = {"name", "description", "label"}
"""Fields that name rather than set, left out of the walk."""
ENTRIES = {"providers": "provider", "chips": "chip"}
"""The named lists of the scenario, walked field by field over their entries."""
OTHER_NAMES = {
    "H100": ("H800", "A100", "H20"),
}
"""Values to try for a field that names an entry of a catalogue (``supply.remote_chip``)."""
NAMED_LIKE = {"capability_proxy": "capability_key"}
"""A roster field that names what another field names: its values to try are that field's."""
PRODUCTS = ("DeepSeek-V3", "GPT-4o (2024-08-06 / 2024-11-20)", "Claude 3.5 Sonnet")
"""Products a change is tried on, in turn: each on sale for much of the run."""


@cache
def base() -> Scenario:
    """The baseline at the smallest population: every sourced policy is on."""
    return resolve_scenario(load_scenario("baseline"), developers=DEVELOPERS)


def digest_of(scenario: Scenario) -> str:
    """The run's numbers at seed 1, hashed (each scenario simulated once).

    The history's digest also covers the policy events, whose text names some parameters (a
    licence's fee): a parameter that only changed that text would seem alive. So the walk hashes
    the numbers alone, the market, provider, segment and product rows.
    """
    return _numbers(scenario.model_dump_json())


@cache
def _numbers(scenario_json: str) -> str:
    result = simulate(Task(0, 0, "main", 1, Scenario.model_validate_json(scenario_json)))
    assert result.error is None, result.error
    history = result.history
    tables = (history.market, history.providers, history.segments, history.products)
    return hashlib.sha256(repr([table.rows for table in tables]).encode()).hexdigest()


def moved(value: Any, annotation: Any = None) -> list[Any]:
    """Values to try in place of ``value``, nearest first; the scenario refuses those it must."""
    kind, _ = _unwrap(annotation) if annotation is not None else (None, [])
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, value - 1, value + 6]
    if isinstance(value, float):
        return [value * 1.5, value * 0.5, value + 0.1, value - 0.1] if value else [0.1, -0.1]
    if isinstance(value, str) and _literals(annotation):
        return [other for other in _literals(annotation) if other != value]
    if isinstance(value, str) and annotation is not None and value in OTHER_NAMES:
        return [other for other in OTHER_NAMES[value] if other != value]
    if isinstance(value, str) and is_month(value):
        return [format_month(parse_month(value) + 3), format_month(parse_month(value) - 3)]
    if isinstance(value, list) and get_origin(kind) is list:
        allowed = _literals(get_args(kind)[0])
        shorter = [value[:-1]] if len(value) > 1 else []
        others = [[other] for other in allowed if [other] != value]
        longer = [[*value, extra] for extra in allowed if extra not in value]
        return shorter + others + longer
    raise AssertionError(f"the walk does not know how to move {value!r} ({annotation})")


def is_month(text: str) -> bool:
    """Whether ``text`` is a month, ``YYYY-MM``."""
    try:
        parse_month(text)
    except (ValueError, InputError):
        return False
    return True


def _literals(annotation: Any) -> list[Any]:
    kind, _ = _unwrap(annotation)
    return list(get_args(kind)) if get_origin(kind) is Literal else []


TRIES = 2
"""How many accepted values are tried, up and down: a cap that does not bind when raised may
bind when lowered."""


def changes_the_digest(scenario: Scenario, key: str, candidates: list[Any]) -> bool:
    """Whether one of the first :data:`TRIES` candidates the scenario accepts changes the digest."""
    tried = 0
    for value in candidates:
        try:
            changed = resolve_scenario(scenario, settings={key: value})
        except InputError:
            continue
        if digest_of(changed) != digest_of(scenario):
            return True
        tried += 1
        if tried == TRIES:
            break
    return False


def leaves(prefix: str, value: Any, annotation: Any) -> Iterator[tuple[str, Any, Any]]:
    """``(key, value, annotation)`` of every settable leaf under ``prefix``, entries one by one."""
    kind, _ = _unwrap(annotation)
    model = kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None
    if model is not None:
        for name, field in model.model_fields.items():
            if name not in NAMING:
                yield from leaves(f"{prefix}.{name}", getattr(value, name), field.annotation)
    elif isinstance(value, dict) and get_origin(kind) is dict:
        item_type = get_args(kind)[1]
        for key, item in value.items():
            yield from leaves(f"{prefix}.{key}", item, item_type)
    else:
        yield prefix, value, annotation


def section_and_run_inputs() -> Iterator[tuple[str, Any, Any]]:
    """Every leaf of the sections, the run's shape and domestic output."""
    scenario = base()
    for name, field in Scenario.model_fields.items():
        if name in NAMING | set(ENTRIES) | {"policies", "products"}:
            continue
        yield from leaves(name, getattr(scenario, name), field.annotation)


WALKED = list(section_and_run_inputs())


NO_FOREIGN_CHIPS = {
    "export_ban.historical_dates": False,
    "h20_resumed.schedule.start": "2030-01",
    "h200_allowed.schedule.start": "2030-01",
}
CONDITIONS: dict[str, dict[str, Any]] = {
    # No provider serves China from the US or the EU in the roster; with one that does, the
    # latency of that route counts.
    "choice.network_latency_s.CN.US": {"providers.OpenAI.markets": ["US", "EU", "ROW", "CN"]},
    "choice.network_latency_s.CN.EU": {
        "providers.Mistral.jurisdiction": "EU",
        "providers.Mistral.markets": ["US", "EU", "ROW", "CN"],
    },
    # At the calibrated latency weight (0.30) few of the walk's developers weigh an EU provider
    # closely enough for a few hundredths of a second to flip a choice; at 3 they do.
    **{
        f"choice.network_latency_s.{region}.EU": {"choice.latency_weight": 3.0}
        for region in ("US", "EU")
    },
    # The markup's ceiling sits above every lab's starting ratio of price to cost: it binds once
    # markups answer share strongly.
    "supply.markup_max": {"supply.markup_response": 1.0},
    # Domestic output caps a channel the baseline's Chinese providers use only while no foreign
    # chip is cheaper per token or Beijing refuses them (not in 2024, when the H20 was on sale):
    # the cap matters in every year when every tier is banned from the start and no licence is
    # granted.
    **{
        f"domestic_output.{chip}.{year}": NO_FOREIGN_CHIPS
        for chip in ("Ascend910B", "Ascend910C", "TheadPPU", "CambriconMLU590")
        for year in range(2024, 2028)
    },
    # Providers plan a year of growth; only a lead time beyond that meets the horizon.
    "supply.planning_horizon_months": {"supply.lead_time_months.US": 24},
    # The foreign capacity to rent binds once the Chinese providers ask for more than it holds:
    # in 2024 they need little.
    "supply.rental_capacity_abroad_h100e.2024": {"demand.tokens_per_month_china": 30e12},
}
"""Inputs that matter only under a condition the baseline lacks, with settings that meet it."""


@pytest.mark.parametrize(("key", "value", "annotation"), WALKED, ids=[key for key, *_ in WALKED])
def test_every_section_input_changes_the_digest(key: str, value: Any, annotation: Any) -> None:
    """A section's parameter (one mapping entry at a time) or the run's shape, moved."""
    scenario = resolve_scenario(base(), settings=CONDITIONS.get(key, {}))
    assert changes_the_digest(scenario, key, moved(value, annotation)), f"--set {key} is dead"


ENTRY_FIELDS = [
    (table, name)
    for table, spec in (("providers", Scenario().providers[0]), ("chips", Scenario().chips[0]))
    for name in type(spec).model_fields
    if name not in NAMING
]


@pytest.mark.parametrize(("table", "field"), ENTRY_FIELDS, ids=[".".join(e) for e in ENTRY_FIELDS])
def test_every_roster_and_chip_field_changes_the_digest(table: str, field: str) -> None:
    """A field of the roster or the chip catalogue matters for at least one entry."""
    scenario = base()
    entries = getattr(scenario, table)
    annotation = type(entries[0]).model_fields[field].annotation
    for entry in entries:
        for key, value, kind in leaves(
            f"{table}.{entry.name}.{field}", getattr(entry, field), annotation
        ):
            if value is None:
                continue
            if isinstance(value, str) and not _literals(kind) and not is_month(value):
                like = NAMED_LIKE.get(field, field)
                others = {getattr(other, like) for other in entries} - {value, None}
                candidates: list[Any] = sorted(others)
            else:
                candidates = moved(value, kind)
            if changes_the_digest(scenario, key, candidates):
                return
    pytest.fail(f"{table}.*.{field} changes no run for any {ENTRIES[table]}")


POLICY_PARAMETERS = [
    (policy, name) for policy, cls in sorted(available().items()) for name in cls.model_fields
]


def policy_scenario(policy: str) -> tuple[Scenario, str]:
    """The baseline with ``policy`` in it, and the name ``--set`` reaches the policy by.

    Beijing's measures are left out but for their own walk: refusing every foreign chip from
    2026-05, they leave the licences' later months nothing to open. The ban by model origin
    walks where governments and enterprises put no penalty on Chinese models themselves: at the
    default penalties too few of the small population's use one for every parameter to show.
    """
    scenario = base()
    if policy == "model_origin_ban":
        scenario = resolve_scenario(
            scenario,
            settings={
                "choice.origin_penalty.government": 0.0,
                "choice.origin_penalty.enterprise": 0.0,
            },
        )
    if policy != "beijing_measures":
        scenario = scenario.model_copy(
            update={"policies": [c for c in scenario.policies if c.name != "beijing_measures"]}
        )
    for config in scenario.policies:
        if config.name == policy:
            return scenario, config.key
    return resolve_scenario(scenario, policies=[policy]), policy


@pytest.mark.parametrize(
    ("policy", "parameter"), POLICY_PARAMETERS, ids=[".".join(p) for p in POLICY_PARAMETERS]
)
def test_every_policy_parameter_changes_the_digest(policy: str, parameter: str) -> None:
    """Each parameter of each policy, on the baseline with that policy on."""
    scenario, key = policy_scenario(policy)
    config = next(c for c in scenario.policies if c.key == key)
    annotation = type(config.params).model_fields[parameter].annotation
    value = getattr(config.params, parameter)
    if parameter == "schedule":
        assert changes_the_digest(scenario, f"{key}.schedule.start", ["2025-01", "2026-02"])
        assert changes_the_digest(scenario, f"{key}.schedule.end", ["2026-06", "2025-10"])
        if type(config.params).has_level:  # a ramp raises a level; a ban or licence has none
            started = resolve_scenario(scenario, settings={f"{key}.schedule.start": "2025-07"})
            assert changes_the_digest(started, f"{key}.schedule.ramp_months", [6])
        return
    if parameter == "chips":
        candidates = [[*value, "H100"]]
        assert changes_the_digest(scenario, f"{key}.chips", candidates), f"{key}.chips"
        return
    dead = [
        entry
        for entry, entry_value, kind in leaves(f"{key}.{parameter}", value, annotation)
        if not changes_the_digest(scenario, entry, moved(entry_value, kind))
    ]
    assert not dead, f"dead: {', '.join(dead)}"


PRODUCT_FIELDS = list(ProductChange.model_fields)


@pytest.mark.parametrize("field", PRODUCT_FIELDS)
def test_every_product_field_changes_the_digest(field: str) -> None:
    """A product's launch, retirement, prices, capability and speed, each on its own."""
    values = {
        "launch_month": "2024-03",
        "retired_month": "2025-06",
        "input_usd_per_m": 5.0,
        "output_usd_per_m": 20.0,
        "aa_index": 40.0,
        "output_tokens_per_s": 500.0,
    }
    for product in PRODUCTS:
        if changes_the_digest(base(), f"products.{product}.{field}", [values[field]]):
            return
    pytest.fail(f"products.*.{field} changes no run")
