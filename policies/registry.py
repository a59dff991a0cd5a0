"""Finding policies by name: the built-in ones and any installed through an entry point.

A third-party package adds a policy without editing this one by declaring, in its own metadata::

    [options.entry_points]
    token_market.policies =
        carbon_tax = my_package.carbon:CarbonTax

where ``CarbonTax`` subclasses :class:`policies.base.Policy`.
"""

from collections.abc import Sequence

from policies.api_restriction import ApiRestriction
from policies.base import Policy
from policies.beijing_measures import BeijingMeasures
from policies.energy_price import EnergyPrice
from policies.engine import ActivePolicy
from policies.export_ban import ExportBan
from policies.export_licence import ExportLicence
from policies.host_permits import HostPermits
from policies.model_origin_ban import ModelOriginBan
from policies.permitting import Permitting
from policies.remote_access import RemoteAccess
from policies.smuggling import Smuggling
from scenario.policy_params import ENTRY_POINT_GROUP, PolicyConfig, installed
from vocabulary.errors import InputError

BUILT_IN: tuple[type[Policy], ...] = (
    ExportBan,
    ExportLicence,
    RemoteAccess,
    Smuggling,
    ApiRestriction,
    ModelOriginBan,
    EnergyPrice,
    Permitting,
    BeijingMeasures,
    HostPermits,
)


def available() -> dict[str, type[Policy]]:
    """Every policy class by name: the built-ins, then those from installed entry points.

    The scenario layer finds the entry points (:func:`scenario.policy_params.installed`), since
    it validates every policy's parameters; an installed class must be a :class:`Policy`.
    """
    found: dict[str, type[Policy]] = {cls.name: cls for cls in BUILT_IN}
    for name, cls in installed().items():
        if name in found:
            continue
        if not issubclass(cls, Policy):
            raise InputError(
                f"entry point {name} in group {ENTRY_POINT_GROUP} is not a Policy subclass"
            )
        found[name] = cls
    return found


def policy_class(name: str) -> type[Policy]:
    """The class registered under ``name``, or an error listing the known names."""
    known = available()
    if name not in known:
        raise InputError(f"unknown policy {name!r}; available: {', '.join(sorted(known))}")
    return known[name]


def build_policies(configs: Sequence[PolicyConfig]) -> list[ActivePolicy]:
    """A scenario's policies as instances with their labels, in the scenario's order.

    The scenario validated their parameters; each instance is the policy's class holding them.
    """
    active = []
    for config in configs:
        cls = policy_class(config.name)
        params = config.params
        policy = params if isinstance(params, cls) else cls(**dict(params))
        active.append(ActivePolicy(config.key, policy))
    return active
