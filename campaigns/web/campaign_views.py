"""What the campaign pages show, read from the library: rows, progress, gate and schedule.

Everything here reads; nothing changes the database. The lint gate shown is the
verdict stored with the campaign (``lint_errors``, ``lint_report``), which is what
sending checks against (it lints again on start).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from audiences.audience_query import count as audience_count
from audiences.db import Database
from audiences.segment_query import SegmentError
from audiences.segments import list_segments
from audiences.settings import AudienceSettings
from campaigns import ab_test
from campaigns.ledger import CHANNEL_OF, state_counts
from campaigns.models import FINAL_STATES, RECIPIENT_STATES, Campaign, Recipient
from campaigns.scheduling.schedule_status import description_of, status_of

# One line of GateResult.summary(): "path:line:col: CODE [severity] message".
_FINDING = re.compile(
    r"^(?P<path>.*?):(?P<line>\d+):(?P<column>\d+): (?P<code>\S+) \[(?P<severity>\w+)\] "
    r"(?P<message>.*)$"
)


@dataclass(frozen=True)
class Finding:
    """One lint finding on the campaign's stored text."""

    code: str
    severity: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Progress:
    """The ledger's counts: how far the send has got."""

    counts: dict[str, int]

    @property
    def total(self) -> int:
        """Rows in the ledger (the audience snapshot)."""
        return sum(self.counts.values())

    @property
    def finished(self) -> int:
        """Rows with an outcome (sent, failed, bounced or skipped)."""
        return sum(self.counts.get(state, 0) for state in FINAL_STATES)

    @property
    def sent(self) -> int:
        """Messages sent (letters printed)."""
        return self.counts.get("sent", 0)

    def rows(self) -> list[tuple[str, int]]:
        """Every ledger state with its count, in the ledger's order."""
        return [(state, self.counts.get(state, 0)) for state in RECIPIENT_STATES]


def findings_of(report: str) -> list[Finding]:
    """The stored lint report, one finding per line (lines that don't parse are skipped)."""
    found = []
    for line in report.splitlines():
        match = _FINDING.match(line)
        if match:
            found.append(
                Finding(
                    match["code"],
                    match["severity"],
                    int(match["line"]),
                    int(match["column"]),
                    match["message"],
                )
            )
    return found


def phase_of(campaign: Campaign) -> str:
    """The state a person cares about: a draft with a pending schedule is "scheduled"."""
    if campaign.state == "draft" and campaign.schedule and status_of(campaign.schedule) is None:
        return "scheduled"
    return campaign.state


def schedule_text(campaign: Campaign) -> str:
    """The schedule and what last happened to it, or ''."""
    if not campaign.schedule:
        return ""
    status = status_of(campaign.schedule)
    description = description_of(campaign.schedule)
    return f"{description} ({status})" if status else description


def progress_of(db: Database, campaign_id: int) -> Progress:
    """The ledger's counts for one campaign."""
    with db.engine.connect() as connection:
        return Progress(state_counts(connection, campaign_id))


def _all_counts(connection: Connection) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {}
    rows = connection.execute(
        select(Recipient.campaign_id, Recipient.state, func.count()).group_by(
            Recipient.campaign_id, Recipient.state
        )
    )
    for campaign_id, state, number in rows:
        counts.setdefault(campaign_id, {})[state] = number
    return counts


def campaign_rows(session: Session) -> list[dict[str, Any]]:
    """The list page's rows, newest first."""
    from campaigns.campaign_store import list_campaigns

    counts = _all_counts(session.connection())
    return [
        {
            "name": campaign.name,
            "channel": campaign.channel,
            "state": campaign.state,
            "phase": phase_of(campaign),
            "template": campaign.template_path,
            "segment": campaign.segment,
            "schedule": schedule_text(campaign),
            "created": campaign.created_at,
            "lint_errors": campaign.lint_errors,
            "progress": Progress(counts.get(campaign.id, {})),
        }
        for campaign in list_campaigns(session)
    ]


def saved_segments(session: Session) -> list[str]:
    """The names of the saved segments."""
    return [segment.name for segment in list_segments(session)]


def audience_of(db: Database, query: str, settings: AudienceSettings, channel: str) -> str:
    """How many contacts the query reaches now on the campaign's channel, said in words."""
    try:
        total = audience_count(db, query, settings, CHANNEL_OF.get(channel, channel))
    except SegmentError as exc:
        return f"the segment can't be counted: {exc.message}"
    reach = "with a postal address" if channel == "letter" else "sendable by email"
    return f"{total:,} contact{'' if total == 1 else 's'} {reach}"


def ab_of(session: Session, campaign: Campaign) -> dict[str, Any] | None:
    """The campaign's A/B test in figures (None without one)."""
    return ab_test.ab_summary(session.connection(), campaign)
