"""The anchoring contract itself, on an in-process EVM (eth-tester), and its reproducible build."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import EthereumTesterProvider, Web3
from web3.contract import Contract

from ledger.contracts import ARTIFACT_PATH, SOURCE_PATH, load_anchor_artifact
from ledger.contracts.build import compile_anchor, render
from ledger.merkle import StandardMerkleTree, leaf_hash

ENCODING = ["bytes32"]
ZERO = bytes(32)


def entry_digests(count: int, salt: bytes = b"") -> list[bytes]:
    return [keccak(salt + index.to_bytes(8, "big")) for index in range(count)]


def tree_of(digests: list[bytes]) -> StandardMerkleTree:
    return StandardMerkleTree.of([[digest] for digest in digests], ENCODING)


def leaf_of(digest: bytes) -> bytes:
    return leaf_hash(ENCODING, [digest])


@pytest.fixture
def w3() -> Web3:
    return Web3(EthereumTesterProvider())


@pytest.fixture
def owner(w3: Web3) -> str:
    return w3.eth.accounts[0]


@pytest.fixture
def stranger(w3: Web3) -> str:
    return w3.eth.accounts[1]


@pytest.fixture
def contract(w3: Web3, owner: str) -> Contract:
    artifact = load_anchor_artifact()
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": owner}))
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


@pytest.fixture
def anchor(w3: Web3, contract: Contract, owner: str) -> Callable[..., dict]:
    def send(batch_number: int, root: bytes, count: int, sender: str | None = None) -> dict:
        tx_hash = contract.functions.anchor(batch_number, root, count).transact(
            {"from": sender or owner}
        )
        return dict(w3.eth.get_transaction_receipt(tx_hash))

    return send


def state_of(contract: Contract, batch_number: int) -> tuple:
    functions = contract.functions
    return (
        functions.batches().call(),
        functions.root_of(batch_number).call(),
        functions.count_of(batch_number).call(),
        functions.block_of(batch_number).call(),
    )


# -- the build --------------------------------------------------------------------------------


def test_the_committed_artifact_is_what_the_source_compiles_to() -> None:
    # Given the committed artifact and source
    committed = ARTIFACT_PATH.read_text(encoding="utf-8")

    # When the source is compiled again with the pinned compiler and settings
    rebuilt = compile_anchor()

    # Then the artifact is byte for byte the same, bytecode included
    assert render(rebuilt) == committed
    artifact = load_anchor_artifact()
    assert rebuilt["bytecode"] == artifact.bytecode
    assert rebuilt["bytecode_runtime"] == artifact.bytecode_runtime
    assert artifact.source_sha256 == hashlib.sha256(SOURCE_PATH.read_bytes()).hexdigest()
    assert artifact.compiler_version == "0.4.3"
    assert artifact.settings == {"evm_version": "paris", "optimize": "gas"}


# -- anchoring --------------------------------------------------------------------------------


def test_the_deployer_owns_the_contract_and_nothing_is_anchored(
    contract: Contract, owner: str
) -> None:
    assert contract.functions.owner().call() == owner
    assert contract.functions.batches().call() == 0
    assert contract.functions.root_of(1).call() == ZERO
    assert contract.functions.verify_in_batch(1, [], keccak(b"x")).call() is False


def test_anchoring_records_the_batch_and_emits_anchored(
    w3: Web3, contract: Contract, anchor: Callable[..., dict]
) -> None:
    # Given a 1,000-entry batch
    tree = tree_of(entry_digests(1000))

    # When the owner anchors it as batch 1
    receipt = anchor(1, tree.root, 1000)

    # Then the contract holds its root, count, block and time, and logged it
    assert receipt["status"] == 1
    assert state_of(contract, 1) == (1, tree.root, 1000, receipt["blockNumber"])
    block = w3.eth.get_block(receipt["blockNumber"])
    assert contract.functions.anchored_at(1).call() == block["timestamp"]
    (event,) = contract.events.Anchored().process_receipt(receipt)
    assert dict(event["args"]) == {"batch_number": 1, "root": tree.root, "count": 1000}
    print(f"\nanchor of a 1,000-entry batch: {receipt['gasUsed']} gas (first batch)")


def test_consecutive_batches_are_anchored_in_order(
    contract: Contract, anchor: Callable[..., dict]
) -> None:
    roots = [tree_of(entry_digests(1000, salt=bytes([n]))).root for n in range(1, 4)]
    receipts = [anchor(n, root, 1000) for n, root in enumerate(roots, start=1)]

    assert contract.functions.batches().call() == 3
    assert [contract.functions.root_of(n).call() for n in (1, 2, 3)] == roots
    print(f"\nanchor of later 1,000-entry batches: {receipts[-1]['gasUsed']} gas")


def test_anchoring_a_batch_again_reverts_and_changes_nothing(
    contract: Contract, anchor: Callable[..., dict]
) -> None:
    # Given batch 1 anchored
    root = tree_of(entry_digests(10)).root
    anchor(1, root, 10)
    before = state_of(contract, 1)

    # When it is anchored again, with the same root or another one
    # Then both revert and the first anchor stands
    for again in (root, keccak(b"other root")):
        with pytest.raises(TransactionFailed, match="batch out of order"):
            anchor(1, again, 10)
    assert state_of(contract, 1) == before


@pytest.mark.parametrize("batch_number", [0, 2, 3])
def test_a_batch_out_of_order_reverts(
    contract: Contract, anchor: Callable[..., dict], batch_number: int
) -> None:
    with pytest.raises(TransactionFailed, match="batch out of order"):
        anchor(batch_number, keccak(b"root"), 10)

    assert state_of(contract, batch_number) == (0, ZERO, 0, 0)


def test_someone_other_than_the_owner_cannot_anchor(
    contract: Contract, anchor: Callable[..., dict], stranger: str
) -> None:
    with pytest.raises(TransactionFailed, match="not owner"):
        anchor(1, keccak(b"root"), 10, sender=stranger)

    assert state_of(contract, 1) == (0, ZERO, 0, 0)


@pytest.mark.parametrize(
    ("root", "count", "reason"),
    [
        (ZERO, 10, "empty root"),
        (keccak(b"root"), 0, "empty batch"),
        (keccak(b"root"), 2**64, "count too large"),
    ],
)
def test_an_empty_root_or_a_count_out_of_range_reverts(
    contract: Contract, anchor: Callable[..., dict], root: bytes, count: int, reason: str
) -> None:
    with pytest.raises(TransactionFailed, match=reason):
        anchor(1, root, count)

    assert state_of(contract, 1) == (0, ZERO, 0, 0)


def test_the_owner_can_hand_anchoring_to_a_new_key(
    contract: Contract, anchor: Callable[..., dict], owner: str, stranger: str
) -> None:
    # Given the owner rotated the anchoring key to `stranger`
    contract.functions.transfer_ownership(stranger).transact({"from": owner})

    # Then only the new key anchors
    with pytest.raises(TransactionFailed, match="not owner"):
        anchor(1, keccak(b"root"), 10, sender=owner)
    anchor(1, keccak(b"root"), 10, sender=stranger)
    assert contract.functions.owner().call() == stranger
    assert contract.functions.batches().call() == 1


def test_someone_other_than_the_owner_cannot_take_ownership(
    contract: Contract, owner: str, stranger: str
) -> None:
    with pytest.raises(TransactionFailed, match="not owner"):
        contract.functions.transfer_ownership(stranger).transact({"from": stranger})

    assert contract.functions.owner().call() == owner


# -- proofs -----------------------------------------------------------------------------------


def test_verify_accepts_the_proofs_of_a_1000_entry_tree(contract: Contract) -> None:
    digests = entry_digests(1000)
    tree = tree_of(digests)
    verify = contract.functions.verify

    for index in [0, 1, 2, 499, 500, 997, 998, 999, *range(3, 1000, 97)]:
        proof = tree.proof(index)
        assert verify(proof, tree.root, leaf_of(digests[index])).call() is True


def test_verify_accepts_a_single_leaf_tree_with_an_empty_proof(contract: Contract) -> None:
    (digest,) = entry_digests(1)
    tree = tree_of([digest])

    assert tree.proof(0) == []
    assert contract.functions.verify([], tree.root, leaf_of(digest)).call() is True


def test_verify_rejects_a_wrong_leaf_root_or_proof(contract: Contract) -> None:
    digests = entry_digests(1000)
    tree = tree_of(digests)
    other_tree = tree_of(entry_digests(1000, salt=b"other"))
    proof, leaf = tree.proof(7), leaf_of(digests[7])
    verify = contract.functions.verify

    # A leaf that is not in the tree
    assert verify(proof, tree.root, leaf_of(keccak(b"forged entry"))).call() is False
    # The raw entry digest instead of its (double-hashed) leaf
    assert verify(proof, tree.root, digests[7]).call() is False
    # The proof of another leaf
    assert verify(tree.proof(8), tree.root, leaf).call() is False
    # A tampered proof node, or a proof cut short
    tampered = [*proof[:-1], keccak(proof[-1])]
    assert verify(tampered, tree.root, leaf).call() is False
    assert verify(proof[:-1], tree.root, leaf).call() is False
    # Another tree's root
    assert verify(proof, other_tree.root, leaf).call() is False


def test_verify_in_batch_checks_against_the_anchored_root(
    contract: Contract, anchor: Callable[..., dict]
) -> None:
    # Given two anchored batches
    first_digests, second_digests = entry_digests(1000), entry_digests(300, salt=b"2")
    first, second = tree_of(first_digests), tree_of(second_digests)
    anchor(1, first.root, 1000)
    anchor(2, second.root, 300)
    verify_in_batch = contract.functions.verify_in_batch

    # Then a proof holds in its own batch only, and in no batch not anchored yet
    proof, leaf = first.proof(123), leaf_of(first_digests[123])
    assert verify_in_batch(1, proof, leaf).call() is True
    assert verify_in_batch(2, proof, leaf).call() is False
    assert verify_in_batch(3, proof, leaf).call() is False
    assert verify_in_batch(2, second.proof(5), leaf_of(second_digests[5])).call() is True
