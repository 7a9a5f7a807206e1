# pragma version ==0.4.3
# pragma evm-version paris
# pragma optimize gas
"""
@title ShareFab ledger anchor
@notice Records the Merkle root of each ledger batch, and checks OpenZeppelin-style Merkle
        proofs against them.
@dev Batch numbers are consecutive from 1: a batch can only be anchored right after the one
     before it. That makes every batch number anchor at most once (a retried anchor of a batch
     that made it reverts instead of anchoring twice) and lets an auditor walk 1..batches()
     knowing that no batch was skipped or hidden. The ledger numbers its batches 1, 2, 3, ...
     to match.
"""

# Anchoring a batch must stay near 100 gas per entry at 1,000-entry batches, so a batch costs
# two new storage slots: its root, and one word packing its leaf count with the block number and
# timestamp that anchored it (Vyper does not pack struct members, so the packing is by hand).
# The block number lets a caller find the anchoring transaction with a one-block log query.
FIELD_MASK: constant(uint256) = (1 << 64) - 1
BLOCK_SHIFT: constant(uint256) = 64
TIME_SHIFT: constant(uint256) = 128
MAX_PROOF_DEPTH: constant(uint256) = 64


event Anchored:
    batch_number: indexed(uint256)
    root: indexed(bytes32)
    count: uint256


event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)


owner: public(address)
batches: public(uint256)
_roots: HashMap[uint256, bytes32]
_records: HashMap[uint256, uint256]


@deploy
def __init__():
    self.owner = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)


@external
def anchor(batch_number: uint256, root: bytes32, count: uint256):
    """
    @notice Record the Merkle root of batch `batch_number`, which holds `count` entries.
    @dev Reverts unless sent by the owner, for the batch right after the last one anchored,
         with a non-zero root and a count between 1 and 2**64 - 1.
    """
    assert msg.sender == self.owner, "not owner"
    next_batch: uint256 = self.batches + 1
    assert batch_number == next_batch, "batch out of order"
    # A zero root is what an unanchored batch reads as, so it cannot be anchored.
    assert root != empty(bytes32), "empty root"
    assert count != 0, "empty batch"
    assert count <= FIELD_MASK, "count too large"
    self.batches = next_batch
    self._roots[batch_number] = root
    self._records[batch_number] = (
        count | (block.number << BLOCK_SHIFT) | (block.timestamp << TIME_SHIFT)
    )
    log Anchored(batch_number=batch_number, root=root, count=count)


@external
def transfer_ownership(new_owner: address):
    """
    @notice Hand the right to anchor to `new_owner`, e.g. when the anchoring key is rotated.
    """
    assert msg.sender == self.owner, "not owner"
    assert new_owner != empty(address), "zero owner"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner


@view
@external
def root_of(batch_number: uint256) -> bytes32:
    """
    @notice Return the root anchored for `batch_number`, or zero if it is not anchored.
    """
    return self._roots[batch_number]


@view
@external
def count_of(batch_number: uint256) -> uint256:
    """
    @notice Return the number of entries in `batch_number`, or zero if it is not anchored.
    """
    return self._records[batch_number] & FIELD_MASK


@view
@external
def block_of(batch_number: uint256) -> uint256:
    """
    @notice Return the block that anchored `batch_number`, or zero if it is not anchored.
    """
    return (self._records[batch_number] >> BLOCK_SHIFT) & FIELD_MASK


@view
@external
def anchored_at(batch_number: uint256) -> uint256:
    """
    @notice Return the block timestamp when `batch_number` was anchored, or zero.
    """
    return self._records[batch_number] >> TIME_SHIFT


@pure
@internal
def _process_proof(proof: DynArray[bytes32, MAX_PROOF_DEPTH], leaf: bytes32) -> bytes32:
    # OpenZeppelin's MerkleProof.processProof: siblings are hashed as a sorted pair, so a proof
    # needs no left/right flags and matches trees built by @openzeppelin/merkle-tree.
    computed: bytes32 = leaf
    for sibling: bytes32 in proof:
        if convert(computed, uint256) < convert(sibling, uint256):
            computed = keccak256(concat(computed, sibling))
        else:
            computed = keccak256(concat(sibling, computed))
    return computed


@pure
@external
def verify(proof: DynArray[bytes32, MAX_PROOF_DEPTH], root: bytes32, leaf: bytes32) -> bool:
    """
    @notice Return whether `proof` shows that `leaf` is in the tree whose root is `root`.
    """
    return self._process_proof(proof, leaf) == root


@view
@external
def verify_in_batch(
    batch_number: uint256, proof: DynArray[bytes32, MAX_PROOF_DEPTH], leaf: bytes32
) -> bool:
    """
    @notice Return whether `proof` shows that `leaf` is in anchored batch `batch_number`.
    @dev False for a batch that is not anchored, whatever the proof.
    """
    root: bytes32 = self._roots[batch_number]
    if root == empty(bytes32):
        return False
    return self._process_proof(proof, leaf) == root
