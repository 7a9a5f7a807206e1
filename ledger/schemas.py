"""Request and response shapes of the ledger's REST endpoints (marshmallow, for flask-smorest)."""

from __future__ import annotations

import marshmallow as ma

from core.pagination import CursorArgs
from core.schema import ApiSchema


class CaptureSchema(ma.Schema):
    captureID = ma.fields.String(attribute="capture_id")
    eventCount = ma.fields.Integer(attribute="event_count")
    newEventCount = ma.fields.Integer(attribute="new_count")
    createdAt = ma.fields.AwareDateTime(attribute="created_at")
    running = ma.fields.Boolean(dump_default=False)
    success = ma.fields.Boolean(dump_default=True)


class EventQueryArgs(CursorArgs):
    """The EPCIS REST binding's query parameters that the ledger supports."""

    MATCH_anyEPC = ma.fields.String(
        validate=ma.validate.Length(min=1, max=400),
        metadata={"description": "An EPC, class or location the event mentions in any role"},
    )
    eventType = ma.fields.String(
        validate=ma.validate.OneOf(
            [
                "ObjectEvent",
                "AggregationEvent",
                "TransactionEvent",
                "TransformationEvent",
                "AssociationEvent",
            ]
        )
    )
    EQ_bizStep = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    GE_eventTime = ma.fields.AwareDateTime()
    LT_eventTime = ma.fields.AwareDateTime()
    order = ma.fields.Integer(validate=ma.validate.Range(min=1, max=2**31 - 1))


class AnchoringSchema(ma.Schema):
    batch = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(metadata={"description": "unbatched, pending, submitted, confirmed"})
    tx_hash = ma.fields.String(allow_none=True)
    block_number = ma.fields.Integer(allow_none=True)


class EntrySchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    hash_id = ma.fields.String(metadata={"description": "GS1 CBV 2.0 event hash ID (or record ID)"})
    event_type = ma.fields.String()
    event_time = ma.fields.AwareDateTime()
    biz_step = ma.fields.String(allow_none=True)
    disposition = ma.fields.String(allow_none=True)
    order = ma.fields.Integer(allow_none=True)
    package = ma.fields.Integer(allow_none=True)
    body = ma.fields.Dict()
    anchoring = ma.fields.Nested(AnchoringSchema)


class EntryPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EntrySchema), required=True)
    next_cursor = ma.fields.String(allow_none=True)


class ProofSchema(ma.Schema):
    entry = ma.fields.Dict()
    leaf_encoding = ma.fields.List(ma.fields.String())
    value = ma.fields.List(ma.fields.String())
    leaf = ma.fields.String()
    proof = ma.fields.List(ma.fields.String())
    root = ma.fields.String()
    tampered = ma.fields.Boolean()
    batch = ma.fields.Dict()
    chain = ma.fields.Dict()


class ProofDocumentSchema(ApiSchema):
    """A proof as the proof endpoint returns it (other fields are ignored)."""

    class Meta:
        unknown = ma.EXCLUDE

    entry = ma.fields.Dict(required=True)
    leaf = ma.fields.String(required=True, validate=ma.validate.Length(equal=66))
    proof = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(equal=66)),
        required=True,
        validate=ma.validate.Length(max=64),
    )
    root = ma.fields.String(required=True, validate=ma.validate.Length(equal=66))
    batch = ma.fields.Dict(required=True)


class ProofCheckSchema(ma.Schema):
    verified = ma.fields.Boolean()
    entry_matches_leaf = ma.fields.Boolean()
    proof_reaches_root = ma.fields.Boolean()
    root_on_chain = ma.fields.Boolean(allow_none=True)
    chain_note = ma.fields.String()
