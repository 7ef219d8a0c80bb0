"""Route a rendered message's links through the click tracker and add the open pixel.

This runs for every message, so it works on the rendered HTML with one regular
expression rather than a parser: a link is an ``<a`` start tag and its ``href``.
Only web links are tracked. ``mailto:``, ``tel:``, in-page anchors and the links the
caller keeps (unsubscribe, view in browser: the recipient must reach those even when
the tracker is down) stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape, unescape

# The href of an <a> tag, quoted either way or bare. Attribute values before it are
# skipped whole so that a ">" or "href=" inside one doesn't end or fool the match.
_LINK_HREF = re.compile(
    r"""(<a\s(?:[^>"']|"[^"]*"|'[^']*')*?(?<=[\s"'])href\s*=\s*)"""
    r"""(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""",
    re.IGNORECASE,
)
_WEB = ("http://", "https://")
_BODY_CLOSE = re.compile(r"</body\s*>", re.IGNORECASE)


def rewrite_links(html: str, click_url: Callable[[str], str], keep: Callable[[str], bool]) -> str:
    """Replace each web link's href with ``click_url(original)``, except kept ones.

    ``click_url`` and ``keep`` receive the URL as the browser would follow it
    (HTML entities decoded); the tracked URL is written back HTML-escaped.
    """

    def track(match: re.Match[str]) -> str:
        raw = match.group(2)
        if raw is None:
            raw = match.group(3) if match.group(3) is not None else match.group(4)
        url = unescape(raw).strip()
        if not url[:8].lower().startswith(_WEB) or keep(url):
            return match.group(0)
        return f'{match.group(1)}"{escape(click_url(url), quote=True)}"'

    return _LINK_HREF.sub(track, html)


def add_open_pixel(html: str, pixel_url: str) -> str:
    """Insert a 1×1 tracking image just before ``</body>``, or at the end without one."""
    pixel = (
        f'<img src="{escape(pixel_url, quote=True)}" width="1" height="1" alt="" '
        'style="display:block;border:0" />'
    )
    at = html.rfind("</body>")
    if at == -1:
        # Rare spellings (</BODY>, </body >) cost a scan; the last one is the real one.
        closings = [match.start() for match in _BODY_CLOSE.finditer(html)]
        if not closings:
            return html + pixel
        at = closings[-1]
    return html[:at] + pixel + html[at:]
