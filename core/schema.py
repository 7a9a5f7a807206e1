"""The base of every API schema."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import marshmallow as ma

NUL = "\x00"


class ApiSchema(ma.Schema):
    """A marshmallow schema that refuses NUL characters anywhere in its input.

    PostgreSQL cannot store NUL in text, and no legitimate value contains one: refusing it here
    gives a 422 pointing at the field instead of a database error.
    """

    @ma.pre_load
    def _refuse_nul_characters(self, data: Any, **kwargs: Any) -> Any:
        messages = _nul_messages(data)
        if messages:
            raise ma.ValidationError(messages)
        return data


def _nul_messages(value: Any) -> Any:
    if isinstance(value, str):
        return ["Text may not contain NUL characters."] if NUL in value else None
    # Keys need no check: a key with NUL is an unknown field, which the schema refuses anyway.
    items: Iterable[tuple[Any, Any]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    found = {key: messages for key, item in items if (messages := _nul_messages(item))}
    return found or None


def dump_attributes(schema_class: type[ma.Schema], record: Any) -> dict[str, Any]:
    """Return the attributes of `record` that `schema_class` dumps, undumped.

    For responses that add a value to a record (a secret shown once) without dumping twice.
    """
    return {
        name: getattr(record, field.attribute or name)
        for name, field in schema_class().dump_fields.items()
    }
