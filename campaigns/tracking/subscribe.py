"""Double opt-in: the signup form mails a signed link, and only confirming stores anything.

``POST /subscribe`` checks the address and mails a confirmation link whose token
carries the address, the first name, and the time and IP of the signup, signed with
the deployment's key (:meth:`campaigns.tokens.TokenSigner.confirm_token`). Nothing is
written to the database before the person confirms, so a typo or a stranger's address
leaves no trace. ``POST /confirm/{token}`` creates the contact if new and records email
consent ``granted`` with ``source="double opt-in"`` and, as proof, what was signed plus
the confirmation's own time and IP. Confirming twice records once.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from datetime import UTC, datetime
from email.utils import make_msgid, parseaddr

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from audiences.consent import latest_consent, record_consent
from audiences.db import Database
from audiences.emails import address_hash
from audiences.models import Contact, Suppression, utcnow
from campaigns.render.mime_message import build_message
from campaigns.sending import smtp_transport
from campaigns.settings import CampaignSettings
from campaigns.smtp.smtp_client import Outcome, SmtpConfigError, SmtpConnection
from campaigns.tokens import ConfirmRequest
from campaigns.tracking.tracking_settings import TrackingSettings

log = logging.getLogger(__name__)

SOURCE = "double opt-in"
WINDOW_SECONDS = 3600.0


class SignupLimiter:
    """At most ``per_hour`` confirmation mails per client address in any rolling hour.

    In memory, per process: it slows a flood from one address down, which is all a
    public form without accounts can do; it is not a security boundary.
    """

    def __init__(self, per_hour: int) -> None:
        self.per_hour = per_hour
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str, now: float | None = None) -> bool:
        """Count one signup from ``client``; False when it is over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(client, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_hour:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:
                # Forget clients whose hour has passed, so the map can't grow for ever.
                for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - 3600]:
                    del self._hits[key]
            return True


def confirmation_message(
    tracking: TrackingSettings, email: str, first_name: str, confirm_url: str, days: float
) -> bytes:
    """The confirmation mail: plain text with the one link to click."""
    sender_domain = parseaddr(tracking.subscribe_from)[1].rpartition("@")[2]
    greeting = f"Hi {first_name}," if first_name else "Hello,"
    text = (
        f"{greeting}\n\n"
        f"Please confirm that you want to receive {tracking.list_name}:\n\n"
        f"{confirm_url}\n\n"
        f"The link works for {days:g} days. If you did not ask for this, ignore this\n"
        "email: nothing was stored, and you will not hear from us again.\n"
    )
    return build_message(
        from_addr=tracking.subscribe_from,
        to_addr=email,
        subject=f"Confirm your subscription to {tracking.list_name}",
        text=text,
        html=None,
        message_id=make_msgid(domain=sender_domain or "hookline.invalid"),
        date=datetime.now(UTC),
    )


def send_confirmation(
    settings: CampaignSettings, tracking: TrackingSettings, email: str, message: bytes
) -> bool:
    """Hand the confirmation mail to the configured SMTP server (or the capture outbox).

    Blocking; returns whether the server accepted it. Failures are logged, not raised:
    the signup page then asks the person to try again later.
    """
    envelope_from = parseaddr(tracking.subscribe_from)[1]
    try:
        with (
            smtp_transport(settings) as (url, _captured),
            SmtpConnection(url, timeout=settings.smtp.timeout) as connection,
        ):
            result = connection.send(envelope_from, email, message)
    except (SmtpConfigError, OSError) as exc:
        log.error("cannot send a confirmation mail: %s", exc)
        return False
    if result.outcome is not Outcome.SENT:
        log.warning("confirmation mail to a signup not accepted: %s", result.detail)
    return result.outcome is Outcome.SENT


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def confirm_subscription(
    db: Database, signup: ConfirmRequest, ip: str | None, now: datetime | None = None
) -> bool:
    """Create the contact if new and record the confirmed consent; False if done before.

    A confirmed opt-in is fresh, explicit consent, so it also lifts an earlier
    *unsubscribe* suppression of the address; a hard bounce, a complaint or a request
    to be forgotten stays suppressed.
    """
    try:
        return _confirm(db, signup, ip, now or utcnow())
    except IntegrityError:
        # Two confirmations raced to create the same contact: the loser runs again.
        return _confirm(db, signup, ip, now or utcnow())


def _confirm(db: Database, signup: ConfirmRequest, ip: str | None, now: datetime) -> bool:
    subscribed_at = datetime.fromtimestamp(signup.subscribed_at, UTC).replace(tzinfo=None)
    with db.session() as session, session.begin():
        contact = session.scalars(select(Contact).where(Contact.email == signup.email)).first()
        if contact is None:
            contact = Contact(
                email=signup.email,
                email_hash=address_hash(signup.email),
                first_name=signup.first_name or None,
                attrs={},
                created_at=now,
                updated_at=now,
            )
            session.add(contact)
            session.flush()
        elif _already_confirmed(session, contact, subscribed_at):
            return False
        elif not contact.first_name and signup.first_name:
            contact.first_name = signup.first_name
        proof = {
            "address": signup.email,
            "first_name": signup.first_name,
            "subscribed_at": _iso(subscribed_at),
            "subscribed_ip": signup.ip,
            "confirmed_at": _iso(now),
            "confirmed_ip": ip,
        }
        record_consent(
            session,
            contact,
            "email",
            "granted",
            SOURCE,
            recorded_at=now,
            ip=ip,
            proof=json.dumps(proof, ensure_ascii=False, sort_keys=True),
            confirmed_at=now,
        )
        session.execute(
            delete(Suppression).where(
                Suppression.address_hash == contact.email_hash,
                Suppression.channel == "email",
                Suppression.reason == "unsubscribed",
            )
        )
    return True


def _already_confirmed(session: Session, contact: Contact, subscribed_at: datetime) -> bool:
    """Whether this very signup (same signed time) is already the deciding consent."""
    latest = latest_consent(session, contact.id, "email")
    if latest is None or latest.status != "granted" or latest.source != SOURCE:
        return False
    try:
        proof = json.loads(latest.proof or "{}")
    except ValueError:
        return False
    return isinstance(proof, dict) and proof.get("subscribed_at") == _iso(subscribed_at)
