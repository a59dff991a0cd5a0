"""What a run takes beyond its inputs, said once before it starts, so no result hides it.

A scenario may run past the last year its demand growth gives, past the last product launch of
the catalogue, or past its accelerators' book life (they are never retired); a policy may have
nothing to act on (smuggling with no chip banned). None of these is an error: each is a rule the
model then follows, and the user should know which one. :func:`scenario_notes` lists them as
one line each; ``sim run`` and ``api.run`` show them.
"""

from scenario.products import catalogue_launches
from scenario.scenario import Scenario
from vocabulary.calendar import format_month, parse_month, year_of
from vocabulary.clock import StepClock


def last_catalogued_launch() -> int:
    """The month index of the catalogue's latest product launch."""
    return max(map(parse_month, catalogue_launches().values()))


def last_month(scenario: Scenario) -> int:
    """The month index the run's last step starts in."""
    return StepClock.of(scenario.start, scenario.step_length).month(scenario.steps - 1)


def scenario_notes(scenario: Scenario) -> list[str]:
    """One line for each rule the run follows beyond its inputs; empty if none."""
    end = last_month(scenario)
    notes = []
    for name, schedule in (
        ("demand.growth_global", scenario.demand.growth_global),
        ("demand.growth_china", scenario.demand.growth_china),
    ):
        last_year = max(schedule)
        if year_of(end) > last_year:
            notes.append(
                f"the run ends in {format_month(end)}, past the last year of {name} "
                f"({last_year}): later years repeat {last_year}'s monthly growth "
                f"({schedule[last_year]:.0%})"
            )
    launch = last_catalogued_launch()
    if end > launch:
        notes.append(
            f"no product launches after {format_month(launch)}, the catalogue's last: labs' "
            "capability then grows with the frontier, each lab keeping its gap to it "
            "(docs/model.md, section 6)"
        )
    months = end - parse_month(scenario.start) + 1
    if months > scenario.supply.amortisation_months:
        notes.append(
            f"the run spans {months} months, past the accelerators' book life "
            f"({scenario.supply.amortisation_months} months): accelerators are never retired"
        )
    names = {config.name for config in scenario.policies}
    if "smuggling" in names and "export_ban" not in names:
        notes.append(
            "smuggling is on but no export ban is: with no chip banned there is nothing to "
            "smuggle, so it changes nothing (add --policy export_ban)"
        )
    return notes
