"""Time of validating a captured EPCIS document (`ledger.epcis.EpcisValidator.validate_body`).

    .venv/bin/python bench/ledger_validation.py [--events 1000] [--repeat 5]
        [--reference ../shared/external/gs1-epcis]

Pure computation, no database. The document is built from the 37 events of GS1's 32 official
examples, taken in turn, under one `@context` that declares every example's prefixes. Each copy
gets its own EPCs, parent and event IDs and a later event time, as a real capture would: the
validator remembers strings it has found valid, so copies of the same strings would flatter it.
Quantity classes, locations and vocabulary values repeat, as they do in real captures. Each run
validates a new document (new identifiers) with the one validator, as the capture endpoint does.

Printed: the document's size, the time of loading the reference data, then per run the seconds of
parsing alone, of parse + validation + facts, and events per second; the last line is
`RESULT {json}` with the medians. Never asserts on the figures.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from ledger.epcis import EpcisValidator, parse_capture_body  # noqa: E402  (the root must be importable)

DEFAULT_REFERENCE = PROJECT_ROOT.parent / "shared" / "external" / "gs1-epcis"
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
# Fields holding the identifiers of the things an event is about: unique per copy.
INSTANCE_FIELDS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList", "parentID")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def example_events(reference: Path) -> tuple[list[Any], list[dict[str, Any]]]:
    """Return the examples' inline context objects (each once) and all their events."""
    contexts: list[Any] = [EPCIS_CONTEXT]
    events = []
    for path in sorted((reference / "examples").glob("*.jsonld")):
        document = json.loads(path.read_text(encoding="utf-8"))
        for entry in document["@context"]:
            if isinstance(entry, dict) and entry not in contexts:
                contexts.append(entry)
        events.extend(document["epcisBody"]["eventList"])
    return contexts, events


def build_document(
    contexts: list[Any], events: list[dict[str, Any]], count: int, run: int
) -> bytes:
    """An EPCISDocument of `count` events, the examples' in turn, each about its own objects."""
    body = []
    for index in range(count):
        serial = run * count + index
        event = copy.deepcopy(events[index % len(events)])
        for field in INSTANCE_FIELDS:
            value = event.get(field)
            if isinstance(value, list):
                event[field] = [f"{item}{serial}" for item in value]
            elif isinstance(value, str):
                event[field] = f"{value}{serial}"
        if "eventID" in event:
            event["eventID"] = uuid.UUID(int=serial + 1).urn
        time_of_event = datetime.fromisoformat(event["eventTime"]) + timedelta(seconds=serial)
        event["eventTime"] = time_of_event.isoformat(timespec="milliseconds")
        body.append(event)
    document = {
        "@context": contexts,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-01-15T08:00:00.000+08:00",
        "epcisBody": {"eventList": body},
    }
    return json.dumps(document).encode()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000, help="events in the document")
    parser.add_argument("--repeat", type=int, default=5, help="runs (new document each)")
    parser.add_argument(
        "--reference", type=Path, default=DEFAULT_REFERENCE, help="GS1 EPCIS reference directory"
    )
    args = parser.parse_args()
    if args.events < 1 or args.repeat < 1:
        parser.error("--events and --repeat must be positive")
    return args


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    validator = EpcisValidator.from_directory(args.reference)
    load_seconds = time.perf_counter() - started
    contexts, events = example_events(args.reference)
    log(f"{len(events)} example events; building {args.repeat} documents of {args.events}")
    documents = [build_document(contexts, events, args.events, run) for run in range(args.repeat)]

    print(f"environment: CPUs={os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    print(f"document: {args.events} events, {len(documents[0]):,} bytes; "
          f"reference data loaded in {load_seconds:.3f} s")  # fmt: skip
    print()
    print(f"{'run':>3} {'parse s':>8} {'validate s':>11} {'events/s':>9}")
    parse_times, total_times = [], []
    for run, body in enumerate(documents):
        started = time.perf_counter()
        parse_capture_body(body)
        parse_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        captured = validator.validate_body(body)
        total_times.append(time.perf_counter() - started)
        assert len(captured.events) == args.events
        print(f"{run:>3} {parse_times[-1]:>8.3f} {total_times[-1]:>11.3f} "
              f"{args.events / total_times[-1]:>9,.0f}")  # fmt: skip
    seconds = statistics.median(total_times)
    print()
    print("validate s: parse + JSON Schema + our checks + facts, from the request body's bytes")
    result = {
        "events": args.events,
        "bytes": len(documents[0]),
        "repeat": args.repeat,
        "load_seconds": round(load_seconds, 3),
        "parse_seconds_median": round(statistics.median(parse_times), 4),
        "seconds_median": round(seconds, 4),
        "events_per_second": round(args.events / seconds, 1),
    }
    print("RESULT " + json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
