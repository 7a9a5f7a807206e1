"""Checking a proof document (as `GET /api/v1/ledger/entries/{id}/proof` returns it).

Three things must hold: the entry, canonicalised again, gives the proof's leaf; the proof folds
that leaf up to the root; the chain holds that root for the batch. `read_root` is how the chain is
asked; without it the last check is skipped (reported as not done, never as passed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ledger.merkle import LEDGER_LEAF_ENCODING, MerkleError, entry_leaf, leaf_hash, process_proof


class ProofDocumentInvalid(ValueError):
    """The document is not shaped like a proof."""


@dataclass(frozen=True)
class Verification:
    entry_matches_leaf: bool
    proof_reaches_root: bool
    root_on_chain: bool | None  # None: the chain was not asked (or could not be reached)
    chain_note: str = ""

    @property
    def verified(self) -> bool:
        return self.entry_matches_leaf and self.proof_reaches_root and bool(self.root_on_chain)

    def as_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "entry_matches_leaf": self.entry_matches_leaf,
            "proof_reaches_root": self.proof_reaches_root,
            "root_on_chain": self.root_on_chain,
            "chain_note": self.chain_note,
        }


def verify_proof_document(
    document: Mapping[str, Any], read_root: Callable[[int], bytes | None] | None = None
) -> Verification:
    """Check a proof document from the entry up to the chain.

    Raises:
        ProofDocumentInvalid when fields are missing or malformed.
    """
    try:
        body = document["entry"]["body"]
        leaf = _bytes32(document["leaf"])
        proof = [_bytes32(node) for node in document["proof"]]
        root = _bytes32(document["root"])
        batch_number = int(document["batch"]["number"])
    except (KeyError, TypeError, ValueError) as error:
        raise ProofDocumentInvalid(f"not a proof document: {error}") from error
    try:
        recomputed = leaf_hash(LEDGER_LEAF_ENCODING, entry_leaf(body))
        reaches = process_proof(leaf, proof) == root
    except (MerkleError, ValueError, TypeError) as error:
        raise ProofDocumentInvalid(f"not a proof document: {error}") from error
    if read_root is None:
        return Verification(recomputed == leaf, reaches, None, "chain not consulted")
    try:
        on_chain = read_root(batch_number)
    except Exception as error:  # any node failure: say so rather than pass or crash
        return Verification(recomputed == leaf, reaches, None, f"chain unreachable: {error}")
    if on_chain is None:
        return Verification(recomputed == leaf, reaches, False, "batch not anchored on chain")
    return Verification(recomputed == leaf, reaches, on_chain == root)


def _bytes32(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise ValueError(f"{value!r} is not a 32-byte hex value")
    return bytes.fromhex(value[2:])
