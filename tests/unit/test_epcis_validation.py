"""Captured EPCIS 2.0 documents are checked offline against GS1's schema, contexts, vocabularies.

Every official GS1 example is accepted; a rejected document names each failing field by JSON
pointer with a short message. The reference data is read in place from ../shared/external.
"""

from __future__ import annotations

import copy
import json
import shutil
import sys
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.epcis import (
    MAX_DOCUMENT_BYTES,
    MAX_EVENTS,
    MAX_REPORTED_PROBLEMS,
    BizTransaction,
    DocumentType,
    EpcisDocumentInvalid,
    EpcisDocumentTooLarge,
    EpcisReferenceUnavailable,
    EpcisValidator,
    EventType,
    Identifier,
    IdentifierRole,
    Problem,
    SourceOrDestination,
    parse_capture_body,
)
from tests.support import EXTERNAL

REFERENCE = EXTERNAL / "gs1-epcis"
EXAMPLES = REFERENCE / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.jsonld")) if EXAMPLES.is_dir() else []
pytestmark = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason=f"GS1 EPCIS reference data not found at {REFERENCE}"
)

CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EVENT = "/epcisBody/eventList/0"
OBJECT_EVENT = "Example_9.6.1-ObjectEvent.jsonld"
ALL_FIELDS = "WithFullCombinationOfFields__transformation_event_all_possible_fields.jsonld"
BIZ_STEP_HINT = "use a standard term such as 'accepting' or a URI of your own vocabulary"
URI_MESSAGE = "must be an absolute URI (scheme:rest, e.g. urn:epc:id:sgtin:0614141.107346.2017)"


@cache
def validator() -> EpcisValidator:
    return EpcisValidator.from_directory(REFERENCE)


def example(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def first_event(document: dict[str, Any]) -> dict[str, Any]:
    return document["epcisBody"]["eventList"][0]


def problems_of(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(EpcisDocumentInvalid) as raised:
        validator().validate_document(document)
    return [(problem.pointer, problem.detail) for problem in raised.value.problems]


def body_problems(body: bytes) -> list[tuple[str, str]]:
    with pytest.raises(EpcisDocumentInvalid) as raised:
        validator().validate_body(body)
    return [(problem.pointer, problem.detail) for problem in raised.value.problems]


def object_event(**changes: Any) -> dict[str, Any]:
    document = example(OBJECT_EVENT)
    first_event(document).update(changes)
    return document


# --- the official examples ------------------------------------------------------------------------


def test_the_reference_directory_holds_the_32_official_examples():
    assert len(EXAMPLE_FILES) == 32


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda path: path.name)
def test_every_official_example_is_accepted(path):
    body = path.read_bytes()

    captured = validator().validate_body(body)

    sent = json.loads(body)
    assert captured.document_type is DocumentType.EPCIS_DOCUMENT
    assert captured.document == sent
    assert [event.body for event in captured.events] == sent["epcisBody"]["eventList"]
    assert [event.index for event in captured.events] == list(range(len(captured.events)))
    for event in captured.events:
        assert event.pointer == f"/epcisBody/eventList/{event.index}"
        assert event.event_type == event.body["type"]
        assert event.event_time.tzinfo is UTC
        assert event.context[0] == CONTEXT


def test_an_object_event_yields_its_facts():
    captured = validator().validate_document(example(OBJECT_EVENT))

    shipped, received = captured.events
    assert shipped.event_type is EventType.OBJECT_EVENT
    assert shipped.event_time == datetime(2005, 4, 4, 2, 33, 31, 116000, tzinfo=UTC)
    assert shipped.event_time_zone_offset == "-06:00"
    assert shipped.record_time is None
    assert shipped.action == "OBSERVE"
    assert (shipped.biz_step, shipped.disposition) == ("shipping", "in_transit")
    assert shipped.read_point == "urn:epc:id:sgln:0614141.07346.1234"
    assert shipped.biz_location is None
    assert shipped.identifiers == (
        Identifier(IdentifierRole.EPC, "urn:epc:id:sgtin:0614141.107346.2017"),
        Identifier(IdentifierRole.EPC, "urn:epc:id:sgtin:0614141.107346.2018"),
        Identifier(IdentifierRole.READ_POINT, "urn:epc:id:sgln:0614141.07346.1234"),
    )
    # An order is referenced as a `po` business transaction whose value is a URI.
    assert received.biz_transactions == (
        BizTransaction("po", "http://transaction.acme.com/po/12345678"),
        BizTransaction("desadv", "urn:epcglobal:cbv:bt:0614141073467:1152"),
    )
    assert received.transactions_of_type("po") == ("http://transaction.acme.com/po/12345678",)
    assert received.biz_location == "urn:epc:id:sgln:0012345.11111.0"


def test_aggregation_and_transformation_events_name_identifiers_by_role():
    aggregation = validator().validate_document(example("Example_9.6.3-AggregationEvent.jsonld"))
    transformation = validator().validate_document(
        example("Example_9.6.4-TransformationEvent.jsonld")
    )

    roles = {(i.role, i.value) for i in aggregation.events[0].identifiers}
    assert (IdentifierRole.PARENT_ID, "urn:epc:id:sscc:0614141.1234567890") in roles
    assert (IdentifierRole.EPC, "urn:epc:id:sgtin:0614141.107346.2017") in roles
    assert (IdentifierRole.EPC_CLASS, "urn:epc:class:lgtin:4012345.012345.998877") in roles
    assert (IdentifierRole.BIZ_LOCATION, "urn:epc:id:sgln:0614141.00888.0") in roles
    made = transformation.events[0]
    assert made.action is None
    assert [i.value for i in made.identifiers if i.role is IdentifierRole.INPUT_EPC] == [
        "urn:epc:id:sgtin:4012345.011122.25",
        "urn:epc:id:sgtin:4000001.065432.99886655",
    ]
    assert "urn:epc:id:sgtin:4012345.077889.28" in made.mentioned


def test_sources_destinations_and_error_declarations_are_normalised():
    captured = validator().validate_document(
        example("WithFullCombinationOfFields__transaction_event_all_possible_fields.jsonld")
    )

    event = captured.events[0]
    assert event.sources[:2] == (
        SourceOrDestination("location", "urn:epc:id:sgln:4012345.00225.0"),
        SourceOrDestination("possessing_party", "urn:epc:id:pgln:4012345.00225"),
    )
    assert event.destinations[0] == SourceOrDestination(
        "location", "urn:epc:id:sgln:0614141.00777.0"
    )
    assert event.error_declaration is not None
    assert event.error_declaration.reason == "incorrect_data"
    assert event.error_declaration.declaration_time == datetime(2006, 11, 7, 13, 0, tzinfo=UTC)


def test_a_standalone_event_carries_the_context_it_was_sent_in():
    captured = validator().validate_document(example(OBJECT_EVENT))

    standalone = captured.events[1].standalone()

    assert standalone["@context"] == [CONTEXT, {"example": "http://ns.example.com/epcis/"}]
    assert standalone["example:myField"] == "Example of a vendor/user extension"


def test_a_key_twice_in_an_object_keeps_the_last_value_and_warns():
    # Official example AssociationEvent-h has an event with two eventIDs.
    body = (EXAMPLES / "AssociationEvent__AssociationEvent-h.jsonld").read_bytes()

    captured = validator().validate_body(body)

    assert captured.events[0].event_id == "urn:uuid:fd338495-0e6d-41dd-afee-a862ecd32518"
    assert captured.warnings == (
        Problem(
            f"{EVENT}/eventID", "appears more than once in this object; the last value was kept"
        ),
    )


def test_an_empty_event_list_is_valid_as_the_schema_sets_no_minimum():
    document = example(OBJECT_EVENT)
    document["epcisBody"]["eventList"] = []

    captured = validator().validate_document(document)

    assert captured.events == ()


def test_a_query_document_is_accepted_with_its_events():
    document = example(OBJECT_EVENT)
    events = document.pop("epcisBody")["eventList"]
    document["type"] = "EPCISQueryDocument"
    document["epcisBody"] = {
        "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}
    }

    captured = validator().validate_document(document)

    assert captured.document_type is DocumentType.EPCIS_QUERY_DOCUMENT
    assert captured.events[1].pointer == "/epcisBody/queryResults/resultsBody/eventList/1"


# --- vocabularies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "cbv:BizStep-shipping",
    ],
)
def test_a_cbv_term_is_accepted_bare_as_urn_or_web_uri_and_stored_bare(written):
    document = object_event(bizStep=written)
    sent = copy.deepcopy(document)

    captured = validator().validate_document(document)

    assert captured.events[0].biz_step == "shipping"
    assert document == sent  # the schema saw the bare term in a view; the document is untouched


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("https://example.com/steps/deburring", "https://example.com/steps/deburring"),
        ("urn:example:steps:deburring", "urn:example:steps:deburring"),
        ("example:deburring", "http://ns.example.com/epcis/deburring"),
    ],
)
def test_a_user_vocabulary_uri_is_accepted_and_stored_expanded(written, stored):
    captured = validator().validate_document(object_event(bizStep=written))

    assert captured.events[0].biz_step == stored


def test_a_gs1_measurement_type_is_accepted_as_web_uri():
    document = example(ALL_FIELDS)
    report = first_event(document)["sensorElementList"][0]["sensorReport"][0]
    report["type"] = "https://gs1.org/voc/Temperature"

    validator().validate_document(document)


SENSOR_REPORT = f"{EVENT}/sensorElementList/0/sensorReport/0"
SLOTS = [
    # (path to the field in the first event, its pointer, what the vocabulary is, example term)
    (("bizStep",), f"{EVENT}/bizStep", "business step", "accepting"),
    (("disposition",), f"{EVENT}/disposition", "disposition", "active"),
    (("persistentDisposition", "set", 0), f"{EVENT}/persistentDisposition/set/0", "disposition",
     "active"),
    (("persistentDisposition", "unset", 0), f"{EVENT}/persistentDisposition/unset/0",
     "disposition", "active"),
    (("bizTransactionList", 1, "type"), f"{EVENT}/bizTransactionList/1/type",
     "business transaction type", "bol"),
    (("sourceList", 0, "type"), f"{EVENT}/sourceList/0/type", "source/destination type",
     "location"),
    (("destinationList", 2, "type"), f"{EVENT}/destinationList/2/type", "source/destination type",
     "location"),
    (("errorDeclaration", "reason"), f"{EVENT}/errorDeclaration/reason", "error reason",
     "did_not_occur"),
    (("sensorElementList", 0, "sensorReport", 0, "type"), f"{SENSOR_REPORT}/type",
     "measurement type", "AbsoluteHumidity"),
    (("sensorElementList", 0, "sensorReport", 0, "exception"), f"{SENSOR_REPORT}/exception",
     "sensor alert type", "ALARM_CONDITION"),
    (("sensorElementList", 0, "sensorReport", 0, "component"), f"{SENSOR_REPORT}/component",
     "sensor component", "altitude"),
]  # fmt: skip


def with_value(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    document = example(ALL_FIELDS)
    node: Any = first_event(document)
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return document


@pytest.mark.parametrize(("path", "pointer", "name", "term"), SLOTS, ids=lambda v: str(v))
def test_an_unknown_bare_term_is_refused_in_every_vocabulary_field(path, pointer, name, term):
    problems = problems_of(with_value(path, "no_such_term"))

    assert problems == [
        (
            pointer,
            f"is not a known {name}; use a standard term such as {term!r} or a URI of your "
            "own vocabulary",
        )
    ]


@pytest.mark.parametrize(("path", "pointer", "name", "term"), SLOTS, ids=lambda v: str(v))
def test_every_vocabulary_field_must_hold_a_string(path, pointer, name, term):
    assert problems_of(with_value(path, 7)) == [(pointer, "must be a string")]


@pytest.mark.parametrize(
    "written",
    ["urn:epcglobal:cbv:bizstep:shipped", "https://ref.gs1.org/cbv/BizStep-shipped",
     "http://ref.gs1.org/cbv/BizStep-shipped", "cbv:BizStep-shipped"],
)  # fmt: skip
def test_an_unknown_term_in_a_cbv_uri_is_refused(written):
    assert problems_of(object_event(bizStep=written)) == [
        (
            f"{EVENT}/bizStep",
            f"names 'shipped', which is not a standard business step; {BIZ_STEP_HINT}",
        )
    ]


def test_a_cbv_uri_of_another_vocabulary_is_refused():
    assert problems_of(object_event(bizStep="https://ref.gs1.org/cbv/Disp-in_transit")) == [
        (f"{EVENT}/bizStep", f"is a CBV URI but not of a business step; {BIZ_STEP_HINT}")
    ]


BIZ_STEP_TERMS = frozenset(
    json.loads((REFERENCE / "context" / "cbv-context-bizstep.jsonld").read_text())["@context"]
    if REFERENCE.is_dir()
    else ()
)


@given(st.text(max_size=40).filter(lambda text: ":" not in text and text not in BIZ_STEP_TERMS))
def test_any_bare_biz_step_outside_the_cbv_is_refused(text):
    assert problems_of(object_event(bizStep=text)) == [
        (f"{EVENT}/bizStep", f"is not a known business step; {BIZ_STEP_HINT}")
    ]


TOKENS = st.from_regex(r"[A-Za-z0-9._~-]{1,30}", fullmatch=True)


@given(TOKENS, st.sampled_from(["https://example.com/steps/", "urn:example:step:", "tag:acme,"]))
def test_any_uri_of_a_user_vocabulary_is_accepted_as_biz_step(token, namespace):
    captured = validator().validate_document(object_event(bizStep=namespace + token))

    assert captured.events[0].biz_step == namespace + token


@given(
    TOKENS.filter(lambda token: token not in BIZ_STEP_TERMS),
    st.sampled_from(["urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"]),
)
def test_any_cbv_uri_of_an_unknown_biz_step_is_refused(token, namespace):
    assert problems_of(object_event(bizStep=namespace + token)) == [
        (
            f"{EVENT}/bizStep",
            f"names {token!r}, which is not a standard business step; {BIZ_STEP_HINT}",
        )
    ]


# --- times ----------------------------------------------------------------------------------------


def test_a_time_without_offset_is_refused():
    assert problems_of(object_event(eventTime="2005-04-03T20:33:31.116")) == [
        (
            f"{EVENT}/eventTime",
            "must carry a time zone offset or Z, e.g. 2005-04-03T20:33:31.116-06:00",
        )
    ]


@pytest.mark.parametrize("written", ["yesterday", "2005-04-31T20:33:31Z", "2005-04-03 20:33Z"])
def test_a_malformed_date_time_is_refused(written):
    assert problems_of(object_event(eventTime=written)) == [
        (
            f"{EVENT}/eventTime",
            "must be an RFC 3339 date-time with a time zone offset, e.g. "
            "2005-04-03T20:33:31.116-06:00",
        )
    ]


@pytest.mark.parametrize("written", ["+14:30", "01:00", "+1:00", "Z"])
def test_a_malformed_time_zone_offset_is_refused(written):
    assert problems_of(object_event(eventTimeZoneOffset=written)) == [
        (
            f"{EVENT}/eventTimeZoneOffset",
            "must be a time zone offset from -14:00 to +14:00 such as +01:00",
        )
    ]


def test_times_are_stored_in_utc_whatever_their_offset():
    captured = validator().validate_document(
        object_event(eventTime="2024-03-10T08:00:00.5+08:00", recordTime="2024-03-10t00:00:01z")
    )

    assert captured.events[0].event_time == datetime(2024, 3, 10, 0, 0, 0, 500000, tzinfo=UTC)
    assert captured.events[0].record_time == datetime(2024, 3, 10, 0, 0, 1, tzinfo=UTC)


def test_a_time_before_year_one_in_utc_is_refused():
    assert problems_of(object_event(eventTime="0001-01-01T00:00:00+01:00")) == [
        (f"{EVENT}/eventTime", "is too far in the past to store")
    ]


# --- the schema -----------------------------------------------------------------------------------


def test_a_missing_required_field_is_pointed_at():
    document = example(OBJECT_EVENT)
    del first_event(document)["eventTime"]
    del document["creationDate"]

    assert problems_of(document) == [
        ("/creationDate", "is required"),
        (f"{EVENT}/eventTime", "is required"),
    ]


def test_an_action_outside_its_enumeration_is_refused():
    assert problems_of(object_event(action="OBSERVED")) == [
        (f"{EVENT}/action", "must be one of: OBSERVE, ADD, DELETE")
    ]


def test_an_object_event_about_nothing_is_refused():
    document = example(OBJECT_EVENT)
    del first_event(document)["epcList"]

    assert problems_of(document) == [
        (EVENT, "must have epcList, or quantityList, or sensorElementList and readPoint")
    ]


def test_an_aggregation_event_without_children_is_refused_unless_deleting():
    document = example("Example_9.6.3-AggregationEvent.jsonld")
    event = first_event(document)
    del event["childEPCs"]
    del event["childQuantityList"]

    assert problems_of(document) == [
        (EVENT, "must have childEPCs, or childQuantityList, or action DELETE")
    ]


def test_ilmd_outside_an_add_is_refused():
    assert problems_of(object_event(ilmd={"example:lot": "L1"})) == [
        (f"{EVENT}/ilmd", "is only allowed in an ObjectEvent whose action is ADD")
    ]


@pytest.mark.parametrize(
    ("changes", "pointer", "detail"),
    [
        ({"eventTime": 5}, f"{EVENT}/eventTime", "must be a string"),
        ({"epcList": "urn:epc:id:sgtin:0614141.107346.2017"}, f"{EVENT}/epcList",
         "must be an array"),
        ({"epcList": [42]}, f"{EVENT}/epcList/0", "must be a string"),
        ({"readPoint": "urn:epc:id:sgln:0614141.07346.1234"}, f"{EVENT}/readPoint",
         "must be an object"),
        ({"certificationInfo": 5}, f"{EVENT}/certificationInfo",
         "must be an array of absolute URIs or an absolute URI"),
        ({"epcList": ["not a uri"]}, f"{EVENT}/epcList/0", URI_MESSAGE),
        ({"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                            "quantity": "5"}]}, f"{EVENT}/quantityList/0/quantity",
         "must be a number"),
        ({"quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.998877",
                            "quantity": 5, "uom": "kg"}]}, f"{EVENT}/quantityList/0/uom",
         "must be a UN/ECE Recommendation 20 unit code of 2 or 3 capitals or digits (e.g. KGM)"),
        ({"epcList": ["urn:epc:id:sgtin:0614141.107346.2017"] * 2}, f"{EVENT}/epcList",
         "must not hold the same item twice"),
    ],
)  # fmt: skip
def test_a_field_of_the_wrong_type_or_form_is_refused(changes, pointer, detail):
    assert problems_of(object_event(**changes)) == [(pointer, detail)]


def test_a_field_the_schema_does_not_allow_is_pointed_at_by_name():
    document = example(OBJECT_EVENT)
    first_event(document)["bizTransactionList"][0]["note"] = "urgent"
    first_event(document)["colour"] = "red"

    assert problems_of(document) == [
        (f"{EVENT}/bizTransactionList/0/note", "is not allowed here"),
        (
            f"{EVENT}/colour",
            "is not an EPCIS field here; name an extension field prefix:name with the prefix "
            "declared in @context",
        ),
    ]


def test_a_custom_event_type_is_refused():
    assert problems_of(object_event(type="https://example.com/MachineEvent")) == [
        (
            f"{EVENT}/type",
            "is not a supported event type; one of: ObjectEvent, AggregationEvent, "
            "TransactionEvent, TransformationEvent, AssociationEvent",
        )
    ]


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ({"@context": CONTEXT, "type": "ObjectEvent"},
         "must be EPCISDocument (or EPCISQueryDocument); a single event is captured in the "
         "eventList of an EPCISDocument"),
        ({"@context": CONTEXT}, "is required"),
    ],
)  # fmt: skip
def test_a_document_of_another_type_is_refused_on_its_type_alone(document, detail):
    assert problems_of(document) == [("/type", detail)]


def test_a_document_of_another_schema_version_is_refused():
    document = example(OBJECT_EVENT)
    document["schemaVersion"] = "1.2"

    assert problems_of(document) == [
        ("/schemaVersion", "must be 2.0: this repository captures EPCIS 2.0")
    ]


def test_all_problems_are_reported_in_document_order():
    document = example(OBJECT_EVENT)
    events = document["epcisBody"]["eventList"]
    events.extend(copy.deepcopy(events[0]) for _ in range(10))
    events[10]["action"] = "SEEN"
    events[2]["bizStep"] = "walking"
    events[1]["eventTimeZoneOffset"] = "+1"

    assert problems_of(document) == [
        ("/epcisBody/eventList/1/eventTimeZoneOffset",
         "must be a time zone offset from -14:00 to +14:00 such as +01:00"),
        ("/epcisBody/eventList/2/bizStep", f"is not a known business step; {BIZ_STEP_HINT}"),
        ("/epcisBody/eventList/10/action", "must be one of: OBSERVE, ADD, DELETE"),
    ]  # fmt: skip


def test_a_flood_of_problems_is_cut_to_the_first_fifty():
    document = example(OBJECT_EVENT)
    event = first_event(document)
    event["action"] = "SEEN"
    document["epcisBody"]["eventList"] = [event] * 200

    with pytest.raises(EpcisDocumentInvalid) as raised:
        validator().validate_document(document)

    assert len(raised.value.problems) == MAX_REPORTED_PROBLEMS
    assert raised.value.truncated
    assert raised.value.problems[0] == Problem(
        f"{EVENT}/action", "must be one of: OBSERVE, ADD, DELETE"
    )


def test_the_same_document_gets_the_same_problems():
    document = object_event(action="SEEN", bizStep="walking", eventTime="noon")

    assert problems_of(document) == problems_of(copy.deepcopy(document))


# --- contexts and prefixes ------------------------------------------------------------------------

REMOTE = (
    "names the remote context 'https://example.com/epcis-context.jsonld', which is not accepted: "
    f"contexts are never fetched. Use {CONTEXT} and declare your own prefixes in an inline object"
)


def test_an_unknown_remote_context_is_refused():
    document = example(OBJECT_EVENT)
    document["@context"].append("https://example.com/epcis-context.jsonld")

    assert problems_of(document) == [("/@context/2", REMOTE)]


def test_a_remote_context_inside_an_inline_context_is_refused():
    document = example(OBJECT_EVENT)
    document["@context"][1]["@import"] = "https://example.com/epcis-context.jsonld"

    assert problems_of(document) == [("/@context/1/@import", REMOTE)]


def test_the_epcis_context_is_required():
    document = example(OBJECT_EVENT)
    document["@context"] = [{"example": "http://ns.example.com/epcis/"}]

    assert problems_of(document) == [("/@context", f"must include the EPCIS 2.0 context {CONTEXT}")]


def test_the_context_url_of_the_rest_binding_is_known_too():
    document = example(OBJECT_EVENT)
    document["@context"][0] = "https://gs1.github.io/EPCIS/epcis-context.jsonld"

    validator().validate_document(document)


def undeclared(prefix: str) -> str:
    return (
        f"uses the prefix {prefix!r}, which no @context declares; add "
        f'{{"{prefix}": "<namespace URI ending in / or #>"}} to @context'
    )


def test_an_extension_field_with_an_undeclared_prefix_is_refused():
    document = object_event(**{"acme:batch": "B-17"})
    first_event(document)["example:myField"] = {"acme:nested": 1}

    assert problems_of(document) == [
        (f"{EVENT}/acme:batch", undeclared("acme")),
        (f"{EVENT}/example:myField/acme:nested", undeclared("acme")),
    ]


def test_a_prefix_declared_in_an_events_own_context_is_in_scope_there_only():
    document = object_event(**{"acme:batch": "B-17", "@context": {"acme": "https://acme.cn/ns/"}})
    document["epcisBody"]["eventList"][1]["acme:batch"] = "B-18"

    assert problems_of(document) == [("/epcisBody/eventList/1/acme:batch", undeclared("acme"))]


def test_prefixes_of_the_epcis_context_and_absolute_iris_need_no_declaration():
    validator().validate_document(
        object_event(**{"cbvmda:lotNumber": "L1", "https://acme.cn/ns/batch": "B-17"})
    )


# --- the body -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"", "is not valid JSON: Expecting value (line 1, column 1)"),
        (b"<EPCISDocument/>", "is not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"type": "EPCISDocument",}', "is not valid JSON: Expecting property name enclosed in "
         "double quotes (line 1, column 26)"),
        (b"\xff\xfe{}", "is not UTF-8 text (byte 0 cannot be decoded)"),
        (b"[1, 2]", "must be a JSON object (an EPCISDocument)"),
        (b'"EPCISDocument"', "must be a JSON object (an EPCISDocument)"),
        (b'{"quantity": NaN}', "is not valid JSON: NaN is not a JSON number"),
        (b"[" * 100_000 + b"]" * 100_000, "nests deeper than 32 levels"),
    ],
)  # fmt: skip
def test_a_body_that_is_not_one_json_object_is_refused(body, detail):
    assert body_problems(body) == [("", detail)]


def test_numbers_json_does_not_carry_exactly_are_refused():
    document = example(ALL_FIELDS)
    first_event(document)["inputQuantityList"][0]["quantity"] = 2**60
    first_event(document)["ext1:huge"] = "HUGE"
    body = json.dumps(document).replace('"HUGE"', "1e400").encode()

    inexact = "is a number JSON does not carry exactly (at most ±9007199254740991)"
    assert body_problems(body) == [
        (f"{EVENT}/ext1:huge", inexact),
        (f"{EVENT}/inputQuantityList/0/quantity", inexact),
    ]


def test_a_deeply_nested_extension_is_refused():
    nested: Any = "deep"
    for _ in range(40):
        nested = {"example:level": nested}

    problems = problems_of(object_event(**{"example:tree": nested}))

    # The event is at level 4, so the 33rd level is the 28th example:level.
    assert problems == [
        (f"{EVENT}/example:tree" + "/example:level" * 28, "nests deeper than 32 levels")
    ]


def test_a_body_nested_beyond_the_parser_is_refused_even_under_a_raised_recursion_limit():
    # py_ecc (web3's in-process EVM) raises the limit to 100,000 when imported; the C decoder would
    # then overflow the C stack on this body and kill the process instead of raising.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        problems = body_problems(b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    finally:
        sys.setrecursionlimit(limit)

    assert problems == [("", "nests deeper than 32 levels")]


def test_brackets_inside_strings_do_not_count_as_nesting():
    document = object_event(**{"example:note": '[{"' * 1000 + '\\"'})

    captured = validator().validate_body(json.dumps(document).encode())

    assert captured.events[0].body["example:note"].startswith('[{"[{')


def test_a_body_over_the_size_limit_is_refused_before_parsing():
    with pytest.raises(EpcisDocumentTooLarge) as raised:
        parse_capture_body(b" " * (MAX_DOCUMENT_BYTES + 1))

    assert raised.value.status == 413
    assert raised.value.params == {"size": MAX_DOCUMENT_BYTES + 1, "limit": MAX_DOCUMENT_BYTES}


def test_a_document_over_the_event_limit_is_refused_before_validation():
    document = example(OBJECT_EVENT)
    document["epcisBody"]["eventList"] = [{"type": "ObjectEvent"}] * (MAX_EVENTS + 1)

    with pytest.raises(EpcisDocumentTooLarge) as raised:
        validator().validate_document(document)

    assert raised.value.params == {"count": MAX_EVENTS + 1, "limit": MAX_EVENTS}


def test_a_rejection_renders_as_problem_field_errors():
    with pytest.raises(EpcisDocumentInvalid) as raised:
        validator().validate_document(object_event(action="SEEN"))

    assert raised.value.status == 400
    assert raised.value.code == "epcis-validation"
    assert raised.value.field_errors() == [
        {
            "pointer": f"{EVENT}/action",
            "in": "json",
            "detail": "must be one of: OBSERVE, ADD, DELETE",
        }
    ]


# --- reference data -------------------------------------------------------------------------------


def test_a_missing_reference_directory_is_a_clear_error(tmp_path):
    with pytest.raises(EpcisReferenceUnavailable, match="does not exist"):
        EpcisValidator.from_directory(tmp_path / "nowhere")


def test_a_missing_context_file_is_a_clear_error(tmp_path):
    shutil.copytree(REFERENCE / "schema", tmp_path / "schema")
    (tmp_path / "context").mkdir()

    with pytest.raises(EpcisReferenceUnavailable, match=r"epcis-context-root\.jsonld is missing"):
        EpcisValidator.from_directory(tmp_path)


def test_a_missing_vocabulary_file_is_a_clear_error(tmp_path):
    shutil.copytree(REFERENCE / "schema", tmp_path / "schema")
    shutil.copytree(REFERENCE / "context", tmp_path / "context")
    (tmp_path / "context" / "cbv-context-bizstep.jsonld").unlink()

    with pytest.raises(EpcisReferenceUnavailable, match=r"cbv-context-bizstep\.jsonld is missing"):
        EpcisValidator.from_directory(tmp_path)


def test_an_unreadable_schema_is_a_clear_error(tmp_path):
    shutil.copytree(REFERENCE / "context", tmp_path / "context")
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "EPCIS-JSON-Schema.json").write_text("{not json")

    with pytest.raises(EpcisReferenceUnavailable, match="is unreadable"):
        EpcisValidator.from_directory(tmp_path)
