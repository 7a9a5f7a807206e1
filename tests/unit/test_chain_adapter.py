"""The chain adapter's contract: `FakeChain` and `Web3Chain` on eth-tester pass the same tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import requests
from eth_utils import keccak, to_checksum_address
from web3 import EthereumTesterProvider, Web3
from web3.providers.base import BaseProvider

from ledger.adapters.chain import (
    AnchorConflict,
    AnchorRejected,
    Chain,
    ChainUnavailable,
    ContractNotFound,
    FakeChain,
    Web3Chain,
    open_chain,
)
from ledger.merkle import StandardMerkleTree, leaf_hash

ENCODING = ["bytes32"]
# eth-tester's first accounts hold the private keys 1, 2, ...
OWNER_KEY = "0x" + "00" * 31 + "01"
STRANGER_KEY = "0x" + "00" * 31 + "02"
STRANGER = to_checksum_address("0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF")


def entry_digests(count: int, salt: bytes = b"") -> list[bytes]:
    return [keccak(salt + index.to_bytes(8, "big")) for index in range(count)]


def tree_of(digests: list[bytes]) -> StandardMerkleTree:
    return StandardMerkleTree.of([[digest] for digest in digests], ENCODING)


def leaf_of(digest: bytes) -> bytes:
    return leaf_hash(ENCODING, [digest])


ROOT = tree_of(entry_digests(1000)).root
OTHER_ROOT = tree_of(entry_digests(1000, salt=b"other")).root


@dataclass
class Harness:
    """One implementation of `Chain` plus the test-only levers its world offers."""

    chain: Chain
    mine: Callable[[int], None]
    hold_mining: Callable[[], None]
    anchors_mined: Callable[[], int]
    client: Callable[[str | None], Chain]
    go_down: Callable[[], None]
    come_back: Callable[[], None]


class DownProvider(BaseProvider):
    """A provider whose node refuses every connection."""

    def make_request(self, method, params):  # type: ignore[no-untyped-def]
        raise requests.exceptions.ConnectionError(f"connection refused ({method})")


def fake_harness() -> Harness:
    chain = FakeChain()

    def anchors_mined() -> int:
        return chain.batches()

    def hold_mining() -> None:
        chain.auto_mine = False

    def go_down() -> None:
        chain.available = False

    def come_back() -> None:
        chain.available = True

    def client(sender: str | None) -> Chain:
        return chain.for_sender(sender)

    return Harness(chain, chain.mine, hold_mining, anchors_mined, client, go_down, come_back)


def eth_tester_harness(signing: bool) -> Harness:
    web3 = Web3(EthereumTesterProvider())
    tester = web3.provider.ethereum_tester  # type: ignore[attr-defined]
    chain = Web3Chain.deploy(web3, private_key=OWNER_KEY if signing else None)
    real_provider = web3.provider
    deployments = 1

    def anchors_mined() -> int:
        # Every anchor transaction the owner had mined, successful or not.
        return web3.eth.get_transaction_count(chain.sender) - deployments

    def client(sender: str | None) -> Chain:
        if signing:
            key = OWNER_KEY if sender is None else STRANGER_KEY
            return Web3Chain(web3, chain.contract_address, private_key=key)
        return Web3Chain(web3, chain.contract_address, sender=sender)

    def go_down() -> None:
        web3.provider = DownProvider()

    def come_back() -> None:
        web3.provider = real_provider

    return Harness(
        chain,
        tester.mine_blocks,
        tester.disable_auto_mine_transactions,
        anchors_mined,
        client,
        go_down,
        come_back,
    )


@pytest.fixture(params=["fake", "eth-tester", "eth-tester-signing"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "fake":
        yield fake_harness()
    else:
        yield eth_tester_harness(signing=request.param == "eth-tester-signing")


# -- the shared contract ----------------------------------------------------------------------


def test_an_anchored_batch_reads_back_with_its_receipt(harness: Harness) -> None:
    chain = harness.chain

    tx_hash = chain.anchor(1, ROOT, 1000)

    receipt = chain.receipt(tx_hash)
    assert receipt is not None
    assert receipt.succeeded is True
    assert receipt.tx_hash == tx_hash
    assert chain.confirmations(tx_hash) == 1
    assert chain.root_of(1) == ROOT
    assert chain.batches() == 1
    batch = chain.anchored_batch(1)
    assert batch is not None
    assert (batch.batch_number, batch.root, batch.count) == (1, ROOT, 1000)
    assert batch.block_number == receipt.block_number
    assert batch.anchored_at.tzinfo is not None


def test_nothing_is_anchored_on_a_new_contract(harness: Harness) -> None:
    chain = harness.chain

    assert chain.batches() == 0
    assert chain.root_of(1) is None
    assert chain.anchored_batch(1) is None
    assert isinstance(chain.chain_id, int)
    assert chain.contract_address == to_checksum_address(chain.contract_address)


def test_anchoring_the_same_batch_again_returns_the_first_transaction(harness: Harness) -> None:
    chain = harness.chain
    first = chain.anchor(1, ROOT, 1000)

    again = chain.anchor(1, ROOT, 1000)

    assert again == first
    assert harness.anchors_mined() == 1
    assert chain.batches() == 1


def test_a_client_that_lost_its_memory_finds_the_batch_already_anchored(
    harness: Harness,
) -> None:
    # Given batch 1 anchored, and the process that sent it gone before recording the hash
    first = harness.chain.anchor(1, ROOT, 1000)
    restarted = harness.client(None)

    # When the new process looks, then anchors again
    assert restarted.root_of(1) == ROOT
    again = restarted.anchor(1, ROOT, 1000)

    # Then it gets the original transaction and sends none
    assert again == first
    assert harness.anchors_mined() == 1


@pytest.mark.parametrize(("root", "count"), [(OTHER_ROOT, 1000), (ROOT, 999)])
def test_anchoring_a_batch_with_another_root_or_count_is_a_conflict(
    harness: Harness, root: bytes, count: int
) -> None:
    chain = harness.chain
    chain.anchor(1, ROOT, 1000)

    with pytest.raises(AnchorConflict):
        chain.anchor(1, root, count)

    batch = chain.anchored_batch(1)
    assert batch is not None and (batch.root, batch.count) == (ROOT, 1000)
    assert harness.anchors_mined() == 1


@pytest.mark.parametrize("batch_number", [2, 5])
def test_a_batch_out_of_order_is_rejected(harness: Harness, batch_number: int) -> None:
    with pytest.raises(AnchorRejected, match="batch out of order"):
        harness.chain.anchor(batch_number, ROOT, 1000)

    assert harness.chain.batches() == 0
    assert harness.anchors_mined() == 0


def test_someone_other_than_the_owner_is_rejected(harness: Harness) -> None:
    stranger = harness.client(STRANGER)

    with pytest.raises(AnchorRejected, match="not owner"):
        stranger.anchor(1, ROOT, 1000)

    assert harness.chain.root_of(1) is None


@pytest.mark.parametrize(
    ("batch_number", "root", "count"),
    [(0, ROOT, 10), (1, bytes(32), 10), (1, ROOT[:31], 10), (1, ROOT, 0), (1, ROOT, 2**64)],
)
def test_arguments_the_contract_cannot_take_are_refused_before_sending(
    harness: Harness, batch_number: int, root: bytes, count: int
) -> None:
    with pytest.raises(ValueError):
        harness.chain.anchor(batch_number, root, count)

    assert harness.anchors_mined() == 0


def test_a_pending_anchor_is_resent_unchanged_and_counts_confirmations_once_mined(
    harness: Harness,
) -> None:
    chain = harness.chain
    harness.hold_mining()

    # When the anchor is sent and then retried before it is mined
    tx_hash = chain.anchor(1, ROOT, 1000)
    retried = chain.anchor(1, ROOT, 1000)

    # Then the retry is the same transaction, still pending
    assert retried == tx_hash
    assert chain.receipt(tx_hash) is None
    assert chain.confirmations(tx_hash) == 0
    assert chain.root_of(1) is None

    # And once mined there is one anchor, whose confirmations grow with the chain
    harness.mine(1)
    assert harness.anchors_mined() == 1
    assert chain.root_of(1) == ROOT
    assert chain.confirmations(tx_hash) == 1
    harness.mine(2)
    assert chain.confirmations(tx_hash) == 3
    assert chain.anchor(1, ROOT, 1000) == tx_hash


def test_an_unknown_transaction_has_no_receipt(harness: Harness) -> None:
    unknown = "0x" + keccak(b"never sent").hex()

    assert harness.chain.receipt(unknown) is None
    assert harness.chain.confirmations(unknown) == 0


def test_a_proof_verifies_on_chain_only_in_its_batch(harness: Harness) -> None:
    chain = harness.chain
    digests = entry_digests(1000)
    tree = tree_of(digests)
    chain.anchor(1, tree.root, 1000)
    proof, leaf = tree.proof(42), leaf_of(digests[42])

    assert chain.verify_on_chain(1, proof, leaf) is True
    assert chain.verify_on_chain(1, proof, leaf_of(keccak(b"forged"))) is False
    assert chain.verify_on_chain(1, tree.proof(43), leaf) is False
    assert chain.verify_on_chain(2, proof, leaf) is False


def test_a_proof_the_contract_cannot_take_is_refused(harness: Harness) -> None:
    leaf = leaf_of(keccak(b"entry"))

    with pytest.raises(ValueError):
        harness.chain.verify_on_chain(1, [leaf] * 65, leaf)
    with pytest.raises(ValueError):
        harness.chain.verify_on_chain(1, [leaf[:31]], leaf)


def test_a_node_that_is_down_raises_chain_unavailable_and_nothing_changes(
    harness: Harness,
) -> None:
    chain = harness.chain
    tx_hash = chain.anchor(1, ROOT, 1000)
    harness.go_down()

    calls: list[Callable[[], object]] = [
        lambda: chain.anchor(2, OTHER_ROOT, 1000),
        lambda: chain.receipt(tx_hash),
        lambda: chain.confirmations(tx_hash),
        lambda: chain.root_of(1),
        lambda: chain.anchored_batch(1),
        chain.batches,
        lambda: chain.verify_on_chain(1, [], ROOT),
    ]
    for call in calls:
        with pytest.raises(ChainUnavailable):
            call()

    # When the node is back, the same adapter carries on where it was
    harness.come_back()
    assert chain.batches() == 1
    assert chain.root_of(2) is None
    chain.anchor(2, OTHER_ROOT, 1000)
    assert chain.root_of(2) == OTHER_ROOT


# -- Web3Chain only ---------------------------------------------------------------------------


@pytest.fixture
def embedded() -> Web3Chain:
    return open_chain()


def test_the_embedded_chain_deploys_a_contract_owned_by_its_first_account(
    embedded: Web3Chain,
) -> None:
    assert embedded.owner() == embedded.sender == embedded.web3.eth.accounts[0]
    assert embedded.batches() == 0


def test_attaching_where_there_is_no_contract_raises_contract_not_found(
    embedded: Web3Chain,
) -> None:
    with pytest.raises(ContractNotFound, match="no contract"):
        Web3Chain(embedded.web3, "0x" + "11" * 20)


def test_attaching_to_some_other_contract_raises_contract_not_found(embedded: Web3Chain) -> None:
    # Init code that deploys 10 bytes of runtime code returning 42.
    other = "0x600a600c600039600a6000f3602a60005260206000f3"
    web3 = embedded.web3
    tx_hash = web3.eth.send_transaction({"from": web3.eth.accounts[0], "data": other})
    address = web3.eth.get_transaction_receipt(tx_hash)["contractAddress"]

    with pytest.raises(ContractNotFound, match="not the ledger anchor"):
        Web3Chain(web3, address)


@pytest.mark.parametrize("signing", [False, True])
def test_a_send_whose_answer_is_lost_is_resent_as_the_same_transaction(
    monkeypatch: pytest.MonkeyPatch, signing: bool
) -> None:
    # Given a node that takes the anchor transaction but whose answer never arrives
    harness = eth_tester_harness(signing)
    chain = harness.chain
    assert isinstance(chain, Web3Chain)
    harness.hold_mining()
    method = "send_raw_transaction" if signing else "send_transaction"
    taken: list[str] = []
    send = getattr(chain.web3.eth, method)

    def send_and_lose_answer(transaction):  # type: ignore[no-untyped-def]
        taken.append(Web3.to_hex(send(transaction)))
        raise requests.exceptions.ReadTimeout("read timed out")

    monkeypatch.setattr(chain.web3.eth, method, send_and_lose_answer)
    with pytest.raises(ChainUnavailable):
        chain.anchor(1, ROOT, 1000)
    monkeypatch.undo()

    # When the caller retries
    tx_hash = chain.anchor(1, ROOT, 1000)

    # Then it is the transaction the node already had, and one anchor is mined
    assert [tx_hash] == taken
    harness.mine(1)
    assert harness.anchors_mined() == 1
    assert chain.root_of(1) == ROOT


# -- FakeChain only ---------------------------------------------------------------------------


def test_the_fake_mines_a_second_transaction_for_a_batch_as_a_failure() -> None:
    # Given a batch sent, unmined, by a process that then died
    chain = FakeChain(auto_mine=False)
    first = chain.anchor(1, ROOT, 1000)

    # When a fresh client anchors it too and both are mined
    second = chain.for_sender(None).anchor(1, ROOT, 1000)
    chain.mine()

    # Then the first anchors the batch and the second reverts, as the contract does
    assert second != first
    first_receipt, second_receipt = chain.receipt(first), chain.receipt(second)
    assert first_receipt is not None and first_receipt.succeeded is True
    assert second_receipt is not None and second_receipt.succeeded is False
    assert chain.batches() == 1
