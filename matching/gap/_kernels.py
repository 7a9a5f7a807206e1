"""Compiled inner loops of the GAP local search (numba).

Candidate entries are stored job by job: those of job j are `ptr[j]:ptr[j + 1]` of `agent`,
`cost` and `weight`. A solution is `asg`, the entry chosen for each job. Agents keep the list of
their jobs in `mem[mstart[i]:mstart[i] + msize[i]]`, and `where[j]` is the slot of job j in its
agent's list, so that a move updates the lists in constant time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# A move must gain more than this to count as an improvement; guards against float cycling.
_GAIN = 1e-9


@njit(cache=True, nogil=True)
def _excess(load: float, cap: float, tol: float) -> float:
    over = load - cap
    return over if over > tol else 0.0


@njit(cache=True, nogil=True)
def member_slots(ptr: np.ndarray, agent: np.ndarray, m: int) -> np.ndarray:
    """Return where each agent's list starts in `mem` (agent i has room for its candidate jobs)."""
    slots = np.zeros(m + 1, dtype=np.int64)
    for e in range(ptr[-1]):
        slots[agent[e] + 1] += 1
    for i in range(m):
        slots[i + 1] += slots[i]
    return slots[:m].copy()


@njit(cache=True, nogil=True)
def fill_members(
    agent: np.ndarray,
    weight: np.ndarray,
    asg: np.ndarray,
    mstart: np.ndarray,
    msize: np.ndarray,
    mem: np.ndarray,
    where: np.ndarray,
    load: np.ndarray,
) -> None:
    """Fill the agents' job lists and loads for the solution `asg`."""
    msize[:] = 0
    load[:] = 0.0
    for j in range(asg.shape[0]):
        i = agent[asg[j]]
        mem[mstart[i] + msize[i]] = j
        where[j] = msize[i]
        msize[i] += 1
        load[i] += weight[asg[j]]


@njit(cache=True, nogil=True)
def _move(
    j: int,
    e: int,
    agent: np.ndarray,
    weight: np.ndarray,
    asg: np.ndarray,
    load: np.ndarray,
    mstart: np.ndarray,
    msize: np.ndarray,
    mem: np.ndarray,
    where: np.ndarray,
) -> None:
    old = asg[j]
    p = agent[old]
    q = agent[e]
    load[p] -= weight[old]
    load[q] += weight[e]
    asg[j] = e
    # Remove j from p's list by moving p's last job into its slot.
    s = where[j]
    last = mem[mstart[p] + msize[p] - 1]
    mem[mstart[p] + s] = last
    where[last] = s
    msize[p] -= 1
    mem[mstart[q] + msize[q]] = j
    where[j] = msize[q]
    msize[q] += 1


@njit(cache=True, nogil=True)
def _best_move(
    j: int,
    ptr: np.ndarray,
    agent: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
    tol: np.ndarray,
    asg: np.ndarray,
    load: np.ndarray,
    mstart: np.ndarray,
    msize: np.ndarray,
    mem: np.ndarray,
    penalty: np.ndarray,
) -> tuple[float, int, int, int]:
    """Return the change of penalised cost, entry of j, job k and entry of k of j's best move.

    The move shifts j to another agent q and, when k >= 0, shifts a job k of q on to an agent
    r (r = j's agent: a swap).
    """
    a = asg[j]
    p = agent[a]
    cpj = cost[a]
    apj = weight[a]
    ex_p = _excess(load[p], cap[p], tol[p])
    leave_p = penalty[p] * (_excess(load[p] - apj, cap[p], tol[p]) - ex_p)
    best_delta = np.inf
    best_e = -1
    best_k = -1
    best_f = -1
    for e in range(ptr[j], ptr[j + 1]):
        q = agent[e]
        if q == p:
            continue
        cqj = cost[e]
        aqj = weight[e]
        ex_q = _excess(load[q], cap[q], tol[q])
        d = cqj - cpj + leave_p + penalty[q] * (_excess(load[q] + aqj, cap[q], tol[q]) - ex_q)
        if d < best_delta:
            best_delta = d
            best_e = e
            best_k = -1
            best_f = -1
        for s in range(msize[q]):
            k = mem[mstart[q] + s]
            ak = asg[k]
            base = (
                cqj
                - cpj
                - cost[ak]
                + penalty[q] * (_excess(load[q] + aqj - weight[ak], cap[q], tol[q]) - ex_q)
            )
            for f in range(ptr[k], ptr[k + 1]):
                r = agent[f]
                if r == q:
                    continue
                if r == p:
                    d = (
                        base
                        + cost[f]
                        + penalty[p] * (_excess(load[p] - apj + weight[f], cap[p], tol[p]) - ex_p)
                    )
                else:
                    d = (
                        base
                        + cost[f]
                        + leave_p
                        + penalty[r]
                        * (
                            _excess(load[r] + weight[f], cap[r], tol[r])
                            - _excess(load[r], cap[r], tol[r])
                        )
                    )
                if d < best_delta:
                    best_delta = d
                    best_e = e
                    best_k = k
                    best_f = f
    return best_delta, best_e, best_k, best_f


@njit(cache=True, nogil=True)
def search(
    ptr: np.ndarray,
    agent: np.ndarray,
    cost: np.ndarray,
    weight: np.ndarray,
    cap: np.ndarray,
    tol: np.ndarray,
    asg: np.ndarray,
    load: np.ndarray,
    mstart: np.ndarray,
    msize: np.ndarray,
    mem: np.ndarray,
    where: np.ndarray,
    penalty: np.ndarray,
    floor: np.ndarray,
    best_asg: np.ndarray,
    best: np.ndarray,
    passes: int,
    seed: int,
    target: float,
) -> None:
    """Improve `asg` for `passes` passes of shifts, swaps and two-step ejection chains.

    The moves minimise cost plus `penalty[i]` per unit of load above capacity. At a local
    optimum the penalties of overloaded agents rise and, when no agent is overloaded, all fall
    (not below `floor`), so that the search oscillates around the edge of the feasible region.
    `best[0]` and `best_asg[0]` keep the cheapest feasible solution seen, `best[1]`, `best[2]`
    and `best_asg[1]` the least total overload seen, its cost and its solution. Stops early once
    a feasible solution costs no more than `target`.
    """
    np.random.seed(seed)
    n = asg.shape[0]
    m = cap.shape[0]
    perm = np.arange(n)
    total = 0.0
    for j in range(n):
        total += cost[asg[j]]
    over = 0.0
    count = 0
    for i in range(m):
        ex = _excess(load[i], cap[i], tol[i])
        over += ex
        if ex > 0.0:
            count += 1
    _record(asg, total, over, count, best_asg, best)
    for _ in range(passes):
        np.random.shuffle(perm)
        improved = False
        for t in range(n):
            j = perm[t]
            delta, e, k, f = _best_move(
                j, ptr, agent, cost, weight, cap, tol, asg, load, mstart, msize, mem, penalty
            )
            if e < 0 or delta >= -_GAIN * (1.0 + abs(cost[asg[j]])):
                continue
            improved = True
            a = asg[j]
            p = agent[a]
            q = agent[e]
            r = agent[f] if k >= 0 else p
            before_p = _excess(load[p], cap[p], tol[p])
            before_q = _excess(load[q], cap[q], tol[q])
            before_r = _excess(load[r], cap[r], tol[r]) if r != p else 0.0
            total += cost[e] - cost[a]
            _move(j, e, agent, weight, asg, load, mstart, msize, mem, where)
            if k >= 0:
                total += cost[f] - cost[asg[k]]
                _move(k, f, agent, weight, asg, load, mstart, msize, mem, where)
            after_p = _excess(load[p], cap[p], tol[p])
            after_q = _excess(load[q], cap[q], tol[q])
            after_r = _excess(load[r], cap[r], tol[r]) if r != p else 0.0
            over += after_p + after_q + after_r - before_p - before_q - before_r
            count += (
                (after_p > 0.0)
                + (after_q > 0.0)
                + (after_r > 0.0)
                - (before_p > 0.0)
                - (before_q > 0.0)
                - (before_r > 0.0)
            )
            _record(asg, total, over, count, best_asg, best)
        if best[0] <= target:
            return
        # Recomputed once a pass so that float round-off cannot accumulate.
        over = 0.0
        for i in range(m):
            over += _excess(load[i], cap[i], tol[i])
        if not improved:
            if count > 0:
                for i in range(m):
                    if load[i] - cap[i] > tol[i]:
                        penalty[i] *= 1.3
            else:
                for i in range(m):
                    penalty[i] = max(floor[i], penalty[i] * 0.9)


@njit(cache=True, nogil=True)
def _record(
    asg: np.ndarray,
    total: float,
    over: float,
    count: int,
    best_asg: np.ndarray,
    best: np.ndarray,
) -> None:
    if count == 0:
        if total < best[0]:
            best[0] = total
            best_asg[0, :] = asg
    elif over < best[1] or (over == best[1] and total < best[2]):
        best[1] = over
        best[2] = total
        best_asg[1, :] = asg
