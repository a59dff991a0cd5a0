"""A benchmark scenario with more providers than the default roster.

The default roster has 12 providers; benchmarks are asked for 20 or more. This widens it by
cloning roster entries under new names ("DeepSeek #2", ...), which keeps every figure sourced
while giving the kernel, the chip market and the store the provider count to measure.
"""

from pathlib import Path

from scenario.files import dump_scenario
from scenario.scenario import Scenario


def widened_scenario(providers: int) -> Scenario:
    """The default scenario with ``providers`` providers (clones of the roster's, renamed)."""
    base = Scenario()
    roster = list(base.providers)
    clone = 2
    while len(roster) < providers:
        for spec in base.providers[: providers - len(roster)]:
            roster.append(spec.model_copy(update={"name": f"{spec.name} #{clone}"}))
        clone += 1
    providers = [p.model_dump() for p in roster]
    return Scenario.model_validate({**base.model_dump(), "providers": providers})


def write_widened_scenario(providers: int, folder: Path) -> Path:
    """Write the widened scenario as TOML for ``sim run --scenario`` and return its path."""
    path = folder / f"bench_{providers}_providers.toml"
    path.write_text(dump_scenario(widened_scenario(providers)))
    return path
