"""Latency of the open-orders listing that suppliers browse, over 10,000 orders.

    .venv/bin/python bench/open_orders_latency.py [--orders 10000] [--duration 10]
        [--connections 16] [--threads 2] [--database-url postgresql+psycopg://...]

A throwaway instance gets a migrated database (SQLite in the temp folder, or a fresh
`sharefab_bench_<random>` database on the PostgreSQL server of --database-url, dropped afterwards).
A few companies are made through the services (the measured supplier, three quoting suppliers with
a listing each, five buyers with one order each); the bulk of the orders — open, quoted, expired,
drafts, awarded, closed — and some quotes are then inserted in bulk, which the services would take
minutes for.

Measured, with the routes found in the app's `url_map` (the API and the page are optional):

- in-process: `list_open_orders` (the service) on the first page and on a deep page (a cursor
  100 pages in), with the SQL statements each request runs and the query plan;
- over HTTP under gunicorn (2 sync workers) with wrk: `GET /api/v1/orders/open` with the
  supplier's read token, and the supplier's open-orders web page with a signed-in session, each on
  the first page and the deep page.

Progress goes to stderr; the table goes to stdout, whose last line is `RESULT {json}`.
Exit status: 0 done, 1 failed, 2 cannot run (no wrk, bad URL).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.api_throughput import (  # noqa: E402  (the project root must be importable first)
    BenchError,
    Server,
    child_env,
    get,
    log,
    postgresql_database,
    run,
    run_benchmark,
    sqlite_database,
)

WARMUP_SECONDS = 2
DEEP_PAGES = 100  # the deep cursor is this many pages in
SERVICE_SAMPLES = 200
USER_AGENT = "sharefab-bench"  # sessions are bound to address and user agent

# Run in a child process so that `config` reads the bench's environment at import time. Prints
# one JSON line: credentials, routes, cursors and the in-process figures.
SEED_SCRIPT = r"""
import json, random, statistics, sys, time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event, func, insert, select, text

from app import create_app
from core.auth import Scope
from core.db import db, utcnow
from marketplace import services
from marketplace.domain import CompanyRole
from marketplace.lifecycle import OrderStatus, QuoteStatus
from marketplace.models import Order, Quote, User
from marketplace.services import machines, orders
from marketplace.services.orders import OPEN_FOR_QUOTES
from marketplace.taxonomy import TAXONOMY
from marketplace.uscc import make_uscc

ORDER_COUNT = int(sys.argv[1])
DEEP_PAGES = int(sys.argv[2])
SAMPLES = int(sys.argv[3])
USER_AGENT = sys.argv[4]
PASSWORD = "bench-password-123"
SUPPLIER_EMAIL = "bench-supplier@example.com"
rng = random.Random(7)
app = create_app()


def company(number, roles, email, name):
    return services.register_company(
        legal_name=f"{name} {number} Co., Ltd.", country="CN",
        registration_number=make_uscc("9", "1", "441900", f"{number:08d}"),
        province="广东省", city="东莞市", address=f"长安镇振安路{number}号",
        roles=roles, email=email, password=PASSWORD, display_name=f"{name} owner",
    )


def percentiles(samples):
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000
    return {"p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99),
            "mean_ms": statistics.fmean(ordered) * 1000}


with app.app_context():
    today = utcnow().date()
    supplier = company(1, {CompanyRole.SUPPLIER}, SUPPLIER_EMAIL, "Bench Supplier")
    me = services.principal_for_user(supplier)
    quoting = []
    for number in range(2, 5):
        owner = company(number, {CompanyRole.SUPPLIER}, f"s{number}@example.com", "Quoting")
        principal = services.principal_for_user(owner)
        machine = machines.register_machine(
            principal, kind="cnc_mill_3axis", processes=["cnc_milling_3axis"],
            materials=["al_6061"], name="VMC 850", envelope_x_mm=850, envelope_y_mm=500,
            envelope_z_mm=500, tolerance_mm=Decimal("0.01"), rate_amount=Decimal("120"),
            rate_currency="CNY", rate_unit="machine_hour")
        listing = machines.create_listing(
            principal, title="VMC 850", weekday_hours=[Decimal(16)] * 6 + [Decimal(0)],
            start_date=today, end_date=today + timedelta(days=120), price_amount=Decimal("120"),
            price_currency="CNY", price_unit="machine_hour", lead_time_days=7,
            machine_id=machine.id)
        quoting.append((owner.company_id, owner.id, listing.id))
    buyers = []
    for number in range(5, 10):
        owner = company(number, {CompanyRole.BUYER}, f"b{number}@example.com", "Buyer")
        order = orders.create_order(services.principal_for_user(owner), {
            "title": "Bracket", "process": "cnc_milling_3axis", "material": "al_6061",
            "quantity": 100, "tolerance_mm": Decimal("0.05"), "part_x_mm": 120,
            "part_y_mm": 80, "part_z_mm": 30, "due_date": today + timedelta(days=30),
            "currency": "CNY", "delivery_city": "苏州市"}, publish=True)
        buyers.append((owner.company_id, owner.id))

    processes = list(TAXONOMY.processes)
    statuses = ([OrderStatus.PUBLISHED] * 55 + [OrderStatus.QUOTED] * 15 + [OrderStatus.DRAFT] * 10
                + [OrderStatus.AWARDED] * 5 + [OrderStatus.IN_PRODUCTION] * 5
                + [OrderStatus.COMPLETED] * 5 + [OrderStatus.CANCELLED] * 5)
    now = utcnow()
    rows = []
    for index in range(ORDER_COUNT - len(buyers)):
        company_id, user_id = rng.choice(buyers)
        status = rng.choice(statuses)
        process = rng.choice(processes)
        materials = TAXONOMY.materials_for(process) or ("al_6061",)
        created = now - timedelta(minutes=(ORDER_COUNT - index) * 9)
        due = today + timedelta(days=rng.randint(-20, 90))  # some open orders are past due
        rows.append({
            "buyer_company_id": company_id, "created_by_id": user_id,
            "title": f"Part {index}", "description": "Bench order", "process": process,
            "material": rng.choice(materials), "quantity": rng.randint(10, 5000),
            "tolerance_mm": Decimal("0.05"), "part_x_mm": 100, "part_y_mm": 80,
            "part_z_mm": 30, "required_certifications": [], "due_date": due,
            "target_unit_price": Decimal("12.5"), "currency": "CNY",
            "delivery_province": "江苏省", "delivery_city": "苏州市",
            "splittable": False, "min_lot": 1, "status": status,
            "published_at": None if status is OrderStatus.DRAFT else created,
            "created_at": created,
        })
    started = time.perf_counter()
    for chunk in range(0, len(rows), 2000):
        db.session.execute(insert(Order), rows[chunk:chunk + 2000])
    db.session.commit()
    quoted = db.session.execute(
        select(Order.id, Order.quantity).where(Order.status == OrderStatus.QUOTED)).all()
    quote_rows = []
    for order_id, quantity in quoted:
        for company_id, user_id, listing_id in rng.sample(quoting, rng.randint(1, 3)):
            quote_rows.append({
                "order_id": order_id, "supplier_company_id": company_id,
                "listing_id": listing_id, "unit_price": Decimal("30"), "currency": "CNY",
                "quantity": quantity, "machine_hours": Decimal("20"), "lead_time_days": 7,
                "valid_until": today + timedelta(days=14), "note": "",
                "status": QuoteStatus.SUBMITTED, "revision": 1, "submitted_by_id": user_id,
                "created_at": now, "updated_at": now})
    for chunk in range(0, len(quote_rows), 2000):
        db.session.execute(insert(Quote), quote_rows[chunk:chunk + 2000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    bulk_seconds = time.perf_counter() - started
    token = services.create_api_token_for_email(SUPPLIER_EMAIL, scope=Scope.READ, name="bench")

    # Routes, from the url_map: the open-orders API and the supplier's open-orders page.
    api_path = web_path = None
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments:
            continue
        if rule.rule == "/api/v1/orders/open":
            api_path = rule.rule
        elif rule.endpoint == "frontend.open_orders" or (
            not rule.rule.startswith("/api") and "open" in rule.rule and "order" in rule.rule
        ):
            web_path = web_path or rule.rule

    # The service, first page and a deep page; the deep cursor is found by walking the pages.
    page = orders.list_open_orders(me, limit=None, cursor=None)
    first_size, cursor, walked = len(page.items), page.next_cursor, 1
    while cursor and walked < DEEP_PAGES:
        page = orders.list_open_orders(me, limit=None, cursor=cursor)
        walked += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    deep_cursor = cursor
    open_count = db.session.scalar(select(func.count(Order.id)).where(
        Order.status.in_(OPEN_FOR_QUOTES), Order.due_date > today))

    def time_service(cursor):
        samples = []
        for _ in range(SAMPLES):
            db.session.expire_all()
            started = time.perf_counter()
            page = orders.list_open_orders(me, limit=None, cursor=cursor)
            [order.id for order in page.items]
            samples.append(time.perf_counter() - started)
        return percentiles(samples)

    service = {"first": time_service(None), "deep": time_service(deep_cursor)}

# Statements per request (the ORM's lazy loads show here), through the test client.
statements = []
with app.app_context():
    engine = db.engine
event.listen(engine, "before_cursor_execute",
             lambda *args: statements.append(args[2]))
client = app.test_client()
queries = {}
for name, path in (("api", api_path), ("web", web_path)):
    if path is None:
        continue
    headers = {"User-Agent": USER_AGENT}
    if name == "api":
        headers["Authorization"] = f"Bearer {token}"
    else:
        app.config["WTF_CSRF_ENABLED"] = False
        client.post("/login", data={"email": SUPPLIER_EMAIL, "password": PASSWORD},
                    headers=headers)
    for label, query in (("first", ""), ("deep", f"?cursor={deep_cursor}")):
        statements.clear()
        response = client.get(path + query, headers=headers)
        count = len(statements)
        samples = []
        for _ in range(SAMPLES // 4):
            started = time.perf_counter()
            client.get(path + query, headers=headers)
            samples.append(time.perf_counter() - started)
        queries[f"{name}_{label}"] = {"status": response.status_code, "statements": count,
                                      "bytes": len(response.data), **percentiles(samples)}

with app.app_context():
    # The plan of the listing query (the same statement the service builds).
    from sqlalchemy.dialects import postgresql, sqlite
    statement = (select(Order.id).where(
        Order.status.in_(OPEN_FOR_QUOTES), Order.buyer_company_id != me.company_id,
        Order.due_date > today).order_by(Order.id.desc()).limit(first_size + 1))
    plan = []
    if db.engine.dialect.name == "postgresql":
        compiled = statement.compile(dialect=postgresql.dialect(),
                                     compile_kwargs={"literal_binds": True})
        plan = [row[0] for row in db.session.execute(
            text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}"))]
    else:
        compiled = statement.compile(dialect=sqlite.dialect(),
                                     compile_kwargs={"literal_binds": True})
        plan = [row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
    print(json.dumps({
        "token": token, "email": SUPPLIER_EMAIL, "password": PASSWORD,
        "api_path": api_path, "web_path": web_path, "deep_cursor": deep_cursor,
        "deep_pages": walked, "page_size": first_size, "open_orders": open_count,
        "orders": ORDER_COUNT, "bulk_insert_s": round(bulk_seconds, 2),
        "service": service, "queries": queries, "plan": plan,
    }))
"""

# wrk reports p50/p75/p90/p99 only; this script adds p95 (and the rest, in microseconds).
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\\"requests\\": %d, \\"duration_us\\": %d, \\"status_errors\\": %d, "
    .. "\\"socket_errors\\": %d, \\"p50_us\\": %d, \\"p95_us\\": %d, \\"p99_us\\": %d, "
    .. "\\"max_us\\": %d, \\"mean_us\\": %d}\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=10_000, help="orders in the database")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument(
        "--connections", type=int, default=4, help="wrk connections (2 per worker by default)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL; a fresh database is created on it and dropped afterwards",
    )
    args = parser.parse_args()
    if min(args.orders, args.duration, args.connections, args.threads) < 1:
        parser.error("--orders, --duration, --connections and --threads must be positive")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads (wrk's rule)")
    return args


def prepare(env: dict[str, str], orders: int) -> dict[str, Any]:
    run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], env, "flask db upgrade")
    out = run(
        [
            sys.executable,
            "-c",
            SEED_SCRIPT,
            str(orders),
            str(DEEP_PAGES),
            str(SERVICE_SAMPLES),
            USER_AGENT,
        ],
        env,
        f"{orders} orders and the in-process figures",
    )
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise BenchError(f"the preparation printed no result:\n{out}")
    return json.loads(lines[-1])


def sign_in(server: Server, email: str, password: str) -> str:
    """Sign in through the login form; return the Cookie header of the session."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", "/login", headers={"User-Agent": USER_AGENT})
        response = connection.getresponse()
        page = response.read().decode()
        cookies = _cookies(response.getheaders())
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            raise BenchError("no csrf_token on the sign-in page")
        body = urlencode({"csrf_token": token.group(1), "email": email, "password": password})
        connection.request(
            "POST",
            "/login",
            body=body,
            headers={
                "User-Agent": USER_AGENT,
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            },
        )
        response = connection.getresponse()
        response.read()
        if response.status not in (302, 303):
            raise BenchError(f"signing in answered {response.status}, not a redirect")
        cookies.update(_cookies(response.getheaders()))
        return "; ".join(f"{k}={v}" for k, v in cookies.items())
    finally:
        connection.close()


def _cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, cookie = pair.partition("=")
            found[key.strip()] = cookie.strip()
    return found


def wrk(
    url: str, args: argparse.Namespace, seconds: int, headers: dict[str, str], script: Path
) -> dict[str, Any]:
    argv = [
        "wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "-s", str(script),
        *[part for name, value in headers.items() for part in ("-H", f"{name}: {value}")],
        url,
    ]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk did not finish within {seconds + 60}s") from None
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stderr}{done.stdout}")
    match = re.search(r"^WRKJSON (\{.*\})$", done.stdout, re.MULTILINE)
    if match is None:
        raise BenchError(f"no figures in wrk's output:\n{done.stdout}")
    raw = json.loads(match.group(1))
    return {
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "requests": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000,
        "p95_ms": raw["p95_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "status_errors": raw["status_errors"],
        "socket_errors": raw["socket_errors"],
    }


def measure_http(
    server: Server, path: str, headers: dict[str, str], expect: bytes, args: argparse.Namespace,
    script: Path,
) -> dict[str, Any]:  # fmt: skip
    # A session the server dropped would answer 302 (which wrk counts as success): check first.
    status, body = get(server.port, path, headers)
    if status != 200 or expect not in body:
        raise BenchError(f"GET {path} answered {status}, not the listing: {body[:300]!r}")
    url = f"http://127.0.0.1:{server.port}{path}"
    log(f"GET {path[:60]}: warm-up {WARMUP_SECONDS}s, then {args.duration}s")
    wrk(url, args, WARMUP_SECONDS, headers, script)
    result = wrk(url, args, args.duration, headers, script)
    if result["status_errors"]:
        raise BenchError(f"{result['status_errors']} responses to {path} were not 2xx/3xx")
    return result


def benchmark(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    instance = tmp / "instance"
    instance.mkdir()
    database = (
        postgresql_database(args.database_url) if args.database_url else sqlite_database(instance)
    )
    script = tmp / "percentiles.lua"
    script.write_text(WRK_SCRIPT)
    with database as (database_url, database_kind):
        env = child_env(instance, database_url)
        data = prepare(env, args.orders)
        results: dict[str, Any] = {}
        server = Server("app:create_app()", env, tmp, "app")
        try:
            server.start()
            deep = f"cursor={data['deep_cursor']}"
            if data["api_path"]:
                headers = {"Authorization": f"Bearer {data['token']}", "User-Agent": USER_AGENT}
                for label, query in (("first", ""), ("deep", f"?{deep}")):
                    results[f"api_{label}"] = measure_http(
                        server, data["api_path"] + query, headers, b'"items"', args, script
                    )
            else:
                log("no open-orders API route in the url_map; measuring the service only")
            if data["web_path"]:
                cookie = sign_in(server, data["email"], data["password"])
                headers = {"Cookie": cookie, "User-Agent": USER_AGENT}
                for label, query in (("first", ""), ("deep", f"?{deep}")):
                    results[f"web_{label}"] = measure_http(
                        server, data["web_path"] + query, headers, b"<html", args, script
                    )
            else:
                log("no open-orders web page in the url_map")
        finally:
            server.stop()
    return {
        "database": database_kind,
        "orders": data["orders"],
        "open_orders": data["open_orders"],
        "page_size_api": data["page_size"],
        "deep_pages": data["deep_pages"],
        "bulk_insert_s": data["bulk_insert_s"],
        "api_path": data["api_path"],
        "web_path": data["web_path"],
        "workers": 2,
        "threads": args.threads,
        "connections": args.connections,
        "duration_s": args.duration,
        "cpus": os.cpu_count(),
        "service": data["service"],
        "statements": data["queries"],
        "plan": data["plan"],
        "http": results,
    }


def report(result: dict[str, Any]) -> None:
    print(
        f"environment: database={result['database']}, orders={result['orders']} "
        f"(open {result['open_orders']}), gunicorn workers={result['workers']} (sync), "
        f"wrk threads={result['threads']} connections={result['connections']} "
        f"duration={result['duration_s']}s, CPUs={result['cpus']} (wrk shares them), "
        f"load average {result['loadavg_before']} before / {result['loadavg_after']} after"
    )
    print()
    print(f"{'what':<40} {'req/s':>8} {'p50':>9} {'p95':>9} {'p99':>9} {'SQL':>5}")
    for label, row in result["service"].items():
        print(
            f"{'in-process: service, ' + label + ' page':<40} {'':>8} {row['p50_ms']:>7.2f}ms "
            f"{row['p95_ms']:>7.2f}ms {row['p99_ms']:>7.2f}ms {'':>5}"
        )
    names = {"api": f"GET {result['api_path']}", "web": f"GET {result['web_path']}"}
    for key, row in result["statements"].items():
        kind, label = key.split("_")
        print(
            f"{'in-process: ' + kind + ', ' + label + ' page':<40} {'':>8} "
            f"{row['p50_ms']:>7.2f}ms {row['p95_ms']:>7.2f}ms {row['p99_ms']:>7.2f}ms "
            f"{row['statements']:>5}"
        )
    for key, row in result["http"].items():
        kind, label = key.split("_")
        statements = result["statements"].get(key, {}).get("statements", "")
        print(
            f"{names[kind][:30] + ', ' + label:<40} {row['rps']:>8.1f} {row['p50_ms']:>7.2f}ms "
            f"{row['p95_ms']:>7.2f}ms {row['p99_ms']:>7.2f}ms {statements:>5}"
        )
    print()
    print("plan of the listing query (first page):")
    for line in result["plan"]:
        print(f"  {line}")
    print("RESULT " + json.dumps(result, sort_keys=True))


def main() -> int:
    return run_benchmark(parse_args(), benchmark, report)


if __name__ == "__main__":
    sys.exit(main())
