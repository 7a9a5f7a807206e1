"""Validation of captured EPCIS 2.0 documents, offline, against GS1's schema and contexts.

    validator = EpcisValidator.from_directory(settings.EPCIS_REFERENCE_DIR)   # once
    captured = validator.validate_body(request.get_data())                  # per capture
    for event in captured.events: ...  # body, context, event_time (UTC), biz_step, identifiers, ...

A body that is not a valid EPCIS 2.0 document raises `EpcisDocumentInvalid` (400, as the EPCIS
REST binding answers) whose `problems` point at each failing field; one over the capture limits
raises `EpcisDocumentTooLarge` (413). Pure: no Flask, no database, no network.
"""

from ledger.epcis.checks import parse_capture_body
from ledger.epcis.errors import (
    MAX_DOCUMENT_BYTES,
    MAX_EVENTS,
    MAX_NESTING_DEPTH,
    MAX_REPORTED_PROBLEMS,
    EpcisDocumentInvalid,
    EpcisDocumentTooLarge,
    EpcisReferenceUnavailable,
    Problem,
)
from ledger.epcis.facts import (
    BizTransaction,
    CapturedDocument,
    CapturedEvent,
    DocumentType,
    ErrorDeclaration,
    EventType,
    Identifier,
    IdentifierRole,
    SourceOrDestination,
)
from ledger.epcis.reference import EPCIS_CONTEXT_URLS
from ledger.epcis.validator import EpcisValidator

__all__ = [
    "EPCIS_CONTEXT_URLS",
    "MAX_DOCUMENT_BYTES",
    "MAX_EVENTS",
    "MAX_NESTING_DEPTH",
    "MAX_REPORTED_PROBLEMS",
    "BizTransaction",
    "CapturedDocument",
    "CapturedEvent",
    "DocumentType",
    "EpcisDocumentInvalid",
    "EpcisDocumentTooLarge",
    "EpcisReferenceUnavailable",
    "EpcisValidator",
    "ErrorDeclaration",
    "EventType",
    "Identifier",
    "IdentifierRole",
    "Problem",
    "SourceOrDestination",
    "parse_capture_body",
]
