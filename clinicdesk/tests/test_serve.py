"""`clinicdesk serve` keeps serving when its task worker dies, and restarts the worker (issue 10 point 6)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from .processes import children_of, command_line, fetch, healthy, process_env, wait_until


def _child(serve_pid: int, marker: str) -> int | None:
    """The pid of serve's child whose command line contains ``marker``, if one runs."""
    return next((pid for pid in children_of(serve_pid) if marker in command_line(pid)), None)


def _start_serve(processes):
    env = process_env(settings_module="clinicdesk.settings")
    serve = processes.start("serve", ["-m", "clinicdesk", "serve", "--bind", "127.0.0.1:0", "--workers", "1"], env)
    url = f"http://127.0.0.1:{serve.port(seconds=180)}"
    wait_until(healthy(url), seconds=180, what="serve's /healthz", logs=[serve.log])
    worker = wait_until(lambda: _child(serve.pid, "clinicdesk worker"), seconds=60, what="the task worker",
                        logs=[serve.log])  # fmt: skip
    return serve, url, worker


def test_serve_restarts_a_dead_worker_with_growing_waits_and_keeps_serving(processes):
    serve, url, first = _start_serve(processes)

    os.kill(first, signal.SIGKILL)  # as if it had died of a database error
    assert fetch(f"{url}/healthz")[0] == 200
    second = wait_until(lambda: (_child(serve.pid, "clinicdesk worker") or first) != first and _child(
        serve.pid, "clinicdesk worker"), seconds=60, what="a new worker", logs=[serve.log])  # fmt: skip
    assert f"task worker (pid {first}) stopped unexpectedly with exit code -9; restarting it in 1 s" in serve.output()
    assert f"task worker started (pid {second})" in serve.output()

    os.kill(second, signal.SIGKILL)  # dies again at once: the wait doubles
    assert fetch(f"{url}/healthz")[0] == 200
    third = wait_until(lambda: (_child(serve.pid, "clinicdesk worker") or second) != second and _child(
        serve.pid, "clinicdesk worker"), seconds=60, what="a third worker", logs=[serve.log])  # fmt: skip
    assert f"task worker (pid {second}) stopped unexpectedly with exit code -9; restarting it in 2 s" in serve.output()
    assert fetch(f"{url}/healthz")[0] == 200 and serve.process.poll() is None

    serve.process.terminate()  # a clean stop ends both, and is no error
    assert serve.process.wait(timeout=60) == 0
    assert not Path(f"/proc/{third}").exists() or "zombie" in Path(f"/proc/{third}/status").read_text().lower()


def test_serve_stops_the_worker_and_fails_when_the_web_server_dies(processes):
    serve, _url, worker = _start_serve(processes)
    web = _child(serve.pid, "gunicorn")
    assert web is not None
    os.kill(web, signal.SIGKILL)
    assert serve.process.wait(timeout=60) == 1
    assert "The web server stopped with exit code -9; stopping the task worker too." in serve.output()
    assert not Path(f"/proc/{worker}").exists()
