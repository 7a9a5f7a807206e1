"""Time of the ledger's Merkle tree (`ledger.merkle`) over 100,000 entries.

    .venv/bin/python bench/ledger_merkle.py [--entries 100000] [--repeat 3] [--proofs 100000]
        [--verifies 10000] [--multiproof 100] [--seed 1] [--no-memory]

Pure computation, no database. Target: a batch of 100,000 entries builds and yields all its
proofs in seconds.

The entries imitate the ledger's records: EPCIS 2.0 object, aggregation and transformation
events of a manufacturing order (commissioning, inspecting, packing, shipping, receiving), each
with a sequence number, the hash of the previous entry, the order and company it belongs to,
EPCs (SGTINs, an SSCC for aggregations), a read point, a quantity with its unit, sometimes a
milestone amount (a Decimal-like string with its currency) and a sensor reading, and Chinese text
in some notes. Each becomes a leaf through its RFC 8785 JSON: value = keccak256(JCS bytes), leaf
encoding ["bytes32"].

Measured: the canonicalisation and digest of every entry; the build of the tree (best and median
of --repeat builds); every proof (total) and single proofs (p50/p95 of --proofs timed one by
one); single verifications from the leaf hash (p50/p95 of --verifies); a multiproof of
--multiproof entries; dump to and load from "standard-v1" JSON (the size of the JSON); and,
unless --no-memory, the memory the tree holds (tracemalloc, on a separate build, since tracing
slows it). Progress goes to stderr; the figures go to stdout, whose last line is `RESULT {json}`.
Never asserts on the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from ledger import merkle  # noqa: E402  (the project root must be importable)
from ledger.merkle import (  # noqa: E402
    LEDGER_LEAF_ENCODING,
    StandardMerkleTree,
    entry_leaf,
    verify,
)

BIZ_STEPS = ("commissioning", "inspecting", "packing", "shipping", "receiving")
DISPOSITIONS = {
    "commissioning": "active",
    "inspecting": "conformant",
    "packing": "in_progress",
    "shipping": "in_transit",
    "receiving": "in_progress",
}
NOTES = (
    "",
    "",
    "",
    "首件检验合格",
    "按图纸 B-204 修订版加工",
    "客户要求加急",
    "partial lot, rest next week",
)


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def generate(count: int, seed: int) -> list[dict[str, Any]]:
    """Ledger entries of orders moving through production (deterministic in `seed`)."""
    rng = random.Random(seed)
    companies = [f"91320500MA{rng.randrange(10**7):07d}X" for _ in range(400)]
    entries = []
    previous = "0x" + "00" * 32
    started = 1_740_000_000
    for sequence in range(count):
        order = rng.randrange(count // 5 + 1)
        step = BIZ_STEPS[min(len(BIZ_STEPS) - 1, int(rng.expovariate(0.7)))]
        company = companies[order % len(companies)]
        product = rng.randrange(100_000, 999_999)
        epcs = [
            f"urn:epc:id:sgtin:0614141.{product}.{rng.randrange(10**9)}"
            for _ in range(rng.choice((1, 1, 1, 2, 4, 12)))
        ]
        moment = started + sequence * 7 + rng.randrange(7)
        entry: dict[str, Any] = {
            "sequence": sequence,
            "previousHash": previous,
            "recordedAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment)),
            "company": company,
            "order": f"ORD-2025-{order:06d}",
            "event": {
                "type": "AggregationEvent" if step == "packing" else "ObjectEvent",
                "eventID": f"ni:///sha-256;{rng.randbytes(32).hex()}?ver=CBV2.0",
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(moment - 30)),
                "eventTimeZoneOffset": "+08:00",
                "action": "ADD" if step in ("commissioning", "packing") else "OBSERVE",
                "bizStep": step,
                "disposition": DISPOSITIONS[step],
                "readPoint": {
                    "id": f"urn:epc:id:sgln:0614141.{order % 900:05d}.{rng.randrange(9)}"
                },
                "epcList": epcs,
                "quantityList": [
                    {
                        "epcClass": f"urn:epc:class:lgtin:0614141.{product}.L{order}",
                        "quantity": rng.randrange(1, 5_000),
                        "uom": "EA",
                    }
                ],
            },
        }
        if step == "packing":
            entry["event"]["parentID"] = f"urn:epc:id:sscc:0614141.{rng.randrange(10**10):010d}"
        if rng.random() < 0.15:
            entry["milestone"] = {
                "amount": f"{rng.randrange(1_000, 5_000_000) / 100:.4f}",
                "currency": "CNY",
            }
        if rng.random() < 0.3:
            entry["sensor"] = {"temperature": round(rng.uniform(18, 32), 2), "unit": "CEL"}
        note = rng.choice(NOTES)
        if note:
            entry["note"] = note
        entries.append(entry)
        previous = "0x" + rng.randbytes(32).hex()  # stands in for the previous entry's hash
    return entries


def keccak_backend() -> str:
    """Name the eth_hash backend that `ledger.merkle` hashes with."""
    hasher = merkle.keccak256
    backend = getattr(hasher, "__self__", None) or getattr(hasher, "_backend", hasher)
    return type(backend).__name__


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed_each(calls: list[Any]) -> list[float]:
    """Run each zero-argument call and return its time in microseconds."""
    clock = time.perf_counter_ns
    times = []
    for call in calls:
        start = clock()
        call()
        times.append((clock() - start) / 1_000)
    return times


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed + 1)
    log(f"generating {args.entries:,} entries")
    entries = generate(args.entries, args.seed)

    started = time.perf_counter()
    values = [entry_leaf(entry) for entry in entries]
    digest_seconds = time.perf_counter() - started
    log(f"canonicalised and hashed in {digest_seconds:.2f}s; building")

    builds = []
    tree = None
    for _ in range(args.repeat):
        started = time.perf_counter()
        tree = StandardMerkleTree.of(values, LEDGER_LEAF_ENCODING)
        builds.append(time.perf_counter() - started)
    assert tree is not None

    count = len(tree)
    started = time.perf_counter()
    proofs = [tree.proof(index) for index in range(count)]
    all_proofs_seconds = time.perf_counter() - started
    depth = max(len(proof) for proof in proofs)

    sample = rng.sample(range(count), min(args.proofs, count))
    proof_us = timed_each([lambda i=i: tree.proof(i) for i in sample])

    checked = rng.sample(range(count), min(args.verifies, count))
    root = tree.root
    leaves = {index: tree.leaf(index) for index in checked}
    verify_us = timed_each([lambda i=i: verify(root, leaves[i], proofs[i]) for i in checked])
    verified_all = all(verify(root, leaves[i], proofs[i]) for i in checked)

    chosen = rng.sample(range(count), min(args.multiproof, count))
    started = time.perf_counter()
    multiproof = tree.multiproof(chosen)
    multiproof_seconds = time.perf_counter() - started
    started = time.perf_counter()
    multiproof_ok = StandardMerkleTree.verify_multiproof(root, LEDGER_LEAF_ENCODING, multiproof)
    multiverify_seconds = time.perf_counter() - started

    log("dumping and loading")
    started = time.perf_counter()
    dumped = json.dumps(tree.dump())
    dump_seconds = time.perf_counter() - started
    started = time.perf_counter()
    loaded = StandardMerkleTree.load(json.loads(dumped))
    load_seconds = time.perf_counter() - started

    memory_mb = None
    if not args.no_memory:
        log("measuring memory")
        del loaded
        tracemalloc.start()
        traced = StandardMerkleTree.of(values, LEDGER_LEAF_ENCODING)
        held, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        memory_mb = {"held": round(held / 2**20, 1), "peak_while_building": round(peak / 2**20, 1)}
        del traced

    return {
        "entries": count,
        "depth": depth,
        "keccak": keccak_backend(),
        "digest_seconds": round(digest_seconds, 3),
        "digest_us_per_entry": round(digest_seconds / count * 1e6, 2),
        "build_seconds_best": round(min(builds), 3),
        "build_seconds_median": round(statistics.median(builds), 3),
        "all_proofs_seconds": round(all_proofs_seconds, 3),
        "proof_us_p50": round(percentile(proof_us, 0.50), 2),
        "proof_us_p95": round(percentile(proof_us, 0.95), 2),
        "proofs_timed": len(proof_us),
        "verify_us_p50": round(percentile(verify_us, 0.50), 2),
        "verify_us_p95": round(percentile(verify_us, 0.95), 2),
        "verifies_timed": len(verify_us),
        "verified_all": verified_all,
        "multiproof_leaves": len(chosen),
        "multiproof_nodes": len(multiproof.proof),
        "multiproof_ms": round(multiproof_seconds * 1e3, 2),
        "multiproof_verify_ms": round(multiverify_seconds * 1e3, 2),
        "multiproof_verified": multiproof_ok,
        "dump_seconds": round(dump_seconds, 3),
        "load_seconds": round(load_seconds, 3),
        "dump_mb": round(len(dumped) / 2**20, 1),
        "memory_mb": memory_mb,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000, help="ledger entries in the tree")
    parser.add_argument("--repeat", type=int, default=3, help="builds to time")
    parser.add_argument("--proofs", type=int, default=100_000, help="single proofs to time")
    parser.add_argument("--verifies", type=int, default=10_000, help="verifications to time")
    parser.add_argument("--multiproof", type=int, default=100, help="entries in the multiproof")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the entries")
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc build")
    args = parser.parse_args()
    if min(args.entries, args.repeat, args.proofs, args.verifies) < 1 or args.multiproof < 0:
        parser.error("counts must be positive")
    return args


def main() -> int:
    args = parse_args()
    r = run(args)
    load = os.getloadavg()[0]
    lines = [
        f"environment: CPUs={os.cpu_count()}, seed={args.seed}, load average {load:.2f}, "
        f"keccak backend {r['keccak']}",
        "",
        f"entries {r['entries']:,} (tree depth {r['depth']})",
        f"canonicalise + digest   {r['digest_seconds']:8.3f} s "
        f"({r['digest_us_per_entry']:.1f} µs per entry, RFC 8785 + keccak256)",
        f"build tree              {r['build_seconds_best']:8.3f} s best, "
        f"{r['build_seconds_median']:.3f} s median of {args.repeat}",
        f"all proofs              {r['all_proofs_seconds']:8.3f} s",
        f"one proof               {r['proof_us_p50']:8.2f} µs p50, "
        f"{r['proof_us_p95']:.2f} µs p95 ({r['proofs_timed']:,} timed)",
        f"one verify              {r['verify_us_p50']:8.2f} µs p50, "
        f"{r['verify_us_p95']:.2f} µs p95 ({r['verifies_timed']:,} timed, "
        f"all verified: {r['verified_all']})",
        f"multiproof of {r['multiproof_leaves']:<4}      {r['multiproof_ms']:8.2f} ms, "
        f"{r['multiproof_nodes']} nodes, verified in {r['multiproof_verify_ms']:.2f} ms "
        f"({r['multiproof_verified']})",
        f"dump / load JSON        {r['dump_seconds']:8.3f} s / {r['load_seconds']:.3f} s "
        f"({r['dump_mb']} MB; load re-checks every hash)",
    ]
    if r["memory_mb"] is not None:
        lines.append(
            f"memory                  {r['memory_mb']['held']:8.1f} MB held by the tree, "
            f"{r['memory_mb']['peak_while_building']} MB peak while building"
        )
    lines.append(f"max RSS                 {r['max_rss_mb']:8.1f} MB (whole process)")
    print("\n".join(lines))
    print("RESULT " + json.dumps(r, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
