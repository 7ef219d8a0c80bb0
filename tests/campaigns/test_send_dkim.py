"""A send with [dkim] configured signs every message, and a verifier accepts it."""

from __future__ import annotations

from audiences.db import Database
from tests.campaigns.conftest import Hookline
from tests.campaigns.people import add_people
from tests.campaigns.smtp_peer import SmtpPeer
from tests.campaigns.test_dkim_signing import DOMAIN, KEY_PATH, SELECTOR, verifies
from tests.campaigns.test_sending_faults import JAZZ, create, deliveries, send


def test_a_send_with_a_dkim_key_configured_signs_every_message_verifiably(
    hookline: Hookline, campaign_db: Database, smtp_peer: SmtpPeer
) -> None:
    emails = add_people(campaign_db, 3)
    hookline.env.update(
        HOOKLINE_DKIM_DOMAIN=DOMAIN,
        HOOKLINE_DKIM_SELECTOR=SELECTOR,
        HOOKLINE_DKIM_KEY_FILE=str(KEY_PATH),
    )
    create(hookline, "signed", JAZZ)

    result = send(hookline, "signed")

    assert result.exit_code == 0, result.output
    assert sorted(deliveries(smtp_peer)) == emails
    for _, _, message in smtp_peer.messages:
        assert message.startswith(b"DKIM-Signature:")
        assert verifies(message)
