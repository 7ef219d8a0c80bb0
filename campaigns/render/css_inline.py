"""Inline a campaign's ``<style>`` rules into ``style`` attributes, as mail clients need.

premailer costs about a quarter of a millisecond per message, so the engine inlines the
*template* once per campaign instead of every rendered message. premailer parses HTML
with lxml, which would mangle Jinja tags (URL-escaping ``{{ url }}`` in an ``href``,
moving ``{% if %}`` out of ``<head>``), so each tag is first swapped for an inert
placeholder: a bare token inside attribute values, comments and raw text, an HTML
comment where it stands between elements (lxml keeps comments where they are). After
premailer the tags are put back, and the result is only used when nothing moved:
every placeholder came back exactly once, in order, in the same form, between the same
elements, and the Jinja token stream is unchanged. Otherwise ``inline_template_css``
returns None and the caller inlines each rendered message with ``inline_html``.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from jinja2 import Environment, TemplateSyntaxError
from premailer import Premailer

_PREFIX = "hookline-jinja-"
# A Jinja tag: quoted strings may hold the closing delimiter, so they are skipped whole.
# A {% raw %} block counts as one tag: its content is not Jinja and must not be parsed.
_STRING = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
_JINJA_TAG = re.compile(
    r"\{%[-+]?\s*raw\s*[-+]?%\}.*?\{%[-+]?\s*endraw\s*[-+]?%\}"
    rf"|\{{\{{(?:{_STRING}|[^'\"}}]|\}}(?!\}}))*\}}\}}"
    rf"|\{{%(?:{_STRING}|[^'\"%]|%(?!\}}))*%\}}"
    r"|\{#.*?#\}",
    re.DOTALL,
)
# Public for the text part, which protects the same tags the same way.
JINJA_TAG = _JINJA_TAG
_PLAIN = re.compile(r"hookline-jinja-(\d{4,})-x")
_ANY_TOKEN = re.compile(r"<!--hookline-jinja-(\d{4,})-c-->|hookline-jinja-(\d{4,})-[xc]")
_MARKUP = re.compile(
    r"(?P<comment><!--.*?(?:-->|\Z))"
    r"|(?P<decl><[!?][^>]*>)"
    r"|<(?P<end>/?)(?P<name>[A-Za-z][^\s/>]*)(?P<attrs>(?:\"[^\"]*\"|'[^']*'|[^'\">])*)>",
    re.DOTALL,
)
_ATTR_VALUE = re.compile(r"=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)")
_RAW_TEXT = frozenset({"style", "script", "title", "textarea", "xmp"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# lxml and premailer add these when a document lacks them; premailer removes <style>.
_IMPLIED = ("html", "head", "body")
_STATEMENT_NAME = re.compile(r"\{%[-+]?\s*(\w+)")
_OPENERS = frozenset({"if", "for", "macro", "call", "filter", "with", "block", "trans"})
# Output that escapes autoescape can carry markup premailer never saw, so it stays unstyled.
_UNSAFE = re.compile(r"\|\s*safe\b|\bautoescape\b|\bmarkup\b", re.IGNORECASE)
# Selectors whose matches depend on siblings: a loop or branch changes them per message.
_STRUCTURAL = re.compile(r":(?:nth-|first-|last-|only-|empty)|[+~]")
_OTHER_AT_RULE = re.compile(r"@(?!media\b)[a-z-]+", re.IGNORECASE)
_STYLE_TEXT = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_DECLARATIONS = re.compile(r"\{[^{}]*\}")
_HTML_START = re.compile(r"<html[\s>]", re.IGNORECASE)
_HTML_END = re.compile(r"</html\s*>", re.IGNORECASE)
_IGNORABLE_EDGE = re.compile(r"\s+|<!--.*?-->|<![^>]*>", re.DOTALL)
_LEXER = Environment()


def inline_html(html: str) -> str:
    """Inline the ``<style>`` rules of one rendered message (the slow per-message path).

    A document premailer cannot process (an empty one) comes back unchanged: the
    message is still readable, only unstyled in clients that ignore ``<style>``.
    """
    prefix, core, suffix = _envelope(html)
    try:
        return prefix + _premailer(core) + suffix
    except Exception:
        # lxml, cssutils and premailer each raise their own errors on hopeless input;
        # an unstyled message still reads, a crashed send does not.
        return html


def inline_template_css(body: str) -> str | None:
    """Inline a template body's CSS once, keeping its Jinja tags exactly as they were.

    Returns None when that can't be done safely (Jinja inside ``<style>`` or inside a
    tag's attribute list, a ``<style>`` inside a Jinja block, sibling-dependent
    selectors next to loops or branches, ``|safe`` output, or lxml moving anything);
    the caller then inlines each rendered message instead.
    """
    if _PREFIX in body:
        return None
    tags = [match.group(0) for match in _JINJA_TAG.finditer(body)]
    if any(_UNSAFE.search(tag) for tag in tags if not tag.startswith("{#")):
        return None
    counter = iter(range(len(tags)))
    tokenised = _JINJA_TAG.sub(lambda _: f"{_PREFIX}{next(counter):04d}-x", body)
    prefix, core, suffix = _envelope(tokenised)
    scan = _scan(core)
    if scan is None or not _styles_are_static(scan, tags, len(_PLAIN.findall(prefix))):
        return None
    protected = _PLAIN.sub(lambda match: _placeholder(int(match.group(1)), scan), core)
    try:
        inlined = _premailer(protected)
    except Exception:
        # Whatever premailer trips on, the per-message path is the safe answer.
        return None
    if not _same_events(scan, inlined):
        return None
    restored = _ANY_TOKEN.sub(lambda match: tags[_token_index(match)], inlined)
    result = _restore_plain(prefix, tags) + restored + _restore_plain(suffix, tags)
    if _skeleton(result) != _skeleton(body):
        return None
    # premailer strips the document; the trailing newline keeps the source's shape.
    return result + "\n" if body.endswith("\n") and not result.endswith("\n") else result


def _premailer(html: str) -> str:
    """One premailer pass with the engine's settings: offline, nothing stripped."""
    css = " ".join(_STYLE_TEXT.findall(html))
    premailer = Premailer(
        html=None,
        # premailer keeps @media and :hover rules in <style> by itself (they can't be
        # inlined); other at-rules (@page, @font-face) it would drop, so keep the sheet.
        keep_style_tags=bool(_OTHER_AT_RULE.search(css)),
        # Responsive overrides in @media rules need their !important.
        strip_important=False,
        disable_validation=True,
        remove_classes=False,
        allow_network=False,
        allow_loading_external_files=False,
        cssutils_logging_level=logging.CRITICAL,
    )
    output: str = premailer.transform(html, pretty_print=False)
    return output


def _envelope(html: str) -> tuple[str, str, str]:
    """Split off what lies outside ``<html>…</html>``: lxml drops comments there.

    Only a doctype, comments, white space and placeholders may stand outside; anything
    else stays in the core for lxml to place. premailer only writes back a doctype it
    finds in upper case, so splitting it off also keeps ``<!doctype html>`` as written.
    """
    start = _HTML_START.search(html)
    if start is None:
        return "", html, ""
    ends = list(_HTML_END.finditer(html, start.start()))
    end = ends[-1].end() if ends else len(html)
    prefix, core, suffix = html[: start.start()], html[start.start() : end], html[end:]
    if not _ignorable(prefix):
        core, prefix = prefix + core, ""
    if not _ignorable(suffix):
        core, suffix = core + suffix, ""
    return prefix, core, suffix


def _ignorable(edge: str) -> bool:
    return not _PLAIN.sub("", _IGNORABLE_EDGE.sub("", edge)).strip()


def _restore_plain(text: str, tags: list[str]) -> str:
    return _PLAIN.sub(lambda match: tags[int(match.group(1))], text)


def _token_index(match: re.Match[str]) -> int:
    return int(match.group(1) or match.group(2))


# (kind, value, context, position): kind is start, end, token or style; a token's value
# is its index, its context text, attr, comment, markup or raw:<element>.
_Event = tuple[str, str, str, int]


@dataclass
class _Scan:
    """What the tokenised core looks like: events in order and each token's context."""

    events: list[tuple[str, str]] = field(default_factory=list)
    contexts: dict[int, str] = field(default_factory=dict)
    token_positions: list[int] = field(default_factory=list)
    styles: list[tuple[int, str]] = field(default_factory=list)
    present: set[str] = field(default_factory=set)


def _scan(html: str) -> _Scan | None:
    """Walk the tokenised HTML; None when a token sits where lxml can't keep it."""
    scan = _Scan()
    for kind, value, context, position in _walk(html):
        if kind == "style":
            scan.styles.append((position, value))
            continue
        if kind == "token":
            if context in {"markup", "raw:style"}:
                return None
            scan.contexts[int(value)] = context
            scan.token_positions.append(position)
        elif kind == "start":
            scan.present.add(value)
        scan.events.append((kind, value))
    return scan


def _walk(html: str) -> Iterator[_Event]:
    """Tags, tokens and style sheets, in document order."""
    position = 0
    while True:
        match = _MARKUP.search(html, position)
        stop = match.start() if match else len(html)
        yield from _tokens(html, position, stop, "text")
        if match is None:
            return
        position = match.end()
        comment = match.group("comment")
        if comment is not None:
            wrapped = _ANY_TOKEN.fullmatch(comment)
            if wrapped is not None:
                yield "token", str(_token_index(wrapped)), "text", match.start()
            else:
                yield from _tokens(html, match.start(), match.end(), "comment")
            continue
        if match.group("decl") is not None:
            yield from _tokens(html, match.start(), match.end(), "markup")
            continue
        name = match.group("name").lower()
        is_end = bool(match.group("end"))
        if not (is_end and name in _VOID):
            yield ("end" if is_end else "start"), name, "markup", match.start()
        yield from _tag_tokens(html, match)
        if not is_end and name in _RAW_TEXT:
            close = re.compile(rf"</{re.escape(name)}\s*>", re.IGNORECASE).search(html, position)
            raw_end = close.start() if close else len(html)
            if name == "style":
                yield "style", html[position:raw_end], "raw:style", match.start()
            yield from _tokens(html, position, raw_end, f"raw:{name}")
            position = raw_end


def _tokens(html: str, start: int, stop: int, context: str) -> Iterator[_Event]:
    for token in _PLAIN.finditer(html, start, stop):
        yield "token", str(int(token.group(1))), context, token.start()


def _tag_tokens(html: str, match: re.Match[str]) -> Iterator[_Event]:
    """Tokens inside a tag: inert in attribute values, structural anywhere else."""
    values = [
        (value.start(1), value.end(1))
        for value in _ATTR_VALUE.finditer(html, match.start("attrs"), match.end("attrs"))
    ]
    for token in _PLAIN.finditer(html, match.start(), match.end()):
        in_value = any(start <= token.start() < end for start, end in values)
        context = "attr" if in_value else "markup"
        yield "token", str(int(token.group(1))), context, token.start()


def _placeholder(index: int, scan: _Scan) -> str:
    # Between elements a bare word would be moved (out of <head>, out of a table);
    # a comment stays put. Elsewhere only a bare word is legal.
    if scan.contexts.get(index) == "text":
        return f"<!--{_PREFIX}{index:04d}-c-->"
    return f"{_PREFIX}{index:04d}-x"


def _styles_are_static(scan: _Scan, tags: list[str], tags_before_core: int) -> bool:
    """Whether the CSS applies the same way to every recipient's message."""
    has_statements = any(tag.startswith("{%") for tag in tags)
    depths = _block_depths(tags)
    for position, css in scan.styles:
        # A <style> inside {% if %} must only apply in that branch: inline per message.
        tags_before = tags_before_core + bisect.bisect_left(scan.token_positions, position)
        if depths[tags_before] > 0:
            return False
        # td:nth-child(2) or li + li match differently once a loop has run.
        if has_statements and _STRUCTURAL.search(_selectors(css)):
            return False
    return True


def _block_depths(tags: list[str]) -> list[int]:
    """How many Jinja blocks are open before each tag (and after the last one)."""
    depths = [0]
    depth = 0
    for tag in tags:
        name_match = _STATEMENT_NAME.match(tag)
        name = name_match.group(1) if name_match else ""
        if name.startswith("end"):
            depth = max(0, depth - 1)
        elif name in _OPENERS or (name == "set" and "=" not in tag):
            depth += 1
        depths.append(depth)
    return depths


def _selectors(css: str) -> str:
    """The CSS with every declaration block removed, nested ones included."""
    previous = None
    while previous != css:
        previous, css = css, _DECLARATIONS.sub(" ", css)
    return css


def _same_events(scan: _Scan, inlined: str) -> bool:
    """Whether lxml kept every element and placeholder in the same order and place."""
    implied = {name for name in _IMPLIED if name not in scan.present}
    expected = [
        (kind, value)
        for kind, value in scan.events
        if not (kind in ("start", "end") and value in implied | {"style"})
    ]
    found: list[tuple[str, str]] = []
    contexts: dict[int, str] = {}
    for kind, value, context, _ in _walk(inlined):
        if kind == "style" or (kind in ("start", "end") and value in implied | {"style"}):
            continue
        found.append((kind, value))
        if kind == "token":
            contexts[int(value)] = context
    # Same sequence means each placeholder came back once, in order, between the same
    # elements; same contexts means a comment came back a comment, an href an href.
    return found == expected and contexts == scan.contexts


def _skeleton(source: str) -> list[tuple[str, str]] | None:
    """The Jinja token stream without the text between tags."""
    try:
        return [
            (kind, value.strip())
            for _, kind, value in _LEXER.lex(source)
            if kind not in ("data", "whitespace")
        ]
    except TemplateSyntaxError:
        return None
