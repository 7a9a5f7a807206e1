"""ledger.merkle builds, dumps and proves trees exactly as npm `@openzeppelin/merkle-tree` does."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ledger.merkle import (
    MalformedTree,
    MultiProof,
    StandardMerkleTree,
    entry_leaf,
    tree_of_entries,
    verify,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("merkle_oz.mjs")
PACKAGE = PROJECT_ROOT / "node_modules" / "@openzeppelin" / "merkle-tree" / "package.json"
NODE = shutil.which("node")

if NODE is None:
    pytest.skip("node is not on PATH", allow_module_level=True)
if not PACKAGE.exists():
    pytest.skip(
        "node_modules/@openzeppelin/merkle-tree is missing (npm ci)", allow_module_level=True
    )

SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33, 100, 257]


def run_node(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run the jobs through the npm package and return its results, one per job."""
    assert NODE is not None
    completed = subprocess.run(
        [NODE, str(SCRIPT)],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    assert len(results) == len(jobs)
    return results


def hexes(nodes: list[bytes]) -> list[str]:
    return ["0x" + node.hex() for node in nodes]


def random_words(count: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [["0x" + rng.randbytes(32).hex()] for _ in range(count)]


def multiproof_json(multiproof: MultiProof) -> dict[str, Any]:
    """Return a multiproof of bytes32 values in the npm package's JSON shape."""
    return {
        "leaves": [hexes(list(leaf)) for leaf in multiproof.leaves],
        "proof": hexes(multiproof.proof),
        "proofFlags": multiproof.proof_flags,
    }


def chosen_subsets(size: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    subsets = [[], list(range(size)), [size - 1]]
    subsets += [rng.sample(range(size), rng.randint(1, size)) for _ in range(3)]
    return subsets


def realistic_entries(count: int) -> list[dict[str, Any]]:
    return [
        {
            "sequence": n,
            "type": "ObjectEvent",
            "eventTime": f"2025-03-{1 + n % 28:02d}T08:{n % 60:02d}:00.000Z",
            "bizStep": "shipping" if n % 3 else "commissioning",
            "epcList": [f"urn:epc:id:sgtin:0614141.107346.{n}"],
            "orderId": f"ord-{n // 4}",
            "amount": {"value": f"{n * 12.5:.4f}", "currency": "CNY"},
            "note": "苏州精密 — 批次 ✓",
        }
        for n in range(count)
    ]


@pytest.fixture(scope="module")
def word_trees() -> list[tuple[dict[str, Any], StandardMerkleTree, dict[str, Any]]]:
    """Trees of random bytes32 values of many sizes, sorted and not, built here and in Node."""
    jobs, trees = [], []
    for size in SIZES:
        for sort_leaves in (True, False):
            values = random_words(size, seed=size)
            jobs.append(
                {
                    "op": "of",
                    "values": values,
                    "leafEncoding": ["bytes32"],
                    "sortLeaves": sort_leaves,
                    "multiproofs": chosen_subsets(size, seed=size),
                }
            )
            trees.append(StandardMerkleTree.of(values, ["bytes32"], sort_leaves=sort_leaves))
    return list(zip(jobs, trees, run_node(jobs), strict=True))


def test_roots_dumps_and_proofs_match_npm_for_every_size(word_trees):
    for job, tree, npm in word_trees:
        assert "0x" + tree.root.hex() == npm["root"], job
        assert tree.dump() == npm["dump"], job
        assert [hexes(tree.proof(i)) for i in range(len(tree))] == npm["proofs"], job
        assert [hexes(tree.proof(tree.leaf_index(value))) for value in job["values"]] == npm[
            "proofsByValue"
        ], job


def test_multiproofs_match_npm(word_trees):
    for job, tree, npm in word_trees:
        for chosen, expected in zip(job["multiproofs"], npm["multiproofs"], strict=True):
            multiproof = tree.multiproof(chosen)
            assert [["0x" + leaf[0].hex()] for leaf in multiproof.leaves] == expected["leaves"]
            assert hexes(multiproof.proof) == expected["proof"]
            assert multiproof.proof_flags == expected["proofFlags"]


def test_npm_dumps_load_here_and_npm_proofs_verify_here(word_trees):
    for _job, tree, npm in word_trees:
        loaded = StandardMerkleTree.load(npm["dump"])

        assert loaded.root == tree.root
        assert loaded.dump() == npm["dump"]
        for index, proof in enumerate(npm["proofs"]):
            nodes = [bytes.fromhex(node[2:]) for node in proof]
            assert verify(loaded.root, loaded.leaf(index), nodes)
            assert StandardMerkleTree.verify(loaded.root, ["bytes32"], loaded.at(index), nodes)
        for expected in npm["multiproofs"]:
            multiproof = MultiProof(
                leaves=[
                    tuple(bytes.fromhex(item[2:]) for item in leaf) for leaf in expected["leaves"]
                ],
                proof=[bytes.fromhex(node[2:]) for node in expected["proof"]],
                proof_flags=expected["proofFlags"],
            )
            assert StandardMerkleTree.verify_multiproof(loaded.root, ["bytes32"], multiproof)


def test_our_dumps_load_in_npm_and_our_proofs_verify_there(word_trees):
    jobs = []
    for _job, tree, _npm in word_trees:
        chosen = chosen_subsets(len(tree), seed=len(tree) + 1)
        jobs.append(
            {
                "op": "load",
                "dump": tree.dump(),
                "proofs": [hexes(tree.proof(i)) for i in range(len(tree))],
                "multiproofs": [multiproof_json(tree.multiproof(c)) for c in chosen],
            }
        )

    results = run_node(jobs)

    for job, result, (_, tree, _) in zip(jobs, results, word_trees, strict=True):
        assert "error" not in result, result.get("error")
        assert result["root"] == "0x" + tree.root.hex()
        assert result["dump"] == job["dump"]
        assert result["proofs"] == job["proofs"]
        assert result["verified"] == [True] * len(tree)
        assert result["staticVerified"] == [True] * len(tree)
        assert result["multiVerified"] == [True] * len(job["multiproofs"])


def test_ledger_entry_trees_match_npm():
    entries = realistic_entries(300)
    tree = tree_of_entries(entries)
    values = [["0x" + entry_leaf(entry)[0].hex()] for entry in entries]

    (npm,) = run_node([{"op": "of", "values": values, "leafEncoding": ["bytes32"]}])

    assert npm["root"] == "0x" + tree.root.hex()
    assert npm["dump"] == tree.dump()
    assert npm["proofs"] == [hexes(tree.proof(i)) for i in range(len(tree))]


def test_a_large_tree_matches_npm():
    values = random_words(20_000, seed=20_000)
    tree = StandardMerkleTree.of(values, ["bytes32"])

    sample = list(range(0, len(values), 997))

    (npm,) = run_node(
        [{"op": "of", "values": values, "leafEncoding": ["bytes32"], "proofIndices": sample}]
    )

    assert npm["root"] == "0x" + tree.root.hex()
    assert npm["dump"] == tree.dump()
    assert npm["proofs"] == [hexes(tree.proof(i)) for i in sample]
    assert npm["proofsByValue"] == npm["proofs"]


def test_duplicate_values_build_the_same_tree_as_npm():
    values = [*random_words(5, seed=5), *random_words(3, seed=5)]
    tree = StandardMerkleTree.of(values, ["bytes32"])

    (npm,) = run_node([{"op": "of", "values": values, "leafEncoding": ["bytes32"]}])

    assert npm["dump"] == tree.dump()
    assert npm["proofsByValue"] == [hexes(tree.proof(tree.leaf_index(value))) for value in values]


@pytest.mark.parametrize(
    ("leaf_encoding", "values"),
    [
        (
            ["address", "uint256"],
            [
                ["0x1111111111111111111111111111111111111111", "5000000000000000000"],
                ["0x2222222222222222222222222222222222222222", "2500000000000000000"],
                ["0x3333333333333333333333333333333333333333", "1"],
            ],
        ),
        (["string"], [["苏州精密"], [""], ["a" * 100], ["😀 é"]]),
        (["bytes"], [["0x"], ["0x00"], ["0x" + "ab" * 70]]),
        (
            ["bytes32", "uint64", "bool"],
            [["0x" + "01" * 32, "7", True], ["0x" + "02" * 32, "18446744073709551615", False]],
        ),
        (
            ["bytes32", "bytes32"],
            [["0x" + "01" * 32, "0x" + "02" * 32], ["0x" + "03" * 32, "0x" + "04" * 32]],
        ),
        (["(uint256,bytes32)[]"], [[[["1", "0x" + "ab" * 32], ["2", "0x" + "cd" * 32]]], [[]]]),
    ],
    ids=["address-uint256", "string", "bytes", "mixed", "two-words", "tuple-array"],
)
def test_other_leaf_encodings_match_npm(leaf_encoding, values):
    tree = StandardMerkleTree.of(values, leaf_encoding)

    (built, loaded) = run_node(
        [
            {"op": "of", "values": values, "leafEncoding": leaf_encoding},
            {
                "op": "load",
                "dump": tree.dump(),
                "proofs": [hexes(tree.proof(i)) for i in range(len(tree))],
            },
        ]
    )

    assert built["dump"] == tree.dump()
    assert built["proofs"] == [hexes(tree.proof(i)) for i in range(len(tree))]
    assert loaded["verified"] == [True] * len(tree)
    assert StandardMerkleTree.load(built["dump"]).dump() == built["dump"]


def test_a_tampered_dump_is_refused_here_and_by_npm():
    tree = StandardMerkleTree.of(random_words(9, seed=9), ["bytes32"])
    tampered_node = tree.dump()
    tampered_node["tree"][3] = "0x" + "00" * 32
    tampered_value = tree.dump()
    tampered_value["values"][4]["value"] = ["0x" + "ff" * 32]

    results = run_node(
        [{"op": "load", "dump": tampered_node}, {"op": "load", "dump": tampered_value}]
    )

    assert all("error" in result for result in results), results
    for dump in (tampered_node, tampered_value):
        with pytest.raises(MalformedTree):
            StandardMerkleTree.load(dump)
