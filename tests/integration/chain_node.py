"""A real local JSON-RPC chain node (Hardhat 2 from the project's npm devDependencies).

`HardhatNode` starts `hardhat node` on 127.0.0.1 on a free port, waits until it answers
`eth_chainId`, and can pause (SIGSTOP: a hung node that keeps its state), resume, stop and
start again (a new, empty chain: Hardhat 2 keeps no state between runs).
`running_hardhat_node()` and the `hardhat_node` fixture skip when Node or Hardhat is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HARDHAT = PROJECT_ROOT / "node_modules" / ".bin" / "hardhat"
CONFIG = PROJECT_ROOT / "tests" / "hardhat" / "hardhat.config.cjs"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0
CHAIN_ID = 31337
# Hardhat's default accounts come from a public test mnemonic; these keys guard nothing.
ACCOUNT_KEYS = (
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rpc(url: str, method: str, params: list | None = None, timeout: float = 2.0) -> object:
    """Send one JSON-RPC request and return its result.

    Raises:
        OSError: if the node does not answer (urllib's errors are OSErrors).
        RuntimeError: if the node answers with an error.
    """
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if "error" in answer:
        raise RuntimeError(answer["error"])
    return answer["result"]


class HardhatNode:
    """One `hardhat node` process that the tests start, pause and stop."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._scratch = Path(tempfile.mkdtemp(prefix="sharefab-hardhat-"))
        self._log_path = self._scratch / "node.log"
        self._process: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> str | None:
        """Return why a node cannot be started here, or None if it can."""
        if shutil.which("node") is None:
            return "node is not installed"
        if not HARDHAT.exists():
            return "hardhat is not installed (npm ci installs the devDependencies)"
        return None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the node and wait until it answers eth_chainId.

        Raises:
            RuntimeError: if it exits or does not answer within the start timeout.
        """
        environment = {
            **os.environ,
            # No telemetry prompt, no banner or update check: a CI-like, non-interactive run.
            "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
            "CI": "true",
            "NO_COLOR": "1",
            "SHAREFAB_HARDHAT_SCRATCH": str(self._scratch),
        }
        command = [
            str(HARDHAT),
            "--config",
            str(CONFIG),
            "node",
            "--hostname",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        log = self._log_path.open("ab")
        self._process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"hardhat node exited:\n{self.log_tail()}")
            try:
                if int(str(rpc(self.url, "eth_chainId", timeout=1.0)), 16) == CHAIN_ID:
                    return
            except (OSError, RuntimeError, ValueError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"hardhat node did not answer in {START_TIMEOUT_SECONDS} s")

    def pause(self) -> None:
        """Freeze the node: connections are accepted, nothing is answered, state is kept."""
        self._signal_group(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal_group(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the node (its chain is gone) and wait until the port is closed."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            self._signal_group(signal.SIGCONT)
            self._signal_group(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
        self._process = None

    def restart(self) -> None:
        """Stop the node and start a new one, with an empty chain, on the same port."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def mine(self, blocks: int = 1) -> None:
        for _ in range(blocks):
            rpc(self.url, "evm_mine")

    def set_automine(self, enabled: bool) -> None:
        rpc(self.url, "evm_setAutomine", [enabled])

    def log_tail(self, lines: int = 40) -> str:
        if not self._log_path.exists():
            return ""
        return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])

    def _signal_group(self, signum: int) -> None:
        # The node runs in its own session (npm's shim starts node as a child), so the whole
        # group gets the signal; only this process group, which this fixture started.
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signum)


@contextmanager
def running_hardhat_node() -> Iterator[HardhatNode]:
    """Start a Hardhat node, yield it and stop it; skip the test if Node/Hardhat is missing."""
    reason = HardhatNode.available()
    if reason is not None:
        pytest.skip(reason)
    node = HardhatNode()
    node.start()
    try:
        yield node
    finally:
        node.close()


@pytest.fixture(scope="module")
def hardhat_node() -> Iterator[HardhatNode]:
    """Yield a running Hardhat node shared by a module's tests (import it or wrap it)."""
    with running_hardhat_node() as node:
        yield node
