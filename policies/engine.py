"""Applying a run's policies month by month and logging what changed.

Stage 1 of every step: a fresh, open :class:`Constraints` is handed to each policy in turn, in
the order the scenario lists them; whenever a policy's status (on, off, which tiers, ...) differs
from the month before, a :class:`PolicyEvent` is logged.
"""

from dataclasses import dataclass

from policies.base import Policy
from policies.constraints import Constraints


@dataclass(frozen=True)
class ActivePolicy:
    """A policy as a run uses it: its label in this run (unique) and the validated instance."""

    label: str
    policy: Policy


@dataclass(frozen=True)
class PolicyEvent:
    """A change in what a policy does, as stored in the run's ``policy_events``."""

    month: int
    policy: str
    """The policy's label in the run (its name unless the scenario gave it another)."""
    status: str


class PolicyEngine:
    """Turns a list of policies into each month's constraints and events."""

    def __init__(self, policies: list[ActivePolicy], run_start: int) -> None:
        self.policies = policies
        self.run_start = run_start
        self._last_status: list[str] = ["off"] * len(policies)

    def constraints_at(self, month: int) -> Constraints:
        """The constraints the policies set for ``month``, logging nothing."""
        constraints = Constraints()
        for active in self.policies:
            intensity = active.policy.schedule.intensity(month, self.run_start)
            if intensity > 0:
                active.policy.apply(constraints, month, intensity)
        return constraints

    def advance(self, month: int) -> tuple[Constraints, list[PolicyEvent]]:
        """This month's constraints, and events for policies whose status changed.

        A change is against the month before; the first call compares with "off".
        """
        events: list[PolicyEvent] = []
        for index, active in enumerate(self.policies):
            policy = active.policy
            status = policy.status(month, policy.schedule.intensity(month, self.run_start))
            if status != self._last_status[index]:
                events.append(PolicyEvent(month, active.label, status))
                self._last_status[index] = status
        return self.constraints_at(month), events
