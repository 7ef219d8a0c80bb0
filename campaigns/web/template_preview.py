"""What the editor's text looks like for one contact: the email, its text part, a letter.

The preview renders the text in the editor (not the saved file) through the engine's
own pieces: a throwaway :class:`~campaigns.models.Campaign` (never stored) and its
:class:`~campaigns.composer.MessageComposer`, so a preview is what a send would render,
with the engine's variables (offer code, unsubscribe link). A test email goes out the
same way as ``hookline campaign test``, with ``[TEST] `` before the subject (as
subject B of the throwaway campaign) and no tracking; no ledger row is written.
A letter is printed by the print run's own chunk renderer in a child process.
"""

from __future__ import annotations

import multiprocessing
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from audiences.contacts import find_contact
from audiences.emails import InvalidEmailError
from audiences.models import Contact, utcnow
from campaigns.ab_testing.subject_b import SubjectBError
from campaigns.campaign_store import text_sibling
from campaigns.composer import MessageComposer, envelope_sender
from campaigns.ledger import contact_context
from campaigns.letters.chunk_render import ChunkJob, render_chunk, start_worker
from campaigns.letters.letter_send import letter_recipe
from campaigns.letters.letter_settings import LetterSettings
from campaigns.models import Campaign
from campaigns.render.campaign_template import RenderedContent, RenderError, TemplateError
from campaigns.sending import composer_for, connection_factory, smtp_transport
from campaigns.settings import CampaignSettings
from campaigns.smtp.smtp_client import Outcome, SmtpConfigError
from linter.document import parse_document
from linter.jinja_render import preview_contexts

TEST_PREFIX = "[TEST] "
SAMPLE_ADDRESS = "preview@example.com"
SEARCH_LIMIT = 10
# Row id 0 belongs to no ledger row: its links and offer code resolve to nothing.
NO_ROW = 0


class PreviewError(Exception):
    """The text can't be rendered for this contact (or sent); the message says why."""


@dataclass(frozen=True)
class PreviewRecipient:
    """Whom a preview is rendered for: their address, variables and a label."""

    email: str
    context: dict[str, Any]
    label: str


def sample_recipient(path: str, source: str, attributes: tuple[str, ...]) -> PreviewRecipient:
    """The template's first ``[[preview]]`` table over the placeholders: a made-up contact."""
    front = parse_document(path, source).front
    context = preview_contexts(front.previews, front.lang or "en", attributes)[0]
    email = str(context.get("email") or SAMPLE_ADDRESS)
    return PreviewRecipient(email, context, "the template's sample data")


def contact_recipient(session: Session, email: str) -> PreviewRecipient:
    """A real contact by address; :class:`PreviewError` when there is none."""
    try:
        contact = find_contact(session, email)
    except InvalidEmailError:
        raise PreviewError(f"{email!r} is not an email address.") from None
    if contact is None:
        raise PreviewError(f"No contact has the address {email}.")
    context = contact_context(contact, sorted(tag.name for tag in contact.tags))
    name = " ".join(filter(None, [contact.first_name, contact.last_name]))
    return PreviewRecipient(contact.email, context, f"{name} <{contact.email}>" if name else email)


def search_contacts(session: Session, text: str) -> list[tuple[str, str]]:
    """Up to ten contacts whose address or name contains ``text``: (email, name)."""
    needle = f"%{text.strip().lower()}%"
    query = (
        select(Contact)
        .options(selectinload(Contact.tags))
        .where(
            or_(
                Contact.email.like(needle),
                Contact.first_name.ilike(needle),
                Contact.last_name.ilike(needle),
            )
        )
        .order_by(Contact.email)
        .limit(SEARCH_LIMIT)
    )
    return [
        (contact.email, " ".join(filter(None, [contact.first_name, contact.last_name])))
        for contact in session.scalars(query)
    ]


def _sibling_text(file: Path | None) -> str | None:
    sibling = text_sibling(file) if file is not None else None
    return sibling.read_text(encoding="utf-8") if sibling is not None else None


def throwaway_campaign(
    path: str, source: str, file: Path | None, from_addr: str, subject_b: str | None = None
) -> Campaign:
    """A campaign that is never stored, carrying the editor's text."""
    document = parse_document(path, source)
    return Campaign(
        id=NO_ROW,
        name="template-preview",
        channel=document.channel,
        template_path=path,
        template_source=source,
        text_source=_sibling_text(file),
        from_addr=from_addr,
        reply_to=None,
        subject_b=subject_b,
        created_at=utcnow(),
        started_at=None,
    )


def _composer(campaign: Campaign, settings: CampaignSettings) -> MessageComposer:
    try:
        return composer_for(campaign, settings)
    except (TemplateError, SubjectBError) as exc:
        raise PreviewError(str(exc)) from None


def render_preview(
    settings: CampaignSettings,
    path: str,
    source: str,
    file: Path | None,
    recipient: PreviewRecipient,
) -> RenderedContent:
    """The subject, HTML and text part of the editor's text for one recipient."""
    composer = _composer(throwaway_campaign(path, source, file, SAMPLE_ADDRESS), settings)
    try:
        return composer.render(NO_ROW, recipient.context)
    except RenderError as exc:
        raise PreviewError(f"{path}, {exc}") from None


def send_test(
    settings: CampaignSettings,
    path: str,
    source: str,
    file: Path | None,
    recipient: PreviewRecipient,
    to: str,
) -> str:
    """Mail the editor's text, rendered for ``recipient``, to ``to``; where it went."""
    subject = parse_document(path, source).front.subject
    if parse_document(path, source).channel == "letter":
        raise PreviewError("A letter is printed, not mailed: look at its PDF preview instead.")
    campaign = throwaway_campaign(path, source, file, to, f"{TEST_PREFIX}{subject or ''}")
    composer = _composer(campaign, settings)
    try:
        message = composer.compose(NO_ROW, to, recipient.context, track=False, variant="b")
    except RenderError as exc:
        raise PreviewError(f"{path}, {exc}") from None
    try:
        with smtp_transport(settings) as (url, captured):
            connection = connection_factory(url, settings)()
            try:
                result = connection.send(envelope_sender(to), to, message)
            finally:
                connection.close()
    except (SmtpConfigError, OSError) as exc:
        raise PreviewError(f"could not use the SMTP server: {exc}") from None
    if result.outcome != Outcome.SENT:
        raise PreviewError(f"the SMTP server answered {result.detail}")
    return f"the outbox ({settings.outbox})" if captured else url.display()


def letter_pdf(
    settings: CampaignSettings,
    letters: LetterSettings,
    path: str,
    source: str,
    recipient: PreviewRecipient,
) -> bytes:
    """The letter as the print run would print it for ``recipient``: PDF bytes.

    The print run's chunk renderer runs in a spawned child process, as in a real run
    (WeasyPrint's memory and fonts stay out of the web server).
    """
    if parse_document(path, source).channel != "letter":
        raise PreviewError('Only a letter (channel = "letter") has a PDF.')
    campaign = throwaway_campaign(path, source, None, SAMPLE_ADDRESS)
    _composer(campaign, settings)
    with tempfile.TemporaryDirectory(prefix="hookline-letter-") as folder:
        recipe = letter_recipe(campaign, settings, letters, Path(folder))
        Path(recipe.chunk_folder).mkdir(parents=True)
        job = ChunkJob("preview", [(NO_ROW, recipient.email, recipient.context)])
        with ProcessPoolExecutor(
            1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_worker,
            initargs=(recipe,),
        ) as pool:
            result = pool.submit(render_chunk, job).result()
        if result.failed:
            raise PreviewError(f"{path}, {result.failed[NO_ROW]}")
        return (Path(recipe.chunk_folder) / "preview.pdf").read_bytes()
