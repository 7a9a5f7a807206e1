"""Which capacity can serve an order, and how well: feasibility, ranking, explanations. Pure.

Services describe an order as `OrderNeeds` and each candidate capacity listing as an `Offer` (plain
values read from the database). `matching.ranking` applies these rules to many offers at once;
`score_offer` scores one and explains the contribution of every criterion in words.

Explanations are message ids (marked with `N_`) and parameters, translated when shown, so a
stored ranking reads in whichever language its reader uses.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from core.errors import InvalidInput
from core.translatable import N_, NP_
from matching.geo import GeoPoint, distance_km

# Indicative rates to compare prices quoted in different currencies; never used to move money.
REFERENCE_CNY_PER_UNIT = {"CNY": 1.0, "USD": 7.10, "EUR": 7.75}

# Without a buyer's estimate, machine-minutes per piece for a ~100 mm part, and setup hours per
# batch, by process family: rough shop-floor figures that only order the candidates.
FAMILY_MINUTES_PER_PIECE = {
    "machining": 12.0,
    "sheet_metal": 2.5,
    "molding_casting": 1.0,
    "additive": 45.0,
    "surface_treatment": 0.8,
    "forging": 0.6,
    "assembly": 6.0,
    "inspection": 4.0,
}
FAMILY_SETUP_HOURS = {
    "machining": 3.0,
    "sheet_metal": 1.5,
    "molding_casting": 6.0,
    "additive": 0.5,
    "surface_treatment": 1.0,
    "forging": 4.0,
    "assembly": 2.0,
    "inspection": 1.0,
}
REFERENCE_PART_MM = 100.0

# Track records are shrunk toward the platform's typical shop: a supplier with two good jobs is
# not yet better than one with two hundred good jobs. PRIOR_WEIGHT is worth that many packages.
PRIOR_WEIGHT = 5.0
PRIOR_ON_TIME = 0.85
PRIOR_QUALITY = 0.90
PRIOR_RATING = 4.0

CREDIT_BAND_SCORES = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.35, "E": 0.1}
FULL_SLACK_DAYS = 14.0  # finishing two weeks early is as safe as it gets
HALF_SCORE_KM = 400.0  # a supplier this far away scores half on proximity
# Expected cost of lateness as a share of the price, at certain lateness.
LATENESS_COST_SHARE = 0.2

MAX_WEIGHT = 10.0


class WeightGroup(StrEnum):
    """What a buyer can weight: the four things buyers trade against each other."""

    COST = "cost"
    QUALITY = "quality"
    SPEED = "speed"
    PROXIMITY = "proximity"


class Criterion(StrEnum):
    PRICE = "price"
    LEAD_TIME = "lead_time"
    TRACK_RECORD = "track_record"
    CREDIT = "credit"
    DISTANCE = "distance"
    IDLE_CAPACITY = "idle_capacity"


# Each criterion's share of its group's weight; idle capacity carries the platform's own small,
# fixed preference for machines that would otherwise stand still.
CRITERION_GROUP: dict[Criterion, tuple[WeightGroup | None, float]] = {
    Criterion.PRICE: (WeightGroup.COST, 1.0),
    Criterion.LEAD_TIME: (WeightGroup.SPEED, 1.0),
    Criterion.TRACK_RECORD: (WeightGroup.QUALITY, 0.75),
    Criterion.CREDIT: (WeightGroup.QUALITY, 0.25),
    Criterion.DISTANCE: (WeightGroup.PROXIMITY, 1.0),
    Criterion.IDLE_CAPACITY: (None, 0.5),
}

CRITERION_LABELS = {
    Criterion.PRICE: N_("Price"),
    Criterion.LEAD_TIME: N_("Lead time"),
    Criterion.TRACK_RECORD: N_("Track record"),
    Criterion.CREDIT: N_("Credit"),
    Criterion.DISTANCE: N_("Distance"),
    Criterion.IDLE_CAPACITY: N_("Idle capacity"),
}


class InvalidWeights(InvalidInput):
    code = "invalid-weights"
    message = N_("Each weight must be between 0 and %(max)d, and at least one above 0.")


@dataclass(frozen=True)
class Weights:
    """How much the buyer cares about each group, 0 to 10 each; only the proportions matter."""

    cost: float = 4.0
    quality: float = 3.0
    speed: float = 2.0
    proximity: float = 1.0

    def __post_init__(self) -> None:
        for group in WeightGroup:
            value = getattr(self, group.value)
            if not (isinstance(value, int | float) and math.isfinite(value)):
                raise InvalidWeights(field=group.value, max=int(MAX_WEIGHT))
            if not 0 <= value <= MAX_WEIGHT:
                raise InvalidWeights(field=group.value, max=int(MAX_WEIGHT))
        if self.cost + self.quality + self.speed + self.proximity <= 0:
            raise InvalidWeights(field="cost", max=int(MAX_WEIGHT))

    def of(self, criterion: Criterion) -> float:
        group, share = CRITERION_GROUP[criterion]
        return share if group is None else share * float(getattr(self, group.value))

    def as_dict(self) -> dict[str, float]:
        return {group.value: float(getattr(self, group.value)) for group in WeightGroup}


@dataclass(frozen=True)
class OrderNeeds:
    """What an order asks of a supplier, as plain values."""

    order_id: int
    buyer_company_id: int
    process: str
    family: str
    material: str
    any_material: bool
    quantity: int
    min_lot: int
    splittable: bool
    tolerance_mm: float
    part_size_mm: tuple[int, int, int]
    certifications: frozenset[str]
    due_date: date
    currency: str
    target_unit_price: float | None = None
    delivery: GeoPoint | None = None
    minutes_per_piece: float | None = None

    @property
    def hours_per_piece(self) -> float:
        """Machine-hours one piece takes: the buyer's estimate, else the family's rough figure."""
        if self.minutes_per_piece:
            return self.minutes_per_piece / 60
        volume = max(1, self.part_size_mm[0] * self.part_size_mm[1] * self.part_size_mm[2])
        size_factor = min(5.0, max(0.3, (volume / REFERENCE_PART_MM**3) ** (1 / 3)))
        return FAMILY_MINUTES_PER_PIECE.get(self.family, 10.0) * size_factor / 60

    @property
    def setup_hours(self) -> float:
        return FAMILY_SETUP_HOURS.get(self.family, 2.0)

    def hours_for(self, quantity: int) -> float:
        """Machine-hours a supplier needs for `quantity` pieces, setup included."""
        return self.setup_hours + quantity * self.hours_per_piece


@dataclass(frozen=True)
class TrackRecord:
    completed_packages: int
    on_time_rate: float | None
    quality_acceptance_rate: float | None
    average_rating: float | None
    ratings_count: int


@dataclass(frozen=True)
class Offer:
    """One capacity listing and what is known of its company, as plain values."""

    listing_id: int
    company_id: int
    company_name: str
    active: bool
    processes: frozenset[str]
    materials: frozenset[str]
    tolerance_mm: float | None  # None: no machine named, no tolerance to check
    envelope_mm: tuple[int, int, int] | None
    certifications: Mapping[str, date]  # standard -> valid until (latest certificate)
    free_hours: float  # hours, after the lead time, a new booking due on the due date could take
    offered_hours: float  # hours the calendar offers from today to the due date
    daily_hours: float  # average offered hours per calendar day
    price_amount: float
    price_currency: str
    price_unit: str  # machine_hour | piece | value
    lead_time_days: int
    track_record: TrackRecord | None = None
    credit_band: str | None = None
    location: GeoPoint | None = None
    city: str = ""
    title: str = ""
    unbooked_hours: float | None = None  # of the offered hours, those no booking takes


class ExclusionReason(StrEnum):
    INACTIVE = "inactive"
    OWN_COMPANY = "own_company"
    PROCESS = "process"
    MATERIAL = "material"
    TOLERANCE = "tolerance"
    ENVELOPE = "envelope"
    CERTIFICATION_MISSING = "certification_missing"
    CERTIFICATION_EXPIRED = "certification_expired"
    LEAD_TIME = "lead_time"
    NO_FREE_HOURS = "no_free_hours"


# Singular/plural pairs, counted by %(count)d.
EXCLUSION_MESSAGES = {
    ExclusionReason.INACTIVE: NP_(
        "%(count)d is paused, full or closed", "%(count)d are paused, full or closed"
    ),
    ExclusionReason.OWN_COMPANY: NP_(
        "%(count)d belongs to your own company", "%(count)d belong to your own company"
    ),
    ExclusionReason.PROCESS: NP_(
        "%(count)d does not offer this process", "%(count)d do not offer this process"
    ),
    ExclusionReason.MATERIAL: NP_(
        "%(count)d does not work this material", "%(count)d do not work this material"
    ),
    ExclusionReason.TOLERANCE: NP_(
        "%(count)d cannot hold the tolerance", "%(count)d cannot hold the tolerance"
    ),
    ExclusionReason.ENVELOPE: NP_(
        "%(count)d has machines too small for the part",
        "%(count)d have machines too small for the part",
    ),
    ExclusionReason.CERTIFICATION_MISSING: NP_(
        "%(count)d lacks %(detail)s", "%(count)d lack %(detail)s"
    ),
    ExclusionReason.CERTIFICATION_EXPIRED: NP_(
        "%(count)d holds an expired %(detail)s", "%(count)d hold an expired %(detail)s"
    ),
    ExclusionReason.LEAD_TIME: NP_(
        "%(count)d needs more lead time than the due date allows",
        "%(count)d need more lead time than the due date allows",
    ),
    ExclusionReason.NO_FREE_HOURS: NP_(
        "%(count)d has no free hours before the due date",
        "%(count)d have no free hours before the due date",
    ),
}


@dataclass(frozen=True)
class Exclusion:
    reason: ExclusionReason
    detail: str = ""  # the certification concerned, where there is one


@dataclass(frozen=True)
class Explanation:
    """A sentence with its parameters; translated when shown.

    A sentence about a number of things is a singular/plural pair counted by `params["count"]`.
    """

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)
    plural: str | None = None

    @classmethod
    def counted(cls, pair: tuple[str, str], **params: Any) -> Explanation:
        return cls(pair[0], params, pair[1])

    def as_dict(self) -> dict[str, Any]:
        return {"message": self.message, "params": dict(self.params), "plural": self.plural}


@dataclass(frozen=True)
class Contribution:
    criterion: Criterion
    score: float  # 0..1, how good the offer is on this criterion
    weight: float  # this criterion's share of the total weight, 0..1
    points: float  # score × weight × 100: what it adds to the total
    explanation: Explanation

    def as_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion.value,
            "score": round(self.score, 4),
            "weight": round(self.weight, 4),
            "points": round(self.points, 2),
            **self.explanation.as_dict(),
        }


@dataclass(frozen=True)
class RankedOffer:
    offer: Offer
    score: float  # 0..100
    max_quantity: int
    unit_price: float | None  # estimated, in the order's currency; None when priced on quotation
    lateness_risk: float  # 0..1
    setup_cost: float | None  # in the order's currency
    contributions: tuple[Contribution, ...]


def convert(amount: float, from_currency: str, to_currency: str) -> float:
    """Convert at the indicative reference rates (for comparing offers only)."""
    if from_currency == to_currency:
        return amount
    return amount * REFERENCE_CNY_PER_UNIT[from_currency] / REFERENCE_CNY_PER_UNIT[to_currency]


def estimate_unit_price(needs: OrderNeeds, offer: Offer, quantity: int) -> float | None:
    """The price per piece the offer implies for `quantity` pieces, setup spread over them."""
    if quantity < 1:
        return None
    if offer.price_unit == "machine_hour":
        per_piece = offer.price_amount * needs.hours_for(quantity) / quantity
    elif offer.price_unit == "piece":
        per_piece = offer.price_amount
    else:  # billed on the order's value: only a quote can say
        return None
    return convert(per_piece, offer.price_currency, needs.currency)


def marginal_unit_cost(needs: OrderNeeds, offer: Offer) -> float | None:
    """What one more piece costs at the offer, setup aside, in the order's currency."""
    if offer.price_unit == "machine_hour":
        per_piece = offer.price_amount * needs.hours_per_piece
    elif offer.price_unit == "piece":
        per_piece = offer.price_amount
    else:
        return None
    return convert(per_piece, offer.price_currency, needs.currency)


def setup_cost(needs: OrderNeeds, offer: Offer) -> float | None:
    """What one setup costs at the offer: setup hours at its hourly rate.

    A price per piece already carries the setup, so it adds nothing there.
    """
    if offer.price_unit == "machine_hour":
        return convert(offer.price_amount * needs.setup_hours, offer.price_currency, needs.currency)
    if offer.price_unit == "piece":
        return 0.0
    return None


def shrunk_track_record(record: TrackRecord | None) -> tuple[float, float, float, int]:
    """On-time rate, acceptance rate and rating (1..5) pulled toward the platform's priors."""
    n = record.completed_packages if record else 0
    ratings = record.ratings_count if record else 0

    def shrink(rate: float | None, prior: float, count: int) -> float:
        if rate is None or count == 0:
            return prior
        return (count * rate + PRIOR_WEIGHT * prior) / (count + PRIOR_WEIGHT)

    on_time = shrink(record.on_time_rate if record else None, PRIOR_ON_TIME, n)
    quality = shrink(record.quality_acceptance_rate if record else None, PRIOR_QUALITY, n)
    rating = shrink(record.average_rating if record else None, PRIOR_RATING, ratings)
    return on_time, quality, rating, n


def slack_days(needs: OrderNeeds, offer: Offer, quantity: int, today: date) -> float:
    """Days between the likely finish (lead time plus working the hours) and the due date."""
    working_days = needs.hours_for(quantity) / max(offer.daily_hours, 0.1)
    return (needs.due_date - today).days - offer.lead_time_days - working_days


def lateness_risk(on_time: float, slack: float) -> float:
    """Chance of lateness: the supplier's (shrunk) record, worse when little time is left."""
    time_factor = min(1.0, max(0.0, (slack + 1) / (FULL_SLACK_DAYS / 2)))
    return 1 - on_time * time_factor


def score_offer(
    needs: OrderNeeds,
    offer: Offer,
    quantity: int,
    price: float | None,
    reference: float | None,
    weights: Weights,
    today: date,
) -> RankedOffer:
    """Score a feasible offer that can take `quantity` pieces at about `price` each, with the
    contribution of every criterion in words; `reference` is the price compared against."""
    share = quantity if needs.splittable else needs.quantity
    on_time, quality, rating, completed = shrunk_track_record(offer.track_record)
    slack = slack_days(needs, offer, share, today)
    scored = [
        _price_criterion(needs, price, reference),
        _lead_time_criterion(slack),
        _track_record_criterion(on_time, quality, rating, completed),
        *_credit_criterion(offer),
        *_distance_criterion(needs, offer),
        _idle_capacity_criterion(offer),
    ]
    total_weight = sum(weights.of(criterion) for criterion, _, _ in scored)
    contributions = tuple(
        Contribution(
            criterion,
            score,
            weights.of(criterion) / total_weight,
            score * weights.of(criterion) / total_weight * 100,
            explanation,
        )
        for criterion, score, explanation in scored
    )
    return RankedOffer(
        offer=offer,
        score=round(sum(c.points for c in contributions), 2),
        max_quantity=quantity,
        unit_price=price,
        lateness_risk=lateness_risk(on_time, slack),
        setup_cost=setup_cost(needs, offer),
        contributions=contributions,
    )


Scored = tuple[Criterion, float, Explanation]


def _price_criterion(needs: OrderNeeds, price: float | None, reference: float | None) -> Scored:
    if price is None or not reference:
        return Criterion.PRICE, 0.5, Explanation(N_("Priced on quotation: no estimate yet."))
    ratio = price / reference
    if needs.target_unit_price and ratio <= 1:
        text = N_("About %(price)s per piece, %(percent)d%% below the target price.")
    elif needs.target_unit_price:
        text = N_("About %(price)s per piece, %(percent)d%% above the target price.")
    elif ratio <= 1:
        text = N_("About %(price)s per piece, %(percent)d%% below the median offer.")
    else:
        text = N_("About %(price)s per piece, %(percent)d%% above the median offer.")
    params = {"price": _money(price, needs.currency), "percent": round(abs(1 - ratio) * 100)}
    return Criterion.PRICE, _clamp(1.5 - ratio), Explanation(text, params)


def _lead_time_criterion(slack: float) -> Scored:
    if slack >= 0:
        pair = NP_(
            "Likely to finish about %(count)d day before the due date.",
            "Likely to finish about %(count)d days before the due date.",
        )
    else:
        pair = NP_(
            "Tight: may finish about %(count)d day after the due date.",
            "Tight: may finish about %(count)d days after the due date.",
        )
    return (
        Criterion.LEAD_TIME,
        _clamp(slack / FULL_SLACK_DAYS),
        Explanation.counted(pair, count=round(abs(slack))),
    )


# Beyond this many packages the prior hardly moves the rates: no need to mention it.
SHORT_HISTORY = 20


def _track_record_criterion(
    on_time: float, quality: float, rating: float, completed: int
) -> Scored:
    score = 0.4 * on_time + 0.4 * quality + 0.2 * (rating - 1) / 4
    if not completed:
        text = N_("No finished packages yet: scored at the platform average.")
        return Criterion.TRACK_RECORD, score, Explanation(text)
    if completed < SHORT_HISTORY:
        pair = NP_(
            "%(count)d package: %(on_time)d%% on time, %(quality)d%% accepted, rated "
            "%(rating)s of 5 (pulled toward the platform average while the history is short).",
            "%(count)d packages: %(on_time)d%% on time, %(quality)d%% accepted, rated "
            "%(rating)s of 5 (pulled toward the platform average while the history is short).",
        )
    else:
        pair = NP_(
            "%(count)d package: %(on_time)d%% on time, %(quality)d%% accepted, rated "
            "%(rating)s of 5.",
            "%(count)d packages: %(on_time)d%% on time, %(quality)d%% accepted, rated "
            "%(rating)s of 5.",
        )
    explanation = Explanation.counted(
        pair,
        count=completed,
        on_time=round(on_time * 100),
        quality=round(quality * 100),
        rating=f"{rating:.1f}",
    )
    return Criterion.TRACK_RECORD, score, explanation


def _credit_criterion(offer: Offer) -> list[Scored]:
    if offer.credit_band not in CREDIT_BAND_SCORES:
        return []
    explanation = Explanation(N_("Credit band %(band)s."), {"band": offer.credit_band})
    return [(Criterion.CREDIT, CREDIT_BAND_SCORES[offer.credit_band], explanation)]


def _distance_criterion(needs: OrderNeeds, offer: Offer) -> list[Scored]:
    if offer.location is None or needs.delivery is None:
        return []
    kilometres = distance_km(offer.location, needs.delivery)
    explanation = Explanation(
        N_("In %(city)s, about %(km)d km from the delivery city."),
        {"km": round(kilometres), "city": offer.city},
    )
    return [(Criterion.DISTANCE, 1 / (1 + kilometres / HALF_SCORE_KM), explanation)]


def _idle_capacity_criterion(offer: Offer) -> Scored:
    unbooked = offer.free_hours if offer.unbooked_hours is None else offer.unbooked_hours
    used = _clamp(1 - unbooked / offer.offered_hours) if offer.offered_hours > 0 else 1.0
    explanation = Explanation(
        N_("%(free)d%% of its hours before the due date are still free."),
        {"free": round((1 - used) * 100)},
    )
    return Criterion.IDLE_CAPACITY, 1 - used, explanation


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.2f}"
