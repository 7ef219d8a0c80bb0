"""The names a template may use: contact fields, engine variables, custom attributes.

The campaigns engine renders with exactly these names, so the linter's T002 check and
the real render agree. Preview values are stand-ins used only for linting.
"""

from __future__ import annotations

CONTACT_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "gender",
    "birthday",
    "city",
    "country",
    "address_line1",
    "address_line2",
    "address_line3",
    "postcode",
    "locale",
    "timezone",
    "tags",
    "tier",
    "orders",
    "total_spent",
    "first_purchase_at",
    "last_purchase_at",
    "rfm",
)
ENGINE_VARIABLES: tuple[str, ...] = (
    "unsubscribe_url",
    "view_url",
    "offer_code",
    "campaign",
    "attrs",
)
# Stand-ins for engine variables. The unsubscribe URL is recognisable, so U001 can tell
# whether the rendered message links to it.
PREVIEW_UNSUBSCRIBE_URL = "https://hookline.invalid/u/preview-token"
PREVIEW_VIEW_URL = "https://hookline.invalid/v/preview-token"
PREVIEW_OFFER_CODE = "HL-7Q2K9"


def known_variables() -> frozenset[str]:
    """Every top-level name a template may use without declaring it."""
    return frozenset(CONTACT_FIELDS) | frozenset(ENGINE_VARIABLES)
