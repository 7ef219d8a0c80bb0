"""From a claimed recipient to the exact bytes handed to SMTP.

Per recipient: the contact's variables plus the engine's (``unsubscribe_url``,
``view_url``, ``offer_code``, ``campaign``), the template compiled once per campaign,
links rewritten to signed click URLs, an open pixel, the MIME message with its
List-Unsubscribe headers, and a DKIM signature when a key is configured. A ledger
row of variant "b" in an A/B subject test gets subject B, compiled once as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any
from urllib.parse import quote

from campaigns.ab_testing.subject_b import SubjectB, compile_subject_b
from campaigns.models import Campaign
from campaigns.offer_codes import offer_code
from campaigns.render.campaign_template import CampaignTemplate, RenderedContent
from campaigns.render.dkim_signing import DkimSigner
from campaigns.render.mime_message import build_message, make_message_id
from campaigns.render.tracking_links import add_open_pixel, rewrite_links
from campaigns.settings import CampaignSettings
from campaigns.tokens import TokenSigner


def envelope_sender(from_addr: str) -> str:
    """The bare address of a ``Name <addr>`` sender, for MAIL FROM."""
    return parseaddr(from_addr)[1]


@dataclass(frozen=True)
class ComposerRecipe:
    """What it takes to build a campaign's composer again in another process."""

    campaign: dict[str, Any]
    settings: CampaignSettings
    secret_key: str
    dkim: bool

    def build(self) -> MessageComposer:
        """The composer, compiled afresh (4 ms or so)."""
        from campaigns.sending import dkim_signer

        signer = dkim_signer(self.settings) if self.dkim else None
        return MessageComposer(Campaign(**self.campaign), self.settings, self.secret_key, signer)


RECIPE_FIELDS = (
    "id",
    "name",
    "template_path",
    "template_source",
    "text_source",
    "from_addr",
    "reply_to",
    "subject_b",
)


class MessageComposer:
    """Renders one campaign's messages; built once per campaign and process."""

    def __init__(
        self,
        campaign: Campaign,
        settings: CampaignSettings,
        secret_key: str,
        dkim: DkimSigner | None = None,
        template: CampaignTemplate | None = None,
    ) -> None:
        self.campaign_id = campaign.id
        self.campaign_vars = {"name": campaign.name, "id": campaign.id}
        self.from_addr = campaign.from_addr
        self.reply_to = campaign.reply_to
        self.envelope_from = envelope_sender(campaign.from_addr)
        self.template = template or CampaignTemplate.compile(
            campaign.template_source, campaign.template_path, campaign.text_source
        )
        self.campaign_vars["subject"] = self.template.subject_source or ""
        self.subject_b: SubjectB | None = None
        self.campaign_vars_b = self.campaign_vars
        if campaign.subject_b:
            self.subject_b = compile_subject_b(campaign.subject_b)
            self.campaign_vars_b = {**self.campaign_vars, "subject": campaign.subject_b}
        self.secret_key = secret_key
        self.tokens = TokenSigner(secret_key)
        self.base_url = settings.base_url
        self.mailto = settings.unsubscribe_mailto or envelope_sender(
            campaign.reply_to or campaign.from_addr
        )
        self.domain = settings.message_id_domain or self.envelope_from.rpartition("@")[2]
        self.dkim = dkim
        self.recipe = ComposerRecipe(
            {name: getattr(campaign, name) for name in RECIPE_FIELDS},
            settings,
            secret_key,
            dkim is not None,
        )

    def _uses_b(self, variant: str | None) -> bool:
        return variant == "b" and self.subject_b is not None

    def engine_variables(self, recipient_id: int, variant: str | None = None) -> dict[str, Any]:
        """The variables the engine adds for one ledger row."""
        token = self.tokens.recipient_token("unsubscribe", recipient_id)
        return {
            "unsubscribe_url": f"{self.base_url}/u/{token}",
            "view_url": f"{self.base_url}/v/{self.tokens.recipient_token('view', recipient_id)}",
            "offer_code": offer_code(self.secret_key, recipient_id),
            "campaign": self.campaign_vars_b if self._uses_b(variant) else self.campaign_vars,
        }

    def render(
        self, recipient_id: int, contact: Mapping[str, Any], variant: str | None = None
    ) -> RenderedContent:
        """The subject, HTML and text for one recipient. Raises RenderError."""
        context = {**contact, **self.engine_variables(recipient_id, variant)}
        content = self.template.render(context)
        if variant == "b" and self.subject_b is not None:
            content = replace(content, subject=self.subject_b.render(context))
        return content

    def _own_link(self, url: str) -> bool:
        # Unsubscribe and view links are already signed and must work without a redirect.
        return url.startswith(self.base_url)

    def compose(
        self,
        recipient_id: int,
        to_addr: str,
        contact: Mapping[str, Any],
        now: datetime | None = None,
        track: bool = True,
        variant: str | None = None,
    ) -> bytes:
        """The signed message for one recipient, CRLF bytes. Raises RenderError.

        ``variant`` is the ledger row's A/B variant: "b" sends subject B.
        """
        content = self.render(recipient_id, contact, variant)
        html = content.html
        if html is not None and track:
            html = rewrite_links(
                html,
                lambda url: f"{self.base_url}/t/c/{self.tokens.click_token(recipient_id, url)}",
                self._own_link,
            )
            html = add_open_pixel(
                html, f"{self.base_url}/t/o/{self.tokens.recipient_token('open', recipient_id)}"
            )
        token = self.tokens.recipient_token("unsubscribe", recipient_id)
        message = build_message(
            from_addr=self.from_addr,
            to_addr=to_addr,
            subject=content.subject,
            text=content.text,
            html=html,
            message_id=make_message_id(self.domain, self.campaign_id, recipient_id),
            date=now or datetime.now(UTC),
            reply_to=self.reply_to,
            list_unsubscribe_url=f"{self.base_url}/u/{token}",
            list_unsubscribe_mailto=(
                f"mailto:{self.mailto}?subject={quote('unsubscribe ' + token)}"
            ),
            extra_headers={"X-Hookline-Campaign": str(self.campaign_id)},
        )
        return self.dkim.sign(message) if self.dkim is not None else message
