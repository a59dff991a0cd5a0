"""Resolving what a user asked for into one validated Scenario.

``sim run --policy smuggling --set smuggling.leakage=0.3 --set choice.social_weight=2`` and
``TokenMarket(policies="smuggling", settings={"smuggling.leakage": 0.3})`` both come through
:func:`resolve_scenario`. A setting's dotted path starts with an enabled policy's name or with a
scenario field; entries of the roster and the chip catalogue are addressed by name
(``providers.DeepSeek.price_usd_per_m``). Values typed as text are read as TOML literals
(``0.3``, ``true``, ``"text"``, ``["CN", "US"]``) or, failing that, as plain text, and
comma-separated text for list fields. Every problem is an :class:`InputError` naming the key.
"""

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from policies.base import Policy
from policies.engine import ActivePolicy
from policies.registry import available, build, policy_class
from simulator.scenario import Scenario
from vocabulary.calendar import parse_month
from vocabulary.clock import same_span
from vocabulary.errors import InputError, describe_validation_error, excerpt


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``KEY=VALUE``; the error says what the form is."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set {text!r}: expected KEY=VALUE, e.g. smuggling.leakage=0.3")
    return key.strip(), value.strip()


def parse_value(raw: Any, current: Any) -> Any:
    """Text typed by a user as a TOML literal, else a list (if ``current`` is one) or the text.

    Values that are not text (from a mapping of settings) are taken as they are.
    """
    if not isinstance(raw, str):
        return raw
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except RecursionError:
        raise InputError(f"value {excerpt(raw)}: nested too deeply") from None
    except tomllib.TOMLDecodeError:
        if isinstance(current, list):
            return [item.strip() for item in raw.split(",") if item.strip()]
        return raw


def _instances(enabled: Mapping[str, dict[str, Any]]) -> str:
    """The run's policies as ``--set`` names them: ``h20_resumed (export_licence), smuggling``."""
    named = [
        key if entry["name"] == key else f"{key} ({entry['name']})"
        for key, entry in enabled.items()
    ]
    return ", ".join(named) or "none"


def _not_in_run(key: str, policy: str, enabled: Mapping[str, dict[str, Any]]) -> str:
    """Why ``--set POLICY.param`` names no policy of the run, and what to type instead.

    When the run has that policy under other names (the baseline's two ``export_licence``
    instances are ``h20_resumed`` and ``h200_allowed``), the advice is one of those names:
    ``--policy POLICY`` would add another instance, a change the user did not ask for.
    """
    same_kind = [name for name, entry in enabled.items() if entry["name"] == policy]
    listing = f"this run's policies: {_instances(enabled)}"
    if same_kind:
        example = ".".join([same_kind[0], *key.split(".")[1:]])
        return (
            f"--set {key}: no policy of this run is named {policy!r}; its {policy} policies "
            f"are named {', '.join(same_kind)}: set one of them, e.g. --set {example}=... "
            f"({listing})"
        )
    return (
        f"--set {key}: policy {policy!r} is not enabled in this run ({listing}); "
        f"--policy {policy} enables it, with its defaults"
    )


def _set_path(
    tree: dict[str, Any], path: list[str], raw: Any, full_key: str, policies: str
) -> None:
    """Set ``path`` of the scenario's ``tree``; an unknown key's error lists what is known.

    At the top level that includes the run's policies (``policies``), since a misspelt
    policy name lands here.
    """
    node: Any = tree
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, list):
            matches = [item for item in node if isinstance(item, dict) and item.get("name") == part]
            if not matches:
                names = ", ".join(str(item.get("name")) for item in node)
                raise InputError(
                    f"unknown setting {full_key!r}: no entry named {part!r} in "
                    f"{'.'.join(path[:depth])}; known: {names}"
                )
            node = matches[0]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise InputError(_unknown(full_key, path[:depth], node, policies))
    leaf = path[-1]
    if not isinstance(node, dict) or leaf not in node:
        raise InputError(_unknown(full_key, path[:-1], node, policies))
    node[leaf] = parse_value(raw, node[leaf])


def _unknown(full_key: str, parent: list[str], node: Any, policies: str) -> str:
    """An unknown key: the keys known where it went wrong, and the run's policies at the top."""
    known = ", ".join(sorted(node)) if isinstance(node, dict) else "none"
    if parent:
        return f"unknown setting {full_key!r}; known keys under {'.'.join(parent)}: {known}"
    return f"unknown setting {full_key!r}; this run's policies: {policies}; scenario keys: {known}"


def resolve_scenario(
    base: Scenario | None = None,
    *,
    policies: Iterable[str] = (),
    settings: Mapping[str, Any] | Sequence[str] | None = None,
    developers: int | None = None,
    steps: int | None = None,
    start: str | None = None,
    step_length: str | None = None,
    name: str | None = None,
) -> Scenario:
    """The scenario a run will use: ``base`` plus policies, settings and explicit options.

    Args:
        base: the starting scenario; the default one when omitted.
        policies: names of policies to enable (those already in ``base`` stay).
        settings: dotted-path overrides, as a mapping or as ``KEY=VALUE`` strings.
        developers: population size; like the other explicit options it wins over settings.
        steps: number of steps. When left out while ``step_length`` changes the base's step
            length, the horizon keeps its span (48 months become 209 weeks).
        start: first month, ``YYYY-MM``.
        step_length: ``month`` or ``week``.
        name: the scenario's name.

    Raises:
        InputError: for an unknown policy or key, or a value of the wrong type or range.
    """
    base = base or Scenario()
    tree = base.model_dump(mode="python")
    known_policies = available()
    enabled = {
        config.key: entry for config, entry in zip(base.policies, tree["policies"], strict=True)
    }
    for policy in policies:
        if policy in enabled:
            continue  # already in the run, under this name (``--policy h20_resumed`` too)
        policy_class(policy)
        enabled[policy] = {"name": policy, "label": None, "params": {}}
        tree["policies"].append(enabled[policy])

    pairs = (
        list(settings.items())
        if isinstance(settings, Mapping)
        else [parse_assignment(text) for text in settings or ()]
    )
    for key, raw in pairs:
        path = key.split(".")
        if path[0] in enabled:
            entry = enabled[path[0]]
            _set_policy_param(entry["params"], path[1:], raw, key, policy_class(entry["name"]))
        elif path[0] in known_policies and path[0] not in tree:
            raise InputError(_not_in_run(key, path[0], enabled))
        else:
            _set_path(tree, path, raw, key, _instances(enabled))

    for option, value in (
        ("developers", developers),
        ("steps", steps),
        ("start", start),
        ("step_length", step_length),
        ("name", name),
    ):
        if value is not None:
            tree[option] = value
    scenario = validate_scenario(tree)
    if scenario.step_length != base.step_length and steps is None and "steps" not in dict(pairs):
        tree["steps"] = same_span(
            scenario.start, scenario.steps, base.step_length, scenario.step_length
        )
        scenario = validate_scenario(tree)
    build_policies(scenario)
    return scenario


def validate_scenario(data: dict[str, Any], origin: str = "") -> Scenario:
    """``data`` as a Scenario, or one line naming the key (after ``origin:``, e.g. the file)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problem = describe_validation_error(error)
        raise InputError(f"{origin}: {problem}" if origin else problem) from None


def _set_policy_param(
    params: dict[str, Any], path: list[str], raw: Any, key: str, cls: type[Policy]
) -> None:
    if not path:
        example = next(iter(cls.model_fields))
        raise InputError(f"--set {key}: name a parameter, e.g. {key}.{example}")
    if path[0] not in cls.model_fields:
        instance = key.split(".")[0]
        named = instance if instance == cls.name else f"{instance} ({cls.name})"
        raise InputError(
            f"unknown setting {key!r}; parameters of {named}: {', '.join(cls.model_fields)}"
        )
    node = params
    for part in path[:-1]:
        node = node.setdefault(part, {})
    default = cls.model_fields[path[0]].get_default(call_default_factory=True)
    node[path[-1]] = parse_value(raw, default if len(path) == 1 else None)


def build_policies(scenario: Scenario) -> list[ActivePolicy]:
    """The scenario's policies as validated instances with their labels, in the scenario's order.

    Raises:
        InputError: a policy's parameters are not allowed, or its schedule ends before it
            starts (one end a month, the other a month number counted from the scenario's start).
    """
    run_start = parse_month(scenario.start)
    active = []
    for config in scenario.policies:
        policy = build(config.name, config.params, label=config.key)
        schedule = policy.schedule
        try:
            schedule.check_order(schedule.start_month(run_start), schedule.end_month(run_start))
        except ValueError as error:
            raise InputError(f"{config.key}.schedule: {error}") from None
        active.append(ActivePolicy(config.key, policy))
    return active
