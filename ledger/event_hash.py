"""GS1 CBV 2.0 event hash IDs (CBV 2.0, section 8.9) of EPCIS 2.0 events in JSON or JSON-LD.

An event hash ID is `ni:///sha-256;<hex>?ver=CBV2.0`: the SHA-256 of the event's pre-hash string,
which lists the event's fields in the canonical property order as `key=value` pieces with no
separator. Identifiers become constrained canonical GS1 Digital Link URIs, CBV values Web URIs,
timestamps UTC with milliseconds, numbers lose trailing zeros, lists are sorted, and user
extensions are written `{namespace}localName`, sorted after the standard fields. eventID,
recordTime and errorDeclaration are left out, so a re-recorded or error-declared event keeps its ID.

Where the standard leaves a choice, this module does what GS1 Germany's reference generator
(epcis-event-hash-generator 1.9.3) does, so that partners computing an ID get the same one.
Nothing is fetched: the standard EPCIS context is known here, prefixes come from the document's
inline contexts, and a key whose prefix only an unknown remote context could define is an error.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

Context = str | Mapping[str, Any] | Sequence[Any] | None

HASH_ALGORITHM = "sha-256"
CBV_VERSION = "CBV2.0"
CBV = "https://ref.gs1.org/cbv/"
GS1_VOCABULARY = "https://gs1.org/voc/"

# Every published location of the EPCIS 2.0 context; its prefixes are the ones below.
STANDARD_CONTEXTS = frozenset(
    {
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    }
)
STANDARD_PREFIXES: Mapping[str, str] = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": CBV,
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": GS1_VOCABULARY,
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}


class EventHashError(ValueError):
    """An EPCIS document or event that has no event hash ID."""


@dataclass(frozen=True)
class _Field:
    name: str
    children: tuple[_Field, ...] = ()
    timestamp: bool = False


def _leaves(*names: str) -> tuple[_Field, ...]:
    return tuple(_Field(name, timestamp=name.lower().endswith("time")) for name in names)


_EPC = _leaves("epc")
_QUANTITY = (_Field("quantityElement", _leaves("epcClass", "quantity", "uom")),)
_SENSOR_METADATA = _leaves(
    *("time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData"),
    *("dataProcessingMethod", "bizRules"),
)
_SENSOR_REPORT = _leaves(
    *("type", "exception", "deviceID", "deviceMetadata", "rawData", "dataProcessingMethod"),
    *("time", "microorganism", "chemicalSubstance", "value", "component", "stringValue"),
    *("booleanValue", "hexBinaryValue", "uriValue", "minValue", "maxValue", "meanValue"),
    *("sDev", "percRank", "percValue", "uom", "coordinateReferenceSystem"),
)
# bizTransactionList, sourceList, destinationList, ilmd and extensions are not in this order:
# like the reference generator, they follow it, sorted by their whole pre-hash pieces.
_EVENT_ORDER = (
    *_leaves("eventTime", "eventTimeZoneOffset", "certificationInfo", "parentID"),
    _Field("epcList", _EPC),
    _Field("inputEPCList", _EPC),
    _Field("childEPCs", _EPC),
    _Field("quantityList", _QUANTITY),
    _Field("childQuantityList", _QUANTITY),
    _Field("inputQuantityList", _QUANTITY),
    _Field("outputEPCList", _EPC),
    _Field("outputQuantityList", _QUANTITY),
    *_leaves("action", "transformationID", "bizStep", "disposition"),
    _Field("persistentDisposition", _leaves("set", "unset")),
    _Field("readPoint", _leaves("id")),
    _Field("bizLocation", _leaves("id")),
    _Field(
        "sensorElementList",
        (
            _Field(
                "sensorElement",
                (
                    _Field("sensorMetadata", _SENSOR_METADATA),
                    _Field("sensorReport", _SENSOR_REPORT),
                ),
            ),
        ),
    ),
)
_EVENT = ""
_NOT_HASHED = frozenset({"type", "eventID", "recordTime", "errorDeclaration", "@context"})
_COMMENTS = frozenset({"comment", "rdfs:comment", "{http://www.w3.org/2000/01/rdf-schema#}comment"})
# (enclosing key, key) -> Web URI stem of the bare CBV/GS1 words that field takes in JSON-LD.
_VOCABULARIES = {
    (_EVENT, "bizStep"): CBV + "BizStep-",
    (_EVENT, "disposition"): CBV + "Disp-",
    ("persistentDisposition", "set"): CBV + "Disp-",
    ("persistentDisposition", "unset"): CBV + "Disp-",
    ("bizTransactionList", "type"): CBV + "BTT-",
    ("sourceList", "type"): CBV + "SDT-",
    ("destinationList", "type"): CBV + "SDT-",
    ("sensorReport", "type"): GS1_VOCABULARY,
    ("sensorReport", "exception"): GS1_VOCABULARY,
    ("sensorReport", "component"): CBV + "Comp-",
}
_TYPED_LISTS = {
    "bizTransactionList": "bizTransaction",
    "sourceList": "source",
    "destinationList": "destination",
}
_CBV_URNS = (
    ("urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"),
    ("urn:epcglobal:cbv:disp:", CBV + "Disp-"),
    ("urn:epcglobal:cbv:btt:", CBV + "BTT-"),
    ("urn:epcglobal:cbv:sdt:", CBV + "SDT-"),
    ("urn:epcglobal:cbv:er:", CBV + "ER-"),
)


def event_hash_ids(document: Mapping[str, Any]) -> list[str]:
    """Return the event hash ID of every event of an EPCIS (query) document, in document order.

    Raises:
        EventHashError: the document is not an EPCIS document, or one of its events is invalid.
    """
    ids = []
    for number, event in enumerate(document_events(document), start=1):
        try:
            ids.append(event_hash_id(event, document.get("@context")))
        except EventHashError as error:
            raise EventHashError(f"event {number}: {error}") from None
    return ids


def document_events(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Return the events of an EPCIS document or EPCIS query document, in document order.

    Raises:
        EventHashError: the document has no epcisBody with an event list.
    """
    body = document.get("epcisBody") if isinstance(document, Mapping) else None
    if not isinstance(body, Mapping):
        raise EventHashError("not an EPCIS document: it has no epcisBody object")
    if "eventList" in body:
        events = body["eventList"]
    elif "queryResults" in body:
        results = body["queryResults"]
        results_body = results.get("resultsBody") if isinstance(results, Mapping) else None
        events = results_body.get("eventList", []) if isinstance(results_body, Mapping) else None
    elif "event" in body:
        events = [body["event"]]
    else:
        raise EventHashError("not an EPCIS document: its epcisBody has no eventList")
    if not isinstance(events, list) or not all(isinstance(event, Mapping) for event in events):
        raise EventHashError("not an EPCIS document: its event list is not a list of objects")
    return events


def event_hash_id(event: Mapping[str, Any], context: Context = None) -> str:
    """Return the CBV 2.0 event hash ID of `event`, read with the document's JSON-LD `context`.

    Raises:
        EventHashError: the event has no type, or a key's prefix cannot be resolved offline.
    """
    digest = hashlib.sha256(prehash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///{HASH_ALGORITHM};{digest}?ver={CBV_VERSION}"


def prehash(event: Mapping[str, Any], context: Context = None) -> str:
    """Return the canonical pre-hash string of `event`, read with the document's `context`.

    Raises:
        EventHashError: the event has no type, or a key's prefix cannot be resolved offline.
    """
    if not isinstance(event, Mapping):
        raise EventHashError("an event is a JSON object")
    event_type = event.get("type")
    if not isinstance(event_type, str) or not event_type.strip():
        raise EventHashError("the event has no type (such as ObjectEvent)")
    reader = _Reader(*_resolve(context, event.get("@context")))
    nodes = reader.members(event, _EVENT, skip=_NOT_HASHED)
    listed, left_over = _ordered(nodes, _EVENT_ORDER)
    return "eventType=" + event_type + listed + "".join(sorted(_generic(n) for n in left_over))


@dataclass
class _Node:
    """One XML-like element of an event: its expanded name, text value and child elements."""

    name: str
    value: str = ""
    children: list[_Node] = field(default_factory=list)
    keep_order: bool = False


def _resolve(*contexts: Context) -> tuple[dict[str, str], list[str]]:
    """Return the prefixes the contexts define and the remote contexts not known here."""
    prefixes, unresolved = dict(STANDARD_PREFIXES), []
    for context in contexts:
        entries = context if isinstance(context, list | tuple) else [context]
        for entry in entries:
            if isinstance(entry, str):
                if entry not in STANDARD_CONTEXTS:
                    unresolved.append(entry)
            elif isinstance(entry, Mapping):
                for term, definition in entry.items():
                    if isinstance(definition, Mapping):
                        definition = definition.get("@id")
                    if isinstance(definition, str) and "@" not in (term[:1], definition[:1]):
                        prefixes[term] = definition
            elif entry is not None:
                raise EventHashError("an @context entry must be a URL or an object")
    return prefixes, unresolved


class _Reader:
    """Read JSON into nodes the way the EPCIS XML binding would name them."""

    def __init__(self, prefixes: dict[str, str], unresolved: list[str]) -> None:
        self.prefixes = prefixes
        self.unresolved = unresolved

    def members(
        self, obj: Mapping[str, Any], parent: str, skip: frozenset[str] = frozenset()
    ) -> list[_Node]:
        nodes: list[_Node] = []
        for key, value in obj.items():
            if key not in skip and key not in _COMMENTS:
                nodes.extend(self.member(key, value, parent))
        return [node for node in nodes if node.name not in _COMMENTS]

    def member(self, key: str, value: Any, parent: str) -> list[_Node]:
        name = self.expand_key(key)
        items = _flatten(value)
        if key in _TYPED_LISTS:
            entries = [self.typed_entry(item, key) for item in items]
            return [_Node(name, children=entries)] if entries else []
        if name.endswith("List") or name == "childEPCs":
            # A JSON list is the XML list element; each item is named after it ("epcList" holds
            # "epc"s). The reference generator applies this to user extensions as well.
            item_name = "epc" if name == "childEPCs" else name[: -len("List")]
            children = [self.item(item_name, item, key, parent) for item in items]
            return [_Node(name, children=children)] if children else []
        return [self.item(name, item, key, parent) for item in items]

    def item(self, name: str, value: Any, key: str, parent: str) -> _Node:
        if isinstance(value, Mapping):
            children = self.members(value, key)
            if name in ("inputQuantity", "outputQuantity", "childQuantity", "quantity"):
                name = "quantityElement"
            return _Node(name, children=children)
        if name in ("inputEPC", "outputEPC"):
            name = "epc"
        return _Node(name, self.expand_value(value, _VOCABULARIES.get((parent, key))))

    def typed_entry(self, value: Any, list_key: str) -> _Node:
        """Return a bizTransaction, source or destination: its type first, then its ID."""
        # Whatever the JSON key order: the reference generator follows it, so the same event
        # written value-first would get another ID there.
        if not isinstance(value, Mapping):
            return _Node("", children=[self.item(_TYPED_LISTS[list_key], value, "", list_key)])
        members = self.members(value, list_key)
        head = [n for name in ("type", _TYPED_LISTS[list_key]) for n in members if n.name == name]
        rest = sorted(
            (n for n in members if n.name not in ("type", _TYPED_LISTS[list_key])), key=_generic
        )
        return _Node("", children=head + rest, keep_order=True)

    def expand_key(self, key: str) -> str:
        prefix, colon, local = key.partition(":")
        if not colon or local.startswith("//"):
            return key
        if prefix in self.prefixes:
            return "{" + self.prefixes[prefix] + "}" + local
        # Undefined, the key stays as written (as in the reference generator); but when a remote
        # context we do not load may define it, any ID we gave could silently be the wrong one.
        if self.unresolved:
            raise EventHashError(
                f"cannot expand {key!r}: no context that can be read offline defines "
                f"{prefix!r} (not loaded: {', '.join(self.unresolved)})"
            )
        return key

    def expand_value(self, value: Any, vocabulary: str | None) -> str:
        # null is an empty element and booleans are XML's `true`/`false`, so JSON and XML agree
        # (the reference generator 1.9.3 writes Python's `True`).
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value).strip()
        prefix, colon, rest = text.partition(":")
        if vocabulary and text and not colon:
            return vocabulary + text
        if colon and prefix in self.prefixes and not rest.startswith("//"):
            return self.prefixes[prefix] + rest
        return text


def _flatten(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    return [item for element in value for item in _flatten(element)]


def _ordered(nodes: list[_Node], order: tuple[_Field, ...]) -> tuple[str, list[_Node]]:
    """Return the pieces of the fields of `order`, in that order, and the nodes left over.

    Nodes not in `order`, and listed nodes with unlisted children (a sensorReport's bizRules),
    are left over: like the reference generator, the event writes them after its listed fields.
    """
    pieces, left_over = [], [node for node in nodes if node.name not in {f.name for f in order}]
    for spec in order:
        matching = [_field(node, spec) for node in nodes if node.name == spec.name]
        pieces.extend(sorted(piece for piece, _ in matching if piece))
        left_over.extend(node for _, node in matching if node is not None)
    return "".join(pieces), left_over


def _field(node: _Node, spec: _Field) -> tuple[str, _Node | None]:
    """Return the piece of a listed node, and what is left of it when it has unlisted children.

    User extensions (keys expanded to `{namespace}name`) go at the end of their element.
    """
    text = node.value
    if text:
        text = "=" + ((canonical_timestamp(text) or text) if spec.timestamp else _canonical(text))
    extensions = [child for child in node.children if child.name.startswith("{")]
    listed = [child for child in node.children if not child.name.startswith("{")]
    inner, left_over = _ordered(listed, spec.children)
    inner += "".join(sorted(_generic(child) for child in extensions))
    piece = node.name + text + inner if text or inner else ""
    return piece, (_Node(node.name, node.value, left_over) if left_over else None)


def _generic(node: _Node) -> str:
    text = "=" + _canonical(node.value) if node.value else ""
    pieces = [_generic(child) for child in node.children]
    return node.name + text + "".join(pieces if node.keep_order else sorted(pieces))


def _canonical(text: str) -> str:
    """Return a value as it enters the pre-hash: CBV Web URI, plain number or Digital Link."""
    for urn, web_uri in _CBV_URNS:
        if text.startswith(urn):
            text = web_uri + text[len(urn) :]
    text = _canonical_number(text) or text
    return canonical_digital_link(text) or text


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _canonical_number(text: str) -> str | None:
    """Return a numeric text as the reference writes it (Python's float, no `.0`), else None."""
    if not _NUMBER.fullmatch(text):
        return None
    number = float(text)
    if not math.isfinite(number):
        return None
    return str(int(number)) if number.is_integer() else repr(number)


_TIMESTAMP = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]+))?)?"
    r"(?:([Zz])|([+-])([0-9]{2})(?::?([0-9]{2}))?)?"
)


def canonical_timestamp(text: str) -> str | None:
    """Return an xsd:dateTime as UTC with milliseconds (`…T10:00:30.000Z`), else None.

    A time without offset is taken as UTC. Sub-millisecond digits are rounded half to even,
    after truncation to microseconds, as the reference generator does.
    """
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, _, sign, offset_h, offset_m = match.groups()
    offset = timedelta(hours=int(offset_h or 0), minutes=int(offset_m or 0))
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            int((fraction or "").ljust(6, "0")[:6]),
            tzinfo=timezone(-offset if sign == "-" else offset),
        ).astimezone(UTC)
        millisecond = round(moment.microsecond, -3) // 1000
        moment = moment.replace(microsecond=0) + timedelta(milliseconds=millisecond)
    except (ValueError, OverflowError):
        return None
    return moment.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


# GS1 character set 82 (and 39, for CPIs); in an EPC URI those not plain are %-escaped.
_CS82 = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
_CS39 = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_PLAIN82 = _CS82 - frozenset('"%&/<>?')
_PLAIN39 = _CS39 - frozenset("#/")
_DL_ESCAPES = str.maketrans({c: f"%{ord(c):02X}" for c in "!()*+,:"})


def _length(component: str, allowed: frozenset[str], plain: frozenset[str]) -> int:
    """Return how many characters an EPC URI component encodes; 0 when it is not valid."""
    count = index = 0
    while index < len(component):
        if component[index] == "%":
            code = component[index + 1 : index + 3]
            if not re.fullmatch("[0-9A-Fa-f]{2}", code) or chr(int(code, 16)) not in allowed:
                return 0
            index += 3
        elif component[index] in plain:
            index += 1
        else:
            return 0
        count += 1
    return count


def _is_text(component: str, limit: int) -> bool:
    return 1 <= _length(component, _CS82, _PLAIN82) <= limit


def _digits(text: str, low: int, high: int | None = None) -> bool:
    return re.fullmatch(f"[0-9]{{{low},{high or low}}}", text) is not None


def _check_digit(digits: str) -> str:
    weighted = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-weighted % 10)


def _key(company: str, reference: str, length: int) -> str | None:
    """Return company prefix + reference when together they are `length` digits, else None."""
    valid = _digits(company, 6, 12) and len(company) + len(reference) == length
    if valid and (reference == "" or _digits(reference, len(reference))):
        return company + reference
    return None


def _checked(key: str | None, lead: str = "") -> str | None:
    return None if key is None else lead + key + _check_digit(lead + key)


def _gtin(company: str, item: str) -> str | None:
    """Return the GTIN-14 of an EPC company prefix and indicator digit + item reference."""
    return _checked(_key(company, item[1:], 12), item[0]) if _digits(item[:1], 1) else None


def _path(
    ai: str, key: str | None, qualifier: str = "", serial: str = "", limit: int = 0
) -> str | None:
    """Return `ai/key`, then a qualifier and a serial of at most `limit` characters, else None."""
    if key is None or (limit and not _is_text(serial, limit)):
        return None
    return f"{ai}/{key}{qualifier}{serial.translate(_DL_ESCAPES)}"


def _epc_path(scheme: str, body: str) -> str | None:
    """Return the Digital Link path (`01/…/21/…`) of an EPC URI's scheme and body, else None."""
    parts = body.split(".")
    company, reference = parts[0], "".join(parts[1:2])
    serial, tail = ".".join(parts[2:]), ".".join(parts[1:])
    match scheme, len(parts):
        case (("sgtin" | "class:lgtin" | "upui"), count) if count > 2:
            qualifier = {"sgtin": "/21/", "upui": "/235/"}.get(scheme, "/10/")
            limit = 28 if scheme == "upui" else 20
            return _path("01", _gtin(company, reference), qualifier, serial, limit)
        case "itip", count if count > 4 and _digits(parts[2], 2) and _digits(parts[3], 2):
            gtin = _gtin(company, reference)
            key = None if gtin is None else gtin + parts[2] + parts[3]
            return _path("8006", key, "/21/", ".".join(parts[4:]), 20)
        case "sscc", 2 if _key(company, reference, 17):
            return _path("00", _checked(reference[:1] + company + reference[1:]))
        case (("gsrn" | "gsrnp" | "gsin" | "pgln"), 2):
            ai = {"gsrn": "8018", "gsrnp": "8017", "gsin": "402"}.get(scheme, "417")
            length = {"gsin": 16, "pgln": 12}.get(scheme, 17)
            return _path(ai, _checked(_key(company, reference, length)))
        case "sgln", 3 if serial == "0":
            return _path("414", _checked(_key(company, reference, 12)))
        case (("sgln" | "grai" | "gdti"), count) if count > 2:
            ai = {"sgln": "414", "grai": "8003"}.get(scheme, "253")
            limit = {"sgln": 20, "grai": 16}.get(scheme, 17)
            key = _checked(_key(company, reference, 12), "0" if scheme == "grai" else "")
            return _path(ai, key, "/254/" if scheme == "sgln" else "", serial, limit)
        case "sgcn", 3 if _digits(serial, 1, 12):
            return _path("255", _checked(_key(company, reference, 12)), serial)
        case (("giai" | "ginc"), count) if count > 1 and _digits(company, 6, 12):
            ai = "8004" if scheme == "giai" else "401"
            return _path(ai, company, "", tail, 30 - len(company))
        case "cpi", 3 if _digits(serial, 1, 12):
            return _cpi_path(company, reference, "/8011/" + serial)
        case (("idpat:sgtin" | "idpat:upui"), 3) if serial == "*":
            return _path("01", _gtin(company, reference))
        case "idpat:itip", 5 if parts[4] == "*" and _digits(parts[2], 2) and _digits(parts[3], 2):
            gtin = _gtin(company, reference)
            return _path("8006", None if gtin is None else gtin + parts[2] + parts[3])
        case (("idpat:grai" | "idpat:gdti" | "idpat:sgcn"), 3) if serial == "*":
            ai = {"idpat:grai": "8003", "idpat:gdti": "253"}.get(scheme, "255")
            return _path(ai, _checked(_key(company, reference, 12), "0" if ai == "8003" else ""))
        case "idpat:cpi", 3 if serial == "*":
            return _cpi_path(company, reference)
    return None


def _cpi_path(company: str, reference: str, serial: str = "") -> str | None:
    valid = _digits(company, 6, 12)
    if valid and 1 <= _length(reference, _CS39, _PLAIN39) <= 30 - len(company):
        return f"8010/{company}{reference}{serial}"
    return None


# Characters a constrained canonical Digital Link keeps unescaped in alphanumeric components.
_DL_TEXT = "\"'\\-.0-9;-?A-Z_a-z"
_DL_FORMS = re.compile(
    "|".join(
        (
            "00/[0-9]{18}",
            f"01/[0-9]{{14}}(?:/(?:21|10)/[{_DL_TEXT}]{{0,20}}|/235/[{_DL_TEXT}]{{0,28}})?",
            f"253/[0-9]{{13}}[{_DL_TEXT}]{{0,17}}",
            "255/[0-9]{13,25}",
            f"(?:401|8004)/[{_DL_TEXT}]{{0,30}}",
            "402/[0-9]{17}",
            f"414/[0-9]{{13}}(?:/254/[{_DL_TEXT}]{{0,20}})?",
            "417/[0-9]{13}",
            f"8003/[0-9]{{14}}[{_DL_TEXT}]{{0,16}}",
            f"8006/[0-9]{{18}}(?:/(?:21|10)/[{_DL_TEXT}]{{0,20}})?",
            "8010/[#\\-/0-9A-Z]{0,30}(?:/8011/[0-9]{0,12})?",
            "80(?:17|18)/[0-9]{18}",
        )
    )
)
_DL_SHORT = re.compile(f"[{_DL_TEXT}]{{0,20}}")
_DL_KEYS = {
    **{ai: ai for ai in ("00", "01", "253", "255", "401", "402", "414", "417")},
    **{ai: ai for ai in ("8003", "8004", "8006", "8010", "8017", "8018")},
    **{"sscc": "00", "gtin": "01", "gdti": "253", "gcn": "255", "ginc": "401", "gsin": "402"},
    **{"gln": "414", "party": "417", "grai": "8003", "giai": "8004", "itip": "8006"},
    **{"cpid": "8010", "gsrnp": "8017", "gsrn": "8018"},
}
_DL_QUALIFIERS = {"cpv": "22", "lot": "10", "ser": "21"}
_DL_URI = re.compile(r"https?://[^/?#]*(/[^?#]*)(?:\?.*)?")


def canonical_digital_link(uri: str) -> str | None:
    """Return the constrained canonical GS1 Digital Link URI of a GS1 identifier, else None.

    Takes EPC URIs (`urn:epc:id:…`), EPC class URIs (LGTIN), EPC pattern URIs and GS1 Digital
    Link URIs on any domain; the result is on id.gs1.org with only the finest key qualifiers.
    """
    path = None
    for kind, scheme_prefix in (("id", ""), ("class", "class:"), ("idpat", "idpat:")):
        if uri.startswith(f"urn:epc:{kind}:"):
            scheme, _, body = uri.removeprefix(f"urn:epc:{kind}:").partition(":")
            path = _epc_path(scheme_prefix + scheme, body)
            break
    else:
        path = _digital_link_path(uri)
    return None if path is None else "https://id.gs1.org/" + path


def _digital_link_path(uri: str) -> str | None:
    """Return the constrained canonical path of a GS1 Digital Link URI, else None."""
    match = _DL_URI.fullmatch(uri)
    segments = match.group(1).split("/") if match else []
    # The primary key is the first key segment whose value starts with four digits.
    starts = (
        i
        for i, name in enumerate(segments[:-1])
        if name in _DL_KEYS and re.match("[0-9]{4}[^/]", segments[i + 1])
    )
    start = next(starts, None)
    if start is None:
        return None
    key, value = _DL_KEYS[segments[start]], segments[start + 1]
    rest = [
        _DL_QUALIFIERS.get(s, s) if i % 2 == 0 else s for i, s in enumerate(segments[start + 2 :])
    ]
    if key == "01":
        digits = len(value) - len(value.lstrip("0123456789"))
        value = "0" * {13: 1, 12: 2, 8: 6}.get(digits, 0) + value
    # A consumer product variant (22) and a lot beside a serial are coarser than the finest
    # level of identification, which is all the hash may depend on.
    variant_follows = key in ("01", "8006") and rest[:1] == ["22"]
    if variant_follows and re.fullmatch(f"[/{_DL_TEXT}]{{0,20}}", "/".join(rest[1:])):
        rest = rest[2:]
    lot_and_serial = key in ("01", "8006") and len(rest) == 4 and rest[::2] == ["10", "21"]
    if lot_and_serial and _DL_SHORT.fullmatch(rest[1]) and _DL_SHORT.fullmatch(rest[3]):
        rest = rest[2:]
    path = "/".join([key, value, *rest])
    return path if _DL_FORMS.fullmatch(path) else None
