"""Commands of the ledger: `flask ledger event-hash FILE` prints a document's event hash IDs;
`flask ledger verify PROOF.json [--rpc URL]` checks a proof up to the chain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from ledger import services
from ledger.adapters.chain import ChainError, open_chain
from ledger.event_hash import EventHashError, event_hash_ids
from ledger.verification import ProofDocumentInvalid, verify_proof_document

ledger_cli = AppGroup("ledger", help="Tamper-evident ledger.")


@ledger_cli.command("event-hash")
@click.argument("file")
def event_hash_command(file: str) -> None:
    """Print the GS1 CBV 2.0 event hash ID of each event of the EPCIS document FILE.

    Prints one `ni:///sha-256;…?ver=CBV2.0` line per event, in document order (query documents
    too). Exits with status 2 when FILE is not an EPCIS JSON/JSON-LD document with events.
    """
    try:
        ids = event_hash_ids(_read_json(Path(file)))
        if not ids:
            raise EventHashError("the document has no events")
    except EventHashError as error:
        # Messages may quote keys or context URLs from the file; keep the error to one line.
        click.echo(f"Error: {file}: {' '.join(str(error).split())}", err=True)
        raise SystemExit(2) from None
    click.echo("\n".join(ids))


def _read_json(path: Path) -> Any:
    """Return the JSON value in the file at `path`.

    Raises:
        EventHashError: the file cannot be read, is not UTF-8 or is not strict JSON.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise EventHashError(f"cannot read the file ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise EventHashError("the file is not UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise EventHashError(f"the file is not JSON ({error})") from None
    except RecursionError:
        raise EventHashError("the file is nested too deeply to read") from None


def _reject_constant(name: str) -> Any:
    """Refuse NaN and Infinity, which Python's json accepts but JSON does not.

    Raises:
        EventHashError: always.
    """
    raise EventHashError(f"the file is not JSON ({name} is not a JSON number)")


@ledger_cli.command("verify")
@click.argument("proof_file")
@click.option("--rpc", help="JSON-RPC URL of the chain (default: the chain this app anchors on)")
@click.option("--contract", help="anchoring contract address (default: the proof's)")
def verify_command(proof_file: str, rpc: str | None, contract: str | None) -> None:
    """Check a proof (as the proof endpoint returns it) from the entry up to the chain.

    Exits 0 when verified, 1 when a check fails, 2 when PROOF_FILE is not a proof.
    """
    try:
        document = _read_json(Path(proof_file))
        if rpc:
            address = contract or document["chain"]["contract_address"]
            read_root = open_chain(rpc, contract_address=address).root_of
        else:
            read_root = services.ledger_chain().root_of
        result = verify_proof_document(document, read_root)
    except (EventHashError, ProofDocumentInvalid, KeyError, TypeError) as error:
        click.echo(f"Error: {proof_file}: {' '.join(str(error).split())}", err=True)
        raise SystemExit(2) from None
    except ChainError as error:
        click.echo(f"Error: cannot reach the chain: {error}", err=True)
        raise SystemExit(1) from None
    checks = (
        ("the entry gives the proof's leaf", result.entry_matches_leaf),
        ("the proof reaches the root", result.proof_reaches_root),
        ("the chain holds the root for the batch", bool(result.root_on_chain)),
    )
    for check, passed in checks:
        click.echo(f"{'ok  ' if passed else 'FAIL'} {check}")
    if result.chain_note:
        click.echo(f"     ({result.chain_note})")
    click.echo("verified" if result.verified else "NOT verified")
    raise SystemExit(0 if result.verified else 1)
