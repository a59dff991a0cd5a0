"""Resolving what a user asked for into one validated Scenario: policies and ``--set``.

``sim run --policy smuggling --set smuggling.leakage=0.3 --set choice.social_weight=2`` and
``TokenMarket(policies="smuggling", settings={"smuggling.leakage": 0.3})`` both come through
:func:`resolve_scenario`. One grammar reaches every input, walked along the scenario's types:

- a section's field: ``choice.social_weight``, ``supply.learning_exponent``;
- an entry of a mapping by its key, one entry alone: ``demand.growth_global.2026`` (a year),
  ``choice.programming_share.2025-11`` (a month), ``demand.price_elasticity.indie``;
- an entry of the roster or the chip catalogue by name: ``providers.DeepSeek.latency_s``,
  ``chips.H20.price_usd``;
- a catalogued product by name: ``products.GPT-4.1.launch_month`` (launch, retirement, list
  prices, capability, speed; :mod:`scenario.products`);
- an enabled policy by its name in the run: ``smuggling.leakage``, ``h20_resumed.fee``,
  ``remote_access.schedule.start``.

A name that holds dots is matched whole (``GPT-4.1``), or may be quoted (``products."GPT-4.1".
aa_index``). Values typed as text are read as TOML literals (``0.3``, ``true``, ``"text"``,
``["CN", "US"]``, ``{2026 = 0.2}``) or, failing that, as plain text, and comma-separated text
for list fields. A table given for a mapping changes the entries it names and keeps the others.
A key that does not exist is an :class:`InputError` listing the nearest valid keys.
"""

import tomllib
import types
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from scenario.fields import fixed_keys
from scenario.names import unknown_name
from scenario.policy_params import installed, parameters_of
from scenario.products import catalogue_names
from scenario.scenario import Scenario
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


def split_key(key: str) -> list[str]:
    """A dotted key's parts; a part in double quotes may hold dots (``products."GPT-4.1".x``)."""
    parts: list[str] = []
    current, quoted, was_quoted = "", False, False
    for char in key:
        if char == '"':
            quoted, was_quoted = not quoted, True
        elif char == "." and not quoted:
            parts.append(current)
            current, was_quoted = "", False
        else:
            current += char
    if quoted:
        raise InputError(f"--set {key}: a quote is not closed")
    parts.append(current)
    if any(part == "" for part in parts) and not was_quoted:
        raise InputError(f"--set {key}: empty part in the dotted key")
    return parts


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


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """A type without ``Annotated`` and ``| None``, and the metadata ``Annotated`` carried."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation, metadata
            annotation = options[0]
        else:
            return annotation, metadata


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def _match_name(parts: list[str], names: Sequence[str]) -> int:
    """How many of ``parts``, joined by dots, name one of ``names`` (the longest match; 0: none).

    A name with dots (``GPT-4.1``) spans several parts of the key.
    """
    for count in range(len(parts), 0, -1):
        if ".".join(parts[:count]) in names:
            return count
    return 0


class _Setter:
    """Sets one ``--set`` key in a scenario's plain tree, guided by the scenario's types."""

    def __init__(self, key: str, raw: Any) -> None:
        self.key = key
        self.raw = raw

    def unknown(self, where: list[str], part: str, valid: Iterable[str], what: str) -> InputError:
        place = ".".join(where)
        return InputError(f"unknown setting {self.key!r}: {unknown_name(part, valid, what, place)}")

    def set_in_model(
        self, node: dict[str, Any], model: type[BaseModel], parts: list[str], where: list[str]
    ) -> None:
        """Set ``parts`` below ``node``, a plain dict holding an instance of ``model``."""
        part, rest = parts[0], parts[1:]
        fields = model.model_fields
        if part not in fields:
            raise self.unknown(where, part, fields, "parameter")
        annotation, metadata = _unwrap(fields[part].annotation)
        metadata = [*fields[part].metadata, *metadata]
        if not rest:
            node[part] = self.value(node.get(part))
            return
        if part not in node or node[part] is None:
            node[part] = {}
        self.descend(node, part, annotation, metadata, rest, [*where, part])

    def descend(
        self,
        holder: dict[str, Any] | list[Any],
        slot: Any,
        annotation: Any,
        metadata: list[Any],
        parts: list[str],
        where: list[str],
    ) -> None:
        """Go into ``holder[slot]``, of type ``annotation``, and set ``parts`` there."""
        node = holder[slot]
        model = _model_of(annotation)
        origin = get_origin(annotation)
        if model is not None and isinstance(node, dict):
            self.set_in_model(node, model, parts, where)
        elif origin is list and isinstance(node, list):
            self.set_in_list(node, get_args(annotation)[0], parts, where)
        elif origin is dict and isinstance(node, dict):
            self.set_in_mapping(node, annotation, metadata, parts, where)
        else:
            raise InputError(
                f"unknown setting {self.key!r}: {'.'.join(where)} holds a single value, "
                f"set it with --set {'.'.join(where)}=VALUE"
            )

    def set_in_list(
        self, node: list[Any], item_type: Any, parts: list[str], where: list[str]
    ) -> None:
        """An entry of the roster or a catalogue, by its ``name``."""
        names = [str(item.get("name")) for item in node if isinstance(item, dict)]
        count = _match_name(parts, names)
        if not count:
            guess = ".".join(parts[:-1]) or parts[0]  # the last part names the field
            raise self.unknown(where, guess, names, "entry")
        if count == len(parts):
            raise InputError(
                f"--set {self.key}: name a field of {'.'.join(parts)}, e.g. "
                f"{'.'.join([*where, *parts])}.{next(iter(_model_of(item_type).model_fields))}"
            )
        index = names.index(".".join(parts[:count]))
        model, _ = _unwrap(item_type)
        self.set_in_model(node[index], model, parts[count:], [*where, *parts[:count]])

    def set_in_mapping(
        self,
        node: dict[Any, Any],
        annotation: Any,
        metadata: list[Any],
        parts: list[str],
        where: list[str],
    ) -> None:
        """One entry of a mapping by its key: a year, a month, a segment, a product, ..."""
        key_type, value_type = get_args(annotation)
        value_type, value_metadata = _unwrap(value_type)
        if where == ["products"]:
            valid: Sequence[Any] | None = catalogue_names()
        else:
            allowed = fixed_keys(metadata)
            valid = allowed if allowed is not None else None
        existing = [str(k) for k in node]
        count = _match_name(parts, [*existing, *(valid or ())])
        if not count:  # a new key; a model's entry (a product) leaves its last part to a field
            count = len(parts) - 1 if _model_of(value_type) and len(parts) > 1 else len(parts)
        text = ".".join(parts[:count])
        key: Any = text
        if key_type is int:
            try:
                key = int(text)
            except ValueError:
                raise InputError(
                    f"unknown setting {self.key!r}: {'.'.join(where)} is keyed by year, "
                    f"e.g. {'.'.join(where)}.2026 (got {excerpt(text)})"
                ) from None
        elif valid is not None and text not in valid:
            what = "product" if where == ["products"] else "key"
            raise self.unknown(where, text, valid, what)
        rest = parts[count:]
        if not rest:
            node[key] = self.value(node.get(key))
            return
        if key not in node:
            node[key] = {}
        self.descend(node, key, value_type, value_metadata, rest, [*where, text])

    def value(self, current: Any) -> Any:
        """The new value; a table for a mapping keeps the entries it does not name."""
        new = parse_value(self.raw, current)
        if isinstance(current, dict) and isinstance(new, dict):
            return _merged(current, new)
        return new


def _merged(current: dict[Any, Any], new: dict[Any, Any]) -> dict[Any, Any]:
    """``current`` with ``new``'s entries; a key typed as text matches an int key (a year)."""
    merged = dict(current)
    by_text = {str(key): key for key in current}
    for key, value in new.items():
        target = by_text.get(str(key), key)
        old = merged.get(target)
        merged[target] = (
            _merged(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
        )
    return merged


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
    enabled = {
        config.key: entry for config, entry in zip(base.policies, tree["policies"], strict=True)
    }
    for policy in policies:
        if policy in enabled:
            continue  # already in the run, under this name (``--policy h20_resumed`` too)
        parameters_of(policy)
        enabled[policy] = {"name": policy, "label": None, "params": {}}
        tree["policies"].append(enabled[policy])

    pairs = (
        list(settings.items())
        if isinstance(settings, Mapping)
        else [parse_assignment(text) for text in settings or ()]
    )
    # ``hosts`` first: it adds the hosts to the roster (or takes them out), where others set them
    for key, raw in sorted(pairs, key=lambda pair: pair[0] != "hosts"):
        if not isinstance(key, str):
            raise InputError(
                f"setting {excerpt(key)}: a key is dotted text, e.g. smuggling.leakage"
            )
        _apply_setting(tree, enabled, key, raw)
        if key == "hosts":  # the roster gains or loses the hosts now, before its entries are set
            tree["providers"] = validate_scenario(tree).model_dump(mode="python")["providers"]

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
    return scenario


def _apply_setting(
    tree: dict[str, Any], enabled: Mapping[str, dict[str, Any]], key: str, raw: Any
) -> None:
    """Set ``key`` in the scenario's ``tree``: a policy of the run's parameter, or an input."""
    path = split_key(key)
    setter = _Setter(key, raw)
    if path[0] in enabled:
        entry = enabled[path[0]]
        model = parameters_of(entry["name"])
        if len(path) == 1:
            example = next(iter(name for name in model.model_fields if name != "schedule"), "")
            raise InputError(f"--set {key}: name a parameter, e.g. {key}.{example or 'schedule'}")
        if path[1] not in model.model_fields:
            named = path[0] if path[0] == entry["name"] else f"{path[0]} ({entry['name']})"
            problem = unknown_name(path[1], model.model_fields, "parameter", named)
            raise InputError(f"unknown setting {key!r}: {problem}")
        if not isinstance(entry["params"], dict):
            entry["params"] = dict(entry["params"])
        setter.set_in_model(entry["params"], model, path[1:], [path[0]])
    elif path[0] in installed() and path[0] not in Scenario.model_fields:
        raise InputError(_not_in_run(key, path[0], enabled))
    elif path[0] not in Scenario.model_fields:
        valid = [*enabled, *Scenario.model_fields]
        raise InputError(
            f"unknown setting {key!r}: {unknown_name(path[0], valid, 'policy or input')}; "
            f"this run's policies: {_instances(enabled)}"
        )
    else:
        setter.set_in_model(tree, Scenario, path, [])


def validate_scenario(data: dict[str, Any], origin: str = "") -> Scenario:
    """``data`` as a Scenario, or one line naming the key (after ``origin:``, e.g. the file).

    A policy's own parameters are named by the policy (``smuggling.leakage: ...``), not by its
    place in the list of policies.
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        if first["loc"][:1] == ("policies",) and len(first["loc"]) == 2:
            problem = first["msg"].removeprefix("Value error, ")
        else:
            problem = describe_validation_error(error)
        raise InputError(f"{origin}: {problem}" if origin else problem) from None
