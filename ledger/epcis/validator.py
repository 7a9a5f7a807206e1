"""Validate a captured EPCIS 2.0 document and extract the facts of its events."""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from ledger.epcis.checks import Path as FieldPath
from ledger.epcis.checks import (
    context_prefixes,
    duplicate_key_warnings,
    event_problems,
    parse_body,
    resolve_term,
    standard_forms,
    structure_problems,
)
from ledger.epcis.errors import (
    MAX_EVENTS,
    MAX_REPORTED_PROBLEMS,
    EpcisDocumentInvalid,
    Problem,
    too_many_events,
)
from ledger.epcis.facts import (
    EVENT_LIST_PATHS,
    BizTransaction,
    CapturedDocument,
    CapturedEvent,
    DocumentType,
    ErrorDeclaration,
    EventType,
    SourceOrDestination,
    context_entries,
    identifiers_of,
    parse_timestamp,
)
from ledger.epcis.reference import ReferenceData, Vocabulary, load_reference
from ledger.epcis.schema_problems import pointer_to, schema_problems

SUPPORTED_MAJOR_VERSION = "2"
# Most schema errors a validation draws: one field wrong in every event yields several errors per
# event that collapse into one problem, yet thousands of them would only slow the answer down.
MAX_DRAWN_ERRORS = 10 * MAX_REPORTED_PROBLEMS
VERSION = re.compile(r"(\d+)(\.\d+)*")


class EpcisValidator:
    """Validate captured EPCIS 2.0 documents against GS1's schema, contexts and vocabularies.

    Build it once (`from_directory`) and share it: it holds the compiled schema and is safe to use
    from several threads.
    """

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self._vocabularies: dict[tuple[str, ...], Vocabulary] = {
            slot.path: slot.vocabulary for slot in reference.slots
        }

    @classmethod
    def from_directory(cls, directory: str | Path) -> EpcisValidator:
        """Load GS1's schema and contexts from `directory` (the EPCIS_REFERENCE_DIR setting).

        Raises:
            EpcisReferenceUnavailable: the directory, a file, or its content is missing or unusable.
        """
        return cls(load_reference(directory))

    @property
    def context_url(self) -> str:
        """The EPCIS 2.0 context URL documents should name."""
        return self.reference.canonical_context_url

    def validate_body(self, body: bytes) -> CapturedDocument:
        """Parse and validate a capture request body.

        Raises:
            EpcisDocumentTooLarge: more than MAX_DOCUMENT_BYTES or MAX_EVENTS.
            EpcisDocumentInvalid: not a valid EPCIS 2.0 document; `problems` says where and why.
        """
        document, duplicates = parse_body(body)
        captured = self.validate_document(document)
        warnings = duplicate_key_warnings(document, duplicates)
        return dataclasses.replace(captured, warnings=tuple(warnings)) if warnings else captured

    def validate_document(self, document: Any) -> CapturedDocument:
        """Validate a parsed JSON document; return it with its events and their facts.

        Raises:
            EpcisDocumentTooLarge: more than MAX_EVENTS events.
            EpcisDocumentInvalid: not a valid EPCIS 2.0 document; `problems` says where and why.
        """
        if not isinstance(document, dict):
            raise EpcisDocumentInvalid([Problem("", "must be a JSON object (an EPCISDocument)")])
        kind = document.get("type")
        if kind not in frozenset(DocumentType):
            # Anything else would be checked as a custom event type, in a flood of beside-the-point
            # errors; the type alone says what is wrong.
            detail = (
                "is required"
                if "type" not in document
                else "must be EPCISDocument (or EPCISQueryDocument); a single event is captured "
                "in the eventList of an EPCISDocument"
            )
            raise EpcisDocumentInvalid([Problem("/type", detail)])
        document_type = DocumentType(kind)
        events_path = EVENT_LIST_PATHS[document_type]
        events = _at(document, events_path)
        if isinstance(events, list) and len(events) > MAX_EVENTS:
            raise too_many_events(len(events))
        event_list = events if isinstance(events, list) else []

        found = list(structure_problems(document, self.reference))
        found.extend(_version_problems(document))
        prefixes = context_prefixes(document.get("@context"), {}, self.reference)
        scopes = []
        standard: list[tuple[FieldPath, str]] = []
        for index, event in enumerate(event_list):
            path: FieldPath = (*events_path, index)
            scope = prefixes
            if isinstance(event, dict) and "@context" in event:
                scope = context_prefixes(event["@context"], prefixes, self.reference)
            scopes.append(scope)
            found.extend(event_problems(event, path, scope, self.reference))
            standard.extend(standard_forms(event, path, scope, self.reference))

        # Our checks say more precisely what is wrong with a field than the schema does.
        ours = {problem.pointer for problem in found}
        view = _with_terms(document, standard) if standard else document
        reported, truncated = self._schema_problems(
            view, ours, room=MAX_REPORTED_PROBLEMS - len(found)
        )
        found.extend(reported)
        if found:
            ordered = sorted(dict.fromkeys(found), key=_document_order)
            truncated = truncated or len(ordered) > MAX_REPORTED_PROBLEMS
            raise EpcisDocumentInvalid(ordered[:MAX_REPORTED_PROBLEMS], truncated=truncated)

        context = context_entries(document.get("@context"))
        return CapturedDocument(
            document_type=document_type,
            document=document,
            events=tuple(
                self._captured(index, event, (*events_path, index), scope, context)
                for index, (event, scope) in enumerate(zip(event_list, scopes, strict=True))
            ),
        )

    def _schema_problems(
        self, document: Any, ours: set[str], room: int
    ) -> tuple[list[Problem], bool]:
        """Return the schema's problems not on fields we reported, and whether there are more.

        Errors are drawn in batches until `room` problems are found: the schema validator is the
        slow part, and a document wrong in every event need not be checked to its end.
        """
        errors = self.reference.schema_validator.iter_errors(document)
        drawn: list[Any] = []
        problems: list[Problem] = []
        while True:
            batch = list(islice(errors, MAX_REPORTED_PROBLEMS))
            drawn.extend(batch)
            problems = [p for p in schema_problems(drawn) if p.pointer not in ours]
            if len(batch) < MAX_REPORTED_PROBLEMS:
                return problems, False
            if len(problems) >= room or len(drawn) >= MAX_DRAWN_ERRORS:
                return problems, next(errors, None) is not None

    def _captured(
        self,
        index: int,
        event: dict[str, Any],
        path: FieldPath,
        prefixes: Mapping[str, str],
        document_context: tuple[Any, ...],
    ) -> CapturedEvent:
        record_time = event.get("recordTime")
        declaration = event.get("errorDeclaration")
        return CapturedEvent(
            index=index,
            pointer=pointer_to(path),
            event_type=EventType(event["type"]),
            body=event,
            context=document_context + context_entries(event.get("@context")),
            event_time=parse_timestamp(event["eventTime"]),
            event_time_zone_offset=event["eventTimeZoneOffset"],
            record_time=parse_timestamp(record_time) if record_time is not None else None,
            event_id=event.get("eventID"),
            action=event.get("action"),
            biz_step=self._term(("bizStep",), event.get("bizStep"), prefixes),
            disposition=self._term(("disposition",), event.get("disposition"), prefixes),
            read_point=_id_of(event.get("readPoint")),
            biz_location=_id_of(event.get("bizLocation")),
            identifiers=identifiers_of(event),
            biz_transactions=tuple(
                BizTransaction(
                    self._term(("bizTransactionList", "type"), entry.get("type"), prefixes),
                    entry["bizTransaction"],
                )
                for entry in event.get("bizTransactionList", ())
            ),
            sources=self._parties(event, "sourceList", "source", prefixes),
            destinations=self._parties(event, "destinationList", "destination", prefixes),
            error_declaration=(
                ErrorDeclaration(
                    declaration_time=parse_timestamp(declaration["declarationTime"]),
                    reason=self._term(
                        ("errorDeclaration", "reason"), declaration.get("reason"), prefixes
                    ),
                    corrective_event_ids=tuple(declaration.get("correctiveEventIDs", ())),
                )
                if isinstance(declaration, dict)
                else None
            ),
        )

    def _term(self, slot: tuple[str, ...], value: Any, prefixes: Mapping[str, str]) -> str | None:
        if not isinstance(value, str):
            return None
        term, _ = resolve_term(value, self._vocabularies[slot], prefixes, self.reference)
        return term

    def _parties(
        self, event: Mapping[str, Any], field: str, key: str, prefixes: Mapping[str, str]
    ) -> tuple[SourceOrDestination, ...]:
        return tuple(
            SourceOrDestination(
                self._term((field, "type"), entry["type"], prefixes) or "", entry[key]
            )
            for entry in event.get(field, ())
        )


def _version_problems(document: Mapping[str, Any]) -> Iterable[Problem]:
    version = document.get("schemaVersion")
    match = VERSION.fullmatch(version) if isinstance(version, str) else None
    if match and match.group(1) != SUPPORTED_MAJOR_VERSION:
        yield Problem("/schemaVersion", "must be 2.0: this repository captures EPCIS 2.0")


def _at(document: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = document
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node


def _id_of(value: Any) -> str | None:
    identifier = value.get("id") if isinstance(value, dict) else None
    return identifier if isinstance(identifier, str) else None


def _with_terms(document: dict[str, Any], replacements: Iterable[tuple[FieldPath, str]]) -> Any:
    """Return a view of the document with the values at the given paths replaced.

    Only the objects and arrays on the paths are copied (shallowly); the document is unchanged.
    """
    view = dict(document)
    owned = {id(view)}
    for path, value in replacements:
        node: Any = view
        for part in path[:-1]:
            child = node[part]
            if id(child) not in owned:
                child = copy.copy(child)
                node[part] = child
                owned.add(id(child))
            node = child
        node[path[-1]] = value
    return view


def _document_order(problem: Problem) -> tuple[Any, ...]:
    parts = problem.pointer.split("/")[1:]
    return (
        tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts),
        problem.detail,
    )
