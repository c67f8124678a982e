"""What a newcomer's ``streamlit run dashboard/app.py`` exposes: loopback only, no rebinding.

The app is started exactly as the README says (no address flag), so the
defaults in ``.streamlit/config.toml`` are what is tested.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, subprocess_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(env: dict[str, str], port: int, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=out.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(proc: subprocess.Popen, port: int, out: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    pytest.fail("streamlit did not start: " + out.read_text()[-2000:])


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def default_app(
    module_db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[subprocess.Popen, int, Path]]:
    """The app as the README starts it: no address flag, nothing but the repo's config.

    Started once for the file: its tests only look at it (its sockets, its start-up output, handshakes).
    """
    port = _free_port()
    out = tmp_path_factory.mktemp("default-app") / "streamlit.out"
    proc = _start(subprocess_env(module_db_url), port, out)
    _wait_healthy(proc, port, out)
    yield proc, port, out
    _stop(proc)


def _handshake(port: int, host: str, origin: str | None) -> int:
    """Open the app's WebSocket with the given Host/Origin; the HTTP status it answers."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status_line = sock.recv(4096).split(b"\r\n", 1)[0].decode()
    return int(status_line.split()[1])


def test_default_start_listens_on_loopback_only(default_app):
    proc, port, out = default_app
    listening = {
        c.laddr.ip
        for c in psutil.Process(proc.pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port
    }
    assert listening and listening <= {"127.0.0.1", "::1"}, listening
    printed = out.read_text()
    assert "Network URL" not in printed and "External URL" not in printed, printed


def test_foreign_host_or_origin_websocket_is_refused(default_app):
    _, port, _ = default_app
    assert _handshake(port, f"localhost:{port}", f"http://localhost:{port}") == 101  # the console itself
    assert _handshake(port, f"127.0.0.1:{port}", None) == 101
    assert (
        _handshake(port, f"rebound.attacker.example:{port}", f"http://rebound.attacker.example:{port}") != 101
    )
    assert _handshake(port, f"localhost:{port}", "http://attacker.example") != 101


def test_serving_beyond_loopback_without_sign_in_is_refused_at_start(cli_env: dict[str, str], tmp_path: Path):
    out = tmp_path / "streamlit.out"
    proc = _start(cli_env, _free_port(), out, "--server.address", "0.0.0.0")
    try:
        code = proc.wait(60)
    except subprocess.TimeoutExpired:
        _stop(proc)
        pytest.fail("the app served 0.0.0.0 without sign-in: " + out.read_text()[-2000:])
    printed = out.read_text()
    assert code == 2, printed
    assert "error: refusing to serve 0.0.0.0 without sign-in" in printed, printed
    assert "Traceback" not in printed
