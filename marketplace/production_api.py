"""REST endpoints of the production marketplace: the taxonomy, suppliers' machines and capacity,
buyers' orders with drawings and invitations, quotes, awards, work packages and scorecards.

Every route acts for the token's company and finds only what that company may see; members act
like owners here (the marketplace is daily work, not company administration).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from flask import request, send_file
from flask.views import MethodView
from werkzeug.exceptions import RequestEntityTooLarge

from core.api import ApiBlueprint
from core.auth import Principal, Scope, api_auth, authenticate_request, current_principal
from core.errors import DomainError, NotFound
from core.pagination import CursorArgs, Page
from core.security import admit_large_bodies
from marketplace.domain import CompanyRole
from marketplace.lifecycle import (
    PACKAGE_TRANSITIONS,
    Actor,
    QuoteStatus,
    allowed_transitions,
)
from marketplace.models import CapacityListing, Quote, WorkPackage
from marketplace.production import MAX_ATTACHMENT_BYTES, Allocation
from marketplace.production_schemas import (
    AttachmentSchema,
    AttachmentUploadSchema,
    AwardSchema,
    InvitationRequestSchema,
    ListingPageSchema,
    ListingSchema,
    ListingStatusChangeSchema,
    ListingUpdateSchema,
    MachinePageSchema,
    MachineSchema,
    MachineStatusChangeSchema,
    MachineUpdateSchema,
    MilestoneSchema,
    OpenOrderListArgs,
    OrderCancelSchema,
    OrderCreateSchema,
    OrderListArgs,
    OrderPageSchema,
    OrderSchema,
    OrderUpdateSchema,
    PackageDetailSchema,
    PackageListArgs,
    PackagePageSchema,
    PackageSchema,
    PackageTransitionSchema,
    QuoteDetailSchema,
    QuoteInvitationSchema,
    QuotePageSchema,
    QuoteSchema,
    QuoteTermsSchema,
    ReviewSchema,
    ScorecardSchema,
    StatusChangeSchema,
    TaxonomySchema,
)
from marketplace.services import machines, orders, packages, public_company
from marketplace.services.common import history_of
from marketplace.taxonomy import TAXONOMY

taxonomy_api = ApiBlueprint(
    "taxonomy",
    __name__,
    url_prefix="/api/v1",
    description="Processes, machine kinds and materials: the codes the other routes take",
)
capacity_api = ApiBlueprint(
    "capacity",
    __name__,
    url_prefix="/api/v1",
    description="A supplier's machines and the capacity it lists",
)
orders_api = ApiBlueprint(
    "orders",
    __name__,
    url_prefix="/api/v1",
    description="Orders (RFQs), drawings, invitations, quotes and awards",
)
packages_api = ApiBlueprint(
    "packages",
    __name__,
    url_prefix="/api/v1",
    description="Awarded work: packages, milestones, reviews and supplier scorecards",
)

# The whole multipart body of one drawing: the file plus its part headers and boundaries.
UPLOAD_BODY_LIMIT = MAX_ATTACHMENT_BYTES + 64 * 1024


class _WithFigures:
    """A record seen through the API with figures computed for the response added to it."""

    def __init__(self, record: Any, **figures: Any) -> None:
        self._record = record
        self.__dict__.update(figures)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._record, name)


# --------------------------------------------------------------------------------------------
# Taxonomy
# --------------------------------------------------------------------------------------------


def _taxonomy_document() -> dict[str, Any]:
    material_order = [code for code, _label in TAXONOMY.choices("materials", "en")]
    return {
        "families": [
            {
                "code": family.code,
                "label": family.label,
                "processes": [TAXONOMY.processes[code] for code in family.processes],
            }
            for family in TAXONOMY.families.values()
        ],
        "machine_kinds": list(TAXONOMY.machine_kinds.values()),
        "material_groups": [
            {"code": code, "label": label} for code, label in TAXONOMY.material_groups.items()
        ],
        "materials": [TAXONOMY.materials[code] for code in material_order],
    }


@taxonomy_api.route("/taxonomy")
class TaxonomyResource(MethodView):
    @api_auth()
    @taxonomy_api.response(200, TaxonomySchema)
    def get(self) -> Any:
        """Process families with their processes, machine kinds and materials (English and 中文)."""
        return _taxonomy_document()


# --------------------------------------------------------------------------------------------
# Machines and capacity listings
# --------------------------------------------------------------------------------------------


@capacity_api.route("/machines")
class Machines(MethodView):
    @api_auth()
    @capacity_api.arguments(CursorArgs, location="query")
    @capacity_api.response(200, MachinePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's machines, newest first (supplier companies)."""
        return machines.list_machines(current_principal(), **args)

    @api_auth(Scope.WRITE)
    @capacity_api.arguments(MachineSchema)
    @capacity_api.response(201, MachineSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Register a machine: its kind, processes, materials, work envelope and rate."""
        return machines.register_machine(current_principal(), **body)


@capacity_api.route("/machines/<id:machine_id>")
class MachineResource(MethodView):
    @api_auth()
    @capacity_api.response(200, MachineSchema)
    def get(self, machine_id: int) -> Any:
        """One of the caller's machines."""
        return machines.get_machine(current_principal(), machine_id)

    @api_auth(Scope.WRITE)
    @capacity_api.arguments(MachineUpdateSchema)
    @capacity_api.response(200, MachineSchema)
    def patch(self, changes: dict[str, Any], machine_id: int) -> Any:
        """Change a machine's description, processes, materials or rate (not its kind)."""
        return machines.update_machine(current_principal(), machine_id, changes)


@capacity_api.route("/machines/<id:machine_id>/status")
class MachineStatusChanges(MethodView):
    @api_auth(Scope.WRITE)
    @capacity_api.arguments(MachineStatusChangeSchema)
    @capacity_api.response(200, MachineSchema)
    def post(self, body: dict[str, Any], machine_id: int) -> Any:
        """Send a machine to maintenance, bring it back, or retire it."""
        return machines.change_machine_status(
            current_principal(), machine_id, body["status"], body.get("note", "")
        )


def _listing_view(listing: CapacityListing) -> _WithFigures:
    return _WithFigures(
        listing,
        booked_hours=machines.booked_hours(listing),
        free_hours=machines.listing_free_hours(listing),
    )


@capacity_api.route("/listings")
class Listings(MethodView):
    @api_auth()
    @capacity_api.arguments(CursorArgs, location="query")
    @capacity_api.response(200, ListingPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's capacity listings with booked and free hours, newest first."""
        page = machines.list_listings(current_principal(), **args)
        return Page(
            items=[_listing_view(item) for item in page.items], next_cursor=page.next_cursor
        )

    @api_auth(Scope.WRITE)
    @capacity_api.arguments(ListingSchema)
    @capacity_api.response(201, ListingSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """List free capacity: a weekly calendar of machine-hours, exceptions, price and terms."""
        return _listing_view(machines.create_listing(current_principal(), **body))


@capacity_api.route("/listings/<id:listing_id>")
class ListingResource(MethodView):
    @api_auth()
    @capacity_api.response(200, ListingSchema)
    def get(self, listing_id: int) -> Any:
        """One of the caller's capacity listings with its booked and free hours."""
        return _listing_view(machines.get_listing(current_principal(), listing_id))

    @api_auth(Scope.WRITE)
    @capacity_api.arguments(ListingUpdateSchema)
    @capacity_api.response(200, ListingSchema)
    def patch(self, changes: dict[str, Any], listing_id: int) -> Any:
        """Change a listing's calendar, exceptions, price or terms; booked work must still fit."""
        return _listing_view(machines.update_listing(current_principal(), listing_id, changes))


@capacity_api.route("/listings/<id:listing_id>/status")
class ListingStatusChanges(MethodView):
    @api_auth(Scope.WRITE)
    @capacity_api.arguments(ListingStatusChangeSchema)
    @capacity_api.response(200, ListingSchema)
    def post(self, body: dict[str, Any], listing_id: int) -> Any:
        """Pause, resume or close a listing (fully booked is set by the platform)."""
        listing = machines.change_listing_status(
            current_principal(), listing_id, body["status"], body.get("note", "")
        )
        return _listing_view(listing)


# --------------------------------------------------------------------------------------------
# Orders, drawings and invitations
# --------------------------------------------------------------------------------------------


@orders_api.route("/orders")
class Orders(MethodView):
    @api_auth()
    @orders_api.arguments(OrderListArgs, location="query")
    @orders_api.response(200, OrderPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's orders (buyer companies), newest first, optionally of one status."""
        return orders.list_my_orders(
            current_principal(),
            status=args.get("status"),
            limit=args.get("limit"),
            cursor=args.get("cursor"),
        )

    @api_auth(Scope.WRITE)
    @orders_api.arguments(OrderCreateSchema)
    @orders_api.response(201, OrderSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Draft an order, or post it at once with `publish: true`."""
        publish = body.pop("publish", False)
        return orders.create_order(current_principal(), body, publish=publish)


@orders_api.route("/orders/open")
class OpenOrders(MethodView):
    @api_auth()
    @orders_api.arguments(OpenOrderListArgs, location="query")
    @orders_api.response(200, OrderPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Published orders of other companies that the caller may quote on (suppliers)."""
        return orders.list_open_orders(
            current_principal(),
            process=args.get("process"),
            family=args.get("family"),
            limit=args.get("limit"),
            cursor=args.get("cursor"),
        )


@orders_api.route("/orders/<id:order_id>")
class OrderResource(MethodView):
    @api_auth()
    @orders_api.response(200, OrderSchema)
    def get(self, order_id: int) -> Any:
        """An order: the caller's own, a published one, or one it quoted on or works for."""
        return orders.get_order(current_principal(), order_id)

    @api_auth(Scope.WRITE)
    @orders_api.arguments(OrderUpdateSchema)
    @orders_api.response(200, OrderSchema)
    def patch(self, changes: dict[str, Any], order_id: int) -> Any:
        """Change a draft order."""
        return orders.update_order(current_principal(), order_id, changes)


@orders_api.route("/orders/<id:order_id>/publish")
class OrderPublication(MethodView):
    @api_auth(Scope.WRITE)
    @orders_api.response(200, OrderSchema)
    def post(self, order_id: int) -> Any:
        """Open a draft order for quotes."""
        return orders.publish_order(current_principal(), order_id)


@orders_api.route("/orders/<id:order_id>/cancel")
class OrderCancellation(MethodView):
    @api_auth(Scope.WRITE)
    @orders_api.arguments(OrderCancelSchema)
    @orders_api.response(200, OrderSchema)
    def post(self, body: dict[str, Any], order_id: int) -> Any:
        """Withdraw an order before its award; its open quotes are declined."""
        return orders.cancel_order(current_principal(), order_id, body.get("note", ""))


@orders_api.route("/orders/<id:order_id>/history")
class OrderHistory(MethodView):
    @api_auth()
    @orders_api.response(200, StatusChangeSchema(many=True))
    def get(self, order_id: int) -> Any:
        """The order's status changes, oldest first."""
        order = orders.get_order(current_principal(), order_id)
        return history_of("order", order.id)


def _readable_order(principal: Principal, order_id: int) -> Any:
    """An order whose drawings the caller may read.

    Raises:
        NotFound (OrderNotFound) otherwise: drawings are for the buyer, invited and awarded
        suppliers.
    """
    order = orders.get_order(principal, order_id)
    if not orders.may_read_drawings(principal, order):
        raise NotFound()
    return order


def _stream_size(stream: BinaryIO) -> int:
    position = stream.tell()
    size = stream.seek(0, 2)
    stream.seek(position)
    return size


@orders_api.route("/orders/<id:order_id>/attachments")
class OrderAttachments(MethodView):
    @api_auth()
    @orders_api.response(200, AttachmentSchema(many=True))
    def get(self, order_id: int) -> Any:
        """The order's drawings (for its buyer and for suppliers invited or awarded)."""
        return _readable_order(current_principal(), order_id).attachments

    @api_auth(Scope.WRITE)
    @orders_api.arguments(AttachmentUploadSchema, location="files")
    @orders_api.response(201, AttachmentSchema)
    def post(self, files: dict[str, Any], order_id: int) -> Any:
        """Attach a drawing (multipart/form-data, field `file`; PDF, STEP, DXF, PNG or JPEG)."""
        upload = files["file"]
        if _stream_size(upload.stream) > MAX_ATTACHMENT_BYTES:
            raise RequestEntityTooLarge()
        return orders.add_attachment(
            current_principal(), order_id, upload.filename or "", upload.stream
        )


def _may_upload() -> bool:
    """Only a valid write token's upload gets the larger limit; anyone else's large body is
    refused at the global one (the view's own authentication answers with the right status)."""
    if request.method != "POST":
        return False
    try:
        return authenticate_request().scope is Scope.WRITE
    except DomainError:
        return False


admit_large_bodies(
    orders_api, {f"{orders_api.name}.{OrderAttachments.__name__}"}, UPLOAD_BODY_LIMIT, _may_upload
)


@orders_api.route("/orders/<id:order_id>/attachments/<id:attachment_id>")
class OrderAttachment(MethodView):
    @api_auth()
    @orders_api.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/octet-stream",
        description="The drawing, served with its own media type as a download",
    )
    def get(self, order_id: int, attachment_id: int) -> Any:
        """Download a drawing (for its buyer and for suppliers invited or awarded)."""
        record, stream = orders.open_attachment(current_principal(), order_id, attachment_id)
        response = send_file(
            stream,
            mimetype=record.content_type,
            as_attachment=True,
            download_name=record.filename,
            etag=record.sha256,
            max_age=0,
        )
        response.headers["Cache-Control"] = "private, no-cache"
        return response

    @api_auth(Scope.WRITE)
    @orders_api.response(204)
    def delete(self, order_id: int, attachment_id: int) -> None:
        """Remove a drawing before the award."""
        orders.delete_attachment(current_principal(), order_id, attachment_id)


@orders_api.route("/orders/<id:order_id>/invitations")
class OrderInvitations(MethodView):
    @api_auth(Scope.WRITE)
    @orders_api.arguments(InvitationRequestSchema)
    @orders_api.response(200, QuoteInvitationSchema(many=True))
    def post(self, body: dict[str, Any], order_id: int) -> Any:
        """Invite suppliers to quote (they may then read the drawings); repeats are ignored.

        Answers with every invitation of the order.
        """
        principal = current_principal()
        orders.invite_suppliers(principal, order_id, body["supplier_ids"])
        invitations = orders.get_order(principal, order_id).invitations
        return sorted(invitations, key=lambda invitation: invitation.id)


# --------------------------------------------------------------------------------------------
# Quotes and awards
# --------------------------------------------------------------------------------------------

QUOTE_TERMS = ("listing_id", "unit_price", "quantity", "machine_hours", "lead_time_days")


def _same_terms(quote: Quote, terms: dict[str, Any]) -> bool:
    return (
        all(getattr(quote, name) == terms[name] for name in QUOTE_TERMS)
        and quote.valid_until == terms["valid_until"]
        and quote.note == (terms.get("note") or "").strip()
    )


@orders_api.route("/orders/<id:order_id>/quotes")
class OrderQuotes(MethodView):
    @api_auth()
    @orders_api.response(200, QuoteSchema(many=True))
    def get(self, order_id: int) -> Any:
        """The quotes on one of the caller's orders, cheapest first, then the fastest."""
        return orders.quotes_for_buyer(current_principal(), order_id)


@orders_api.route("/orders/<id:order_id>/quote")
class MyQuote(MethodView):
    @api_auth(Scope.WRITE)
    @orders_api.arguments(QuoteTermsSchema)
    @orders_api.response(200, QuoteSchema, description="The quote was revised (or unchanged)")
    @orders_api.alt_response(
        201, schema=QuoteSchema, description="The quote was created", success=True
    )
    def put(self, terms: dict[str, Any], order_id: int) -> Any:
        """Quote on an open order, or revise the caller's quote (earlier terms are kept).

        Sending the same terms again changes nothing, so a retried request is harmless.
        """
        principal = current_principal()
        order = orders.get_order(principal, order_id)
        current = next(
            (quote for quote in order.quotes if quote.supplier_company_id == principal.company_id),
            None,
        )
        if (
            current is not None
            and current.status is QuoteStatus.SUBMITTED
            and _same_terms(current, terms)
        ):
            return current
        quote = orders.submit_quote(principal, order_id, terms)
        return quote, 200 if current is not None else 201


@orders_api.route("/quotes")
class MyQuotes(MethodView):
    @api_auth()
    @orders_api.arguments(CursorArgs, location="query")
    @orders_api.response(200, QuotePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's quotes (supplier companies), newest first."""
        return orders.list_my_quotes(current_principal(), **args)


@orders_api.route("/quotes/<id:quote_id>")
class QuoteResource(MethodView):
    @api_auth()
    @orders_api.response(200, QuoteDetailSchema)
    def get(self, quote_id: int) -> Any:
        """A quote with its earlier revisions, for its supplier or the order's buyer."""
        return orders.get_quote(current_principal(), quote_id)


@orders_api.route("/quotes/<id:quote_id>/withdraw")
class QuoteWithdrawal(MethodView):
    @api_auth(Scope.WRITE)
    @orders_api.response(200, QuoteSchema)
    def post(self, quote_id: int) -> Any:
        """Withdraw the caller's quote while it is undecided (quoting again resubmits it)."""
        return orders.withdraw_quote(current_principal(), quote_id)


@orders_api.route("/orders/<id:order_id>/award")
class OrderAward(MethodView):
    @api_auth(Scope.WRITE)
    @orders_api.arguments(AwardSchema)
    @orders_api.response(201, PackageSchema(many=True))
    def post(self, body: dict[str, Any], order_id: int) -> Any:
        """Award the order to one quote or split it over several; each share becomes a package.

        The suppliers' hours are booked at once; an order is awarded only once (a repeat is a
        409 order-not-open).
        """
        allocations = [
            Allocation(quote_id=item["quote_id"], quantity=item["quantity"])
            for item in body["allocations"]
        ]
        return orders.award_order(current_principal(), order_id, allocations)


# --------------------------------------------------------------------------------------------
# Work packages, milestones, reviews and scorecards
# --------------------------------------------------------------------------------------------


def _actor_on(principal: Principal, package: WorkPackage) -> Actor:
    if package.supplier_company_id == principal.company_id:
        return Actor.SUPPLIER
    if package.order.buyer_company_id == principal.company_id:
        return Actor.BUYER
    return Actor.OPERATOR


def _package_view(principal: Principal, package: WorkPackage) -> _WithFigures:
    return _WithFigures(
        package,
        history=history_of("package", package.id),
        allowed_transitions=allowed_transitions(
            PACKAGE_TRANSITIONS, package.status, _actor_on(principal, package)
        ),
    )


@packages_api.route("/packages")
class Packages(MethodView):
    @api_auth()
    @packages_api.arguments(PackageListArgs, location="query")
    @packages_api.response(200, PackagePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's work packages as supplier (its work) or as buyer, newest first."""
        role = Actor.SUPPLIER if args["as_role"] == "supplier" else Actor.BUYER
        return packages.list_packages(
            current_principal(), as_role=role, limit=args.get("limit"), cursor=args.get("cursor")
        )


@packages_api.route("/packages/<id:package_id>")
class PackageResource(MethodView):
    @api_auth()
    @packages_api.response(200, PackageDetailSchema)
    def get(self, package_id: int) -> Any:
        """A package with its milestones, review, history and the moves open to the caller."""
        principal = current_principal()
        return _package_view(principal, packages.get_package(principal, package_id))


@packages_api.route("/packages/<id:package_id>/transitions")
class PackageTransitions(MethodView):
    @api_auth(Scope.WRITE)
    @packages_api.arguments(PackageTransitionSchema)
    @packages_api.response(200, PackageDetailSchema)
    def post(self, body: dict[str, Any], package_id: int) -> Any:
        """Move a package along its lifecycle (start, inspect, ship, deliver, accept, dispute).

        Leaving quality check takes the inspection result: passed ships, failed goes back to
        production.
        """
        principal = current_principal()
        package = packages.transition_package(
            principal,
            package_id,
            body["status"],
            note=body.get("note", ""),
            quality_passed=body.get("quality_passed"),
        )
        return _package_view(principal, package)


@packages_api.route("/packages/<id:package_id>/milestones")
class PackageMilestones(MethodView):
    @api_auth(Scope.WRITE)
    @packages_api.arguments(MilestoneSchema)
    @packages_api.response(201, MilestoneSchema)
    def post(self, body: dict[str, Any], package_id: int) -> Any:
        """Report progress and the expected finish (the package's supplier)."""
        return packages.report_progress(current_principal(), package_id, **body)


@packages_api.route("/packages/<id:package_id>/review")
class PackageReview(MethodView):
    @api_auth(Scope.WRITE)
    @packages_api.arguments(ReviewSchema)
    @packages_api.response(201, ReviewSchema)
    def post(self, body: dict[str, Any], package_id: int) -> Any:
        """Rate a package the caller accepted as buyer (once): quality, delivery, communication."""
        return packages.review_package(current_principal(), package_id, **body)


def _is_supplier(company_id: int) -> bool:
    company = public_company(company_id)
    return company is not None and company.has_role(CompanyRole.SUPPLIER)


@packages_api.route("/suppliers/<id:company_id>/scorecard")
class Scorecard(MethodView):
    @api_auth()
    @packages_api.response(200, ScorecardSchema)
    def get(self, company_id: int) -> Any:
        """A supplier's record: on-time, acceptance and dispute rates and its average rating.

        Below three finished packages `enough_history` is false: show "not enough history"
        rather than rates that say more about luck than about the shop.
        """
        if not _is_supplier(company_id):
            raise NotFound()
        scorecard = packages.get_scorecard(company_id)
        enough = packages.has_enough_history(scorecard)
        if scorecard is None:
            return {
                "company_id": company_id,
                "enough_history": False,
                "completed_packages": 0,
                "on_time_rate": None,
                "quality_acceptance_rate": None,
                "dispute_rate": None,
                "average_rating": None,
                "ratings_count": 0,
                "updated_at": None,
            }
        return _WithFigures(scorecard, enough_history=enough)
