"""Steps as calendar time: when each step of a run starts, and how long it lasts.

A run steps by calendar month (the default) or by week. Weekly step ``k`` starts ``7 k`` days
after the 1st of the start month, and every step belongs to the month its start date falls in.
Every rate in the model is a monthly rate, so a step lasts ``months_per_step`` months (``dt``):
1 for a monthly step, ``7 / (365.25 / 12)`` (about 0.23) for a week. The model turns monthly
rates into rates per step with :meth:`StepClock.chance` and :meth:`StepClock.growth`; things
monthly by nature (policy schedules, the chip market, the capability timeline) act in the first
step of each month (:meth:`StepClock.opens_month`).

For monthly steps these conversions return their inputs unchanged, so a monthly run computes
exactly what it did before weekly steps existed.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import numpy as np

from vocabulary.calendar import format_month, parse_month

STEP_LENGTHS = ("month", "week")
"""The step lengths a scenario may choose."""

DAYS_PER_MONTH = 365.25 / 12
"""The mean calendar month, in days: what turns a week into a fraction of a month."""

WEEK_DAYS = 7

Rate = TypeVar("Rate", float, np.ndarray)


@dataclass(frozen=True)
class StepClock:
    """The calendar of one run.

    Attributes:
        start: the month index (:mod:`vocabulary.calendar`) of the first step.
        step_length: ``"month"`` or ``"week"``.
    """

    start: int
    step_length: str

    @classmethod
    def of(cls, start: str, step_length: str = "month") -> "StepClock":
        """The clock of a scenario starting in month ``start`` (``YYYY-MM``)."""
        return cls(parse_month(start), step_length)

    @property
    def weekly(self) -> bool:
        """Whether a step is a week."""
        return self.step_length == "week"

    @property
    def months_per_step(self) -> float:
        """How many months one step lasts (``dt``): 1 for a month, 7 / 30.4375 for a week."""
        return WEEK_DAYS / DAYS_PER_MONTH if self.weekly else 1.0

    def start_date(self, step: int) -> date:
        """The calendar day step ``step`` (from 0) starts on."""
        if self.weekly:
            return _first_day(self.start) + timedelta(days=WEEK_DAYS * step)
        return _first_day(self.start + step)

    def month(self, step: int) -> int:
        """The month index of the month step ``step`` starts in."""
        if not self.weekly:
            return self.start + step
        day = self.start_date(step)
        return day.year * 12 + day.month - 1

    def opens_month(self, step: int) -> bool:
        """Whether step ``step`` is the first step of its month (every monthly step is)."""
        return step == 0 or self.month(step) != self.month(step - 1)

    def label(self, step: int) -> str:
        """Step ``step`` as users read it: ``YYYY-MM`` for a month, ``YYYY-MM-DD`` for a week."""
        if self.weekly:
            return self.start_date(step).isoformat()
        return format_month(self.month(step))

    def steps_through(self, month: int) -> int:
        """How many steps start in or before month index ``month`` (0 if it precedes the run)."""
        if month < self.start:
            return 0
        if not self.weekly:
            return month - self.start + 1
        days = (_first_day(month + 1) - _first_day(self.start)).days
        return -(-days // WEEK_DAYS)

    def chance(self, monthly: Rate) -> Rate:
        """The chance within one step of an event with chance ``monthly`` in a month.

        That is ``1 - (1 - monthly) ** dt``, so that a month of steps gives the monthly chance.
        """
        if not self.weekly:
            return monthly
        return 1.0 - (1.0 - monthly) ** self.months_per_step

    def growth(self, monthly: Rate) -> Rate:
        """The factor one step grows by at monthly growth rate ``monthly``: ``(1 + g) ** dt``."""
        if not self.weekly:
            return 1.0 + monthly
        return (1.0 + monthly) ** self.months_per_step


def same_span(start: str, steps: int, from_length: str, to_length: str) -> int:
    """How many steps of ``to_length`` cover the months that ``steps`` of ``from_length`` do.

    Switching a 48-month scenario to weeks should keep its horizon (209 weeks), not shrink it to
    48 weeks; this is the conversion.
    """
    last_month = StepClock.of(start, from_length).month(steps - 1)
    return StepClock.of(start, to_length).steps_through(last_month)


def _first_day(month: int) -> date:
    """The 1st of month index ``month``."""
    return date(month // 12, month % 12 + 1, 1)
