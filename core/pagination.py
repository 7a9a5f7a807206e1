"""Cursor (keyset) pagination: stable under inserts, O(limit) per page at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from flask import current_app
from sqlalchemy import Select

from core.db import MAX_ID, DbSession
from core.errors import InvalidInput
from core.schema import ApiSchema
from core.translatable import N_


class CursorArgs(ApiSchema):
    """Query arguments of every listing: `limit` and the opaque `cursor` of the previous page."""

    limit = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=1, max=200),
        metadata={"description": "Items per page (1–200, default 50)"},
    )
    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=200),
        metadata={"description": "The next_cursor of the previous page"},
    )


def page_schema(item_schema: type[ma.Schema], name: str) -> type[ma.Schema]:
    """Return a schema for a page of `item_schema` items (named for the OpenAPI document)."""
    return type(
        name,
        (ma.Schema,),
        {
            "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
            "next_cursor": ma.fields.String(
                allow_none=True, metadata={"description": "Pass as cursor for the next page"}
            ),
        },
    )


def encode_cursor(after_id: int) -> str:
    raw = json.dumps({"after": after_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """Return the id a cursor points after.

    Raises:
        InvalidInput: if the cursor was not produced by `encode_cursor`.
    """
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = data["after"]
        if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after <= MAX_ID:
            raise ValueError(after)
        return after
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise InvalidInput(
            N_("The cursor is not valid."), field="cursor", location="query"
        ) from None


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def paginate(
    session: DbSession, statement: Select, id_column: Any, *, limit: int | None, cursor: str | None
) -> Page:
    """Return one page of `statement`, newest id first, after `cursor`.

    Raises:
        InvalidInput: for a malformed cursor.
    """
    size = limit or current_app.config["API_PAGE_SIZE_DEFAULT"]
    if cursor:
        statement = statement.where(id_column < decode_cursor(cursor))
    rows = list(session.scalars(statement.order_by(id_column.desc()).limit(size + 1)))
    has_more = len(rows) > size
    rows = rows[:size]
    next_cursor = encode_cursor(rows[-1].id) if has_more and rows else None
    return Page(items=rows, next_cursor=next_cursor)
