"""The Policy base class and its Schedule.

A policy is a small pydantic model: its fields are its parameters (validated once, with messages
naming the field and the allowed values), ``schedule`` says when it acts, and :meth:`Policy.apply`
changes a :class:`~policies.constraints.Constraints` and nothing else.
"""

from abc import ABC, abstractmethod
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from policies.constraints import Constraints
from vocabulary.calendar import parse_month

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


class Policy(BaseModel, ABC):
    """Base class of every policy. Subclasses set ``name`` and ``summary`` and implement apply."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ClassVar[str]
    summary: ClassVar[str]

    schedule: Schedule = Schedule()

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
