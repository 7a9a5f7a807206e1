"""The ledger's Merkle tree follows OpenZeppelin's StandardMerkleTree; entries hash by RFC 8785."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest
import rfc8785
from eth_abi import encode
from eth_utils import keccak
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    LEDGER_LEAF_ENCODING,
    EmptyTree,
    LeafNotInTree,
    MalformedProof,
    MalformedTree,
    MerkleError,
    MultiProof,
    StandardMerkleTree,
    canonical_json,
    entry_digest,
    entry_leaf,
    entry_leaf_hash,
    hash_pair,
    leaf_hash,
    process_multiproof,
    process_proof,
    tree_of_entries,
    verify,
    verify_multiproof,
)

words = st.binary(min_size=32, max_size=32)
word_values = st.lists(words, min_size=1, max_size=40, unique=True).map(
    lambda items: [(item,) for item in items]
)


def flip_bit(data: bytes, bit: int) -> bytes:
    """Return the bytes with one bit inverted."""
    position = bit % (len(data) * 8)
    changed = bytearray(data)
    changed[position // 8] ^= 1 << (position % 8)
    return bytes(changed)


def reference_leaf_hash(types: list[str], values: list[object]) -> bytes:
    """Hash a leaf the way the npm package and Solidity spell it, through eth_utils."""
    return keccak(keccak(encode(types, values)))


# --- known vectors from @openzeppelin/merkle-tree 1.0.8 -----------------------------------------

README_VALUES = [
    ["0x1111111111111111111111111111111111111111", "5000000000000000000"],
    ["0x2222222222222222222222222222222222222222", "2500000000000000000"],
]


def test_readme_example_has_the_root_and_dump_the_npm_package_prints():
    tree = StandardMerkleTree.of(README_VALUES, ["address", "uint256"])

    assert "0x" + tree.root.hex() == (
        "0xd4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77"
    )
    assert tree.dump() == {
        "format": "standard-v1",
        "leafEncoding": ["address", "uint256"],
        "tree": [
            "0xd4dee0beab2d53f2cc83e567171bd2820e49898130a22622b10ead383e90bd77",
            "0xeb02c421cfa48976e66dfb29120745909ea3a0f843456c263cf8f1253483e283",
            "0xb92c48e9d7abe27fd8dfd6b5dfdbfb1c9a463f80c712b66f3a5180a090cccafc",
        ],
        "values": [
            {"value": README_VALUES[0], "treeIndex": 1},
            {"value": README_VALUES[1], "treeIndex": 2},
        ],
    }
    assert tree.proof(0) == [
        bytes.fromhex("b92c48e9d7abe27fd8dfd6b5dfdbfb1c9a463f80c712b66f3a5180a090cccafc")
    ]


def test_single_bytes32_leaf_has_the_root_the_npm_package_prints():
    tree = StandardMerkleTree.of([[bytes.fromhex("ab" * 32)]], ["bytes32"])

    assert tree.root.hex() == "da3cbdb11b9992efff8480118052300c383f2df80454c77fa86afc1e55fd2123"


# --- hashes --------------------------------------------------------------------------------------


@given(st.lists(words, min_size=1, max_size=3))
def test_leaf_hash_is_keccak_of_keccak_of_the_abi_encoding(items):
    types = ["bytes32"] * len(items)

    assert leaf_hash(types, items) == reference_leaf_hash(types, items)


def test_leaf_hash_encodes_other_types_through_eth_abi():
    values = [7, b"\x01" * 32, True, "中文 é 😀", b"\x00\xff"]
    types = ["uint256", "bytes32", "bool", "string", "bytes"]

    assert leaf_hash(types, values) == reference_leaf_hash(types, values)


def test_leaf_hash_takes_values_as_json_carries_them():
    assert leaf_hash(["bytes32", "uint256"], ["0x" + "ab" * 32, "12"]) == reference_leaf_hash(
        ["bytes32", "uint256"], [b"\xab" * 32, 12]
    )


def test_leaf_hash_needs_one_value_per_type():
    with pytest.raises(MerkleError):
        leaf_hash(["bytes32", "bytes32"], [b"\x00" * 32])


@given(words, words)
def test_hash_pair_is_commutative_keccak_of_the_sorted_pair(a, b):
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


# --- proofs --------------------------------------------------------------------------------------


@settings(deadline=None)
@given(word_values, st.booleans())
def test_every_proof_verifies(values, sort_leaves):
    tree = StandardMerkleTree.of(values, ["bytes32"], sort_leaves=sort_leaves)

    for index, value in enumerate(values):
        proof = tree.proof(index)
        assert verify(tree.root, leaf_hash(["bytes32"], value), proof)
        assert StandardMerkleTree.verify(tree.root, ["bytes32"], value, proof)
        assert process_proof(tree.leaf(index), proof) == tree.root
        assert tree.leaf_index(value) == index


@settings(deadline=None)
@given(word_values, st.data())
def test_a_changed_value_does_not_verify(values, data):
    tree = StandardMerkleTree.of(values, ["bytes32"])
    index = data.draw(st.integers(0, len(values) - 1))
    changed = flip_bit(values[index][0], data.draw(st.integers(0, 255)))

    assert not StandardMerkleTree.verify(tree.root, ["bytes32"], [changed], tree.proof(index))


@settings(deadline=None)
@given(word_values.filter(lambda values: len(values) >= 2), st.data())
def test_a_changed_proof_does_not_verify(values, data):
    tree = StandardMerkleTree.of(values, ["bytes32"])
    index = data.draw(st.integers(0, len(values) - 1))
    leaf = tree.leaf(index)
    proof = tree.proof(index)
    at = data.draw(st.integers(0, len(proof) - 1))
    changed = [*proof[:at], flip_bit(proof[at], data.draw(st.integers(0, 255))), *proof[at + 1 :]]
    extra = data.draw(words)

    assert not verify(tree.root, leaf, changed)
    assert not verify(tree.root, leaf, proof[:-1])
    assert not verify(tree.root, leaf, [*proof, extra])
    assert not verify(tree.root, leaf, [*proof[:at], proof[at][:31], *proof[at + 1 :]])


@settings(deadline=None)
@given(word_values, st.integers(0, 255))
def test_a_changed_root_does_not_verify(values, bit):
    tree = StandardMerkleTree.of(values, ["bytes32"])
    root = flip_bit(tree.root, bit)

    for index in range(len(values)):
        assert not verify(root, tree.leaf(index), tree.proof(index))


@settings(deadline=None)
@given(
    st.lists(words, min_size=1, max_size=40, unique=True).flatmap(
        lambda items: st.tuples(st.just(items), st.permutations(items))
    )
)
def test_insertion_order_does_not_change_a_sorted_tree(lists):
    given_order, shuffled = lists

    first = StandardMerkleTree.of([[item] for item in given_order], ["bytes32"])
    second = StandardMerkleTree.of([[item] for item in shuffled], ["bytes32"])

    assert first.root == second.root
    assert first.tree == second.tree


@given(word_values)
def test_unsorted_tree_keeps_the_given_order_at_the_end_of_the_array(values):
    tree = StandardMerkleTree.of(values, ["bytes32"], sort_leaves=False)

    assert [tree.tree[-1 - i] for i in range(len(values))] == [
        leaf_hash(["bytes32"], value) for value in values
    ]


@given(word_values)
def test_sorted_tree_holds_its_leaves_in_ascending_hash_order_from_the_end(values):
    tree = StandardMerkleTree.of(values, ["bytes32"])
    leaves = [tree.tree[-1 - i] for i in range(len(values))]

    assert leaves == sorted(leaves)


@given(words)
def test_single_leaf_tree_is_its_own_root_with_an_empty_proof(item):
    tree = StandardMerkleTree.of([[item]], ["bytes32"])

    assert tree.root == leaf_hash(["bytes32"], [item]) == tree.leaf(0)
    assert tree.proof(0) == []
    assert verify(tree.root, tree.leaf(0), [])


@given(words, words)
def test_two_leaf_tree_hashes_the_pair_and_proves_each_by_the_other(a, b):
    assume(a != b)
    tree = StandardMerkleTree.of([[a], [b]], ["bytes32"])
    leaf_a, leaf_b = leaf_hash(["bytes32"], [a]), leaf_hash(["bytes32"], [b])

    assert tree.root == hash_pair(leaf_a, leaf_b)
    assert tree.proof(0) == [leaf_b]
    assert tree.proof(1) == [leaf_a]


def test_a_value_given_twice_is_found_at_its_last_index_as_npm_finds_it():
    a, b = b"\x01" * 32, b"\x02" * 32
    tree = StandardMerkleTree.of([[a], [b], [a]], ["bytes32"])

    assert tree.leaf_index([a]) == 2
    assert verify(tree.root, tree.leaf(0), tree.proof(0))
    assert verify(tree.root, tree.leaf(2), tree.proof(2))


def test_a_value_not_in_the_tree_has_no_index():
    tree = StandardMerkleTree.of([[b"\x01" * 32]], ["bytes32"])

    with pytest.raises(LeafNotInTree):
        tree.leaf_index([b"\x02" * 32])


def test_an_index_outside_the_tree_has_no_proof():
    tree = StandardMerkleTree.of([[b"\x01" * 32], [b"\x02" * 32]], ["bytes32"])

    for index in (-1, 2):
        with pytest.raises(IndexError):
            tree.proof(index)


def test_a_tree_needs_a_leaf():
    with pytest.raises(EmptyTree):
        StandardMerkleTree.of([], ["bytes32"])


def test_a_proof_node_that_is_not_32_bytes_is_refused():
    with pytest.raises(MalformedProof):
        process_proof(b"\x00" * 32, [b"\x00" * 31])
    assert not verify(b"\x00" * 32, b"\x00" * 32, [b"\x00" * 31])


# --- multiproofs ---------------------------------------------------------------------------------


@settings(deadline=None)
@given(word_values, st.data())
def test_every_multiproof_verifies(values, data):
    tree = StandardMerkleTree.of(values, ["bytes32"])
    chosen = data.draw(st.lists(st.integers(0, len(values) - 1), unique=True))

    multiproof = tree.multiproof(chosen)
    leaves = [leaf_hash(["bytes32"], value) for value in multiproof.leaves]

    assert sorted(multiproof.leaves) == sorted(values[index] for index in chosen)
    assert StandardMerkleTree.verify_multiproof(tree.root, ["bytes32"], multiproof)
    assert process_multiproof(leaves, multiproof.proof, multiproof.proof_flags) == tree.root


@settings(deadline=None)
@given(word_values.filter(lambda values: len(values) >= 2), st.data())
def test_a_changed_multiproof_does_not_verify(values, data):
    tree = StandardMerkleTree.of(values, ["bytes32"])
    chosen = data.draw(st.lists(st.integers(0, len(values) - 1), min_size=1, unique=True))
    multiproof = tree.multiproof(chosen)
    leaves = [leaf_hash(["bytes32"], value) for value in multiproof.leaves]
    at = data.draw(st.integers(0, len(leaves) - 1))
    changed = [
        *leaves[:at],
        flip_bit(leaves[at], data.draw(st.integers(0, 255))),
        *leaves[at + 1 :],
    ]

    assert not verify_multiproof(tree.root, changed, multiproof.proof, multiproof.proof_flags)
    assert not verify_multiproof(
        flip_bit(tree.root, 0), leaves, multiproof.proof, multiproof.proof_flags
    )
    if multiproof.proof:
        assert not verify_multiproof(
            tree.root,
            leaves,
            [flip_bit(multiproof.proof[0], 0), *multiproof.proof[1:]],
            multiproof.proof_flags,
        )
    assert not verify_multiproof(
        tree.root, leaves, multiproof.proof, [*multiproof.proof_flags, True]
    )


def test_multiproof_of_nothing_is_the_root():
    tree = StandardMerkleTree.of([[b"\x01" * 32], [b"\x02" * 32]], ["bytes32"])

    multiproof = tree.multiproof([])

    assert multiproof == MultiProof(leaves=[], proof=[tree.root], proof_flags=[])
    assert verify_multiproof(tree.root, [], [tree.root], [])


def test_multiproof_refuses_an_index_given_twice():
    tree = StandardMerkleTree.of([[b"\x01" * 32], [b"\x02" * 32]], ["bytes32"])

    with pytest.raises(MerkleError):
        tree.multiproof([1, 1])


# --- dump and load -------------------------------------------------------------------------------


@settings(deadline=None)
@given(word_values, st.booleans())
def test_dump_loads_back_into_the_same_tree(values, sort_leaves):
    tree = StandardMerkleTree.of(values, ["bytes32"], sort_leaves=sort_leaves)

    loaded = StandardMerkleTree.load(json.loads(json.dumps(tree.dump())))

    assert loaded.root == tree.root
    assert loaded.values == tree.values
    assert [loaded.proof(i) for i in range(len(values))] == [
        tree.proof(i) for i in range(len(values))
    ]
    assert loaded.dump() == tree.dump()


def test_load_takes_the_readme_dump_with_other_types():
    dump = StandardMerkleTree.of(README_VALUES, ["address", "uint256"]).dump()

    loaded = StandardMerkleTree.load(dump)

    assert loaded.at(1) == ("0x2222222222222222222222222222222222222222", 2500000000000000000)
    assert loaded.dump() == dump


def ledger_dump() -> dict:
    values = [[bytes([i]) * 32] for i in range(1, 6)]
    return StandardMerkleTree.of(values, ["bytes32"]).dump()


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda d: d.update(format="simple-v1"), id="format"),
        pytest.param(lambda d: d.pop("leafEncoding"), id="no-encoding"),
        pytest.param(lambda d: d["tree"].__setitem__(0, "0x" + "00" * 32), id="root"),
        pytest.param(lambda d: d["tree"].__setitem__(1, "0x" + "00" * 32), id="inner-node"),
        pytest.param(lambda d: d["tree"].__setitem__(2, "0x1234"), id="short-node"),
        pytest.param(lambda d: d["values"][0].__setitem__("value", ["0x" + "ff" * 32]), id="value"),
        pytest.param(lambda d: d["values"][0].__setitem__("treeIndex", 0), id="tree-index"),
        pytest.param(lambda d: d["values"].pop(), id="missing-value"),
        pytest.param(lambda d: d.update(values=[], tree=[]), id="empty"),
    ],
)
def test_load_refuses_a_tampered_dump(tamper):
    dump = ledger_dump()
    tamper(dump)

    with pytest.raises(MalformedTree):
        StandardMerkleTree.load(dump)


# --- ledger entries and RFC 8785 -----------------------------------------------------------------


def test_canonical_json_sorts_keys_by_utf16_code_units():
    # RFC 8785 §3.2.3: the emoji (a surrogate pair, 0xD83D...) sorts before U+FB33.
    entry = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }

    assert list(json.loads(canonical_json(entry))) == [
        "\r",
        "1",
        "\u0080",
        "\u00f6",
        "\u20ac",
        "\U0001f600",
        "\ufb33",
    ]


def test_canonical_json_of_the_rfc_example():
    # RFC 8785 §3.2.2, parsed from its JSON text.
    entry = json.loads(
        r"""{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"""
    )

    assert (
        canonical_json(entry)
        == (
            '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
            '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
        ).encode()
    )


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (9007199254740991, "9007199254740991"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (0.000001, "0.000001"),
        (1e-7, "1e-7"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-1.5, "-1.5"),
        (0.1 + 0.2, "0.30000000000000004"),
    ],
)
def test_canonical_json_writes_numbers_as_ecmascript_does(number, text):
    assert canonical_json(number) == text.encode()


def test_canonical_json_keeps_unicode_as_utf8_and_escapes_only_controls():
    assert canonical_json({"name": "苏州精密 é 😀", "note": "a/b\t\u001f"}) == (
        '{"name":"苏州精密 é 😀","note":"a/b\\t\\u001f"}'.encode()
    )


@pytest.mark.parametrize(
    "value",
    [math.nan, math.inf, Decimal("1.50"), 2**53, b"raw", {1: "non-string key"}, "\ud800"],
    ids=["nan", "inf", "decimal", "unsafe-int", "bytes", "int-key", "lone-surrogate"],
)
def test_canonical_json_refuses_what_json_cannot_carry_exactly(value):
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_json({"value": value})


def test_entry_digest_ignores_key_order_and_number_spelling():
    first = {"orderId": "o-1", "quantity": 12, "amount": "1200.0000", "lines": [1.0, 2.5]}
    second = json.loads(
        '{"lines": [1, 2.50], "amount": "1200.0000", "quantity": 12.0, "orderId": "o-1"}'
    )

    assert entry_digest(first) == entry_digest(second) == keccak(canonical_json(first))


def test_entry_digest_changes_with_any_field():
    entry = {"orderId": "o-1", "quantity": 12}

    assert entry_digest(entry) != entry_digest({**entry, "quantity": 13})
    assert entry_digest(entry) != entry_digest({**entry, "note": None})


def test_entry_tree_proves_each_entry_by_its_leaf_hash():
    entries = [
        {"sequence": n, "kind": "ObjectEvent", "epc": f"urn:epc:id:sgtin:0614141.1.{n}"}
        for n in range(7)
    ]

    tree = tree_of_entries(entries)

    assert tree.leaf_encoding == LEDGER_LEAF_ENCODING == ("bytes32",)
    for index, entry in enumerate(entries):
        assert tree.at(index) == entry_leaf(entry) == (entry_digest(entry),)
        assert entry_leaf_hash(entry) == reference_leaf_hash(["bytes32"], [entry_digest(entry)])
        assert verify(tree.root, entry_leaf_hash(entry), tree.proof(index))
    assert not verify(tree.root, entry_leaf_hash({**entries[0], "sequence": 99}), tree.proof(0))
