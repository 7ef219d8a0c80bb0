"""Fixtures for the scheduler tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.campaigns.smtp_peer import SmtpPeer


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    """One plain SMTP peer on loopback.

    Scheduling doesn't depend on how the client speaks SMTP (the delivery tests cover
    PIPELINING), so these tests run once per database rather than twice.
    """
    peer = SmtpPeer().start()
    try:
        yield peer
    finally:
        peer.stop()
