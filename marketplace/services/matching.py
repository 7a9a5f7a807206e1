"""Use cases of matching: feed the pure engine in `matching/` from the database, store its results.

An order's candidates are the capacity listings that offer its process, held as columns in memory
by `listing_index` (kept fresh from the outbox) and ranked by `matching.ranking`. The best ranking
is stored per open order and recomputed by Celery when the order is published or capacity,
bookings or track records change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, func, select

from core.auth import Principal
from core.db import db, utcnow
from core.errors import InvalidInput, PermissionDenied
from core.money import Currency
from core.translatable import N_
from core.unit_of_work import unit_of_work
from marketplace.domain import CompanyRole
from marketplace.models import (
    CapacityListing,
    Company,
    ListingProcess,
    MatchCandidate,
    MatchRun,
    Order,
    QuoteInvitation,
)
from marketplace.production import OrderNotFound, OrderNotOpen
from marketplace.services.common import acting_company, get_for_update
from marketplace.services.listing_index import listing_index
from marketplace.services.orders import OPEN_FOR_QUOTES, _buyer_order
from marketplace.taxonomy import TAXONOMY
from matching.allocation import MAX_CANDIDATES, SplitOption, SplitPlan, plan_split
from matching.domain import OrderNeeds, RankedOffer, Weights, convert, estimate_unit_price
from matching.geo import locate_city
from matching.planning import BatchPlan, PlanChoice, PlanFactory, PlanMode, PlanOrder, plan_batch
from matching.ranking import Choices, Ranking, rank_columns

MAX_STORED_CANDIDATES = 30
MAX_PROPOSED_SUPPLIERS = 5
MAX_PLAN_ORDERS = 2_000
MAX_PLAN_SECONDS = 30.0


def needs_of(order: Order) -> OrderNeeds:
    """Describe an order for the matching engine."""
    process = TAXONOMY.processes[order.process]
    return OrderNeeds(
        order_id=order.id,
        buyer_company_id=order.buyer_company_id,
        process=order.process,
        family=process.family,
        material=order.material,
        any_material=process.any_material,
        quantity=order.quantity,
        min_lot=order.min_lot,
        splittable=order.splittable,
        tolerance_mm=float(order.tolerance_mm),
        part_size_mm=(order.part_x_mm, order.part_y_mm, order.part_z_mm),
        certifications=frozenset(order.required_certifications or ()),
        due_date=order.due_date,
        currency=order.currency.value,
        target_unit_price=(
            float(order.target_unit_price) if order.target_unit_price is not None else None
        ),
        delivery=locate_city(order.delivery_city),
        minutes_per_piece=(
            float(order.minutes_per_piece) if order.minutes_per_piece is not None else None
        ),
    )


def weights_of(order: Order) -> Weights:
    return Weights(**order.match_weights) if order.match_weights else Weights()


# --- Ranking one order -----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A ranked listing as shown to the buyer."""

    rank: int
    listing_id: int
    listing_title: str
    company_id: int
    company_name: str
    city: str
    score: Decimal
    max_quantity: int
    unit_price: Decimal | None
    contributions: list[dict[str, Any]]


@dataclass(frozen=True)
class Matches:
    order: Order
    weights: Weights
    computed_at: datetime
    considered: int
    feasible: int
    exclusions: list[dict[str, Any]]
    candidates: list[Candidate]
    proposal: dict[str, Any] | None
    stored: bool  # False: computed just now for weights other than the order's own


def rank_order(
    order: Order, weights: Weights, today: date, *, keep: int = MAX_STORED_CANDIDATES
) -> tuple[Ranking, SplitPlan]:
    """Rank the listings for an order (the `keep` best explained) and propose how to split it."""
    needs = needs_of(order)
    listings = listing_index().listings(order.process, today)
    hours, considered = listings.hours_for(needs, today)
    ranking = rank_columns(
        needs, listings.offers, hours, weights, today, considered=considered, keep=keep
    )
    return ranking, propose_split(needs, ranking.choices)


def propose_split(needs: OrderNeeds, choices: Choices) -> SplitPlan:
    """The cheapest cover of the order by at most five suppliers, one listing each.

    Quotes are per company, so only each company's best-ranked listing takes part; listings
    priced on quotation have no cost to compare and stay out.
    """
    _, first = np.unique(choices.company_id, return_index=True)  # best ranked come first
    best = np.sort(first)
    least = needs.min_lot if needs.splittable else needs.quantity
    best = best[~np.isnan(choices.unit_cost[best]) & (choices.max_quantity[best] >= least)]
    # `plan_split` keeps the MAX_CANDIDATES cheapest per piece at their fullest share; handing it
    # twice that many (by the same measure) instead of thousands changes nothing but the time.
    per_piece = choices.unit_cost[best] + choices.setup_cost[best] / np.minimum(
        choices.max_quantity[best], needs.quantity
    )
    if len(best) > 2 * MAX_CANDIDATES:
        best = best[np.argpartition(per_piece, 2 * MAX_CANDIDATES)[: 2 * MAX_CANDIDATES]]
    options = [
        SplitOption(
            key=int(choices.listing_id[i]),
            capacity=int(choices.max_quantity[i]),
            unit_cost=float(choices.unit_cost[i]),
            setup_cost=float(choices.setup_cost[i]),
        )
        for i in best
    ]
    return plan_split(
        needs.quantity,
        options,
        min_lot=needs.min_lot,
        splittable=needs.splittable,
        max_suppliers=MAX_PROPOSED_SUPPLIERS,
    )


def _proposal(needs: OrderNeeds, ranking: Ranking, plan: SplitPlan) -> dict[str, Any] | None:
    """The proposed shares with the price each implies for its quantity, and their total."""
    if not plan.shares:
        return None
    position = {int(listing_id): i for i, listing_id in enumerate(ranking.choices.listing_id)}
    shares, total = [], Decimal(0)
    for share in plan.shares:
        offer = ranking.choices.offer(position[share.key])
        unit_price = estimate_unit_price(needs, offer, share.quantity)
        shares.append(
            {
                "listing_id": share.key,
                "company_id": offer.company_id,
                "quantity": share.quantity,
                "unit_price": _money(unit_price),
            }
        )
        if unit_price is not None:
            total += Decimal(_money(unit_price) or 0) * share.quantity
    return {
        "shares": shares,
        "total_cost": str(total),
        "currency": needs.currency,
        "optimal": plan.optimal,
    }


def _money(amount: float | None) -> str | None:
    return None if amount is None else str(Decimal(str(amount)).quantize(Decimal("0.01")))


def refresh_matches(order_id: int) -> MatchRun | None:
    """Recompute and store an order's matches; drop them once it no longer takes quotes."""
    today = utcnow().date()
    with unit_of_work() as session:
        order = get_for_update(Order, order_id)
        if order is None:
            return None
        if order.status not in OPEN_FOR_QUOTES or order.due_date <= today:
            session.execute(delete(MatchCandidate).where(MatchCandidate.order_id == order_id))
            session.execute(delete(MatchRun).where(MatchRun.order_id == order_id))
            return None
        weights = weights_of(order)
        ranking, plan = rank_order(order, weights, today)
        run = session.get(MatchRun, order_id) or MatchRun(order_id=order_id)
        run.weights = weights.as_dict()
        run.considered = ranking.considered
        run.feasible = ranking.feasible
        run.exclusions = ranking.exclusion_summary()
        run.proposal = _proposal(needs_of(order), ranking, plan)
        run.computed_at = utcnow()
        run.candidates = []
        session.add(run)
        session.flush()
        run.candidates = [
            MatchCandidate(
                listing_id=item.offer.listing_id,
                company_id=item.offer.company_id,
                rank=rank,
                score=Decimal(str(item.score)),
                max_quantity=item.max_quantity,
                unit_price=None if item.unit_price is None else Decimal(_money(item.unit_price)),
                contributions=[c.as_dict() for c in item.contributions],
            )
            for rank, item in enumerate(ranking.ranked, start=1)
        ]
    return run


def _buyer_or_operator_order(principal: Principal, order_id: int) -> Order:
    if principal.is_operator:
        order = db.session.get(Order, order_id)
        if order is None:
            raise OrderNotFound()
        return order
    return _buyer_order(principal, order_id)


def get_matches(principal: Principal, order_id: int, weights: Weights | None = None) -> Matches:
    """The ranked suppliers for the buyer's order, stored or, for other weights, computed now.

    Raises:
        OrderNotFound / NotYourOrder; OrderNotOpen when the order no longer takes quotes.
    """
    order = _buyer_or_operator_order(principal, order_id)
    _require_open(order)
    today = utcnow().date()
    if weights is not None and weights != weights_of(order):
        ranking, plan = rank_order(order, weights, today)
        return Matches(
            order=order,
            weights=weights,
            computed_at=utcnow(),
            considered=ranking.considered,
            feasible=ranking.feasible,
            exclusions=ranking.exclusion_summary(),
            candidates=[
                _candidate(rank, item) for rank, item in enumerate(ranking.ranked, start=1)
            ],
            proposal=_proposal(needs_of(order), ranking, plan),
            stored=False,
        )
    run = db.session.get(MatchRun, order.id)
    if run is None:  # published before matching existed, or the task has not run yet
        run = refresh_matches(order.id)
        if run is None:
            raise OrderNotFound()
    return _stored_matches(order, run)


def _require_open(order: Order) -> None:
    if order.status not in OPEN_FOR_QUOTES or order.due_date <= utcnow().date():
        raise OrderNotOpen(N_("Matches are shown while an order takes quotes."))


def _candidate(rank: int, item: RankedOffer) -> Candidate:
    return Candidate(
        rank=rank,
        listing_id=item.offer.listing_id,
        listing_title=item.offer.title,
        company_id=item.offer.company_id,
        company_name=item.offer.company_name,
        city=item.offer.city,
        score=Decimal(str(item.score)),
        max_quantity=item.max_quantity,
        unit_price=None if item.unit_price is None else Decimal(_money(item.unit_price) or 0),
        contributions=[c.as_dict() for c in item.contributions],
    )


def _stored_matches(order: Order, run: MatchRun) -> Matches:
    listing_ids = [candidate.listing_id for candidate in run.candidates]
    names = {
        row[0]: row[1:]
        for row in db.session.execute(
            select(CapacityListing.id, CapacityListing.title, Company.legal_name, Company.city)
            .join(Company, Company.id == CapacityListing.company_id)
            .where(CapacityListing.id.in_(listing_ids))
        )
    }
    return Matches(
        order=order,
        weights=Weights(**run.weights),
        computed_at=run.computed_at,
        considered=run.considered,
        feasible=run.feasible,
        exclusions=run.exclusions,
        candidates=[
            Candidate(
                rank=candidate.rank,
                listing_id=candidate.listing_id,
                listing_title=names[candidate.listing_id][0],
                company_id=candidate.company_id,
                company_name=names[candidate.listing_id][1],
                city=names[candidate.listing_id][2],
                score=candidate.score,
                max_quantity=candidate.max_quantity,
                unit_price=candidate.unit_price,
                contributions=candidate.contributions,
            )
            for candidate in run.candidates
            if candidate.listing_id in names
        ],
        proposal=run.proposal,
        stored=True,
    )


def save_match_weights(principal: Principal, order_id: int, weights: Weights) -> Matches:
    """Keep the buyer's weights on the order and re-rank with them now.

    Raises:
        OrderNotFound / NotYourOrder; OrderNotOpen.
    """
    with unit_of_work():
        order = _buyer_order(principal, order_id, lock=True)
        _require_open(order)
        order.match_weights = weights.as_dict()
    run = refresh_matches(order_id)
    if run is None:
        raise OrderNotFound()
    return _stored_matches(db.session.get(Order, order_id), run)


def accept_proposal(principal: Principal, order_id: int) -> list[QuoteInvitation]:
    """Invite the suppliers of the proposed split to quote for their shares; repeats change nothing.

    Raises:
        OrderNotFound / NotYourOrder; OrderNotOpen; InvalidInput when there is no proposal.
    """
    if db.session.get(MatchRun, order_id) is None:  # not ranked yet: rank it now, as a view would
        _require_open(_buyer_order(principal, order_id))
        refresh_matches(order_id)
    with unit_of_work() as session:
        order = _buyer_order(principal, order_id, lock=True)
        _require_open(order)
        run = session.get(MatchRun, order.id)
        if run is None or not run.proposal:
            raise InvalidInput(
                N_("There is no proposed split for this order (yet)."), field="proposal"
            )
        invited = {invitation.supplier_company_id: invitation for invitation in order.invitations}
        for share in run.proposal["shares"]:
            invitation = invited.get(share["company_id"])
            if invitation is None:
                invitation = QuoteInvitation(
                    order_id=order.id,
                    supplier_company_id=share["company_id"],
                    invited_by_id=principal.user_id,
                )
                order.invitations.append(invitation)
            invitation.proposed_quantity = share["quantity"]
        session.flush()
        company_ids = [share["company_id"] for share in run.proposal["shares"]]
        return [i for i in order.invitations if i.supplier_company_id in company_ids]


# --- A supplier's side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recommendation:
    order: Order
    listing_id: int
    listing_title: str
    score: Decimal
    max_quantity: int
    unit_price: Decimal | None
    proposed_quantity: int | None  # the share of the order's proposed split, if it has one
    contributions: list[dict[str, Any]]


def recommended_orders(principal: Principal, *, limit: int = 20) -> list[Recommendation]:
    """Open orders the caller's listings match best, best first (one entry per order)."""
    company = acting_company(principal, CompanyRole.SUPPLIER)
    today = utcnow().date()
    # The company's best-ranked listing on each order it is a candidate for.
    best = (
        select(MatchCandidate.order_id, func.min(MatchCandidate.rank).label("rank"))
        .where(MatchCandidate.company_id == company.id)
        .group_by(MatchCandidate.order_id)
        .subquery()
    )
    rows = db.session.execute(
        select(MatchCandidate, Order, CapacityListing.title, MatchRun.proposal)
        .join(
            best,
            (best.c.order_id == MatchCandidate.order_id) & (best.c.rank == MatchCandidate.rank),
        )
        .join(Order, Order.id == MatchCandidate.order_id)
        .join(MatchRun, MatchRun.order_id == MatchCandidate.order_id)
        .join(CapacityListing, CapacityListing.id == MatchCandidate.listing_id)
        .where(Order.status.in_(OPEN_FOR_QUOTES), Order.due_date > today)
        .order_by(MatchCandidate.score.desc(), MatchCandidate.order_id.desc())
        .limit(limit)
    ).all()
    recommendations = []
    for candidate, order, title, proposal in rows:
        proposed = next(
            (
                share["quantity"]
                for share in (proposal or {}).get("shares", [])
                if share["company_id"] == company.id
            ),
            None,
        )
        recommendations.append(
            Recommendation(
                order=order,
                listing_id=candidate.listing_id,
                listing_title=title,
                score=candidate.score,
                max_quantity=candidate.max_quantity,
                unit_price=candidate.unit_price,
                proposed_quantity=proposed,
                contributions=candidate.contributions,
            )
        )
    return recommendations


# --- Planning a batch ----------------------------------------------------------------------------


# Batch plans compare costs across orders: all in one currency, at the reference rates.
PLAN_CURRENCY = Currency.CNY


@dataclass(frozen=True)
class PlanResult:
    plan: BatchPlan
    currency: Currency
    orders: dict[int, Order]
    listings: dict[int, tuple[str, int, str]]  # listing id -> (title, company id, company name)


def plan_open_orders(
    principal: Principal,
    *,
    order_ids: list[int] | None,
    mode: PlanMode,
    time_limit: float,
) -> PlanResult:
    """Plan open orders (all, or the given ones) over the listings' free hours. Operators only.

    Each listing's capacity is what it has free up to the latest due date in the batch; each
    order may only go where it is feasible, within what the listing has free before its due date.

    Raises:
        PermissionDenied for anyone but an operator; InvalidInput for unknown or closed orders,
        too many orders or a time limit out of range.
    """
    if not principal.is_operator:
        raise PermissionDenied(N_("Only operators plan batches of orders."))
    if not 0 < time_limit <= MAX_PLAN_SECONDS:
        raise InvalidInput(
            N_("The time limit must be between 0 and %(max)d seconds."),
            field="time_limit",
            max=int(MAX_PLAN_SECONDS),
        )
    today = utcnow().date()
    statement: Select[tuple[Order]] = select(Order).where(
        Order.status.in_(OPEN_FOR_QUOTES), Order.due_date > today
    )
    if order_ids is not None:
        statement = statement.where(Order.id.in_(order_ids))
    orders = list(db.session.scalars(statement.order_by(Order.id).limit(MAX_PLAN_ORDERS + 1)))
    if order_ids is not None and len(orders) != len(set(order_ids)):
        missing = sorted(set(order_ids) - {order.id for order in orders})
        raise InvalidInput(
            N_("These orders are not open for quotes: %(ids)s."),
            field="order_ids",
            ids=", ".join(map(str, missing[:20])),
        )
    if len(orders) > MAX_PLAN_ORDERS:
        raise InvalidInput(
            N_("A plan takes at most %(max)d orders."), field="order_ids", max=MAX_PLAN_ORDERS
        )
    plan_orders, factories, listings = _plan_inputs(orders, today)
    plan = plan_batch(plan_orders, factories, mode, time_limit=time_limit)
    return PlanResult(plan, PLAN_CURRENCY, {order.id: order for order in orders}, listings)


def _plan_inputs(
    orders: Iterable[Order], today: date
) -> tuple[list[PlanOrder], list[PlanFactory], dict[int, tuple[str, int, str]]]:
    by_process: dict[str, list[Order]] = defaultdict(list)
    for order in orders:
        by_process[order.process].append(order)
    horizon = max((order.due_date for order in orders), default=today)
    factory_index: dict[int, int] = {}
    factories: list[PlanFactory] = []
    listings: dict[int, tuple[str, int, str]] = {}
    plan_orders = []
    for process, group in by_process.items():
        offered = listing_index().listings(process, today)
        # A factory's hours are those free before the plan's horizon.
        _, free_until_horizon, _ = offered.calendars.free_hours(
            today, horizon, np.zeros(len(offered.offers), dtype=np.int64)
        )
        for order in group:
            needs = needs_of(order)
            hours, considered = offered.hours_for(needs, today)
            choices = rank_columns(
                needs, offered.offers, hours, Weights(), today, considered=considered, keep=0
            ).choices
            plan_choices = []
            for i in np.flatnonzero(~np.isnan(choices.unit_cost)):
                row = int(choices.rows[i])
                record = offered.offers.records[row]
                if record.listing_id not in factory_index:
                    factory_index[record.listing_id] = len(factories)
                    factories.append(PlanFactory(record.listing_id, float(free_until_horizon[row])))
                    listings[record.listing_id] = (
                        record.title,
                        record.company_id,
                        record.company_name,
                    )
                # One currency for the whole plan, or a USD order would look 7 times cheaper.
                plan_choices.append(
                    PlanChoice(
                        factory=factory_index[record.listing_id],
                        unit_cost=convert(
                            float(choices.unit_cost[i]), needs.currency, PLAN_CURRENCY
                        ),
                        setup_cost=convert(
                            float(choices.setup_cost[i]), needs.currency, PLAN_CURRENCY
                        ),
                        max_quantity=int(choices.max_quantity[i]),
                    )
                )
            plan_orders.append(
                PlanOrder(
                    key=order.id,
                    quantity=order.quantity,
                    min_lot=order.min_lot,
                    splittable=order.splittable,
                    hours_per_piece=needs.hours_per_piece,
                    setup_hours=needs.setup_hours,
                    choices=tuple(plan_choices),
                )
            )
    return plan_orders, factories, listings


# --- Keeping stored matches fresh ---------------------------------------------------------------


def open_orders_for_processes(processes: Iterable[str]) -> list[int]:
    today = utcnow().date()
    return list(
        db.session.scalars(
            select(Order.id).where(
                Order.process.in_(list(processes)),
                Order.status.in_(OPEN_FOR_QUOTES),
                Order.due_date > today,
            )
        )
    )


def refresh_affected_matches(
    *, listing_id: int | None = None, machine_id: int | None = None, company_id: int | None = None
) -> int:
    """Recompute the open orders a change to a listing, a machine or a company can re-rank.

    Those are the open orders in the processes of the listings concerned (a company's record or
    certificates reach all of its listings). Returns how many orders were recomputed.
    """
    listings = select(CapacityListing.id)
    if listing_id is not None:
        listings = listings.where(CapacityListing.id == listing_id)
    elif machine_id is not None:
        listings = listings.where(CapacityListing.machine_id == machine_id)
    elif company_id is not None:
        listings = listings.where(CapacityListing.company_id == company_id)
    else:
        return 0
    processes = db.session.scalars(
        select(ListingProcess.process).where(ListingProcess.listing_id.in_(listings)).distinct()
    ).all()
    order_ids = open_orders_for_processes(processes)
    for order_id in order_ids:
        refresh_matches(order_id)
    return len(order_ids)
