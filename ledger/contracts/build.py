"""Compile the anchoring contract into its committed artifact, reproducibly.

    .venv/bin/python -m ledger.contracts.build           # rewrite ledger/contracts/Anchor.json
    .venv/bin/python -m ledger.contracts.build --check   # exit 1 if the artifact is stale

The compiler version and settings are pinned here and in the source's pragmas, so the same
source gives byte-for-byte the same artifact on any machine; a unit test recompiles and compares.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import vyper
from vyper.compiler.settings import OptimizationLevel, Settings

from ledger.contracts import ARTIFACT_PATH, SOURCE_PATH

VYPER_VERSION = "0.4.3"
# Paris (the merge, no PUSH0/MCOPY) so the same bytecode runs on any post-merge EVM chain,
# consortium chains that lag behind mainnet forks included; newer opcodes would save a few gas.
EVM_VERSION = "paris"
OPTIMIZE = "gas"
CONTRACT_NAME = "Anchor"
# The path compiled under is part of the compiler's input, so it is fixed rather than absolute.
SOURCE_NAME = "ledger/contracts/anchor.vy"


class CompilerMismatch(RuntimeError):
    """The installed Vyper is not the pinned one, so the artifact would not be reproducible."""


def compile_anchor(source_path: Path = SOURCE_PATH) -> dict[str, Any]:
    """Compile the contract and return the artifact as a JSON-ready dict.

    Raises:
        CompilerMismatch: if the installed Vyper is not `VYPER_VERSION`.
    """
    if vyper.__version__ != VYPER_VERSION:
        raise CompilerMismatch(f"vyper {VYPER_VERSION} is pinned, {vyper.__version__} installed")
    source = source_path.read_text(encoding="utf-8")
    settings = Settings(evm_version=EVM_VERSION, optimize=OptimizationLevel.from_string(OPTIMIZE))
    output = vyper.compile_code(
        source,
        contract_path=SOURCE_NAME,
        settings=settings,
        output_formats=["abi", "bytecode", "bytecode_runtime", "integrity"],
    )
    return {
        "contract_name": CONTRACT_NAME,
        "source": SOURCE_NAME,
        "source_sha256": hashlib.sha256(source.encode("utf-8")).hexdigest(),
        "compiler": {
            "name": "vyper",
            "version": VYPER_VERSION,
            "settings": {"evm_version": EVM_VERSION, "optimize": OPTIMIZE},
            "integrity": output["integrity"],
        },
        "abi": output["abi"],
        "bytecode": output["bytecode"],
        "bytecode_runtime": output["bytecode_runtime"],
    }


def render(artifact: dict[str, Any]) -> str:
    """Return the artifact as the exact text committed (stable key order, final newline)."""
    return json.dumps(artifact, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the artifact, or with --check report whether the committed one is current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    parser.add_argument("--output", type=Path, default=ARTIFACT_PATH)
    arguments = parser.parse_args(argv)
    text = render(compile_anchor())
    if arguments.check:
        current = arguments.output.read_text(encoding="utf-8") if arguments.output.exists() else ""
        if current != text:
            print(f"{arguments.output} is stale: run python -m ledger.contracts.build")
            return 1
        print(f"{arguments.output} is current")
        return 0
    arguments.output.write_text(text, encoding="utf-8")
    print(f"wrote {arguments.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
