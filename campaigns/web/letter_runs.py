"""Printing a started letter campaign from the web app, in a background thread.

(Only when no scheduler runs in the process: otherwise the scheduler prints it.)

A letter campaign isn't sent by the scheduler's email delivery: its queued rows are
rendered into PDFs (:mod:`campaigns.letters`), as ``hookline campaign send`` does for
a letter. "Send now" starts that here in a thread, so the page answers at once and
its progress (the ledger) fills in as chunks finish. One run per campaign at a time;
a run that stops half way is resumed by sending again (the ledger keeps what was
printed).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from audiences.db import Database
from campaigns.campaign_store import get_campaign
from campaigns.letters.letter_send import render_queued_letters
from campaigns.letters.letter_settings import load_letter_settings
from campaigns.scheduling import runtime
from campaigns.settings import CampaignSettings

log = logging.getLogger("hookline.web.letters")

_running: dict[str, threading.Thread] = {}
_lock = threading.Lock()


def is_printing(name: str) -> bool:
    """Whether this process is rendering the letters of campaign ``name`` now."""
    with _lock:
        thread = _running.get(name)
        return thread is not None and thread.is_alive()


def print_campaign(
    db: Database, settings: CampaignSettings, config_path: Path | None, name: str
) -> Path:
    """Render the queued letters of the started campaign ``name``; the batch PDF's folder."""
    letters = load_letter_settings(config_path)
    with db.session() as session:
        campaign = get_campaign(session, name)
        session.expunge(campaign)
    _, batch = render_queued_letters(db, settings, letters, campaign)
    return batch.manifest.parent


def start_printing(
    db: Database, settings: CampaignSettings, config_path: Path | None, name: str
) -> bool:
    """Start rendering ``name``'s letters in a thread; False when a run is already going.

    When the scheduler runs in this process (``hookline serve`` without
    ``--no-scheduler``) it prints every started letter campaign at its next tick
    (:mod:`campaigns.letters.letter_delivery`), so nothing is started here: one
    printer per campaign, never two assembling the same batch files.
    """
    if runtime.running() is not None:
        return True

    def run() -> None:
        try:
            folder = print_campaign(db, settings, config_path, name)
            log.info("printed the letters of %s into %s", name, folder)
        except Exception as exc:  # a thread has nobody to raise to: log it
            log.error("printing the letters of %s failed: %s: %s", name, type(exc).__name__, exc)

    with _lock:
        current = _running.get(name)
        if current is not None and current.is_alive():
            return False
        thread = threading.Thread(target=run, name=f"letters {name}", daemon=True)
        _running[name] = thread
        thread.start()
    return True
