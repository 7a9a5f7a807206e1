"""Split one order over suppliers at least cost: a small mixed-integer program solved by HiGHS.

For each candidate i: q_i pieces (integer), y_i = 1 when i gets a share. Minimise
    sum_i (unit_cost_i · q_i + setup_cost_i · y_i)
subject to sum_i q_i = quantity, min_lot · y_i <= q_i <= capacity_i · y_i and
sum_i y_i <= max_suppliers.
`unit_cost_i` already holds the price and the expected cost of lateness at that supplier.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, hstack, identity, vstack

# Beyond the cheapest few dozen candidates the optimum practically never changes, the model does.
MAX_CANDIDATES = 60
DEFAULT_MAX_SUPPLIERS = 5


@dataclass(frozen=True)
class SplitOption:
    key: int  # the listing
    capacity: int  # most pieces it can take
    unit_cost: float
    setup_cost: float


@dataclass(frozen=True)
class Share:
    key: int
    quantity: int


@dataclass(frozen=True)
class SplitPlan:
    shares: tuple[Share, ...]  # empty when the order cannot be covered
    total_cost: float | None
    lower_bound: float | None
    optimal: bool
    coverable: int  # pieces the candidates could take together (within max_suppliers)
    seconds: float


def plan_split(
    quantity: int,
    options: Sequence[SplitOption],
    *,
    min_lot: int = 1,
    splittable: bool = True,
    max_suppliers: int = DEFAULT_MAX_SUPPLIERS,
    time_limit: float = 2.0,
) -> SplitPlan:
    """The cheapest way to make `quantity` pieces with the given options.

    An order that may not be split goes whole to the cheapest option that can take it all.
    """
    started = time.perf_counter()
    usable = [o for o in options if o.capacity >= (min_lot if splittable else quantity)]
    if not splittable or max_suppliers == 1:
        whole = [o for o in usable if o.capacity >= quantity]
        if not whole:
            best_single = max((o.capacity for o in usable), default=0)
            return SplitPlan((), None, None, False, best_single, _since(started))
        best = min(whole, key=lambda o: (o.unit_cost * quantity + o.setup_cost, o.key))
        cost = best.unit_cost * quantity + best.setup_cost
        return SplitPlan((Share(best.key, quantity),), cost, cost, True, quantity, _since(started))

    # Keep the options that are cheapest per piece at their fullest share.
    usable.sort(key=lambda o: (o.unit_cost + o.setup_cost / min(o.capacity, quantity), o.key))
    restricted = len(usable) > MAX_CANDIDATES  # then the bound holds for the kept options only
    usable = usable[:MAX_CANDIDATES]
    coverable = sum(
        sorted((min(o.capacity, quantity) for o in usable), reverse=True)[:max_suppliers]
    )
    if coverable < quantity:
        return SplitPlan((), None, None, False, min(coverable, quantity), _since(started))

    n = len(usable)
    capacity = np.array([min(o.capacity, quantity) for o in usable], dtype=float)
    costs = np.concatenate([[o.unit_cost for o in usable], [o.setup_cost for o in usable]])
    ones, eye = np.ones((1, n)), identity(n, format="csr")
    rows = vstack(
        [
            hstack([csr_array(ones), csr_array((1, n))]),  # all pieces made
            hstack([eye, -identity(n, format="csr").multiply(capacity[:, None])]),  # q <= cap·y
            hstack([eye, -identity(n, format="csr") * min_lot]),  # q >= lot·y
            hstack([csr_array((1, n)), csr_array(ones)]),  # at most max_suppliers
        ],
        format="csr",
    )
    lower = np.concatenate([[quantity], np.full(n, -np.inf), np.zeros(n), [0]])
    upper = np.concatenate([[quantity], np.zeros(n), np.full(n, np.inf), [max_suppliers]])
    result = milp(
        costs,
        constraints=LinearConstraint(rows, lower, upper),
        integrality=np.ones(2 * n),
        bounds=Bounds(np.zeros(2 * n), np.concatenate([capacity, np.ones(n)])),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        return SplitPlan((), None, None, False, int(coverable), _since(started))
    pieces = np.rint(result.x[:n]).astype(int)
    shares = tuple(
        Share(option.key, int(count))
        for option, count in zip(usable, pieces, strict=True)
        if count > 0
    )
    total = sum(
        option.unit_cost * count + option.setup_cost
        for option, count in zip(usable, pieces, strict=True)
        if count > 0
    )
    bound = getattr(result, "mip_dual_bound", None)
    if restricted or bound is None or not np.isfinite(bound):
        bound = None
    return SplitPlan(
        shares,
        float(total),
        None if bound is None else float(bound),
        result.status == 0 and not restricted,
        quantity,
        _since(started),
    )


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 4)
