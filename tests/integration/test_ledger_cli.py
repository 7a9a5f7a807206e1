"""`flask ledger event-hash FILE`: one event hash ID a line, exit status 2 for a bad file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from tests.support import EXTERNAL

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VECTOR_DIR = EXTERNAL / "epcis-hash-vectors"
VECTORS = sorted(VECTOR_DIR.glob("*.jsonld"))
needs_vectors = pytest.mark.skipif(
    not VECTOR_DIR.is_dir(),
    reason=f"hash vectors not found at {VECTOR_DIR} (shared/external/epcis-hash-vectors)",
)
EVENT = (
    '{"type": "ObjectEvent", "eventTime": "2020-03-04T11:00:30+01:00",'
    ' "eventTimeZoneOffset": "+01:00", "action": "OBSERVE"}'
)


def event_hash(app: Flask, *args: str):
    return app.test_cli_runner().invoke(args=["ledger", "event-hash", *args])


@pytest.mark.parametrize("vector", VECTORS, ids=lambda vector: vector.stem)
def test_prints_the_hash_id_of_each_event_as_upstream_does(app, vector):
    # given a document of the reference generator's examples
    # when its event hash IDs are printed
    result = event_hash(app, str(vector))
    # then the output is the upstream .hashes file: one ID a line, in document order
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.endswith("\n")
    expected = vector.with_suffix(".hashes").read_text(encoding="utf-8").splitlines()
    assert result.stdout.splitlines() == expected


@needs_vectors
def test_the_flask_command_prints_the_ids_of_a_query_document():
    path = VECTOR_DIR / "epcisQueryDocument.jsonld"
    flask = Path(sys.executable).with_name("flask")
    completed = subprocess.run(
        [str(flask), "--app", "app", "ledger", "event-hash", str(path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == path.with_suffix(".hashes").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the file (No such file or directory)"),
        (b"", "the file is not JSON (Expecting value: line 1 column 1 (char 0))"),
        (b"<epcis:EPCISDocument/>", "the file is not JSON"),
        (b'{"epcisBody": "\xff"}', "the file is not UTF-8 text"),
        (b'{"epcisBody": {"eventList": [NaN]}}', "NaN is not a JSON number"),
        (b"[]", "not an EPCIS document: it has no epcisBody object"),
        (b'{"type": "EPCISDocument", "schemaVersion": "2.0"}', "it has no epcisBody object"),
        (b'{"epcisBody": {"eventList": {}}}', "its event list is not a list of objects"),
        (b'{"epcisBody": {"eventList": []}}', "the document has no events"),
        (
            b'{"epcisBody": {"eventList": [' + EVENT.encode() + b', {"action": "ADD"}]}}',
            "event 2: the event has no type",
        ),
        (
            b'{"@context": ["https://example.com/ctx.jsonld"], "epcisBody": {"eventList": ['
            + EVENT[:-1].encode()
            + b', "acme:\\nnote": 1}]}}',
            "event 1: cannot expand 'acme:\\nnote'",
        ),
    ],
    ids=[
        "missing",
        "empty",
        "XML",
        "not UTF-8",
        "NaN",
        "JSON array",
        "no epcisBody",
        "event list not a list",
        "no events",
        "event without type",
        "prefix only a remote context defines",
    ],
)
def test_a_bad_file_exits_2_with_a_one_line_error(app, tmp_path, content, message):
    path = tmp_path / "document.jsonld"
    if content is not None:
        path.write_bytes(content)
    result = event_hash(app, str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"Error: {path}: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_directory_exits_2_with_a_one_line_error(app, tmp_path):
    result = event_hash(app, str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {tmp_path}: cannot read the file (Is a directory)\n"
