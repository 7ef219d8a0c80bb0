"""Sections other packages add to the campaign report, such as the A/B subject test.

A section is built from the database into a JSON-ready dict stored under its ``key``
in the report (nothing when ``build`` returns None), and rendered as lines of text
under its ``title``. To add one, list it in :data:`EXTRA_SECTIONS` (or pass
``sections=`` to :func:`campaigns.reporting.campaign_report` and
:func:`campaigns.reporting.render_report`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from campaigns.ab_testing.summary import ab_summary, render_ab_summary
from campaigns.models import Campaign


@dataclass(frozen=True)
class ReportSection:
    """One extra part of the report: how to build it, and how to show it as text."""

    key: str
    title: str
    build: Callable[[Connection, Campaign], dict[str, Any] | None]
    # The section's lines, without the title; indent them by two spaces.
    render: Callable[[dict[str, Any]], list[str]]


def _ab_test_lines(summary: dict[str, Any]) -> list[str]:
    # render_ab_summary's first line is its own heading; the section has a title.
    heading, *lines = render_ab_summary(summary).splitlines()
    return [f"  {heading.removeprefix('A/B subject test ').strip('()')}", *lines]


# The sections every report gets after the built-in ones, in this order.
EXTRA_SECTIONS: tuple[ReportSection, ...] = (
    ReportSection("ab_test", "A/B subject test", ab_summary, _ab_test_lines),
)
