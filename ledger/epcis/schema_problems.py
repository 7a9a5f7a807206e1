"""Turn jsonschema's errors into short problems that point at the failing field.

jsonschema's own messages quote the failing value, which may be a whole event, and say
"is not valid under any of the given schemas" where the EPCIS schema offers alternatives. Here
each error becomes one or more problems with an RFC 6901 pointer to the field at fault (to the
missing member for `required`, to the member name for a bad property name) and a message that
names what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final

from jsonschema.exceptions import ValidationError

from ledger.epcis.errors import Problem

TYPE_NAMES: Final = {
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "number": "a number",
    "integer": "an integer",
    "boolean": "true or false",
    "null": "null",
}
FORMAT_NAMES: Final = {"uri": "an absolute URI", "date-time": "an RFC 3339 date-time"}
# Messages for the patterns of the EPCIS schema, by the name of the field they constrain.
PATTERN_MESSAGES: Final = {
    "eventTimeZoneOffset": "must be a time zone offset from -14:00 to +14:00 such as +01:00",
    "uom": "must be a UN/ECE Recommendation 20 unit code of 2 or 3 capitals or digits (e.g. KGM)",
    "hexBinaryValue": "must be hexadecimal digits",
    "schemaVersion": "must be a version number such as 2.0",
}
# Messages for the fields the EPCIS schema forbids in some branches (`"not": {}`), by field name.
NOT_MESSAGES: Final = {"ilmd": "is only allowed in an ObjectEvent whose action is ADD"}
LOCAL_DATE_TIME: Final = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?")
LITERAL_PATTERN: Final = re.compile(r"\^([A-Za-z0-9_]+)\$")
DATE_TIME_EXAMPLE: Final = "2005-04-03T20:33:31.116-06:00"
MAX_LISTED_VALUES: Final = 8


def pointer_to(path: Iterable[Any]) -> str:
    """Return the RFC 6901 JSON pointer of a path of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def schema_problems(errors: Iterable[ValidationError]) -> list[Problem]:
    """Return the problems (top-level) jsonschema errors stand for, in their order.

    A problem inferred from an unmet choice of subschemas gives way to a direct problem on the
    same field or on a field the choice turned on: `action: "OBSERVED"` is reported as not one
    of OBSERVE, ADD, DELETE, and not again as failing the choice of actions that allow `ilmd`.
    """
    direct: list[Problem] = []
    inferred: list[tuple[Problem, frozenset[str]]] = []
    for error in errors:
        for problem, related in _problems(error, inferred_from=None):
            if related is None:
                direct.append(problem)
            else:
                inferred.append((problem, related))
    pointers = {problem.pointer for problem in direct}
    return direct + [
        problem
        for problem, related in inferred
        if problem.pointer not in pointers and not related & pointers
    ]


# A problem and, when it was inferred from a choice of subschemas, the fields the choice turned on.
_Found = tuple[Problem, frozenset[str] | None]


def _problems(error: ValidationError, inferred_from: frozenset[str] | None) -> Iterator[_Found]:
    pointer = pointer_to(error.absolute_path)
    keyword = error.validator
    if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
        name = error.instance
        yield Problem(f"{pointer}/{_escape(name)}", _bad_name_message(name)), inferred_from
    elif keyword == "required" and isinstance(error.instance, dict):
        for name in error.validator_value:
            if name not in error.instance:
                yield Problem(f"{pointer}/{_escape(name)}", "is required"), inferred_from
    elif keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        for name in error.instance:
            if name not in allowed:
                yield Problem(f"{pointer}/{_escape(name)}", "is not allowed here"), inferred_from
    elif keyword in ("anyOf", "oneOf") and error.context:
        yield from _alternatives(error, pointer)
    else:
        yield Problem(pointer, _leaf_message(error)), inferred_from


def _alternatives(error: ValidationError, pointer: str) -> Iterator[_Found]:
    """Report an unmet choice of subschemas.

    A branch that fails only inside the value (e.g. `epcList` is there but an EPC is not a URI)
    was the one meant, and its errors are the useful ones — unless it fails on a field's literal
    value, which is how a branch says it does not apply (`action` is not DELETE). Otherwise the
    problem lists what each branch asks for.
    """
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    depth = len(error.absolute_path)
    meant = [
        errors
        for _, errors in sorted(branches.items())
        if all(_inside(sub, depth) and not _selects(sub, depth) for sub in errors)
    ]
    if meant:
        for sub in min(meant, key=len):
            yield from _problems(sub, inferred_from=frozenset())
        return
    related = frozenset(
        pointer_to(sub.absolute_path) for sub in error.context or () if _inside(sub, depth)
    )
    options = [_describe(branch) for branch in error.validator_value]
    if not all(options):
        yield Problem(pointer, "is none of the forms allowed here"), related
    elif isinstance(error.instance, dict):
        yield Problem(pointer, "must have " + ", or ".join(o for o in options if o)), related
    else:
        yield Problem(pointer, "must be " + " or ".join(o for o in options if o)), related


def _inside(error: ValidationError, depth: int) -> bool:
    return len(error.absolute_path) > depth


def _selects(error: ValidationError, depth: int) -> bool:
    """Whether the error is a field's value not matching a literal, as a branch's condition."""
    return len(error.absolute_path) == depth + 1 and error.validator in ("pattern", "const", "enum")


def _describe(schema: Any) -> str | None:
    """Describe what a subschema asks for, in a few words, or None if it is too intricate."""
    if not isinstance(schema, dict):
        return None
    wants: list[str] = []
    for name in schema.get("required", ()):
        wants.append(name)
    for name, sub in schema.get("properties", {}).items():
        if not isinstance(sub, dict):
            continue
        if sub.get("not") == {}:
            wants.append(f"no {name}")
        elif isinstance(sub.get("pattern"), str) and (
            m := LITERAL_PATTERN.fullmatch(sub["pattern"])
        ):
            wants.append(f"{name} {m.group(1)}")
    for sub in schema.get("allOf", ()):
        part = _describe(sub)
        if part is None:
            return None
        wants.append(part)
    if "anyOf" in schema:
        parts = [_describe(sub) for sub in schema["anyOf"]]
        if not all(parts):
            return None
        wants.append("(" + " or ".join(p for p in parts if p) + ")")
    if wants:
        return " and ".join(dict.fromkeys(wants))
    return _describe_value(schema)


def _describe_value(schema: dict[str, Any]) -> str | None:
    kind = schema.get("type")
    if "enum" in schema:
        return "a value of its vocabulary"
    if kind == "string" and schema.get("format") in FORMAT_NAMES:
        return FORMAT_NAMES[schema["format"]]
    if kind == "array":
        items = schema.get("items")
        item = _describe_value(items) if isinstance(items, dict) else None
        return f"an array of {_plural(item)}" if item else "an array"
    if isinstance(kind, str):
        return TYPE_NAMES.get(kind)
    return None


def _plural(noun: str) -> str:
    return noun.split(" ", 1)[1] + "s" if noun.startswith(("a ", "an ")) else noun


def _leaf_message(error: ValidationError) -> str:
    keyword = error.validator
    value = error.validator_value
    field = error.absolute_path[-1] if error.absolute_path else None
    if keyword == "type":
        kinds = [value] if isinstance(value, str) else list(value)
        return "must be " + " or ".join(TYPE_NAMES.get(kind, kind) for kind in kinds)
    if keyword == "format":
        return _format_message(value, error.instance)
    if keyword == "pattern":
        if isinstance(field, str) and field in PATTERN_MESSAGES:
            return PATTERN_MESSAGES[field]
        literal = LITERAL_PATTERN.fullmatch(value)
        return f"must be {literal.group(1)}" if literal else f"must match the pattern {value}"
    if keyword == "enum":
        return "must be one of: " + _listing(value)
    if keyword == "const":
        return f"must be {value!r}"
    if keyword == "minItems":
        return "must not be empty" if value == 1 else f"must have at least {value} items"
    if keyword == "uniqueItems":
        return "must not hold the same item twice"
    if keyword == "not":
        return NOT_MESSAGES.get(str(field), "is not allowed here")
    return f"breaks the schema rule {keyword!r}"


def _format_message(format_name: str, value: Any) -> str:
    if format_name == "date-time":
        if isinstance(value, str) and LOCAL_DATE_TIME.fullmatch(value):
            return f"must carry a time zone offset or Z, e.g. {DATE_TIME_EXAMPLE}"
        return f"must be an RFC 3339 date-time with a time zone offset, e.g. {DATE_TIME_EXAMPLE}"
    if format_name == "uri":
        return "must be an absolute URI (scheme:rest, e.g. urn:epc:id:sgtin:0614141.107346.2017)"
    return f"must be in the format {format_name}"


def _bad_name_message(name: str) -> str:
    if ":" in name:
        return "is not a valid field name: an extension field is named by a URI or prefix:name"
    return (
        "is not an EPCIS field here; name an extension field prefix:name with the prefix declared "
        "in @context"
    )


def _listing(values: Sequence[Any]) -> str:
    shown = ", ".join(str(value) for value in values[:MAX_LISTED_VALUES])
    return shown + (", …" if len(values) > MAX_LISTED_VALUES else "")


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
