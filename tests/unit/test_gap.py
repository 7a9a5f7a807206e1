"""The GAP solver: validity, bounds and optimality against brute force, and the instance reader."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gap_instances import generate_gap
from matching.gap import (
    GapFormatError,
    GapInstance,
    GapSolution,
    read_gap_instance,
    solve_gap,
    solve_gap_plain_milp,
)
from tests.support import EXTERNAL

GAP_DIR = EXTERNAL / "gap"
needs_instances = pytest.mark.skipif(
    not GAP_DIR.is_dir(), reason=f"GAP instances not found at {GAP_DIR} (shared/external/gap)"
)


@st.composite
def instances(draw, max_agents: int = 4, max_jobs: int = 8, max_capacity: int = 30) -> GapInstance:
    m = draw(st.integers(1, max_agents))
    n = draw(st.integers(1, max_jobs))
    shape = (m, n)
    if draw(st.booleans()):
        costs = np.array(draw(st.lists(st.integers(0, 50), min_size=m * n, max_size=m * n)))
    else:
        floats = st.floats(-20.0, 100.0, allow_nan=False, allow_infinity=False)
        costs = np.array(draw(st.lists(floats, min_size=m * n, max_size=m * n)))
    weights = np.array(draw(st.lists(st.integers(0, 12), min_size=m * n, max_size=m * n)))
    capacities = np.array(draw(st.lists(st.integers(0, max_capacity), min_size=m, max_size=m)))
    allowed = None
    if draw(st.booleans()):
        mask = draw(st.lists(st.booleans(), min_size=m * n, max_size=m * n))
        allowed = np.array(mask).reshape(shape)
    return GapInstance(
        costs=costs.reshape(shape),
        weights=weights.reshape(shape),
        capacities=capacities,
        allowed=allowed,
    )


def loads(instance: GapInstance, assignment: list[int]) -> np.ndarray:
    total = np.zeros(instance.agents)
    for job, agent in enumerate(assignment):
        total[agent] += instance.weights[agent, job]
    return total


def check_solution(instance: GapInstance, solution: GapSolution) -> None:
    """Assert what every solution promises, feasible or not."""
    assert len(solution.assignment) == instance.jobs
    if instance.allowed is not None:
        for job, agent in enumerate(solution.assignment):
            if not instance.allowed[:, job].any():
                assert agent == -1
    if solution.feasible:
        assert all(0 <= agent < instance.agents for agent in solution.assignment)
        if instance.allowed is not None:
            assert all(instance.allowed[a, j] for j, a in enumerate(solution.assignment))
        assert (loads(instance, solution.assignment) <= instance.capacities + 1e-9).all()
        expected = sum(instance.costs[a, j] for j, a in enumerate(solution.assignment))
        assert solution.objective == pytest.approx(expected, abs=1e-9)
        if solution.lower_bound is not None:
            assert solution.lower_bound <= solution.objective + 1e-6
    else:
        assert solution.lower_bound is None
        assert not solution.optimal
    if solution.optimal:
        assert solution.lower_bound == pytest.approx(solution.objective, abs=1e-6)


def brute_force(instance: GapInstance) -> float | None:
    """Return the optimal cost, or None when no assignment fits."""
    best = math.inf
    allowed = instance.allowed
    for assignment in itertools.product(range(instance.agents), repeat=instance.jobs):
        if allowed is not None and not all(allowed[a, j] for j, a in enumerate(assignment)):
            continue
        if (loads(instance, list(assignment)) <= instance.capacities).all():
            best = min(best, sum(instance.costs[a, j] for j, a in enumerate(assignment)))
    return None if best == math.inf else float(best)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_every_solution_keeps_its_promises(instance):
    check_solution(instance, solve_gap(instance, time_limit=2.0))


@settings(max_examples=120, deadline=None)
@given(instances(max_agents=3, max_jobs=6, max_capacity=18))
def test_tiny_instances_are_solved_to_the_brute_force_optimum(instance):
    solution = solve_gap(instance, time_limit=5.0)
    check_solution(instance, solution)
    optimum = brute_force(instance)
    assert solution.feasible == (optimum is not None)
    if optimum is not None:
        assert solution.objective == pytest.approx(optimum, abs=1e-6)
        assert solution.optimal


def test_a_job_no_agent_may_take_is_left_out_and_the_rest_assigned():
    instance = GapInstance(
        costs=np.array([[1, 2, 3], [4, 5, 6]]),
        weights=np.ones((2, 3), dtype=np.int64),
        capacities=np.array([5, 5]),
        allowed=np.array([[True, False, False], [False, True, False]]),
    )
    solution = solve_gap(instance, time_limit=2.0)
    assert solution.assignment == [0, 1, -1]
    assert not solution.feasible
    assert solution.objective == 6
    assert solution.lower_bound is None


def test_an_overfull_instance_gets_the_least_overload():
    # Three jobs of weight 4 on two agents of capacity 5: one agent must carry two jobs.
    instance = GapInstance(
        costs=np.array([[1, 1, 1], [1, 1, 1]]),
        weights=np.full((2, 3), 4),
        capacities=np.array([5, 5]),
    )
    solution = solve_gap(instance, time_limit=2.0)
    assert not solution.feasible
    assert sorted(loads(instance, solution.assignment)) == [4, 8]


def test_sparse_allowed_pairs_with_money_costs():
    rng = np.random.default_rng(7)
    m, n = 60, 400
    allowed = np.zeros((m, n), dtype=bool)
    for job in range(n):
        allowed[rng.choice(m, size=5, replace=False), job] = True
    instance = GapInstance(
        costs=np.round(rng.uniform(100.0, 900.0, size=(m, n)), 2),
        weights=rng.uniform(1.0, 8.0, size=(m, n)),
        capacities=np.full(m, 40.0),
        allowed=allowed,
    )
    solution = solve_gap(instance, time_limit=3.0)
    assert solution.feasible
    check_solution(instance, solution)
    assert isinstance(solution.objective, float)


def test_the_same_seed_gives_the_same_assignment():
    instance = generate_gap("C", jobs=30, agents=4, seed=3)
    first = solve_gap(instance, time_limit=5.0, seed=11)
    second = solve_gap(instance, time_limit=5.0, seed=11)
    assert first.assignment == second.assignment
    assert first.optimal


@pytest.mark.parametrize("kind", ["C", "D", "E"])
def test_generated_instances_follow_their_type(kind):
    instance = generate_gap(kind, jobs=60, agents=6, seed=1)
    assert instance.costs.shape == instance.weights.shape == (6, 60)
    expected = np.floor(0.8 * instance.weights.sum(axis=1) / 6)
    assert (instance.capacities == expected).all()
    assert (instance.weights >= 1).all() and (instance.costs >= 0).all()
    assert (generate_gap(kind, jobs=60, agents=6, seed=1).costs == instance.costs).all()
    solution = solve_gap(instance, time_limit=2.0)
    assert solution.feasible
    check_solution(instance, solution)


def test_generated_type_d_costs_fall_as_weights_rise():
    instance = generate_gap("D", jobs=200, agents=5, seed=2)
    noise = instance.costs - (111 - instance.weights)
    assert noise.min() >= -10 and noise.max() <= 10


@needs_instances
def test_gap1_0_is_solved_and_proven_optimal():
    instance = read_gap_instance(GAP_DIR / "cattrysse1994" / "gap1-0")
    assert (instance.agents, instance.jobs) == (5, 15)
    solution = solve_gap(instance, time_limit=10.0)
    check_solution(instance, solution)
    assert solution.objective == 261
    assert solution.optimal and solution.lower_bound == 261
    assert solve_gap_plain_milp(instance, time_limit=10.0).objective == 261


@needs_instances
def test_a_chu_instance_is_solved_to_its_optimum():
    instance = read_gap_instance(GAP_DIR / "chu1997" / "a05100")
    solution = solve_gap(instance, time_limit=10.0)
    assert solution.feasible and solution.objective == 1698


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected the numbers of agents and jobs"),
        ("2 2\n1 2 x 4\n", "number 5 is 'x', not an integer"),
        ("1 2\n1 2 3 4 5.5\n", "number 7 is '5.5', not an integer"),
        ("2 2\n1 2 3 4\n", "too few numbers for 2 agents and 2 jobs: expected 12, found 6"),
        ("1 1\n1 2 3 4\n", "too many numbers for 1 agents and 1 jobs: expected 5, found 6"),
        ("0 3\n", "0 agents and 3 jobs; both must be at least 1"),
        ("1 -2\n", "1 agents and -2 jobs"),
        ("1 2\n1 2 3 -4 5\n", "must not be negative"),
    ],
)
def test_malformed_files_are_rejected_with_one_line(tmp_path, text, message):
    path = tmp_path / "instance"
    path.write_text(text)
    with pytest.raises(GapFormatError) as raised:
        read_gap_instance(path)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_unreadable_file_is_a_format_error(tmp_path):
    with pytest.raises(GapFormatError, match="cannot read the file"):
        read_gap_instance(tmp_path / "missing")
    binary = tmp_path / "binary"
    binary.write_bytes(b"2 2 \xff\xfe")
    with pytest.raises(GapFormatError, match="cannot read the file"):
        read_gap_instance(binary)


def test_a_well_formed_file_is_read_in_order(tmp_path):
    path = tmp_path / "instance"
    path.write_text("2 3\n1 2 3\n4 5 6\n7 8 9\n10 11 12\n20 30\n")
    instance = read_gap_instance(path)
    assert instance.costs.tolist() == [[1, 2, 3], [4, 5, 6]]
    assert instance.weights.tolist() == [[7, 8, 9], [10, 11, 12]]
    assert instance.capacities.tolist() == [20, 30]
    assert instance.allowed is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"costs": np.ones(3)}, "costs must have shape (m, n)"),
        ({"weights": np.ones((2, 2))}, "weights have shape (2, 2), costs (2, 3)"),
        ({"capacities": np.ones(3)}, "capacities have shape (3,), expected (2,)"),
        ({"weights": -np.ones((2, 3))}, "weights must not be negative"),
        ({"capacities": np.array([1, -1])}, "capacities must not be negative"),
        ({"costs": np.full((2, 3), np.nan)}, "costs must be finite"),
        ({"costs": np.full((2, 3), "a")}, "costs must be an array of real numbers"),
        ({"allowed": np.ones((2, 3))}, "allowed must be a bool array"),
        ({"allowed": np.ones((3, 2), dtype=bool)}, "allowed has shape (3, 2), costs (2, 3)"),
    ],
)
def test_inconsistent_arrays_are_rejected(fields, message):
    arrays = {"costs": np.ones((2, 3)), "weights": np.ones((2, 3)), "capacities": np.ones(2)}
    arrays.update(fields)
    with pytest.raises(GapFormatError) as raised:
        GapInstance(**arrays)
    assert message in str(raised.value)
