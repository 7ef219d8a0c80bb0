"""Run a command to its end and watch its process tree: wall time, CPU and peak memory.

``send_bench.py`` uses it for ``hookline campaign send``, whose ``--workers`` start
processes of their own: each process's peak RSS (``VmHWM`` in ``/proc/PID/status``,
polled every 50 ms; it only ever rises, so the last reading is the peak up to then),
and from ``wait4`` the CPU of the whole tree. Linux only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.05


def _peak_rss_mb(pid: int) -> float | None:
    """A process's peak resident set (VmHWM) in MB, or None once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _descendants(pid: int) -> list[int]:
    """The process and all its descendants, from /proc/PID/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


class TreeWatch:
    """Peak RSS of every process in a tree, polled (VmHWM only rises, so polls suffice)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peaks: dict[int, float] = {}
        self.roles: dict[int, str] = {}

    def poll(self) -> None:
        """Read each live process's VmHWM once."""
        for pid in _descendants(self.root):
            peak = _peak_rss_mb(pid)
            if peak is None:
                continue
            if pid not in self.roles:
                self.roles[pid] = self._role(pid)
            self.peaks[pid] = max(peak, self.peaks.get(pid, 0.0))

    def _role(self, pid: int) -> str:
        if pid == self.root:
            return "send"
        try:
            words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return "child"
        return "worker" if b"worker" in words else "child"

    def processes(self) -> list[dict[str, Any]]:
        """[{pid, role, peak_rss_mb}] with the root first."""
        return [
            {"pid": pid, "role": self.roles[pid], "peak_rss_mb": round(peak, 1)}
            for pid, peak in sorted(self.peaks.items(), key=lambda item: item[0] != self.root)
        ]


def run_watched(
    command: list[str],
    env: dict[str, str],
    cwd: Path,
    timeout: float,
    marker: str = "",
    keep_stdout: bool = True,
) -> dict[str, Any]:
    """Run ``command`` to its end; wall time, when ``marker`` first showed on stdout,
    exit code, CPU of the whole tree and the peak RSS of each process in it.

    With ``keep_stdout`` False the output goes to /dev/null (a chatty command's
    output would otherwise cost this process memory and CPU).
    """
    stderr_path = cwd / f"stderr-{uuid.uuid4().hex[:6]}.txt"
    marked: list[float] = []
    lines: list[str] = []
    with stderr_path.open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stderr=stderr, text=True, start_new_session=True,
            stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
        )  # fmt: skip

        def read() -> None:
            if process.stdout is None:
                return
            for line in process.stdout:
                if marker and not marked and line.startswith(marker):
                    marked.append(time.perf_counter() - started)
                lines.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        watch = TreeWatch(process.pid)
        status, usage, timed_out = 0, None, False
        while True:
            watch.poll()
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - started > timeout:
                timed_out = True
                os.killpg(process.pid, signal.SIGKILL)
                _, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        reader.join(timeout=5)
    error = stderr_path.read_text(errors="replace")[-800:]
    stderr_path.unlink()
    return {
        "seconds": wall,
        "marker_seconds": marked[0] if marked else None,
        "exit_code": process.returncode,
        "timed_out": timed_out,
        # wait4 counts the process and every descendant it waited for. Not its ru_maxrss:
        # Linux carries the RSS a child had at fork (this process's) across exec.
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2) if usage else None,
        "largest_rss_mb": round(max(watch.peaks.values()), 1) if watch.peaks else None,
        "processes": watch.processes(),
        "stdout": "".join(lines),
        "stderr": error,
    }
