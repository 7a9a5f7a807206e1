"""The GAP as a HiGHS model over a set of (job, agent) entries: its LP relaxation and its MILP."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import highspy
import numpy as np

# HiGHS accepts a solution whose rows are off by up to its feasibility tolerance; with fractional
# weights the caller's exact capacity check could then reject it, so the tolerance is tightened.
# Integer weights keep HiGHS's default, which is faster.
_FEASIBILITY_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Entries:
    """Columns of a model: entry e puts job `job[e]` (0..jobs−1) on agent `agent[e]`.

    `exact` says that weights and capacities are integers.
    """

    job: np.ndarray
    agent: np.ndarray
    cost: np.ndarray
    weight: np.ndarray
    jobs: int
    capacities: np.ndarray
    exact: bool


@dataclass(frozen=True)
class LpResult:
    """Outcome of the LP relaxation: `x` per entry, the duals of jobs and of capacities (≤ 0)."""

    status: str  # "optimal", "infeasible" or "unknown"
    x: np.ndarray | None = None
    job_duals: np.ndarray | None = None
    capacity_duals: np.ndarray | None = None


@dataclass(frozen=True)
class MilpResult:
    """Outcome of a MILP: the entry chosen per job (None without a solution) and the dual bound."""

    status: str  # "optimal", "infeasible" or "stopped"
    chosen: np.ndarray | None
    dual_bound: float | None


def _model(entries: Entries, integer: bool) -> highspy.HighsLp:
    count = entries.job.shape[0]
    agents = entries.capacities.shape[0]
    lp = highspy.HighsLp()
    lp.num_col_ = count
    lp.num_row_ = entries.jobs + agents
    lp.col_cost_ = entries.cost.astype(np.float64)
    lp.col_lower_ = np.zeros(count)
    lp.col_upper_ = np.ones(count)
    lp.row_lower_ = np.concatenate([np.ones(entries.jobs), np.full(agents, -highspy.kHighsInf)])
    lp.row_upper_ = np.concatenate([np.ones(entries.jobs), entries.capacities.astype(np.float64)])
    index = np.empty(2 * count, dtype=np.int32)
    index[0::2] = entries.job
    index[1::2] = entries.jobs + entries.agent
    value = np.empty(2 * count, dtype=np.float64)
    value[0::2] = 1.0
    value[1::2] = entries.weight
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.arange(0, 2 * count + 1, 2, dtype=np.int32)
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * count
    return lp


def _highs(time_limit: float, seed: int) -> highspy.Highs:
    highs = highspy.Highs()
    highs.silent()
    highs.setOptionValue("time_limit", max(time_limit, 0.001))
    highs.setOptionValue("random_seed", seed)
    return highs


def solve_lp(entries: Entries, time_limit: float) -> LpResult:
    """Solve the LP relaxation."""
    highs = _highs(time_limit, 0)
    highs.passModel(_model(entries, integer=False))
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return LpResult("infeasible")
    if status != highspy.HighsModelStatus.kOptimal:
        return LpResult("unknown")
    solution = highs.getSolution()
    duals = np.asarray(solution.row_dual, dtype=np.float64)
    return LpResult(
        "optimal",
        np.asarray(solution.col_value),
        duals[: entries.jobs],
        np.minimum(duals[entries.jobs :], 0.0),
    )


def solve_milp(
    entries: Entries,
    time_limit: float,
    *,
    start: np.ndarray | None = None,
    absolute_gap: float = 1e-6,
    improvements: int | None = None,
    seed: int = 0,
    cancel: threading.Event | None = None,
) -> MilpResult:
    """Solve the MILP from `start` (entry per job), stopping after `improvements` solutions.

    Setting `cancel` from another thread stops the solve at HiGHS's next check.
    """
    highs = _highs(time_limit, seed)
    highs.setOptionValue("mip_rel_gap", 0.0)
    if not entries.exact:
        highs.setOptionValue("primal_feasibility_tolerance", _FEASIBILITY_TOLERANCE)
        highs.setOptionValue("mip_feasibility_tolerance", _FEASIBILITY_TOLERANCE)
    highs.setOptionValue("mip_abs_gap", absolute_gap)
    if improvements is not None:
        highs.setOptionValue("mip_max_improving_sols", improvements)
    if cancel is not None:

        def interrupt(event: highspy.HighsCallbackEvent) -> None:
            if cancel.is_set():
                event.interrupt()

        highs.cbMipInterrupt += interrupt
    highs.passModel(_model(entries, integer=True))
    if start is not None:
        values = np.zeros(entries.job.shape[0])
        values[start] = 1.0
        solution = highspy.HighsSolution()
        solution.col_value = values
        solution.value_valid = True
        highs.setSolution(solution)
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    chosen = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        x = np.asarray(highs.getSolution().col_value)
        picked = np.flatnonzero(x > 0.5)
        if np.array_equal(np.sort(entries.job[picked]), np.arange(entries.jobs)):
            chosen = np.empty(entries.jobs, dtype=np.int64)
            chosen[entries.job[picked]] = picked
    if status == highspy.HighsModelStatus.kOptimal:
        return MilpResult("optimal", chosen, float(info.mip_dual_bound))
    if status == highspy.HighsModelStatus.kInfeasible:
        return MilpResult("infeasible", None, None)
    bound = float(info.mip_dual_bound)
    return MilpResult("stopped", chosen, bound if np.isfinite(bound) else None)
