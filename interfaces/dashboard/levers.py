"""The policy levers the dashboard's controls move, and the scenario they make.

Every lever starts where the ``baseline`` preset has it (the historical policy mix), so a
dashboard run with untouched controls *is* the baseline, and any difference on the charts comes
from the levers the user moved. A lever either switches one of the preset's policies off or on,
or sets one policy parameter; :meth:`Levers.scenario` goes through the same
:func:`~scenario.overrides.resolve_scenario` as ``sim run --scenario baseline --policy ...
--set ...``, and :meth:`Levers.command` prints that command when one exists.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from interfaces import api
from vocabulary.regions import CONTROL_TIERS

BASELINE = "baseline"
"""The preset every dashboard run starts from and is compared with."""

BASELINE_SCENARIO = api.scenario(BASELINE)
"""The :data:`BASELINE` preset, loaded once: every lever change and page redraw reads it."""

_BASELINE_POLICIES = api.scenario_policies(BASELINE_SCENARIO)
"""The preset's policies as the run builds them, by registered name."""

TIER_CHOICES: tuple[str, ...] = tuple(
    ", ".join(CONTROL_TIERS[:n]) for n in range(len(CONTROL_TIERS), 0, -1)
)
"""The export-ban choices: the real control steps, cumulatively (all three, the first two, the
first), each written as the comma-separated tiers it puts in force."""

_LEVER_PARAMETERS = {
    "export_ban.tiers": "ban_tiers",
    "smuggling.leakage": "smuggling_leakage",
    "remote_access.enforcement": "remote_access_enforcement",
    "energy_price.multiplier": "cn_electricity",
}
"""Policy parameter (``policy.field``) -> the lever that sets it."""

SWITCHES = {
    "ban_tiers": "export_ban",
    "smuggling_leakage": "smuggling",
    "remote_access_enforcement": "remote_access",
}
"""A lever of a policy's parameter -> the checkbox that switches the policy on: with it off,
the lever does nothing, so the page greys it out and says so."""


def parse_tiers(text: str) -> tuple[str, ...]:
    """``"2022-10, 2023-10"`` -> ``("2022-10", "2023-10")``."""
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _cli_value(value: Any) -> str:
    """A value as ``--set`` reads it back exactly (no shell quoting needed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return repr(value)


@dataclass(frozen=True)
class Levers:
    """Where the dashboard's policy controls stand.

    Attributes:
        export_ban: US export bans on AI chips for China in force.
        ban_tiers: which control steps the ban applies (see :data:`TIER_CHOICES`).
        licences: the preset's export licences (H20 resumed, H200 allowed, for a fee) in force.
        smuggling: banned chips leak in through smuggling.
        smuggling_leakage: share of the demand for banned chips that is smuggled in.
        remote_access: the Remote Access Security Act is enacted.
        remote_access_enforcement: share of rented foreign compute the act reaches.
        cn_electricity: multiplier on Chinese providers' electricity price; 1 means no
            ``energy_price`` policy.
    """

    export_ban: bool
    ban_tiers: tuple[str, ...]
    licences: bool
    smuggling: bool
    smuggling_leakage: float
    remote_access: bool
    remote_access_enforcement: float
    cn_electricity: float

    def __post_init__(self) -> None:
        # Slider arithmetic in the browser leaves float noise (0.30000000000000004); rounding
        # keeps the scenario and the printed command identical.
        for name in ("smuggling_leakage", "remote_access_enforcement", "cn_electricity"):
            object.__setattr__(self, name, round(float(getattr(self, name)), 6))

    @classmethod
    def of_baseline(cls) -> "Levers":
        """The levers as the baseline preset sets them."""

        def value(policy: str, field: str) -> Any:
            instance = _BASELINE_POLICIES.get(policy) or api.default_policy(policy)
            return getattr(instance, field)

        return cls(
            export_ban="export_ban" in _BASELINE_POLICIES,
            ban_tiers=tuple(value("export_ban", "tiers")),
            licences="export_licence" in _BASELINE_POLICIES,
            smuggling="smuggling" in _BASELINE_POLICIES,
            smuggling_leakage=value("smuggling", "leakage"),
            remote_access="remote_access" in _BASELINE_POLICIES,
            remote_access_enforcement=value("remote_access", "enforcement"),
            cn_electricity=(
                value("energy_price", "multiplier") if "energy_price" in _BASELINE_POLICIES else 1.0
            ),
        )

    def policies_on(self) -> dict[str, bool]:
        """Each policy a lever switches, by registered name: on or off."""
        return {
            "export_ban": self.export_ban,
            "export_licence": self.licences,
            "smuggling": self.smuggling,
            "remote_access": self.remote_access,
            "energy_price": self.cn_electricity != 1.0,
        }

    @cached_property
    def _plan(self) -> tuple[list[str], list[str], dict[str, Any]]:
        """What to do to the baseline: policies removed, policies added, parameters set.

        A parameter is set only where it differs from what the run would otherwise use (the
        preset's value for a kept policy, the policy's default for an added one). Computed once
        per Levers (they are frozen): the save panel asks for it on every step it redraws.
        """
        on = self.policies_on()
        present = {config.name: config.key for config in BASELINE_SCENARIO.policies}
        removed = [
            config.key for config in BASELINE_SCENARIO.policies if not on.get(config.name, True)
        ]
        added = [name for name, wanted in on.items() if wanted and name not in present]
        settings: dict[str, Any] = {}
        for path, lever in _LEVER_PARAMETERS.items():
            policy, field = path.split(".")
            if not on[policy]:
                continue
            value = getattr(self, lever)
            value = list(value) if isinstance(value, tuple) else value
            current = getattr(_BASELINE_POLICIES.get(policy) or api.default_policy(policy), field)
            if value != current:
                settings[f"{present.get(policy, policy)}.{field}"] = value
        return removed, added, settings

    def scenario(self, developers: int, steps: int) -> api.Scenario:
        """The baseline preset with these levers, ``developers`` and ``steps``.

        Raises:
            InputError: for a lever value a policy does not accept (e.g. an unknown tier).
        """
        removed, added, settings = self._plan
        kept = [config for config in BASELINE_SCENARIO.policies if config.key not in removed]
        return api.scenario(
            BASELINE_SCENARIO.model_copy(update={"policies": kept}),
            policies=added,
            settings=settings,
            developers=developers,
            steps=steps,
        )

    def changes(self) -> list[str]:
        """What differs from the baseline: ``["remote_access on", "smuggling.leakage=0.8"]``."""
        removed, added, settings = self._plan
        return (
            [f"{key} off" for key in removed]
            + [f"{name} on" for name in added]
            + [f"{key}={_cli_value(value)}" for key, value in settings.items()]
        )

    def unapplied(self) -> list[str]:
        """Levers moved from the baseline whose policy is off, so that they change nothing.

        ``["remote_access.enforcement=0.8 (remote_access off)"]``: the panel lists them beside
        :meth:`changes`, so a change made and then switched off is not dropped unsaid.
        """
        paths = {lever: path for path, lever in _LEVER_PARAMETERS.items()}
        return [
            f"{paths[lever]}={_cli_value(getattr(self, lever))} ({switch} off)"
            for lever, switch in SWITCHES.items()
            if not getattr(self, switch) and getattr(self, lever) != getattr(BASELINE_LEVERS, lever)
        ]

    def command(self, developers: int, steps: int, seed: int) -> str | None:
        """The ``sim run`` command that simulates the same run, or None if there is none.

        ``sim run`` can add policies to a preset and set their parameters but not remove one,
        so a run with a preset policy switched off has no such command.
        """
        removed, added, settings = self._plan
        if removed:
            return None
        return " ".join(
            [
                f"sim run --scenario {BASELINE}",
                *(f"--policy {name}" for name in added),
                *(f"--set {key}={_cli_value(value)}" for key, value in settings.items()),
                f"--developers {developers}",
                f"--steps {steps}",
                f"--seed {seed}",
            ]
        )


BASELINE_LEVERS = Levers.of_baseline()

DEFAULT_DEVELOPERS = 2_000
"""Small enough to step fast and to draw the developer network."""

DEFAULT_STEPS = BASELINE_SCENARIO.steps

DEFAULT_SEED = api.DEFAULT_SEED
"""The page's first seed: that of ``sim run`` and ``api.run`` without one."""


def _months(steps: int) -> str:
    """``48 months, 2024-01 to 2027-12``: a horizon from the baseline's start."""
    first = pd.Period(BASELINE_SCENARIO.start, freq="M")
    return f"{steps} months, {first} to {first + (steps - 1)}"


def _slider(
    label: str,
    value: float,
    low: float,
    high: float,
    step: float,
    shown: Callable[[Any], str],
    switch: str | None = None,
) -> dict[str, Any]:
    kind = "SliderFloat" if isinstance(step, float) else "SliderInt"
    control = {
        "type": kind,
        "label": label,
        "value": value,
        "min": low,
        "max": high,
        "step": step,
        "shown": shown,
    }
    return control | ({"switch": switch} if switch else {})


def controls(levers: Levers = BASELINE_LEVERS) -> dict[str, Any]:
    """One control per :class:`DashboardMarket` argument, set to ``levers``.

    Each is a dict as Mesa's ``model_params`` has them (type, label, value, and a slider's
    min, max and step); a slider's ``shown`` writes its value with its unit, which the page
    prints beside the label. A lever of a policy's parameter names the checkbox that switches
    the policy on (``switch``, :data:`SWITCHES`): the page disables it while that is off.
    Changing a control takes effect when the model is reset (the Reset button). Every control
    is a checkbox, a choice or a slider, so the page cannot build an invalid model (a typed
    seed could be text, and an error in Reset would replace the whole page).
    """
    return {
        "export_ban": {
            "type": "Checkbox",
            "value": levers.export_ban,
            "label": "US export ban on AI chips",
        },
        "ban_tiers": {
            "type": "Select",
            "value": ", ".join(levers.ban_tiers),
            "values": list(TIER_CHOICES),
            "label": "Ban tiers in force (dates of the export rules)",
            "switch": SWITCHES["ban_tiers"],
        },
        "licences": {
            "type": "Checkbox",
            "value": levers.licences,
            "label": "H20 / H200 sales reopened for a fee",
        },
        "smuggling": {"type": "Checkbox", "value": levers.smuggling, "label": "Smuggling"},
        "smuggling_leakage": _slider(
            "Smuggling leakage",
            levers.smuggling_leakage,
            0.0,
            1.0,
            0.05,
            lambda v: f"{v:.0%} of the demand for banned chips gets in",
            SWITCHES["smuggling_leakage"],
        ),
        "remote_access": {
            "type": "Checkbox",
            "value": levers.remote_access,
            "label": "Remote Access Security Act",
        },
        "remote_access_enforcement": _slider(
            "RASA enforcement",
            levers.remote_access_enforcement,
            0.0,
            1.0,
            0.05,
            lambda v: f"{v:.0%} of rented foreign compute reached",
            SWITCHES["remote_access_enforcement"],
        ),
        "cn_electricity": _slider(
            "Chinese electricity price",
            levers.cn_electricity,
            0.5,
            4.0,
            0.25,
            lambda v: f"{v:g}x the baseline price per kWh",
        ),
        "developers": _slider(
            "Developers", DEFAULT_DEVELOPERS, 500, 20_000, 500, lambda v: f"{v:,} developers"
        ),
        "steps": _slider("Months", DEFAULT_STEPS, 12, 96, 6, _months),
        "seed": _slider("Seed", DEFAULT_SEED, 0, 100, 1, lambda v: f"seed {v}"),
    }
