"""Scenarios and policies: what a run, sweep or validation simulates.

Every call that simulates takes a scenario the same way (a preset, a file or a
:class:`Scenario`, plus policies and dotted settings), so resolving one is done here once, for
all of them, and checked before anything runs or is stored. The policies' listing is here too:
it is what ``policies=`` and ``settings=`` may name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interfaces.public.arguments import texts
from policies.base import Policy
from policies.registry import available, build_policies, policy_class
from scenario.files import dump_scenario, load_scenario, preset_names
from scenario.notes import scenario_notes
from scenario.overrides import parse_value, resolve_scenario
from scenario.scenario import Scenario

__all__ = [  # what interfaces.api offers from here
    "ParameterInfo",
    "Policy",
    "PolicyInfo",
    "Scenario",
    "default_policy",
    "default_run_name",
    "policies",
    "presets",
    "scenario",
    "scenario_notes",
    "scenario_policies",
    "scenario_text",
    "setting_value",
]


def scenario(
    preset_or_file: str | Path | Scenario | None = None,
    *,
    policies: Iterable[str] = (),
    settings: Mapping[str, Any] | Sequence[str] | None = None,
    steps: int | None = None,
    developers: int | None = None,
    start: str | None = None,
    step_length: str | None = None,
) -> Scenario:
    """A validated scenario: a preset, a file or a scenario, plus policies and settings.

    Args:
        preset_or_file: a preset name (``baseline``, ``no_controls``, ``strict``; see
            :func:`presets`), a TOML or YAML scenario file, or a scenario; the default scenario
            (no policies) when None.
        policies: names of policies to enable (see :func:`policies`).
        settings: dotted-path overrides, ``{"smuggling.leakage": 0.3}`` or
            ``["smuggling.leakage=0.3"]``.
        steps: number of steps (default 48 months).
        developers: size of the developer population.
        start: first month, ``YYYY-MM``.
        step_length: ``month`` or ``week``.

    Returns:
        The scenario a run with these options simulates (frozen; print it with
        :func:`scenario_text`).

    Raises:
        InputError: an unknown preset, policy or setting, a value out of range, or a string
            where a list belongs (``policies="export_ban"``).
    """
    policies = texts(policies, "policies", '["export_ban"]')
    if settings is not None and not isinstance(settings, Mapping):
        settings = texts(settings, "settings", '{"smuggling.leakage": 0.3}')
    if isinstance(preset_or_file, Scenario):
        base: Scenario | None = preset_or_file
    else:
        base = load_scenario(str(preset_or_file)) if preset_or_file else None
    return resolve_scenario(
        base,
        policies=policies,
        settings=settings,
        developers=developers,
        steps=steps,
        start=start,
        step_length=step_length,
    )


def chosen_scenario(
    scenario_or_preset: Scenario | str | Path | None, options: Mapping[str, Any]
) -> Scenario:
    """The scenario a call asks for: a scenario as given, or the one :func:`scenario` resolves.

    Args:
        scenario_or_preset: a scenario, or what :func:`scenario` takes as its first argument.
        options: :func:`scenario`'s keyword arguments, as the call received them.

    Raises:
        InputError: as :func:`scenario`.
    """
    if isinstance(scenario_or_preset, Scenario) and not any(
        value is not None and value != () for value in options.values()
    ):
        return scenario_or_preset
    return scenario(scenario_or_preset, **options)


def presets() -> dict[str, Scenario]:
    """The packaged scenario presets by name, each with its ``description``."""
    return {name: load_scenario(name) for name in preset_names()}


def scenario_text(scenario: Scenario, syntax: str = "toml") -> str:
    """``scenario`` in full as TOML or YAML (``syntax``): a file to edit and run again."""
    return dump_scenario(scenario, syntax)


def setting_value(text: str) -> Any:
    """A setting's value as ``--set`` reads it: ``0.3`` a float, ``true`` a bool, ``a,b`` a list."""
    return parse_value(text, None)


@dataclass(frozen=True)
class ParameterInfo:
    """One parameter of a policy: its name, default and meaning."""

    name: str
    default: Any
    description: str


@dataclass(frozen=True)
class PolicyInfo:
    """A policy that runs can enable: its name, what it does, its parameters."""

    name: str
    summary: str
    parameters: tuple[ParameterInfo, ...]


def policies() -> list[PolicyInfo]:
    """The available policies (built in, or added through the entry-point group), by name."""
    listing = []
    for name, cls in sorted(available().items()):
        params = []
        for field, info in cls.model_fields.items():
            default = info.get_default(call_default_factory=True)
            if hasattr(default, "model_dump"):
                default = default.model_dump()
            params.append(ParameterInfo(field, default, info.description or ""))
        listing.append(PolicyInfo(name, cls.summary, tuple(params)))
    return listing


def scenario_policies(scenario: Scenario) -> dict[str, Policy]:
    """The scenario's enabled policies as a run builds them, by registered name."""
    return {active.policy.name: active.policy for active in build_policies(scenario.policies)}


def default_policy(name: str) -> Policy:
    """Policy ``name`` with its default parameters.

    Raises:
        InputError: no such policy (the message lists those there are).
    """
    return policy_class(name)()


def default_run_name(scenario: Scenario) -> str:
    """A run's name when none is given: the scenario's, or its policies' (``no_policy``)."""
    if scenario.name != "default":
        return scenario.name
    return "+".join(p.key for p in scenario.policies) or "no_policy"
