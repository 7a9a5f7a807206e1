"""The chain adapter against a real JSON-RPC node (Hardhat 2 on 127.0.0.1), failures included."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from eth_utils import keccak

from ledger.adapters.chain import (
    AnchorConflict,
    AnchorRejected,
    ChainUnavailable,
    ContractNotFound,
    Web3Chain,
    http_web3,
    open_chain,
)
from ledger.merkle import StandardMerkleTree, leaf_hash
from tests.integration.chain_node import ACCOUNT_KEYS, HardhatNode, running_hardhat_node

ENCODING = ["bytes32"]
TIMEOUT_SECONDS = 1.0
# However many requests a call makes before failing, it must come back well within this.
GIVES_UP_WITHIN_SECONDS = 10 * TIMEOUT_SECONDS


@pytest.fixture(autouse=True)
def app_context() -> Iterator[None]:
    """These tests need the chain node only, not the app and its database."""
    yield


@pytest.fixture(scope="module")
def node() -> Iterator[HardhatNode]:
    with running_hardhat_node() as running:
        yield running


def entry_digests(count: int, salt: bytes = b"") -> list[bytes]:
    return [keccak(salt + index.to_bytes(8, "big")) for index in range(count)]


def tree_of(digests: list[bytes]) -> StandardMerkleTree:
    return StandardMerkleTree.of([[digest] for digest in digests], ENCODING)


def connect(node: HardhatNode, **settings: object) -> Web3Chain:
    return Web3Chain.connect(node.url, timeout=TIMEOUT_SECONDS, **settings)  # type: ignore[arg-type]


def assert_unavailable_promptly(call) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with pytest.raises(ChainUnavailable):
        call()
    assert time.monotonic() - started < GIVES_UP_WITHIN_SECONDS


def test_a_node_deploys_anchors_reads_back_and_verifies_proofs(node: HardhatNode) -> None:
    # Given a contract deployed with a configured signing key
    chain = connect(node, private_key=ACCOUNT_KEYS[0])
    assert chain.chain_id == 31337
    assert chain.owner() == chain.sender
    digests = entry_digests(1000)
    tree = tree_of(digests)

    # When a 1,000-entry batch is anchored
    tx_hash = chain.anchor(1, tree.root, 1000)

    # Then its receipt, root, record and proofs read back from the node
    receipt = chain.receipt(tx_hash)
    assert receipt is not None and receipt.succeeded is True
    assert chain.confirmations(tx_hash) == 1
    assert chain.root_of(1) == tree.root
    batch = chain.anchored_batch(1)
    assert batch is not None
    assert (batch.count, batch.block_number) == (1000, receipt.block_number)
    for index in (0, 500, 999):
        leaf = leaf_hash(ENCODING, [digests[index]])
        assert chain.verify_on_chain(1, tree.proof(index), leaf) is True
    forged = leaf_hash(ENCODING, [keccak(b"forged")])
    assert chain.verify_on_chain(1, tree.proof(0), forged) is False

    # And the node's refusals come out named, with the contract's reason
    with pytest.raises(AnchorRejected, match="batch out of order"):
        chain.anchor(3, tree.root, 1000)
    with pytest.raises(AnchorRejected, match="not owner"):
        connect(node, private_key=ACCOUNT_KEYS[1], contract_address=chain.contract_address).anchor(
            2, tree.root, 1000
        )
    with pytest.raises(AnchorConflict):
        chain.anchor(1, tree_of(entry_digests(1000, salt=b"other")).root, 1000)
    assert chain.batches() == 1
    print(f"\nhardhat: anchor of a 1,000-entry batch used {receipt.gas_used} gas")


def test_without_a_key_the_nodes_first_unlocked_account_anchors(
    node: HardhatNode,
) -> None:
    chain = connect(node)

    tx_hash = chain.anchor(1, tree_of(entry_digests(10)).root, 10)

    assert chain.sender == chain.web3.eth.accounts[0]
    receipt = chain.receipt(tx_hash)
    assert receipt is not None and receipt.succeeded is True


def test_a_process_that_lost_its_state_finds_its_batch_already_anchored(
    node: HardhatNode,
) -> None:
    # Given batch 1 anchored by a process that crashed before recording the hash
    first_process = connect(node, private_key=ACCOUNT_KEYS[0])
    root = tree_of(entry_digests(1000)).root
    tx_hash = first_process.anchor(1, root, 1000)
    nonce = first_process.web3.eth.get_transaction_count(first_process.sender)

    # When the next process attaches and anchors the batch again
    next_process = connect(
        node, private_key=ACCOUNT_KEYS[0], contract_address=first_process.contract_address
    )
    assert next_process.root_of(1) == root

    # Then it gets the original transaction and sends nothing
    assert next_process.anchor(1, root, 1000) == tx_hash
    assert next_process.web3.eth.get_transaction_count(next_process.sender) == nonce


@pytest.mark.parametrize("private_key", [ACCOUNT_KEYS[0], None], ids=["signing", "unlocked"])
def test_a_retry_while_the_anchor_is_pending_resends_the_same_transaction(
    node: HardhatNode, private_key: str | None
) -> None:
    chain = connect(node, private_key=private_key)
    root = tree_of(entry_digests(1000)).root
    node.set_automine(False)
    try:
        tx_hash = chain.anchor(1, root, 1000)
        assert chain.receipt(tx_hash) is None
        assert chain.anchor(1, root, 1000) == tx_hash
        node.mine(3)
    finally:
        node.set_automine(True)

    assert chain.confirmations(tx_hash) == 3
    assert chain.root_of(1) == root
    assert chain.batches() == 1


def test_a_hung_node_times_out_as_chain_unavailable_and_keeps_its_state(
    node: HardhatNode,
) -> None:
    # Given batch 1 anchored
    chain = connect(node, private_key=ACCOUNT_KEYS[0])
    first_root = tree_of(entry_digests(10)).root
    tx_hash = chain.anchor(1, first_root, 10)
    second_root = tree_of(entry_digests(10, salt=b"2")).root

    # When the node hangs (accepts connections, answers nothing)
    node.pause()
    try:
        # Then every call gives up after its timeout
        assert_unavailable_promptly(lambda: chain.anchor(2, second_root, 10))
        assert_unavailable_promptly(lambda: chain.root_of(1))
        assert_unavailable_promptly(lambda: chain.receipt(tx_hash))
        assert_unavailable_promptly(
            lambda: Web3Chain(http_web3(node.url, timeout=TIMEOUT_SECONDS), "0x" + "0" * 40)
        )
    finally:
        node.resume()

    # And once it answers again the same adapter retries and carries on with the chain it had
    assert chain.root_of(1) == first_root
    chain.anchor(2, second_root, 10)
    assert chain.batches() == 2


def test_a_stopped_node_is_unavailable_and_a_restarted_one_is_redeployed_and_reanchored(
    node: HardhatNode,
) -> None:
    # Given two batches anchored, as the ledger has them recorded
    chain = connect(node, private_key=ACCOUNT_KEYS[0])
    address = chain.contract_address
    trees = {n: tree_of(entry_digests(100, salt=bytes([n]))) for n in (1, 2)}
    for number, tree in trees.items():
        chain.anchor(number, tree.root, 100)

    # When the node stops
    node.stop()
    try:
        # Then every call fails at once as ChainUnavailable, connecting included
        assert_unavailable_promptly(lambda: chain.anchor(3, trees[1].root, 100))
        assert_unavailable_promptly(lambda: chain.root_of(1))
        assert_unavailable_promptly(lambda: chain.batches())
        assert_unavailable_promptly(lambda: connect(node, contract_address=address))
    finally:
        # A Hardhat node keeps no state: it comes back as a new, empty chain.
        node.start()

    # And on the new chain the contract is gone, which the adapter names
    with pytest.raises(ContractNotFound):
        chain.root_of(1)
    with pytest.raises(ContractNotFound):
        connect(node, contract_address=address)

    # So the operator deploys again and the ledger re-anchors its batches from its records
    redeployed = open_chain(node.url, private_key=ACCOUNT_KEYS[0], timeout=TIMEOUT_SECONDS)
    for number, tree in trees.items():
        redeployed.anchor(number, tree.root, 100)
    assert [redeployed.root_of(n) for n in (1, 2)] == [trees[1].root, trees[2].root]
    leaf = leaf_hash(ENCODING, [entry_digests(100, salt=bytes([2]))[7]])
    assert redeployed.verify_on_chain(2, trees[2].proof(7), leaf) is True
