"""The checks of a captured document that its JSON Schema does not make.

- the body is UTF-8 JSON of one object, with numbers JSON carries exactly, not nested absurdly
  deep; a key twice in an object keeps its last value and earns a warning;
- `@context` is resolved offline: the EPCIS 2.0 context by its published URL, plus inline objects;
  any other remote context is refused, as we never fetch one;
- every prefixed field name (`example:myField`) has its prefix declared in a context in scope;
- each vocabulary field (bizStep, disposition, bizTransaction type, ...) holds a standard term —
  bare (`shipping`), as CBV URN (`urn:epcglobal:cbv:bizstep:shipping`) or Web URI
  (`https://ref.gs1.org/cbv/BizStep-shipping`, also compacted as `cbv:BizStep-shipping`) — or a URI
  of the user's own vocabulary, which must not pose as a standard one;
- the event types are the five of EPCIS 2.0, the schema version is 2.x, event times can be stored.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate
from typing import Any, Final

from ledger.epcis.errors import (
    MAX_DOCUMENT_BYTES,
    MAX_NESTING_DEPTH,
    EpcisDocumentInvalid,
    Problem,
    too_many_bytes,
)
from ledger.epcis.facts import EVENT_TYPES, EventType, parse_timestamp
from ledger.epcis.reference import ReferenceData, Vocabulary, declared_prefixes, expand
from ledger.epcis.schema_problems import pointer_to

# I-JSON (RFC 7493) and the ledger's RFC 8785 canonical form carry integers exactly only up to 2^53.
MAX_SAFE_INTEGER: Final = 2**53 - 1
# Field names that are absolute IRIs without a declared prefix: `https://…`, `urn:…`.
ABSOLUTE_IRI_SCHEMES: Final = frozenset({"urn"})
CONTEXT_KEYWORDS: Final = ("@context", "@import")
# Python's C JSON decoder recurses once per level of nesting and stops only at the interpreter's
# recursion limit, which py_ecc (imported with web3's in-process EVM) raises to 100,000: deep
# enough to overflow the C stack and kill the worker. Bodies nesting deeper than this are refused
# before parsing; MAX_NESTING_DEPTH is then checked on the parsed document, with a pointer.
PARSER_MAX_DEPTH: Final = 512
NOT_BRACKETS: Final = re.compile(r"[^\[\]{}]+")
BRACKET_STEPS: Final = {"[": 1, "{": 1, "]": -1, "}": -1}
# Times the ledger stores as UTC datetimes (facts of `CapturedEvent`).
TIME_FIELDS: Final = (("eventTime",), ("recordTime",), ("errorDeclaration", "declarationTime"))

Path = tuple[str | int, ...]


def parse_capture_body(body: bytes) -> dict[str, Any]:
    """Parse a capture request body into the JSON object it must be.

    Raises:
        EpcisDocumentTooLarge: the body has more than MAX_DOCUMENT_BYTES.
        EpcisDocumentInvalid: the body is not UTF-8 JSON text of one object.
    """
    return parse_body(body)[0]


Duplicates = dict[int, tuple[dict[str, Any], list[str]]]


def parse_body(body: bytes) -> tuple[dict[str, Any], Duplicates]:
    """Parse a capture body; return the object and the keys objects had twice, by object id.

    JSON leaves an object with a key twice to the parser; we keep the last value, as most parsers
    do, and tell the client (an official GS1 example has an event with two eventIDs).

    Raises:
        EpcisDocumentTooLarge: the body has more than MAX_DOCUMENT_BYTES.
        EpcisDocumentInvalid: the body is not UTF-8 JSON text of one object.
    """
    if len(body) > MAX_DOCUMENT_BYTES:
        raise too_many_bytes(len(body))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid(f"is not UTF-8 text (byte {error.start} cannot be decoded)") from error
    if text.count("[") + text.count("{") > PARSER_MAX_DEPTH and (
        nesting_depth(text) > PARSER_MAX_DEPTH
    ):
        raise _invalid(f"nests deeper than {MAX_NESTING_DEPTH} levels")
    duplicates: Duplicates = {}

    def build_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            names = [name for name, _ in pairs]
            twice = [name for i, name in enumerate(names) if name in names[:i]]
            # Holding the object keeps its id from passing to another should it be overwritten.
            duplicates[id(result)] = (result, twice)
        return result

    try:
        document = json.loads(text, object_pairs_hook=build_object, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        detail = f"is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        raise _invalid(detail) from error
    except RecursionError as error:
        raise _invalid(f"nests deeper than {MAX_NESTING_DEPTH} levels") from error
    except ValueError as error:  # NaN/Infinity, or an integer of more than 4,300 digits
        raise _invalid(f"is not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise _invalid("must be a JSON object (an EPCISDocument)")
    return document, duplicates


def duplicate_key_warnings(document: dict[str, Any], duplicates: Duplicates) -> list[Problem]:
    """Return a warning at each key an object of the document had twice."""
    if not duplicates:
        return []
    warnings = []
    stack: list[tuple[Any, Path]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        twice = duplicates[id(value)][1] if id(value) in duplicates else []
        for name in twice:
            detail = "appears more than once in this object; the last value was kept"
            warnings.append(Problem(pointer_to((*path, name)), detail))
        items = value.items() if isinstance(value, dict) else enumerate(value)
        stack.extend((item, (*path, key)) for key, item in items if isinstance(item, dict | list))
    return sorted(warnings)


def nesting_depth(text: str) -> int:
    """Return how deep arrays and objects nest in JSON text (any number for invalid JSON)."""
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    outside_strings = "".join(unescaped.split('"')[::2])
    brackets = NOT_BRACKETS.sub("", outside_strings)
    return max(accumulate(map(BRACKET_STEPS.__getitem__, brackets)), default=0)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _invalid(detail: str) -> EpcisDocumentInvalid:
    return EpcisDocumentInvalid([Problem("", detail)])


# --- structure, contexts and field names ----------------------------------------------------------


def structure_problems(document: dict[str, Any], reference: ReferenceData) -> Iterator[Problem]:
    """Yield problems of depth, numbers, `@context` entries and field-name prefixes."""
    stack: list[tuple[Any, Path, int, Mapping[str, str]]] = [(document, (), 1, {})]
    while stack:
        value, path, depth, prefixes = stack.pop()
        if depth > MAX_NESTING_DEPTH:
            yield Problem(pointer_to(path), f"nests deeper than {MAX_NESTING_DEPTH} levels")
            continue
        if isinstance(value, dict):
            if "@context" in value:
                context = value["@context"]
                yield from context_problems(context, (*path, "@context"), reference, not path)
                prefixes = context_prefixes(context, prefixes, reference)
            children: Any = value.items()
        else:
            children = enumerate(value)
        for key, item in children:
            if key == "@context" and isinstance(value, dict):
                continue
            if isinstance(key, str) and ":" in key and (detail := _prefix_problem(key, prefixes)):
                yield Problem(pointer_to((*path, key)), detail)
            if isinstance(item, dict | list):
                stack.append((item, (*path, key), depth + 1, prefixes))
            elif (type(item) is int and abs(item) > MAX_SAFE_INTEGER) or (
                type(item) is float and not math.isfinite(item)
            ):
                yield Problem(
                    pointer_to((*path, key)),
                    f"is a number JSON does not carry exactly (at most ±{MAX_SAFE_INTEGER})",
                )


def context_problems(
    context: Any, path: Path, reference: ReferenceData, document_level: bool
) -> Iterator[Problem]:
    """Yield the problems of one `@context` value: unknown remote contexts, wrong shapes."""
    entries = context if isinstance(context, list) else [context]
    has_epcis = False
    for index, entry in enumerate(entries):
        entry_path = (*path, index) if isinstance(context, list) else path
        if isinstance(entry, str):
            if entry in reference.context_urls:
                has_epcis = True
            else:
                yield Problem(pointer_to(entry_path), _remote_context(entry, reference))
        elif isinstance(entry, dict):
            yield from _inline_context_problems(entry, entry_path, reference)
        else:
            yield Problem(
                pointer_to(entry_path),
                "must be the EPCIS context URL or an inline context object",
            )
    if document_level and not has_epcis:
        yield Problem(
            pointer_to(path),
            f"must include the EPCIS 2.0 context {reference.canonical_context_url}",
        )


def _inline_context_problems(
    context: dict[str, Any], path: Path, reference: ReferenceData
) -> Iterator[Problem]:
    """Yield remote contexts named inside an inline context (scoped contexts, `@import`)."""
    for key, value in context.items():
        if key in CONTEXT_KEYWORDS:
            urls = value if isinstance(value, list) else [value]
            for index, url in enumerate(urls):
                url_path = (*path, key, index) if isinstance(value, list) else (*path, key)
                if isinstance(url, str) and url not in reference.context_urls:
                    yield Problem(pointer_to(url_path), _remote_context(url, reference))
                elif isinstance(url, dict):
                    yield from _inline_context_problems(url, url_path, reference)
        elif isinstance(value, dict):
            yield from _inline_context_problems(value, (*path, key), reference)


def _remote_context(url: str, reference: ReferenceData) -> str:
    return (
        f"names the remote context {url!r}, which is not accepted: contexts are never fetched. "
        f"Use {reference.canonical_context_url} and declare your own prefixes in an inline object"
    )


def context_prefixes(
    context: Any, inherited: Mapping[str, str], reference: ReferenceData
) -> dict[str, str]:
    """Return the prefixes in scope under `context`, given those of the enclosing node."""
    prefixes = dict(inherited)
    for entry in context if isinstance(context, list) else [context]:
        if isinstance(entry, str) and entry in reference.context_urls:
            prefixes.update(reference.epcis_prefixes)
        elif isinstance(entry, dict):
            prefixes = declared_prefixes(entry, prefixes)
    return prefixes


def _prefix_problem(key: str, prefixes: Mapping[str, str]) -> str | None:
    if key.startswith("@"):
        return None
    prefix, _, rest = key.partition(":")
    if prefix in prefixes or rest.startswith("//") or prefix in ABSOLUTE_IRI_SCHEMES:
        return None
    return (
        f"uses the prefix {prefix!r}, which no @context declares; add "
        f'{{"{prefix}": "<namespace URI ending in / or #>"}} to @context'
    )


# --- events -------------------------------------------------------------------------------------


def event_problems(
    event: Any, path: Path, prefixes: Mapping[str, str], reference: ReferenceData
) -> Iterator[Problem]:
    """Yield the problems of one event (the schema reports the shape of non-objects)."""
    if not isinstance(event, dict):
        return
    event_type = event.get("type")
    if isinstance(event_type, str) and event_type not in EVENT_TYPES:
        supported = ", ".join(EventType)
        yield Problem(
            pointer_to((*path, "type")), f"is not a supported event type; one of: {supported}"
        )
    for field in TIME_FIELDS:
        for value, value_path in values_at(event, field, path):
            if isinstance(value, str):
                try:
                    parse_timestamp(value)
                except ValueError:
                    continue  # the schema says what is wrong with its format
                except OverflowError:
                    yield Problem(pointer_to(value_path), "is too far in the past to store")
    for slot in reference.slots:
        for value, value_path in values_at(event, slot.path, path):
            if not isinstance(value, str):
                yield Problem(pointer_to(value_path), "must be a string")
                continue
            _, detail = resolve_term(value, slot.vocabulary, prefixes, reference)
            if detail:
                yield Problem(pointer_to(value_path), detail)


def values_at(node: Any, names: Sequence[str], path: Path) -> Iterator[tuple[Any, Path]]:
    """Yield the values at a path of field names, stepping through arrays as JSON-LD does."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from values_at(item, names, (*path, index))
    elif not names:
        yield node, path
    elif isinstance(node, dict) and names[0] in node:
        yield from values_at(node[names[0]], names[1:], (*path, names[0]))


def resolve_term(
    value: str, vocabulary: Vocabulary, prefixes: Mapping[str, str], reference: ReferenceData
) -> tuple[str | None, str | None]:
    """Return (normalised value, None) or (None, problem) for a vocabulary field's value.

    A standard term normalises to its bare name (`shipping`), another URI to its expanded form.
    """
    standard = f"use a standard term such as {vocabulary.example!r} or a URI of your own vocabulary"
    if ":" not in value:
        if value in vocabulary.terms:
            return value, None
        return None, f"is not a known {vocabulary.name}; {standard}"
    iri = expand(value, prefixes)
    term = vocabulary.term_of(iri)
    if term is not None:
        if term in vocabulary.terms:
            return term, None
        return None, f"names {term!r}, which is not a standard {vocabulary.name}; {standard}"
    if iri.startswith(reference.cbv_roots):
        return None, f"is a CBV URI but not of a {vocabulary.name}; {standard}"
    return iri, None


def standard_forms(
    event: Any, path: Path, prefixes: Mapping[str, str], reference: ReferenceData
) -> Iterator[tuple[Path, str]]:
    """Yield (path, bare term) for each standard term written as a URI in an event.

    The JSON Schema takes standard terms bare (and user URIs outside CBV), so it refuses the CBV
    URN and the GS1 Web URI of a standard term; the validator checks a copy with them bare.
    """
    for slot in reference.slots:
        for value, value_path in values_at(event, slot.path, path):
            if isinstance(value, str) and ":" in value:
                term, _ = resolve_term(value, slot.vocabulary, prefixes, reference)
                if term is not None and ":" not in term:
                    yield value_path, term
