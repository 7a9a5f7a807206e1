"""Marshmallow schemas of the production API: taxonomy, machines, capacity listings, orders,
drawings, quotes, awards, work packages, reviews and scorecards.

The ranges here repeat the services' rules on purpose: absurd input is a 422 pointing at the
field before any service runs, and nothing a schema lets through can overflow a column.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import marshmallow as ma
from marshmallow import validate
from werkzeug.datastructures import FileStorage

from core.db import MAX_ID, utcnow
from core.money import Currency
from core.pagination import CursorArgs, page_schema
from core.schema import ApiSchema
from marketplace.capacity import MAX_HOURS_PER_DAY
from marketplace.domain import CertificationStandard
from marketplace.lifecycle import (
    ListingStatus,
    MachineStatus,
    OrderStatus,
    PackageStatus,
    QuoteStatus,
)
from marketplace.production import (
    MAX_ENVELOPE_MM,
    MAX_LEAD_TIME_DAYS,
    MAX_QUANTITY,
    MAX_TOLERANCE_MM,
    MIN_TOLERANCE_MM,
    RateUnit,
)
from marketplace.taxonomy import TAXONOMY

# Nothing real costs more than this per machine-hour or per piece; it also keeps every total
# (price × quantity) well inside the Numeric(18, 4) money columns.
MAX_UNIT_PRICE = Decimal("1000000")
MAX_MACHINE_HOURS = Decimal("100000")
MAX_QUOTE_VALIDITY_DAYS = 180
# A listing covers at most two years, so it cannot have more exceptional days than that.
MAX_LISTING_EXCEPTIONS = 731
MAX_NOTE = 1000
MIN_MINUTES_PER_PIECE = Decimal("0.01")
MAX_MINUTES_PER_PIECE = Decimal("100000")

PROCESS_CODES = tuple(TAXONOMY.processes)
MATERIAL_CODES = tuple(TAXONOMY.materials)
FAMILY_CODES = tuple(TAXONOMY.families)
MACHINE_KIND_CODES = tuple(TAXONOMY.machine_kinds)
CERTIFICATION_CODES = tuple(standard.value for standard in CertificationStandard)


def _id(**kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _count(maximum: int = MAX_QUANTITY, minimum: int = 1, **kwargs: Any) -> ma.fields.Integer:
    return ma.fields.Integer(
        strict=True, validate=validate.Range(min=minimum, max=maximum), **kwargs
    )


def _decimal(
    places: int, minimum: Decimal, maximum: Decimal, *, above: bool = False, **kwargs: Any
) -> ma.fields.Decimal:
    """A decimal number, returned as a string (a JSON number is accepted on the way in).

    Documented as a string: the range is checked here rather than by `validate.Range`, whose
    Decimal bounds would make the OpenAPI document invalid.
    """
    lower = "more than" if above else "at least"
    message = f"Must be {lower} {minimum} and at most {maximum}."

    def check(value: Decimal) -> None:
        if value < minimum or (above and value == minimum) or value > maximum:
            raise ma.ValidationError(message)

    metadata = dict(kwargs.pop("metadata", {}))
    bounds = f"{lower} {minimum} and at most {maximum}"
    metadata["description"] = (
        f"{metadata['description']}; {bounds}" if "description" in metadata else bounds
    )
    metadata.update(type="string", format="decimal", pattern=rf"^[0-9]+(\.[0-9]{{1,{places}}})?$")
    return ma.fields.Decimal(
        as_string=True, places=places, validate=check, metadata=metadata, **kwargs
    )


def decimal_out(places: int, description: str = "", **kwargs: Any) -> ma.fields.Decimal:
    """A decimal figure in a response, as a string."""
    metadata = {"type": "string", "format": "decimal"}
    if description:
        metadata["description"] = description
    return ma.fields.Decimal(
        as_string=True, places=places, dump_only=True, metadata=metadata, **kwargs
    )


def _money(**kwargs: Any) -> ma.fields.Decimal:
    """An amount of money (4 places), more than zero."""
    return _decimal(4, Decimal(0), MAX_UNIT_PRICE, above=True, **kwargs)


def _hours(maximum: Decimal = MAX_HOURS_PER_DAY, **kwargs: Any) -> ma.fields.Decimal:
    return _decimal(2, Decimal(0), maximum, **kwargs)


def _millimetres(**kwargs: Any) -> ma.fields.Integer:
    return _count(MAX_ENVELOPE_MM, **kwargs)


def _tolerance(**kwargs: Any) -> ma.fields.Decimal:
    return _decimal(4, MIN_TOLERANCE_MM, MAX_TOLERANCE_MM, **kwargs)


def _text(maximum: int, minimum: int = 0, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(min=minimum, max=maximum), **kwargs)


def _code(codes: tuple[str, ...], what: str, **kwargs: Any) -> ma.fields.String:
    return ma.fields.String(
        validate=validate.OneOf(codes, error=f"Unknown {what}; see GET /api/v1/taxonomy."),
        **kwargs,
    )


class PatchSchema(ApiSchema):
    """Changes to a record: any subset of its fields; nothing required, no defaults filled in."""

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        field_obj.required = False
        field_obj.load_default = ma.missing


# --------------------------------------------------------------------------------------------
# Taxonomy (read only)
# --------------------------------------------------------------------------------------------


class _Labelled(ApiSchema):
    code = ma.fields.String()
    name_en = ma.fields.String(attribute="label.en")
    name_zh = ma.fields.String(attribute="label.zh")


class TaxonomyProcessSchema(_Labelled):
    family = ma.fields.String()
    billing = ma.fields.String(metadata={"description": "machine_hour, piece or value"})
    tolerance_mm = ma.fields.Float(metadata={"description": "Typical best tolerance (a hint)"})
    any_material = ma.fields.Boolean()


class TaxonomyFamilySchema(_Labelled):
    processes = ma.fields.List(ma.fields.Nested(TaxonomyProcessSchema))


class MachineAttributeSchema(_Labelled):
    required = ma.fields.Boolean()
    minimum = ma.fields.Float()
    maximum = ma.fields.Float()


class MachineKindSchema(_Labelled):
    processes = ma.fields.List(ma.fields.String(), metadata={"description": "Process codes"})
    attributes = ma.fields.List(ma.fields.Nested(MachineAttributeSchema))


class MaterialGroupSchema(_Labelled):
    pass


class MaterialSchema(_Labelled):
    group = ma.fields.String()
    processes = ma.fields.List(
        ma.fields.String(), metadata={"description": "Processes that usually work it"}
    )


class TaxonomySchema(ApiSchema):
    families = ma.fields.List(ma.fields.Nested(TaxonomyFamilySchema))
    machine_kinds = ma.fields.List(ma.fields.Nested(MachineKindSchema))
    material_groups = ma.fields.List(ma.fields.Nested(MaterialGroupSchema))
    materials = ma.fields.List(ma.fields.Nested(MaterialSchema))


# --------------------------------------------------------------------------------------------
# Machines and capacity listings
# --------------------------------------------------------------------------------------------


def _at_most_30_entries(value: dict[str, Any]) -> None:
    if len(value) > 30:
        raise ma.ValidationError("At most 30 attributes.")


class MachineSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    kind = _code(MACHINE_KIND_CODES, "machine kind", required=True)
    name = _text(120, 1, required=True)
    brand = _text(80)
    model = _text(80)
    year = ma.fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1900, max=2100)
    )
    processes = ma.fields.List(
        _code(PROCESS_CODES, "process"), required=True, validate=validate.Length(min=1, max=50)
    )
    materials = ma.fields.List(
        _code(MATERIAL_CODES, "material"), load_default=list, validate=validate.Length(max=100)
    )
    attributes = ma.fields.Dict(
        keys=_text(40, 1),
        values=ma.fields.Float(),
        validate=_at_most_30_entries,
        metadata={
            "description": "Values of the machine kind's attributes, by attribute code",
            "maxProperties": 30,
        },
    )
    envelope_x_mm = _millimetres(required=True)
    envelope_y_mm = _millimetres(required=True)
    envelope_z_mm = _millimetres(required=True)
    tolerance_mm = _tolerance(required=True)
    rate_amount = _money(required=True)
    rate_currency = ma.fields.Enum(Currency, by_value=True, required=True)
    rate_unit = ma.fields.Enum(RateUnit, by_value=True, required=True)
    status = ma.fields.Enum(MachineStatus, by_value=True, dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class MachineUpdateSchema(PatchSchema, MachineSchema):
    """Changes to a machine; its kind is fixed."""

    class Meta:
        exclude = ("kind",)


class MachineStatusChangeSchema(ApiSchema):
    status = ma.fields.Enum(MachineStatus, by_value=True, required=True)
    note = _text(MAX_NOTE)


class ListingStatusChangeSchema(ApiSchema):
    status = ma.fields.Enum(ListingStatus, by_value=True, required=True)
    note = _text(MAX_NOTE)


class ListingExceptionSchema(ApiSchema):
    day = ma.fields.Date(required=True)
    hours = _hours(required=True)
    note = _text(200)


class ListingSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    machine_id = _id(
        allow_none=True,
        metadata={"description": "The machine whose hours these are; none for a process group"},
    )
    title = _text(200, 1, required=True)
    processes = ma.fields.List(
        _code(PROCESS_CODES, "process"),
        validate=validate.Length(max=50),
        metadata={"description": "Default: the machine's processes"},
    )
    materials = ma.fields.List(
        _code(MATERIAL_CODES, "material"),
        validate=validate.Length(max=100),
        metadata={"description": "Default: the machine's materials"},
    )
    weekday_hours = ma.fields.List(
        _hours(),
        required=True,
        validate=validate.Length(equal=7),
        metadata={"description": "Machine-hours offered Monday to Sunday (7 decimal strings)"},
    )
    exceptions = ma.fields.List(
        ma.fields.Nested(ListingExceptionSchema),
        validate=validate.Length(max=MAX_LISTING_EXCEPTIONS),
        metadata={"description": "Days whose hours differ from the week (holidays, overtime)"},
    )
    start_date = ma.fields.Date(required=True)
    end_date = ma.fields.Date(required=True)
    price_amount = _money(required=True)
    price_currency = ma.fields.Enum(Currency, by_value=True, required=True)
    price_unit = ma.fields.Enum(RateUnit, by_value=True, required=True)
    min_lot = _count()
    lead_time_days = _count(MAX_LEAD_TIME_DAYS, 0, required=True)
    status = ma.fields.Enum(ListingStatus, by_value=True, dump_only=True)
    hours_per_week = decimal_out(2, "Hours a week without the exceptions")
    booked_hours = decimal_out(2, "Hours held by open work packages")
    free_hours = decimal_out(2, "Hours still offered from today to the end, after bookings")
    created_at = ma.fields.AwareDateTime(dump_only=True)

    @ma.validates_schema
    def _check_calendar(self, data: dict[str, Any], **kwargs: Any) -> None:
        hours = data.get("weekday_hours")
        if hours is not None and len(hours) == 7 and sum(hours) <= 0:
            raise ma.ValidationError("Offer at least some hours in the week.", "weekday_hours")
        start, end = data.get("start_date"), data.get("end_date")
        if start is not None and end is not None:
            if end < start:
                raise ma.ValidationError("The end date is before the start date.", "end_date")
            if (end - start).days > 731:
                raise ma.ValidationError("A listing can cover at most two years.", "end_date")
        if end is not None and end < utcnow().date():
            raise ma.ValidationError("The end date is in the past.", "end_date")


class ListingUpdateSchema(PatchSchema, ListingSchema):
    """Changes to a listing's calendar, price or terms; its machine and processes are fixed."""

    class Meta:
        exclude = ("machine_id", "processes", "materials")


# --------------------------------------------------------------------------------------------
# Orders, drawings and invitations
# --------------------------------------------------------------------------------------------


class OrderSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    buyer_company_id = ma.fields.Integer(dump_only=True)
    title = _text(200, 1, required=True)
    description = _text(5000)
    process = _code(PROCESS_CODES, "process", required=True)
    material = _code(MATERIAL_CODES, "material", required=True)
    quantity = _count(required=True)
    tolerance_mm = _tolerance(required=True)
    part_x_mm = _millimetres(required=True)
    part_y_mm = _millimetres(required=True)
    part_z_mm = _millimetres(required=True)
    required_certifications = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(CERTIFICATION_CODES)),
        validate=validate.Length(max=len(CERTIFICATION_CODES)),
    )
    due_date = ma.fields.Date(required=True, metadata={"description": "A day in the future"})
    target_unit_price = _money(allow_none=True)
    currency = ma.fields.Enum(Currency, by_value=True, required=True)
    delivery_province = _text(100)
    delivery_city = _text(100, 1, required=True)
    splittable = ma.fields.Boolean(
        metadata={"description": "Whether several suppliers may share the quantity"}
    )
    min_lot = _count(metadata={"description": "The smallest share one supplier may get"})
    minutes_per_piece = _decimal(
        2,
        MIN_MINUTES_PER_PIECE,
        MAX_MINUTES_PER_PIECE,
        allow_none=True,
        metadata={
            "description": (
                "Your estimate of machine-minutes per piece (matching guesses from the part's "
                "size without it)"
            )
        },
    )
    status = ma.fields.Enum(OrderStatus, by_value=True, dump_only=True)
    published_at = ma.fields.AwareDateTime(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)

    @ma.post_load
    def _certifications_as_a_set(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        # A set in a list: repeats mean nothing, and drafts and their edits store it alike.
        if "required_certifications" in data:
            data["required_certifications"] = sorted(set(data["required_certifications"]))
        return data

    @ma.validates_schema
    def _check_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "due_date" in data and data["due_date"] <= utcnow().date():
            raise ma.ValidationError("The due date must be in the future.", "due_date")
        if "min_lot" in data and "quantity" in data and data["min_lot"] > data["quantity"]:
            raise ma.ValidationError("The minimum lot cannot exceed the quantity.", "min_lot")


class OrderCreateSchema(OrderSchema):
    publish = ma.fields.Boolean(
        load_only=True, metadata={"description": "Publish at once instead of keeping a draft"}
    )


class OrderUpdateSchema(PatchSchema, OrderSchema):
    """Changes to a draft order."""


class OrderListArgs(CursorArgs):
    status = ma.fields.Enum(OrderStatus, by_value=True)


class OpenOrderListArgs(CursorArgs):
    process = _code(PROCESS_CODES, "process")
    family = _code(FAMILY_CODES, "process family")


class OrderCancelSchema(ApiSchema):
    note = _text(MAX_NOTE)


class StatusChangeSchema(ApiSchema):
    from_status = ma.fields.String(dump_only=True, allow_none=True)
    to_status = ma.fields.String(dump_only=True)
    actor_role = ma.fields.String(
        dump_only=True, metadata={"description": "buyer, supplier, operator or system"}
    )
    note = ma.fields.String(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


def _check_upload(value: Any) -> None:
    if not isinstance(value, FileStorage):
        raise ma.ValidationError("Send the drawing as a file part of a multipart/form-data body.")


class AttachmentUploadSchema(ApiSchema):
    file = ma.fields.Raw(
        required=True,
        validate=_check_upload,
        metadata={
            "type": "string",
            "format": "binary",
            "description": "A PDF, STEP, DXF, PNG or JPEG drawing of at most 20 MB",
        },
    )


class AttachmentSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    filename = ma.fields.String(dump_only=True)
    content_type = ma.fields.String(dump_only=True)
    size_bytes = ma.fields.Integer(dump_only=True)
    sha256 = ma.fields.String(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class InvitationRequestSchema(ApiSchema):
    supplier_ids = ma.fields.List(_id(), required=True, validate=validate.Length(min=1, max=50))


class QuoteInvitationSchema(ApiSchema):
    supplier_company_id = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


# --------------------------------------------------------------------------------------------
# Quotes and awards
# --------------------------------------------------------------------------------------------


class QuoteTermsSchema(ApiSchema):
    listing_id = _id(required=True, metadata={"description": "The caller's capacity listing"})
    unit_price = _money(required=True)
    quantity = _count(required=True)
    machine_hours = _decimal(
        2,
        Decimal("0.01"),
        MAX_MACHINE_HOURS,
        required=True,
        metadata={"description": "Machine-hours the quoted quantity needs"},
    )
    lead_time_days = _count(MAX_LEAD_TIME_DAYS, 0, required=True)
    valid_until = ma.fields.Date(
        required=True, metadata={"description": "From today to 180 days ahead"}
    )
    note = _text(2000)

    @ma.validates_schema
    def _check_terms(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "valid_until" in data:
            today = utcnow().date()
            days = (data["valid_until"] - today).days
            if not 0 <= days <= MAX_QUOTE_VALIDITY_DAYS:
                raise ma.ValidationError(
                    "A quote must be valid from today for at most 180 days.", "valid_until"
                )


class QuoteRevisionSchema(ApiSchema):
    revision = ma.fields.Integer()
    listing_id = ma.fields.Integer()
    unit_price = decimal_out(4)
    quantity = ma.fields.Integer()
    machine_hours = decimal_out(2)
    lead_time_days = ma.fields.Integer()
    valid_until = ma.fields.Date()
    note = ma.fields.String()
    created_at = ma.fields.AwareDateTime()


class QuoteSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    order_id = ma.fields.Integer(dump_only=True)
    supplier_company_id = ma.fields.Integer(dump_only=True)
    listing_id = ma.fields.Integer(dump_only=True)
    unit_price = decimal_out(4)
    currency = ma.fields.Enum(Currency, by_value=True, dump_only=True)
    quantity = ma.fields.Integer(dump_only=True)
    machine_hours = decimal_out(2)
    lead_time_days = ma.fields.Integer(dump_only=True)
    valid_until = ma.fields.Date(dump_only=True)
    note = ma.fields.String(dump_only=True)
    status = ma.fields.Enum(QuoteStatus, by_value=True, dump_only=True)
    revision = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class QuoteDetailSchema(QuoteSchema):
    revisions = ma.fields.List(
        ma.fields.Nested(QuoteRevisionSchema),
        dump_only=True,
        metadata={"description": "Earlier terms, oldest first"},
    )


class AllocationSchema(ApiSchema):
    quote_id = _id(required=True)
    quantity = _count(required=True)


class AwardSchema(ApiSchema):
    allocations = ma.fields.List(
        ma.fields.Nested(AllocationSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "The quotes awarded and the quantity each gets"},
    )


# --------------------------------------------------------------------------------------------
# Work packages, milestones, reviews and scorecards
# --------------------------------------------------------------------------------------------


class MilestoneSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    progress_pct = _count(100, 0, required=True)
    forecast_date = ma.fields.Date(
        required=True, metadata={"description": "When the package is expected to be finished"}
    )
    note = _text(MAX_NOTE)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class ReviewSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    package_id = ma.fields.Integer(dump_only=True)
    quality = _count(5, required=True)
    delivery = _count(5, required=True)
    communication = _count(5, required=True)
    comment = _text(2000)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class PackageSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    order_id = ma.fields.Integer(dump_only=True)
    order_title = ma.fields.String(attribute="order.title", dump_only=True)
    buyer_company_id = ma.fields.Integer(attribute="order.buyer_company_id", dump_only=True)
    supplier_company_id = ma.fields.Integer(dump_only=True)
    quote_id = ma.fields.Integer(dump_only=True)
    quantity = ma.fields.Integer(dump_only=True)
    unit_price = decimal_out(4)
    currency = ma.fields.Enum(Currency, by_value=True, dump_only=True)
    due_date = ma.fields.Date(dump_only=True)
    promised_date = ma.fields.Date(dump_only=True)
    forecast_date = ma.fields.Date(dump_only=True, allow_none=True)
    progress_pct = ma.fields.Integer(dump_only=True)
    status = ma.fields.Enum(PackageStatus, by_value=True, dump_only=True)
    quality_passed = ma.fields.Boolean(dump_only=True, allow_none=True)
    delivered_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    closed_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class PackageDetailSchema(PackageSchema):
    milestones = ma.fields.List(ma.fields.Nested(MilestoneSchema), dump_only=True)
    review = ma.fields.Nested(ReviewSchema, dump_only=True, allow_none=True)
    history = ma.fields.List(ma.fields.Nested(StatusChangeSchema), dump_only=True)
    allowed_transitions = ma.fields.List(
        ma.fields.Enum(PackageStatus, by_value=True),
        dump_only=True,
        metadata={"description": "Statuses the caller may move the package to now"},
    )


class PackageListArgs(CursorArgs):
    as_role = ma.fields.String(
        data_key="as",
        required=True,
        validate=validate.OneOf(["supplier", "buyer"]),
        metadata={"description": "supplier: the caller's work; buyer: its orders' packages"},
    )


class PackageTransitionSchema(ApiSchema):
    status = ma.fields.Enum(PackageStatus, by_value=True, required=True)
    note = _text(MAX_NOTE, metadata={"description": "Required when disputing a delivery"})
    quality_passed = ma.fields.Boolean(
        allow_none=True,
        metadata={"description": "The inspection result, when leaving quality check"},
    )


class ScorecardSchema(ApiSchema):
    company_id = ma.fields.Integer()
    enough_history = ma.fields.Boolean(
        metadata={
            "description": "False below 3 finished packages: show 'not enough history', not rates"
        }
    )
    completed_packages = ma.fields.Integer()
    on_time_rate = decimal_out(4, allow_none=True)
    quality_acceptance_rate = decimal_out(4, allow_none=True)
    dispute_rate = decimal_out(4, allow_none=True)
    average_rating = decimal_out(2, allow_none=True)
    ratings_count = ma.fields.Integer()
    updated_at = ma.fields.AwareDateTime(allow_none=True)


MachinePageSchema = page_schema(MachineSchema, "MachinePage")
ListingPageSchema = page_schema(ListingSchema, "ListingPage")
OrderPageSchema = page_schema(OrderSchema, "OrderPage")
QuotePageSchema = page_schema(QuoteSchema, "QuotePage")
PackagePageSchema = page_schema(PackageSchema, "PackagePage")
