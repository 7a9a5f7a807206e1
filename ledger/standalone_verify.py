#!/usr/bin/env python3
"""Verify a ShareFab ledger proof without trusting ShareFab.

    python3 standalone_verify.py PROOF.json --rpc http://127.0.0.1:8545 [--contract 0x...]

PROOF.json is what `GET /api/v1/ledger/entries/{id}/proof` returns. The script

1. recomputes the entry's leaf: keccak256(keccak256(abi.encode(bytes32 keccak256(RFC 8785 JSON of
   the entry)))) — OpenZeppelin's StandardMerkleTree leaf of one bytes32 value;
2. folds the Merkle proof (keccak256 of each sorted pair, as OpenZeppelin's MerkleProof does) and
   compares the result with the proof's root;
3. asks the chain, over plain JSON-RPC (`eth_call` of the contract's `root_of(uint256)`), which
   root is anchored for the batch, and compares.

It needs Python 3.9+, `rfc8785` (RFC 8785 canonical JSON) and `pycryptodome` (Keccak-256), nothing
of ShareFab: copy this one file anywhere. Exit status 0 verified, 1 not verified, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from typing import Any

import rfc8785
from Crypto.Hash import keccak


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def leaf_of(entry_body: Any) -> bytes:
    digest = keccak256(rfc8785.dumps(entry_body))
    # abi.encode of a single bytes32 is those 32 bytes; the standard leaf hashes twice.
    return keccak256(keccak256(digest))


def fold(leaf: bytes, proof: list[bytes]) -> bytes:
    node = leaf
    for sibling in proof:
        node = keccak256(node + sibling if node <= sibling else sibling + node)
    return node


def root_on_chain(rpc_url: str, contract: str, batch_number: int) -> bytes:
    selector = keccak256(b"root_of(uint256)")[:4]
    data = "0x" + selector.hex() + batch_number.to_bytes(32, "big").hex()
    call = {"to": contract, "data": data}
    payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_call", "params": [call, "latest"]}
    request = urllib.request.Request(
        rpc_url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        answer = json.load(response)
    if "error" in answer:
        raise RuntimeError(f"the node refused the call: {answer['error']}")
    return bytes.fromhex(answer["result"][2:])


def hex32(value: Any) -> bytes:
    if not (isinstance(value, str) and value.startswith("0x") and len(value) == 66):
        raise ValueError(f"{value!r} is not a 32-byte hex value")
    return bytes.fromhex(value[2:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a ShareFab ledger proof end to end.")
    parser.add_argument("proof", help="the proof JSON file")
    parser.add_argument("--rpc", required=True, help="a JSON-RPC URL of the chain")
    parser.add_argument("--contract", help="the anchoring contract (default: the proof's)")
    args = parser.parse_args(argv)
    try:
        with open(args.proof, encoding="utf-8") as handle:
            document = json.load(handle)
        leaf = hex32(document["leaf"])
        proof = [hex32(node) for node in document["proof"]]
        root = hex32(document["root"])
        batch_number = int(document["batch"]["number"])
        contract = args.contract or document["chain"]["contract_address"]
        recomputed = leaf_of(document["entry"]["body"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"not a proof: {error}", file=sys.stderr)
        return 2
    checks = {
        "the entry gives the proof's leaf": recomputed == leaf,
        "the proof reaches the root": fold(leaf, proof) == root,
    }
    try:
        checks["the chain holds the root for the batch"] = (
            root_on_chain(args.rpc, contract, batch_number) == root
        )
    except (OSError, RuntimeError, ValueError, KeyError) as error:
        print(f"cannot read the chain: {error}", file=sys.stderr)
        checks["the chain holds the root for the batch"] = False
    for check, passed in checks.items():
        print(f"{'ok  ' if passed else 'FAIL'} {check}")
    verified = all(checks.values())
    print("verified" if verified else "NOT verified")
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
