"""EPCIS capture throughput on PostgreSQL: 1,000-event documents through `ledger.services.capture`,
then sealing them into 1,000-entry batches and anchoring those on the in-process EVM.

    .venv/bin/python bench/ledger_capture.py [--documents 20] [--events 1000]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

A fresh database `sharefab_bench_<random>` is created on that server, migrated with `flask db
upgrade` and dropped afterwards. Documents are built from the official GS1 examples'
ObjectEvents (`../shared/external/gs1-epcis/examples/`), each event with its own EPC and time, so
every event is new. Measured in-process: per document, validation (schema, vocabularies), event
hash IDs and the database write, as `capture` does them; then a replay of the first document
(every event already known: the dedup path); then `seal_due_batches` and `anchor_batches`.
Prints events/s and the parts; the last line is `RESULT {json}`. Never asserts on the figures.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.api_throughput import (  # noqa: E402
    BenchError,
    child_env,
    log,
    postgresql_database,
    run,
)

EXAMPLE = (
    PROJECT_ROOT.parent / "shared" / "external" / "gs1-epcis" / "examples"
    / "Example_9.6.1-ObjectEvent.jsonld"
)  # fmt: skip


def documents(count: int, events: int) -> list[bytes]:
    """`count` documents of `events` ObjectEvents each, all different."""
    template = json.loads(EXAMPLE.read_text())
    event = template["epcisBody"]["eventList"][0]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    built = []
    for number in range(count):
        body = copy.deepcopy(template)
        items = []
        for position in range(events):
            item = copy.deepcopy(event)
            serial = number * events + position
            moment = start + timedelta(seconds=serial)
            item["eventTime"] = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            item["epcList"] = [f"urn:epc:id:sgtin:0614141.107346.{serial}"]
            item.pop("eventID", None)
            items.append(item)
        body["epcisBody"]["eventList"] = items
        built.append(json.dumps(body).encode())
    return built


def benchmark(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    with postgresql_database(args.database_url) as (url, name):
        env = child_env(tmp, url)
        run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"], env, "migrate")
        os.environ.update(env)
        from app import create_app
        from core.db import db
        from ledger import services
        from marketplace import services as marketplace
        from marketplace.domain import CompanyRole

        application = create_app()
        with application.app_context():
            owner = marketplace.register_company(
                legal_name="Bench Traceability Co., Ltd.",
                country="CN",
                registration_number="914403001922038216",
                province="广东省",
                city="深圳市",
                address="南山区科技园 1 号",
                roles={CompanyRole.SUPPLIER},
                email="bench-ledger@example.com",
                password="bench-password-123",
                display_name="Bench",
            )
            company_id = owner.company_id
            bodies = documents(args.documents, args.events)
            validator = services.epcis_validator()
            seconds, validate_seconds = [], []
            for body in bodies:
                started = time.perf_counter()
                validator.validate_body(body)
                validate_seconds.append(time.perf_counter() - started)
                started = time.perf_counter()
                services.capture(company_id, body)
                seconds.append(time.perf_counter() - started)
            started = time.perf_counter()
            replay_new = services.capture(company_id, bodies[0]).new_count
            replay_seconds = time.perf_counter() - started
            started = time.perf_counter()
            sealed = services.seal_due_batches(size=1000, max_age=timedelta(0))
            seal_seconds = time.perf_counter() - started
            started = time.perf_counter()
            chain = services.ledger_chain()
            services.anchor_batches(chain, confirmations=1)
            services.anchor_batches(chain, confirmations=1)
            anchor_seconds = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
        total_events = args.documents * args.events
        return {
            "database": name,
            "documents": args.documents,
            "events_per_document": args.events,
            "events_per_second": round(total_events / sum(seconds), 1),
            "document_seconds_median": round(statistics.median(seconds), 3),
            "validation_seconds_median": round(statistics.median(validate_seconds), 3),
            "replay_seconds": round(replay_seconds, 3),
            "replay_new_events": replay_new,
            "batches_sealed": len(sealed),
            "seal_seconds": round(seal_seconds, 2),
            "anchor_and_confirm_seconds": round(anchor_seconds, 2),
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument(
        "--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sharefab-bench-ledger-"))
    try:
        result = benchmark(args, tmp)
    except BenchError as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        f"capture of {result['documents']} documents × {result['events_per_document']} events "
        f"on PostgreSQL: {result['events_per_second']:,.0f} events/s (a document: median "
        f"{result['document_seconds_median']} s, of which validation "
        f"{result['validation_seconds_median']} s)"
    )
    print(
        f"replaying a document: {result['replay_seconds']} s, {result['replay_new_events']} "
        f"new events; sealing {result['batches_sealed']} batches: {result['seal_seconds']} s; "
        f"anchoring and confirming them: {result['anchor_and_confirm_seconds']} s"
    )
    print("RESULT " + json.dumps(result, sort_keys=True))
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
