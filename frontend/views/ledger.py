"""Following an order through the ledger, and checking proofs.

The tracking page puts an order's work packages (promised vs forecast, progress reports,
inspection, shipment) beside the ledger entries recorded for it, each told in words with its
anchoring on the chain. Each entry's proof can be checked step by step and downloaded; the public
check page takes any proof document, no sign-in needed.

The ledger stores codes (EPCIS bizStep and disposition, record types); they are put into
sentences here, in the reader's language.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import marshmallow as ma
from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import format_number, gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import TextAreaField

from core.auth import Principal
from core.errors import DomainError, InvalidInput
from core.problem import handle_http_exception
from core.security import admit_large_bodies, limiter
from core.translatable import N_
from frontend.views.common import acting_principal, company_required
from ledger import services as ledger_service
from ledger.api import check_proof
from ledger.domain import EntryKind, NotAnchoredYet
from ledger.epcis.checks import PARSER_MAX_DEPTH, nesting_depth
from ledger.models import LedgerBatch, LedgerEntry
from ledger.schemas import ProofDocumentSchema
from ledger.verification import Verification
from marketplace import services
from marketplace.models import Company, Order, WorkPackage
from marketplace.production import OrderNotFound
from marketplace.services import orders as order_service
from marketplace.services.common import history_of

log = logging.getLogger(__name__)

# A proof of one entry is a few kilobytes; a megabyte is far beyond any real one.
MAX_PROOF_BYTES = 1024 * 1024
# The paste and the file may both be sent at the limit; a form adds a little around them.
VERIFY_BODY_LIMIT = 2 * MAX_PROOF_BYTES + 64 * 1024
VERIFY_ENDPOINT = "frontend.verify_submit"
# More entries than any order makes; the page says so if an order ever has more.
TIMELINE_LIMIT = 1000

PACKAGE_URN = "urn:sharefab:package:"

# --- Ledger codes in words ------------------------------------------------------------------

# CBV 2.0 business steps, each as what happened.
BIZ_STEP_LABELS = {
    "accepting": N_("Accepted"),
    "arriving": N_("Arrived"),
    "assembling": N_("Assembled"),
    "collecting": N_("Collected"),
    "commissioning": N_("Commissioned"),
    "consigning": N_("Consigned"),
    "creating_class_instance": N_("Lot created"),
    "cycle_counting": N_("Cycle counted"),
    "decommissioning": N_("Decommissioned"),
    "departing": N_("Departed"),
    "destroying": N_("Destroyed"),
    "disassembling": N_("Disassembled"),
    "dispensing": N_("Dispensed"),
    "encoding": N_("Encoded"),
    "entering_exiting": N_("Entered or left a site"),
    "holding": N_("Put on hold"),
    "inspecting": N_("Inspected"),
    "installing": N_("Installed"),
    "killing": N_("Tag deactivated"),
    "loading": N_("Loaded"),
    "other": N_("Other step"),
    "packing": N_("Packed"),
    "picking": N_("Picked"),
    "receiving": N_("Received"),
    "removing": N_("Removed"),
    "repackaging": N_("Repackaged"),
    "repairing": N_("Repaired"),
    "replacing": N_("Replaced"),
    "reserving": N_("Reserved"),
    "retail_selling": N_("Sold at retail"),
    "sampling": N_("Sampled"),
    "sensor_reporting": N_("Sensor readings reported"),
    "shipping": N_("Shipped"),
    "staging_outbound": N_("Staged for shipping"),
    "stock_taking": N_("Stock taken"),
    "stocking": N_("Stocked"),
    "storing": N_("Stored"),
    "transporting": N_("Transported"),
    "unloading": N_("Unloaded"),
    "unpacking": N_("Unpacked"),
    "void_shipping": N_("Shipment voided"),
}
# CBV 2.0 dispositions: the state the goods are in afterwards.
DISPOSITION_LABELS = {
    "active": N_("active"),
    "available": N_("available"),
    "completeness_inferred": N_("completeness inferred"),
    "completeness_verified": N_("completeness verified"),
    "conformant": N_("conformant"),
    "container_closed": N_("container closed"),
    "container_open": N_("container open"),
    "damaged": N_("damaged"),
    "destroyed": N_("destroyed"),
    "dispensed": N_("dispensed"),
    "disposed": N_("disposed of"),
    "encoded": N_("encoded"),
    "expired": N_("expired"),
    "in_progress": N_("in progress"),
    "in_transit": N_("in transit"),
    "inactive": N_("inactive"),
    "mismatch_class": N_("wrong product"),
    "mismatch_instance": N_("wrong item"),
    "mismatch_quantity": N_("wrong quantity"),
    "needs_replacement": N_("needs replacement"),
    "no_pedigree_match": N_("no pedigree match"),
    "non_conformant": N_("non-conformant"),
    "non_sellable_other": N_("not sellable"),
    "partially_dispensed": N_("partially dispensed"),
    "recalled": N_("recalled"),
    "reserved": N_("reserved"),
    "retail_sold": N_("sold"),
    "returned": N_("returned"),
    "sellable_accessible": N_("sellable, accessible"),
    "sellable_not_accessible": N_("sellable, not accessible"),
    "stolen": N_("stolen"),
    "unavailable": N_("unavailable"),
    "unknown": N_("unknown"),
}
EVENT_TYPE_LABELS = {
    "ObjectEvent": N_("Object event"),
    "AggregationEvent": N_("Aggregation event"),
    "TransactionEvent": N_("Transaction event"),
    "TransformationEvent": N_("Transformation event"),
    "AssociationEvent": N_("Association event"),
}
# What the platform's own events on a work package mean (the ledger's PACKAGE_EVENTS).
PACKAGE_EVENT_SENTENCES = {
    ("commissioning", "active"): N_("Production started"),
    ("inspecting", "conformant"): N_("Inspection passed"),
    ("inspecting", "non_conformant"): N_("Inspection failed"),
    ("shipping", "in_transit"): N_("Shipped (in transit)"),
    ("receiving", "in_progress"): N_("Delivered to the buyer"),
    ("accepting", "in_progress"): N_("Delivery accepted by the buyer"),
}
RECORD_SENTENCES = {
    "package_awarded": N_("Work package awarded"),
    "production_started": N_("Production started"),
    "quality_checked": N_("Quality checked"),
    "package_shipped": N_("Shipped"),
    "package_delivered": N_("Delivered to the buyer"),
    "package_accepted": N_("Delivery accepted by the buyer"),
    "package_disputed": N_("Delivery disputed"),
    "dispute_resolved": N_("Dispute resolved"),
    "package_cancelled": N_("Work package cancelled"),
    "escrow_funded": N_("Payment held in escrow"),
    "escrow_released": N_("Escrow paid out to the supplier"),
    "escrow_refunded": N_("Escrow refunded to the buyer"),
}
# Entries that report a problem: shown with a warning colour.
PROBLEM_DISPOSITIONS = {
    "non_conformant",
    "damaged",
    "destroyed",
    "stolen",
    "recalled",
    "expired",
    "mismatch_class",
    "mismatch_instance",
    "mismatch_quantity",
    "needs_replacement",
}
PROBLEM_RECORDS = {"package_disputed", "package_cancelled", "escrow_refunded"}


def vocabulary_code(value: str | None, prefix: str) -> str | None:
    """The bare CBV code of a bizStep or disposition in any of its spellings.

    EPCIS allows "shipping", "urn:epcglobal:cbv:bizstep:shipping",
    "https://ref.gs1.org/cbv/BizStep-shipping" and the compact "cbv:BizStep-shipping".
    """
    if not value:
        return None
    code = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return code.removeprefix(prefix)


def _step_words(biz_step: str | None, disposition: str | None, event_type: str) -> str:
    step_code = vocabulary_code(biz_step, "BizStep-")
    disposition_code = vocabulary_code(disposition, "Disp-")
    if step_code in BIZ_STEP_LABELS:
        step = gettext(BIZ_STEP_LABELS[step_code])
    elif biz_step:
        step = biz_step  # a company's own vocabulary: its URI is all there is to show
    else:
        step = gettext(EVENT_TYPE_LABELS.get(event_type, event_type))
    if not disposition:
        return step
    if disposition_code in DISPOSITION_LABELS:
        state = gettext(DISPOSITION_LABELS[disposition_code])
    else:
        state = disposition
    return gettext("%(step)s (%(disposition)s)", step=step, disposition=state)


def _names_a_package(body: Mapping[str, Any]) -> bool:
    epcs = body.get("epcList")
    return isinstance(epcs, list) and any(
        isinstance(epc, str) and epc.startswith(PACKAGE_URN) for epc in epcs
    )


def is_record(body: Mapping[str, Any]) -> bool:
    """Whether an entry's body is a record (canonical JSON fact) rather than an EPCIS event."""
    return "eventTime" not in body and isinstance(body.get("type"), str)


def entry_sentence(body: Mapping[str, Any]) -> str:
    """What an entry says happened, in the reader's language: "Shipped (in transit)"."""
    kind = str(body.get("type") or "")
    if is_record(body):
        if kind == "quality_checked" and isinstance(body.get("passed"), bool):
            return gettext("Inspection passed") if body["passed"] else gettext("Inspection failed")
        if kind in RECORD_SENTENCES:
            return gettext(RECORD_SENTENCES[kind])
        return gettext("Record: %(type)s", type=kind)
    biz_step = body.get("bizStep") if isinstance(body.get("bizStep"), str) else None
    disposition = body.get("disposition") if isinstance(body.get("disposition"), str) else None
    pair = (vocabulary_code(biz_step, "BizStep-"), vocabulary_code(disposition, "Disp-"))
    if pair in PACKAGE_EVENT_SENTENCES and _names_a_package(body):
        return gettext(PACKAGE_EVENT_SENTENCES[pair])  # type: ignore[index]
    return _step_words(biz_step, disposition, kind)


def entry_is_problem(body: Mapping[str, Any]) -> bool:
    if is_record(body):
        return body.get("type") in PROBLEM_RECORDS or body.get("passed") is False
    disposition = body.get("disposition")
    return isinstance(disposition, str) and (
        vocabulary_code(disposition, "Disp-") in PROBLEM_DISPOSITIONS
    )


def short_hash(value: object) -> str:
    """0x1234…abcd: enough to recognise a transaction, short enough for a line."""
    if not value:
        return "—"
    if not isinstance(value, str):  # a proof from elsewhere may hold anything here
        value = str(value)
    return value if len(value) <= 14 else f"{value[:6]}…{value[-4:]}"


# --- Who may follow an order ----------------------------------------------------------------


def _takes_part(principal: Principal, order: Order) -> bool:
    """The order's buyer, or a supplier making one of its work packages."""
    company_id = principal.company_id
    if company_id is None:
        return False
    return order.buyer_company_id == company_id or any(
        package.supplier_company_id == company_id for package in order.packages
    )


def tracked_order(principal: Principal, order_id: int) -> Order:
    """The order, if the caller's company buys it or makes part of it.

    Raises:
        OrderNotFound otherwise: another company's order must look like one that does not exist.
    """
    order = order_service.get_order(principal, order_id)
    if not _takes_part(principal, order):
        raise OrderNotFound()
    return order


def _visible_packages(principal: Principal, order: Order) -> list[WorkPackage]:
    """The buyer sees every package; a supplier its own (not its co-suppliers' prices)."""
    if order.buyer_company_id == principal.company_id:
        return list(order.packages)
    return [p for p in order.packages if p.supplier_company_id == principal.company_id]


def followable_entry(principal: Principal, entry_id: int) -> LedgerEntry:
    """An entry the caller's company is a party to, and whose order (if any) it takes part in.

    Raises:
        EntryNotFound / OrderNotFound.
    """
    entry = ledger_service.visible_entry(principal.company_id, entry_id)
    if entry.order_ref is not None:
        tracked_order(principal, entry.order_ref)
    return entry


# --- The tracking page ----------------------------------------------------------------------


@dataclass(frozen=True)
class TrackedEntry:
    """A ledger entry as the timeline shows it."""

    entry: LedgerEntry
    sentence: str
    problem: bool
    batch: LedgerBatch | None
    tampered: bool
    details: list[str]

    @property
    def anchoring(self) -> str:
        """unbatched, pending, submitted or confirmed."""
        return "unbatched" if self.batch is None else self.batch.status.value


def entry_details(entry: LedgerEntry) -> list[str]:
    """What the entry is about, beside what happened: package, pieces, who reported it, kind."""
    details = []
    if entry.package_ref is not None:
        details.append(gettext("Work package #%(id)d", id=entry.package_ref))
    quantity = entry.body.get("quantity")
    if isinstance(quantity, int) and not isinstance(quantity, bool):
        details.append(gettext("%(num)s pcs", num=format_number(quantity)))
    reporter = services.public_company(entry.owner_company_id)
    if reporter is not None:
        details.append(gettext("reported by %(company)s", company=reporter.legal_name))
    details.append(
        gettext("EPCIS event") if entry.kind is EntryKind.EPCIS_EVENT else gettext("Record")
    )
    return details


def _tracked_entries(principal: Principal, order: Order) -> tuple[list[TrackedEntry], bool]:
    """The order's entries the company may see, newest first, and whether some were left out."""
    company_id = principal.company_id
    assert company_id is not None  # tracked_order let only a company through
    entries = ledger_service.query_entries(
        company_id,
        ledger_service.EventQuery(order_ref=order.id),
        after_id=None,
        limit=TIMELINE_LIMIT + 1,
    )
    cut = len(entries) > TIMELINE_LIMIT
    entries = entries[:TIMELINE_LIMIT]
    batches = ledger_service.batches_of(entries)
    tampered = ledger_service.tampered_entry_ids(entries, batches)
    rows = [
        TrackedEntry(
            entry=entry,
            sentence=entry_sentence(entry.body),
            problem=entry_is_problem(entry.body),
            batch=batches.get(entry.batch_number) if entry.batch_number else None,
            tampered=entry.id in tampered,
            details=entry_details(entry),
        )
        for entry in entries
    ]
    rows.sort(key=lambda row: (row.entry.event_time, row.entry.id), reverse=True)
    return rows, cut


@dataclass(frozen=True)
class PackageTrack:
    """One work package's dates, reports, inspection and shipment."""

    package: WorkPackage
    supplier: Company | None
    shipped_at: datetime | None

    @property
    def late(self) -> bool:
        package = self.package
        return bool(package.forecast_date and package.forecast_date > package.promised_date)

    @property
    def milestones(self) -> list[Any]:
        return sorted(self.package.milestones, key=lambda m: m.created_at, reverse=True)


def _shipped_at(package: WorkPackage) -> datetime | None:
    moments = [
        change.created_at
        for change in history_of("package", package.id)
        if change.to_status == "shipped"
    ]
    return max(moments) if moments else None


@company_required
def order_tracking(order_id: int):
    principal = acting_principal()
    order = tracked_order(principal, order_id)
    packages = [
        PackageTrack(
            package=package,
            supplier=services.public_company(package.supplier_company_id),
            shipped_at=_shipped_at(package),
        )
        for package in _visible_packages(principal, order)
    ]
    entries, cut = _tracked_entries(principal, order)
    is_buyer = order.buyer_company_id == principal.company_id
    return render_template(
        "ledger/tracking.html",
        order=order,
        is_buyer=is_buyer,
        packages=packages,
        entries=entries,
        cut=cut,
        tampered_count=sum(1 for row in entries if row.tampered),
        waiting_count=sum(1 for row in entries if row.batch is None),
    )


# --- Checking a proof -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProofCheck:
    """A proof document and what checking it found."""

    document: Mapping[str, Any]
    verification: Verification
    # An in-process chain (the embedded default) is replayed from the database: it shows the
    # mechanics, but only a real node makes the last step independent of ShareFab.
    embedded_chain: bool

    @property
    def batch_number(self) -> int:
        return int(self.document["batch"]["number"])

    @property
    def chain(self) -> Mapping[str, Any]:
        chain = self.document.get("chain")
        return chain if isinstance(chain, Mapping) else {}

    @property
    def entry_body(self) -> Mapping[str, Any]:
        body = self.document["entry"].get("body")
        return body if isinstance(body, Mapping) else {}

    @property
    def sentence(self) -> str:
        return entry_sentence(self.entry_body)

    @property
    def hash_id(self) -> str | None:
        value = self.document["entry"].get("hash_id")
        return value if isinstance(value, str) else None

    @property
    def tampered(self) -> bool:
        """The platform itself said, when it made the proof, that the entry was changed."""
        return self.document.get("tampered") is True

    @property
    def chain_state(self) -> str:
        """passed, failed, missing (no root for the batch) or unknown (the chain not asked)."""
        verification = self.verification
        if verification.root_on_chain is None:
            return "unknown"
        if verification.root_on_chain:
            return "passed"
        return "missing" if verification.chain_note else "failed"


def run_check(document: Mapping[str, Any]) -> ProofCheck:
    """Check a proof document against the entry, the tree and the chain.

    Raises:
        InvalidInput when it is not a proof.
    """
    verification = check_proof(dict(document))
    if verification.root_on_chain is None and verification.chain_note:
        log.warning("proof check without the chain: %s", verification.chain_note)
    return ProofCheck(
        document=document,
        verification=verification,
        embedded_chain=current_app.config["LEDGER_CHAIN_RPC_URL"] is None,
    )


@company_required
def verify_entry(entry_id: int):
    principal = acting_principal()
    entry = followable_entry(principal, entry_id)
    check = None
    problem = None
    try:
        check = run_check(ledger_service.proof_of(entry))
    except NotAnchoredYet:
        pass  # the page says to come back once the batch is anchored
    except (InvalidInput, ValueError):
        # The stored entry is no longer canonical JSON: it was altered after it was sealed.
        problem = gettext("Tampered — this entry no longer matches what was anchored.")
    order = tracked_order(principal, entry.order_ref) if entry.order_ref is not None else None
    return render_template(
        "ledger/entry_check.html",
        entry=entry,
        order=order,
        sentence=entry_sentence(entry.body),
        check=check,
        problem=problem,
        reported_by=services.public_company(entry.owner_company_id),
    )


@company_required
def entry_proof(entry_id: int):
    entry = followable_entry(acting_principal(), entry_id)
    document = ledger_service.proof_of(entry)  # NotAnchoredYet: a 409 page says to wait
    body = json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="sharefab-proof-{entry.id}.json"',
            "Cache-Control": "no-store",
        },
    )


# --- The public check -----------------------------------------------------------------------


class ProofForm(FlaskForm):
    proof = TextAreaField()
    file = FileField()


class NotAProof(ValueError):
    """The input cannot be checked; the message is for the reader."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _submitted_text(form: ProofForm) -> str:
    """The proof the visitor uploaded or pasted (the file wins when both are given).

    Raises:
        NotAProof for nothing at all, too much, or bytes that are not UTF-8 text.
    """
    upload = form.file.data
    if upload is not None and getattr(upload, "filename", ""):
        raw = upload.stream.read(MAX_PROOF_BYTES + 1)
        source = "file"
    else:
        raw = (form.proof.data or "").encode("utf-8", errors="surrogatepass")
        source = "text"
    if len(raw) > MAX_PROOF_BYTES:
        raise NotAProof(too_large_message())
    if not raw.strip():
        raise NotAProof(gettext("Paste a proof or choose a proof file first."))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if source == "file":
            raise NotAProof(gettext("This file is not text: a proof is a JSON file.")) from None
        raise NotAProof(gettext("This text cannot be read; paste the proof again.")) from None


def too_large_message() -> str:
    return gettext(
        "This is larger than 1 MB; a proof is a few kilobytes. "
        "Check that you chose the proof file that ShareFab gave you."
    )


def parse_proof(text: str) -> dict[str, Any]:
    """The proof document in the text.

    Raises:
        NotAProof when it is not JSON or not shaped like a proof.
    """
    # Refused before parsing, as EPCIS capture does: should the EVM's libraries have raised the
    # recursion limit, deep nesting would overflow the C stack inside the JSON decoder.
    not_json = gettext(
        "This is not JSON: a proof is the JSON document ShareFab gives for an entry."
    )
    if text.count("[") + text.count("{") > PARSER_MAX_DEPTH and (
        nesting_depth(text) > PARSER_MAX_DEPTH
    ):
        raise NotAProof(not_json)
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise NotAProof(
            gettext(
                "This is not JSON (line %(line)d, column %(column)d): "
                "a proof is the JSON document ShareFab gives for an entry.",
                line=error.lineno,
                column=error.colno,
            )
        ) from None
    except (ValueError, RecursionError):
        raise NotAProof(not_json) from None
    if not isinstance(document, dict):
        raise NotAProof(not_a_proof_message())
    try:
        ProofDocumentSchema().load(document)
    except ma.ValidationError as error:
        fields = sorted(str(name) for name in error.normalized_messages())
        raise NotAProof(
            gettext(
                "This JSON is not a proof: %(fields)s missing or malformed.",
                fields=", ".join(fields),
            )
        ) from None
    number = document["batch"].get("number")
    for field, good in (
        ("entry.body", isinstance(document["entry"].get("body"), dict)),
        (
            "batch.number",
            isinstance(number, int) and not isinstance(number, bool) and 1 <= number < 2**63,
        ),
    ):
        if not good:
            raise NotAProof(
                gettext("This JSON is not a proof: %(fields)s missing or malformed.", fields=field)
            )
    return document


def not_a_proof_message() -> str:
    return gettext(
        "This is not a proof: a proof names an entry, its leaf, the Merkle proof, the root "
        "and the batch."
    )


def _render_public(form: ProofForm, *, check=None, problem=None, status: int = 200):
    return (
        render_template(
            "ledger/verify.html",
            form=form,
            check=check,
            problem=problem,
            max_bytes=MAX_PROOF_BYTES,
        ),
        status,
    )


def verify_page():
    return _render_public(ProofForm(formdata=None))


@limiter.limit("30 per minute;300 per hour", methods=["POST"])
def verify_submit():
    form = ProofForm()
    if not form.validate_on_submit():  # only the CSRF token can fail here
        return _render_public(form, problem=gettext("The form expired; send it again."), status=400)
    try:
        document = parse_proof(_submitted_text(form))
        check = run_check(document)
    except NotAProof as error:
        return _render_public(form, problem=str(error), status=422)
    except InvalidInput as error:
        log.info("proof refused by the checker: %s", error)
        return _render_public(form, problem=not_a_proof_message(), status=422)
    except RecursionError:
        return _render_public(form, problem=not_a_proof_message(), status=422)
    # The check is shown; the pasted text is not sent back (it can be a megabyte).
    form.proof.data = ""
    return _render_public(form, check=check)


def _too_large(error: RequestEntityTooLarge):
    """Beyond even the raised limit: say so on the check page; other pages as before."""
    if request.endpoint != VERIFY_ENDPOINT:
        return handle_http_exception(error)
    return _render_public(ProofForm(formdata=None), problem=too_large_message(), status=413)


def _may_follow(order: Order) -> bool:
    """For links: whether the signed-in user's company may open the order's tracking page."""
    if not current_user.is_authenticated or current_user.company_id is None:
        return False
    try:
        return _takes_part(acting_principal(), order)
    except DomainError:
        return False


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/orders/<id:order_id>/tracking", view_func=order_tracking)
    blueprint.add_url_rule("/ledger/entries/<id:entry_id>/verify", view_func=verify_entry)
    blueprint.add_url_rule("/ledger/entries/<id:entry_id>/proof.json", view_func=entry_proof)
    blueprint.add_url_rule("/verify", view_func=verify_page)
    blueprint.add_url_rule("/verify", view_func=verify_submit, methods=["POST"])
    admit_large_bodies(blueprint, {VERIFY_ENDPOINT}, VERIFY_BODY_LIMIT)
    blueprint.register_error_handler(RequestEntityTooLarge, _too_large)
    blueprint.add_app_template_global(_may_follow, "may_follow_order")
    blueprint.add_app_template_filter(short_hash, "short_hash")
