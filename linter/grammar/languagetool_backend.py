"""LanguageTool, when one is configured: a server URL, or a local install to start.

Hookline never talks to LanguageTool's public API and never downloads LanguageTool.
With ``languagetool-url`` it talks to that server; with ``languagetool-path`` it starts
``languagetool-server.jar`` from that folder on a free loopback port, once per
process. Before the client is built the server is probed with a short timeout, so an
unreachable server costs seconds, not the client's five-minute timeout.
"""

from __future__ import annotations

import atexit
import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linter.grammar.backend import GrammarBackendError, GrammarIssue, IssueKind

PROBE_TIMEOUT = 3.0
PROBE_TTL = 60.0
START_TIMEOUT = 60.0
SERVER_JAR = "languagetool-server.jar"
SERVER_CLASS = "org.languagetool.server.HTTPServer"
# Languages whose bare code LanguageTool checks without spelling: use a variant.
DEFAULT_VARIANTS = {"en": "en-US", "de": "de-DE", "pt": "pt-PT", "ca": "ca-ES", "nl": "nl-NL"}
SPELLING_ISSUE_TYPES = frozenset({"misspelling"})
SPELLING_CATEGORIES = frozenset({"TYPOS"})

_lock = threading.Lock()
_probes: dict[str, tuple[float, frozenset[str] | None]] = {}
_clients: dict[tuple[str, str], Any] = {}
_local_servers: dict[str, str | LanguageToolUnavailableError] = {}


class LanguageToolUnavailableError(Exception):
    """LanguageTool is configured but can't be used; the message says why."""


def normalise_url(url: str) -> str:
    """The server's base URL with one trailing slash and without ``v2/``."""
    base = url.strip().rstrip("/")
    base = base.removesuffix("/v2")
    return base + "/"


def _fetch_languages(base: str) -> frozenset[str]:
    """The language codes and long codes the server at ``base`` checks."""
    with urllib.request.urlopen(f"{base}v2/languages", timeout=PROBE_TIMEOUT) as response:
        entries = json.load(response)
    codes: set[str] = set()
    for entry in entries:
        if isinstance(entry, dict):
            codes.update(str(entry[key]) for key in ("code", "longCode") if entry.get(key))
    return frozenset(codes)


def server_languages(url: str) -> frozenset[str] | None:
    """The languages of the server at ``url``, or None when it doesn't answer.

    The answer is remembered for a minute, so linting many files probes once.
    """
    base = normalise_url(url)
    now = time.monotonic()
    with _lock:
        cached = _probes.get(base)
    if cached is not None and now - cached[0] < PROBE_TTL:
        return cached[1]
    try:
        languages: frozenset[str] | None = _fetch_languages(base)
    except (OSError, ValueError, urllib.error.URLError):
        languages = None
    with _lock:
        _probes[base] = (now, languages)
    return languages


def language_code(lang: str, languages: frozenset[str]) -> str | None:
    """The code to ask the server for ``lang`` (a variant when the bare code lacks
    spelling), or None when the server doesn't check ``lang``."""
    preferred = DEFAULT_VARIANTS.get(lang)
    if preferred in languages:
        return preferred
    if lang in languages:
        return lang
    variants = sorted(code for code in languages if code.startswith(f"{lang}-"))
    return variants[0] if variants else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start_local(path: str) -> str:
    """Start ``languagetool-server.jar`` from ``path``; its URL once it answers."""
    folder = Path(path).expanduser()
    jars = [folder / SERVER_JAR, *sorted(folder.glob(f"*/{SERVER_JAR}"))]
    jar = next((candidate for candidate in jars if candidate.is_file()), None)
    if jar is None:
        raise LanguageToolUnavailableError(f"no {SERVER_JAR} in {path}")
    java = shutil.which("java")
    if java is None:
        raise LanguageToolUnavailableError("java not found to run LanguageTool")
    port = _free_port()
    command = [java, "-cp", str(jar), SERVER_CLASS, "--port", str(port)]
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    atexit.register(process.terminate)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LanguageToolUnavailableError(f"LanguageTool in {path} exited on start")
        try:
            _fetch_languages(url)
        except (OSError, ValueError):
            time.sleep(0.25)
            continue
        return url
    process.terminate()
    raise LanguageToolUnavailableError(f"LanguageTool in {path} did not start")


def local_server_url(path: str) -> str:
    """The URL of the local LanguageTool started from ``path`` (started on first use).

    Raises :class:`LanguageToolUnavailableError` when it can't be started; the failure
    is remembered so a run doesn't try again for every file.
    """
    with _lock:
        known = _local_servers.get(path)
        if known is None:
            try:
                known = _start_local(path)
            except LanguageToolUnavailableError as exc:
                known = exc
            _local_servers[path] = known
    if isinstance(known, LanguageToolUnavailableError):
        raise known
    return known


@dataclass(frozen=True)
class _Match:
    """The fields of a language_tool_python ``Match`` that Hookline reads."""

    offset: int
    length: int
    message: str
    replacements: tuple[str, ...]
    rule_id: str
    category: str
    issue_type: str


def _match(raw: Any) -> _Match:
    return _Match(
        int(raw.offset),
        int(raw.error_length),
        str(raw.message),
        tuple(str(value) for value in raw.replacements),
        str(raw.rule_id),
        str(raw.category),
        str(raw.rule_issue_type),
    )


class LanguageToolBackend:
    """Checks one language on a LanguageTool server."""

    name = "languagetool"

    def __init__(self, url: str, code: str) -> None:
        self.url = normalise_url(url)
        self.code = code

    def _client(self) -> Any:
        key = (self.url, self.code)
        with _lock:
            client = _clients.get(key)
        if client is None:
            import language_tool_python

            try:
                client = language_tool_python.LanguageTool(self.code, remote_server=self.url)
            except Exception as exc:
                raise GrammarBackendError(f"LanguageTool at {self.url} failed: {exc}") from exc
            with _lock:
                _clients[key] = client
        return client

    def check(self, text: str) -> list[GrammarIssue]:
        """LanguageTool's matches on ``text``."""
        client = self._client()
        try:
            matches = [_match(raw) for raw in client.check(text)]
        except Exception as exc:
            with _lock:
                _probes.pop(self.url, None)
            raise GrammarBackendError(f"LanguageTool at {self.url} failed: {exc}") from exc
        issues = []
        for match in matches:
            spelling = (
                match.issue_type in SPELLING_ISSUE_TYPES or match.category in SPELLING_CATEGORIES
            )
            kind: IssueKind = "spelling" if spelling else "grammar"
            issues.append(
                GrammarIssue(
                    match.offset,
                    match.offset + match.length,
                    kind,
                    match.message,
                    tuple(dict.fromkeys(match.replacements)),
                    match.rule_id,
                )
            )
        return issues
