"""Starting, pausing, resuming and cancelling sends; the transport in force.

The functions here are what ``hookline campaign send|pause|resume|cancel`` and
``hookline worker`` call. They decide *whether* a campaign may send (the lint gate,
its state); :mod:`campaigns.delivery` does the sending.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from audiences.db import Database
from audiences.models import utcnow
from campaigns import ledger
from campaigns.campaign_store import CampaignError, record_gate
from campaigns.composer import MessageComposer
from campaigns.delivery import DeliveryOptions, LoopStats, Transport, deliver
from campaigns.models import Campaign
from campaigns.render.dkim_signing import DkimSigner
from campaigns.settings import CampaignSettings, secret_key
from campaigns.smtp.capture_server import CaptureServer
from campaigns.smtp.rate_limit import RateLimiter
from campaigns.smtp.smtp_client import SmtpConnection
from campaigns.smtp.smtp_url import SmtpUrl, parse_smtp_url
from linter.config import LinterConfig


class LintGateError(CampaignError):
    """The template has error-level findings and no override was given."""


@dataclass(frozen=True)
class StartResult:
    """What ``start`` did: the snapshot's size, or None when the campaign had started."""

    snapshot: int | None


def worker_name() -> str:
    """A lease owner unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def delivery_options(settings: CampaignSettings) -> DeliveryOptions:
    """The loop's options from the settings."""
    smtp = settings.smtp
    limiter = (
        RateLimiter(smtp.rate_per_second, smtp.rate_per_hour)
        if smtp.rate_per_second or smtp.rate_per_hour
        else None
    )
    batch = settings.batch_size
    if smtp.rate_per_second:
        # A slow rate must not hold a batch past its lease.
        batch = max(1, min(batch, int(smtp.rate_per_second * settings.lease_seconds / 2)))
    return DeliveryOptions(
        connections=smtp.connections,
        batch_size=batch,
        lease_seconds=settings.lease_seconds,
        max_attempts=smtp.max_attempts,
        retry_delay=smtp.retry_delay,
        limiter=limiter,
        render_processes=settings.render_processes,
    )


def dkim_signer(settings: CampaignSettings) -> DkimSigner | None:
    """The DKIM signer when ``[dkim]`` is configured."""
    dkim = settings.dkim
    if not dkim.enabled:
        return None
    return DkimSigner.from_file(dkim.domain, dkim.selector, Path(dkim.key_file))


def composer_for(campaign: Campaign, settings: CampaignSettings) -> MessageComposer:
    """The campaign's composer, with the deployment's secret key and DKIM key."""
    return MessageComposer(campaign, settings, secret_key(settings), dkim_signer(settings))


@contextmanager
def smtp_transport(settings: CampaignSettings) -> Iterator[tuple[SmtpUrl, bool]]:
    """The SMTP server to use, and whether it is the built-in capture.

    With no ``[smtp] url`` (the embedded default), a capture server on loopback
    runs for the duration and keeps every message as an .eml in the outbox.
    """
    if settings.smtp.url:
        yield parse_smtp_url(settings.smtp.url), False
        return
    with CaptureServer(settings.outbox) as capture:
        yield capture.url, True


def connection_factory(url: SmtpUrl, settings: CampaignSettings) -> Callable[[], Transport]:
    """Makes one SMTP connection per sending thread."""
    return lambda: SmtpConnection(url, timeout=settings.smtp.timeout)


def send_campaign(
    db: Database,
    campaign_id: int,
    composer: MessageComposer,
    settings: CampaignSettings,
    url: SmtpUrl,
    owner: str | None = None,
    stop: threading.Event | None = None,
    on_batch: Callable[[LoopStats], None] | None = None,
    wait_for_retries: bool = True,
) -> LoopStats:
    """The sending loop for one campaign, with the settings' connections and limits."""
    return deliver(
        db.engine,
        campaign_id,
        composer,
        connection_factory(url, settings),
        owner or worker_name(),
        delivery_options(settings),
        stop=stop,
        on_batch=on_batch,
        wait_for_retries=wait_for_retries,
    )


def send_due_rows(
    db: Database,
    campaign: Campaign,
    composers: dict[int, MessageComposer],
    settings: CampaignSettings,
    url: SmtpUrl,
    owner: str | None = None,
    stop: threading.Event | None = None,
) -> LoopStats:
    """One pass over a campaign's due rows, for loops that serve many campaigns.

    The campaign's composer is built once and kept in ``composers``; retries not yet
    due are left for a later pass.
    """
    if campaign.id not in composers:
        composers[campaign.id] = composer_for(campaign, settings)
    return send_campaign(
        db,
        campaign.id,
        composers[campaign.id],
        settings,
        url,
        owner=owner,
        stop=stop,
        wait_for_retries=False,
    )


def start(
    session: Session,
    campaign: Campaign,
    settings: CampaignSettings,
    force_reason: str | None = None,
    lint_config: LinterConfig | None = None,
) -> StartResult:
    """Pass the lint gate and snapshot the audience; for a started campaign, nothing.

    Raises LintGateError when the template has errors and no reason is given, and
    CampaignError when the campaign is paused or cancelled.
    """
    if campaign.state == "cancelled":
        raise CampaignError(f"campaign {campaign.name!r} was cancelled; it can't be sent")
    if campaign.state == "paused":
        raise CampaignError(
            f"campaign {campaign.name!r} is paused; `hookline campaign resume {campaign.name}`"
        )
    if campaign.state != "draft":
        return StartResult(None)
    gate = record_gate(campaign, lint_config)
    if not gate.passed:
        if not force_reason:
            raise LintGateError(
                f"campaign {campaign.name!r}: the template has {len(gate.errors)} "
                "error-level finding(s):\n"
                + gate.summary()
                + '\nFix them, or send anyway with --force --reason "why".'
            )
        campaign.forced_reason = force_reason
        campaign.forced_at = utcnow()
    session.flush()
    return StartResult(ledger.start_campaign(session, campaign, settings.audience))


def set_state(db: Database, campaign: Campaign, action: str) -> str:
    """Pause, resume or cancel; returns the new state. Raises CampaignError if it can't."""
    allowed = {
        "pause": (("sending",), "paused"),
        "resume": (("paused",), "sending"),
        "cancel": (("draft", "sending", "paused"), "cancelled"),
    }
    sources, target = allowed[action]
    now = utcnow()
    with db.engine.begin() as connection:
        changed = connection.execute(
            update(Campaign)
            .where(Campaign.id == campaign.id, Campaign.state.in_(sources))
            .values(state=target, updated_at=now)
        ).rowcount
        if not changed:
            raise CampaignError(
                f"campaign {campaign.name!r} is {campaign.state}; can't {action} it"
            )
        if action == "cancel":
            ledger.cancel_queued(connection, campaign.id, now)
            connection.execute(
                update(Campaign).where(Campaign.id == campaign.id).values(finished_at=now)
            )
    return target
