"""Creating, editing and finding campaigns.

A campaign keeps the template's text (and its ``.txt.j2`` sibling's) as it was when
created or last edited, the segment query as typed, the sender, and the lint gate's
verdict on that text.
"""

from __future__ import annotations

import re
from email.utils import formataddr, parseaddr
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from audiences.segment_query import validate_query
from campaigns.lint_gate import GateResult, lint_campaign_source
from campaigns.models import Campaign
from campaigns.render.campaign_template import CampaignTemplate, TemplateError
from linter.config import LinterConfig
from linter.document import CHANNELS, parse_document
from linter.runner import TemplateReadError, read_template

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# The width of campaigns.from_addr.
SENDER_LENGTH = 400


class CampaignError(Exception):
    """A campaign can't be created, found or changed; the message says why."""


# Pages of the web app at /app/campaigns/NAME: a campaign of that name couldn't be opened.
RESERVED_NAMES = frozenset({"new", "audience-count"})


def check_name(name: str) -> str:
    """A campaign name: letters, digits, dots, dashes and underscores."""
    if not NAME.match(name):
        raise CampaignError(
            f"campaign name {name!r}: use letters, digits, '.', '-' and '_' "
            "(up to 100, starting with a letter or digit)"
        )
    if name.lower() in RESERVED_NAMES:
        raise CampaignError(
            f"campaign name {name!r} is taken by a page of the web app "
            f"(/app/campaigns/{name.lower()}); choose another"
        )
    return name


def check_address(value: str, option: str) -> str:
    """``Name <addr>`` or ``addr``, with a deliverable-looking address; returns it tidied."""
    display, address = parseaddr(value)
    if not address or "@" not in address:
        raise CampaignError(
            f"{option} {value!r}: expected an address like 'Jazz Shop <news@shop.vn>'"
        )
    try:
        checked = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise CampaignError(f"{option} {value!r}: {exc}") from None
    return formataddr((display, checked)) if display else checked


def text_sibling(path: Path) -> Path | None:
    """``offer.txt.j2`` beside ``offer.html.j2``: the hand-written plain-text part."""
    name = path.name
    if not name.endswith((".html.j2", ".htm.j2")):
        return None
    sibling = path.with_name(re.sub(r"\.html?\.j2$", ".txt.j2", name))
    return sibling if sibling.is_file() else None


def _read(path: Path) -> str:
    try:
        text, problem = read_template(path)
    except TemplateReadError as exc:
        raise CampaignError(str(exc)) from None
    if problem:
        raise CampaignError(f"{path}: {problem}; save it as UTF-8 before using it in a campaign")
    return text


def load_template(campaign: Campaign, path: Path) -> None:
    """Store the template at ``path`` (and its text sibling) on ``campaign``, checked."""
    if not path.is_file():
        raise CampaignError(f"{path}: no such template file")
    source = _read(path)
    sibling = text_sibling(path)
    text_source = _read(sibling) if sibling else None
    doc = parse_document(str(path), source)
    if doc.front_error is not None:
        raise CampaignError(
            f"{path}:{doc.front_error.line}: front matter: {doc.front_error.message}"
        )
    try:
        CampaignTemplate.compile(source, str(path), text_source)
    except TemplateError as exc:
        raise CampaignError(f"{path}: {exc}") from None
    campaign.template_path = str(path)
    campaign.template_source = source
    campaign.text_source = text_source
    campaign.channel = doc.channel


def record_gate(campaign: Campaign, config: LinterConfig | None = None) -> GateResult:
    """Lint the campaign's stored text and keep the verdict on the campaign."""
    gate = lint_campaign_source(campaign.template_path, campaign.template_source, config)
    campaign.lint_errors = len(gate.errors)
    campaign.lint_report = gate.summary()
    return gate


def check_channel(template: Path, template_channel: str, wanted: str | None) -> str:
    """The campaign's channel: ``wanted`` when given, which must match the template's."""
    if wanted is None or wanted == template_channel:
        return template_channel
    raise CampaignError(
        f'--channel {wanted}: {template} is for channel = "{template_channel}" (its front '
        f"matter); use --channel {template_channel}, or a template with channel = "
        f'"{wanted}"'
    )


def letter_sender(from_addr: str | None, return_address: tuple[str, ...]) -> str:
    """What a letter campaign keeps as its sender: ``--from``, else the return address.

    A letter's sender is the return address printed above the recipient's, so without
    ``--from`` the campaign stores those lines, joined, for `campaign show` and lists.
    """
    if from_addr:
        return check_address(from_addr, "--from")
    return ", ".join(return_address)[:SENDER_LENGTH]


def create_campaign(
    session: Session,
    name: str,
    template: Path,
    segment: str,
    from_addr: str | None,
    reply_to: str | None = None,
    lint_config: LinterConfig | None = None,
    channel: str | None = None,
    return_address: tuple[str, ...] = (),
) -> tuple[Campaign, GateResult]:
    """Create a draft campaign; raises CampaignError (or SegmentError for the query).

    ``channel`` (``email`` or ``letter``) defaults to the template's; a letter needs no
    ``from_addr`` and keeps ``return_address`` (``[letters] return-address``) instead.
    """
    check_name(name)
    if channel is not None and channel not in CHANNELS:
        raise CampaignError(f"--channel {channel!r}: use one of {', '.join(CHANNELS)}")
    if session.scalar(select(Campaign.id).where(Campaign.name == name)) is not None:
        raise CampaignError(f"a campaign named {name!r} already exists")
    validate_query(session, segment)
    campaign = Campaign(
        name=name,
        segment=segment,
        reply_to=check_address(reply_to, "--reply-to") if reply_to else None,
        state="draft",
    )
    load_template(campaign, template)
    campaign.channel = check_channel(template, campaign.channel, channel)
    if campaign.channel == "letter":
        campaign.from_addr = letter_sender(from_addr, return_address)
    elif from_addr:
        campaign.from_addr = check_address(from_addr, "--from")
    else:
        raise CampaignError(
            "--from is required for an email campaign, e.g. --from 'Jazz Shop <news@shop.vn>'"
        )
    gate = record_gate(campaign, lint_config)
    session.add(campaign)
    session.flush()
    return campaign, gate


def edit_campaign(
    session: Session,
    campaign: Campaign,
    template: Path | None = None,
    segment: str | None = None,
    from_addr: str | None = None,
    reply_to: str | None = None,
    lint_config: LinterConfig | None = None,
) -> GateResult:
    """Change a draft campaign; a campaign that has started sending keeps what it sent."""
    if campaign.state != "draft":
        raise CampaignError(
            f"campaign {campaign.name!r} is {campaign.state}; only a draft can be edited"
        )
    if segment is not None:
        validate_query(session, segment)
        campaign.segment = segment
    if from_addr is not None:
        campaign.from_addr = check_address(from_addr, "--from")
    if reply_to is not None:
        campaign.reply_to = check_address(reply_to, "--reply-to") if reply_to else None
    if template is not None:
        load_template(campaign, template)
        # Editing the text withdraws an earlier override: the reason was for that text.
        campaign.forced_reason = None
        campaign.forced_at = None
    return record_gate(campaign, lint_config)


def get_campaign(session: Session, name: str) -> Campaign:
    """The campaign called ``name``, or a CampaignError that says how to find names."""
    campaign = session.scalar(select(Campaign).where(Campaign.name == name))
    if campaign is None:
        raise CampaignError(f"no campaign named {name!r}; `hookline campaign list` shows them")
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    """Every campaign, newest first."""
    return list(session.scalars(select(Campaign).order_by(Campaign.id.desc())))
