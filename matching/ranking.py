"""Feasibility and ranking over many offers at once: the offers as columns of NumPy arrays.

A popular process has tens of thousands of capacity listings; checking and scoring them one Python
object at a time takes seconds, over arrays a few milliseconds. The rules are those of
`matching.domain` (exclusion reasons, price estimates, the six criteria and their weights); only
the best few rows, those shown or stored, become `RankedOffer`s with explanations, built by
`domain.score_offer`, so the words always match the numbers. `rank_offers` and `exclusions` take
plain `Offer`s for callers with a handful of them.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from matching.domain import (
    CREDIT_BAND_SCORES,
    FULL_SLACK_DAYS,
    HALF_SCORE_KM,
    LATENESS_COST_SHARE,
    REFERENCE_CNY_PER_UNIT,
    Criterion,
    Exclusion,
    ExclusionReason,
    Offer,
    OrderNeeds,
    RankedOffer,
    TrackRecord,
    Weights,
    score_offer,
    shrunk_track_record,
)
from matching.geo import EARTH_RADIUS_KM, GeoPoint

PRICE_UNITS = ("machine_hour", "piece", "value")
HOURLY, PER_PIECE, ON_VALUE = range(3)
NO_CERTIFICATE = 0  # in `valid_until`: the company holds no certificate of that standard
# Scores are rounded to 2 decimals; rows this close to the last one kept are explained too, so
# ties and rounding decide exactly as in `score_offer`.
SCORE_MARGIN = 0.02


@dataclass(frozen=True, slots=True)  # slots: an index holds one per listing and process
class OfferRecord:
    """One offer as the column builder takes it: an `Offer` without the order-dependent hours."""

    listing_id: int
    company_id: int
    company_name: str
    city: str
    title: str
    active: bool
    processes: frozenset[str]
    materials: frozenset[str]
    tolerance_mm: float | None
    envelope_mm: tuple[int, int, int] | None
    certifications: dict[str, date]
    price_amount: float
    price_currency: str
    price_unit: str
    lead_time_days: int
    track_record: TrackRecord | None
    credit_band: str | None
    location: GeoPoint | None

    @classmethod
    def of(cls, offer: Offer) -> OfferRecord:
        return cls(
            listing_id=offer.listing_id,
            company_id=offer.company_id,
            company_name=offer.company_name,
            city=offer.city,
            title=offer.title,
            active=offer.active,
            processes=offer.processes,
            materials=offer.materials,
            tolerance_mm=offer.tolerance_mm,
            envelope_mm=offer.envelope_mm,
            certifications=dict(offer.certifications),
            price_amount=offer.price_amount,
            price_currency=offer.price_currency,
            price_unit=offer.price_unit,
            lead_time_days=offer.lead_time_days,
            track_record=offer.track_record,
            credit_band=offer.credit_band,
            location=offer.location,
        )


@dataclass(frozen=True)
class OfferHours:
    """The hours of each row for one order (they depend on today, the due date and bookings)."""

    free: np.ndarray  # after the lead time, what a new booking due on the due date could take
    offered: np.ndarray  # offered by the calendar from today to the due date
    unbooked: np.ndarray  # of the offered hours, those no booking takes
    daily: np.ndarray  # average offered hours per calendar day

    @classmethod
    def of(cls, offers: Sequence[Offer]) -> OfferHours:
        return cls(
            free=np.array([o.free_hours for o in offers], dtype=float),
            offered=np.array([o.offered_hours for o in offers], dtype=float),
            unbooked=np.array(
                [o.free_hours if o.unbooked_hours is None else o.unbooked_hours for o in offers],
                dtype=float,
            ),
            daily=np.array([o.daily_hours for o in offers], dtype=float),
        )


class OfferColumns:
    """Offers as arrays, one row per offer, plus what is needed to turn a row back into an Offer.

    `updated` gives new columns with some rows replaced or appended, sharing the arrays it does
    not change, so long-lived columns follow changes to listings without a rebuild while readers
    of the old ones are undisturbed.
    """

    # One entry per row (set from `_arrays`); materials and valid_until have one column per
    # material and standard named in `material_index` and `standard_index`.
    listing_id: np.ndarray
    company_id: np.ndarray
    active: np.ndarray
    materials: np.ndarray
    valid_until: np.ndarray  # ordinal day, NO_CERTIFICATE when none
    tolerance: np.ndarray  # NaN: no machine named
    envelope: np.ndarray  # sorted sides; NaN: no machine named
    price_amount: np.ndarray
    price_rate: np.ndarray  # CNY per unit of the price's currency
    price_unit: np.ndarray  # index in PRICE_UNITS
    lead_time: np.ndarray
    latitude: np.ndarray  # NaN: unknown city
    longitude: np.ndarray
    on_time: np.ndarray  # the track record, shrunk
    quality: np.ndarray
    rating: np.ndarray
    credit: np.ndarray  # NaN: no credit band
    present: np.ndarray  # False: no longer listed

    def __init__(self, records: Sequence[OfferRecord]) -> None:
        self.records: list[OfferRecord] = list(records)
        self.material_index: dict[str, int] = {}
        self.standard_index: dict[str, int] = {}
        self._offering: dict[str, np.ndarray] = {}
        for name, values in self._arrays(self.records).items():
            setattr(self, name, values)
        self.present = np.ones(len(self.records), dtype=bool)

    def __len__(self) -> int:
        return len(self.records)

    def _arrays(self, records: Sequence[OfferRecord]) -> dict[str, np.ndarray]:
        """The columns of `records`, naming new materials and standards as they come."""
        for record in records:
            for material in sorted(record.materials):
                self.material_index.setdefault(material, len(self.material_index))
            for standard in sorted(record.certifications):
                self.standard_index.setdefault(standard, len(self.standard_index))
        n = len(records)
        materials = np.zeros((n, len(self.material_index)), dtype=bool)
        valid_until = np.full((n, len(self.standard_index)), NO_CERTIFICATE, dtype=np.int64)
        for row, record in enumerate(records):
            for material in record.materials:
                materials[row, self.material_index[material]] = True
            for standard, until in record.certifications.items():
                valid_until[row, self.standard_index[standard]] = until.toordinal()
        shrunk = np.array([shrunk_track_record(r.track_record)[:3] for r in records]).reshape(n, 3)
        return {
            "listing_id": np.array([r.listing_id for r in records], dtype=np.int64),
            "company_id": np.array([r.company_id for r in records], dtype=np.int64),
            "active": np.array([r.active for r in records], dtype=bool),
            "materials": materials,
            "valid_until": valid_until,
            "tolerance": np.array(
                [math.nan if r.tolerance_mm is None else r.tolerance_mm for r in records],
                dtype=float,
            ).reshape(n),
            # Sorted sides: a part may be turned on the table.
            "envelope": np.sort(
                np.array(
                    [(math.nan,) * 3 if r.envelope_mm is None else r.envelope_mm for r in records],
                    dtype=float,
                ).reshape(n, 3),
                axis=1,
            ),
            "price_amount": np.array([r.price_amount for r in records], dtype=float),
            "price_rate": np.array(
                [REFERENCE_CNY_PER_UNIT[r.price_currency] for r in records], dtype=float
            ),
            "price_unit": np.array([PRICE_UNITS.index(r.price_unit) for r in records], np.int8),
            "lead_time": np.array([r.lead_time_days for r in records], dtype=np.int64),
            "latitude": np.array(
                [math.nan if r.location is None else r.location.latitude for r in records],
                dtype=float,
            ),
            "longitude": np.array(
                [math.nan if r.location is None else r.location.longitude for r in records],
                dtype=float,
            ),
            "on_time": shrunk[:, 0],
            "quality": shrunk[:, 1],
            "rating": shrunk[:, 2],
            "credit": np.array(
                [CREDIT_BAND_SCORES.get(r.credit_band or "", math.nan) for r in records],
                dtype=float,
            ),
        }

    def updated(
        self, rows: np.ndarray, records: Sequence[OfferRecord], gone: np.ndarray
    ) -> OfferColumns:
        """New columns with `records` at `rows` — rows from `len(self)` on are appended, in
        order — and the `gone` rows no longer present."""
        new = copy.copy(self)
        new.material_index, new.standard_index = (
            dict(self.material_index),
            dict(self.standard_index),
        )
        new._offering = {}
        new.records = list(self.records)
        for row, record in zip(rows, records, strict=True):
            if row < len(self.records):
                new.records[row] = record
            else:
                new.records.append(record)
        block = new._arrays(records)
        widened = {  # materials or standards named for the first time get a column
            "materials": (len(new.material_index), False),
            "valid_until": (len(new.standard_index), NO_CERTIFICATE),
        }
        for name, values in block.items():
            current = getattr(self, name)
            if name in widened:
                width, fill = widened[name]
                current = np.pad(
                    current, ((0, 0), (0, width - current.shape[1])), constant_values=fill
                )
            setattr(new, name, put_rows(current, rows, values, len(new.records)))
        new.present = put_rows(self.present, rows, np.ones(len(rows), dtype=bool), len(new))
        new.present[gone] = False
        return new

    def offering(self, process: str) -> np.ndarray:
        """The rows offering `process`."""
        if process not in self._offering:
            self._offering[process] = np.array(
                [process in r.processes for r in self.records], dtype=bool
            )
        return self._offering[process]

    def offer(self, row: int, hours: OfferHours, process: str) -> Offer:
        record = self.records[row]
        return Offer(
            listing_id=record.listing_id,
            company_id=record.company_id,
            company_name=record.company_name,
            active=record.active,
            processes=record.processes,
            materials=record.materials,
            tolerance_mm=record.tolerance_mm,
            envelope_mm=record.envelope_mm,
            certifications=record.certifications,
            free_hours=float(hours.free[row]),
            offered_hours=float(hours.offered[row]),
            daily_hours=float(hours.daily[row]),
            price_amount=record.price_amount,
            price_currency=record.price_currency,
            price_unit=record.price_unit,
            lead_time_days=record.lead_time_days,
            track_record=record.track_record,
            credit_band=record.credit_band,
            location=record.location,
            city=record.city,
            title=record.title,
            unbooked_hours=float(hours.unbooked[row]),
        )


def put_rows(array: np.ndarray, rows: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """A copy of `array` with `values` at `rows`, grown to `size` rows (the new ones all set)."""
    grown = np.empty((size, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    grown[rows] = values
    return grown


@dataclass(frozen=True)
class Choices:
    """Every feasible row, best ranked first, with what allocation needs to know of it."""

    rows: np.ndarray
    listing_id: np.ndarray
    company_id: np.ndarray
    score: np.ndarray  # as `score_offer` computes it, up to float rounding
    max_quantity: np.ndarray
    unit_cost: np.ndarray  # one more piece, price plus expected lateness; NaN: on quotation
    setup_cost: np.ndarray  # NaN: on quotation
    columns: OfferColumns
    hours: OfferHours
    process: str

    def offer(self, position: int) -> Offer:
        return self.columns.offer(int(self.rows[position]), self.hours, self.process)


@dataclass(frozen=True)
class Ranking:
    ranked: list[RankedOffer]  # the best feasible offers, explained, best first
    excluded: Counter[Exclusion]
    considered: int
    feasible: int
    choices: Choices

    def exclusion_summary(self) -> list[dict[str, Any]]:
        """The exclusions counted by reason (and certification), most frequent first."""
        return [
            {"reason": exclusion.reason.value, "detail": exclusion.detail, "count": count}
            for exclusion, count in sorted(
                self.excluded.items(), key=lambda item: (-item[1], item[0].reason, item[0].detail)
            )
        ]


def exclusion_masks(
    needs: OrderNeeds, columns: OfferColumns, hours: OfferHours, today: date
) -> list[tuple[Exclusion, np.ndarray]]:
    """For every reason an offer can be excluded, the rows it excludes, in a fixed order."""
    n = len(columns)
    found = [
        (Exclusion(ExclusionReason.INACTIVE), ~columns.active),
        (Exclusion(ExclusionReason.OWN_COMPANY), columns.company_id == needs.buyer_company_id),
        (Exclusion(ExclusionReason.PROCESS), ~columns.offering(needs.process)),
    ]
    if not needs.any_material:
        column = columns.material_index.get(needs.material)
        works = columns.materials[:, column] if column is not None else np.zeros(n, dtype=bool)
        found.append((Exclusion(ExclusionReason.MATERIAL), ~works))
    with np.errstate(invalid="ignore"):  # NaN: no machine named, nothing to check
        found.append(
            (Exclusion(ExclusionReason.TOLERANCE), columns.tolerance > needs.tolerance_mm + 1e-9)
        )
        part = np.sort(np.array(needs.part_size_mm, dtype=float))
        found.append((Exclusion(ExclusionReason.ENVELOPE), (part > columns.envelope).any(axis=1)))
    today_ordinal = today.toordinal()
    for standard in sorted(needs.certifications):
        column = columns.standard_index.get(standard)
        valid_until = (
            columns.valid_until[:, column]
            if column is not None
            else np.full(n, NO_CERTIFICATE, dtype=np.int64)
        )
        missing = valid_until == NO_CERTIFICATE
        found.append((Exclusion(ExclusionReason.CERTIFICATION_MISSING, standard), missing))
        found.append(
            (
                Exclusion(ExclusionReason.CERTIFICATION_EXPIRED, standard),
                ~missing & (valid_until < today_ordinal),
            )
        )
    found.append(
        (
            Exclusion(ExclusionReason.LEAD_TIME),
            (needs.due_date - today).days < columns.lead_time,
        )
    )
    least = needs.min_lot if needs.splittable else needs.quantity
    found.append(
        (Exclusion(ExclusionReason.NO_FREE_HOURS), max_quantities(needs, hours.free) < least)
    )
    return found


def max_quantities(needs: OrderNeeds, free_hours: np.ndarray) -> np.ndarray:
    """The most pieces each row's free hours before the due date can make (capped at the order)."""
    room = free_hours - needs.setup_hours
    pieces = np.floor(np.maximum(room, 0) / needs.hours_per_piece + 1e-9)
    return np.where(room > 0, np.minimum(needs.quantity, pieces), 0).astype(np.int64)


def rank_columns(
    needs: OrderNeeds,
    columns: OfferColumns,
    hours: OfferHours,
    weights: Weights,
    today: date,
    *,
    considered: np.ndarray | None = None,
    keep: int | None = None,
) -> Ranking:
    """Rank the feasible rows among the `considered` ones (all by default), best first.

    The `keep` best (all when None) are explained; every feasible row is in `choices`.
    """
    n = len(columns)
    considered = np.ones(n, dtype=bool) if considered is None else considered
    excluded: Counter[Exclusion] = Counter()
    feasible = considered.copy()
    for exclusion, mask in exclusion_masks(needs, columns, hours, today):
        mask = mask & considered
        count = int(mask.sum())
        if count:
            excluded[exclusion] = count
        feasible &= ~mask
    rows = np.flatnonzero(feasible)
    quantity = max_quantities(needs, hours.free[rows])
    share = quantity if needs.splittable else np.full(len(rows), needs.quantity)
    price = _unit_prices(needs, columns, rows, share)
    known = price[~np.isnan(price)]
    reference = needs.target_unit_price or (float(np.median(known)) if len(known) else None)
    scores, slack = _scores(needs, columns, hours, rows, share, price, reference, weights, today)
    order = np.lexsort((columns.listing_id[rows], -scores))
    rows, quantity, price, scores, slack = (
        rows[order],
        quantity[order],
        price[order],
        scores[order],
        slack[order],
    )

    # Explain the best rows with the very functions that define the score.
    wanted = len(rows) if keep is None else min(keep, len(rows))
    if 0 < wanted < len(rows):
        wanted = int(np.searchsorted(-scores, -(scores[wanted - 1] - SCORE_MARGIN), "right"))
    ranked = [
        score_offer(
            needs,
            columns.offer(int(row), hours, needs.process),
            int(quantity[i]),
            None if math.isnan(price[i]) else float(price[i]),
            reference,
            weights,
            today,
        )
        for i, row in enumerate(rows[:wanted])
    ]
    ranked.sort(key=lambda item: (-item.score, item.offer.listing_id))
    if keep is not None:
        ranked = ranked[:keep]

    on_time = columns.on_time[rows]
    time_factor = np.clip((slack + 1) / (FULL_SLACK_DAYS / 2), 0.0, 1.0)
    lateness_risk = 1 - on_time * time_factor
    marginal = _convert(
        needs, columns.price_rate[rows], _per_piece(needs, columns, rows, needs.hours_per_piece)
    )
    setup = _convert(
        needs,
        columns.price_rate[rows],
        np.select(
            [columns.price_unit[rows] == HOURLY, columns.price_unit[rows] == PER_PIECE],
            [columns.price_amount[rows] * needs.setup_hours, 0.0],
            math.nan,
        ),
    )
    choices = Choices(
        rows=rows,
        listing_id=columns.listing_id[rows],
        company_id=columns.company_id[rows],
        score=scores,
        max_quantity=quantity,
        unit_cost=marginal * (1 + LATENESS_COST_SHARE * lateness_risk),
        setup_cost=setup,
        columns=columns,
        hours=hours,
        process=needs.process,
    )
    return Ranking(ranked, excluded, int(considered.sum()), len(rows), choices)


def _per_piece(
    needs: OrderNeeds, columns: OfferColumns, rows: np.ndarray, hours_per_piece: Any
) -> np.ndarray:
    unit = columns.price_unit[rows]
    amount = columns.price_amount[rows]
    return np.select(
        [unit == HOURLY, unit == PER_PIECE], [amount * hours_per_piece, amount], math.nan
    )


def _convert(needs: OrderNeeds, rates: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """`domain.convert` over rows: the same arithmetic, and no rounding for the same currency."""
    order_rate = REFERENCE_CNY_PER_UNIT[needs.currency]
    return np.where(rates == order_rate, amounts, amounts * rates / order_rate)


def _unit_prices(
    needs: OrderNeeds, columns: OfferColumns, rows: np.ndarray, share: np.ndarray
) -> np.ndarray:
    """`domain.estimate_unit_price` over rows: the setup spread over each row's share."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hours_per_piece = (needs.setup_hours + share * needs.hours_per_piece) / share
        prices = _convert(
            needs, columns.price_rate[rows], _per_piece(needs, columns, rows, hours_per_piece)
        )
    return np.where(share >= 1, prices, math.nan)


def _scores(
    needs: OrderNeeds,
    columns: OfferColumns,
    hours: OfferHours,
    rows: np.ndarray,
    share: np.ndarray,
    price: np.ndarray,
    reference: float | None,
    weights: Weights,
    today: date,
) -> tuple[np.ndarray, np.ndarray]:
    """The total score of each row (as `domain.score_offer` computes it) and its slack in days."""
    if reference:
        price_score = np.where(np.isnan(price), 0.5, np.clip(1.5 - price / reference, 0.0, 1.0))
    else:
        price_score = np.full(len(rows), 0.5)
    working_days = (needs.setup_hours + share * needs.hours_per_piece) / np.maximum(
        hours.daily[rows], 0.1
    )
    slack = (needs.due_date - today).days - columns.lead_time[rows] - working_days
    lead_score = np.clip(slack / FULL_SLACK_DAYS, 0.0, 1.0)
    on_time, quality, rating = columns.on_time[rows], columns.quality[rows], columns.rating[rows]
    track_score = 0.4 * on_time + 0.4 * quality + 0.2 * (rating - 1) / 4
    credit_score = columns.credit[rows]
    has_credit = ~np.isnan(credit_score)
    if needs.delivery is None:
        has_distance = np.zeros(len(rows), dtype=bool)
        distance_score = np.zeros(len(rows))
    else:
        has_distance = ~np.isnan(columns.latitude[rows])
        kilometres = _distance_km(columns.latitude[rows], columns.longitude[rows], needs.delivery)
        distance_score = 1 / (1 + kilometres / HALF_SCORE_KM)
    offered, unbooked = hours.offered[rows], hours.unbooked[rows]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        used = np.where(offered > 0, np.clip(1 - unbooked / offered, 0.0, 1.0), 1.0)
    idle_score = 1 - used

    # The criteria in `score_offer`'s order, absent ones adding nothing to weight or points.
    criteria = [
        (Criterion.PRICE, price_score, None),
        (Criterion.LEAD_TIME, lead_score, None),
        (Criterion.TRACK_RECORD, track_score, None),
        (Criterion.CREDIT, credit_score, has_credit),
        (Criterion.DISTANCE, distance_score, has_distance),
        (Criterion.IDLE_CAPACITY, idle_score, None),
    ]
    total_weight = np.zeros(len(rows))
    for criterion, _, present in criteria:
        weight = weights.of(criterion)
        total_weight = total_weight + (weight if present is None else np.where(present, weight, 0))
    total = np.zeros(len(rows))
    for criterion, score, present in criteria:
        points = score * weights.of(criterion) / total_weight * 100
        total = total + (points if present is None else np.where(present, points, 0.0))
    return np.round(total, 2), slack


def _distance_km(latitude: np.ndarray, longitude: np.ndarray, to: GeoPoint) -> np.ndarray:
    """`geo.distance_km` over rows (haversine)."""
    lat1, lat2 = np.radians(latitude), math.radians(to.latitude)
    dlat = lat2 - lat1
    dlon = np.radians(to.longitude - longitude)
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1) * math.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


# --- For a handful of plain offers ---------------------------------------------------------------


def rank_offers(
    needs: OrderNeeds,
    offers: Iterable[Offer],
    weights: Weights,
    today: date,
    *,
    keep: int | None = None,
) -> Ranking:
    """Rank plain offers: the feasible ones best first, the others counted by reason."""
    offers = list(offers)
    columns = OfferColumns([OfferRecord.of(offer) for offer in offers])
    return rank_columns(needs, columns, OfferHours.of(offers), weights, today, keep=keep)


def exclusions(needs: OrderNeeds, offer: Offer, today: date) -> list[Exclusion]:
    """Every reason the offer cannot serve the order; empty when it can."""
    columns = OfferColumns([OfferRecord.of(offer)])
    masks = exclusion_masks(needs, columns, OfferHours.of([offer]), today)
    return [exclusion for exclusion, mask in masks if mask[0]]


def max_quantity(needs: OrderNeeds, offer: Offer) -> int:
    """The most pieces the offer's free hours before the due date can make (capped at the order)."""
    return int(max_quantities(needs, np.array([offer.free_hours]))[0])
