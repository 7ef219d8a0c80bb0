"""Drawing the two test groups when an A/B campaign starts.

Right after the ledger snapshot, ``round(share × n / 2)`` rows get variant "a", as many
get "b", and every other row is ``held`` until the winner is known. The draw is a
pseudo-random order of the rows computed in SQL (:func:`shuffle_key`), seeded by the
campaign's id: the same on SQLite and PostgreSQL, repeatable, and done without
loading a single row into Python, whatever the audience's size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, ColumnElement, Select, cast, func, select, update
from sqlalchemy.orm import Session

from campaigns.models import Campaign, Recipient

# Fewer contacts than this per group and the test can't tell the subjects apart.
MIN_PER_ARM = 2
DEFAULT_WAIT_SECONDS = 4 * 3600
# The Lehmer generator's modulus (2**31 - 1, a prime) and multiplier (MINSTD). Every
# intermediate value stays below 2**62, inside both databases' 64-bit integers.
_MODULUS = 2_147_483_647
_MULTIPLIER = 48_271


def arm_size(share: float, audience: int) -> int:
    """Rows per test group: ``share × audience / 2``, rounded half up."""
    return math.floor(share * audience / 2 + 0.5)


def shuffle_key(campaign_id: int) -> ColumnElement[int]:
    """A pseudo-random rank for each ledger row, seeded by the campaign.

    One Lehmer step spreads the row ids, and two squarings modulo the prime break the
    lattice a linear step leaves, so neighbouring ids (one import's contacts) land far
    apart. Ties, which squaring makes possible, are broken by the row id.
    """
    seed = (campaign_id * 7_919 + 104_729) % _MODULUS
    spread = (cast(Recipient.id, BigInteger) * _MULTIPLIER + seed) % _MODULUS
    mixed = (spread * spread + seed) % _MODULUS
    return (mixed * mixed + _MULTIPLIER) % _MODULUS


def ranked_ids(campaign_id: int, *where: ColumnElement[bool]) -> Select[int]:
    """The campaign's row ids (optionally filtered) in the draw's order."""
    return (
        select(Recipient.id)
        .where(Recipient.campaign_id == campaign_id, *where)
        .order_by(shuffle_key(campaign_id), Recipient.id)
    )


@dataclass(frozen=True)
class Split:
    """How the audience was divided: per group, held back, or the test skipped."""

    audience: int
    per_arm: int
    held: int
    decide_at: datetime | None

    @property
    def skipped(self) -> bool:
        """Whether the audience was too small for a test (everyone gets subject A)."""
        return self.per_arm == 0


def split_audience(session: Session, campaign: Campaign, now: datetime) -> Split | None:
    """Assign the test groups and hold the rest, in the snapshot's transaction.

    None for a campaign without subject B (nothing changes). With fewer than
    ``MIN_PER_ARM`` rows per group the test is skipped: every row gets variant "a"
    and the winner is "a" from the start, so nothing waits for a decision.
    """
    if not campaign.subject_b:
        return None
    rows = Recipient.campaign_id == campaign.id
    # Bulk updates of the ledger go straight to the connection: no row is in the session.
    connection = session.connection()
    audience = int(connection.scalar(select(func.count()).where(rows)) or 0)
    per_arm = arm_size(campaign.ab_share or 0.0, audience)
    if per_arm < MIN_PER_ARM:
        connection.execute(update(Recipient).where(rows).values(variant="a"))
        session.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id)
            .values(ab_winner="a", ab_decide_at=now, updated_at=now)
        )
        return Split(audience, 0, 0, None)
    for variant in ("a", "b"):
        group = ranked_ids(campaign.id, Recipient.variant.is_(None)).limit(per_arm)
        connection.execute(
            update(Recipient)
            .where(Recipient.id.in_(group.scalar_subquery()))
            .values(variant=variant, updated_at=now)
        )
    held = connection.execute(
        update(Recipient)
        .where(rows, Recipient.variant.is_(None))
        .values(state="held", updated_at=now)
    ).rowcount
    decide_at = now + timedelta(seconds=campaign.ab_wait_seconds or DEFAULT_WAIT_SECONDS)
    session.execute(
        update(Campaign)
        .where(Campaign.id == campaign.id)
        .values(ab_decide_at=decide_at, updated_at=now)
    )
    return Split(audience, per_arm, int(held), decide_at)
