"""Commands of the matching engine: `flask matching gap FILE` solves an assignment instance."""

from __future__ import annotations

import json

import click


@click.group("matching", help="Matching engine.")
def matching_cli() -> None:
    pass


@matching_cli.command("gap")
@click.argument("file")
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to search; stops earlier once the assignment is proven optimal.",
)
def gap_command(file: str, time_limit: float) -> None:
    """Solve the GAP instance in FILE (OR-Library format) and print the result as JSON.

    Prints one line: objective, feasible, lower_bound (null when unknown), seconds and the
    0-based agent of each job. Exits with status 2 when FILE cannot be read as an instance.
    """
    # Imported here so that the app and its other commands start without numba and HiGHS.
    from matching.gap import GapFormatError, read_gap_instance, solve_gap

    try:
        instance = read_gap_instance(file)
    except GapFormatError as error:
        click.echo(f"Error: {error}", err=True)
        raise SystemExit(2) from None
    solution = solve_gap(instance, time_limit=time_limit)
    result = {
        "objective": solution.objective,
        "feasible": solution.feasible,
        "lower_bound": solution.lower_bound,
        "seconds": round(solution.seconds, 3),
        "assignment": solution.assignment,
    }
    click.echo(json.dumps(result, separators=(",", ":")))
