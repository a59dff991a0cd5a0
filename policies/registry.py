"""Finding policies by name: the built-in ones and any installed through an entry point.

A third-party package adds a policy without editing this one by declaring, in its own metadata::

    [options.entry_points]
    token_market.policies =
        carbon_tax = my_package.carbon:CarbonTax

where ``CarbonTax`` subclasses :class:`policies.base.Policy`.
"""

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from policies.api_restriction import ApiRestriction
from policies.base import Policy
from policies.energy_price import EnergyPrice
from policies.export_ban import ExportBan
from policies.export_licence import ExportLicence
from policies.permitting import Permitting
from policies.remote_access import RemoteAccess
from policies.smuggling import Smuggling
from vocabulary.errors import InputError, describe_validation_error

ENTRY_POINT_GROUP = "token_market.policies"

BUILT_IN: tuple[type[Policy], ...] = (
    ExportBan,
    ExportLicence,
    RemoteAccess,
    Smuggling,
    ApiRestriction,
    EnergyPrice,
    Permitting,
)


def available() -> dict[str, type[Policy]]:
    """Every policy class by name: the built-ins, then those from installed entry points."""
    return dict(_discover())


@cache
def _discover() -> tuple[tuple[str, type[Policy]], ...]:
    """Scan the entry points once per process.

    The scan reads every installed distribution's metadata (milliseconds), and every scenario
    that is resolved asks for the registry several times: a sweep of a thousand points would
    spend most of its set-up scanning.
    """
    found = {cls.name: cls for cls in BUILT_IN}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if not (isinstance(cls, type) and issubclass(cls, Policy)):
            raise InputError(
                f"entry point {entry.name} = {entry.value} in group "
                f"{ENTRY_POINT_GROUP} is not a Policy subclass"
            )
        found.setdefault(entry.name, cls)
    return tuple(found.items())


def policy_class(name: str) -> type[Policy]:
    """The class registered under ``name``, or an error listing the known names."""
    known = available()
    if name not in known:
        raise InputError(f"unknown policy {name!r}; available: {', '.join(sorted(known))}")
    return known[name]


def build(name: str, params: dict[str, Any], label: str | None = None) -> Policy:
    """A validated policy instance; errors name the policy (or its label) and the parameter."""
    cls = policy_class(name)
    try:
        return cls(**params)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, prefix=label or name)) from None
