"""The A/B test in figures, for ``campaign report`` and ``campaign ab``.

Per test group: its subject, rows, messages sent, unique opens and clicks and their
rates; then, once decided, the rest of the audience sent with the winner ("rollout").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from campaigns.ab_testing.decision import (
    VARIANTS,
    ArmFigures,
    arm_figures,
    arm_ids,
    figures,
)
from campaigns.ab_testing.split import ranked_ids
from campaigns.models import Campaign, Recipient


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value is not None else None


def _subject_a(campaign: Campaign) -> str | None:
    from linter.document import parse_document

    return parse_document(campaign.template_path, campaign.template_source).front.subject


def _as_dict(arm: ArmFigures, subject: str | None) -> dict[str, Any]:
    return {
        "subject": subject,
        "recipients": arm.recipients,
        "sent": arm.sent,
        "unique_opens": arm.unique_opens,
        "unique_clicks": arm.unique_clicks,
        "open_rate": round(float(arm.rate("opens")), 4),
        "click_rate": round(float(arm.rate("clicks")), 4),
    }


def _status(campaign: Campaign, per_arm: int) -> str:
    if campaign.started_at is None:
        return "not started"
    if per_arm == 0:
        return "skipped"
    return "decided" if campaign.ab_winner else "testing"


def ab_summary(connection: Connection, campaign: Campaign) -> dict[str, Any] | None:
    """The test as a JSON-ready dict, or None when the campaign has no A/B test.

    ``status`` is "not started", "testing", "decided" or "skipped" (too few
    recipients for two groups: everyone got subject A). ``variants`` holds the two
    test groups; ``rollout`` the rows held during the test and sent with the winner.
    """
    if campaign.subject_b is None:
        return None
    per_arm, arms = arm_figures(connection, campaign.id)
    status = _status(campaign, per_arm)
    subjects = {"a": _subject_a(campaign), "b": campaign.subject_b}
    held = int(
        connection.scalar(
            select(func.count()).where(
                Recipient.campaign_id == campaign.id, Recipient.state == "held"
            )
        )
        or 0
    )
    rollout = None
    winner = campaign.ab_winner
    if status == "decided" and winner in VARIANTS:
        test_rows = arm_ids(campaign.id, winner, per_arm).scalar_subquery()
        rest = ranked_ids(campaign.id, Recipient.variant == winner, Recipient.id.not_in(test_rows))
        rollout = {"variant": winner, **_as_dict(figures(connection, campaign.id, rest), None)}
        rollout["subject"] = subjects[winner]
    if status == "skipped":
        # Everyone got A, outside any test: report them as the rollout.
        everyone = ranked_ids(campaign.id)
        rollout = {"variant": "a", **_as_dict(figures(connection, campaign.id, everyone), None)}
        rollout["subject"] = subjects["a"]
    return {
        "status": status,
        "measure": campaign.ab_measure or "opens",
        "share": campaign.ab_share,
        "wait_seconds": campaign.ab_wait_seconds,
        "decide_at": _iso(campaign.ab_decide_at),
        "winner": winner,
        "held": held,
        "variants": {
            variant: _as_dict(arms[variant], subjects[variant])
            for variant in VARIANTS
            if status != "skipped"
        },
        "rollout": rollout,
    }


def describe_share(share: float | None) -> str:
    """``20%``, ``12.5%``: a share as it would be typed."""
    return "-" if share is None else f"{share * 100:g}%"


def describe_wait(seconds: int) -> str:
    """``4h``, ``1d 2h``, ``30m``: a wait as it would be typed."""
    parts = []
    for unit, size in (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts) or "0s"


def _line(label: str, group: dict[str, Any], measure: str) -> str:
    return (
        f"  {label:<10} {group['sent']:>7,} sent of {group['recipients']:,}: "
        f"{group['unique_opens']:,} opened ({group['open_rate']:.1%}), "
        f"{group['unique_clicks']:,} clicked ({group['click_rate']:.1%})  {group['subject']}"
    )


def render_ab_summary(summary: dict[str, Any]) -> str:
    """The summary as text lines for a report."""
    measure = summary["measure"]
    share = describe_share(summary["share"])
    lines = [f"A/B subject test ({summary['status']}, {share} of the audience, by {measure})"]
    if summary["status"] == "not started":
        lines += [
            f"  {variant.upper():<10} {group['subject']}"
            for variant, group in summary["variants"].items()
        ]
        wait = describe_wait(summary["wait_seconds"] or 0)
        lines.append(f"  decided {wait} after the send starts")
        return "\n".join(lines)
    if summary["status"] == "skipped":
        lines.append("  skipped: fewer than 2 recipients per subject; everyone got subject A")
    for variant, group in summary["variants"].items():
        mark = " (winner)" if summary["winner"] == variant else ""
        lines.append(_line(f"{variant.upper()}{mark}", group, measure))
    if summary["status"] == "testing":
        lines.append(f"  held       {summary['held']:>7,} until {summary['decide_at']} UTC")
    if summary["rollout"] is not None:
        lines.append(_line("rest", summary["rollout"], measure))
    return "\n".join(lines)


def send_notes(connection: Connection, campaign: Campaign, held: int) -> list[str]:
    """What ``campaign send`` adds about the test: rows held until when, or a skipped test."""
    if campaign.subject_b is None:
        return []
    if held:
        return [
            f"{held:,} recipient(s) are held for the A/B subject test until "
            f"{_iso(campaign.ab_decide_at)} UTC. `hookline scheduler` (or `hookline serve`) "
            "sends them the winning subject after the decision; or decide now with "
            f"`hookline campaign ab {campaign.name} --decide-now` and run "
            f"`hookline campaign send {campaign.name}` again."
        ]
    b_rows = connection.scalar(
        select(func.count()).where(Recipient.campaign_id == campaign.id, Recipient.variant == "b")
    )
    if campaign.started_at is not None and campaign.ab_winner == "a" and not b_rows:
        return [
            "The A/B subject test was skipped: fewer than 2 recipients per subject, "
            "so everyone got subject A."
        ]
    return []
