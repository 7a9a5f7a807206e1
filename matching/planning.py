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

from matching.gap import GapInstance, solve_gap

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
    return _plan_split(orders, factories, started)


def _plan_whole(
    orders: Sequence[PlanOrder],
    factories: Sequence[PlanFactory],
    time_limit: float,
    started: float,
) -> BatchPlan:
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


def _plan_split(
    orders: Sequence[PlanOrder], factories: Sequence[PlanFactory], started: float
) -> BatchPlan:
    # Columns: one per (order, choice) pair, then one "unmet" column per order.
    pairs = [
        (j, choice)
        for j, order in enumerate(orders)
        for choice in order.choices
        if choice.max_quantity >= (order.min_lot if order.splittable else order.quantity)
    ]
    k, n, m = len(pairs), len(orders), len(factories)
    cost = np.empty(k + n)
    upper = np.empty(k + n)
    rows_order, rows_factory, factory_use = [], [], []
    for column, (j, choice) in enumerate(pairs):
        order = orders[j]
        cap = max(1, min(choice.max_quantity, order.quantity))
        cost[column] = choice.unit_cost + choice.setup_cost / cap
        upper[column] = min(choice.max_quantity, order.quantity)
        rows_order.append(j)
        rows_factory.append(choice.factory)
        factory_use.append(order.hours_per_piece + order.setup_hours / cap)
    for j, order in enumerate(orders):
        cost[k + j] = order.penalty_per_piece
        upper[k + j] = order.quantity

    columns = np.arange(k)
    equality = coo_array(
        (
            np.ones(k + n),
            (
                np.concatenate([rows_order, np.arange(n)]),
                np.concatenate([columns, k + np.arange(n)]),
            ),
        ),
        shape=(n, k + n),
    ).tocsr()
    capacity = coo_array((factory_use, (rows_factory, columns)), shape=(m, k + n)).tocsr()
    result = linprog(
        cost,
        A_ub=capacity,
        b_ub=np.array([f.capacity_hours for f in factories], dtype=float),
        A_eq=equality,
        b_eq=np.array([o.quantity for o in orders], dtype=float),
        bounds=np.column_stack([np.zeros(k + n), upper]),
        method="highs",
    )
    lower_bound = float(result.fun) if result.status == 0 else None
    fractional = result.x if result.x is not None else np.zeros(k + n)

    free = np.array([f.capacity_hours for f in factories], dtype=float)
    placed: dict[tuple[int, int], int] = {}  # (order index, factory index) -> pieces
    by_order: dict[int, list[tuple[PlanChoice, float]]] = {}
    for column, (j, choice) in enumerate(pairs):
        by_order.setdefault(j, []).append((choice, fractional[column]))
    # Whole orders first, biggest first, each where the relaxation put most of it and it fits;
    # split orders then fill around them with their relaxed shares, rounded down.
    whole = sorted(
        (j for j, order in enumerate(orders) if not order.splittable),
        key=lambda j: -orders[j].hours_for(orders[j].quantity),
    )
    for j in whole:
        order, hours = orders[j], orders[j].hours_for(orders[j].quantity)
        fitting = [
            (choice, amount)
            for choice, amount in by_order.get(j, [])
            if choice.max_quantity >= order.quantity and free[choice.factory] >= hours - 1e-9
        ]
        if fitting:
            choice, _ = max(fitting, key=lambda item: (item[1], -item[0].unit_cost))
            placed[(j, choice.factory)] = order.quantity
            free[choice.factory] -= hours
    for j, order in enumerate(orders):
        if not order.splittable:
            continue
        kept = [(choice, int(amount + 1e-6)) for choice, amount in by_order.get(j, [])]
        for choice, pieces in sorted(kept, key=lambda item: -item[1]):
            # Real setups cost more hours than the relaxation spread over the share: shrink
            # a share that no longer fits rather than lose it.
            room = int((free[choice.factory] - order.setup_hours) / order.hours_per_piece + 1e-9)
            pieces = min(pieces, room)
            if pieces >= order.min_lot:
                placed[(j, choice.factory)] = pieces
                free[choice.factory] -= order.hours_for(pieces)
    _place_the_rest(orders, placed, free)

    shares, unassigned, objective = [], {}, 0.0
    choice_of = {(j, c.factory): c for j, order in enumerate(orders) for c in order.choices}
    for (j, i), pieces in sorted(placed.items()):
        choice = choice_of[(j, i)]
        share_cost = choice.unit_cost * pieces + choice.setup_cost
        shares.append(PlannedShare(orders[j].key, factories[i].key, pieces, share_cost))
        objective += share_cost
    made = dict.fromkeys(range(len(orders)), 0)
    for (j, _), pieces in placed.items():
        made[j] += pieces
    for j, order in enumerate(orders):
        missing = order.quantity - made[j]
        if missing:
            unassigned[order.key] = missing
            objective += missing * order.penalty_per_piece
    return BatchPlan(
        PlanMode.SPLIT, tuple(shares), unassigned, objective, lower_bound, _since(started)
    )


def _place_the_rest(
    orders: Sequence[PlanOrder], placed: dict[tuple[int, int], int], free: np.ndarray
) -> None:
    """Put each order's pieces not yet placed on its cheapest choices with hours left."""
    made = dict.fromkeys(range(len(orders)), 0)
    for (j, _), pieces in placed.items():
        made[j] += pieces
    for j, order in enumerate(orders):
        missing = order.quantity - made[j]
        for choice in sorted(order.choices, key=lambda c: (c.unit_cost, c.factory)):
            if missing <= 0:
                break
            already = placed.get((j, choice.factory), 0)
            setup = 0.0 if already else order.setup_hours
            room = int((free[choice.factory] - setup) / order.hours_per_piece + 1e-9)
            pieces = min(missing, room, choice.max_quantity - already)
            least = 1 if already else (order.min_lot if order.splittable else order.quantity)
            if not order.splittable and already == 0 and made[j] > 0:
                continue
            if pieces < least:
                continue
            placed[(j, choice.factory)] = already + pieces
            free[choice.factory] -= setup + pieces * order.hours_per_piece
            missing -= pieces
            made[j] += pieces


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)
