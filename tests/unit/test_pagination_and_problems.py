"""Cursor encoding and the flattening of validation messages into JSON pointers."""

import base64

import pytest

from core.errors import InvalidInput
from core.pagination import decode_cursor, encode_cursor
from core.problem import field_errors


def test_cursor_round_trips():
    assert decode_cursor(encode_cursor(12345)) == 12345


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        base64.urlsafe_b64encode(b'{"after": "x"}').decode(),
        base64.urlsafe_b64encode(b'{"after": 1e30}').decode(),
        base64.urlsafe_b64encode(b'{"after": -1}').decode(),
        base64.urlsafe_b64encode(b'{"after": true}').decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_malformed_cursors_are_invalid_input(cursor):
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor)
    assert raised.value.field == "cursor"


def test_webargs_messages_become_pointers_per_location():
    messages = {
        "json": {"legal_name": ["Not a valid string."], "roles": {"1": ["Must be one of: buyer."]}},
        "query": {"limit": ["Must be between 1 and 200."]},
    }
    assert field_errors(messages) == [
        {"pointer": "/legal_name", "in": "json", "detail": "Not a valid string."},
        {"pointer": "/roles/1", "in": "json", "detail": "Must be one of: buyer."},
        {"pointer": "/limit", "in": "query", "detail": "Must be between 1 and 200."},
    ]


def test_schema_level_messages_point_at_the_document():
    assert field_errors({"json": {"_schema": ["Invalid input type."]}}) == [
        {"pointer": "", "in": "json", "detail": "Invalid input type."}
    ]


def test_pointer_segments_are_escaped():
    assert field_errors({"json": {"a/b~c": ["bad"]}})[0]["pointer"] == "/a~1b~0c"
