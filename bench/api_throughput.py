"""Throughput of an authenticated `GET /api/v1/companies/me` next to a bare Flask route.

Both are served by gunicorn (2 sync workers) and measured with wrk, one after the other, in the
same run, so the ratio says how much of a worker's time ShareFab's own request path costs:

    .venv/bin/python bench/api_throughput.py [--duration 10] [--connections 32] [--threads 2]
                                             [--database-url postgresql+psycopg://...]

The data is prepared with the real commands (`flask db upgrade`, `register_company`, `flask
tokens create`) in a throwaway instance folder. Without --database-url the database is a SQLite
file in that folder; with a PostgreSQL URL a fresh database `sharefab_bench_<random>` is created on
that server and dropped afterwards. Progress goes to stderr; the table goes to stdout, whose last
line is `RESULT {json}` for tooling. Exit status: 0 done, 1 failed, 2 cannot run (no wrk, bad URL).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
WARMUP_SECONDS = 2
API_PATH = "/api/v1/companies/me"
HELLO_PATH = "/hello"
SETUP_TIMEOUT = 90  # seconds for each preparation command
BOOT_TIMEOUT = 30  # seconds for gunicorn to answer
STOP_TIMEOUT = 10  # seconds between SIGTERM and SIGKILL

EMAIL = "bench-owner@example.com"
REGISTRATION_NUMBER = "914403001922038216"  # a valid unified social credit code

# Run in a child process so that `config` reads the benchmark's environment at import time.
SEED_SCRIPT = f"""
from app import create_app
from marketplace import services
from marketplace.domain import CompanyRole

application = create_app()
with application.app_context():
    services.register_company(
        legal_name="Bench Fabrication Co., Ltd.",
        country="CN",
        registration_number={REGISTRATION_NUMBER!r},
        province="Guangdong",
        city="Shenzhen",
        address="1 Benchmark Road",
        roles={{CompanyRole.BUYER, CompanyRole.SUPPLIER}},
        email={EMAIL!r},
        password="bench-password-123",
        display_name="Bench Owner",
    )
"""


class BenchError(Exception):
    """Something went wrong; the message says what."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL; a fresh database is created on it and dropped afterwards",
    )
    args = parser.parse_args()
    if args.duration < 1 or args.connections < 1 or args.threads < 1:
        parser.error("--duration, --connections and --threads must be positive")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads (wrk's rule)")
    return args


# --- database -----------------------------------------------------------------------------------


@contextmanager
def sqlite_database(instance: Path) -> Iterator[tuple[str, str]]:
    yield f"sqlite:///{instance / 'bench.sqlite'}", f"sqlite {sqlite3.sqlite_version}"


@contextmanager
def postgresql_database(server_url: str) -> Iterator[tuple[str, str]]:
    """Create a fresh database on the server of `server_url`, yield its URL, then drop it."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    base = make_url(server_url)
    name = f"sharefab_bench_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        try:
            with admin.connect() as connection:
                version = connection.execute(text("SHOW server_version")).scalar()
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except SQLAlchemyError as error:
            server = base.render_as_string(hide_password=True)
            raise BenchError(f"cannot create a database on {server}: {error.args[0]}") from None
        log(f"created database {name}")
        try:
            url = base.set(database=name).render_as_string(hide_password=False)
            yield url, f"postgresql {version}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            log(f"dropped database {name}")
    finally:
        admin.dispose()


# --- child processes ----------------------------------------------------------------------------


def child_env(instance: Path, database_url: str) -> dict[str, str]:
    """The parent's environment without ShareFab/gunicorn/Flask settings, plus the bench's own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SHAREFAB_", "FLASK_", "GUNICORN_"))
    }
    env.update(
        SHAREFAB_ENV="embedded",
        SHAREFAB_INSTANCE_PATH=str(instance),
        SHAREFAB_DATABASE_URL=database_url,
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def run(argv: list[str], env: dict[str, str], what: str) -> str:
    """Run a preparation command from the project root and return its stdout."""
    started = time.perf_counter()
    try:
        done = subprocess.run(
            argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=SETUP_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{what}: no result after {SETUP_TIMEOUT}s") from None
    if done.returncode != 0:
        raise BenchError(f"{what} failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    log(f"{what}: {time.perf_counter() - started:.1f}s")
    return done.stdout


def prepare_data(env: dict[str, str]) -> str:
    """Migrate, register one company with its owner, and return a read token for the owner."""
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    run([*flask, "db", "upgrade"], env, "flask db upgrade")
    run([sys.executable, "-c", SEED_SCRIPT], env, "register_company")
    command = [*flask, "tokens", "create", "--email", EMAIL, "--scope", "read"]
    out = run(command, env, "tokens create")
    token = out.strip().splitlines()[-1].strip() if out.strip() else ""
    if not token.startswith("sfp_"):
        raise BenchError(f"tokens create printed no token: {out!r}")
    return token


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn master (and its workers) serving `app_spec` on a free local port."""

    def __init__(self, app_spec: str, env: dict[str, str], tmp: Path, label: str) -> None:
        self.app_spec, self.env, self.label = app_spec, env, label
        self.port = free_port()
        self.log_path = tmp / f"gunicorn-{label}.log"
        # An empty config file, so a gunicorn.conf.py in the project cannot change the setup.
        self.config_path = tmp / "gunicorn.conf.py"
        self.config_path.touch()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = [
            sys.executable, "-m", "gunicorn",
            "--config", str(self.config_path),
            "--workers", str(WORKERS),
            "--worker-class", "sync",
            "--bind", f"127.0.0.1:{self.port}",
            "--log-level", "warning",
            "--graceful-timeout", str(STOP_TIMEOUT // 2),
            self.app_spec,
        ]  # fmt: skip
        with self.log_path.open("wb") as log_file:
            self.process = subprocess.Popen(
                argv, cwd=PROJECT_ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )  # fmt: skip
        started = time.perf_counter()
        deadline = started + BOOT_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn ({self.label}) exited early:\n{self.log_tail()}")
            try:
                get(self.port, "/", timeout=2)  # any HTTP answer means a worker is serving
                break
            except OSError:
                if time.perf_counter() > deadline:
                    raise BenchError(
                        f"gunicorn ({self.label}) not answering after {BOOT_TIMEOUT}s:\n"
                        + self.log_tail()
                    ) from None
                time.sleep(0.1)
        log(f"gunicorn ({self.label}) answering on port {self.port} after "
            f"{time.perf_counter() - started:.1f}s")  # fmt: skip

    def stop(self) -> None:
        """SIGTERM the master, then SIGKILL its whole process group if it does not finish."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            log(f"gunicorn ({self.label}) ignored SIGTERM; killing it")
            with suppress(ProcessLookupError):  # the group started with the master
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def get(
    port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 5
) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


# --- wrk ----------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _latency_ms(output: str, percentile: str) -> float:
    match = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)
    if not match:
        raise BenchError(f"no {percentile}% latency in wrk output:\n{output}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(\w+)", output, re.MULTILINE)
    if not rps or not total:
        raise BenchError(f"cannot read wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": _latency_ms(output, "50"),
        "p99_ms": _latency_ms(output, "99"),
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": dict(
            zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
        )
        if errors
        else {"connect": 0, "read": 0, "write": 0, "timeout": 0},
    }


def wrk(url: str, args: argparse.Namespace, seconds: int, headers: dict[str, str]) -> str:
    argv = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency",
        *[part for name, value in headers.items() for part in ("-H", f"{name}: {value}")],
        url,
    ]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {seconds + 30}s") from None
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    return done.stdout


def measure(
    server: Server, path: str, args: argparse.Namespace, headers: dict[str, str]
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{server.port}{path}"
    log(f"{server.label}: warm-up {WARMUP_SECONDS}s")
    wrk(url, args, WARMUP_SECONDS, headers)
    log(f"{server.label}: measuring {args.duration}s")
    result = parse_wrk(wrk(url, args, args.duration, headers))
    if result["non_2xx"]:
        raise BenchError(
            f"{server.label}: {result['non_2xx']} of {result['requests']} responses were not 2xx;"
            f" the figure would not be of the route.\n{server.log_tail()}"
        )
    if any(result["socket_errors"].values()):
        log(f"warning: {server.label} had socket errors {result['socket_errors']}")
    return result


# --- the run ------------------------------------------------------------------------------------


def check_api(server: Server, token: str) -> None:
    status, body = get(server.port, API_PATH, {"Authorization": f"Bearer {token}"})
    if status != 200:
        raise BenchError(f"GET {API_PATH} answered {status}, not 200: {body[:500]!r}")
    try:
        company = json.loads(body)
    except ValueError:
        raise BenchError(f"GET {API_PATH} did not answer JSON: {body[:500]!r}") from None
    if company.get("registration_number") != REGISTRATION_NUMBER:
        raise BenchError(f"GET {API_PATH} answered another company: {company!r}")
    log(f"GET {API_PATH}: 200, {len(body)} bytes, company {company.get('id')}")


def check_hello(server: Server) -> None:
    status, body = get(server.port, HELLO_PATH)
    if (status, body) != (200, b"hello"):
        raise BenchError(f"GET {HELLO_PATH} answered {status} {body[:200]!r}")


def benchmark(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    instance = tmp / "instance"
    instance.mkdir()
    if args.database_url:
        database = postgresql_database(args.database_url)
    else:
        database = sqlite_database(instance)
    with database as (database_url, database_kind):
        env = child_env(instance, database_url)
        token = prepare_data(env)
        results: dict[str, Any] = {}
        # One server at a time: with few cores, an idle second server would still take a share.
        api = Server("app:create_app()", env, tmp, "api")
        try:
            api.start()
            check_api(api, token)
            results["api"] = measure(api, API_PATH, args, {"Authorization": f"Bearer {token}"})
        finally:
            api.stop()
        hello = Server("bench.hello_app:app", env, tmp, "hello")
        try:
            hello.start()
            check_hello(hello)
            results["hello"] = measure(hello, HELLO_PATH, args, {})
        finally:
            hello.stop()
    return {
        "database": database_kind,
        "workers": WORKERS,
        "worker_class": "sync",
        "threads": args.threads,
        "connections": args.connections,
        "duration_s": args.duration,
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        **results,
        "ratio_pct": round(100 * results["api"]["rps"] / results["hello"]["rps"], 1),
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"environment: database={result['database']}, gunicorn workers={result['workers']} "
        f"({result['worker_class']}), wrk threads={result['threads']} "
        f"connections={result['connections']} duration={result['duration_s']}s, "
        f"CPUs={result['cpus']} (usable {result['cpus_usable']}; wrk shares them), "
        f"load average {result['loadavg_before']} before / {result['loadavg_after']} after"
    )
    print()
    print(f"{'route':<28} {'req/s':>10} {'p50':>10} {'p99':>10}")
    for key, route in (("api", f"GET {API_PATH}"), ("hello", f"GET {HELLO_PATH}")):
        row = result[key]
        print(f"{route:<28} {row['rps']:>10.1f} {row['p50_ms']:>8.2f}ms {row['p99_ms']:>8.2f}ms")
    print()
    print(f"api/hello: {result['ratio_pct']:.1f}%")
    print("RESULT " + json.dumps(result, sort_keys=True))


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def run_benchmark(
    args: argparse.Namespace,
    benchmark_fn: Callable[[argparse.Namespace, Path], dict[str, Any]],
    report_fn: Callable[[dict[str, Any]], None],
) -> int:
    """Check the tools, run `benchmark_fn` in a temp dir with cleanup on signals, then report."""
    if shutil.which("wrk") is None:
        print("install wrk: apt-get install wrk", file=sys.stderr)
        return 2
    if args.database_url and not args.database_url.startswith("postgresql"):
        print("--database-url must be a PostgreSQL URL (postgresql+psycopg://...)", file=sys.stderr)
        return 2
    # SIGTERM/SIGHUP become SystemExit, so the finally blocks still stop servers and clean up.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        log(f"warning: load average {load:.2f} before starting; other work will skew the figures")
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="sharefab-bench-"))
    try:
        result = benchmark_fn(args, tmp)
        result["loadavg_before"] = round(load, 2)
        result["loadavg_after"] = round(os.getloadavg()[0], 2)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"total {time.perf_counter() - started:.1f}s")
    report_fn(result)
    return 0


def main() -> int:
    return run_benchmark(parse_args(), benchmark, report)


if __name__ == "__main__":
    sys.exit(main())
