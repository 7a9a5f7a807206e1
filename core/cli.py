"""Commands of the shared plumbing: `serve` (web + worker + beat + relay), `outbox`, `demo`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import click
from flask import current_app
from flask.cli import with_appcontext

from core.outbox import relay_pending, run_relay

# Seeders run in registration order; each context registers its own in its cli module.
_seeders: list[tuple[str, Callable[[], None]]] = []
_seeded_probe: Callable[[], bool] | None = None


def register_seeder(name: str, seeder: Callable[[], None]) -> None:
    if name not in {existing for existing, _ in _seeders}:
        _seeders.append((name, seeder))


def register_seeded_probe(probe: Callable[[], bool]) -> None:
    """Register how to tell that a database already holds data (checked by --if-empty)."""
    global _seeded_probe
    _seeded_probe = probe


@click.group("demo", help="Demo data.")
def demo_cli() -> None:
    pass


@demo_cli.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data.")
@with_appcontext
def demo_seed(if_empty: bool) -> None:
    """Fill an empty database with the deterministic demo data set."""
    if if_empty and _seeded_probe is not None and _seeded_probe():
        click.echo("the database already has data; not seeding")
        return
    for name, seeder in _seeders:
        started = time.perf_counter()
        seeder()
        click.echo(f"seeded {name} in {time.perf_counter() - started:.1f}s")


@click.group("outbox", help="The transactional outbox.")
def outbox_cli() -> None:
    pass


@outbox_cli.command("relay")
@click.option("--once", is_flag=True, help="Publish what is pending now, then exit.")
@with_appcontext
def outbox_relay(once: bool) -> None:
    """Hand outbox rows to Celery (runs until stopped unless --once)."""
    celery = current_app.extensions["celery"]
    if once:
        click.echo(f"published {relay_pending(celery, current_app.config['OUTBOX_BATCH_SIZE'])}")
        return
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    run_relay(
        celery,
        poll_seconds=current_app.config["OUTBOX_POLL_SECONDS"],
        batch_size=current_app.config["OUTBOX_BATCH_SIZE"],
        stop=lambda: stopping,
    )


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn web workers")
def serve_command(host: str, port: int, workers: int) -> None:
    """Run the web server, a Celery worker, Celery beat and the outbox relay until interrupted."""
    python = sys.executable
    commands = {
        "web": [
            python,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"{host}:{port}",
            # An operator's batch plan may solve for 30 s on top of loading: above the default 30 s.
            "--timeout",
            "120",
            "--access-logfile",
            "-",
            "app:create_app()",
        ],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "core.worker",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--hostname",
            "sharefab@%h",
        ],
        "beat": [python, "-m", "celery", "-A", "core.worker", "beat", "--loglevel", "INFO"],
        "relay": [python, "-m", "flask", "--app", "app", "outbox", "relay"],
    }
    processes = {
        name: subprocess.Popen(argv, env=os.environ.copy()) for name, argv in commands.items()
    }
    click.echo(f"ShareFab on http://{host}:{port} (web, worker, beat, relay); Ctrl+C stops all")

    def stop_all(*_: object) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    try:
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
    finally:
        stop_all()
        for name, process in processes.items():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            if process.returncode not in (0, -signal.SIGTERM, None):
                click.echo(f"{name} exited with {process.returncode}", err=True)
