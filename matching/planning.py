"""Plan a batch of open orders over shared capacity: whole orders (a GAP) or split ones (an LP).

Factories are capacity listings with the machine-hours they have free in the planning horizon;
each order lists the factories that may take it (feasible pairs only) with the cost per piece there.
An order, or part of one, that no factory can take stays unassigned at a penalty per piece, so a
plan always exists and the objective says what the unassigned work costs the buyers.

- Whole orders: the generalized assignment problem, solved by `matching.gap.solve_gap` with an
  extra "unassigned" agent; its lower bound and gap are reported.
- Split orders: the LP relaxation (fixed setup charges spread over the largest share, the
  standard relaxation) gives a lower bound and fractional shares; shares are rounded down, shares
  under the minimum lot dropped, and the rest placed greedily on the cheapest remaining capacity.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_array

# What a piece nobody makes costs the plan, as a multiple of its dearest feasible price.
UNASSIGNED_PENALTY_FACTOR = 10.0
DEFAULT_PENALTY_PER_PIECE = 1_000.0


class PlanMode(StrEnum):
    WHOLE = "whole"
    SPLIT = "split"


@dataclass(frozen=True)
class PlanFactory:
    key: int
    capacity_hours: float


@dataclass(frozen=True)
class PlanChoice:
    factory: int  # index into the factories
    unit_cost: float
    setup_cost: float
    max_quantity: int  # what the factory can take of this order before its due date


@dataclass(frozen=True)
class PlanOrder:
    key: int
    quantity: int
    min_lot: int
    splittable: bool
    hours_per_piece: float
    setup_hours: float
    choices: tuple[PlanChoice, ...]

    @property
    def penalty_per_piece(self) -> float:
        dearest = max((c.unit_cost + c.setup_cost / self.quantity for c in self.choices), default=0)
        return UNASSIGNED_PENALTY_FACTOR * dearest if dearest > 0 else DEFAULT_PENALTY_PER_PIECE

    def hours_for(self, quantity: int) -> float:
        return self.setup_hours + quantity * self.hours_per_piece


@dataclass(frozen=True)
class PlannedShare:
    order: int  # order key
    factory: int  # factory key
    quantity: int
    cost: float


@dataclass(frozen=True)
class BatchPlan:
    mode: PlanMode
    shares: tuple[PlannedShare, ...]
    unassigned: dict[int, int]  # order key -> pieces nobody makes
    objective: float  # cost of the shares plus the penalty for unassigned pieces
    lower_bound: float | None
    seconds: float

    @property
    def gap(self) -> float | None:
        """Relative distance to the lower bound: how far from optimal the plan can at most be."""
        if self.lower_bound is None:
            return None
        if self.objective <= 0:
            return 0.0
        return max(0.0, (self.objective - self.lower_bound) / self.objective)


def plan_batch(
    orders: Sequence[PlanOrder],
    factories: Sequence[PlanFactory],
    mode: PlanMode,
    *,
    time_limit: float = 5.0,
) -> BatchPlan:
    """Assign (or split) the orders over the factories at least total cost within `time_limit`."""
    started = time.perf_counter()
    if not orders:
        return BatchPlan(mode, (), {}, 0.0, 0.0, 0.0)
    if mode is PlanMode.WHOLE:
        return _plan_whole(orders, factories, time_limit, started)
    return _plan_split(orders, factories, time_limit, started)


def _plan_whole(
    orders: Sequence[PlanOrder],
    factories: Sequence[PlanFactory],
    time_limit: float,
    started: float,
) -> BatchPlan:
    # Imported here: the solver loads numba and compiles its kernels, which web workers that
    # never plan whole orders should not pay for at start-up.
    from matching.gap import GapInstance, solve_gap

    m, n = len(factories), len(orders)
    dummy = m  # the "unassigned" agent: takes anything, at the penalty
    costs = np.zeros((m + 1, n))
    weights = np.zeros((m + 1, n))
    allowed = np.zeros((m + 1, n), dtype=bool)
    for j, order in enumerate(orders):
        for choice in order.choices:
            if choice.max_quantity >= order.quantity:
                i = choice.factory
                costs[i, j] = choice.unit_cost * order.quantity + choice.setup_cost
                weights[i, j] = order.hours_for(order.quantity)
                allowed[i, j] = True
        costs[dummy, j] = order.penalty_per_piece * order.quantity
        allowed[dummy, j] = True
    capacities = np.array([f.capacity_hours for f in factories] + [0.0])
    solution = solve_gap(
        GapInstance(costs=costs, weights=weights, capacities=capacities, allowed=allowed),
        time_limit=time_limit,
    )
    shares: list[PlannedShare] = []
    unassigned: dict[int, int] = {}
    for j, agent in enumerate(solution.assignment):
        order = orders[j]
        if agent == dummy or agent < 0:
            unassigned[order.key] = order.quantity
        else:
            shares.append(
                PlannedShare(order.key, factories[agent].key, order.quantity, costs[agent, j])
            )
    objective = sum(s.cost for s in shares) + sum(
        orders[j].penalty_per_piece * orders[j].quantity
        for j, agent in enumerate(solution.assignment)
        if agent == dummy or agent < 0
    )
    return BatchPlan(
        PlanMode.WHOLE,
        tuple(shares),
        unassigned,
        float(objective),
        solution.lower_bound,
        _since(started),
    )


# Rounding loses pieces where real setups outgrow the relaxation's share of them; the pieces still
# missing are planned again, by the relaxation of what is left, a few times.
SPLIT_ROUNDS = 3


def _plan_split(
    orders: Sequence[PlanOrder],
    factories: Sequence[PlanFactory],
    time_limit: float,
    started: float,
) -> BatchPlan:
    free = np.array([f.capacity_hours for f in factories], dtype=float)
    placed: dict[tuple[int, int], int] = {}  # (order index, factory index) -> pieces
    lower_bound = None
    for round_number in range(SPLIT_ROUNDS):
        missing = _missing(orders, placed)
        if not missing:
            break
        left = time_limit - (time.perf_counter() - started)
        if left <= 0:
            break
        amounts, bound = _relaxation(orders, missing, placed, free, left)
        if round_number == 0:
            lower_bound = bound  # the first relaxation is of the whole problem
        if not _place_rounded(orders, missing, amounts, placed, free):
            break
    _place_the_rest(orders, placed, free)

    shares, objective = [], 0.0
    choice_of = {(j, c.factory): c for j, order in enumerate(orders) for c in order.choices}
    for (j, i), pieces in sorted(placed.items()):
        choice = choice_of[(j, i)]
        share_cost = choice.unit_cost * pieces + choice.setup_cost
        shares.append(PlannedShare(orders[j].key, factories[i].key, pieces, share_cost))
        objective += share_cost
    unassigned = {orders[j].key: pieces for j, pieces in _missing(orders, placed).items()}
    objective += sum(orders[j].penalty_per_piece * p for j, p in _missing(orders, placed).items())
    return BatchPlan(
        PlanMode.SPLIT, tuple(shares), unassigned, objective, lower_bound, _since(started)
    )


def _missing(orders: Sequence[PlanOrder], placed: dict[tuple[int, int], int]) -> dict[int, int]:
    made = dict.fromkeys(range(len(orders)), 0)
    for (j, _), pieces in placed.items():
        made[j] += pieces
    return {
        j: order.quantity - made[j] for j, order in enumerate(orders) if made[j] < order.quantity
    }


def _relaxation(
    orders: Sequence[PlanOrder],
    missing: dict[int, int],
    placed: dict[tuple[int, int], int],
    free: np.ndarray,
    time_limit: float,
) -> tuple[dict[tuple[int, int], float], float | None]:
    """Solve the LP relaxation for the missing pieces; return pieces per (order, factory).

    A new share's setup (cost and hours) is spread over the most it could take — the standard
    relaxation of a fixed charge — while topping up a share already placed costs no new setup.
    Unmet pieces cost the order's penalty, so the LP is always feasible and its optimum (on the
    first round, when nothing is placed) is a lower bound of every plan.
    """
    keys: list[tuple[int, int]] = []
    cost, upper, use = [], [], []
    for j, wanted in missing.items():
        order = orders[j]
        least = order.min_lot if order.splittable else order.quantity
        for choice in order.choices:
            already = placed.get((j, choice.factory), 0)
            room = min(choice.max_quantity - already, wanted)
            if room <= 0 or (not already and choice.max_quantity < least):
                continue
            spread = 0 if already else room
            keys.append((j, choice.factory))
            cost.append(choice.unit_cost + (choice.setup_cost / spread if spread else 0.0))
            use.append(order.hours_per_piece + (order.setup_hours / spread if spread else 0.0))
            upper.append(room)
    k, rows = len(keys), list(missing)
    row_of = {j: r for r, j in enumerate(rows)}
    n, m = len(rows), len(free)
    order_rows = np.array([row_of[j] for j, _ in keys] + list(range(n)), dtype=int)
    factory_rows = np.array([i for _, i in keys], dtype=int)
    penalties = [orders[j].penalty_per_piece for j in rows]
    equality = coo_array((np.ones(k + n), (order_rows, np.arange(k + n))), shape=(n, k + n)).tocsr()
    capacity = coo_array((use, (factory_rows, np.arange(k))), shape=(m, k + n)).tocsr()
    result = linprog(
        np.array(cost + penalties),
        A_ub=capacity,
        b_ub=np.maximum(free, 0.0),
        A_eq=equality,
        b_eq=np.array([missing[j] for j in rows], dtype=float),
        bounds=np.column_stack([np.zeros(k + n), np.array(upper + [missing[j] for j in rows])]),
        method="highs",
        options={"time_limit": time_limit},
    )
    if result.x is None:
        return {}, None
    # Stopped by the clock, the LP's value bounds nothing; its point is still worth rounding.
    bound = float(result.fun) if result.status == 0 else None
    return dict(zip(keys, result.x[:k].tolist(), strict=True)), bound


def _place_rounded(
    orders: Sequence[PlanOrder],
    missing: dict[int, int],
    amounts: dict[tuple[int, int], float],
    placed: dict[tuple[int, int], int],
    free: np.ndarray,
) -> bool:
    """Place the relaxed shares, rounded down and within the hours left; return if any was."""
    by_order: dict[int, list[tuple[int, float]]] = {}
    for (j, i), amount in amounts.items():
        by_order.setdefault(j, []).append((i, amount))
    most = {(j, c.factory): c.max_quantity for j in missing for c in orders[j].choices}
    progress = False
    # Whole orders first, biggest first, each where the relaxation put most of it and it fits;
    # split orders then fill around them.
    whole = sorted(
        (j for j in missing if not orders[j].splittable),
        key=lambda j: -orders[j].hours_for(orders[j].quantity),
    )
    for j in whole:
        order, hours = orders[j], orders[j].hours_for(orders[j].quantity)
        fitting = [
            (amount, i)
            for i, amount in by_order.get(j, [])
            if most[(j, i)] >= order.quantity and free[i] >= hours - 1e-9
        ]
        if fitting:
            _, i = max(fitting)
            placed[(j, i)] = order.quantity
            free[i] -= hours
            progress = True
    for j in missing:
        order = orders[j]
        if not order.splittable:
            continue
        wanted = missing[j]
        for i, pieces in _round_shares(by_order.get(j, []), wanted):
            already = placed.get((j, i), 0)
            setup = 0.0 if already else order.setup_hours
            room = int((free[i] - setup) / order.hours_per_piece + 1e-9)
            pieces = min(pieces, room, wanted)
            if pieces >= (1 if already else order.min_lot):
                placed[(j, i)] = already + pieces
                free[i] -= setup + pieces * order.hours_per_piece
                wanted -= pieces
                progress = True
    return progress


def _round_shares(amounts: list[tuple[int, float]], wanted: int) -> list[tuple[int, int]]:
    """Round an order's relaxed shares to whole pieces that still add up (largest remainder)."""
    floors = [(i, int(amount + 1e-6), amount - int(amount + 1e-6)) for i, amount in amounts]
    short = min(wanted, round(sum(amount for _, amount in amounts))) - sum(f for _, f, _ in floors)
    by_remainder = sorted(range(len(floors)), key=lambda k: -floors[k][2])
    extra = set(by_remainder[: max(0, short)])
    rounded = [(i, f + (k in extra)) for k, (i, f, _) in enumerate(floors)]
    return sorted(rounded, key=lambda item: -item[1])


def _place_the_rest(
    orders: Sequence[PlanOrder], placed: dict[tuple[int, int], int], free: np.ndarray
) -> None:
    """Put each order's pieces not yet placed on its cheapest choices with hours left."""
    factories_of: dict[int, list[int]] = {}
    for j, i in placed:
        factories_of.setdefault(j, []).append(i)
    for j, missing in _missing(orders, placed).items():
        order = orders[j]
        if not order.splittable and missing < order.quantity:
            continue  # a whole order placed in part cannot happen; nothing to add
        for choice in sorted(order.choices, key=lambda c: (c.unit_cost, c.factory)):
            if missing <= 0:
                break
            already = placed.get((j, choice.factory), 0)
            setup = 0.0 if already else order.setup_hours
            room = int((free[choice.factory] - setup) / order.hours_per_piece + 1e-9)
            pieces = min(missing, room, choice.max_quantity - already)
            least = 1 if already else (order.min_lot if order.splittable else order.quantity)
            if pieces < least:
                continue
            if not already:
                factories_of.setdefault(j, []).append(choice.factory)
            placed[(j, choice.factory)] = already + pieces
            free[choice.factory] -= setup + pieces * order.hours_per_piece
            missing -= pieces
        if 0 < missing < order.min_lot and order.splittable and factories_of.get(j):
            _open_share_from_largest(order, j, missing, factories_of[j], placed, free)


def _open_share_from_largest(
    order: PlanOrder,
    j: int,
    missing: int,
    factories: list[int],
    placed: dict[tuple[int, int], int],
    free: np.ndarray,
) -> None:
    """Fewer pieces are missing than a minimum lot: open a share of one lot at a factory with
    room and take the difference off the order's largest share, if that stays a lot itself."""
    largest, donor = max((placed[(j, i)], i) for i in factories)
    moved = order.min_lot - missing
    if largest - moved < order.min_lot:
        return
    hours = order.hours_for(order.min_lot)
    for choice in sorted(order.choices, key=lambda c: (c.unit_cost, c.factory)):
        i = choice.factory
        if (j, i) in placed or choice.max_quantity < order.min_lot or free[i] < hours - 1e-9:
            continue
        placed[(j, i)] = order.min_lot
        free[i] -= hours
        placed[(j, donor)] = largest - moved
        free[donor] += moved * order.hours_per_piece
        factories.append(i)
        return


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)
