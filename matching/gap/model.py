"""GAP instances and solutions, and the reader of the OR-Library instance format."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

_INTEGER = re.compile(r"[+-]?[0-9]+")
# Larger values would lose precision in the float64 arithmetic of the solver.
_MAX_VALUE = 2**53


class GapFormatError(ValueError):
    """An instance file or array that is not a well-formed GAP instance."""


@dataclass(frozen=True)
class GapInstance:
    """Costs and weights of each job at each agent (shape (m, n)) and the agents' capacities.

    `allowed[i, j]` False forbids job j at agent i; None allows every pair.
    """

    costs: np.ndarray
    weights: np.ndarray
    capacities: np.ndarray
    allowed: np.ndarray | None = None

    def __post_init__(self) -> None:
        """Check shapes and values and store the arrays as numpy arrays.

        Raises:
            GapFormatError: a shape or value that is not a valid instance.
        """
        costs = _real_array(self.costs, "costs")
        weights = _real_array(self.weights, "weights")
        capacities = _real_array(self.capacities, "capacities")
        if costs.ndim != 2 or costs.shape[0] < 1 or costs.shape[1] < 1:
            raise GapFormatError(f"costs must have shape (m, n) with m, n >= 1, not {costs.shape}")
        if weights.shape != costs.shape:
            raise GapFormatError(f"weights have shape {weights.shape}, costs {costs.shape}")
        if capacities.shape != (costs.shape[0],):
            raise GapFormatError(
                f"capacities have shape {capacities.shape}, expected ({costs.shape[0]},)"
            )
        if (weights < 0).any():
            raise GapFormatError("weights must not be negative")
        if (capacities < 0).any():
            raise GapFormatError("capacities must not be negative")
        object.__setattr__(self, "costs", costs)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "capacities", capacities)
        if self.allowed is not None:
            allowed = np.asarray(self.allowed)
            if allowed.dtype != np.bool_:
                raise GapFormatError(f"allowed must be a bool array, not {allowed.dtype}")
            if allowed.shape != costs.shape:
                raise GapFormatError(f"allowed has shape {allowed.shape}, costs {costs.shape}")
            object.__setattr__(self, "allowed", allowed)

    @property
    def agents(self) -> int:
        return int(self.costs.shape[0])

    @property
    def jobs(self) -> int:
        return int(self.costs.shape[1])


@dataclass(frozen=True)
class GapSolution:
    """An assignment (agent per job, −1 for a job that no agent may take) and what is known of it.

    `lower_bound` bounds the cost of every feasible assignment from below (None when no feasible
    assignment is known); `optimal` says that it proves `objective` optimal.
    """

    assignment: list[int]
    objective: float
    feasible: bool
    lower_bound: float | None
    optimal: bool
    seconds: float


def read_gap_instance(path: str | Path) -> GapInstance:
    """Read an instance in the OR-Library format: `m n`, costs, weights, capacities.

    Raises:
        GapFormatError: the file cannot be read or is not a well-formed instance.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise GapFormatError(f"{name}: cannot read the file: {reason}") from None
    tokens = text.split()
    for index, token in enumerate(tokens):
        if not _INTEGER.fullmatch(token):
            shown = token if len(token) <= 20 else token[:20] + "…"
            raise GapFormatError(f"{name}: number {index + 1} is {shown!r}, not an integer")
    if len(tokens) < 2:
        raise GapFormatError(f"{name}: expected the numbers of agents and jobs first")
    values = [int(token) for token in tokens]
    if any(abs(value) > _MAX_VALUE for value in values):
        raise GapFormatError(f"{name}: a number is larger than {_MAX_VALUE}")
    m, n = values[0], values[1]
    if m < 1 or n < 1:
        raise GapFormatError(f"{name}: {m} agents and {n} jobs; both must be at least 1")
    expected = 2 + 2 * m * n + m
    if len(values) != expected:
        problem = "too few" if len(values) < expected else "too many"
        raise GapFormatError(
            f"{name}: {problem} numbers for {m} agents and {n} jobs: "
            f"expected {expected}, found {len(values)}"
        )
    data = np.array(values[2:], dtype=np.int64)
    if (data < 0).any():
        raise GapFormatError(f"{name}: costs, weights and capacities must not be negative")
    return GapInstance(
        costs=data[: m * n].reshape(m, n),
        weights=data[m * n : 2 * m * n].reshape(m, n),
        capacities=data[2 * m * n :],
    )


def _real_array(value: object, name: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise GapFormatError(f"{name} must be an array of real numbers, not {array.dtype}")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise GapFormatError(f"{name} must be finite")
    return array
