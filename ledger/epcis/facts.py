"""What a validated EPCIS document holds, as plain values for storing and querying.

Each event keeps its body as sent, with the `@context` that gives its prefixes their meaning, and
the facts the ledger queries by: when (aware UTC), what happened (bizStep, disposition as bare CBV
names), what it is about (identifiers by the role an EPCIS query matches them in), where, and the
business transactions it belongs to (an order is a `po` transaction).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from ledger.epcis.errors import Problem


class DocumentType(StrEnum):
    EPCIS_DOCUMENT = "EPCISDocument"
    EPCIS_QUERY_DOCUMENT = "EPCISQueryDocument"


class EventType(StrEnum):
    OBJECT_EVENT = "ObjectEvent"
    AGGREGATION_EVENT = "AggregationEvent"
    TRANSACTION_EVENT = "TransactionEvent"
    TRANSFORMATION_EVENT = "TransformationEvent"
    ASSOCIATION_EVENT = "AssociationEvent"


EVENT_TYPES: Final = frozenset(EventType)
# Where each document type keeps its events.
EVENT_LIST_PATHS: Final = {
    DocumentType.EPCIS_DOCUMENT: ("epcisBody", "eventList"),
    DocumentType.EPCIS_QUERY_DOCUMENT: ("epcisBody", "queryResults", "resultsBody", "eventList"),
}


class IdentifierRole(StrEnum):
    """How an event mentions an identifier, named after the EPCIS query parameter matching it."""

    EPC = "epc"  # epcList, childEPCs (MATCH_epc)
    PARENT_ID = "parentID"
    INPUT_EPC = "inputEPC"
    OUTPUT_EPC = "outputEPC"
    EPC_CLASS = "epcClass"  # quantityList, childQuantityList (MATCH_epcClass)
    INPUT_EPC_CLASS = "inputEPCClass"
    OUTPUT_EPC_CLASS = "outputEPCClass"
    READ_POINT = "readPoint"
    BIZ_LOCATION = "bizLocation"


# Event fields holding identifiers: (field, role, key of the identifier in an entry or None).
IDENTIFIER_FIELDS: Final = (
    ("epcList", IdentifierRole.EPC, None),
    ("childEPCs", IdentifierRole.EPC, None),
    ("parentID", IdentifierRole.PARENT_ID, None),
    ("inputEPCList", IdentifierRole.INPUT_EPC, None),
    ("outputEPCList", IdentifierRole.OUTPUT_EPC, None),
    ("quantityList", IdentifierRole.EPC_CLASS, "epcClass"),
    ("childQuantityList", IdentifierRole.EPC_CLASS, "epcClass"),
    ("inputQuantityList", IdentifierRole.INPUT_EPC_CLASS, "epcClass"),
    ("outputQuantityList", IdentifierRole.OUTPUT_EPC_CLASS, "epcClass"),
    ("readPoint", IdentifierRole.READ_POINT, "id"),
    ("bizLocation", IdentifierRole.BIZ_LOCATION, "id"),
)


@dataclass(frozen=True)
class Identifier:
    role: IdentifierRole
    value: str


@dataclass(frozen=True)
class BizTransaction:
    """A business transaction an event belongs to; `type` is a bare CBV name or a URI."""

    type: str | None
    value: str


@dataclass(frozen=True)
class SourceOrDestination:
    type: str
    value: str


@dataclass(frozen=True)
class ErrorDeclaration:
    """The event declares an earlier event with the same eventID to be in error."""

    declaration_time: datetime
    reason: str | None
    corrective_event_ids: tuple[str, ...]


@dataclass(frozen=True)
class CapturedEvent:
    """One valid event of a captured document and its facts."""

    index: int
    pointer: str
    event_type: EventType
    body: Mapping[str, Any]
    context: tuple[Any, ...]
    event_time: datetime
    event_time_zone_offset: str
    record_time: datetime | None
    event_id: str | None
    action: str | None
    biz_step: str | None
    disposition: str | None
    read_point: str | None
    biz_location: str | None
    identifiers: tuple[Identifier, ...]
    biz_transactions: tuple[BizTransaction, ...]
    sources: tuple[SourceOrDestination, ...]
    destinations: tuple[SourceOrDestination, ...]
    error_declaration: ErrorDeclaration | None

    @property
    def mentioned(self) -> frozenset[str]:
        """Every identifier the event mentions, whatever its role."""
        return frozenset(identifier.value for identifier in self.identifiers)

    def transactions_of_type(self, transaction_type: str) -> tuple[str, ...]:
        """Return the values of the business transactions of a type (e.g. `po` for orders)."""
        return tuple(t.value for t in self.biz_transactions if t.type == transaction_type)

    def standalone(self) -> dict[str, Any]:
        """Return the event as a JSON-LD object of its own, with the `@context` it was sent in."""
        body = {key: value for key, value in self.body.items() if key != "@context"}
        return {"@context": list(self.context), **body}


@dataclass(frozen=True)
class CapturedDocument:
    """A captured document that passed validation, and its events in document order."""

    document_type: DocumentType
    document: Mapping[str, Any]
    events: tuple[CapturedEvent, ...]
    # What the client should fix though the document was accepted (a key twice in an object).
    warnings: tuple[Problem, ...] = ()


def parse_timestamp(value: str) -> datetime:
    """Return an RFC 3339 date-time (which carries its offset) as an aware UTC datetime.

    Raises:
        ValueError: the text is not a date-time with a time zone offset.
        OverflowError: in UTC it falls before year 1.
    """
    # RFC 3339 allows a lower-case t and z; fromisoformat keeps microseconds of longer fractions.
    parsed = datetime.fromisoformat(value.upper())
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone offset")
    return parsed.astimezone(UTC)


def context_entries(context: Any) -> tuple[Any, ...]:
    if context is None:
        return ()
    return tuple(context) if isinstance(context, list) else (context,)


def identifiers_of(event: Mapping[str, Any]) -> tuple[Identifier, ...]:
    """Return the identifiers an event mentions, in field order, each (role, value) once."""
    found: dict[Identifier, None] = {}
    for field, role, key in IDENTIFIER_FIELDS:
        value = event.get(field)
        for item in value if isinstance(value, list) else [value]:
            if key is not None:
                item = item.get(key) if isinstance(item, dict) else None
            if isinstance(item, str):
                found[Identifier(role, item)] = None
    return tuple(found)
