"""Hundreds of messy real-world newsletters must never crash the linter.

The corpus in tests/fixtures/newsletters/corpus/ is derived from real public email
templates (tests/fixtures/newsletters/SOURCES.md) by make_corpus.py: truncated, with
open and stray tags, stray ``{{``, ``{%`` and ``{#``, broken front matter, odd
encodings, NUL bytes, huge lines, deep nesting, empty files and Vietnamese copy. A
crash is an exception, or an exit code other than 0 or 1; every file must get a report.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linter.document import parse_document
from linter.runner import lint_file, lint_source, read_template
from tests.linter.helpers import NO_GRAMMAR

REPO = Path(__file__).resolve().parents[2]
NEWSLETTERS = REPO / "tests" / "fixtures" / "newsletters"
CORPUS = NEWSLETTERS / "corpus"
FILES = sorted(path for path in CORPUS.iterdir() if path.is_file())


def test_corpus_is_large_varied_and_small_enough() -> None:
    assert len(FILES) >= 300
    assert sum(path.stat().st_size for path in FILES) < 15_000_000
    names = [path.name for path in FILES]
    assert sum(name.endswith(".txt.j2") for name in names) >= 50
    assert sum(name.endswith(".html.j2") for name in names) >= 200
    for variant in ("truncated", "stray-jinja", "broken-front", "enc-", "vi", "deep-", "huge-line"):
        assert any(f"--{variant}" in name for name in names), variant
    assert len(list((NEWSLETTERS / "originals").glob("*.html"))) >= 20


def test_generator_reproduces_the_committed_corpus(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    subprocess.run(
        [sys.executable, str(NEWSLETTERS / "make_corpus.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    regenerated = {path.name: path.read_bytes() for path in out.iterdir()}
    committed = {path.name: path.read_bytes() for path in FILES}
    assert sorted(regenerated) == sorted(committed)
    changed = [name for name in committed if committed[name] != regenerated[name]]
    assert changed == [], "run tests/fixtures/newsletters/make_corpus.py and commit the result"


def test_every_newsletter_gets_a_report() -> None:
    crashes = []
    for path in FILES:
        try:
            result = lint_file(path, NO_GRAMMAR)
        except Exception as exc:
            crashes.append(f"{path.name}: {type(exc).__name__}: {exc}")
            continue
        assert result.path == str(path)
        for finding in result.findings:
            assert finding.path == str(path)
            assert 1 <= finding.span.line <= finding.span.end_line
            assert finding.span.column >= 1
    assert crashes == []


def _jinja_rejects(body: str) -> bool:
    try:
        jinja2.Environment().parse(body)
    except (jinja2.TemplateSyntaxError, RecursionError):
        return True
    return False


def test_unparseable_jinja_is_a_t001_finding() -> None:
    unparseable = 0
    for path in FILES:
        text, _ = read_template(path)
        if "hookline" in text:  # a suppression may legitimately hide T001
            continue
        if _jinja_rejects(parse_document(str(path), text).body):
            unparseable += 1
            codes = {finding.code for finding in lint_file(path, NO_GRAMMAR).findings}
            assert "T001" in codes, path.name
    assert unparseable >= 30


def test_files_that_are_not_utf8_get_t004() -> None:
    legacy = [
        path for path in FILES if re.search(r"--(text-)?enc-(cp1252|latin-1|utf-16)\.", path.name)
    ]
    assert len(legacy) >= 10
    for path in legacy:
        findings = lint_file(path, NO_GRAMMAR).findings
        assert "T004" in {finding.code for finding in findings}, path.name


def test_cli_lints_the_whole_corpus(tmp_path: Path) -> None:
    """The real entry point over the folder: worker processes, exit 0 or 1, one report."""
    command = [sys.executable, "-c", "from campaigns.cli import main; main()", "lint"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("HOOKLINE_")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [*command, "--no-grammar", "--no-cache", str(CORPUS)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    assert "internal error" not in done.stderr
    assert re.search(rf"in {len(FILES)} files: \d+ error", done.stdout), done.stdout[-500:]


FRAGMENTS = [
    "+++\n",
    "subject = ",
    '"',
    "lang = 'vi'\n",
    "[[preview]]\n",
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    " if ",
    " endif ",
    " for x in ",
    "first_name",
    "frist_name",
    "attrs.",
    "|e",
    "<td>",
    "</td>",
    "<p>",
    "<a href='{{ unsubscribe_url }}'>",
    "</a>",
    "<br>",
    "&nbsp;",
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "\ufeff",
    "hookline: ignore[",
    "T002",
    "C001",
    "]",
    "Xin chào ",
    "Giảm 50% ",
    "SAVE 60% NOW!!! ",
    "P.S. ",
    "http://example.com ",
    "-->",
    "<!--",
]
templates = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=40).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text() | templates, html=st.booleans())
def test_arbitrary_text_never_crashes(text: str, html: bool) -> None:
    path = "fuzz.html.j2" if html else "fuzz.txt.j2"
    result = lint_source(path, text, NO_GRAMMAR)
    assert result.path == path
    for finding in result.findings:
        assert finding.span.line >= 1 and finding.span.column >= 1


PREVIEW_KEYS = ["first_name", "city", "campaign", "attrs", "unsubscribe_url", "lang", "range", "x"]
toml_values = st.recursive(
    st.integers(-(2**40), 2**40)
    | st.booleans()
    | st.text(max_size=15)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(PREVIEW_KEYS), inner, max_size=3)
    ),
    max_leaves=6,
)


def toml(value: object) -> str:
    """A TOML value (inline tables and arrays for nesting)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"


previews = st.lists(
    st.dictionaries(st.sampled_from(PREVIEW_KEYS), toml_values, max_size=4), max_size=3
)
USES = "Hi {{ first_name|upper }} in {{ city }}: {{ campaign.name }} {{ attrs.store }} {{ x }}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=previews, subject=st.text(max_size=30), html=st.booleans())
def test_odd_preview_values_never_crash(
    tables: list[dict[str, object]], subject: str, html: bool
) -> None:
    lines = ["+++", f"subject = {json.dumps(subject)}"]
    for table in tables:
        lines.append("[[preview]]")
        lines.extend(f"{key} = {toml(value)}" for key, value in table.items())
    text = "\n".join([*lines, "+++", USES, "<a href='{{ unsubscribe_url }}'>Leave</a>", ""])
    lint_source("preview.html.j2" if html else "preview.txt.j2", text, NO_GRAMMAR)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2000) | templates.map(lambda text: text.encode("utf-16")))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.html.j2"
        path.write_bytes(data)
        assert lint_file(path, NO_GRAMMAR).path == str(path)


@pytest.mark.parametrize("name", ["special--deep-divs.html.j2", "special--deep-subject.txt.j2"])
def test_deep_nesting_is_reported_not_fatal(name: str) -> None:
    codes = {finding.code for finding in lint_file(CORPUS / name, NO_GRAMMAR).findings}
    if "subject" in name:
        assert "T001" in codes
    else:
        assert "T001" not in codes
