"""`clinicdesk serve` lets Django answer an over-long address, so the client gets our 414.

gunicorn's own request-line limit (4094 bytes by default) would answer first with a bare HTML
page; `serve` lifts it and raises the header limit, and RequestLimitsMiddleware refuses beyond
CLINICDESK_MAX_URL_BYTES. One real gunicorn started by `clinicdesk serve --no-worker` on a
free loopback port, for a bounded time, always stopped.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

READY_WITHIN = 90.0  # seconds; two shared cores can make a cold Django start slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_listening(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"clinicdesk serve stopped early:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"clinicdesk serve did not listen within {READY_WITHIN:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def served(tmp_path):
    """A running `clinicdesk serve --no-worker`; yields its port. Stopped (and killed if need be) after."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    # Its own var/ (generated keys, an SQLite file it never needs for these requests).
    env.update(CLINICDESK_VAR_DIR=str(tmp_path / "var"), CLINICDESK_LOG_LEVEL="WARNING")
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603  (our own interpreter and fixed arguments)
            [
                sys.executable,
                "-m",
                "clinicdesk",
                "serve",
                "--no-worker",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_listening(port, process, log)
        yield port
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def _get(port: int, target: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def test_a_real_server_answers_a_long_address_with_our_414(served):
    status, kind, body = _get(served, "/api/v1/me?q=" + "x" * 10240)
    assert (status, kind) == (414, "application/problem+json")
    assert "at most 8,192 bytes" in json.loads(body)["detail"]

    status, kind, body = _get(served, "/patients/?q=" + "x" * 10240, {"Accept": "text/html"})
    assert status == 414 and kind.startswith("text/html") and b"Address too long" in body

    # Below the limit the request reaches the application, even with a long Referer header.
    status, kind, body = _get(served, "/api/v1/me?q=" + "x" * 7000, {"Referer": "http://127.0.0.1/" + "r" * 9000})
    assert (status, kind) == (401, "application/problem+json")
