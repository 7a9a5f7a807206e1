"""Generalized assignment problem: put each job on one agent within capacities at least cost."""

from matching.gap.model import GapFormatError, GapInstance, GapSolution, read_gap_instance
from matching.gap.solver import solve_gap, solve_gap_plain_milp

__all__ = [
    "GapFormatError",
    "GapInstance",
    "GapSolution",
    "read_gap_instance",
    "solve_gap",
    "solve_gap_plain_milp",
]
