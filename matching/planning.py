"""Plan a batch of open orders over shared capacity: whole orders (a GAP) or split ones (an LP).

Factories are capacity listings with the machine-hours they have free in the planning horizon;
each order lists the factories that may take it (feasible pairs only) with the cost per piece there.
An order, or part of one, that no factory can take stays unassigned at a penalty per piece, so a
plan always exists and the objective says what the unassigned work costs the buyers.

- Whole orders: the generalized assignment problem, solved by `matching.gap.solve_gap` with an
  extra "unassigned" agent; its lower bound and gap are reported.
- Split orders: the LP relaxation (fixed setup charges spread over the largest share, the
  standard relaxation), solved by HiGHS's dual simplex, gives a lower bound and fractional shares;
  shares are rounded (largest remainder) within the hours left, shares under the minimum lot
  dropped, and the rest placed greedily on the cheapest remaining capacity; a rest under a minimum
  lot gets a lot of its own elsewhere when that costs less than leaving it unassigned.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import highspy
import numpy as np

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


# Rounding loses pieces where real setups outgrow the relaxation's share of them. When hours are
# scarce, what is still missing is planned again by the relaxation of what is left (up to a few
# times): who gets the last hours is a question for the whole batch. When hours are plentiful, the
# greedy fill and repair place the rest near each order's cheapest choices as well or better, in
# a fraction of the time (on the benchmark's batches, 2–3 % of the hours missing and over ten
# times that free, another relaxation made four plans of five dearer; on batches with hours
# scarce it made them cheaper).
SPLIT_ROUNDS = 3
PLENTY_OF_HOURS = 5.0  # free hours per missing hour above which the greedy places the rest
REST_PASSES = 3


@dataclass(frozen=True)
class _Batch:
    """The orders' figures and their choices as flat arrays, built once per plan, so that each
    relaxation is put together with numpy rather than by a loop over every choice."""

    least: np.ndarray  # per order: the smallest share it may get (a lot, or all of it)
    hours_per_piece: np.ndarray
    setup_hours: np.ndarray
    penalty: np.ndarray  # per unmet piece
    # One entry per choice ("pair"), in the orders' order:
    order: np.ndarray
    factory: np.ndarray
    unit_cost: np.ndarray
    setup_cost: np.ndarray
    max_quantity: np.ndarray
    factory_count: int

    @classmethod
    def of(cls, orders: Sequence[PlanOrder], factory_count: int) -> _Batch:
        choices = [c for order in orders for c in order.choices]

        def field(name: str, dtype: type) -> np.ndarray:
            values = (getattr(c, name) for c in choices)
            return np.fromiter(values, dtype=dtype, count=len(choices))

        order = np.repeat(np.arange(len(orders)), [len(o.choices) for o in orders])
        unit_cost, setup_cost = field("unit_cost", float), field("setup_cost", float)
        # PlanOrder.penalty_per_piece of every order at once.
        quantity = np.array([o.quantity for o in orders], dtype=float)
        dearest = np.zeros(len(orders))
        np.maximum.at(dearest, order, unit_cost + setup_cost / quantity[order])
        return cls(
            least=np.array([o.min_lot if o.splittable else o.quantity for o in orders]),
            hours_per_piece=np.array([o.hours_per_piece for o in orders], dtype=float),
            setup_hours=np.array([o.setup_hours for o in orders], dtype=float),
            penalty=np.where(
                dearest > 0, UNASSIGNED_PENALTY_FACTOR * dearest, DEFAULT_PENALTY_PER_PIECE
            ),
            order=order,
            factory=field("factory", np.int64),
            unit_cost=unit_cost,
            setup_cost=setup_cost,
            max_quantity=field("max_quantity", np.int64),
            factory_count=factory_count,
        )

    @cached_property
    def _by_key(self) -> tuple[np.ndarray, np.ndarray]:
        keys = self.order * self.factory_count + self.factory
        by_key = np.argsort(keys, kind="stable")
        return keys[by_key], by_key

    def pairs(self, keys: Iterable[tuple[int, int]]) -> np.ndarray:
        """The pair index of each (order index, factory index)."""
        sorted_keys, by_key = self._by_key
        order, factory = np.array(list(keys), dtype=np.int64).reshape(-1, 2).T
        return by_key[np.searchsorted(sorted_keys, order * self.factory_count + factory)]


def _plan_split(
    orders: Sequence[PlanOrder],
    factories: Sequence[PlanFactory],
    time_limit: float,
    started: float,
) -> BatchPlan:
    batch = _Batch.of(orders, len(factories))
    # Hours each factory has left; a list, since the placing loops read and write single items.
    free = [float(f.capacity_hours) for f in factories]
    placed: dict[tuple[int, int], int] = {}  # (order index, factory index) -> pieces
    lower_bound = None
    for round_number in range(SPLIT_ROUNDS):
        missing = _missing(orders, placed)
        if not missing:
            break
        missing_hours = sum(orders[j].hours_per_piece * pieces for j, pieces in missing.items())
        if round_number > 0 and sum(max(h, 0.0) for h in free) > PLENTY_OF_HOURS * missing_hours:
            break
        left = time_limit - (time.perf_counter() - started)
        if left <= 0:
            break
        amounts, bound = _relaxation(batch, missing, placed, free, left)
        if round_number == 0:
            lower_bound = bound  # the first relaxation is of the whole problem
        if not _place_rounded(orders, missing, amounts, placed, free):
            break
    # Moving pieces off shares frees hours there, which orders earlier in the pass may use: pass
    # again while that places anything, a few times at most (each pass takes a few hundredths).
    for _ in range(REST_PASSES):
        if not _place_the_rest(orders, placed, free):
            break

    keys = sorted(placed)
    quantities = np.array([placed[key] for key in keys], dtype=np.int64)
    pairs = batch.pairs(keys)
    costs = (batch.unit_cost[pairs] * quantities + batch.setup_cost[pairs]).tolist()
    shares = [
        PlannedShare(orders[j].key, factories[i].key, placed[(j, i)], cost)
        for (j, i), cost in zip(keys, costs, strict=True)
    ]
    missing = _missing(orders, placed)
    unassigned = {orders[j].key: pieces for j, pieces in missing.items()}
    objective = sum(costs) + sum(float(batch.penalty[j]) * p for j, p in missing.items())
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
    batch: _Batch,
    missing: dict[int, int],
    placed: dict[tuple[int, int], int],
    free: list[float],
    time_limit: float,
) -> tuple[dict[tuple[int, int], float], float | None]:
    """Solve the LP relaxation for the missing pieces; return the pieces it puts on each (order,
    factory) pair — only those above zero — and a lower bound of its optimum.

    A new share's setup (cost and hours) is spread over the most it could take — the standard
    relaxation of a fixed charge — while topping up a share already placed costs no new setup.
    Unmet pieces cost the order's penalty, so the LP is always feasible and its optimum (on the
    first round, when nothing is placed) is a lower bound of every plan.
    """
    rows = np.fromiter(missing, dtype=np.int64, count=len(missing))  # order of each row
    row_of = np.full(len(batch.least), -1)
    row_of[rows] = np.arange(len(rows))
    wanted = np.zeros(len(batch.least), dtype=np.int64)
    wanted[rows] = np.fromiter(missing.values(), dtype=np.int64, count=len(missing))
    already = np.zeros(len(batch.order), dtype=np.int64)
    if placed:
        already[batch.pairs(placed)] = list(placed.values())

    room = np.minimum(batch.max_quantity - already, wanted[batch.order])
    usable = (room > 0) & ((already > 0) | (batch.max_quantity >= batch.least[batch.order]))
    pairs = np.flatnonzero(usable)
    order, room = batch.order[pairs], room[pairs].astype(float)
    # A share already placed has paid its setup: nothing to spread (x / inf is 0).
    spread = np.where(already[pairs] > 0, np.inf, room)
    unmet = np.arange(len(rows))
    columns = _Columns(
        row=np.concatenate([row_of[order], unmet]),
        factory=np.concatenate([batch.factory[pairs], np.full(len(rows), -1)]),
        cost=np.concatenate(
            [batch.unit_cost[pairs] + batch.setup_cost[pairs] / spread, batch.penalty[rows]]
        ),
        use=np.concatenate(
            [batch.hours_per_piece[order] + batch.setup_hours[order] / spread, np.zeros(len(rows))]
        ),
        upper=np.concatenate([room, wanted[rows].astype(float)]),
    )
    demand = wanted[rows].astype(float)
    x, bound = _solve_lp(columns, demand, np.maximum(free, 0.0), time_limit)
    if x is None:
        return {}, None
    positive = np.flatnonzero(x[: len(pairs)] > 0)
    keys = zip(
        batch.order[pairs[positive]].tolist(), batch.factory[pairs[positive]].tolist(), strict=True
    )
    return dict(zip(keys, x[positive].tolist(), strict=True)), bound


@dataclass(frozen=True)
class _Columns:
    """The columns of a relaxation: x pieces of an order (its row), using hours of a factory.

    The LP: minimise cost·x such that the columns of each order row add up to its demand, the
    hours (use·x) of each factory's columns stay within its capacity, and 0 <= x <= upper.
    Columns with factory −1 use no hours: they are an order's unmet pieces.
    """

    row: np.ndarray
    factory: np.ndarray
    cost: np.ndarray
    use: np.ndarray
    upper: np.ndarray


def _solve_lp(
    columns: _Columns, demand: np.ndarray, capacity: np.ndarray, time_limit: float
) -> tuple[np.ndarray | None, float | None]:
    """Solve the LP with HiGHS's dual simplex; return x and a lower bound of the optimum.

    The whole LP, at once: HiGHS's interior point takes several times longer on it (a factory's
    row meets hundreds of columns, so its normal equations are dense), and pricing in columns
    from each order's cheapest few (column generation) was slower too — with most factories'
    hours binding, a restricted LP's duals are far off, and re-solving after adding columns costs
    about as much as solving everything.
    """
    highs = highspy.Highs()
    highs.silent()
    highs.setOptionValue("time_limit", max(time_limit, 0.001))
    # Presolve finds nothing to remove here (two entries a column, no redundant rows) and costs
    # a fifth of the solve.
    highs.setOptionValue("presolve", "off")
    _pass_model(highs, columns, demand, capacity)
    highs.setBasis(_crash_basis(columns, len(demand), len(capacity)))
    highs.run()
    solution = highs.getSolution()
    if not solution.value_valid:
        return None, None
    x = np.asarray(solution.col_value)
    if not solution.dual_valid:
        return x, None
    duals = np.asarray(solution.row_dual)
    order_duals, capacity_duals = duals[: len(demand)], duals[len(demand) :]
    return x, _lagrangian_bound(columns, demand, capacity, order_duals, capacity_duals)


def _pass_model(
    highs: highspy.Highs, columns: _Columns, demand: np.ndarray, capacity: np.ndarray
) -> None:
    count, rows = len(columns.row), len(demand)
    uses_hours = columns.factory >= 0
    # Column-wise: each column has a 1 in its order's row and, unless it is an unmet column,
    # its hours per piece in its factory's row.
    start = np.zeros(count + 1, dtype=np.int32)
    np.cumsum(np.where(uses_hours, 2, 1), out=start[1:])
    index = np.empty(start[-1], dtype=np.int32)
    value = np.empty(start[-1])
    index[start[:-1]] = columns.row
    value[start[:-1]] = 1.0
    second = start[:-1][uses_hours] + 1
    index[second] = rows + columns.factory[uses_hours]
    value[second] = columns.use[uses_hours]
    row_lower = np.concatenate([demand, np.full(len(capacity), -highspy.kHighsInf)])
    row_upper = np.concatenate([demand, capacity])
    continuous = np.zeros(count, dtype=np.int32)  # this form wants an integrality per column
    # The flat form: HighsLp's matrix fields copy numpy arrays item by item, several times slower.
    highs.passModel(
        count, rows + len(capacity), int(start[-1]),
        int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
        columns.cost, np.zeros(count), columns.upper, row_lower, row_upper,
        start[:-1], index, value, continuous,
    )  # fmt: skip


def _crash_basis(columns: _Columns, rows: int, factories: int) -> highspy.HighsBasis:
    """A starting basis: each order row's cheapest column basic, every other column at zero and
    every factory's slack basic.

    It is dual feasible (no column is cheaper than its order's basic one) and already meets
    every order, only perhaps not the capacities, so the dual simplex starts far along: it
    takes about a fifth fewer iterations than from the slack basis.
    """
    by_cost = np.lexsort((columns.cost, columns.row))
    first = np.searchsorted(columns.row[by_cost], np.arange(rows))
    status = [highspy.HighsBasisStatus.kLower] * len(columns.row)
    for column in by_cost[first].tolist():
        status[column] = highspy.HighsBasisStatus.kBasic
    basis = highspy.HighsBasis()
    basis.col_status = status
    basis.row_status = [highspy.HighsBasisStatus.kLower] * rows + [
        highspy.HighsBasisStatus.kBasic
    ] * factories
    basis.valid = True
    return basis


def _lagrangian_bound(
    columns: _Columns,
    demand: np.ndarray,
    capacity: np.ndarray,
    order_duals: np.ndarray,
    capacity_duals: np.ndarray,
) -> float:
    """A lower bound of the LP's optimum from any duals: price the rows, solve what is left.

    With capacity duals at most zero, demand·y + capacity·w + Σ min(0, reduced cost)·upper is at
    most the optimum whether the duals are optimal or not (weak duality with bounded columns),
    and at optimal duals it is the optimum. So an LP stopped by the clock still bounds.
    """
    hour_prices = np.minimum(capacity_duals, 0.0)
    hours = np.where(columns.factory >= 0, hour_prices[columns.factory], 0.0)
    reduced = columns.cost - order_duals[columns.row] - columns.use * hours
    return float(
        demand @ order_duals + capacity @ hour_prices + np.minimum(reduced, 0.0) @ columns.upper
    )


def _place_rounded(
    orders: Sequence[PlanOrder],
    missing: dict[int, int],
    amounts: dict[tuple[int, int], float],
    placed: dict[tuple[int, int], int],
    free: list[float],
) -> bool:
    """Place the relaxed shares, rounded down and within the hours left; return if any was.

    `amounts` holds only the shares above zero.
    """
    progress = False
    # Whole orders first, biggest first, each where the relaxation put most of it and it fits;
    # split orders then fill around them.
    whole = sorted(
        (j for j in missing if not orders[j].splittable),
        key=lambda j: -orders[j].hours_for(orders[j].quantity),
    )
    for j in whole:
        order, hours = orders[j], orders[j].hours_for(orders[j].quantity)
        # Every choice that can take the order whole is a candidate, also those the relaxation
        # left at zero (it may have left the order unmet).
        fitting = [
            (amounts.get((j, c.factory), 0.0), c.factory)
            for c in order.choices
            if c.max_quantity >= order.quantity and free[c.factory] >= hours - 1e-9
        ]
        if fitting:
            _, i = max(fitting)
            placed[(j, i)] = order.quantity
            free[i] -= hours
            progress = True
    split = {key: amount for key, amount in amounts.items() if orders[key[0]].splittable}
    for j, shares in _round_shares(split, missing).items():
        order, wanted = orders[j], missing[j]
        for i, pieces in shares:
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


def _round_shares(
    amounts: dict[tuple[int, int], float], wanted: dict[int, int]
) -> dict[int, list[tuple[int, int]]]:
    """Round each order's relaxed shares to whole pieces that still add up (largest remainder).

    Returns, per order, (factory, pieces) with the most pieces first. The shares of an order must
    be listed together; numpy does all orders at once.
    """
    if not amounts:
        return {}
    order, factory = np.array(list(amounts), dtype=np.int64).T
    amount = np.fromiter(amounts.values(), dtype=float, count=len(amounts))
    orders, group = np.unique(order, return_inverse=True)
    floor = np.floor(amount + 1e-6)
    remainder = amount - floor
    totals = np.bincount(group, weights=amount)
    targets = np.minimum([wanted[j] for j in orders.tolist()], np.round(totals))
    short = targets - np.bincount(group, weights=floor)
    # Each order's shares by remainder, largest first (ties in listed order): the first `short`
    # of them get one piece more.
    ranked = np.lexsort((-remainder, group))
    rank = np.empty(len(amount), dtype=np.int64)
    rank[ranked] = np.arange(len(amount)) - np.searchsorted(group[ranked], group[ranked])
    pieces = (floor + (rank < short[group])).astype(np.int64)
    rounded: dict[int, list[tuple[int, int]]] = {}
    for k in np.lexsort((-pieces, group)).tolist():
        rounded.setdefault(int(order[k]), []).append((int(factory[k]), int(pieces[k])))
    return rounded


def _place_the_rest(
    orders: Sequence[PlanOrder], placed: dict[tuple[int, int], int], free: list[float]
) -> bool:
    """Put each order's pieces not yet placed on its cheapest choices with hours left; return
    whether any was placed."""
    progress = False
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
            progress = True
        if 0 < missing < order.min_lot and order.splittable and factories_of.get(j):
            progress |= _open_share_from_others(order, j, missing, factories_of[j], placed, free)
    return progress


def _open_share_from_others(
    order: PlanOrder,
    j: int,
    missing: int,
    factories: list[int],
    placed: dict[tuple[int, int], int],
    free: list[float],
) -> bool:
    """Fewer pieces are missing than a minimum lot: open a share of one lot at the cheapest
    factory with room and take the difference off the order's other shares — the dearest first,
    each keeping at least a lot — if that costs less than leaving the pieces unmet. Return
    whether it did."""
    moved = order.min_lot - missing
    choice_at = {c.factory: c for c in order.choices}
    donors = sorted(factories, key=lambda i: (-choice_at[i].unit_cost, i))
    takes, left = [], moved
    for i in donors:
        take = min(placed[(j, i)] - order.min_lot, left)
        if take > 0:
            takes.append((i, take))
            left -= take
    if left > 0:
        return False
    saved = order.penalty_per_piece * missing + sum(choice_at[i].unit_cost * t for i, t in takes)
    hours = order.hours_for(order.min_lot)
    for choice in sorted(order.choices, key=lambda c: (c.unit_cost, c.factory)):
        i = choice.factory
        if (j, i) in placed or choice.max_quantity < order.min_lot or free[i] < hours - 1e-9:
            continue
        if choice.setup_cost + choice.unit_cost * order.min_lot >= saved:
            continue
        placed[(j, i)] = order.min_lot
        free[i] -= hours
        for donor, take in takes:
            placed[(j, donor)] -= take
            free[donor] += take * order.hours_per_piece
        factories.append(i)
        return True
    return False


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)
