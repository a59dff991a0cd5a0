"""What ``sim calibrate`` may tune: scenario parameters, each with the range its source allows.

The packaged space (``scenario/data/tuning.toml``) lists the behavioural weights that no
observation pins down directly; everything else in a scenario is an input with a sourced value
and is never tuned. A calibration that hits the targets by leaving a source's range would be
forcing them, so the ranges are part of the calibration's definition, stored with it.
"""

import math
from importlib import resources
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from scenario.overrides import resolve_scenario, split_key
from scenario.scenario import Scenario
from scenario.settings_files import parse_settings, read_settings_file
from vocabulary.errors import InputError, describe_validation_error


class TunedParameter(BaseModel):
    """One scenario parameter the calibration searches, and where its range comes from.

    Attributes:
        key: a ``--set`` key, e.g. ``choice.quality_weight`` or ``choice.price_weight.indie``.
        low: the smallest value searched.
        high: the largest value searched.
        log: search on a log scale (for ranges spanning several times their low end).
        source: where the range comes from, or "guess" and why.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    key: str
    low: float
    high: float
    log: bool = False
    source: str

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        if self.log and self.low <= 0:
            raise ValueError(f"a log-scale range must be positive, got low = {self.low}")
        return self

    def at(self, unit: float) -> float:
        """The value at ``unit`` (0 to 1) of the range, on its scale: log or linear."""
        if self.log:
            return self.low * (self.high / self.low) ** unit
        return self.low + unit * (self.high - self.low)

    def unit(self, value: float) -> float:
        """Where ``value`` lies in the range: 0 at ``low``, 1 at ``high`` (inverse of ``at``)."""
        if self.log:
            return math.log(value / self.low) / math.log(self.high / self.low)
        return (value - self.low) / (self.high - self.low)

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the range (ends included, to a rounding error)."""
        return self.low - 1e-12 <= value <= self.high + 1e-12

    def value_in(self, scenario: Scenario) -> float:
        """The parameter's value in ``scenario``.

        An input (a roster entry by its name: ``providers.DeepSeek.latency_s``), or a parameter
        of one of its policies by the policy's name in the run (``smuggling.leakage``).

        Raises:
            KeyError, StopIteration, TypeError, ValueError: the key names no number.
        """
        parts = split_key(self.key)
        policies = {config.key: config for config in scenario.policies}
        if parts[0] in policies:
            node: Any = policies[parts[0]].params.model_dump(mode="python")
            parts = parts[1:]
        else:
            node = scenario.model_dump(mode="python")
        for part in parts:
            if isinstance(node, list):  # the roster or the chips: an entry by its name
                node = next(entry for entry in node if entry.get("name") == part)
            else:
                node = node[part]
        return float(node)


def load_space(path: str | Path | None = None) -> list[TunedParameter]:
    """The packaged tuning space, or that of a TOML or YAML file with a ``parameters`` list.

    Raises:
        InputError: naming the file, the entry and the key that is wrong.
    """
    if path is None:
        origin = "tuning file scenario/data/tuning.toml (packaged)"
        text = resources.files("scenario.data").joinpath("tuning.toml").read_text()
        data = parse_settings(text, origin, "toml")
    else:
        origin = f"tuning file {path}"
        data = read_settings_file(Path(path), "tuning file")
    rows = data.get("parameters")
    if not isinstance(rows, list) or not rows:
        raise InputError(
            f"{origin}: expected a non-empty list `parameters` of tables, one per parameter"
        )
    space = [_parameter(row, origin, f"parameters[{i}]") for i, row in enumerate(rows)]
    keys = [p.key for p in space]
    if len(set(keys)) != len(keys):
        raise InputError(f"{origin}: each key may appear once, got {', '.join(keys)}")
    return space


def _parameter(row: Any, origin: str, where: str) -> TunedParameter:
    if not isinstance(row, dict):
        raise InputError(
            f"{origin}: {where}: expected a table of settings, got {type(row).__name__}"
        )
    if isinstance(row.get("key"), str):
        where += f" ({row['key']})"
    try:
        return TunedParameter.model_validate(row)
    except ValidationError as error:
        raise InputError(f"{origin}: {describe_validation_error(error, where)}") from None


def check_space(space: list[TunedParameter], scenario: Scenario) -> None:
    """Every key is a number of ``scenario`` that both ends of its range may be set to.

    Raises:
        InputError: an unknown key, a key that is not a number, or a range the scenario
            refuses (e.g. a share above 1).
    """
    for parameter in space:
        try:
            parameter.value_in(scenario)
        except (KeyError, StopIteration, TypeError, ValueError):
            raise InputError(
                f"tuning: {parameter.key!r} is not a numeric parameter of scenario "
                f"{scenario.name!r}; see `sim scenario show` for its keys"
            ) from None
        for end in (parameter.low, parameter.high):
            resolve_scenario(scenario, settings={parameter.key: end})


def defaults(space: list[TunedParameter], scenario: Scenario) -> dict[str, float]:
    """The values ``scenario`` gives the tuned parameters: where a calibration starts."""
    return {parameter.key: parameter.value_in(scenario) for parameter in space}


def outside(space: list[TunedParameter], values: dict[str, float]) -> list[str]:
    """The keys whose value lies outside its range, as ``key = value (low-high)``."""
    return [
        f"{p.key} = {values[p.key]:g} ({p.low:g}-{p.high:g})"
        for p in space
        if not p.contains(values[p.key])
    ]


def relative_move(parameter: TunedParameter, before: float, after: float) -> float:
    """How far a value moved, as a share of its range (on the range's scale)."""
    if parameter.log:
        span = math.log(parameter.high) - math.log(parameter.low)
        return (math.log(after) - math.log(before)) / span
    return (after - before) / (parameter.high - parameter.low)
