"""Anchoring ledger batch roots on an EVM chain, behind one small interface.

`Chain` is what the ledger's services use. `Web3Chain` is the real client (web3.py): by default
an in-process EVM (`EthereumTesterProvider`) with the contract deployed on start, otherwise any
JSON-RPC node over HTTP, signing with a configured private key or, on a development node, with
the node's first unlocked account. `FakeChain` keeps the same rules in memory for unit tests.

Failures come out as a few named errors:

- `ChainUnavailable`: the node could not be reached, timed out or answered with a server error.
  Nothing is known to have changed; retry the same call later. Every HTTP request has a timeout,
  so a node that is down or hung surfaces here instead of blocking the caller.
- `AnchorRejected`: the contract refuses the anchor as asked (not the owner, batch out of order,
  empty root). Retrying the same call will not help.
- `AnchorConflict`: the batch is already anchored with another root or count: the local ledger
  and the chain disagree, which needs a person.
- `ContractNotFound`: no anchoring contract at the configured address (wrong network, or a
  development chain that was reset).

Recovery rule. Batch numbers are consecutive and the contract anchors each at most once, so an
anchor can always be retried: `anchor(n, root, count)` first reads `root_of(n)`.

- If batch `n` is already anchored with `root` and `count` (say the transaction was sent but the
  caller crashed before recording its hash), no transaction is sent; the hash of the transaction
  that anchored it is returned (found with a one-block log query at the block the contract
  recorded). Anchored with another root or count, it raises `AnchorConflict`.
- If this adapter sent a transaction for `n` that is not mined yet, the same transaction (same
  nonce and fields, so the same hash) is sent again and its hash returned, so a retry after a
  timeout never pays for a second transaction.
- Otherwise a new transaction is sent with the account's next nonce. Should two transactions for
  the same batch ever be mined, the second reverts on chain and anchors nothing.

A caller that lost its state therefore calls `root_of(n)` (or simply `anchor` again) for the
first batch it has not recorded as anchored, and only anchors batches the chain does not have.
One process at a time should anchor with a given key, as the ledger anchors its batches in order.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar, cast

import requests
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.contract import Contract
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractLogicError,
    MultipleFailedRequests,
    ProviderConnectionError,
    RequestTimedOut,
    TimeExhausted,
    TooManyRequests,
    TransactionNotFound,
    Web3RPCError,
)
from web3.types import TxParams

from ledger.contracts import load_anchor_artifact

try:  # eth-tester is the `tester` extra: only the embedded chain needs it.
    from eth_tester.exceptions import TransactionFailed as _TesterTransactionFailed
except ImportError:  # pragma: no cover

    class _TesterTransactionFailed(Exception):  # type: ignore[no-redef]
        pass


__all__ = [
    "AnchorConflict",
    "AnchorRejected",
    "AnchoredBatch",
    "Chain",
    "ChainError",
    "ChainUnavailable",
    "ContractNotFound",
    "FakeChain",
    "Receipt",
    "Web3Chain",
    "http_web3",
    "open_chain",
]

logger = logging.getLogger(__name__)

ZERO_ROOT = bytes(32)
MAX_PROOF_DEPTH = 64
MAX_COUNT = 2**64 - 1
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_DEPLOY_TIMEOUT_SECONDS = 120.0
# Unused gas is refunded, so a margin over the estimate costs nothing and absorbs small state
# differences between estimation and inclusion.
GAS_MARGIN = 1.25
# Used only when a node does not implement eth_maxPriorityFeePerGas.
FALLBACK_PRIORITY_FEE_WEI = 1_000_000_000

T = TypeVar("T")


class ChainError(Exception):
    """Base of the errors the chain adapter raises."""


class ChainUnavailable(ChainError):
    """The node could not be reached or did not answer in time; retry later."""


class AnchorRejected(ChainError):
    """The contract refuses this anchor; retrying the same call will not help."""


class AnchorConflict(ChainError):
    """The batch is already anchored on chain with a different root."""


class ContractNotFound(ChainError):
    """No anchoring contract at the configured address on this chain."""


@dataclass(frozen=True)
class Receipt:
    """A mined transaction: where it landed and whether it succeeded."""

    tx_hash: str
    block_number: int
    succeeded: bool
    gas_used: int


@dataclass(frozen=True)
class AnchoredBatch:
    """What the contract holds for one anchored batch."""

    batch_number: int
    root: bytes
    count: int
    block_number: int
    anchored_at: datetime


class Chain(Protocol):
    """The anchoring contract on some chain, as the ledger's services use it."""

    @property
    def chain_id(self) -> int: ...

    @property
    def contract_address(self) -> str: ...

    def anchor(self, batch_number: int, root: bytes, count: int) -> str:
        """Anchor `root` as batch `batch_number` of `count` entries; return the tx hash.

        Raises:
            ChainUnavailable: if the node cannot be reached; retry later.
            AnchorRejected: if the contract refuses the anchor.
            AnchorConflict: if the batch is already anchored with another root.
        """
        ...

    def receipt(self, tx_hash: str) -> Receipt | None:
        """Return the receipt of `tx_hash`, or None while it is pending or unknown."""
        ...

    def confirmations(self, tx_hash: str) -> int:
        """Return how many blocks include `tx_hash` or build on it; 0 while pending."""
        ...

    def root_of(self, batch_number: int) -> bytes | None:
        """Return the root anchored for `batch_number`, or None if it is not anchored."""
        ...

    def anchored_batch(self, batch_number: int) -> AnchoredBatch | None:
        """Return what the contract holds for `batch_number`, or None if not anchored."""
        ...

    def batches(self) -> int:
        """Return the number of the last anchored batch (0 before the first)."""
        ...

    def verify_on_chain(self, batch_number: int, proof: Sequence[bytes], leaf: bytes) -> bool:
        """Return whether the contract accepts `proof` of `leaf` in batch `batch_number`."""
        ...


def check_anchor_arguments(batch_number: int, root: bytes, count: int) -> None:
    """Refuse arguments the contract could never accept, before any network call.

    Raises:
        ValueError: if an argument is out of the contract's range.
    """
    if batch_number < 1:
        raise ValueError("batch numbers start at 1")
    if len(root) != 32:
        raise ValueError("a root is 32 bytes")
    if root == ZERO_ROOT:
        raise ValueError("a zero root cannot be anchored")
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 1 and {MAX_COUNT}")


def check_proof(proof: Sequence[bytes], leaf: bytes) -> None:
    """Refuse a proof the contract cannot take.

    Raises:
        ValueError: if the proof is too deep or a node is not 32 bytes.
    """
    if len(proof) > MAX_PROOF_DEPTH:
        raise ValueError(f"a proof has at most {MAX_PROOF_DEPTH} nodes")
    if len(leaf) != 32 or any(len(node) != 32 for node in proof):
        raise ValueError("leaves and proof nodes are 32 bytes")


def process_proof(proof: Sequence[bytes], leaf: bytes) -> bytes:
    """Return the root that `proof` leads to from `leaf`, hashing sorted pairs like the contract."""
    computed = bytes(leaf)
    for sibling in proof:
        pair = computed + sibling if computed < sibling else sibling + computed
        computed = keccak(pair)
    return computed


# Errors that mean "the node did not answer", whatever layer raised them.
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.HTTPError,
    ProviderConnectionError,
    RequestTimedOut,
    TooManyRequests,
    MultipleFailedRequests,
    TimeExhausted,
    ConnectionError,
    TimeoutError,
)
_REVERT_ERRORS: tuple[type[BaseException], ...] = (ContractLogicError, _TesterTransactionFailed)


def _error_text(error: BaseException) -> str:
    return str(error).lower()


def _is_known_transaction(error: BaseException) -> bool:
    text = _error_text(error)
    return "already known" in text or "known transaction" in text or "alreadyknown" in text


def _is_nonce_too_low(error: BaseException) -> bool:
    text = _error_text(error)
    return "nonce too low" in text or "invalid transaction nonce" in text


def _transaction_hash_in(error: BaseException) -> str | None:
    found = re.search(r"0x[0-9a-fA-F]{64}", str(error))
    return found.group(0).lower() if found else None


def _revert_reason(error: BaseException) -> str:
    text = str(error)
    marker = "execution reverted:"
    if marker in text:
        return text.split(marker, 1)[1].strip(" '\")")
    return text


@contextmanager
def _translated(what: str) -> Iterator[None]:
    """Turn transport failures into ChainUnavailable and a missing contract into its error."""
    try:
        yield
    except _UNAVAILABLE_ERRORS as error:
        raise ChainUnavailable(
            f"{what}: chain node unavailable ({type(error).__name__})"
        ) from error
    except BadFunctionCallOutput as error:
        raise ContractNotFound(f"{what}: no anchoring contract answers at that address") from error


@dataclass
class _SentAnchor:
    """An anchor transaction this adapter sent, kept so a retry resends it unchanged."""

    batch_number: int
    root: bytes
    count: int
    nonce: int
    tx_hash: str | None
    raw_transaction: bytes | None
    transaction: dict[str, Any]


class Web3Chain:
    """The anchoring contract on a real chain, through web3.py."""

    def __init__(
        self,
        web3: Web3,
        contract_address: str,
        *,
        private_key: str | None = None,
        sender: str | None = None,
    ) -> None:
        """Attach to the anchoring contract at `contract_address`.

        Transactions are signed here with `private_key`; without one they are sent from
        `sender` (default: the node's first account), which the node must have unlocked.

        Raises:
            ChainUnavailable: if the node cannot be reached.
            ContractNotFound: if the address holds no code, or not this contract's code.
        """
        self.web3 = web3
        self._artifact = load_anchor_artifact()
        self._account = Account.from_key(private_key) if private_key else None
        self._lock = threading.Lock()
        self._sent: dict[int, _SentAnchor] = {}
        with _translated("attach"):
            self._chain_id = int(web3.eth.chain_id)
            if self._account is not None:
                self._sender = self._account.address
            elif sender is not None:
                self._sender = to_checksum_address(sender)
            else:
                accounts = web3.eth.accounts
                if not accounts:
                    raise ValueError("no private key given and the node has no unlocked account")
                self._sender = accounts[0]
            address = to_checksum_address(contract_address)
            code = bytes(web3.eth.get_code(address))
        if not code:
            raise ContractNotFound(
                f"no contract at {address} on chain {self._chain_id} "
                "(wrong network, or a development chain that was reset)"
            )
        # Anchoring into some other contract would report roots that prove nothing.
        if code != bytes.fromhex(self._artifact.bytecode_runtime.removeprefix("0x")):
            raise ContractNotFound(f"the contract at {address} is not the ledger anchor")
        self._contract: Contract = web3.eth.contract(address=address, abi=self._artifact.abi)

    def __repr__(self) -> str:
        return f"Web3Chain(chain_id={self._chain_id}, contract={self.contract_address})"

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def deploy(
        cls,
        web3: Web3,
        *,
        private_key: str | None = None,
        sender: str | None = None,
        timeout: float = DEFAULT_DEPLOY_TIMEOUT_SECONDS,
    ) -> Web3Chain:
        """Deploy a new anchoring contract, owned by the signing account, and attach to it.

        Raises:
            ChainUnavailable: if the node cannot be reached or the deployment is not mined
                within `timeout` seconds.
        """
        artifact = load_anchor_artifact()
        factory = web3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        with _translated("deploy"):
            if private_key:
                account = Account.from_key(private_key)
                transaction = factory.constructor().build_transaction(
                    {
                        "from": account.address,
                        "nonce": web3.eth.get_transaction_count(account.address, "pending"),
                        "chainId": int(web3.eth.chain_id),
                    }
                )
                signed = account.sign_transaction(transaction)
                tx_hash = web3.eth.send_raw_transaction(signed.raw_transaction)
            else:
                deployer = to_checksum_address(sender) if sender else web3.eth.accounts[0]
                tx_hash = factory.constructor().transact({"from": deployer})
            receipt = web3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)
        if receipt["status"] != 1:
            raise AnchorRejected(f"deployment {Web3.to_hex(tx_hash)} failed")
        address = str(receipt["contractAddress"])
        logger.info("deployed the ledger anchor contract at %s", address)
        return cls(web3, address, private_key=private_key, sender=sender)

    @classmethod
    def embedded(cls) -> Web3Chain:
        """Start an in-process EVM and deploy the contract on it (lost when the process ends)."""
        return cls.deploy(Web3(EthereumTesterProvider()))

    @classmethod
    def connect(
        cls,
        rpc_url: str,
        *,
        contract_address: str | None = None,
        private_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> Web3Chain:
        """Connect to a JSON-RPC node over HTTP; attach to `contract_address` or deploy one.

        Raises:
            ChainUnavailable: if the node cannot be reached within `timeout` seconds.
            ContractNotFound: if `contract_address` holds no anchoring contract.
        """
        return cls._from_web3(
            http_web3(rpc_url, timeout=timeout),
            contract_address=contract_address,
            private_key=private_key,
        )

    @classmethod
    def _from_web3(
        cls, web3: Web3, *, contract_address: str | None, private_key: str | None
    ) -> Web3Chain:
        if contract_address:
            return cls(web3, contract_address, private_key=private_key)
        return cls.deploy(web3, private_key=private_key)

    # -- reading ----------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def contract_address(self) -> str:
        return str(self._contract.address)

    @property
    def sender(self) -> str:
        """The account that signs anchors."""
        return str(self._sender)

    def owner(self) -> str:
        """Return the account the contract lets anchor.

        Raises:
            ChainUnavailable: if the node cannot be reached.
        """
        return str(self._call("owner", self._contract.functions.owner().call))

    def root_of(self, batch_number: int) -> bytes | None:
        root = bytes(self._call("root_of", self._contract.functions.root_of(batch_number).call))
        return None if root == ZERO_ROOT else root

    def anchored_batch(self, batch_number: int) -> AnchoredBatch | None:
        root = self.root_of(batch_number)
        if root is None:
            return None
        functions = self._contract.functions
        # Anchored values never change, so reading them in separate calls is consistent.
        count = self._call("count_of", functions.count_of(batch_number).call)
        block_number = self._call("block_of", functions.block_of(batch_number).call)
        timestamp = self._call("anchored_at", functions.anchored_at(batch_number).call)
        return AnchoredBatch(
            batch_number=batch_number,
            root=root,
            count=int(count),
            block_number=int(block_number),
            anchored_at=datetime.fromtimestamp(int(timestamp), tz=UTC),
        )

    def batches(self) -> int:
        return int(self._call("batches", self._contract.functions.batches().call))

    def verify_on_chain(self, batch_number: int, proof: Sequence[bytes], leaf: bytes) -> bool:
        check_proof(proof, leaf)
        call = self._contract.functions.verify_in_batch(batch_number, list(proof), leaf).call
        return bool(self._call("verify_in_batch", call))

    def verify(self, proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
        """Return whether the contract accepts `proof` of `leaf` under `root`.

        Raises:
            ChainUnavailable: if the node cannot be reached.
        """
        check_proof(proof, leaf)
        call = self._contract.functions.verify(list(proof), root, leaf).call
        return bool(self._call("verify", call))

    def receipt(self, tx_hash: str) -> Receipt | None:
        with _translated("receipt"):
            try:
                receipt = self.web3.eth.get_transaction_receipt(cast(Any, tx_hash))
            except TransactionNotFound:
                return None
        if receipt is None or receipt.get("blockNumber") is None:
            return None
        return Receipt(
            tx_hash=Web3.to_hex(receipt["transactionHash"]),
            block_number=int(receipt["blockNumber"]),
            succeeded=receipt["status"] == 1,
            gas_used=int(receipt["gasUsed"]),
        )

    def confirmations(self, tx_hash: str) -> int:
        receipt = self.receipt(tx_hash)
        if receipt is None:
            return 0
        with _translated("confirmations"):
            latest = int(self.web3.eth.block_number)
        return max(0, latest - receipt.block_number + 1)

    # -- anchoring --------------------------------------------------------------------------

    def anchor(self, batch_number: int, root: bytes, count: int) -> str:
        check_anchor_arguments(batch_number, root, count)
        root = bytes(root)
        with self._lock, _translated("anchor"):
            already = self._anchoring_transaction(batch_number, root, count)
            if already is not None:
                return already
            sent = self._sent.get(batch_number)
            # A sent transaction whose nonce is used while the batch is still not anchored
            # failed or was replaced, so only an unmined one is resent.
            if (
                sent is not None
                and (sent.root, sent.count) == (root, count)
                and self._nonce("latest") <= sent.nonce
            ):
                return self._resend(sent)
            return self._send_new(batch_number, root, count)

    def _anchoring_transaction(self, batch_number: int, root: bytes, count: int) -> str | None:
        """Return the hash of the transaction that anchored `root` as this batch, or None.

        Raises:
            AnchorConflict: if the batch is anchored with another root or count.
        """
        anchored = bytes(self._contract.functions.root_of(batch_number).call())
        if anchored == ZERO_ROOT:
            return None
        if anchored != root:
            raise AnchorConflict(
                f"batch {batch_number} is anchored with root 0x{anchored.hex()}, not 0x{root.hex()}"
            )
        anchored_count = int(self._contract.functions.count_of(batch_number).call())
        if anchored_count != count:
            raise AnchorConflict(
                f"batch {batch_number} is anchored with {anchored_count} entries, not {count}"
            )
        self._sent.pop(batch_number, None)
        block = int(self._contract.functions.block_of(batch_number).call())
        logs = self._contract.events.Anchored().get_logs(
            from_block=block, to_block=block, argument_filters={"batch_number": batch_number}
        )
        if not logs:  # pragma: no cover - a node that prunes logs still has the root
            raise ChainUnavailable(f"the node has no log of batch {batch_number} in block {block}")
        return Web3.to_hex(logs[0]["transactionHash"])

    def _nonce(self, block: str) -> int:
        return int(self.web3.eth.get_transaction_count(self._sender, cast(Any, block)))

    def _fees(self) -> dict[str, int]:
        base_fee = self.web3.eth.get_block("latest").get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self.web3.eth.gas_price)}
        try:
            priority_fee = int(self.web3.eth.max_priority_fee)
        except _UNAVAILABLE_ERRORS:
            raise
        except (Web3RPCError, ValueError):
            priority_fee = FALLBACK_PRIORITY_FEE_WEI
        # Twice the base fee keeps the transaction includable through several full blocks.
        return {
            "maxFeePerGas": 2 * int(base_fee) + priority_fee,
            "maxPriorityFeePerGas": priority_fee,
        }

    def _send_new(self, batch_number: int, root: bytes, count: int) -> str:
        call = self._contract.functions.anchor(batch_number, root, count)
        try:
            estimate = int(call.estimate_gas({"from": self._sender}))
        except _REVERT_ERRORS as error:
            # The batch may have been anchored since we looked (a transaction sent earlier).
            already = self._anchoring_transaction(batch_number, root, count)
            if already is not None:
                return already
            raise AnchorRejected(
                f"batch {batch_number} refused: {_revert_reason(error)}"
            ) from error
        nonce = self._next_nonce()
        transaction = call.build_transaction(
            cast(
                TxParams,
                {
                    "from": self._sender,
                    "nonce": nonce,
                    "gas": int(estimate * GAS_MARGIN),
                    "chainId": self._chain_id,
                    **self._fees(),
                },
            ),
        )
        sent = _SentAnchor(
            batch_number=batch_number,
            root=root,
            count=count,
            nonce=nonce,
            tx_hash=None,
            raw_transaction=None,
            transaction=dict(transaction),
        )
        if self._account is not None:
            signed = self._account.sign_transaction(transaction)
            sent.raw_transaction = bytes(signed.raw_transaction)
            sent.tx_hash = Web3.to_hex(signed.hash)
        # Remembered before sending: if the send times out after the node took it, the retry
        # resends these exact bytes instead of paying for a second transaction.
        self._sent[batch_number] = sent
        logger.info("anchoring batch %s (nonce %s)", batch_number, nonce)
        return self._resend(sent)

    def _next_nonce(self) -> int:
        latest = self._nonce("latest")
        # Some nodes (eth-tester) leave queued transactions out of the "pending" nonce, so the
        # ones this adapter sent and that are not mined yet are counted here too.
        queued = [sent.nonce + 1 for sent in self._sent.values() if sent.nonce >= latest]
        return max([latest, self._nonce("pending"), *queued])

    def _resend(self, sent: _SentAnchor) -> str:
        try:
            if sent.raw_transaction is not None:
                tx_hash = self.web3.eth.send_raw_transaction(sent.raw_transaction)
            else:
                tx_hash = self.web3.eth.send_transaction(cast(Any, sent.transaction))
        except _UNAVAILABLE_ERRORS:
            raise
        except Exception as error:
            if _is_known_transaction(error):
                # Hardhat names the known transaction; geth and others do not.
                sent.tx_hash = sent.tx_hash or _transaction_hash_in(error)
                if sent.tx_hash is not None:
                    return sent.tx_hash
                raise ChainUnavailable(
                    f"batch {sent.batch_number} was sent before and is not mined yet; retry later"
                ) from error
            if _is_nonce_too_low(error):
                # Mined since we looked (the next call finds it by root_of), or the nonce was
                # taken by another transaction from this key: either way a retry resolves it.
                self._sent.pop(sent.batch_number, None)
                raise ChainUnavailable(
                    f"nonce {sent.nonce} of batch {sent.batch_number} is used; retry"
                ) from error
            if isinstance(error, _REVERT_ERRORS):
                raise AnchorRejected(
                    f"batch {sent.batch_number} refused: {_revert_reason(error)}"
                ) from error
            raise
        sent.tx_hash = Web3.to_hex(tx_hash)
        return sent.tx_hash

    def _call(self, what: str, function: Callable[[], T]) -> T:
        with _translated(what):
            return function()


def http_web3(rpc_url: str, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Web3:
    """Return a Web3 on `rpc_url` whose every request gives up after `timeout` seconds."""
    provider = HTTPProvider(
        rpc_url,
        request_kwargs={"timeout": timeout},
        # The caller owns retries (bounded, with backoff, in the task queue), so a node that is
        # down fails fast instead of web3 sleeping through its own retries first.
        exception_retry_configuration=None,
    )
    return Web3(provider)


def open_chain(
    rpc_url: str | None = None,
    *,
    contract_address: str | None = None,
    private_key: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> Web3Chain:
    """Return the chain the settings name: embedded without `rpc_url`, else that node.

    Without `contract_address` a new contract is deployed, which suits the embedded chain and
    development nodes; a production node is given the address of the contract deployed once.

    Raises:
        ChainUnavailable: if the node cannot be reached.
        ContractNotFound: if `contract_address` holds no anchoring contract.
    """
    if rpc_url is None:
        web3 = Web3(EthereumTesterProvider())
        return Web3Chain._from_web3(
            web3, contract_address=contract_address, private_key=private_key
        )
    return Web3Chain.connect(
        rpc_url, contract_address=contract_address, private_key=private_key, timeout=timeout
    )


@dataclass
class _FakeTransaction:
    tx_hash: str
    batch_number: int
    root: bytes
    count: int
    block_number: int | None = None
    succeeded: bool = True


@dataclass
class _FakeState:
    """The chain and contract state that every `FakeChain` view of one chain shares."""

    chain_id: int
    contract_address: str
    owner: str
    auto_mine: bool
    available: bool = True
    block_number: int = 1
    sent_count: int = 0
    batches: dict[int, AnchoredBatch] = field(default_factory=dict)
    transactions: dict[str, _FakeTransaction] = field(default_factory=dict)
    pending: list[_FakeTransaction] = field(default_factory=list)


class FakeChain:
    """An in-memory stand-in for `Web3Chain` that keeps the contract's rules.

    Transactions are mined at once unless `auto_mine` is off, in which case they wait for
    `mine()`. Set `available = False` to make every call fail as with a node that is down.
    `for_sender` gives another client of the same chain, e.g. one that lost its memory.
    """

    GAS_PER_ANCHOR = 75_431

    def __init__(
        self,
        *,
        chain_id: int = 1337,
        contract_address: str = "0x" + "a1" * 20,
        owner: str = "0x" + "0b" * 20,
        auto_mine: bool = True,
    ) -> None:
        self._state = _FakeState(
            chain_id=chain_id,
            contract_address=to_checksum_address(contract_address),
            owner=to_checksum_address(owner),
            auto_mine=auto_mine,
        )
        self.sender = self._state.owner
        self._sent: set[str] = set()

    def for_sender(self, sender: str | None = None) -> FakeChain:
        """Return a new client of this chain sending from `sender` (default: the owner)."""
        other = FakeChain.__new__(FakeChain)
        other._state = self._state
        other.sender = to_checksum_address(sender) if sender else self._state.owner
        other._sent = set()
        return other

    @property
    def available(self) -> bool:
        return self._state.available

    @available.setter
    def available(self, value: bool) -> None:
        self._state.available = value

    @property
    def auto_mine(self) -> bool:
        return self._state.auto_mine

    @auto_mine.setter
    def auto_mine(self, value: bool) -> None:
        self._state.auto_mine = value

    @property
    def sent_count(self) -> int:
        """How many anchor transactions were sent to this chain."""
        return self._state.sent_count

    @property
    def chain_id(self) -> int:
        self._check_available()
        return self._state.chain_id

    @property
    def contract_address(self) -> str:
        return self._state.contract_address

    def mine(self, blocks: int = 1) -> None:
        """Mine the pending transactions into the next block, then `blocks - 1` empty ones."""
        state = self._state
        for _ in range(blocks):
            state.block_number += 1
            pending, state.pending = state.pending, []
            for transaction in pending:
                self._execute(transaction)

    def anchor(self, batch_number: int, root: bytes, count: int) -> str:
        check_anchor_arguments(batch_number, root, count)
        self._check_available()
        state = self._state
        root = bytes(root)
        anchored = state.batches.get(batch_number)
        if anchored is not None:
            if (anchored.root, anchored.count) != (root, count):
                raise AnchorConflict(f"batch {batch_number} is anchored with another root or count")
            return self._anchoring_hash(batch_number)
        # Like Web3Chain, only a client that remembers its unmined transaction resends it.
        for transaction in state.pending:
            if transaction.tx_hash in self._sent and (
                transaction.batch_number,
                transaction.root,
                transaction.count,
            ) == (batch_number, root, count):
                return transaction.tx_hash
        reason = self._refusal(batch_number, self.sender)
        if reason is not None:
            raise AnchorRejected(f"batch {batch_number} refused: {reason}")
        state.sent_count += 1
        tx_hash = Web3.to_hex(
            keccak(state.sent_count.to_bytes(32, "big") + batch_number.to_bytes(32, "big") + root)
        )
        transaction = _FakeTransaction(tx_hash, batch_number, root, count)
        state.transactions[tx_hash] = transaction
        self._sent.add(tx_hash)
        state.pending.append(transaction)
        if state.auto_mine:
            self.mine()
        return tx_hash

    def receipt(self, tx_hash: str) -> Receipt | None:
        self._check_available()
        transaction = self._state.transactions.get(tx_hash)
        if transaction is None or transaction.block_number is None:
            return None
        return Receipt(
            tx_hash=tx_hash,
            block_number=transaction.block_number,
            succeeded=transaction.succeeded,
            gas_used=self.GAS_PER_ANCHOR,
        )

    def confirmations(self, tx_hash: str) -> int:
        receipt = self.receipt(tx_hash)
        return 0 if receipt is None else self._state.block_number - receipt.block_number + 1

    def root_of(self, batch_number: int) -> bytes | None:
        batch = self.anchored_batch(batch_number)
        return None if batch is None else batch.root

    def anchored_batch(self, batch_number: int) -> AnchoredBatch | None:
        self._check_available()
        return self._state.batches.get(batch_number)

    def batches(self) -> int:
        self._check_available()
        return len(self._state.batches)

    def verify_on_chain(self, batch_number: int, proof: Sequence[bytes], leaf: bytes) -> bool:
        check_proof(proof, leaf)
        root = self.root_of(batch_number)
        return root is not None and process_proof(proof, leaf) == root

    def _refusal(self, batch_number: int, sender: str) -> str | None:
        if sender != self._state.owner:
            return "not owner"
        if batch_number != len(self._state.batches) + 1:
            return "batch out of order"
        return None

    def _execute(self, transaction: _FakeTransaction) -> None:
        state = self._state
        transaction.block_number = state.block_number
        # As on chain, a second transaction for the same batch is mined but reverts.
        if self._refusal(transaction.batch_number, state.owner) is not None:
            transaction.succeeded = False
            return
        state.batches[transaction.batch_number] = AnchoredBatch(
            batch_number=transaction.batch_number,
            root=transaction.root,
            count=transaction.count,
            block_number=state.block_number,
            anchored_at=datetime.now(UTC).replace(microsecond=0),
        )

    def _anchoring_hash(self, batch_number: int) -> str:
        for transaction in self._state.transactions.values():
            mined = transaction.block_number is not None and transaction.succeeded
            if mined and transaction.batch_number == batch_number:
                return transaction.tx_hash
        raise AssertionError("an anchored batch has a mined transaction")  # pragma: no cover

    def _check_available(self) -> None:
        if not self._state.available:
            raise ChainUnavailable("fake chain node is down")
