"""Latency of ranking one open order against 100,000 capacity listings (`rank_order`), PostgreSQL.

    .venv/bin/python bench/matching_rank.py [--listings 100000] [--orders 200] [--http-orders 50]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/sharefab_bench_matching]
        [--rebuild] [--profile] [--seed 1]

Target: ranking one new order against 100,000 capacity listings, p95 under 100 ms including the
database prefilter (here: the listing index's check of the outbox for changes).

The database named in --database-url is kept between runs: it is built when missing (or with
--rebuild, or when it holds another size, seed or day's data), migrated with `flask db upgrade`,
then filled with bulk COPY: supplier companies in the cities of `matching/data/cities.json` (most
in the manufacturing clusters of the demo, weighted alike) with certificates (some expired) and
scorecards; per company one to six listings drawn like the demo seed's (a shop's specialty gives
its machines, processes, materials and calendars; machine-bound listings carry the machine's
envelope and tolerance), so processes are skewed as on the platform (all 45 of the taxonomy:
3-axis milling in three listings of ten, sandblasting in a few hundred); holidays, maintenance
days and overtime as calendar exceptions; open bookings (behind in-production packages of
bulk-inserted orders) on about one listing in eight; a few listings paused, fully booked or
closed. Then 1,000 open orders of one buyer: processes in proportion to the listings offering
them, materials, sizes, tolerances, certifications, quantities and due dates as buyers post them.

First the listing index loads the processes of the timed orders (timed apart: a worker does it
once per process and day). Then, for each order in-process: `rank_order(order, Weights(cost=5),
today)` — what the API runs for a ranking with the buyer's own weights changed — with its parts:
the index's look at the outbox, free hours over the calendar columns, feasibility and scores
(`rank_columns`, the 30 best explained) and the proposal (`propose_split`). Then the ranking
right after a change to one listing of the busiest process (the index reloads it and rebuilds
that process's columns). Then, when the app has the route, over HTTP under gunicorn (2 sync
workers): `GET /api/v1/orders/{id}/matches?cost=5` with the buyer's read token, one request at a
time, after 8 warm-up passes over the same orders (each worker loads its own index).
--profile adds the cProfile of the slowest order.

Progress goes to stderr; the table goes to stdout, whose last line is `RESULT {json}`.
Exit status: 0 done, 1 failed, 2 cannot run (not a PostgreSQL URL, server unreachable).
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.api_throughput import BenchError, Server, child_env, log, run  # noqa: E402

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/sharefab_bench_matching"
BUYER_EMAIL = "bench-matching-buyer@example.com"
PASSWORD = "bench-password-123"
WARMUP_ORDERS = 10
MATCHES_PATH = "/api/v1/orders/{id}/matches?cost=5"
MATCHES_RULE = "/api/v1/orders/<id:order_id>/matches"
COPY_BATCH = 50_000
WARMUP_PASSES = 8
ORDER_COUNT_TO_BUILD = 1_000  # open orders in the data set; --orders of them are timed

# Listings per company, as small and medium shops list them.
LISTINGS_PER_COMPANY = (1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 6)
OTHER_CITY_SHARE = 0.15  # companies outside the demo's clusters, anywhere in the gazetteer
BUYER_COMPANIES = 300
RARE_PROCESS_SHARE = 0.02  # listings for the processes the demo's specialties leave out
BOOKED_LISTING_SHARE = 0.12
# Certificates a supplier holds: standard, share of companies, share of those expired.
CERTIFICATES = (
    ("ISO 9001", 0.55, 0.08),
    ("ISO 14001", 0.25, 0.1),
    ("IATF 16949", 0.12, 0.08),
    ("ISO 45001", 0.1, 0.1),
    ("ISO 13485", 0.05, 0.05),
    ("AS9100", 0.03, 0.05),
)
# Certifications buyers ask for: (standards, share of orders).
ORDER_CERTIFICATIONS = (
    (("ISO 9001",), 0.22),
    (("ISO 9001", "IATF 16949"), 0.06),
    (("ISO 13485",), 0.03),
    (("AS9100",), 0.02),
)


# --- the database --------------------------------------------------------------------------------


def signature(listings: int, seed: int, today: date) -> str:
    """What the bench buyer's description says of the data set, to know when to reuse it."""
    return f"bench-matching listings={listings} seed={seed} built={today.isoformat()}"


def prepare_database(url: str, wanted: str, rebuild: bool) -> bool:
    """Create the database if missing, drop it first when it holds other data; True to build."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    target = make_url(url)
    name = target.database
    if not name:
        raise BenchError("--database-url must name a database")
    admin = create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).scalar()
        if exists and not rebuild:
            engine = create_engine(target, poolclass=NullPool)
            try:
                with engine.connect() as connection:
                    found = connection.execute(
                        text("SELECT description FROM company WHERE description LIKE :marker"),
                        {"marker": "bench-matching %"},
                    ).scalar()
            except SQLAlchemyError:
                found = None  # no tables yet, or not ours
            finally:
                engine.dispose()
            if found == wanted:
                log(f"reusing database {name} ({wanted})")
                return False
            log(f"database {name} holds {found or 'other data'}; rebuilding it")
        with admin.connect() as connection:
            if exists:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        log(f"created database {name}")
        return True
    except SQLAlchemyError as error:
        server = target.render_as_string(hide_password=True)
        raise BenchError(f"cannot prepare a database on {server}: {error.args[0]}") from None
    finally:
        admin.dispose()


class Copier:
    """Bulk rows into tables with PostgreSQL COPY on the session's connection, parents first."""

    # Referenced tables before the tables referring to them.
    ORDER = (
        "company", "company_role", "certification", "supplier_scorecard", "machine",
        "machine_process", "machine_material", "capacity_listing", "listing_process",
        "listing_material", "listing_exception", "orders", "quote", "work_package",
        "capacity_booking",
    )  # fmt: skip

    def __init__(self) -> None:
        from core.db import db

        self.connection = db.session.connection().connection.driver_connection
        self.counts: Counter[str] = Counter()
        self.columns: dict[str, tuple[str, ...]] = {}
        self.pending: dict[str, list[tuple[Any, ...]]] = {table: [] for table in self.ORDER}
        self.size = 0

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        self.columns[table] = columns
        self.pending[table].append(row)
        self.size += 1
        if self.size >= COPY_BATCH:
            self.flush()

    def flush(self) -> None:
        for table in self.ORDER:
            rows = self.pending[table]
            if not rows:
                continue
            quoted = ", ".join(f'"{column}"' for column in self.columns[table])
            statement = f'COPY "{table}" ({quoted}) FROM STDIN'
            with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            self.counts[table] += len(rows)
            rows.clear()
        self.size = 0


def cities() -> tuple[list[dict[str, Any]], list[float]]:
    """Where companies are: the demo's clusters by their weights, the rest of the gazetteer."""
    from marketplace.demo_data import CLUSTER_WEIGHTS, CLUSTERS
    from matching.geo import CITIES_PATH

    gazetteer = json.loads(CITIES_PATH.read_text(encoding="utf-8"))["cities"]
    clustered = {cluster.city_zh: cluster for cluster in CLUSTERS}
    places, weights = [], []
    total = sum(CLUSTER_WEIGHTS.values())
    others = [city for city in gazetteer if city["zh"] not in clustered]
    for city in gazetteer:
        cluster = clustered.get(city["zh"])
        if cluster is not None:
            weight = (1 - OTHER_CITY_SHARE) * CLUSTER_WEIGHTS[cluster.city_en] / total
        else:
            weight = OTHER_CITY_SHARE / len(others)
        places.append({**city, "cluster": cluster})
        weights.append(weight)
    return places, weights


def build(listing_count: int, seed: int, today: date, wanted: str) -> dict[str, Any]:
    """Fill the migrated, empty database; return what was made."""
    from sqlalchemy import func, select, text

    from core.db import db
    from marketplace import services
    from marketplace.demo_data import SPECIALTY_BY_KEY
    from marketplace.demo_production import (
        HOLIDAYS,
        MACHINES,
        NIGHT_SHIFT,
        SPECIALTY_CALENDARS,
        SPECIALTY_EQUIPMENT,
        SPECIALTY_MATERIALS,
        SPECIALTY_PROCESSES,
        TWO_SHIFTS,
        WEEKENDS,
    )
    from marketplace.domain import CompanyRole
    from marketplace.models import Company
    from marketplace.taxonomy import TAXONOMY
    from marketplace.uscc import make_uscc

    started = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    places, place_weights = cities()
    specialties = sorted(SPECIALTY_EQUIPMENT)
    offered_anywhere = {p for processes in SPECIALTY_PROCESSES.values() for p in processes}
    rare = [p for p in TAXONOMY.processes if p not in offered_anywhere]

    buyer = services.register_company(
        legal_name="Bench Matching Buyer Co., Ltd.",
        country="CN",
        registration_number=make_uscc("9", "1", "320500", "BNCHMT01"),
        province="江苏省",
        city="苏州市",
        address="工业园区星湖街1号",
        roles={CompanyRole.BUYER},
        email=BUYER_EMAIL,
        password=PASSWORD,
        display_name="Bench buyer",
    )
    buyer_company_id = buyer.company_id
    user_id = buyer.id
    company_id = (db.session.scalar(select(func.max(Company.id))) or 0) + 1
    copier = Copier()

    company_columns = (
        "id", "legal_name", "country", "registration_number", "province", "city", "address",
        "description", "website", "verified", "created_at",
    )  # fmt: skip

    def add_company(number: int, place: dict[str, Any], name: str, role: str) -> int:
        nonlocal company_id
        division = place["cluster"].division_code if place["cluster"] else "110000"
        copier.add(
            "company",
            company_columns,
            (
                company_id, name, "CN", make_uscc("9", "1", division, f"{number:08d}"),
                place["cluster"].province_zh if place["cluster"] else place["province_en"],
                place["zh"], f"{place['zh']}工业园{number % 97 + 1}号", "", "", True, now,
            ),
        )  # fmt: skip
        copier.add("company_role", ("company_id", "role"), (company_id, role))
        company_id += 1
        return company_id - 1

    # Buyers of the work already booked on the listings.
    buyer_ids = [
        add_company(
            number,
            rng.choices(places, place_weights)[0],
            f"采购{number}有限公司 Bench Buyer {number}",
            "buyer",
        )
        for number in range(1, BUYER_COMPANIES + 1)
    ]

    listing_id = machine_id = order_id = quote_id = package_id = booking_id = certificate_id = 1
    made = 0
    number = BUYER_COMPANIES
    listing_processes: Counter[str] = Counter()
    listing_materials: dict[str, Counter[str]] = {}
    while made < listing_count:
        number += 1
        place = rng.choices(places, place_weights)[0]
        cluster = place["cluster"]
        if cluster is not None:
            ranked = cluster.specialties
            main = rng.choices(ranked, [1 / (rank + 1) for rank in range(len(ranked))])[0]
        else:
            main = rng.choice(specialties)
        second = rng.choice(specialties) if rng.random() < 0.3 else None
        company = add_company(
            number,
            place,
            f"{place['zh']}{SPECIALTY_BY_KEY[main].name_parts[0][0]}{number}有限公司",
            "supplier",
        )
        for standard, share, expired in CERTIFICATES:
            if rng.random() < share:
                valid = today + timedelta(
                    days=-rng.randint(1, 300) if rng.random() < expired else rng.randint(20, 1000)
                )
                copier.add(
                    "certification",
                    ("id", "company_id", "standard", "certificate_number", "issued_by",
                     "valid_until", "created_at"),
                    (certificate_id, company, standard, f"CN-{certificate_id:07d}", "CQC",
                     valid, now),
                )  # fmt: skip
                certificate_id += 1
        if rng.random() < 0.6:
            completed = int(rng.lognormvariate(2.5, 1.1))
            rated = int(completed * rng.uniform(0.3, 0.9))
            copier.add(
                "supplier_scorecard",
                ("company_id", "completed_packages", "delivered_packages", "on_time_rate",
                 "quality_acceptance_rate", "dispute_rate", "average_rating", "ratings_count",
                 "updated_at"),
                (company, completed, completed + rng.randint(0, 3),
                 Decimal(f"{rng.uniform(0.6, 1.0):.4f}") if completed else None,
                 Decimal(f"{rng.uniform(0.75, 1.0):.4f}") if completed else None,
                 Decimal(f"{rng.uniform(0.0, 0.08):.4f}") if completed else None,
                 Decimal(f"{rng.uniform(3.0, 5.0):.2f}") if rated else None, rated, now),
            )  # fmt: skip

        count = min(rng.choice(LISTINGS_PER_COMPANY), listing_count - made)
        for index in range(count):
            specialty = second if (index == 1 and second) else main
            offered = SPECIALTY_PROCESSES[specialty]
            equipment = SPECIALTY_EQUIPMENT[specialty]
            group = index == 0 or (index == 1 and second is not None)
            kinds = [
                rng.choices([k for k, _ in equipment], [w for _, w in equipment])[0]
                for _ in range(rng.randint(2, 4) if group else 1)
            ]
            processes = sorted(
                {
                    p
                    for kind in kinds
                    for p in TAXONOMY.machine_kinds[kind].processes
                    if p in offered
                }
                or {TAXONOMY.machine_kinds[kinds[0]].processes[0]}
            )
            materials = [
                m
                for m in SPECIALTY_MATERIALS[specialty]
                if any(TAXONOMY.material_suits(m, p) for p in processes)
            ]
            low, high = MACHINES[kinds[0]].rate
            rate = rng.randint(low, high)
            if rare and rng.random() < RARE_PROCESS_SHARE:
                # Shops for the processes no demo specialty offers (waterjet, painting, …).
                group, processes = True, [rng.choice(rare)]
                suited = list(TAXONOMY.materials_for(processes[0]))
                materials = rng.sample(suited, min(len(suited), rng.randint(2, 6)))
            machine = None
            if not group:
                model = rng.choice(MACHINES[kinds[0]].models)
                machine = machine_id
                machine_id += 1
                copier.add(
                    "machine",
                    ("id", "company_id", "name", "kind", "brand", "model", "year",
                     "envelope_x_mm", "envelope_y_mm", "envelope_z_mm", "tolerance_mm",
                     "attributes", "rate_amount", "rate_currency", "rate_unit", "status",
                     "created_at"),
                    (machine, company, f"{index}号机", kinds[0], model.brand, model.model,
                     rng.randint(2010, 2025), *model.envelope, Decimal(model.tolerance),
                     json.dumps(dict(model.attributes)), Decimal(rate), "CNY", "machine_hour",
                     "maintenance" if rng.random() < 0.02 else "active", now),
                )  # fmt: skip
                for process in processes:
                    copier.add("machine_process", ("machine_id", "process"), (machine, process))
                for material in materials:
                    copier.add("machine_material", ("machine_id", "material"), (machine, material))
                calendar = rng.choice((NIGHT_SHIFT, WEEKENDS, TWO_SHIFTS, TWO_SHIFTS))
            else:
                calendar = rng.choice(SPECIALTY_CALENDARS[specialty])
            start = today + timedelta(
                days=rng.randint(1, 30) if rng.random() < 0.05 else -rng.randint(0, 90)
            )
            end = max(start, today) + timedelta(days=rng.randint(20, 180))
            unit = rng.choices(("machine_hour", "piece", "value"), (88, 8, 4))[0]
            price = (
                Decimal(rate)
                if unit != "piece"
                else Decimal(f"{rate * rng.uniform(0.03, 0.6):.2f}")
            )
            currency = "CNY"
            if rng.random() < 0.03:
                currency, price = "USD", (price / Decimal("7.1")).quantize(Decimal("0.01"))
            status = rng.choices(("active", "fully_booked", "paused", "closed"), (89, 4, 6, 1))[0]
            copier.add(
                "capacity_listing",
                ("id", "company_id", "machine_id", "title", "weekday_hours", "start_date",
                 "end_date", "price_amount", "price_currency", "price_unit", "min_lot",
                 "lead_time_days", "status", "created_at"),
                (listing_id, company, machine,
                 f"{SPECIALTY_BY_KEY[specialty].process[1]} capacity ({calendar.en})",
                 json.dumps([str(hours) for hours in calendar.hours]), start, end, price,
                 currency, unit, 1, rng.randint(2, 14), status,
                 now - timedelta(days=rng.randint(0, 120))),
            )  # fmt: skip
            for process in processes:
                copier.add("listing_process", ("listing_id", "process"), (listing_id, process))
                listing_processes[process] += 1
                counter = listing_materials.setdefault(process, Counter())
                counter.update(materials)
            for material in materials:
                copier.add("listing_material", ("listing_id", "material"), (listing_id, material))
            exceptions: dict[date, tuple[Decimal, str]] = {}
            for holiday_start, holiday_end, name in HOLIDAYS:
                day = max(holiday_start, start)
                while day <= min(holiday_end, end):
                    exceptions[day] = (Decimal(0), name)
                    day += timedelta(days=1)
            if rng.random() < 0.7:
                day = today + timedelta(days=rng.randint(3, 60))
                if start <= day <= end:
                    exceptions[day] = (Decimal(0), "设备保养 · Preventive maintenance")
            if calendar.hours[6] == 0 and rng.random() < 0.2:
                day = today + timedelta(days=rng.randint(3, 40))
                day += timedelta(days=(6 - day.weekday()) % 7)
                if start <= day <= end and day not in exceptions:
                    exceptions[day] = (Decimal(8), "周日加班 · Sunday overtime")
            for day in sorted(exceptions):
                copier.add(
                    "listing_exception",
                    ("listing_id", "day", "hours", "note"),
                    (listing_id, day, *exceptions[day]),
                )
            if status != "closed" and rng.random() < BOOKED_LISTING_SHARE:
                weekly = sum(calendar.hours)
                booked = 0.0
                for _ in range(rng.randint(1, 3)):
                    due = today + timedelta(days=rng.randint(5, 60))
                    offered_until_due = weekly * ((min(due, end) - max(today, start)).days + 1) / 7
                    hours = round(max(1.0, rng.uniform(0.05, 0.3) * offered_until_due), 1)
                    if booked + hours > 0.8 * offered_until_due:
                        continue
                    booked += hours
                    released = rng.random() < 0.25
                    quantity = rng.randint(50, 5000)
                    process = rng.choice(processes)
                    material = rng.choice(materials) if materials else "al_6061"
                    created = now - timedelta(days=rng.randint(3, 40))
                    copier.add(
                        "orders",
                        ("id", "buyer_company_id", "created_by_id", "title", "description",
                         "process", "material", "quantity", "tolerance_mm", "part_x_mm",
                         "part_y_mm", "part_z_mm", "required_certifications", "due_date",
                         "currency", "delivery_province", "delivery_city", "splittable",
                         "min_lot", "status", "published_at", "created_at"),
                        (order_id, rng.choice(buyer_ids), user_id, f"Booked part {order_id}",
                         "", process, material, quantity, Decimal("0.05"), 100, 80, 40, "[]",
                         due, "CNY", "", "苏州市", False, 1,
                         "completed" if released else "in_production", created, created),
                    )  # fmt: skip
                    copier.add(
                        "quote",
                        ("id", "order_id", "supplier_company_id", "listing_id", "unit_price",
                         "currency", "quantity", "machine_hours", "lead_time_days",
                         "valid_until", "note", "status", "revision", "submitted_by_id",
                         "created_at", "updated_at"),
                        (quote_id, order_id, company, listing_id, Decimal("12.50"), "CNY",
                         quantity, Decimal(str(hours)), 7, due, "", "accepted", 1, user_id,
                         created, created),
                    )  # fmt: skip
                    copier.add(
                        "work_package",
                        ("id", "order_id", "supplier_company_id", "quote_id", "listing_id",
                         "quantity", "unit_price", "currency", "due_date", "promised_date",
                         "progress_pct", "status", "closed_at", "created_at"),
                        (package_id, order_id, company, quote_id, listing_id, quantity,
                         Decimal("12.50"), "CNY", due, due,
                         100 if released else rng.choice((0, 0, 10, 25, 40, 60, 80)),
                         "accepted_by_buyer" if released else "in_production",
                         now if released else None, created),
                    )  # fmt: skip
                    copier.add(
                        "capacity_booking",
                        ("id", "listing_id", "work_package_id", "hours", "due_date",
                         "created_at", "released_at"),
                        (booking_id, listing_id, package_id, Decimal(str(hours)), due, created,
                         now if released else None),
                    )  # fmt: skip
                    order_id += 1
                    quote_id += 1
                    package_id += 1
                    booking_id += 1
            listing_id += 1
            made += 1
    copier.flush()
    db.session.commit()
    bulk_seconds = time.perf_counter() - started
    log(f"bulk rows in {bulk_seconds:.1f}s: " + ", ".join(
        f"{table} {count:,}" for table, count in sorted(copier.counts.items())
    ))  # fmt: skip

    # The sequences go on after the ids given here.
    for table in ("company", "certification", "machine", "capacity_listing", "orders", "quote",
                  "work_package", "capacity_booking"):  # fmt: skip
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
        )
    db.session.commit()

    add_open_orders(
        rng, today, buyer_company_id, user_id, listing_processes, listing_materials, places,
        place_weights, order_count=ORDER_COUNT_TO_BUILD,
    )  # fmt: skip
    # Last: a data set without the marker is built again on the next run.
    db.session.execute(
        text("UPDATE company SET description = :marker WHERE id = :id"),
        {"marker": wanted, "id": buyer_company_id},
    )
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return {
        "rows": dict(copier.counts),
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def add_open_orders(
    rng: random.Random,
    today: date,
    buyer_company_id: int,
    user_id: int,
    listing_processes: Counter[str],
    listing_materials: dict[str, Counter[str]],
    places: list[dict[str, Any]],
    place_weights: list[float],
    *,
    order_count: int,
) -> None:
    """Open orders of the bench buyer, in proportion to the listings of each process."""
    from sqlalchemy import insert

    from core.db import db
    from marketplace.demo_production import PARTS
    from marketplace.models import Order
    from marketplace.taxonomy import TAXONOMY

    processes = sorted(listing_processes)
    weights = [listing_processes[p] for p in processes]
    now = datetime.now(UTC)
    rows = []
    for number in range(1, order_count + 1):
        process = rng.choices(processes, weights)[0]
        materials = listing_materials.get(process) or Counter()
        if TAXONOMY.processes[process].any_material or not materials:
            material = rng.choice(list(TAXONOMY.materials))
        else:
            # Buyers ask for what shops work: a material of the process's listings, by frequency.
            names = sorted(materials)
            material = rng.choices(names, [materials[m] for m in names])[0]
        parts = PARTS.get(process)
        if parts:
            part = rng.choice(parts)
            size = [max(1, int(axis * rng.uniform(0.7, 1.3))) for axis in part.size]
            quantity = rng.randint(*part.quantity)
            minutes = rng.uniform(*part.minutes) if rng.random() < 0.7 else None
        else:
            size = [rng.randint(10, 500) for _ in range(3)]
            quantity = int(rng.lognormvariate(5, 1.2)) + 1
            minutes = None
        certifications: list[str] = []
        draw = rng.random()
        for standards, share in ORDER_CERTIFICATIONS:
            if draw < share:
                certifications = list(standards)
                break
            draw -= share
        typical = Decimal(str(TAXONOMY.processes[process].tolerance_mm))
        splittable = rng.random() < 0.4
        currency = rng.choices(("CNY", "USD", "EUR"), (85, 10, 5))[0]
        place = rng.choices(places, place_weights)[0]
        rows.append(
            {
                "buyer_company_id": buyer_company_id,
                "created_by_id": user_id,
                "title": f"Bench order {number} ({process})",
                "description": "",
                "process": process,
                "material": material,
                "quantity": quantity,
                "tolerance_mm": min(Decimal(10), typical * rng.choice((1, 2, 5, 10))),
                "part_x_mm": size[0],
                "part_y_mm": size[1],
                "part_z_mm": size[2],
                "required_certifications": certifications,
                "due_date": today + timedelta(days=rng.randint(7, 120)),
                "target_unit_price": (
                    Decimal(f"{rng.uniform(2, 400):.2f}") if rng.random() < 0.6 else None
                ),
                "currency": currency,
                "delivery_province": "",
                "delivery_city": place["zh"],
                "splittable": splittable,
                "min_lot": max(1, quantity // 8) if splittable else 1,
                "minutes_per_piece": (
                    None if minutes is None else max(Decimal("0.01"), Decimal(f"{minutes:.2f}"))
                ),
                "status": "published",
                "published_at": now,
                "created_at": now,
            }
        )
    db.session.execute(insert(Order), rows)
    db.session.commit()


# --- measuring ---------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean/max of durations in seconds, in milliseconds."""
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] * 1000

    return {
        "p50_ms": round(pick(0.50), 2),
        "p95_ms": round(pick(0.95), 2),
        "p99_ms": round(pick(0.99), 2),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def spread(values: list[int]) -> dict[str, int]:
    ordered = sorted(values)
    return {
        "p50": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
        "min": ordered[0],
    }


def measure_in_process(order_count: int, seed: int, profile: bool) -> dict[str, Any]:
    """Time rank_order for `order_count` of the bench buyer's open orders, with its parts."""
    from sqlalchemy import event, func, select

    from core.db import db
    from marketplace.models import CapacityListing, ListingProcess, Order, User
    from marketplace.services import matching as service
    from matching.domain import Weights

    today = datetime.now(UTC).date()
    buyer = db.session.scalar(select(User).where(User.email == BUYER_EMAIL))
    if buyer is None:
        raise BenchError("the bench buyer is missing; run with --rebuild")
    order_ids = list(
        db.session.scalars(
            select(Order.id)
            .where(Order.buyer_company_id == buyer.company_id, Order.status == "published")
            .order_by(Order.id)
        )
    )
    chosen = random.Random(seed).sample(order_ids, min(order_count + WARMUP_ORDERS, len(order_ids)))
    listings = db.session.scalar(select(func.count(CapacityListing.id)))
    by_process = dict(
        db.session.execute(
            select(ListingProcess.process, func.count())
            .group_by(ListingProcess.process)
            .order_by(func.count().desc())
        ).all()
    )
    db.session.rollback()

    # The index loads each process's listings on first use: done (and timed) before the timing.
    from marketplace.services.listing_index import ProcessListings, listing_index

    index = listing_index()
    loads = {}
    for process in sorted({db.session.get(Order, order_id).process for order_id in chosen}):
        started = time.perf_counter()
        index.listings(process, today)
        loads[process] = time.perf_counter() - started
    db.session.rollback()

    # Instruments: each part's time for the order being ranked.
    clock = {"index": 0.0, "hours": 0.0, "rank": 0.0, "split": 0.0, "statements": 0}
    engine = db.engine

    def count_statement(*_args: Any) -> None:
        clock["statements"] += 1

    def timed(key: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                clock[key] += time.perf_counter() - started

        return wrapper

    event.listen(engine, "after_cursor_execute", count_statement)
    originals = (
        type(index).listings,
        ProcessListings.hours_for,
        service.rank_columns,
        service.propose_split,
    )
    type(index).listings = timed("index", originals[0])  # type: ignore[method-assign]
    ProcessListings.hours_for = timed("hours", originals[1])  # type: ignore[method-assign]
    service.rank_columns = timed("rank", originals[2])  # type: ignore[assignment]
    service.propose_split = timed("split", originals[3])  # type: ignore[assignment]
    weights = Weights(cost=5)
    records = []
    try:
        for position, order_id in enumerate(chosen):
            order = db.session.get(Order, order_id)
            for key in clock:
                clock[key] = 0
            started = time.perf_counter()
            ranking, plan = service.rank_order(order, weights, today)
            total = time.perf_counter() - started
            db.session.rollback()
            if position < WARMUP_ORDERS:
                continue
            records.append(
                {
                    "order_id": order_id,
                    "process": order.process,
                    "total": total,
                    "index": clock["index"],
                    "statements": clock["statements"],
                    "hours": clock["hours"],
                    "rank": clock["rank"],
                    "split": clock["split"],
                    "considered": ranking.considered,
                    "feasible": ranking.feasible,
                    "proposal_shares": len(plan.shares),
                }
            )
    finally:
        (
            type(index).listings,
            ProcessListings.hours_for,
            service.rank_columns,
            service.propose_split,
        ) = originals  # type: ignore[method-assign, assignment]
        event.remove(engine, "after_cursor_execute", count_statement)
    change = measure_change(today, records)
    slowest = max(records, key=lambda record: record["total"])
    profile_text = ""
    if profile:
        order = db.session.get(Order, slowest["order_id"])
        profiler = cProfile.Profile()
        profiler.enable()
        service.rank_order(order, weights, today)
        profiler.disable()
        db.session.rollback()
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(18)
        profile_text = buffer.getvalue()

    def part(key: str) -> dict[str, float]:
        return percentiles([record[key] for record in records])

    return {
        "listings": listings,
        "listings_per_process_top": dict(list(by_process.items())[:6]),
        "processes": len(by_process),
        "orders_timed": len(records),
        "total": part("total"),
        "index": part("index"),
        "free_hours": part("hours"),
        "scoring": part("rank"),
        "proposal": part("split"),
        "load_seconds": {
            "processes": len(loads),
            "total": round(sum(loads.values()), 2),
            "largest": max(loads.items(), key=lambda item: item[1]),
        },
        "change": change,
        "statements_per_order": spread([r["statements"] for r in records]),
        "considered": spread([r["considered"] for r in records]),
        "feasible": spread([r["feasible"] for r in records]),
        "split_proposals": sum(r["proposal_shares"] >= 2 for r in records),
        "slowest": {
            key: round(value * 1000, 1) if isinstance(value, float) else value
            for key, value in slowest.items()
        },
        "under_100ms_pct": round(100 * sum(r["total"] < 0.1 for r in records) / len(records), 1),
        "per_process": per_process(records),
        "profile": profile_text,
        "order_ids": [r["order_id"] for r in records],
    }


def measure_change(today: date, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Time the ranking right after a change to one listing of the busiest process timed."""
    from sqlalchemy import select

    from core.db import db
    from core.unit_of_work import unit_of_work
    from marketplace.models import CapacityListing, ListingProcess, Order
    from marketplace.services import matching as service
    from marketplace.services.common import enqueue_rematch
    from matching.domain import Weights

    busiest = max(records, key=lambda record: record["considered"])
    order = db.session.get(Order, busiest["order_id"])
    listing_id = db.session.scalar(
        select(ListingProcess.listing_id).where(ListingProcess.process == order.process).limit(1)
    )
    samples = []
    for step in range(5):
        with unit_of_work() as session:
            listing = session.get(CapacityListing, listing_id)
            listing.lead_time_days = 3 + step
            enqueue_rematch(session, "listing", listing_id)
        order = db.session.get(Order, busiest["order_id"])
        started = time.perf_counter()
        service.rank_order(order, Weights(cost=5), today)
        samples.append(time.perf_counter() - started)
        db.session.rollback()
    return {"process": order.process, "listings": busiest["considered"], **percentiles(samples)}


def per_process(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The processes of the slowest orders, with their listing counts and times."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["process"], []).append(record)
    rows = [
        {
            "process": process,
            "orders": len(items),
            "considered": max(item["considered"] for item in items),
            "median_ms": round(statistics.median(item["total"] for item in items) * 1000, 1),
        }
        for process, items in groups.items()
    ]
    return sorted(rows, key=lambda row: -row["median_ms"])[:8]


def measure_http(env: dict[str, str], tmp: Path, order_ids: list[int]) -> dict[str, Any]:
    """GET each order's matches with other weights under gunicorn, one request at a time."""
    from app import create_app
    from core.auth import Scope
    from core.db import db
    from marketplace import services

    application = create_app()
    rules = {rule.rule for rule in application.url_map.iter_rules()}
    if MATCHES_RULE not in rules:
        return {"skipped": f"the app has no {MATCHES_RULE} route (yet)"}
    with application.app_context():
        token = services.create_api_token_for_email(BUYER_EMAIL, scope=Scope.READ, name="bench")
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    server = Server("app:create_app()", env, tmp, "api")
    samples, statuses = [], Counter()
    try:
        server.start()
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        # Each worker loads a process's listings on first use and requests go to either worker:
        # after WARMUP_PASSES passes over the orders, the odds that a worker has not yet seen an
        # order's process are below 1 in 250.
        for _ in range(WARMUP_PASSES):
            for order_id in order_ids:
                get_matches(connection, headers, order_id)
        for order_id in order_ids:
            status, elapsed = get_matches(connection, headers, order_id)
            statuses[status] += 1
            samples.append(elapsed)
        connection.close()
    finally:
        server.stop()
    return {
        "requests": len(samples),
        "warmup_passes": WARMUP_PASSES,
        "statuses": dict(statuses),
        **percentiles(samples),
    }


def get_matches(
    connection: http.client.HTTPConnection, headers: dict[str, str], order_id: int
) -> tuple[int, float]:
    started = time.perf_counter()
    connection.request("GET", MATCHES_PATH.format(id=order_id), headers=headers)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    if response.status != 200:
        raise BenchError(
            f"GET {MATCHES_PATH.format(id=order_id)} answered {response.status}: {body[:300]!r}"
        )
    return response.status, elapsed


# --- the run -------------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000, help="capacity listings")
    parser.add_argument("--orders", type=int, default=200, help="orders timed in-process")
    parser.add_argument(
        "--http-orders", type=int, default=50, help="orders timed over HTTP (0: none)"
    )
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE_URL,
        help="the PostgreSQL database to build or reuse (it is kept)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest order")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the data")
    args = parser.parse_args()
    if args.listings < 1 or args.orders < 1 or args.http_orders < 0:
        parser.error("--listings and --orders must be positive, --http-orders not negative")
    if args.orders > ORDER_COUNT_TO_BUILD - WARMUP_ORDERS:
        parser.error(f"--orders is at most {ORDER_COUNT_TO_BUILD - WARMUP_ORDERS}")
    if not args.database_url.startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL (postgresql+psycopg://...)")
    return args


def benchmark(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    today = datetime.now(UTC).date()
    wanted = signature(args.listings, args.seed, today)
    fresh = prepare_database(args.database_url, wanted, args.rebuild)
    instance = tmp / "instance"
    instance.mkdir()
    env = child_env(instance, args.database_url)
    run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], env, "flask db upgrade")
    # `config` reads the environment when it is imported: set it before importing the app.
    os.environ.update(env)
    from sqlalchemy import text

    from app import create_app
    from core.db import db

    application = create_app()
    result: dict[str, Any] = {"database_reused": not fresh}
    with application.app_context():
        result["database"] = "postgresql " + str(
            db.session.execute(text("SHOW server_version")).scalar()
        )
        if fresh:
            log(f"building {args.listings:,} listings (seed {args.seed})")
            result.update(build(args.listings, args.seed, today, wanted))
        log(f"ranking {args.orders} orders in-process (after {WARMUP_ORDERS} to warm up)")
        result["in_process"] = measure_in_process(args.orders, args.seed, args.profile)
        db.session.remove()
    if args.http_orders:
        log(f"ranking {args.http_orders} orders over HTTP")
        ids = result["in_process"]["order_ids"][: args.http_orders]
        result["http"] = measure_http(env, tmp, ids)
    return result


def report(result: dict[str, Any]) -> None:
    inner = result["in_process"]
    origin = "reused" if result["database_reused"] else f"built in {result.get('build_seconds')}s"
    print(
        f"environment: {result['database']}, {inner['listings']:,} listings over "
        f"{inner['processes']} processes ({origin}), CPUs={os.cpu_count()}, load average "
        f"{result['loadavg_before']} before / {result['loadavg_after']} after"
    )
    top = ", ".join(f"{p} {n:,}" for p, n in inner["listings_per_process_top"].items())
    print(f"listings offering the most common processes: {top}")
    print()
    print(f"rank_order(order, Weights(cost=5)) over {inner['orders_timed']} orders, in-process")
    print(f"{'part':<44} {'p50':>9} {'p95':>9} {'p99':>9} {'max':>9}")
    for key, label in (
        ("total", "total"),
        ("index", "  listing index (outbox check)"),
        ("free_hours", "  free hours (calendar columns)"),
        ("scoring", "  feasibility, scores, top 30 explained"),
        ("proposal", "  proposal (propose_split, HiGHS)"),
    ):
        row = inner[key]
        print(
            f"{label:<44} {row['p50_ms']:>7.1f}ms {row['p95_ms']:>7.1f}ms "
            f"{row['p99_ms']:>7.1f}ms {row['max_ms']:>7.1f}ms"
        )
    considered, feasible = inner["considered"], inner["feasible"]
    print()
    print(
        f"listings considered per order: median {considered['p50']:,}, p95 "
        f"{considered['p95']:,}, max {considered['max']:,}; feasible: median {feasible['p50']:,},"
        f" p95 {feasible['p95']:,}, max {feasible['max']:,}; SQL statements per order "
        f"{inner['statements_per_order']['p50']}; {inner['under_100ms_pct']}% of orders under "
        f"100 ms; {inner['split_proposals']} proposals split"
    )
    loads, change = inner["load_seconds"], inner["change"]
    print(
        f"loading the index before timing: {loads['processes']} processes in "
        f"{loads['total']:.1f} s, the largest {loads['largest'][0]} in "
        f"{loads['largest'][1]:.2f} s"
    )
    print(
        f"ranking right after a change to one {change['process']} listing "
        f"({change['listings']:,} listings reloaded as columns): p50 {change['p50_ms']:.1f} ms, "
        f"max {change['max_ms']:.1f} ms"
    )
    print("slowest processes (median per order):")
    for row in inner["per_process"]:
        print(
            f"  {row['process']:<22} {row['orders']:>4} orders, {row['considered']:>6,} "
            f"listings, {row['median_ms']:>8.1f} ms"
        )
    http = result.get("http")
    print()
    if http is None:
        print("HTTP: not measured (--http-orders 0)")
    elif "skipped" in http:
        print(f"HTTP: skipped, {http['skipped']}")
    else:
        print(
            f"HTTP GET {MATCHES_PATH} under gunicorn (2 sync workers), one at a time, "
            f"{http['requests']} orders after {http['warmup_passes']} warm-up passes: "
            f"p50 {http['p50_ms']:.1f} ms, p95 {http['p95_ms']:.1f} ms, "
            f"p99 {http['p99_ms']:.1f} ms, max {http['max_ms']:.1f} ms"
        )
    if inner["profile"]:
        print()
        print(f"cProfile of the slowest order ({inner['slowest']}):")
        print(inner["profile"])
    summary = {key: value for key, value in result.items() if key != "in_process"}
    summary["in_process"] = {
        key: value for key, value in inner.items() if key not in ("profile", "order_ids")
    }
    print("RESULT " + json.dumps(summary, sort_keys=True, default=str))


def main() -> int:
    args = parse_args()
    load = os.getloadavg()[0]
    if load > 0.5 * (os.cpu_count() or 1):
        log(f"warning: load average {load:.2f} before starting; other work will skew the figures")
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="sharefab-bench-"))
    try:
        result = benchmark(args, tmp)
        result["loadavg_before"] = round(load, 2)
        result["loadavg_after"] = round(os.getloadavg()[0], 2)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 2 if "cannot prepare" in str(error) else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"total {time.perf_counter() - started:.1f}s")
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
