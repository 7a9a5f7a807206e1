"""Heuristics over a `Problem`: the compiled local search and the large neighbourhood search."""

from __future__ import annotations

import math
import threading
import time

import numpy as np

from matching.gap import _kernels
from matching.gap._highs import Entries, solve_milp
from matching.gap._problem import Problem

# The local search looks at this many entries per job, those of smallest LP reduced cost.
_NEIGHBOURS = 12
# Move evaluations, and passes, of the local search between two looks at the clock.
_CHUNK_WORK = 20_000_000
_CHUNK_PASSES = 200
# Large neighbourhoods start with this many agents, solved by HiGHS within this many seconds.
_LNS_AGENTS = 3
_LNS_SECONDS = 0.5


class LocalSearch:
    """Local search whose penalties and best solutions carry over from one run to the next."""

    def __init__(self, problem: Problem, rank: np.ndarray, prices: np.ndarray, seed: int):
        self.problem = problem
        self.neighbourhood = problem.ranked(rank, _NEIGHBOURS)
        # A unit of overload starts at twice its LP price, and at least at twice the ratio of
        # average cost to average weight, so that instances without binding capacities work too.
        unit = max(float(np.abs(problem.cost).mean()), 1.0) / max(
            float(problem.weight.mean()), 1e-9
        )
        self.penalty = 2.0 * np.maximum(-prices, unit)
        self.floor = np.full(problem.m, 0.1 * unit)
        self.seed = seed
        self.chunks = 0
        self.best: np.ndarray | None = None
        self.best_cost = math.inf
        self.least: np.ndarray | None = None
        self.least_over = math.inf
        self._lock = threading.Lock()

    def run(self, start: np.ndarray, deadline: float, target: float, stall: int) -> None:
        """Search from `start` (entry per job) until `deadline`, `target` or `stall` idle chunks."""
        p = self.problem
        keep = self.neighbourhood.copy()
        keep[start] = True
        sub = np.flatnonzero(keep)
        inverse = np.full(p.size, -1, dtype=np.int64)
        inverse[sub] = np.arange(sub.shape[0])
        agent = p.agent[sub]
        weight = p.weight[sub]
        ptr = np.searchsorted(p.job[sub], np.arange(p.n + 1)).astype(np.int64)
        asg = inverse[start]
        mstart = _kernels.member_slots(ptr, agent, p.m)
        msize = np.zeros(p.m, dtype=np.int64)
        mem = np.zeros(sub.shape[0], dtype=np.int64)
        where = np.zeros(p.n, dtype=np.int64)
        load = np.zeros(p.m)
        _kernels.fill_members(agent, weight, asg, mstart, msize, mem, where, load)
        best_asg = np.zeros((2, p.n), dtype=np.int64)
        best = np.array([self.best_cost, self.least_over, math.inf])
        work = sub.shape[0] * sub.shape[0] / p.m + p.n
        passes = int(max(1, min(_CHUNK_PASSES, _CHUNK_WORK // work)))
        idle = 0
        while idle < stall and time.perf_counter() < deadline and best[0] > target:
            before = best[0]
            self.chunks += 1
            _kernels.search(
                ptr, agent, p.cost[sub], weight, p.cap, p.tol, asg, load, mstart, msize, mem,
                where, self.penalty, self.floor, best_asg, best, passes,
                self.seed * 1_000_003 + self.chunks, target,
            )  # fmt: skip
            idle = 0 if best[0] < before else idle + 1
        if best[0] < self.best_cost:
            self.offer(sub[best_asg[0]])
        if best[1] < self.least_over:
            self.least = sub[best_asg[1]]
            self.least_over = float(best[1])

    def offer(self, chosen: np.ndarray) -> None:
        """Keep `chosen` (entry per job, known to fit) when it is cheaper than the best.

        Other threads offer the solutions of their MILPs too.
        """
        cost = self.problem.total(chosen)
        with self._lock:
            if cost < self.best_cost:
                self.best, self.best_cost = chosen, cost


class Neighbourhoods:
    """Large neighbourhood search: re-solve exactly the jobs of a few related agents."""

    def __init__(self, problem: Problem, rank: np.ndarray, seed: int):
        self.problem = problem
        # A job relates its agent to the agents of its three most promising other entries.
        self.alternatives = np.flatnonzero(problem.ranked(rank, 4))
        self.rng = np.random.default_rng(seed)
        self.size = min(_LNS_AGENTS, problem.m)

    def improve(self, chosen: np.ndarray, allowed: np.ndarray, deadline: float) -> np.ndarray:
        """Return `chosen` improved by one subproblem over `allowed` entries, or unchanged."""
        p = self.problem
        current = p.agent[chosen]
        links = np.zeros((p.m, p.m))
        alt = self.alternatives
        np.add.at(links, (current[p.job[alt]], p.agent[alt]), 1.0)
        links += links.T
        group = [int(self.rng.integers(p.m))]
        while len(group) < self.size:
            score = links[group].sum(axis=0) + self.rng.random(p.m)
            score[group] = -1.0
            group.append(int(score.argmax()))
        in_group = np.zeros(p.m, dtype=bool)
        in_group[group] = True
        jobs = np.flatnonzero(in_group[current])
        if jobs.shape[0] == 0:
            return chosen
        local = np.full(p.n, -1, dtype=np.int64)
        local[jobs] = np.arange(jobs.shape[0])
        subset = np.flatnonzero((local[p.job] >= 0) & in_group[p.agent] & allowed)
        subset = np.union1d(subset, chosen[jobs])
        entries = Entries(
            job=local[p.job[subset]],
            agent=p.agent[subset],
            cost=p.cost[subset],
            weight=p.weight[subset],
            jobs=jobs.shape[0],
            capacities=np.where(in_group, p.cap, 0.0),
            exact=p.exact,
        )
        limit = min(_LNS_SECONDS, deadline - time.perf_counter())
        began = time.perf_counter()
        result = solve_milp(
            entries,
            limit,
            start=np.searchsorted(subset, chosen[jobs]),
            absolute_gap=0.999 * p.step,
            improvements=1,  # one better solution is enough to move on
            seed=int(self.rng.integers(1 << 30)),
        )
        # Subproblems solved quickly grow by an agent; those cut off by the time limit without
        # a better solution shrink by one.
        quick = time.perf_counter() - began < 0.2 * _LNS_SECONDS
        if result.status == "optimal" and quick:
            self.size = min(max(2, p.m - 1), self.size + 1)
        improved = chosen.copy()
        if result.chosen is not None:
            improved[jobs] = subset[result.chosen]
        if p.total(chosen) - p.total(improved) > 0.5 * p.step and p.fits(improved):
            return improved
        if result.status != "optimal":
            self.size = max(2, self.size - 1)
        return chosen
