"""The small HTML pages a recipient sees: unsubscribe, signup, confirm, not found.

Plain strings with every value escaped, not a template engine: there are six short
pages, and each reads top to bottom here. Every page is self-contained (inline CSS,
no script, no external resource), so the strict Content-Security-Policy the app sends
holds.
"""

from __future__ import annotations

import base64
from html import escape

# The smallest transparent GIF: 1×1, one transparent palette entry (42 bytes).
PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")

_STYLE = """
body{font:16px/1.5 system-ui,sans-serif;color:#222;background:#f6f6f4;margin:0}
main{max-width:32rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:8px}
h1{font-size:1.4rem;margin-top:0}
label{display:block;margin:1rem 0 .25rem;font-weight:600}
input[type=email],input[type=text]{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{margin-top:1.25rem;padding:.6rem 1.2rem;font:inherit;border:0;border-radius:6px;
background:#1d4ed8;color:#fff;cursor:pointer}
.error{color:#b91c1c}
.trap{position:absolute;left:-10000px}
"""


def layout(title: str, body: str) -> str:
    """A whole page around ``body`` (already HTML); ``title`` is escaped here."""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


def mask_address(email: str) -> str:
    """``an.nguyen@example.com`` as ``a***@example.com``: enough to recognise, not to harvest."""
    local, at, domain = email.partition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def unsubscribe_page(masked: str, sender: str) -> str:
    """The confirmation page of an unsubscribe link: a button that POSTs to the same URL."""
    return layout(
        "Unsubscribe",
        f"<h1>Unsubscribe {escape(masked)} from {escape(sender)} mail?</h1>"
        "<p>You will get no more email from this sender's campaigns.</p>"
        '<form method="post"><input type="hidden" name="confirm" value="page">'
        "<button type=submit>Unsubscribe</button></form>",
    )


def unsubscribed_page(masked: str | None, sender: str | None) -> str:
    """What a recipient sees once unsubscribed (by the button or a one-click POST)."""
    who = escape(masked) if masked else "This address"
    source = f" from {escape(sender)} mail" if sender else ""
    return layout(
        "You are unsubscribed",
        f"<h1>You are unsubscribed</h1><p>{who} is unsubscribed{source}, "
        "effective now. You will receive no further campaigns.</p>",
    )


def not_found_page() -> str:
    """A link that is altered, forged, expired or names nothing."""
    return layout(
        "Link not found",
        "<h1>This link doesn't work</h1><p>It may be incomplete or out of date. "
        "If you copied it from an email, copy the whole link.</p>",
    )


def subscribe_page(
    list_name: str, email: str = "", first_name: str = "", error: str | None = None
) -> str:
    """The signup form: address and first name, with a honeypot field bots fill in."""
    problem = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return layout(
        f"Subscribe to {list_name}",
        f"<h1>Subscribe to {escape(list_name)}</h1>{problem}"
        '<form method="post" action="/subscribe">'
        '<label for="email">Email address</label>'
        f'<input id="email" name="email" type="email" required autocomplete="email" '
        f'value="{escape(email)}">'
        '<label for="first_name">First name <small>(optional)</small></label>'
        f'<input id="first_name" name="first_name" type="text" maxlength="200" '
        f'autocomplete="given-name" value="{escape(first_name)}">'
        # Hidden from people (off-screen, skipped by tab and screen readers); bots fill it.
        '<div class="trap" aria-hidden="true"><label for="website">Website</label>'
        '<input id="website" name="website" type="text" tabindex="-1" autocomplete="off">'
        "</div>"
        "<button type=submit>Subscribe</button>"
        "<p><small>We will send you an email to confirm. Nothing is stored until you "
        "click its link.</small></p></form>",
    )


def check_inbox_page(list_name: str) -> str:
    """After the signup form: the confirmation mail is on its way."""
    return layout(
        "Check your inbox",
        "<h1>Check your inbox</h1><p>We have sent you an email with a link. Click it to "
        f"confirm your subscription to {escape(list_name)}. Until you do, nothing is "
        "stored about you.</p>",
    )


def mail_failed_page() -> str:
    """The confirmation mail could not be handed to the mail server."""
    return layout(
        "Please try again later",
        "<h1>Please try again later</h1><p>We could not send the confirmation email "
        "just now. Nothing was stored.</p>",
    )


def too_many_page() -> str:
    """The per-address rate limit of the signup form was reached."""
    return layout(
        "Too many signups",
        "<h1>Too many signups from your network</h1><p>Please try again in an hour.</p>",
    )


def confirm_page(masked: str, list_name: str) -> str:
    """The confirmation link's page: a button, so that mail scanners following links
    (which only GET) don't subscribe anybody."""
    return layout(
        "Confirm your subscription",
        f"<h1>Confirm your subscription</h1><p>Subscribe {escape(masked)} to "
        f"{escape(list_name)}?</p>"
        '<form method="post"><button type=submit>Yes, subscribe me</button></form>',
    )


def confirmed_page(masked: str, list_name: str) -> str:
    """After confirming: subscribed (also shown when confirming twice)."""
    return layout(
        "Subscribed",
        f"<h1>You are subscribed</h1><p>{escape(masked)} will receive "
        f"{escape(list_name)}. Every email has a link to unsubscribe.</p>",
    )


def message_unavailable_page() -> str:
    """The message exists but cannot be rendered any more."""
    return layout(
        "Message unavailable",
        "<h1>This message can't be shown</h1><p>Please read it in your mailbox.</p>",
    )


def text_message_page(subject: str, text: str) -> str:
    """A plain-text message shown in the browser."""
    return layout(subject, f"<h1>{escape(subject)}</h1><pre>{escape(text)}</pre>")
