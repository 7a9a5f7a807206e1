"""An instance as candidate entries: the (job, agent) pairs a solution may use."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.gap._highs import Entries
from matching.gap.model import GapInstance

# Integers up to this size are exact in float64 and small enough for the knapsack tables.
_EXACT_LIMIT = 2**31


@dataclass(frozen=True)
class Problem:
    """Entries job by job, cheapest first within a job; `jobs` maps problem jobs to the instance.

    `exact` says that weights and capacities are integers, so that loads are compared exactly
    (`tol` is then zero) and knapsacks can be solved by dynamic programming.
    """

    jobs: np.ndarray
    job: np.ndarray
    agent: np.ndarray
    cost: np.ndarray
    weight: np.ndarray
    ptr: np.ndarray
    cap: np.ndarray
    tol: np.ndarray
    integer: bool
    exact: bool

    @property
    def n(self) -> int:
        return int(self.jobs.shape[0])

    @property
    def m(self) -> int:
        return int(self.cap.shape[0])

    @property
    def size(self) -> int:
        return int(self.job.shape[0])

    @property
    def step(self) -> float:
        """Return the least improvement that counts: one unit for integer costs."""
        return 1.0 if self.integer else 1e-6

    def entries(self, subset: np.ndarray) -> Entries:
        """Return the entries `subset` (sorted indices) as the columns of a HiGHS model."""
        return Entries(
            job=self.job[subset],
            agent=self.agent[subset],
            cost=self.cost[subset],
            weight=self.weight[subset],
            jobs=self.n,
            capacities=self.cap,
            exact=self.exact,
        )

    def total(self, chosen: np.ndarray) -> float:
        return float(self.cost[chosen].sum())

    def fits(self, chosen: np.ndarray) -> bool:
        loads = np.bincount(self.agent[chosen], weights=self.weight[chosen], minlength=self.m)
        return bool((loads <= self.cap + self.tol).all())

    def per_job_min(self, values: np.ndarray) -> np.ndarray:
        return np.minimum.reduceat(values, self.ptr[:-1])

    def ranked(self, rank: np.ndarray, count: int) -> np.ndarray:
        """Return a mask of the `count` entries of smallest `rank` of each job."""
        order = np.lexsort((rank, self.job))
        place = np.arange(order.shape[0]) - self.ptr[self.job[order]]
        keep = np.zeros(order.shape[0], dtype=bool)
        keep[order[place < count]] = True
        return keep

    def rounded(self, bound: float) -> float:
        """Return a lower bound rounded up to an integer when costs are integers."""
        if self.integer and np.isfinite(bound):
            return float(np.ceil(bound - 1e-7 * max(1.0, abs(bound))))
        return bound


def build_problem(instance: GapInstance, mask: np.ndarray) -> Problem:
    """Return the entries of `mask` (shape (m, n)) for the jobs that have at least one."""
    costs = instance.costs
    weights = instance.weights
    capacities = instance.capacities
    integer = _integral(costs)
    exact = _integral(weights) and _integral(capacities)
    jobs = np.flatnonzero(mask.any(axis=0))
    rows, cols = np.nonzero(mask[:, jobs])
    cost = costs[rows, jobs[cols]].astype(np.float64)
    order = np.lexsort((cost, cols))
    job = cols[order].astype(np.int64)
    agent = rows[order].astype(np.int64)
    cap = capacities.astype(np.float64)
    return Problem(
        jobs=jobs,
        job=job,
        agent=agent,
        cost=cost[order],
        weight=weights[agent, jobs[job]].astype(np.float64),
        ptr=np.searchsorted(job, np.arange(jobs.shape[0] + 1)).astype(np.int64),
        cap=cap,
        tol=np.zeros_like(cap) if exact else 1e-9 * np.maximum(1.0, np.abs(cap)),
        integer=integer,
        exact=exact,
    )


def _integral(values: np.ndarray) -> bool:
    if np.issubdtype(values.dtype, np.integer):
        return bool((np.abs(values) < _EXACT_LIMIT).all())
    return bool((np.abs(values) < _EXACT_LIMIT).all() and (np.floor(values) == values).all())
