"""Placeholder until the area is written."""

from __future__ import annotations

from starlette.routing import BaseRoute

from campaigns.web.context import WebContext


def routes(web: WebContext) -> list[BaseRoute]:
    """No routes yet."""
    return []
