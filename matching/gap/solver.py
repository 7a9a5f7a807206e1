"""Solve the generalized assignment problem: bounds, local search, large neighbourhoods, MILP.

The LP relaxation (HiGHS) gives a lower bound and a price per unit of each agent's capacity; its
solution, which splits at most one job per agent, rounded, starts a compiled local search (shifts,
swaps and two-step ejection chains under adaptive penalties for overload). With integer weights a
Lagrangian relaxation (one knapsack per agent) raises the bound. An entry whose reduced cost, LP or
Lagrangian, lifts the bound above the incumbent is in no better assignment and is fixed out, so
the bound HiGHS proves for the remaining model holds for the whole instance.

Two threads share the time. Up to a size, a helper gives the whole MILP to HiGHS from the start;
when fixing leaves a small model, the main thread solves it from the incumbent too, and whichever
proves optimality first stops the other. Otherwise the main thread alternates a large
neighbourhood search (the jobs of a few related agents re-solved by HiGHS) with the local search,
while on large instances the helper solves core models (the most promising entries of each job)
from the incumbent. All offer their solutions to one shared incumbent.

Results are deterministic for a seed when the search ends by proving optimality; when the time
limit ends it, they depend on how far each thread got.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from matching.gap._highs import LpResult, MilpResult, solve_lp, solve_milp
from matching.gap._lagrange import Lagrangian
from matching.gap._problem import Problem, build_problem
from matching.gap._search import LocalSearch, Neighbourhoods
from matching.gap.model import GapInstance, GapSolution

# Models with at most this many entries go to HiGHS whole, in a helper thread from the start. When
# fixing leaves at most the second figure, HiGHS also solves that model from the incumbent in the
# main thread: it proves small models optimal where the neighbourhood search would only repeat it.
_MILP_ENTRIES = 30_000
_MILP_ONLY_ENTRIES = 600
# The Lagrangian relaxation is used when a subgradient step fills at most this many table cells.
_LAGRANGE_CELLS = 5_000_000
# Chunks of the local search without a better solution after which a phase ends.
_STALL = 5
# Shares of the time limit: the first local search and the Lagrangian bound.
_SEARCH_SHARE = 0.1
_LAGRANGE_SHARE = 0.1
# Core models: entries per job by reduced cost, share of the other entries drawn at random, and
# the time of one solve (this share of the time limit, at least the seconds).
_CORE_ENTRIES = 2
_CORE_EXTRA = 0.05
_CORE_SHARE = 0.1
_CORE_SECONDS = 1.0
_CORE_WAIT = 0.05
# Kept from the time limit for the last steps to finish and the result to be put together.
_WRAP_UP_SHARE = 0.02
_WRAP_UP_SECONDS = 0.25


def solve_gap(instance: GapInstance, *, time_limit: float = 10.0, seed: int = 0) -> GapSolution:
    """Return the best assignment found within `time_limit` seconds, with a lower bound."""
    started = time.perf_counter()
    deadline = started + time_limit - min(_WRAP_UP_SECONDS, _WRAP_UP_SHARE * time_limit)
    allowed = _allowed(instance)
    fits = allowed & (instance.weights <= instance.capacities[:, None])
    if not fits.any(axis=0).all():
        return _least_violating(instance, allowed, deadline, seed, started)
    problem = build_problem(instance, fits)
    relaxation = solve_lp(problem.entries(np.arange(problem.size)), deadline - started)
    if relaxation.status == "infeasible":
        return _least_violating(instance, allowed, deadline, seed, started)
    solver = _Solver(problem, relaxation, seed, deadline, deadline - started)
    solver.solve()
    search = solver.search
    assignment = np.full(instance.jobs, -1, dtype=np.int64)
    chosen = search.best if search.best is not None else search.least
    assignment[problem.jobs] = problem.agent[chosen if chosen is not None else problem.ptr[:-1]]
    lower = solver.lower if math.isfinite(solver.lower) else None
    return _finish(instance, assignment, lower, started)


class _Solver:
    """The phases of `solve_gap` over one problem, sharing the incumbent and the bounds."""

    def __init__(
        self, problem: Problem, relaxation: LpResult, seed: int, deadline: float, limit: float
    ) -> None:
        self.problem = problem
        self.seed = seed
        self.deadline = deadline
        self.limit = limit
        self.job_duals = relaxation.job_duals
        if relaxation.x is not None and relaxation.capacity_duals is not None:
            prices = relaxation.capacity_duals
            reduced = problem.cost - prices[problem.agent] * problem.weight
            per_job = problem.per_job_min(reduced)
            # L(v) of the capacity relaxation at the LP prices: a bound whatever their accuracy.
            self.bound = float(per_job.sum() + prices @ problem.cap)
            self.rank = reduced - per_job[problem.job]
            # The entry of largest LP value per job: the LP's choice, or its larger share.
            self.start = np.lexsort((-relaxation.x, problem.job))[problem.ptr[:-1]]
        else:
            prices = np.zeros(problem.m)
            self.bound = -math.inf
            self.rank = problem.cost - problem.per_job_min(problem.cost)[problem.job]
            self.start = problem.ptr[:-1].copy()
        self.lower = problem.rounded(self.bound)
        self.search = LocalSearch(problem, self.rank, prices, seed)
        self.flips: tuple[float, np.ndarray, np.ndarray] | None = None
        self.infeasible = False
        # Set once the answer is known or the time is up: stops the MILPs of other threads.
        self.stop = threading.Event()

    def _until(self, share: float) -> float:
        return min(self.deadline, time.perf_counter() + share * self.limit)

    def _open(self) -> bool:
        if self.infeasible or time.perf_counter() >= self.deadline:
            return False
        if self.search.best is None:
            return True
        gap = self.search.best_cost - self.lower
        return not gap <= 1e-6 * max(1.0, abs(self.search.best_cost))

    def solve(self) -> None:
        """Improve the incumbent and the bound until they meet or the time is up.

        HiGHS releases the GIL while it solves and the local search runs compiled without it,
        so a helper thread with a MILP and this one with the searches share two cores.
        """
        helper = None
        if self.problem.size <= _MILP_ENTRIES:
            helper = threading.Thread(target=self._whole_model, daemon=True)
            helper.start()
        try:
            self._search()
        finally:
            self.stop.set()
            if helper is not None:
                helper.join()

    def _whole_model(self) -> None:
        """Solve the whole model with HiGHS, as if alone, until stopped or out of time."""
        everything = np.arange(self.problem.size)
        self._settle(everything, self._milp(everything, self.deadline), had_incumbent=False)

    def _search(self) -> None:
        self.search.run(self.start, self._until(_SEARCH_SHARE), self.lower, _STALL)
        if self._open():
            self._lagrangian(self._until(_LAGRANGE_SHARE))
        if not self._open():
            return
        keep = self._unfixed()
        if keep.shape[0] <= _MILP_ONLY_ENTRIES:
            self._exact(keep, self.deadline)
            return
        cores = None
        if self.problem.size > _MILP_ENTRIES:
            cores = threading.Thread(target=self._cores, args=(keep,), daemon=True)
            cores.start()
        try:
            neighbourhoods = Neighbourhoods(self.problem, self.rank, self.seed)
            while self._open():
                self._neighbourhoods(self._unfixed(), neighbourhoods)
        finally:
            self.stop.set()
            if cores is not None:
                cores.join()

    def _neighbourhoods(self, keep: np.ndarray, neighbourhoods: Neighbourhoods) -> None:
        """Run up to 20 large neighbourhood steps, then the local search from the result."""
        chosen = self.search.best
        if chosen is None:
            least = self.search.least
            self.search.run(
                self.start if least is None else least, self.deadline, self.lower, _STALL
            )
            return
        allowed = np.zeros(self.problem.size, dtype=bool)
        allowed[keep] = True
        for _ in range(20):
            if not self._open():
                break
            chosen = neighbourhoods.improve(chosen, allowed, self.deadline)
        self.search.offer(chosen)
        if self._open():
            self.search.run(chosen, self.deadline, self.lower, _STALL)

    def _cores(self, keep: np.ndarray) -> None:
        """Solve core models with HiGHS, each started from the incumbent, until stopped.

        A core keeps the two entries of smallest reduced cost of each job, the incumbent's and
        a random few more; HiGHS often improves the incumbent within seconds on a core where
        the whole model is too large for it.
        """
        p = self.problem
        rng = np.random.default_rng(self.seed)
        usable = np.zeros(p.size, dtype=bool)
        usable[keep] = True
        core = p.ranked(self.rank, _CORE_ENTRIES) & usable
        while self._open() and not self.stop.is_set():
            chosen = self.search.best
            if chosen is None:
                # A core without the incumbent may have no solution, or only a poor one that
                # would pull the local search away from the LP's: wait for the local search.
                time.sleep(_CORE_WAIT)
                continue
            subset = core | (usable & (rng.random(p.size) < _CORE_EXTRA))
            subset[chosen] = True
            entries = np.flatnonzero(subset)
            result = solve_milp(
                p.entries(entries),
                min(
                    max(_CORE_SECONDS, _CORE_SHARE * self.limit),
                    self.deadline - time.perf_counter(),
                ),
                start=np.searchsorted(entries, chosen),
                absolute_gap=p.step * 0.999,
                seed=int(rng.integers(1 << 30)),
                cancel=self.stop,
            )
            if result.chosen is not None and p.fits(entries[result.chosen]):
                self.search.offer(entries[result.chosen])

    def _lagrangian(self, until: float) -> None:
        p = self.problem
        if not p.exact or self.job_duals is None:
            return
        cells = float(np.bincount(p.agent, minlength=p.m) @ (p.cap + 1.0))
        if cells > _LAGRANGE_CELLS:
            return
        relaxation = Lagrangian(p.agent, p.job, p.cost, p.weight, p.cap, self.job_duals)
        best = self.search.best_cost
        upper = best if math.isfinite(best) else self.bound + max(1.0, 0.01 * abs(self.bound))
        steps = max(1, int(2e7 // cells))
        while not relaxation.converged and time.perf_counter() < until:
            relaxation.improve(upper, steps)
            if p.rounded(relaxation.bound) >= best:
                break
        self.flips = relaxation.flips()
        self.lower = max(self.lower, p.rounded(self.flips[0]))

    def _unfixed(self) -> np.ndarray:
        """Return the entries that may still be in an assignment better than the incumbent."""
        p = self.problem
        if self.search.best is None:
            return np.arange(p.size)
        best = self.search.best_cost
        limit = best - p.step + 1e-9 * max(1.0, abs(best))
        keep = self.bound + self.rank <= limit
        if self.flips is not None:
            bound, into, out = self.flips
            keep &= bound + into <= limit
            forced = bound + out > limit
            settled = np.zeros(p.n, dtype=bool)
            settled[p.job[forced]] = True
            keep &= forced | ~settled[p.job]
        keep[self.search.best] = True
        return np.flatnonzero(keep)

    def _exact(self, keep: np.ndarray, until: float) -> None:
        had_incumbent = self.search.best is not None
        self._settle(keep, self._milp(keep, until), had_incumbent)

    def _milp(self, keep: np.ndarray, until: float) -> MilpResult:
        p = self.problem
        best = self.search.best
        return solve_milp(
            p.entries(keep),
            until - time.perf_counter(),
            start=None if best is None else np.searchsorted(keep, best),
            absolute_gap=p.step * (0.999 if p.integer else 0.5),
            seed=self.seed,
            cancel=self.stop,
        )

    def _settle(self, keep: np.ndarray, result: MilpResult, had_incumbent: bool) -> None:
        """Take the solution and the bound of a MILP over the entries `keep`."""
        p = self.problem
        if result.chosen is not None and p.fits(keep[result.chosen]):
            self.search.offer(keep[result.chosen])
        if result.status == "infeasible" and not had_incumbent:
            self.infeasible = True
        elif result.dual_bound is not None:
            # Every better assignment is in the model, so its bound holds up to the incumbent.
            bound = min(result.dual_bound, self.search.best_cost)
            self.lower = max(self.lower, p.rounded(bound))
        if not self._open():
            self.stop.set()


def _allowed(instance: GapInstance) -> np.ndarray:
    if instance.allowed is None:
        return np.ones(instance.costs.shape, dtype=bool)
    return instance.allowed


def _least_violating(
    instance: GapInstance, allowed: np.ndarray, deadline: float, seed: int, started: float
) -> GapSolution:
    """Return the assignment of least total overload found (the instance has no feasible one)."""
    assignment = np.full(instance.jobs, -1, dtype=np.int64)
    if allowed.any():
        problem = build_problem(instance, allowed)
        rank = problem.cost - problem.per_job_min(problem.cost)[problem.job]
        search = LocalSearch(problem, rank, np.zeros(problem.m), seed)
        search.run(problem.ptr[:-1].copy(), deadline, -math.inf, _STALL)
        chosen = search.least if search.least is not None else search.best
        assignment[problem.jobs] = problem.agent[chosen if chosen is not None else problem.ptr[:-1]]
    return _finish(instance, assignment, None, started)


def _finish(
    instance: GapInstance, assignment: np.ndarray, lower: float | None, started: float
) -> GapSolution:
    feasible = is_feasible(instance, assignment)
    objective = objective_of(instance, assignment)
    if not feasible:
        lower = None
    elif lower is not None:
        lower = min(lower, objective)
        if np.issubdtype(instance.costs.dtype, np.integer):
            lower = int(lower)
    optimal = lower is not None and objective - lower <= 1e-6 * max(1.0, abs(objective))
    return GapSolution(
        assignment=[int(agent) for agent in assignment],
        objective=objective,
        feasible=feasible,
        lower_bound=lower,
        optimal=optimal,
        seconds=time.perf_counter() - started,
    )


def objective_of(instance: GapInstance, assignment: np.ndarray) -> float:
    """Return the cost of the assigned jobs (an int for integer costs)."""
    jobs = np.flatnonzero(assignment >= 0)
    total = instance.costs[assignment[jobs], jobs].sum()
    return int(total) if np.issubdtype(instance.costs.dtype, np.integer) else float(total)


def is_feasible(instance: GapInstance, assignment: np.ndarray) -> bool:
    """Return whether every job is on an allowed agent and no capacity is exceeded."""
    if (assignment < 0).any():
        return False
    jobs = np.arange(instance.jobs)
    if instance.allowed is not None and not instance.allowed[assignment, jobs].all():
        return False
    loads = np.bincount(
        assignment, weights=instance.weights[assignment, jobs], minlength=instance.agents
    )
    capacities = instance.capacities.astype(np.float64)
    exact = np.issubdtype(instance.weights.dtype, np.integer) and np.issubdtype(
        instance.capacities.dtype, np.integer
    )
    slack = 0.0 if exact else 1e-9 * np.maximum(1.0, np.abs(capacities))
    return bool((loads <= capacities + slack).all())


def solve_gap_plain_milp(instance: GapInstance, *, time_limit: float) -> GapSolution:
    """Return what HiGHS alone finds for the MILP in `time_limit` seconds (for comparisons)."""
    started = time.perf_counter()
    problem = build_problem(instance, _allowed(instance))
    assignment = np.full(instance.jobs, -1, dtype=np.int64)
    lower: float | None = None
    if problem.n == instance.jobs:
        result = solve_milp(
            problem.entries(np.arange(problem.size)), time_limit, absolute_gap=0.999 * problem.step
        )
        if result.chosen is not None:
            assignment[problem.jobs] = problem.agent[result.chosen]
            if result.dual_bound is not None:
                lower = problem.rounded(result.dual_bound)
    return _finish(instance, assignment, lower, started)
