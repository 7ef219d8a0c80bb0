"""Picking the winner: unique opens (or clicks) per message sent, then release the rest.

The decision is one transaction that starts by taking the campaign row with a
conditional UPDATE (``ab_winner IS NULL``). Of two schedulers deciding at once, the
second waits on that row and then finds a winner set, so a test is decided once and
the held rows are released once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction

from sqlalchemy import Connection, Select, case, distinct, func, select, update

from audiences.db import Database
from campaigns.ab_testing.split import ranked_ids
from campaigns.models import Campaign, CampaignEvent, Recipient
from campaigns.settings import CampaignSettings

MEASURES = {"opens": "open", "clicks": "click"}
VARIANTS = ("a", "b")


@dataclass(frozen=True)
class ArmFigures:
    """One group's figures: its rows, those sent, and who opened or clicked."""

    recipients: int
    sent: int
    unique_opens: int
    unique_clicks: int

    def rate(self, measure: str) -> Fraction:
        """Unique opens (or clicks) per message sent; 0 when nothing was sent."""
        hits = self.unique_opens if measure == "opens" else self.unique_clicks
        return Fraction(hits, self.sent) if self.sent else Fraction(0)


@dataclass(frozen=True)
class Decision:
    """The winner, the figures it was picked on, and how many held rows it released."""

    campaign_id: int
    measure: str
    winner: str
    arms: dict[str, ArmFigures]
    released: int


def figures(connection: Connection, campaign_id: int, ids: Select[int]) -> ArmFigures:
    """The figures of the ledger rows ``ids`` selects."""
    chosen = ids.scalar_subquery()
    recipients, sent = connection.execute(
        select(func.count(), func.coalesce(func.sum(case((Recipient.state == "sent", 1))), 0))
        .select_from(Recipient)
        .where(Recipient.id.in_(chosen))
    ).one()

    def unique(kind: str) -> int:
        return int(
            connection.scalar(
                select(func.count(distinct(CampaignEvent.recipient_id))).where(
                    CampaignEvent.campaign_id == campaign_id,
                    CampaignEvent.kind == kind,
                    CampaignEvent.recipient_id.in_(chosen),
                )
            )
            or 0
        )

    return ArmFigures(int(recipients), int(sent), unique("open"), unique("click"))


def variant_counts(connection: Connection, campaign_id: int) -> dict[str, int]:
    """Ledger rows per variant ("a", "b"; rows without one are left out)."""
    rows = connection.execute(
        select(Recipient.variant, func.count())
        .where(Recipient.campaign_id == campaign_id, Recipient.variant.is_not(None))
        .group_by(Recipient.variant)
    )
    return {str(variant): int(count) for variant, count in rows}


def arm_ids(campaign_id: int, variant: str, per_arm: int) -> Select[int]:
    """The rows of one test group, also once the rest were released with the winner.

    Released rows get the winner's variant, but they come after both groups in the
    draw's order (the groups were its first ``2 × per_arm`` rows), so a group is
    always the first ``per_arm`` rows of its variant in that order.
    """
    return ranked_ids(campaign_id, Recipient.variant == variant).limit(per_arm)


def arm_figures(connection: Connection, campaign_id: int) -> tuple[int, dict[str, ArmFigures]]:
    """Rows per test group, and each group's figures."""
    counts = variant_counts(connection, campaign_id)
    per_arm = min(counts.get(variant, 0) for variant in VARIANTS)
    return per_arm, {
        variant: figures(connection, campaign_id, arm_ids(campaign_id, variant, per_arm))
        for variant in VARIANTS
    }


def pick_winner(arms: dict[str, ArmFigures], measure: str) -> str:
    """The variant with the higher rate; a tie goes to A, the template's own subject."""
    return "b" if arms["b"].rate(measure) > arms["a"].rate(measure) else "a"


def decide(
    connection: Connection, campaign_id: int, now: datetime, early: bool = False
) -> Decision | None:
    """Decide one campaign's test and queue its held rows with the winner's subject.

    Only a sending campaign whose decide time has come, or with ``early`` (``ab
    --decide-now``) a sending or paused one at any time. None when there is nothing
    to decide: no test, not started, or already decided (by us or a rival). Must be
    the first statement of the caller's transaction, so the row lock is taken before
    anything is read.
    """
    conditions = [
        Campaign.id == campaign_id,
        Campaign.subject_b.is_not(None),
        Campaign.started_at.is_not(None),
        Campaign.ab_winner.is_(None),
    ]
    if early:
        conditions.append(Campaign.state.in_(("sending", "paused")))
    else:
        conditions += [Campaign.state == "sending", Campaign.ab_decide_at <= now]
    taken = connection.execute(update(Campaign).where(*conditions).values(updated_at=now))
    if taken.rowcount != 1:
        return None
    measure = connection.scalar(select(Campaign.ab_measure).where(Campaign.id == campaign_id))
    measure = measure if measure in MEASURES else "opens"
    _per_arm, arms = arm_figures(connection, campaign_id)
    winner = pick_winner(arms, measure)
    connection.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.ab_winner.is_(None))
        .values(ab_winner=winner)
    )
    released = connection.execute(
        update(Recipient)
        .where(Recipient.campaign_id == campaign_id, Recipient.state == "held")
        .values(state="queued", variant=winner, updated_at=now)
    ).rowcount
    return Decision(campaign_id, measure, winner, arms, int(released))


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def decide_due(db: Database, settings: CampaignSettings, now: datetime) -> int:
    """Decide every sending campaign whose test has reached its decide time; how many.

    The scheduler calls it every tick. Each campaign is decided in its own
    transaction; running it twice, or in two schedulers at once, decides each once.
    """
    del settings  # the periodic tasks' common signature; the decision needs none
    now = _naive_utc(now)
    with db.engine.connect() as connection:
        due = connection.scalars(
            select(Campaign.id)
            .where(
                Campaign.state == "sending",
                Campaign.subject_b.is_not(None),
                Campaign.ab_winner.is_(None),
                Campaign.ab_decide_at <= now,
            )
            .order_by(Campaign.id)
        ).all()
    decided = 0
    for campaign_id in due:
        with db.engine.begin() as connection:
            if decide(connection, campaign_id, now) is not None:
                decided += 1
    return decided
