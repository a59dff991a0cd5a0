"""The Policy base class.

A policy is a small pydantic model: its fields are its parameters (validated once, with messages
naming the field and the allowed values; they are declared in :mod:`scenario.policy_params`),
``schedule`` says when it acts, and :meth:`Policy.apply`
changes a :class:`~policies.constraints.Constraints` and nothing else.
"""

from abc import ABC, abstractmethod
from typing import ClassVar

from policies.constraints import Constraints
from scenario.policy_params import PolicyParams


class Policy(PolicyParams, ABC):
    """Base class of every policy. Subclasses set ``name`` and ``summary`` and implement apply.

    A built-in policy's parameters are its class in :mod:`scenario.policy_params` (a policy
    subclasses both), so a scenario validates them without the behaviour; an installed
    policy's class is its own parameters class.
    """

    name: ClassVar[str]
    summary: ClassVar[str]

    @abstractmethod
    def apply(self, constraints: Constraints, month: int, intensity: float) -> None:
        """Change ``constraints`` for ``month``, given the schedule's ``intensity`` (> 0)."""

    def status(self, month: int, intensity: float) -> str:
        """A short description of what the policy does this month; an event is logged on change."""
        if intensity <= 0:
            return "off"
        return "on" if intensity >= 1 else f"ramping ({intensity:.0%})"

    def parameters(self) -> dict[str, object]:
        """The policy's parameters and schedule, as stored with a run."""
        return self.model_dump(mode="json")
