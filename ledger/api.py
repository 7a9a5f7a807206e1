"""REST endpoints of the ledger: EPCIS capture and query (after GS1's REST binding), proofs of
entries, and a public check of a proof."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView

from core.api import ApiBlueprint
from core.auth import Principal, Scope, api_auth, current_principal
from core.errors import InvalidInput, PermissionDenied
from core.pagination import decode_cursor, encode_cursor
from core.translatable import N_
from ledger import services
from ledger.models import LedgerBatch, LedgerEntry
from ledger.schemas import (
    CaptureSchema,
    EntryPageSchema,
    EventQueryArgs,
    ProofCheckSchema,
    ProofDocumentSchema,
    ProofSchema,
)
from ledger.verification import ProofDocumentInvalid, verify_proof_document

epcis_api = ApiBlueprint(
    "epcis",
    __name__,
    url_prefix="/api/v1/epcis",
    description="EPCIS 2.0 capture and event queries (after the GS1 REST binding)",
)
ledger_api = ApiBlueprint(
    "ledger",
    __name__,
    url_prefix="/api/v1/ledger",
    description="Proofs that an entry is in a batch anchored on the chain, and their check",
)


def _company(principal: Principal) -> int:
    if principal.company_id is None:
        raise PermissionDenied(N_("Only members of a company capture and read events."))
    return principal.company_id


@epcis_api.route("/capture")
class Capture(MethodView):
    @api_auth(Scope.WRITE)
    @epcis_api.response(202, CaptureSchema)
    def post(self) -> Any:
        """Capture an EPCIS 2.0 document (JSON or JSON-LD): validated against the official
        schema and CBV vocabularies, each event stored once (its event hash ID is the key)."""
        company_id = _company(current_principal())
        request.max_content_length = current_app.config["EPCIS_MAX_DOCUMENT_BYTES"]
        receipt = services.capture(company_id, request.get_data(cache=False))
        return _capture_view(receipt), 202, {"Location": f"/api/v1/epcis/capture/{receipt.id}"}


@epcis_api.route("/capture/<id:capture_id>")
class CaptureStatus(MethodView):
    @api_auth()
    @epcis_api.response(200, CaptureSchema)
    def get(self, capture_id: int) -> Any:
        """The outcome of one of the company's captures."""
        return _capture_view(services.get_capture(_company(current_principal()), capture_id))


def _capture_view(receipt: Any) -> dict[str, Any]:
    return {
        "capture_id": str(receipt.id),
        "event_count": receipt.event_count,
        "new_count": receipt.new_count,
        "created_at": receipt.created_at,
    }


@epcis_api.route("/events")
class Events(MethodView):
    @api_auth()
    @epcis_api.arguments(EventQueryArgs, location="query")
    @epcis_api.response(200, EntryPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Events the company captured or that belong to its orders, oldest first."""
        if (
            args.get("GE_eventTime")
            and args.get("LT_eventTime")
            and args["GE_eventTime"] >= args["LT_eventTime"]
        ):
            raise InvalidInput(
                N_("GE_eventTime must be before LT_eventTime."), field="GE_eventTime"
            )
        limit = args.get("limit") or current_app.config["API_PAGE_SIZE_DEFAULT"]
        query = services.EventQuery(
            identifier=args.get("MATCH_anyEPC"),
            event_type=args.get("eventType"),
            biz_step=args.get("EQ_bizStep"),
            since=args.get("GE_eventTime"),
            until=args.get("LT_eventTime"),
            order_ref=args.get("order"),
        )
        after = decode_cursor(args["cursor"]) if args.get("cursor") else None
        entries = services.query_entries(
            _company(current_principal()), query, after_id=after, limit=limit + 1
        )
        page, more = entries[:limit], len(entries) > limit
        batches = services.batches_of(page)
        return {
            "items": [entry_view(entry, batches.get(entry.batch_number or 0)) for entry in page],
            "next_cursor": encode_cursor(page[-1].id) if more else None,
        }


def entry_view(entry: LedgerEntry, batch: LedgerBatch | None) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.kind.value,
        "hash_id": entry.hash_id,
        "event_type": entry.event_type,
        "event_time": entry.event_time,
        "biz_step": entry.biz_step,
        "disposition": entry.disposition,
        "order": entry.order_ref,
        "package": entry.package_ref,
        "body": entry.body,
        "anchoring": {
            "batch": entry.batch_number,
            "status": batch.status.value if batch else "unbatched",
            "tx_hash": batch.tx_hash if batch else None,
            "block_number": batch.block_number if batch else None,
        },
    }


@ledger_api.route("/entries/<id:entry_id>/proof")
class EntryProof(MethodView):
    @api_auth()
    @ledger_api.response(200, ProofSchema)
    def get(self, entry_id: int) -> Any:
        """The entry with its Merkle proof, the batch root and where the root is anchored."""
        principal = current_principal()
        company = None if principal.is_operator else _company(principal)
        return services.proof_of(services.visible_entry(company, entry_id))


@ledger_api.route("/verify")
class VerifyProof(MethodView):
    @ledger_api.doc(security=[])  # public: anyone holding a proof may check it
    @ledger_api.arguments(ProofDocumentSchema)
    @ledger_api.response(200, ProofCheckSchema)
    def post(self, document: dict[str, Any]) -> Any:
        """Check a proof (no sign-in): the entry gives the leaf, the proof reaches the root, and
        the chain this platform anchors on holds that root for the batch."""
        return check_proof(document).as_dict()


def check_proof(document: dict[str, Any]) -> Any:
    """Raises:
    InvalidInput when the document is not a proof."""

    def read_root(batch_number: int) -> bytes | None:
        return services.ledger_chain().root_of(batch_number)

    try:
        return verify_proof_document(document, read_root)
    except ProofDocumentInvalid as error:
        raise InvalidInput(N_("This is not a proof: %(detail)s"), detail=str(error)) from error
