"""Anchoring through the ledger's services on a real JSON-RPC node (Hardhat 2 on 127.0.0.1):
a node that is down for a while loses nothing and anchors nothing twice, and a proof verifies
with `flask ledger verify` and with the standalone script against that node."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from core.db import db
from ledger import services
from ledger.domain import BatchStatus
from ledger.models import LedgerBatch, LedgerEntry
from tests.integration.chain_node import HardhatNode, running_hardhat_node
from tests.integration.test_ledger_services import awarded_order, run_ledger_messages

STANDALONE = Path(__file__).resolve().parents[2] / "ledger" / "standalone_verify.py"


@pytest.fixture
def node(app: Flask) -> Iterator[HardhatNode]:
    with running_hardhat_node() as running:
        saved = {
            key: app.config[key] for key in ("LEDGER_CHAIN_RPC_URL", "LEDGER_CHAIN_TIMEOUT_SECONDS")
        }
        app.config.update(LEDGER_CHAIN_RPC_URL=running.url, LEDGER_CHAIN_TIMEOUT_SECONDS=1.0)
        app.extensions.pop("ledger_chain", None)
        yield running
        app.config.update(saved)
        app.extensions.pop("ledger_chain", None)


def batch(number: int) -> LedgerBatch:
    db.session.expire_all()
    return db.session.get(LedgerBatch, number)


def test_a_node_down_for_a_while_delays_anchoring_without_loss_or_double(node, app, tmp_path):
    # Given two sealed batches and a chain whose node stops answering
    awarded_order()
    run_ledger_messages()
    services.seal_due_batches(size=1000, max_age=timedelta(0))
    awarded_order()
    run_ledger_messages()
    assert services.seal_due_batches(size=1000, max_age=timedelta(0)) == [2]
    chain = services.ledger_chain()
    node.pause()
    try:
        # When the anchoring task runs while the node is down
        services.anchor_batches(chain, confirmations=1)
        # Then nothing moved, and the failure is on record
        assert batch(1).status is BatchStatus.PENDING and batch(2).status is BatchStatus.PENDING
        assert "unavailable" in batch(1).last_error and batch(1).attempts == 1
    finally:
        node.resume()
    # When it runs again with the node back, twice (a retry of the whole task)
    services.anchor_batches(chain, confirmations=1)
    services.anchor_batches(chain, confirmations=1)
    services.anchor_batches(chain, confirmations=1)
    # Then both batches are confirmed, anchored once each, in order
    assert [batch(n).status for n in (1, 2)] == [BatchStatus.CONFIRMED] * 2
    assert chain.batches() == 2
    assert batch(1).block_number < batch(2).block_number

    # And a proof verifies with the CLI and the standalone script against that node
    entry = db.session.query(LedgerEntry).filter(LedgerEntry.batch_number == 2).first()
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(json.dumps(services.proof_of(entry)))
    cli = app.test_cli_runner().invoke(
        args=["ledger", "verify", str(proof_file), "--rpc", node.url]
    )
    assert cli.exit_code == 0, cli.output
    assert cli.output.strip().splitlines()[-1] == "verified"
    standalone = subprocess.run(
        [sys.executable, str(STANDALONE), str(proof_file), "--rpc", node.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert standalone.returncode == 0, standalone.stdout + standalone.stderr
    # An altered entry in the proof file fails both
    altered = json.loads(proof_file.read_text())
    altered["entry"]["body"]["quantity"] = 1
    proof_file.write_text(json.dumps(altered))
    cli = app.test_cli_runner().invoke(
        args=["ledger", "verify", str(proof_file), "--rpc", node.url]
    )
    assert cli.exit_code == 1 and "NOT verified" in cli.output
    standalone = subprocess.run(
        [sys.executable, str(STANDALONE), str(proof_file), "--rpc", node.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert standalone.returncode == 1
