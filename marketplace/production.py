"""Rules of machines, capacity, orders, quotes and awards: values, checks, errors. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.translatable import N_


class RateUnit(StrEnum):
    MACHINE_HOUR = "machine_hour"
    PIECE = "piece"
    VALUE = "value"


RATE_UNIT_LABELS = {
    RateUnit.MACHINE_HOUR: N_("per machine-hour"),
    RateUnit.PIECE: N_("per piece"),
    RateUnit.VALUE: N_("per order value"),
}

# Absurd inputs are refused rather than stored: nothing real is bigger or more precise.
MAX_QUANTITY = 10_000_000
MAX_ENVELOPE_MM = 50_000
MIN_TOLERANCE_MM = Decimal("0.0005")
MAX_TOLERANCE_MM = Decimal("10")
MAX_LEAD_TIME_DAYS = 365
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
MAX_ATTACHMENTS_PER_ORDER = 20


class OrderNotFound(NotFound):
    code = "order-not-found"
    message = N_("There is no such order.")


class OrderNotOpen(Conflict):
    code = "order-not-open"
    message = N_("This order is not open for quotes.")


class QuoteExpired(Conflict):
    code = "quote-expired"
    message = N_("This quote has expired.")


class CapacityExhausted(Conflict):
    code = "capacity-exhausted"
    message = N_(
        "The capacity listing has only %(free)s free machine-hours before the due date; "
        "%(wanted)s are needed."
    )


class CalendarTooSmall(Conflict):
    code = "calendar-too-small"
    message = N_("The work already booked on this listing would no longer fit the new calendar.")


class OverAward(InvalidInput):
    code = "over-award"
    message = N_("The awarded quantities add up to %(total)d, more than the %(ordered)d ordered.")


class NotYourOrder(PermissionDenied):
    code = "not-your-order"
    message = N_("Only the buyer who posted this order may do this.")


class SupplierRoleRequired(PermissionDenied):
    code = "supplier-role-required"
    message = N_("Only supplier companies may do this.")


class BuyerRoleRequired(PermissionDenied):
    code = "buyer-role-required"
    message = N_("Only buyer companies may do this.")


class AttachmentRefused(InvalidInput):
    code = "attachment-refused"


@dataclass(frozen=True)
class AttachmentKind:
    content_type: str
    extensions: tuple[str, ...]


ATTACHMENT_KINDS = {
    "pdf": AttachmentKind("application/pdf", (".pdf",)),
    "step": AttachmentKind("model/step", (".step", ".stp")),
    "dxf": AttachmentKind("image/vnd.dxf", (".dxf",)),
    "png": AttachmentKind("image/png", (".png",)),
    "jpeg": AttachmentKind("image/jpeg", (".jpg", ".jpeg")),
}


def sniff_attachment(filename: str, head: bytes) -> AttachmentKind:
    """Return the kind of a drawing from its first bytes, checked against its file name.

    The bytes decide, not the name or the browser's content type: a renamed executable is refused.

    Raises:
        AttachmentRefused: for any other kind of file, or a name that does not match the content.
    """
    kind = _kind_of(head)
    if kind is None:
        raise AttachmentRefused(
            N_("Only PDF, STEP, DXF, PNG and JPEG drawings can be attached."), field="file"
        )
    if not filename.lower().endswith(ATTACHMENT_KINDS[kind].extensions):
        raise AttachmentRefused(
            N_("The file name does not match its content (%(kind)s)."), field="file", kind=kind
        )
    return ATTACHMENT_KINDS[kind]


def _kind_of(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"ISO-10303-21;"):
        return "step"
    # ASCII DXF starts with group code 0 and SECTION (or a 999 comment first).
    lines = [line.strip() for line in text.splitlines()[:4]]
    if lines[:2] == [b"0", b"SECTION"] or (lines[:1] == [b"999"] and b"SECTION" in text[:400]):
        return "dxf"
    if head.startswith(b"AutoCAD Binary DXF"):
        return "dxf"
    return None


def check_due_date(due: date, today: date) -> None:
    """Raises: InvalidInput when the due date is not in the future."""
    if due <= today:
        raise InvalidInput(N_("The due date must be in the future."), field="due_date")


@dataclass(frozen=True)
class Allocation:
    """Part of an order given to one quote."""

    quote_id: int
    quantity: int


def check_allocations(
    allocations: list[Allocation],
    *,
    ordered: int,
    splittable: bool,
    min_lot: int,
    quoted: dict[int, int],
) -> None:
    """Check an award: known quotes, each once, within their quantity, lots and the order.

    `quoted` maps each quote id of the order to the quantity it offers.

    Raises:
        InvalidInput / OverAward with a message naming the problem.
    """
    if not allocations:
        raise InvalidInput(N_("Choose at least one quote to award."), field="allocations")
    seen: set[int] = set()
    for allocation in allocations:
        if allocation.quote_id not in quoted:
            raise InvalidInput(
                N_("A quote in the award is not a quote on this order."), field="allocations"
            )
        if allocation.quote_id in seen:
            raise InvalidInput(N_("Each quote can be awarded only once."), field="allocations")
        seen.add(allocation.quote_id)
        if not 1 <= allocation.quantity <= quoted[allocation.quote_id]:
            raise InvalidInput(
                N_("An awarded quantity must be between 1 and the quantity quoted (%(quoted)d)."),
                field="allocations",
                quoted=quoted[allocation.quote_id],
            )
    total = sum(allocation.quantity for allocation in allocations)
    if total > ordered:
        raise OverAward(field="allocations", total=total, ordered=ordered)
    if not splittable:
        if len(allocations) > 1 or total != ordered:
            raise InvalidInput(
                N_("This order may not be split: award the whole quantity to one supplier."),
                field="allocations",
            )
    elif len(allocations) > 1 and any(a.quantity < min_lot for a in allocations):
        raise InvalidInput(
            N_("Each supplier's share must be at least the minimum lot of %(min_lot)d."),
            field="allocations",
            min_lot=min_lot,
        )


def hours_for(quantity: int, quoted_quantity: int, quoted_hours: Decimal) -> Decimal:
    """Machine-hours a share of a quote needs, in proportion to the quoted hours."""
    return (quoted_hours * quantity / quoted_quantity).quantize(Decimal("0.01"))


# Below this many finished packages a supplier's rates say more about luck than about the shop.
MIN_HISTORY_FOR_SCORECARD = 3


@dataclass(frozen=True)
class PackageOutcome:
    """What the scorecard needs of one finished package."""

    on_time: bool
    disputed: bool


@dataclass(frozen=True)
class ScorecardFigures:
    completed_packages: int
    on_time_rate: Decimal | None
    quality_acceptance_rate: Decimal | None
    dispute_rate: Decimal | None
    average_rating: Decimal | None
    ratings_count: int

    @property
    def enough_history(self) -> bool:
        return self.completed_packages >= MIN_HISTORY_FOR_SCORECARD


def compute_scorecard(outcomes: list[PackageOutcome], ratings: list[Decimal]) -> ScorecardFigures:
    """Rates over delivered packages and the mean of all ratings; None where nothing is known.

    Each rating is one review's mean of its three scores, kept with its decimals.
    """
    count = len(outcomes)

    def rate(numerator: int) -> Decimal | None:
        return (Decimal(numerator) / count).quantize(Decimal("0.0001")) if count else None

    disputed = sum(outcome.disputed for outcome in outcomes)
    return ScorecardFigures(
        completed_packages=count,
        on_time_rate=rate(sum(outcome.on_time for outcome in outcomes)),
        quality_acceptance_rate=rate(count - disputed),
        dispute_rate=rate(disputed),
        average_rating=(
            (sum(ratings, Decimal(0)) / len(ratings)).quantize(Decimal("0.01")) if ratings else None
        ),
        ratings_count=len(ratings),
    )
