"""Lagrangian relaxation of the assignment constraints: one 0-1 knapsack per agent (numba).

With a multiplier u_j per job, L(u) = Σ_j u_j − Σ_i max{Σ_j (u_j − c_ij) x_ij : Σ_j a_ij x_ij ≤ b_i}
bounds every assignment from below, and at its best u it is at least the LP bound. The knapsacks
are solved by dynamic programming over integer capacities, so this needs integer weights.

Entries are grouped agent by agent: those of agent i are `aptr[i]:aptr[i + 1]` of `job`,
`cost` and `weight`.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _knapsack(
    lo: int,
    hi: int,
    job: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cap: int,
    u: np.ndarray,
    take: np.ndarray,
    chosen: np.ndarray,
) -> float:
    """Return agent's best knapsack value and mark its items in `chosen` (entries lo..hi)."""
    best = np.zeros(cap + 1)
    for e in range(lo, hi):
        chosen[e] = False
        profit = u[job[e]] - cost[e]
        w = weight[e]
        row = e - lo
        for c in range(cap + 1):
            take[row, c] = False
        if profit <= 0.0 or w > cap:
            continue
        for c in range(cap, w - 1, -1):
            value = best[c - w] + profit
            if value > best[c]:
                best[c] = value
                take[row, c] = True
    c = cap
    for e in range(hi - 1, lo - 1, -1):
        if take[e - lo, c]:
            chosen[e] = True
            c -= weight[e]
    return best[cap]


@njit(cache=True, nogil=True)
def relaxed(
    aptr: np.ndarray,
    job: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
    u: np.ndarray,
    chosen: np.ndarray,
) -> float:
    """Return L(u) and mark in `chosen` the entries of the knapsacks' solutions."""
    most = 0
    for i in range(cap.shape[0]):
        most = max(most, aptr[i + 1] - aptr[i])
    take = np.zeros((most, cap.max() + 1), dtype=np.bool_)
    return _value(aptr, job, cost, weight, cap, u, take, chosen)


@njit(cache=True, nogil=True)
def _value(
    aptr: np.ndarray,
    job: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
    u: np.ndarray,
    take: np.ndarray,
    chosen: np.ndarray,
) -> float:
    total = u.sum()
    for i in range(cap.shape[0]):
        total -= _knapsack(aptr[i], aptr[i + 1], job, cost, weight, cap[i], u, take, chosen)
    return total


@njit(cache=True, nogil=True)
def subgradient(
    aptr: np.ndarray,
    job: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
    u: np.ndarray,
    best_u: np.ndarray,
    state: np.ndarray,
    upper: float,
    iterations: int,
) -> None:
    """Run subgradient steps on u towards the best bound; `state` is [best bound, step, idle].

    The step is state[1] · (upper − L) / |g|², halved after 20 steps without a better bound.
    """
    n = u.shape[0]
    most = 0
    for i in range(cap.shape[0]):
        most = max(most, aptr[i + 1] - aptr[i])
    take = np.zeros((most, cap.max() + 1), dtype=np.bool_)
    chosen = np.zeros(job.shape[0], dtype=np.bool_)
    g = np.zeros(n)
    for _ in range(iterations):
        bound = _value(aptr, job, cost, weight, cap, u, take, chosen)
        if bound > state[0]:
            state[0] = bound
            best_u[:] = u
            state[2] = 0.0
        else:
            state[2] += 1.0
            if state[2] >= 20.0:
                state[1] *= 0.5
                state[2] = 0.0
        g[:] = 1.0
        for e in range(job.shape[0]):
            if chosen[e]:
                g[job[e]] -= 1.0
        norm = (g * g).sum()
        if norm == 0.0 or state[1] < 1e-4 or upper - bound <= 0.0:
            state[1] = 0.0
            return
        u += state[1] * (upper - bound) / norm * g


@njit(cache=True, nogil=True)
def flip_costs(
    aptr: np.ndarray,
    job: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
    u: np.ndarray,
    into: np.ndarray,
    out: np.ndarray,
) -> float:
    """Return L(u) and, per entry, how much it rises when the entry is forced in or out.

    A forward and a backward table over each agent's items give the best knapsack value without
    one item for every capacity, so every entry's forced value costs one pass over capacities.
    """
    total = u.sum()
    for i in range(cap.shape[0]):
        lo = aptr[i]
        hi = aptr[i + 1]
        b = cap[i]
        count = hi - lo
        forward = np.zeros((count + 1, b + 1))
        for row in range(count):
            e = lo + row
            forward[row + 1, :] = forward[row, :]
            profit = u[job[e]] - cost[e]
            w = weight[e]
            if profit > 0.0 and w <= b:
                for c in range(w, b + 1):
                    value = forward[row, c - w] + profit
                    if value > forward[row + 1, c]:
                        forward[row + 1, c] = value
        best = forward[count, b]
        total -= best
        backward = np.zeros(b + 1)
        for row in range(count - 1, -1, -1):
            e = lo + row
            profit = u[job[e]] - cost[e]
            w = weight[e]
            # Best value without item `row`: items before it from `forward`, after it `backward`.
            without = -np.inf
            for c in range(b + 1):
                value = forward[row, c] + backward[b - c]
                if value > without:
                    without = value
            with_it = -np.inf
            if w <= b:
                for c in range(b - w + 1):
                    value = forward[row, c] + backward[b - w - c]
                    if value > with_it:
                        with_it = value
                with_it += profit
            into[e] = best - with_it
            out[e] = best - without
            if profit > 0.0 and w <= b:
                for c in range(b, w - 1, -1):
                    value = backward[c - w] + profit
                    if value > backward[c]:
                        backward[c] = value
    return total


class Lagrangian:
    """Subgradient optimisation of L(u) over a fixed set of entries with integer weights."""

    def __init__(
        self,
        agent: np.ndarray,
        job: np.ndarray,
        cost: np.ndarray,
        weight: np.ndarray,
        capacities: np.ndarray,
        u: np.ndarray,
    ) -> None:
        self.order = np.lexsort((job, agent))
        m = capacities.shape[0]
        self.aptr = np.searchsorted(agent[self.order], np.arange(m + 1)).astype(np.int64)
        self.job = job[self.order].astype(np.int64)
        self.cost = cost[self.order].astype(np.float64)
        self.weight = weight[self.order].astype(np.int64)
        self.cap = np.floor(capacities).astype(np.int64)
        self.u = u.astype(np.float64).copy()
        self.best_u = self.u.copy()
        self.state = np.array([-np.inf, 1.0, 0.0])

    @property
    def bound(self) -> float:
        return float(self.state[0])

    @property
    def converged(self) -> bool:
        return bool(self.state[1] == 0.0)

    def improve(self, upper: float, iterations: int) -> None:
        """Run `iterations` subgradient steps with `upper` as the target of the step size."""
        subgradient(
            self.aptr, self.job, self.cost, self.weight, self.cap, self.u, self.best_u,
            self.state, upper, iterations,
        )  # fmt: skip

    def flips(self) -> tuple[float, np.ndarray, np.ndarray]:
        """Return L at the best u and, per entry, its rise when forcing the entry in or out."""
        into = np.zeros(self.job.shape[0])
        out = np.zeros(self.job.shape[0])
        bound = flip_costs(
            self.aptr, self.job, self.cost, self.weight, self.cap, self.best_u, into, out
        )
        unsorted_in = np.empty_like(into)
        unsorted_out = np.empty_like(out)
        unsorted_in[self.order] = into
        unsorted_out[self.order] = out
        return float(bound), unsorted_in, unsorted_out
