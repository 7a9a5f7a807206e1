"""Time of planning a batch of open orders over shared capacity (`matching.planning.plan_batch`).

    .venv/bin/python bench/matching_batch.py [--orders 5000] [--factories 1000]
        [--whole-orders 500] [--whole-factories 100] [--whole-time-limit 10] [--seed 1]

Pure computation, no database. Target: a splittable batch of 5,000 orders over 1,000 factories
plans in under 2 s (split mode); whole mode (the GAP) is measured on a smaller batch with a time
limit.

The instances imitate the platform's: factories offer one to three processes of the taxonomy
(machining far more often than forging), with a machine-hour rate by process family and free
hours from a skewed (log-normal) distribution; orders ask for one process, with hours per piece
and setup hours by family, quantities from a log-normal distribution, a due date 10 to 60 days out
(a factory has that share of its free hours before it), 80 % splittable with a minimum lot of an
eighth to a quarter of the quantity. Each order is feasible at 10 to 40 of the factories offering
its process; its choices carry the cost per piece there (rate × hours, with noise for material,
distance and the expected cost of lateness), the setup cost and the most pieces the factory's
hours before the due date can make. Free hours add up to about 1.3 × the hours asked for.

Printed: for each mode the size (orders, factories, feasible pairs), seconds, the process's CPU
seconds, objective, lower bound, gap, pieces and orders left unassigned, and how many orders were
split; the last line is `RESULT {json}`. Never asserts on the figures. On a machine shared with
other jobs the seconds also count their turns; the split mode works in one thread, so its CPU
seconds are its own work (the whole mode's solver uses more threads).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from marketplace.taxonomy import TAXONOMY  # noqa: E402  (the project root must be importable)
from matching.domain import (  # noqa: E402
    FAMILY_MINUTES_PER_PIECE,
    FAMILY_SETUP_HOURS,
    LATENESS_COST_SHARE,
)
from matching.planning import (  # noqa: E402
    BatchPlan,
    PlanChoice,
    PlanFactory,
    PlanMode,
    PlanOrder,
    plan_batch,
)

HORIZON_DAYS = 60
CAPACITY_OVER_DEMAND = 1.3
SPLITTABLE_SHARE = 0.8
CHOICES = (10, 40)
# CNY per machine-hour, low and high, by process family.
FAMILY_RATES = {
    "machining": (70, 220),
    "sheet_metal": (60, 160),
    "molding_casting": (80, 260),
    "additive": (40, 180),
    "surface_treatment": (30, 90),
    "forging": (60, 180),
    "assembly": (40, 100),
    "inspection": (80, 200),
}
# How common each family is among the listings (the demo's mix, roughly).
FAMILY_WEIGHTS = {
    "machining": 40,
    "sheet_metal": 18,
    "molding_casting": 14,
    "assembly": 10,
    "surface_treatment": 8,
    "additive": 5,
    "forging": 3,
    "inspection": 2,
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def process_weights() -> dict[str, float]:
    """Each process's share of the supply: its family's weight, falling with rank in the family."""
    by_family: dict[str, list[str]] = {}
    for code, process in TAXONOMY.processes.items():
        by_family.setdefault(process.family, []).append(code)
    weights = {}
    for family, codes in by_family.items():
        total = sum(1 / rank for rank in range(1, len(codes) + 1))
        for rank, code in enumerate(codes, start=1):
            weights[code] = FAMILY_WEIGHTS.get(family, 1) * (1 / rank) / total
    return weights


def generate(
    order_count: int, factory_count: int, seed: int, splittable_share: float = SPLITTABLE_SHARE
) -> tuple[list[PlanOrder], list[PlanFactory]]:
    """A random batch of orders and the factories they may go to (deterministic in `seed`)."""
    rng = random.Random(seed)
    weights = process_weights()
    codes = list(weights)
    code_weights = [weights[code] for code in codes]

    # Factories: their processes, rate and (relative) free hours.
    offering: dict[str, list[int]] = {code: [] for code in codes}
    factory_rate: list[float] = []
    factory_share: list[float] = []
    for index in range(factory_count):
        first = rng.choices(codes, code_weights)[0]
        family = TAXONOMY.processes[first].family
        siblings = [c for c in codes if TAXONOMY.processes[c].family == family and c != first]
        processes = {first, *rng.sample(siblings, min(len(siblings), rng.randint(0, 2)))}
        for code in processes:
            offering[code].append(index)
        low, high = FAMILY_RATES[family]
        factory_rate.append(rng.uniform(low, high))
        factory_share.append(rng.lognormvariate(0, 0.6))
    # Every process needs enough factories for its orders' 10–40 choices.
    for code in codes:
        while len(offering[code]) < CHOICES[1]:
            index = rng.randrange(factory_count)
            if index not in offering[code]:
                offering[code].append(index)

    # Orders: process, hours per piece, quantity, due date, splittable.
    specs = []
    demand_hours = 0.0
    for _ in range(order_count):
        code = rng.choices(codes, code_weights)[0]
        family = TAXONOMY.processes[code].family
        hours_per_piece = FAMILY_MINUTES_PER_PIECE[family] * rng.lognormvariate(0, 0.7) / 60
        setup_hours = FAMILY_SETUP_HOURS[family] * rng.uniform(0.5, 1.5)
        # Machine-hours of the order: most take a few days of one machine, a few take weeks.
        hours = min(2_000.0, rng.lognormvariate(math.log(60), 1.0))
        quantity = max(1, round(hours / hours_per_piece))
        splittable = rng.random() < splittable_share
        min_lot = max(1, quantity // rng.choice((4, 6, 8))) if splittable and quantity >= 8 else 1
        due_days = rng.randint(10, HORIZON_DAYS)
        specs.append((code, hours_per_piece, setup_hours, quantity, splittable, min_lot, due_days))
        demand_hours += setup_hours + quantity * hours_per_piece

    scale = CAPACITY_OVER_DEMAND * demand_hours / sum(factory_share)
    factories = [
        PlanFactory(key=index + 1, capacity_hours=round(share * scale, 1))
        for index, share in enumerate(factory_share)
    ]

    orders = []
    for number, spec in enumerate(specs, start=1):
        code, hours_per_piece, setup_hours, quantity, splittable, min_lot, due_days = spec
        candidates = offering[code][:]
        rng.shuffle(candidates)
        wanted = rng.randint(*CHOICES)
        while True:
            choices = _choices(
                rng, candidates, factories, factory_rate, wanted, quantity, min_lot, splittable,
                hours_per_piece, setup_hours, due_days,
            )  # fmt: skip
            if len(choices) >= min(CHOICES[0], len(candidates)) or quantity == 1:
                break
            # Too big for enough of the factories before its due date: buyers would order less.
            quantity = max(1, quantity // 2)
            min_lot = max(1, min_lot // 2)
        orders.append(
            PlanOrder(
                key=number,
                quantity=quantity,
                min_lot=min_lot,
                splittable=splittable,
                hours_per_piece=hours_per_piece,
                setup_hours=setup_hours,
                choices=tuple(choices),
            )
        )
    return orders, factories


def _choices(
    rng: random.Random,
    candidates: list[int],
    factories: list[PlanFactory],
    factory_rate: list[float],
    wanted: int,
    quantity: int,
    min_lot: int,
    splittable: bool,
    hours_per_piece: float,
    setup_hours: float,
    due_days: int,
) -> list[PlanChoice]:
    """The first `wanted` factories among `candidates` that can take the order (or a lot of it)."""
    least = min_lot if splittable else quantity
    choices = []
    for index in candidates:
        # A factory has the share of its free hours that lies before the due date.
        room = factories[index].capacity_hours * due_days / HORIZON_DAYS - setup_hours
        most = min(quantity, int(room / hours_per_piece)) if room > 0 else 0
        if most < least:
            continue
        # Material, distance and how busy the shop is move the price around its rate.
        unit_cost = factory_rate[index] * hours_per_piece * rng.uniform(0.9, 1.1)
        risk = rng.uniform(0.0, 0.4)
        choices.append(
            PlanChoice(
                factory=index,
                unit_cost=round(unit_cost * (1 + LATENESS_COST_SHARE * risk), 4),
                setup_cost=round(factory_rate[index] * setup_hours, 2),
                max_quantity=most,
            )
        )
        if len(choices) == wanted:
            break
    return choices


def summarize(
    plan: BatchPlan, orders: list[PlanOrder], factories: list[PlanFactory]
) -> dict[str, Any]:
    shares_per_order: dict[int, int] = {}
    for share in plan.shares:
        shares_per_order[share.order] = shares_per_order.get(share.order, 0) + 1
    demand = sum(order.hours_for(order.quantity) for order in orders)
    return {
        "mode": plan.mode.value,
        "orders": len(orders),
        "factories": len(factories),
        "pairs": sum(len(order.choices) for order in orders),
        "splittable": sum(order.splittable for order in orders),
        "capacity_over_demand": round(sum(f.capacity_hours for f in factories) / demand, 3),
        "orders_without_choice": sum(not order.choices for order in orders),
        "seconds": plan.seconds,
        "objective": round(plan.objective, 2),
        "lower_bound": None if plan.lower_bound is None else round(plan.lower_bound, 2),
        "gap_pct": None if plan.gap is None else round(plan.gap * 100, 3),
        "unassigned_pieces": sum(plan.unassigned.values()),
        "unassigned_orders": len(plan.unassigned),
        "pieces": sum(order.quantity for order in orders),
        "shares": len(plan.shares),
        "split_orders": sum(count >= 2 for count in shares_per_order.values()),
    }


def run(
    mode: PlanMode, order_count: int, factory_count: int, seed: int, time_limit: float
) -> dict[str, Any]:
    started = time.perf_counter()
    # Whole mode places every order whole: its choices are the factories that can take it all.
    share = SPLITTABLE_SHARE if mode is PlanMode.SPLIT else 0.0
    orders, factories = generate(order_count, factory_count, seed, share)
    log(f"{mode.value}: {order_count} orders × {factory_count} factories generated in "
        f"{time.perf_counter() - started:.1f}s; planning")  # fmt: skip
    wall, cpu = time.perf_counter(), time.process_time()
    plan = plan_batch(orders, factories, mode, time_limit=time_limit)
    cpu = time.process_time() - cpu
    result = summarize(plan, orders, factories)
    result["wall_seconds"] = round(time.perf_counter() - wall, 3)
    result["cpu_seconds"] = round(cpu, 3)
    result["time_limit"] = time_limit
    return result


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5_000, help="orders in the split batch")
    parser.add_argument("--factories", type=int, default=1_000, help="factories (split)")
    parser.add_argument("--whole-orders", type=int, default=500, help="orders in the whole batch")
    parser.add_argument("--whole-factories", type=int, default=100, help="factories (whole)")
    parser.add_argument(
        "--whole-time-limit", type=float, default=10.0, help="seconds for the GAP solver"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed of the instances")
    args = parser.parse_args()
    if min(args.orders, args.factories, args.whole_orders, args.whole_factories) < 1:
        parser.error("order and factory counts must be positive")
    if args.whole_time_limit <= 0:
        parser.error("--whole-time-limit must be positive")
    return args


def main() -> int:
    args = parse_args()
    results = [
        run(PlanMode.SPLIT, args.orders, args.factories, args.seed, time_limit=5.0),
        run(
            PlanMode.WHOLE,
            args.whole_orders,
            args.whole_factories,
            args.seed,
            time_limit=args.whole_time_limit,
        ),
    ]
    print(f"environment: CPUs={os.cpu_count()}, seed={args.seed}, load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print()
    header = (
        f"{'mode':<6} {'orders':>7} {'factories':>9} {'pairs':>8} {'seconds':>8} {'cpu':>6} "
        f"{'objective':>14} {'lower bound':>14} {'gap':>8} {'unassigned':>18} {'split':>6}"
    )
    print(header)
    for row in results:
        bound = "-" if row["lower_bound"] is None else f"{row['lower_bound']:,.0f}"
        gap = "-" if row["gap_pct"] is None else f"{row['gap_pct']:.2f}%"
        unassigned = f"{row['unassigned_pieces']:,} pcs / {row['unassigned_orders']}"
        print(
            f"{row['mode']:<6} {row['orders']:>7} {row['factories']:>9} {row['pairs']:>8} "
            f"{row['seconds']:>8.2f} {row['cpu_seconds']:>6.2f} {row['objective']:>14,.0f} "
            f"{bound:>14} {gap:>8} {unassigned:>18} {row['split_orders']:>6}"
        )
    print()
    print("unassigned: pieces / orders (at a penalty of 10 × the dearest price per piece);")
    print("split: orders whose pieces went to two or more factories")
    print("RESULT " + json.dumps({"split": results[0], "whole": results[1]}, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
