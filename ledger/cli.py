"""Commands of the ledger: `flask ledger event-hash FILE` prints a document's event hash IDs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from ledger.event_hash import EventHashError, event_hash_ids

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
