"""The Procfile's processes, started for real: gunicorn as `web` and `flask scheduler` as `worker`, with peak RSS."""
from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import requests

from bench.harness import ROOT, production_environment

VENV_BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
LOG_DIR = ROOT / "test-artifacts" / "bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def procfile_command(kind: str) -> list[str]:
    """The Procfile's line for `kind`, with its environment prefix and $PORT/${WEB_CONCURRENCY} left to the caller."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{kind}:"):
            words = shlex.split(line.split(":", 1)[1])
            return [w for w in words if "=" not in w or w.startswith("-")]
    raise LookupError(f"the Procfile has no {kind} line")


def peak_rss_bytes(pid: int) -> int:
    """The kernel's high-water mark of the process's resident memory (VmHWM)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


class PeakMemory:
    """Samples the peak RSS of a process tree's members while it runs; gunicorn recycles workers, so
    a worker's peak must be read before it exits."""

    def __init__(self, root_pid: int, include_root: bool, interval: float = 0.2):
        self._root, self._include_root, self._interval = root_pid, include_root, interval
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sample_once()
            self._stop.wait(self._interval)

    def sample_once(self) -> None:
        pids = children(self._root) + ([self._root] if self._include_root else [])
        for pid in pids:
            self.peaks[pid] = max(self.peaks.get(pid, 0), peak_rss_bytes(pid))

    def stop(self) -> int:
        self.sample_once()
        self._stop.set()
        self._thread.join()
        return max(self.peaks.values(), default=0)


class _ProcfileProcess:
    """One Procfile process started for real, its output logged and its members' peak memory sampled."""

    stop_timeout = 40

    def _start(self, command: list[str], log_name: str, environment: dict[str, str], include_root: bool) -> None:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self._log = open(LOG_DIR / log_name, "ab")
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **production_environment(**environment)},
                                        stdout=self._log, stderr=subprocess.STDOUT)
        self.memory = PeakMemory(self.process.pid, include_root=include_root)

    def stop(self) -> int:
        """Stop the process; returns the peak RSS of any member sampled while it ran."""
        peak = self.memory.stop()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=self.stop_timeout)
        self._log.close()
        return peak


class WebServer(_ProcfileProcess):
    """gunicorn from the Procfile's web line (its config file, WEB_CONCURRENCY default) on a free local port.
    Only the workers' memory counts: the arbiter serves no requests."""

    def __init__(self, app_module: str = "wsgi:app", **environment: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [str(VENV_BIN / "gunicorn") if word == "gunicorn" else word for word in procfile_command("web")]
        command = [word.replace("$PORT", str(self.port)).replace("${WEB_CONCURRENCY:-2}",
                                                                os.environ.get("WEB_CONCURRENCY", "2"))
                   for word in command]
        command[command.index("wsgi:app")] = app_module
        self._start(command, "gunicorn.log", environment, include_root=False)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {LOG_DIR / 'gunicorn.log'}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz in time")


class Scheduler(_ProcfileProcess):
    """The Procfile's worker line: `flask scheduler`, the process that runs every job."""

    stop_timeout = 60

    def __init__(self, **environment: str):
        command = [str(VENV_BIN / "flask") if word == "flask" else word for word in procfile_command("worker")]
        self._start(command, "scheduler.log", {"LEADER_POLL_SECONDS": "0.5", **environment}, include_root=True)
