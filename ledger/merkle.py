"""Build and verify Merkle trees over ledger entries as OpenZeppelin's StandardMerkleTree does.

The convention is that of the npm package `@openzeppelin/merkle-tree` (format "standard-v1"), so
a root and its proofs verify with OpenZeppelin's Solidity `MerkleProof.verify` and
`MerkleProof.multiProofVerify`:

- a leaf is `keccak256(keccak256(abi.encode(types, values)))`; hashing twice keeps a leaf from
  being passed off as an internal node (a second-preimage attack on 64-byte leaves);
- an internal node is `keccak256` of its two children concatenated in ascending byte order, so a
  proof is a plain list of sibling hashes with no left/right flags;
- the tree is a complete binary tree stored as an array of `2n - 1` nodes: `tree[0]` is the root,
  the children of node `i` are `2i + 1` and `2i + 2`, and the leaves fill the end of the array in
  reverse, sorted by hash unless `sort_leaves=False`.

A ledger entry becomes a leaf through its canonical form: the leaf encoding is `["bytes32"]` and
the value is `keccak256` of the entry's RFC 8785 JSON (`entry_leaf`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import rfc8785
from eth_abi import encode as abi_encode
from eth_abi.grammar import ABIType, BasicType, TupleType, parse
from eth_hash import Keccak256

FORMAT: Final = "standard-v1"
HASH_LENGTH: Final = 32
LEDGER_LEAF_ENCODING: Final[tuple[str, ...]] = ("bytes32",)


class MerkleError(ValueError):
    """A Merkle tree, proof or dump that cannot be used."""


class EmptyTree(MerkleError):
    """A tree needs at least one leaf."""


class LeafNotInTree(MerkleError):
    """The value is not a leaf of this tree."""


class MalformedTree(MerkleError):
    """A dumped tree whose format, hashes or values do not hold together."""


class MalformedProof(MerkleError):
    """A proof whose nodes are not 32 bytes or whose parts do not fit together."""


def _select_keccak() -> Callable[[bytes], bytes]:
    """Return eth_hash's Keccak-256, on the pysha3 backend when it is installed."""
    try:
        from eth_hash.backends import pysha3
    except ImportError:
        from eth_hash.auto import keccak

        return keccak
    # eth_hash.auto picks pycryptodome first, whose per-call overhead (~10 µs) dominates a
    # 100,000-leaf tree; pysha3 hashes 64 bytes in ~1.5 µs. The backend is called without the
    # Keccak256 wrapper, whose type check costs a fifth of that, once it has passed the
    # wrapper's known-answer test.
    Keccak256(pysha3.backend)(b"")
    return pysha3.backend.keccak256


keccak256: Final = _select_keccak()


# --- ledger entries ------------------------------------------------------------------------------


def canonical_json(obj: Any) -> bytes:
    """Return the RFC 8785 (JSON Canonicalization Scheme) UTF-8 bytes of a JSON value.

    Raises:
        rfc8785.CanonicalizationError: a value JSON cannot carry exactly (a float NaN or infinity,
            an integer beyond ±(2**53 - 1), a Decimal, bytes, a non-string key, a lone surrogate).
    """
    return rfc8785.dumps(obj)


def entry_digest(obj: Any) -> bytes:
    """Return keccak256 of the entry's RFC 8785 canonical JSON.

    Raises:
        rfc8785.CanonicalizationError: see `canonical_json`.
    """
    return keccak256(canonical_json(obj))


def entry_leaf(obj: Any) -> tuple[bytes]:
    """Return the leaf value of an entry under `LEDGER_LEAF_ENCODING`.

    Raises:
        rfc8785.CanonicalizationError: see `canonical_json`.
    """
    return (entry_digest(obj),)


def entry_leaf_hash(obj: Any) -> bytes:
    """Return the leaf hash of an entry, as `MerkleProof.verify` takes it.

    Raises:
        rfc8785.CanonicalizationError: see `canonical_json`.
    """
    return leaf_hash(LEDGER_LEAF_ENCODING, entry_leaf(obj))


def tree_of_entries(entries: Iterable[Any], sort_leaves: bool = True) -> StandardMerkleTree:
    """Build the tree whose leaves are the entries' digests, in the entries' order.

    Raises:
        EmptyTree: no entries.
        rfc8785.CanonicalizationError: see `canonical_json`.
    """
    return StandardMerkleTree.of(
        [entry_leaf(entry) for entry in entries], LEDGER_LEAF_ENCODING, sort_leaves=sort_leaves
    )


# --- hashes --------------------------------------------------------------------------------------


def _double_hash(encoded: bytes) -> bytes:
    return keccak256(keccak256(encoded))


@lru_cache(maxsize=64)
def _parsed_types(types: tuple[str, ...]) -> tuple[ABIType, ...]:
    return tuple(parse(abi_type) for abi_type in types)


def _from_json(abi_type: ABIType, value: Any) -> Any:
    """Return the Python value eth_abi encodes for a value as JSON and the npm package carry it."""
    if abi_type.is_array:
        return [_from_json(abi_type.item_type, item) for item in value]
    if isinstance(abi_type, TupleType):
        return tuple(
            _from_json(part, item) for part, item in zip(abi_type.components, value, strict=True)
        )
    base = abi_type.base if isinstance(abi_type, BasicType) else None
    if base == "bytes" and isinstance(value, str) and value[:2] in ("0x", "0X"):
        return bytes.fromhex(value[2:])
    if base in ("uint", "int") and isinstance(value, str):
        return int(value, 16) if value[:2] in ("0x", "0X") else int(value, 10)
    return value


def _to_json(abi_type: ABIType, value: Any) -> Any:
    """Return a value as the npm package's dump carries it: hex bytes, decimal-string integers."""
    if abi_type.is_array:
        return [_to_json(abi_type.item_type, item) for item in value]
    if isinstance(abi_type, TupleType):
        return [_to_json(part, item) for part, item in zip(abi_type.components, value, strict=True)]
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    # JSON numbers lose precision past 2**53 in JavaScript, so integers travel as strings.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _normalise(types: tuple[str, ...], value: Sequence[Any]) -> tuple[Any, ...]:
    """Return a leaf value as eth_abi takes it: a tuple, hex strings as bytes, strings as ints.

    Raises:
        MerkleError: not one item per type.
    """
    if isinstance(value, str | bytes) or len(value) != len(types):
        raise MerkleError(f"a leaf value needs {len(types)} items, one per type; got {value!r}")
    if _all_words(types):
        return tuple(
            bytes.fromhex(item[2:]) if isinstance(item, str) and item[:2] in ("0x", "0X") else item
            for item in value
        )
    parsed = _parsed_types(types)
    return tuple(_from_json(abi_type, item) for abi_type, item in zip(parsed, value, strict=True))


@lru_cache(maxsize=64)
def _all_words(types: tuple[str, ...]) -> bool:
    return all(abi_type == "bytes32" for abi_type in types)


def _abi_encode(types: tuple[str, ...], values: tuple[Any, ...]) -> bytes:
    """Return abi.encode(types, values), short-cutting a tuple of bytes32 words."""
    # The ABI encodes a bytes32 in place, right-padded to 32 bytes: for values of exactly 32 bytes
    # that is their concatenation. eth_abi's validation costs 10-25 µs a value, most of a
    # 100,000-leaf build; the tests check the short cut against eth_abi.
    if _all_words(types) and all(type(v) is bytes and len(v) == HASH_LENGTH for v in values):
        return b"".join(values)
    return abi_encode(types, values)


def leaf_hash(types: Sequence[str], values: Sequence[Any]) -> bytes:
    """Return keccak256(keccak256(abi.encode(types, values))), the standard leaf hash.

    Raises:
        MerkleError: not one value per type.
        eth_abi.exceptions.EncodingError: a value the type cannot encode.
    """
    types = tuple(types)
    return _double_hash(_abi_encode(types, _normalise(types, values)))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """Return keccak256 of the two nodes in ascending order (OpenZeppelin's commutative hash)."""
    return keccak256(a + b if a <= b else b + a)


def _check_node(node: bytes) -> None:
    if not isinstance(node, bytes | bytearray) or len(node) != HASH_LENGTH:
        raise MalformedProof(f"a Merkle node is {HASH_LENGTH} bytes, not {node!r}")


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Return the root that a leaf hash and its proof lead to.

    Raises:
        MalformedProof: the leaf or a proof node is not 32 bytes.
    """
    _check_node(leaf)
    hash_ = keccak256
    node = bytes(leaf)
    for sibling in proof:
        _check_node(sibling)
        sibling = bytes(sibling)
        node = hash_(node + sibling if node <= sibling else sibling + node)
    return node


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """Tell whether a proof shows the leaf hash under the root, as `MerkleProof.verify` does."""
    try:
        return process_proof(leaf, proof) == root
    except MalformedProof:
        return False


def process_multiproof(
    leaves: Sequence[bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]
) -> bytes:
    """Return the root that leaf hashes (in tree order) and their multiproof lead to.

    Raises:
        MalformedProof: a node is not 32 bytes, or the leaves, proof and flags do not fit together.
    """
    for node in (*leaves, *proof):
        _check_node(node)
    if len(proof) < sum(1 for flag in proof_flags if not flag):
        raise MalformedProof("the multiproof has fewer proof nodes than flags asking for one")
    if len(leaves) + len(proof) != len(proof_flags) + 1:
        raise MalformedProof("leaves + proof nodes must be one more than the flags")
    # Both are queues: hashes are consumed from the front and pushed at the back, which visits
    # the tree level by level from the leaves up, as MerkleProof.multiProofVerify does.
    stack = deque(bytes(leaf) for leaf in leaves)
    nodes = deque(bytes(node) for node in proof)
    for flag in proof_flags:
        if not stack or not (stack if flag else nodes) or (flag and len(stack) < 2):
            raise MalformedProof("the multiproof flags ask for more nodes than it has")
        first = stack.popleft()
        second = stack.popleft() if flag else nodes.popleft()
        stack.append(hash_pair(first, second))
    if len(stack) + len(nodes) != 1:
        raise MalformedProof("the multiproof leaves more than one node unused")
    return stack.pop() if stack else nodes.popleft()


def verify_multiproof(
    root: bytes, leaves: Sequence[bytes], proof: Sequence[bytes], proof_flags: Sequence[bool]
) -> bool:
    """Tell whether a multiproof shows all the leaf hashes under the root."""
    try:
        return process_multiproof(leaves, proof, proof_flags) == root
    except MalformedProof:
        return False


# --- the tree ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MultiProof:
    """Values proved together, in tree order, with the nodes and flags that rebuild the root."""

    leaves: list[tuple[Any, ...]]
    proof: list[bytes]
    proof_flags: list[bool]


class StandardMerkleTree:
    """A Merkle tree of ABI-encoded values, identical to `@openzeppelin/merkle-tree`'s."""

    __slots__ = ("_hash_lookup", "_leaf_encoding", "_parsed", "_tree", "_tree_indices", "_values")

    def __init__(
        self,
        tree: list[bytes],
        values: list[tuple[Any, ...]],
        tree_indices: list[int],
        leaf_encoding: tuple[str, ...],
    ) -> None:
        """Wrap already built parts; use `of` or `load` instead."""
        self._tree = tree
        self._values = values
        self._tree_indices = tree_indices
        self._leaf_encoding = leaf_encoding
        self._parsed = _parsed_types(leaf_encoding)
        self._hash_lookup: dict[bytes, int] | None = None

    @classmethod
    def of(
        cls, values: Iterable[Sequence[Any]], leaf_encoding: Sequence[str], sort_leaves: bool = True
    ) -> StandardMerkleTree:
        """Build the tree of the values, each encoded with the leaf encoding (ABI type names).

        Raises:
            EmptyTree: no values.
            MerkleError: a value without exactly one item per type.
            eth_abi.exceptions.EncodingError: a value the type cannot encode.
        """
        encoding = tuple(leaf_encoding)
        normalised = [_normalise(encoding, value) for value in values]
        if not normalised:
            raise EmptyTree("a Merkle tree needs at least one leaf")
        hashes = [_double_hash(_abi_encode(encoding, value)) for value in normalised]
        count = len(hashes)
        # Python's sort is stable like JavaScript's, so equal hashes keep the npm package's order.
        order = sorted(range(count), key=hashes.__getitem__) if sort_leaves else range(count)
        size = 2 * count - 1
        tree: list[bytes] = [b""] * size
        tree_indices = [0] * count
        for position, value_index in enumerate(order):
            tree_indices[value_index] = size - 1 - position
            tree[size - 1 - position] = hashes[value_index]
        _fill_internal_nodes(tree, size - 1 - count)
        return cls(tree, normalised, tree_indices, encoding)

    @property
    def root(self) -> bytes:
        """Return the root hash (bytes32)."""
        return self._tree[0]

    @property
    def leaf_encoding(self) -> tuple[str, ...]:
        """Return the ABI types of a leaf value."""
        return self._leaf_encoding

    @property
    def values(self) -> tuple[tuple[Any, ...], ...]:
        """Return the values in the order they were given."""
        return tuple(self._values)

    @property
    def tree(self) -> tuple[bytes, ...]:
        """Return every node, root first, as the array layout stores them."""
        return tuple(self._tree)

    def __len__(self) -> int:
        """Return how many values the tree holds."""
        return len(self._values)

    def at(self, index: int) -> tuple[Any, ...]:
        """Return the value at an index of the given order.

        Raises:
            IndexError: no value at that index.
        """
        return self._values[self._check_index(index)]

    def leaf(self, index: int) -> bytes:
        """Return the leaf hash of the value at an index.

        Raises:
            IndexError: no value at that index.
        """
        return self._tree[self._tree_indices[self._check_index(index)]]

    def leaf_index(self, value: Sequence[Any]) -> int:
        """Return the index of a value; the last one if it was given more than once, as npm does.

        Raises:
            LeafNotInTree: the value is not in the tree.
        """
        if self._hash_lookup is None:
            # Built on first use: a tree made only to publish its root never needs it.
            self._hash_lookup = {
                self._tree[tree_index]: value_index
                for value_index, tree_index in enumerate(self._tree_indices)
            }
        found = self._hash_lookup.get(leaf_hash(self._leaf_encoding, value))
        if found is None:
            raise LeafNotInTree(f"{value!r} is not a leaf of this tree")
        return found

    def proof(self, index: int) -> list[bytes]:
        """Return the sibling hashes from the value's leaf up to the root.

        Raises:
            IndexError: no value at that index.
        """
        tree = self._tree
        node = self._tree_indices[self._check_index(index)]
        proof = []
        while node:
            # With the root at 0 the children of i are 2i + 1 and 2i + 2: shifted down by one,
            # siblings differ in the last bit and the parent is half.
            node -= 1
            proof.append(tree[(node ^ 1) + 1])
            node >>= 1
        return proof

    def multiproof(self, indices: Iterable[int]) -> MultiProof:
        """Return one proof for several values, ordered as `multiProofVerify` needs them.

        Raises:
            IndexError: no value at one of the indices.
            MerkleError: an index given twice.
        """
        pairs = sorted(
            ((self._tree_indices[self._check_index(index)], index) for index in indices),
            reverse=True,
        )
        nodes = [tree_index for tree_index, _ in pairs]
        if len(set(nodes)) != len(nodes):
            raise MerkleError("cannot prove the same value twice in a multiproof")
        tree = self._tree
        queue = deque(nodes)
        proof: list[bytes] = []
        flags: list[bool] = []
        while queue and queue[0] > 0:
            node = queue.popleft()
            sibling = node + 1 if node % 2 else node - 1
            if queue and queue[0] == sibling:
                flags.append(True)
                queue.popleft()
            else:
                flags.append(False)
                proof.append(tree[sibling])
            queue.append((node - 1) // 2)
        if not nodes:
            proof.append(tree[0])
        return MultiProof([self._values[index] for _, index in pairs], proof, flags)

    @staticmethod
    def verify(
        root: bytes, leaf_encoding: Sequence[str], value: Sequence[Any], proof: Sequence[bytes]
    ) -> bool:
        """Tell whether a proof shows the value (not its hash) under the root.

        Raises:
            MerkleError: not one value per type.
            eth_abi.exceptions.EncodingError: a value the type cannot encode.
        """
        return verify(root, leaf_hash(leaf_encoding, value), proof)

    @staticmethod
    def verify_multiproof(
        root: bytes, leaf_encoding: Sequence[str], multiproof: MultiProof
    ) -> bool:
        """Tell whether a multiproof shows all its values under the root.

        Raises:
            MerkleError: not one value per type.
            eth_abi.exceptions.EncodingError: a value the type cannot encode.
        """
        leaves = [leaf_hash(leaf_encoding, value) for value in multiproof.leaves]
        return verify_multiproof(root, leaves, multiproof.proof, multiproof.proof_flags)

    def dump(self) -> dict[str, Any]:
        """Return the tree as `@openzeppelin/merkle-tree`'s `dump()` does (JSON-ready)."""
        parsed = self._parsed
        as_json: Callable[[tuple[Any, ...]], list[Any]]
        if _all_words(self._leaf_encoding):
            as_json = _words_to_json
        else:

            def as_json(value: tuple[Any, ...]) -> list[Any]:
                return [_to_json(t, item) for t, item in zip(parsed, value, strict=True)]

        return {
            "format": FORMAT,
            "leafEncoding": list(self._leaf_encoding),
            "tree": ["0x" + node.hex() for node in self._tree],
            "values": [
                {"value": as_json(value), "treeIndex": tree_index}
                for value, tree_index in zip(self._values, self._tree_indices, strict=True)
            ],
        }

    @classmethod
    def load(cls, data: Mapping[str, Any]) -> StandardMerkleTree:
        """Rebuild a tree from a dump (ours or the npm package's), checking every hash.

        Raises:
            MalformedTree: an unknown format, a node that is not 32 bytes, a value whose leaf
                hash is not at its tree index, or a node that is not the hash of its children.
        """
        if data.get("format") != FORMAT:
            raise MalformedTree(f"unknown format {data.get('format')!r}, expected {FORMAT!r}")
        encoding = data.get("leafEncoding")
        if not isinstance(encoding, list) or not all(isinstance(t, str) for t in encoding):
            raise MalformedTree("a standard tree dump needs its leaf encoding")
        try:
            tree = [_node_from_hex(node) for node in data["tree"]]
            values = [_normalise(tuple(encoding), v["value"]) for v in data["values"]]
            tree_indices = [int(v["treeIndex"]) for v in data["values"]]
        except (KeyError, TypeError, ValueError) as error:
            raise MalformedTree(f"unreadable tree dump: {error}") from error
        if not values or len(tree) != 2 * len(values) - 1:
            raise MalformedTree("a tree of n values has 2n - 1 nodes, and n is at least 1")
        first_leaf = len(tree) - len(values)
        if sorted(tree_indices) != list(range(first_leaf, len(tree))):
            raise MalformedTree("each value must sit on its own leaf")
        for value, tree_index in zip(values, tree_indices, strict=True):
            try:
                hashed = _double_hash(_abi_encode(tuple(encoding), value))
            except Exception as error:  # eth_abi raises several unrelated types on bad values
                raise MalformedTree(f"value {value!r} does not encode: {error}") from error
            if tree[tree_index] != hashed:
                raise MalformedTree(f"value {value!r} is not the leaf at index {tree_index}")
        for index in range(first_leaf):
            if tree[index] != hash_pair(tree[2 * index + 1], tree[2 * index + 2]):
                raise MalformedTree(f"node {index} is not the hash of its children")
        return cls(tree, values, tree_indices, tuple(encoding))

    def _check_index(self, index: int) -> int:
        # A negative index would silently count from the end, which npm's `getProof` refuses.
        if not 0 <= index < len(self._values):
            raise IndexError(f"no value at index {index}; the tree holds {len(self._values)}")
        return index


def _fill_internal_nodes(tree: list[bytes], last: int) -> None:
    """Hash every internal node, from the last one up to the root."""
    hash_ = keccak256  # a local name saves a global lookup per node on 100,000-leaf trees
    for index in range(last, -1, -1):
        left = tree[2 * index + 1]
        right = tree[2 * index + 2]
        tree[index] = hash_(left + right if left <= right else right + left)


def _words_to_json(value: tuple[Any, ...]) -> list[Any]:
    return ["0x" + bytes(item).hex() for item in value]


def _node_from_hex(node: Any) -> bytes:
    if not isinstance(node, str) or node[:2] not in ("0x", "0X"):
        raise ValueError(f"a tree node is a 0x-prefixed hex string, not {node!r}")
    raw = bytes.fromhex(node[2:])
    if len(raw) != HASH_LENGTH:
        raise ValueError(f"a tree node is {HASH_LENGTH} bytes, not {len(raw)}")
    return raw
