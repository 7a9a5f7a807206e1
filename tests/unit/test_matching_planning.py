"""Split-mode batch planning: its LP bound, rounding and repair against plain reference versions."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from matching import planning
from matching.planning import PlanChoice, PlanFactory, PlanMode, PlanOrder, plan_batch


def random_batch(
    seed: int, orders: int, factories: int
) -> tuple[list[PlanOrder], list[PlanFactory]]:
    """Orders with a few choices each over factories with 0.6 to 1.5 times the hours asked for."""
    rng = random.Random(seed)
    batch, demand = [], 0.0
    for key in range(orders):
        quantity = rng.randint(1, 400)
        splittable = rng.random() < 0.7
        hours_per_piece = rng.uniform(0.05, 1.0)
        setup_hours = rng.uniform(0.0, 4.0)
        choices = tuple(
            PlanChoice(
                factory=i,
                unit_cost=round(rng.uniform(1, 50), 4),
                setup_cost=round(rng.uniform(0, 300), 2),
                max_quantity=rng.randint(1, quantity) if rng.random() < 0.3 else quantity,
            )
            for i in rng.sample(range(factories), rng.randint(0, min(6, factories)))
        )
        batch.append(
            PlanOrder(
                key=key,
                quantity=quantity,
                min_lot=max(1, quantity // rng.choice((2, 4, 8))) if splittable else 1,
                splittable=splittable,
                hours_per_piece=hours_per_piece,
                setup_hours=setup_hours,
                choices=choices,
            )
        )
        demand += setup_hours + quantity * hours_per_piece
    weights = [rng.uniform(0.2, 2.0) for _ in range(factories)]
    scale = rng.uniform(0.6, 1.5) * demand / sum(weights)
    return batch, [PlanFactory(100 + i, round(w * scale, 1)) for i, w in enumerate(weights)]


def reference_lp_bound(orders: list[PlanOrder], factories: list[PlanFactory]) -> float:
    """The relaxation of the whole batch, built the plain way, one column at a time."""
    cost, use, upper, order_row, factory_row = [], [], [], [], []
    for j, order in enumerate(orders):
        least = order.min_lot if order.splittable else order.quantity
        for choice in order.choices:
            if choice.max_quantity < least:
                continue
            room = min(choice.max_quantity, order.quantity)
            cost.append(choice.unit_cost + choice.setup_cost / room)
            use.append(order.hours_per_piece + order.setup_hours / room)
            upper.append(room)
            order_row.append(j)
            factory_row.append(choice.factory)
    pairs, n, m = len(cost), len(orders), len(factories)
    a_eq = np.zeros((n, pairs + n))
    a_ub = np.zeros((m, pairs + n))
    for k in range(pairs):
        a_eq[order_row[k], k] = 1.0
        a_ub[factory_row[k], k] = use[k]
    for j, order in enumerate(orders):
        a_eq[j, pairs + j] = 1.0  # the unmet pieces
        cost.append(order.penalty_per_piece)
        upper.append(order.quantity)
    result = linprog(
        cost,
        A_ub=a_ub,
        b_ub=[f.capacity_hours for f in factories],
        A_eq=a_eq,
        b_eq=[o.quantity for o in orders],
        bounds=list(zip([0] * len(upper), upper, strict=True)),
        method="highs",
    )
    assert result.status == 0
    return float(result.fun)


def assert_feasible(plan, orders: list[PlanOrder], factories: list[PlanFactory]) -> None:
    by_key = {order.key: order for order in orders}
    index_of = {f.key: i for i, f in enumerate(factories)}
    used = [0.0] * len(factories)
    made = dict.fromkeys(by_key, 0)
    shares_of: dict[int, list[int]] = {}
    for share in plan.shares:
        order = by_key[share.order]
        i = index_of[share.factory]
        choice = next(c for c in order.choices if c.factory == i)
        assert 1 <= share.quantity <= choice.max_quantity
        used[i] += order.hours_for(share.quantity)
        made[share.order] += share.quantity
        shares_of.setdefault(share.order, []).append(share.quantity)
    for key, quantities in shares_of.items():
        order = by_key[key]
        if not order.splittable:
            assert quantities == [order.quantity]
        elif len(quantities) > 1:
            assert min(quantities) >= order.min_lot
    for i, factory in enumerate(factories):
        assert used[i] <= factory.capacity_hours + 1e-6
    for key, order in by_key.items():
        assert made[key] + plan.unassigned.get(key, 0) == order.quantity


@pytest.mark.parametrize("seed", range(8))
def test_the_split_bound_is_the_lp_optimum_and_the_plan_feasible(seed):
    orders, factories = random_batch(seed, orders=60, factories=12)
    plan = plan_batch(orders, factories, PlanMode.SPLIT, time_limit=10.0)

    assert plan.lower_bound == pytest.approx(reference_lp_bound(orders, factories), rel=1e-7)
    assert plan.lower_bound <= plan.objective + 1e-6
    assert_feasible(plan, orders, factories)


@pytest.mark.parametrize("seed", range(3))
def test_the_batch_arrays_hold_each_orders_penalty_and_find_each_pair(seed):
    orders, factories = random_batch(seed, orders=80, factories=10)
    orders.append(PlanOrder(999, 5, 1, True, 0.5, 1.0, ()))  # no choice: the default penalty
    orders.append(PlanOrder(998, 5, 1, True, 0.5, 1.0, (PlanChoice(3, 0.0, 0.0, 5),)))  # free

    batch = planning._Batch.of(orders, len(factories))

    assert batch.penalty.tolist() == [order.penalty_per_piece for order in orders]
    keys = [(j, c.factory) for j, order in enumerate(orders) for c in order.choices]
    assert batch.pairs(keys).tolist() == list(range(len(keys)))


def test_what_rounding_left_is_relaxed_again_only_while_hours_are_scarce(monkeypatch):
    orders, factories = random_batch(5, orders=60, factories=8)
    relaxations = []
    relax = planning._relaxation

    def counted(*args):
        relaxations.append(args[1])  # what is missing
        return relax(*args)

    monkeypatch.setattr(planning, "_relaxation", counted)

    monkeypatch.setattr(planning, "PLENTY_OF_HOURS", float("inf"))  # hours always scarce
    scarce = plan_batch(orders, factories, PlanMode.SPLIT)
    assert len(relaxations) > 1
    assert_feasible(scarce, orders, factories)

    relaxations.clear()
    monkeypatch.setattr(planning, "PLENTY_OF_HOURS", 0.0)  # hours always plentiful
    plentiful = plan_batch(orders, factories, PlanMode.SPLIT)
    assert len(relaxations) == 1
    assert_feasible(plentiful, orders, factories)
    assert plentiful.lower_bound == scarce.lower_bound


def test_a_plan_out_of_time_is_still_feasible():
    orders, factories = random_batch(99, orders=400, factories=40)
    plan = plan_batch(orders, factories, PlanMode.SPLIT, time_limit=1e-6)

    assert_feasible(plan, orders, factories)
    assert plan.lower_bound is None or plan.lower_bound <= plan.objective


def random_lp(
    rng: np.random.Generator, rows: int, factories: int, pairs: int
) -> tuple[planning._Columns, np.ndarray, np.ndarray]:
    columns = planning._Columns(
        row=np.concatenate([rng.integers(0, rows, pairs), np.arange(rows)]),
        factory=np.concatenate([rng.integers(0, factories, pairs), np.full(rows, -1)]),
        cost=np.concatenate([rng.uniform(1, 20, pairs), np.full(rows, 100.0)]),
        use=np.concatenate([rng.uniform(0.1, 2, pairs), np.zeros(rows)]),
        upper=np.concatenate([rng.uniform(1, 10, pairs), np.full(rows, 20.0)]),
    )
    return columns, rng.uniform(1, 20, rows), rng.uniform(0, 4 * pairs / factories, factories)


def test_an_lp_stopped_by_the_clock_still_gives_a_valid_bound():
    columns, demand, capacity = random_lp(np.random.default_rng(0), 1500, 150, 30_000)

    _, early = planning._solve_lp(columns, demand, capacity, time_limit=0.001)
    x, bound = planning._solve_lp(columns, demand, capacity, time_limit=60.0)

    assert bound == pytest.approx(float(columns.cost @ x), rel=1e-9)
    assert early is not None and early < bound


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_the_lagrangian_bound_never_exceeds_the_optimum_and_meets_it_at_optimal_duals(seed):
    rng = np.random.default_rng(seed)
    rows, factories = int(rng.integers(1, 6)), int(rng.integers(1, 4))
    columns, demand, capacity = random_lp(rng, rows, factories, 12)

    x, bound = planning._solve_lp(columns, demand, capacity, time_limit=10.0)
    optimum = float(columns.cost @ x)
    assert bound == pytest.approx(optimum, rel=1e-7, abs=1e-7)
    for _ in range(5):  # any duals, capacity duals at most zero
        order_duals = rng.uniform(-50, 150, rows)
        capacity_duals = -rng.uniform(0, 30, factories)
        any_bound = planning._lagrangian_bound(
            columns, demand, capacity, order_duals, capacity_duals
        )
        assert any_bound <= optimum + 1e-7


def reference_round(amounts: list[tuple[int, float]], wanted: int) -> list[tuple[int, int]]:
    """Largest remainder for one order, the plain way."""
    floors = [(i, int(amount + 1e-6), amount - int(amount + 1e-6)) for i, amount in amounts]
    short = min(wanted, round(sum(amount for _, amount in amounts))) - sum(f for _, f, _ in floors)
    by_remainder = sorted(range(len(floors)), key=lambda k: -floors[k][2])
    extra = set(by_remainder[: max(0, short)])
    rounded = [(i, f + (k in extra)) for k, (i, f, _) in enumerate(floors)]
    return sorted(rounded, key=lambda item: -item[1])


@settings(max_examples=100, deadline=None)
@given(
    shares=st.lists(
        st.lists(
            st.one_of(st.floats(0.01, 500, allow_nan=False), st.integers(1, 50).map(float)),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=6,
    ),
    cuts=st.lists(st.integers(0, 3), min_size=6, max_size=6),
)
def test_rounding_all_orders_at_once_matches_rounding_each(shares, cuts):
    amounts = {(j, i): amount for j, order in enumerate(shares) for i, amount in enumerate(order)}
    wanted = {j: max(1, round(sum(order)) - cuts[j]) for j, order in enumerate(shares)}

    rounded = planning._round_shares(amounts, wanted)

    for j, order in enumerate(shares):
        assert rounded[j] == reference_round(list(enumerate(order)), wanted[j])


def repair_case(setup_cost_there: float) -> tuple[list[PlanOrder], dict, list[float]]:
    """130 pieces, lots of 40: 125 placed at two full factories, 5 missing, room at a third."""
    order = PlanOrder(
        key=7,
        quantity=130,
        min_lot=40,
        splittable=True,
        hours_per_piece=1.0,
        setup_hours=0.0,
        choices=(
            PlanChoice(0, unit_cost=1.0, setup_cost=0.0, max_quantity=130),
            PlanChoice(1, unit_cost=2.0, setup_cost=0.0, max_quantity=130),
            PlanChoice(2, unit_cost=1.5, setup_cost=setup_cost_there, max_quantity=130),
        ),
    )
    return [order], {(0, 0): 70, (0, 1): 55}, [0.0, 0.0, 100.0]


def test_a_rest_under_a_lot_opens_a_lot_elsewhere_taking_pieces_off_the_dearest_shares():
    orders, placed, free = repair_case(setup_cost_there=0.0)

    planning._place_the_rest(orders, placed, free)

    # 35 pieces move: 15 off the dearest share (it keeps its lot), 20 off the other one.
    assert placed == {(0, 0): 50, (0, 1): 40, (0, 2): 40}
    assert free == [20.0, 15.0, 60.0]


def test_a_rest_under_a_lot_stays_unmet_when_moving_it_costs_more_than_the_penalty():
    orders, placed, free = repair_case(setup_cost_there=1_000.0)

    planning._place_the_rest(orders, placed, free)

    assert placed == {(0, 0): 70, (0, 1): 55}
    assert free == [0.0, 0.0, 100.0]
