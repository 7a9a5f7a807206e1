"""Generate random GAP instances of the published types C, D and E, for benchmarks and tests.

Type C and D follow Chu & Beasley (1997), type E Laguna et al. (1995) as used by Yagiura et al.;
all three have tight capacities, b_i = floor(0.8 · Σ_j a_ij / m):

- C: a_ij ~ U[5, 25], c_ij ~ U[10, 50];
- D: a_ij ~ U[1, 100], c_ij = 111 − a_ij + U[−10, 10] (costs fall as weights rise);
- E: a_ij = 1 − 10·ln U(0, 1], c_ij = 1000 / a_ij − 10·U[0, 1], both made integers.

    from bench.gap_instances import generate_gap
    instance = generate_gap("D", jobs=1600, agents=80, seed=1)
"""

from __future__ import annotations

import numpy as np

from matching.gap import GapInstance

TYPES = ("C", "D", "E")


def generate_gap(kind: str, jobs: int, agents: int, seed: int = 0) -> GapInstance:
    """Return a random instance of type `kind` (C, D or E) with integer data.

    Raises:
        ValueError: unknown type or fewer than one job or agent.
    """
    kind = kind.upper()
    if kind not in TYPES:
        raise ValueError(f"unknown GAP instance type {kind!r}; expected one of {', '.join(TYPES)}")
    if jobs < 1 or agents < 1:
        raise ValueError("an instance needs at least one job and one agent")
    rng = np.random.default_rng(seed)
    shape = (agents, jobs)
    if kind == "C":
        weights = rng.integers(5, 26, size=shape)
        costs = rng.integers(10, 51, size=shape)
    elif kind == "D":
        weights = rng.integers(1, 101, size=shape)
        costs = 111 - weights + rng.integers(-10, 11, size=shape)
    else:
        # 1 - rng.random() lies in (0, 1], so the logarithm is finite.
        weights = np.floor(1.0 - 10.0 * np.log(1.0 - rng.random(shape))).astype(np.int64)
        raw = np.floor(1000.0 / weights - 10.0 * rng.random(shape)).astype(np.int64)
        # Weights above 100 (about 1 in 20,000) could give a negative cost, which the file format
        # does not allow; zero keeps such an entry what it is, the cheapest one of its job.
        costs = np.maximum(raw, 0)
    capacities = np.floor(0.8 * weights.sum(axis=1) / agents).astype(np.int64)
    return GapInstance(
        costs=costs.astype(np.int64), weights=weights.astype(np.int64), capacities=capacities
    )
