"""Quality and time of the GAP solver on the OR-Library instances, beside plain HiGHS.

    .venv/bin/python bench/matching_gap.py [--time-limit 10] [--only PATTERN] [--no-highs]
    .venv/bin/python bench/matching_gap.py --generate D 1600 80 [--seed 1] --time-limit 60

Every instance in ../shared/external/gap/ (cattrysse1994/gap*-*, chu1997/*), read in place, is
solved by `solve_gap` and then by HiGHS alone on the same MILP (`solve_gap_plain_milp`) under the
same time limit. Per instance the table shows our objective, the best known value (best_known.csv,
minimisation), our gap to it in %, our seconds and whether we proved optimality (lower bound equal
to the objective), then HiGHS's objective, gap and seconds. A summary line per family follows:
instances proven optimal, largest gap, longest time, and how often HiGHS did better or worse.
--only keeps the instances whose `family/name` matches a shell pattern (e.g. 'chu1997/d*').

With --generate TYPE JOBS AGENTS an instance of type C, D or E (bench/gap_instances.py) is
generated from --seed instead. Its optimum is unknown, so the gap is measured to our own lower
bound, which bounds the gap to the optimum from above; HiGHS's objective is shown beside it.

Progress goes to stderr; the table goes to stdout, whose last line is `RESULT {json}`. Times are
wall-clock and depend on what else the machine runs; nothing is asserted. Exit status: 0 done,
2 cannot run (instance folder missing, nothing matches --only).
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.gap_instances import TYPES, generate_gap  # noqa: E402  (after the sys.path line)
from matching.gap import (  # noqa: E402
    GapInstance,
    GapSolution,
    read_gap_instance,
    solve_gap,
    solve_gap_plain_milp,
)

GAP_DIR = PROJECT_ROOT / ".." / "shared" / "external" / "gap"
FAMILIES = ("cattrysse1994", "chu1997")


@dataclass(frozen=True)
class Row:
    name: str
    family: str
    reference: float | None  # best known value, or our lower bound for generated instances
    ours: GapSolution
    highs: GapSolution | None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def gap_percent(objective: float, solution: GapSolution, reference: float | None) -> float | None:
    if not solution.feasible or reference is None or reference == 0:
        return None
    return 100.0 * (objective - reference) / abs(reference)


def best_known() -> dict[str, float]:
    with open(GAP_DIR / "best_known.csv", newline="", encoding="utf-8") as handle:
        return {
            row["Path"]: float(row["Best known solution value"]) for row in csv.DictReader(handle)
        }


def natural(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def instances(pattern: str | None) -> list[str]:
    names = []
    for family in FAMILIES:
        for path in sorted((GAP_DIR / family).iterdir(), key=lambda p: natural(p.name)):
            name = f"{family}/{path.name}"
            if pattern is None or fnmatch.fnmatch(name, pattern):
                names.append(name)
    return names


def run(
    name: str, family: str, instance: GapInstance, reference: float | None, args: argparse.Namespace
) -> Row:
    log(f"{name}: {instance.jobs} jobs x {instance.agents} agents")
    ours = solve_gap(instance, time_limit=args.time_limit)
    if reference is None:
        reference = ours.lower_bound
    highs = None if args.no_highs else solve_gap_plain_milp(instance, time_limit=args.time_limit)
    return Row(name, family, reference, ours, highs)


def cell(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(rows: list[Row], reference_label: str) -> None:
    header = (
        f"{'instance':<24} {'objective':>10} {reference_label:>10} {'gap %':>7} {'sec':>6} "
        f"{'optimal':>7} | {'HiGHS obj':>10} {'gap %':>7} {'sec':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        ours = row.ours
        objective = str(ours.objective) if ours.feasible else "infeasible"
        line = (
            f"{row.name:<24} {objective:>10} {cell(row.reference, 0):>10} "
            f"{cell(gap_percent(ours.objective, ours, row.reference)):>7} "
            f"{ours.seconds:>6.2f} {'yes' if ours.optimal else 'no':>7} |"
        )
        if row.highs is not None:
            highs = row.highs
            found = str(highs.objective) if highs.feasible else "none"
            line += (
                f" {found:>10} {cell(gap_percent(highs.objective, highs, row.reference)):>7} "
                f"{highs.seconds:>6.2f}"
            )
        print(line)


def summarise(rows: list[Row]) -> list[dict[str, Any]]:
    summary = []
    for family in sorted({row.family for row in rows}):
        members = [row for row in rows if row.family == family]
        gaps = [gap_percent(r.ours.objective, r.ours, r.reference) for r in members]
        known = [gap for gap in gaps if gap is not None]
        entry: dict[str, Any] = {
            "family": family,
            "instances": len(members),
            "optimal": sum(row.ours.optimal for row in members),
            "infeasible": sum(not row.ours.feasible for row in members),
            "max_gap_percent": max(known) if known else None,
            "max_seconds": max(row.ours.seconds for row in members),
        }
        pairs = [(row.ours, row.highs) for row in members if row.highs is not None]
        if pairs:
            entry["highs_better"] = sum(_beats(highs, ours) for ours, highs in pairs)
            entry["highs_worse"] = sum(_beats(ours, highs) for ours, highs in pairs)
        summary.append(entry)
        line = (
            f"{family}: {entry['optimal']}/{entry['instances']} proven optimal, "
            f"max gap {cell(entry['max_gap_percent'])} %, max {entry['max_seconds']:.2f} s"
        )
        if pairs:
            line += (
                f"; HiGHS alone better on {entry['highs_better']}, worse on {entry['highs_worse']}"
            )
        print(line)
    return summary


def _beats(first: GapSolution, second: GapSolution) -> bool:
    if first.feasible != second.feasible:
        return first.feasible
    return first.feasible and first.objective < second.objective


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per solve")
    parser.add_argument("--only", metavar="PATTERN", help="shell pattern on family/name")
    parser.add_argument("--no-highs", action="store_true", help="skip the plain HiGHS runs")
    parser.add_argument(
        "--generate",
        nargs=3,
        metavar=("TYPE", "JOBS", "AGENTS"),
        help=f"solve a generated instance of type {', '.join(TYPES)} instead",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated instance")
    args = parser.parse_args()

    rows: list[Row] = []
    if args.generate:
        kind, jobs, agents = args.generate[0].upper(), int(args.generate[1]), int(args.generate[2])
        if kind not in TYPES:
            parser.error(f"TYPE must be one of {', '.join(TYPES)}")
        instance = generate_gap(kind, jobs, agents, seed=args.seed)
        name = f"{kind}{agents}x{jobs}-s{args.seed}"
        rows.append(run(name, f"generated-{kind}", instance, None, args))
        print_table(rows, "our bound")
    else:
        if not GAP_DIR.is_dir():
            log(f"cannot run: {GAP_DIR.resolve()} is missing")
            return 2
        known = best_known()
        names = instances(args.only)
        if not names:
            log(f"cannot run: no instance matches {args.only!r}")
            return 2
        for name in names:
            instance = read_gap_instance(GAP_DIR / name)
            rows.append(run(name, name.split("/")[0], instance, known.get(name), args))
        print_table(rows, "best known")
    summary = summarise(rows)
    result = {
        "time_limit": args.time_limit,
        "instances": [
            {
                "name": row.name,
                "reference": row.reference,
                "objective": row.ours.objective if row.ours.feasible else None,
                "lower_bound": row.ours.lower_bound,
                "optimal": row.ours.optimal,
                "seconds": round(row.ours.seconds, 3),
                "highs_objective": (
                    row.highs.objective if row.highs is not None and row.highs.feasible else None
                ),
                "highs_seconds": None if row.highs is None else round(row.highs.seconds, 3),
            }
            for row in rows
        ],
        "summary": summary,
    }
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
