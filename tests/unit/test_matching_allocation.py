"""Splitting one order and planning batches: every returned allocation is feasible (properties)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.allocation import SplitOption, plan_split
from matching.planning import PlanChoice, PlanFactory, PlanMode, PlanOrder, plan_batch

options_strategy = st.lists(
    st.builds(
        SplitOption,
        key=st.integers(0, 10_000),
        capacity=st.integers(0, 400),
        unit_cost=st.floats(1, 100),
        setup_cost=st.floats(0, 500),
    ),
    max_size=8,
    unique_by=lambda option: option.key,
)


@settings(max_examples=60, deadline=None)
@given(
    quantity=st.integers(1, 600),
    options=options_strategy,
    min_lot=st.integers(1, 100),
    max_suppliers=st.integers(1, 4),
    splittable=st.booleans(),
)
def test_a_split_is_feasible_and_cheapest(quantity, options, min_lot, max_suppliers, splittable):
    min_lot = min(min_lot, quantity)
    plan = plan_split(
        quantity, options, min_lot=min_lot, splittable=splittable, max_suppliers=max_suppliers
    )
    best = _brute_force(quantity, options, min_lot, splittable, max_suppliers)
    if best is None:
        assert plan.shares == ()
        return
    by_key = {option.key: option for option in options}
    assert sum(share.quantity for share in plan.shares) == quantity
    assert len(plan.shares) <= (max_suppliers if splittable else 1)
    for share in plan.shares:
        assert share.quantity <= by_key[share.key].capacity
        assert share.quantity >= (min_lot if splittable else quantity)
    assert plan.total_cost == pytest.approx(best, rel=1e-6, abs=1e-6)


def _brute_force(quantity, options, min_lot, splittable, max_suppliers):
    """The cheapest cover, by trying every subset (the cost is linear in each share)."""
    if not splittable:
        costs = [o.unit_cost * quantity + o.setup_cost for o in options if o.capacity >= quantity]
        return min(costs, default=None)
    best = None
    for size in range(1, max_suppliers + 1):
        for subset in itertools.combinations(options, size):
            if any(o.capacity < min_lot for o in subset):
                continue
            if sum(o.capacity for o in subset) < quantity or min_lot * size > quantity:
                continue
            # Each gets its minimum lot, the rest goes to the cheapest per piece first.
            rest = quantity - min_lot * size
            cost = sum(o.setup_cost + o.unit_cost * min_lot for o in subset)
            for option in sorted(subset, key=lambda o: o.unit_cost):
                extra = min(rest, option.capacity - min_lot)
                cost += extra * option.unit_cost
                rest -= extra
            if best is None or cost < best:
                best = cost
    return best


orders_strategy = st.lists(
    st.tuples(
        st.integers(1, 300),  # quantity
        st.integers(1, 50),  # min lot
        st.booleans(),  # splittable
        st.floats(0.01, 1.0),  # hours per piece
        st.lists(
            st.tuples(st.integers(0, 4), st.floats(1, 50), st.floats(0, 200), st.integers(0, 300)),
            max_size=4,
            unique_by=lambda choice: choice[0],
        ),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=40, deadline=None)
@given(
    raw_orders=orders_strategy,
    capacities=st.lists(st.floats(0, 200), min_size=5, max_size=5),
    mode=st.sampled_from(PlanMode),
)
def test_a_batch_plan_never_overbooks_a_factory_or_an_order(raw_orders, capacities, mode):
    factories = [PlanFactory(100 + i, hours) for i, hours in enumerate(capacities)]
    orders = [
        PlanOrder(
            key=j,
            quantity=quantity,
            min_lot=min(lot, quantity),
            splittable=splittable,
            hours_per_piece=hours,
            setup_hours=1.0,
            choices=tuple(PlanChoice(i, cost, setup, most) for i, cost, setup, most in choices),
        )
        for j, (quantity, lot, splittable, hours, choices) in enumerate(raw_orders)
    ]
    plan = plan_batch(orders, factories, mode, time_limit=2.0)

    used = dict.fromkeys(range(len(factories)), 0.0)
    made = dict.fromkeys(range(len(orders)), 0)
    for share in plan.shares:
        order = orders[share.order]
        factory = share.factory - 100
        choice = next(c for c in order.choices if c.factory == factory)
        assert 1 <= share.quantity <= choice.max_quantity
        used[factory] += order.setup_hours + share.quantity * order.hours_per_piece
        made[share.order] += share.quantity
        shares_of_order = [s for s in plan.shares if s.order == share.order]
        if not order.splittable or mode is PlanMode.WHOLE:
            assert shares_of_order == [share] and share.quantity == order.quantity
        elif len(shares_of_order) > 1:
            assert share.quantity >= order.min_lot
    for i, factory in enumerate(factories):
        assert used[i] <= factory.capacity_hours + 1e-6
    for j, order in enumerate(orders):
        assert made[j] + plan.unassigned.get(order.key, 0) == order.quantity
    if plan.lower_bound is not None:
        assert plan.lower_bound <= plan.objective + 1e-6
