"""Gas of anchoring ledger batches and of verifying proofs on chain (`ledger/contracts/anchor.vy`).

    .venv/bin/python bench/ledger_gas.py [--batches 5] [--entries 1000] [--deep-entries 100000]
        [--no-hardhat]

Deploys the committed contract build on the in-process EVM (eth-tester) and, when Node and the
npm devDependency Hardhat are installed, on a local Hardhat 2 node on 127.0.0.1 (started and
stopped here). On each it anchors `--batches` batches of `--entries` entries (real Merkle trees
of the ledger's leaf encoding), then verifies a proof of depth 10 (from a 1,000-entry tree) and
of depth 17 (from a `--deep-entries` tree) with `verify` and `verify_in_batch`, two ways: called
from another contract (a probe compiled here measures the call's gas, cold call included: what a
contract that checks a proof pays) and sent as a transaction of its own (21,000 gas plus calldata,
which on Prague chains is priced at the EIP-7623 floor for such calldata-heavy, cheap calls). A
plain `eth_call`, as the ledger's own verification does, costs no gas at all.

Target: one anchor of a 1,000-entry batch ≤ 100,000 gas, i.e. ≤ 100 gas per entry.

Printed: for each chain the deployment gas, the first anchor and the steady-state anchor (the
first also creates the batch counter's storage slot), gas per entry, and the verify figures; the
last line is `RESULT {json}`. Never asserts on the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import vyper  # noqa: E402  (the project root must be importable first)
from eth_utils import keccak  # noqa: E402
from web3 import EthereumTesterProvider, Web3  # noqa: E402
from web3.contract import Contract  # noqa: E402

from ledger.adapters.chain import Web3Chain, http_web3  # noqa: E402
from ledger.contracts import load_anchor_artifact  # noqa: E402
from ledger.merkle import StandardMerkleTree, leaf_hash  # noqa: E402

ENCODING = ["bytes32"]
TARGET_GAS_PER_ENTRY = 100


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def entry_digests(count: int, salt: bytes) -> list[bytes]:
    return [keccak(salt + index.to_bytes(8, "big")) for index in range(count)]


def calldata_gas(data: bytes) -> int:
    return sum(16 if byte else 4 for byte in data)


def mined_gas(chain: Web3Chain, call: Any) -> int:
    """Send `call` as a transaction and return the gas it used."""
    web3 = chain.web3
    tx_hash = web3.eth.send_transaction(call.build_transaction({"from": chain.sender}))
    return int(web3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)["gasUsed"])


# A contract that calls the anchor and measures the gas of that call: what another contract
# (an escrow releasing on proof, say) pays to verify, free of the 21,000 and calldata of a
# transaction. Compiled here with the installed Vyper, for the bench only.
PROBE_SOURCE = """
# pragma version ==0.4.3
# pragma evm-version paris

interface Anchor:
    def verify(proof: DynArray[bytes32, 64], root: bytes32, leaf: bytes32) -> bool: view
    def verify_in_batch(
        batch_number: uint256, proof: DynArray[bytes32, 64], leaf: bytes32
    ) -> bool: view


@view
@external
def gas_of_verify(
    anchor: Anchor, proof: DynArray[bytes32, 64], root: bytes32, leaf: bytes32
) -> uint256:
    start: uint256 = msg.gas
    accepted: bool = staticcall anchor.verify(proof, root, leaf)
    used: uint256 = start - msg.gas
    assert accepted
    return used


@view
@external
def gas_of_verify_in_batch(
    anchor: Anchor, batch_number: uint256, proof: DynArray[bytes32, 64], leaf: bytes32
) -> uint256:
    start: uint256 = msg.gas
    accepted: bool = staticcall anchor.verify_in_batch(batch_number, proof, leaf)
    used: uint256 = start - msg.gas
    assert accepted
    return used
"""


def deploy_probe(web3: Web3) -> Contract:
    output = vyper.compile_code(PROBE_SOURCE, output_formats=["abi", "bytecode"])
    factory = web3.eth.contract(abi=output["abi"], bytecode=output["bytecode"])
    tx_hash = factory.constructor().transact({"from": web3.eth.accounts[0]})
    receipt = web3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    return web3.eth.contract(address=receipt["contractAddress"], abi=output["abi"])


class Proof:
    """A leaf of a tree with a proof of exactly the wanted depth."""

    def __init__(self, entries: int, depth: int, salt: bytes) -> None:
        log(f"building a {entries:,}-entry tree for a proof of depth {depth}")
        digests = entry_digests(entries, salt)
        self.tree = StandardMerkleTree.of([[digest] for digest in digests], ENCODING)
        self.entries = entries
        self.depth = depth
        index = next(i for i in range(entries) if len(self.tree.proof(i)) == depth)
        self.proof = self.tree.proof(index)
        self.leaf = leaf_hash(ENCODING, [digests[index]])


def measure(chain: Web3Chain, batches: int, entries: int, proofs: list[Proof]) -> dict[str, Any]:
    contract: Contract = chain.web3.eth.contract(
        address=chain.contract_address, abi=load_anchor_artifact().abi
    )
    anchors = []
    for number in range(1, batches + 1):
        tree = StandardMerkleTree.of(
            [[d] for d in entry_digests(entries, bytes([number]))], ENCODING
        )
        receipt = chain.receipt(chain.anchor(number, tree.root, entries))
        assert receipt is not None and receipt.succeeded
        anchors.append(receipt.gas_used)
    result: dict[str, Any] = {
        "entries_per_batch": entries,
        "anchor_gas_first": anchors[0],
        "anchor_gas": anchors[-1],
        "gas_per_entry_first": round(anchors[0] / entries, 1),
        "gas_per_entry": round(anchors[-1] / entries, 1),
        "verify": {},
    }
    probe = deploy_probe(chain.web3)
    anchor = chain.contract_address
    for proof in proofs:
        number = chain.batches() + 1
        chain.anchor(number, proof.tree.root, proof.entries)
        assert chain.verify_on_chain(number, proof.proof, proof.leaf)
        result["verify"][str(proof.depth)] = {
            "verify_called_gas": probe.functions.gas_of_verify(
                anchor, proof.proof, proof.tree.root, proof.leaf
            ).call(),
            "verify_in_batch_called_gas": probe.functions.gas_of_verify_in_batch(
                anchor, number, proof.proof, proof.leaf
            ).call(),
            "verify_transaction_gas": mined_gas(
                chain, contract.functions.verify(proof.proof, proof.tree.root, proof.leaf)
            ),
            "verify_in_batch_transaction_gas": mined_gas(
                chain, contract.functions.verify_in_batch(number, proof.proof, proof.leaf)
            ),
        }
    return result


def deploy(web3: Web3) -> tuple[Web3Chain, int]:
    """Deploy the committed build from the node's first account; return it and its gas."""
    artifact = load_anchor_artifact()
    factory = web3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx_hash = factory.constructor().transact({"from": web3.eth.accounts[0]})
    receipt = web3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
    return Web3Chain(web3, receipt["contractAddress"]), int(receipt["gasUsed"])


def report(name: str, result: dict[str, Any]) -> None:
    entries = result["entries_per_batch"]
    print(f"{name}")
    print(f"  deploy:                       {result['deploy_gas']:>9,} gas")
    print(
        f"  anchor, first batch:          {result['anchor_gas_first']:>9,} gas"
        f"  ({result['gas_per_entry_first']} gas/entry at {entries:,} entries)"
    )
    print(
        f"  anchor, later batches:        {result['anchor_gas']:>9,} gas"
        f"  ({result['gas_per_entry']} gas/entry at {entries:,} entries;"
        f" target ≤ {TARGET_GAS_PER_ENTRY})"
    )
    for depth, figures in result["verify"].items():
        print(
            f"  verify, depth {depth}:             {figures['verify_called_gas']:>9,} gas"
            f" from a contract, {figures['verify_transaction_gas']:,} as a transaction"
        )
        print(
            f"  verify_in_batch, depth {depth}:    {figures['verify_in_batch_called_gas']:>9,} gas"
            f" from a contract, {figures['verify_in_batch_transaction_gas']:,} as a transaction"
        )
    print()


def on_hardhat(batches: int, entries: int, proofs: list[Proof]) -> dict[str, Any] | None:
    from tests.integration.chain_node import HardhatNode

    reason = HardhatNode.available()
    if reason is not None:
        log(f"no hardhat: {reason}")
        return None
    node = HardhatNode()
    log(f"starting hardhat on {node.url}")
    node.start()
    try:
        chain, deploy_gas = deploy(http_web3(node.url, timeout=30))
        return {"deploy_gas": deploy_gas, **measure(chain, batches, entries, proofs)}
    finally:
        node.close()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--deep-entries", type=int, default=100_000)
    parser.add_argument("--no-hardhat", action="store_true")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    proofs = [Proof(1000, 10, b"depth 10"), Proof(args.deep_entries, 17, b"depth 17")]
    results: dict[str, Any] = {}
    log("eth-tester (in-process EVM)")
    chain, deploy_gas = deploy(Web3(EthereumTesterProvider()))
    results["eth_tester"] = {
        "deploy_gas": deploy_gas,
        **measure(chain, args.batches, args.entries, proofs),
    }
    if not args.no_hardhat:
        hardhat = on_hardhat(args.batches, args.entries, proofs)
        if hardhat is not None:
            results["hardhat"] = hardhat
    print(f"anchor contract gas, {args.batches} batches of {args.entries:,} entries")
    print()
    for name, result in results.items():
        report(name, result)
    print("RESULT " + json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
