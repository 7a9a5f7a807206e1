"""The ledger's anchoring contract: Vyper source, its committed build artifact and a loader.

`anchor.vy` is compiled by `python -m ledger.contracts.build` into `Anchor.json`. Code that talks
to a chain loads the artifact, never the compiler, so a running app needs no Vyper and no
download of any toolchain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

CONTRACTS_DIR = Path(__file__).resolve().parent
SOURCE_PATH = CONTRACTS_DIR / "anchor.vy"
ARTIFACT_PATH = CONTRACTS_DIR / "Anchor.json"


@dataclass(frozen=True)
class ContractArtifact:
    """A compiled contract as committed: interface, code and how it was built."""

    contract_name: str
    abi: list[dict[str, Any]]
    bytecode: str
    bytecode_runtime: str
    compiler_version: str
    settings: dict[str, str]
    source_sha256: str


@cache
def load_anchor_artifact() -> ContractArtifact:
    """Return the committed build of the anchoring contract."""
    data = json.loads(ARTIFACT_PATH.read_text(encoding="utf-8"))
    return ContractArtifact(
        contract_name=data["contract_name"],
        abi=data["abi"],
        bytecode=data["bytecode"],
        bytecode_runtime=data["bytecode_runtime"],
        compiler_version=data["compiler"]["version"],
        settings=data["compiler"]["settings"],
        source_sha256=data["source_sha256"],
    )
