"""`flask matching gap FILE`: one JSON line for an instance, exit status 2 for a bad file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from flask import Flask

from matching.gap import read_gap_instance
from tests.support import EXTERNAL

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GAP_DIR = EXTERNAL / "gap"
needs_instances = pytest.mark.skipif(
    not GAP_DIR.is_dir(), reason=f"GAP instances not found at {GAP_DIR} (shared/external/gap)"
)


def solve(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["matching", "gap", *args])


def assert_fits(path: Path, assignment: list[int]) -> None:
    instance = read_gap_instance(path)
    assert len(assignment) == instance.jobs
    assert all(0 <= agent < instance.agents for agent in assignment)
    jobs = np.arange(instance.jobs)
    loads = np.bincount(
        assignment, weights=instance.weights[assignment, jobs], minlength=instance.agents
    )
    assert (loads <= instance.capacities).all()


@needs_instances
def test_gap1_0_prints_its_optimum_as_one_json_line():
    path = GAP_DIR / "cattrysse1994" / "gap1-0"
    flask = Path(sys.executable).with_name("flask")
    completed = subprocess.run(
        [str(flask), "--app", "app", "matching", "gap", str(path), "--time-limit", "10"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert set(result) == {"objective", "feasible", "lower_bound", "seconds", "assignment"}
    assert result["objective"] == 261
    assert result["feasible"] is True
    assert result["lower_bound"] == 261
    assert isinstance(result["seconds"], float)
    assert len(result["assignment"]) == 15
    assert_fits(path, result["assignment"])
    instance = read_gap_instance(path)
    assert sum(instance.costs[a, j] for j, a in enumerate(result["assignment"])) == 261


@needs_instances
@pytest.mark.parametrize(
    ("name", "optimum"),
    [("cattrysse1994/gap5-0", 403), ("cattrysse1994/gap12-3", 954), ("chu1997/a05100", 1698)],
)
def test_small_instances_reach_their_optimum(app, name, optimum):
    path = GAP_DIR / name
    result = solve(app, str(path), "--time-limit", "10")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["objective"] == optimum
    assert payload["feasible"] is True
    assert payload["lower_bound"] == optimum
    assert_fits(path, payload["assignment"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "cannot read the file"),
        ("2 3\nten 1 2 3\n", "not an integer"),
        ("2 3\n1 2 3 4 5 6\n", "too few numbers"),
        ("1 2\n1 2 3 -4 5\n", "must not be negative"),
    ],
)
def test_a_bad_file_exits_2_with_a_one_line_error(app, tmp_path, text, message):
    path = tmp_path / "instance.txt"
    if text is not None:
        path.write_text(text)
    result = solve(app, str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_the_time_limit_must_be_positive(app, tmp_path):
    result = solve(app, str(tmp_path / "instance.txt"), "--time-limit", "0")
    assert result.exit_code == 2
    assert "--time-limit" in result.stderr
