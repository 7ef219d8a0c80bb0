"""Reading the campaign forms: create, edit, schedule and A/B test, checked field by field.

Each reader returns the values as the library wants them and a dict of errors keyed by
form field, so a page can show every mistake next to its field at once. The checks are
the library's own (:mod:`campaigns.campaign_store`, :mod:`audiences.segment_query`,
:mod:`campaigns.scheduling.schedule_spec`); nothing here decides what is valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from audiences.segment_query import SegmentError, validate_query
from campaigns.ab_testing.summary import describe_share, describe_wait
from campaigns.campaign_store import CampaignError, check_address, check_name
from campaigns.models import Campaign
from campaigns.scheduling.schedule_spec import ScheduleError, ScheduleSpec, spec_from_options

# What "When" offers on the create form; the schedule form offers the last three.
WHEN_CHOICES = {
    "draft": "Save as draft",
    "now": "Send now",
    "at": "At a time",
    "local": "In each contact's local time",
    "cron": "Repeat on a cron schedule",
}
SCHEDULE_KINDS = ("at", "local", "cron")
# The segment select's value that means "use the query typed in the box".
TYPED_QUERY = "query"
TEMPLATE_SUFFIXES = (".html.j2", ".htm.j2", ".txt.j2")
# Which field a library error is about, by how its message starts.
_ERROR_FIELDS = (
    ("--from", "from_addr"),
    ("--reply-to", "reply_to"),
    ("--channel", "template"),
    ("campaign name", "name"),
    ("a campaign named", "name"),
)


def text(form: Mapping[str, object], key: str) -> str:
    """A form field as stripped text ('' when missing or a file)."""
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def error_field(message: str, default: str = "template") -> str:
    """The form field a CampaignError's message names (the template when it names none)."""
    for start, name in _ERROR_FIELDS:
        if message.startswith(start):
            return name
    return default


def template_files(folder: Path) -> list[str]:
    """The campaign templates under ``folder``, as paths relative to it, sorted.

    A ``.txt.j2`` beside an ``.html.j2`` of the same name is that template's text
    part, not a template of its own, so it is left out.
    """
    if not folder.is_dir():
        return []
    found: list[str] = []
    for path in sorted(folder.rglob("*.j2")):
        if not path.is_file() or not path.name.endswith(TEMPLATE_SUFFIXES):
            continue
        if path.name.endswith(".txt.j2"):
            stem = path.name.removesuffix(".txt.j2")
            if any(path.with_name(stem + s).is_file() for s in (".html.j2", ".htm.j2")):
                continue
        found.append(path.relative_to(folder).as_posix())
    return found


def template_choice(folder: Path, path: str) -> str:
    """The select's value for a campaign's stored template path ('' if not in the folder)."""
    stored = Path(path)
    try:
        return stored.relative_to(folder).as_posix()
    except ValueError:
        return ""


@dataclass
class WhenInput:
    """The schedule part of a form, as typed."""

    when: str = "draft"
    at: str = ""
    local_time: str = ""
    local_date: str = ""
    cron: str = ""
    cron_zone: str = ""

    @classmethod
    def read(cls, form: Mapping[str, object], default: str = "draft") -> WhenInput:
        """The schedule fields of ``form``."""
        return cls(
            when=text(form, "when") or default,
            at=text(form, "at"),
            local_time=text(form, "local_time"),
            local_date=text(form, "local_date"),
            cron=text(form, "cron"),
            cron_zone=text(form, "cron_zone"),
        )

    def spec(self, default_zone: str, errors: dict[str, str]) -> ScheduleSpec | None:
        """The schedule for ``at``, ``local`` or ``cron`` (None for draft/now, or an error)."""
        if self.when not in SCHEDULE_KINDS:
            if self.when not in WHEN_CHOICES:
                errors["when"] = "Choose when the campaign goes out."
            return None
        required = {"at": ("at", self.at), "local": ("local_time", self.local_time)}
        required["cron"] = ("cron", self.cron)
        name, value = required[self.when]
        if not value:
            errors[name] = "Fill this in for the schedule you chose."
            return None
        try:
            return spec_from_options(
                self.at if self.when == "at" else None,
                self.cron if self.when == "cron" else None,
                self.local_time if self.when == "local" else None,
                (self.local_date or None) if self.when == "local" else None,
                (self.cron_zone or None) if self.when == "cron" else None,
                default_zone,
                datetime.now(UTC),
            )
        except ScheduleError as exc:
            message = str(exc)
            if self.when == "local" and message.startswith("--date"):
                name = "local_date"
            elif self.when == "cron" and message.startswith("--timezone"):
                name = "cron_zone"
            errors[name] = relabel(message)
            return None


@dataclass
class CampaignInput:
    """The create (and edit) form, as typed."""

    name: str = ""
    template: str = ""
    segment_choice: str = ""
    segment_query: str = ""
    from_addr: str = ""
    reply_to: str = ""
    when: WhenInput = field(default_factory=WhenInput)

    @classmethod
    def read(cls, form: Mapping[str, object]) -> CampaignInput:
        """The fields of ``form``."""
        return cls(
            name=text(form, "name"),
            template=text(form, "template"),
            segment_choice=text(form, "segment_choice"),
            segment_query=text(form, "segment_query"),
            from_addr=text(form, "from_addr"),
            reply_to=text(form, "reply_to"),
            when=WhenInput.read(form),
        )

    @classmethod
    def of(cls, campaign: Campaign, folder: Path, saved: list[str]) -> CampaignInput:
        """A campaign's values, to fill the edit form."""
        segment = campaign.segment.strip()
        choice = segment if segment in {f"@{name}" for name in saved} or not segment else ""
        return cls(
            name=campaign.name,
            template=template_choice(folder, campaign.template_path),
            segment_choice=choice or TYPED_QUERY,
            segment_query="" if choice else segment,
            from_addr=campaign.from_addr or "",
            reply_to=campaign.reply_to or "",
        )

    @property
    def segment(self) -> str:
        """The segment query: ``@name`` of the saved segment chosen, or the typed query."""
        if self.segment_choice == TYPED_QUERY:
            return self.segment_query
        return self.segment_choice

    def check(
        self, session: Session, templates: list[str], *, new: bool, errors: dict[str, str]
    ) -> None:
        """Add an error for every field at fault (the name only when ``new``)."""
        if new:
            try:
                check_name(self.name)
                if session.scalar(select(Campaign.id).where(Campaign.name == self.name)):
                    errors["name"] = f"A campaign named {self.name!r} already exists."
            except CampaignError as exc:
                errors["name"] = relabel(str(exc))
        if self.template not in templates:
            errors["template"] = "Choose one of the template files."
        for key, label in (("from_addr", "Sender"), ("reply_to", "Reply-To")):
            value = getattr(self, key)
            if value:
                try:
                    check_address(value, label)
                except CampaignError as exc:
                    errors[key] = str(exc)
        if self.segment_choice == TYPED_QUERY and not self.segment_query:
            errors["segment_query"] = "Type a query, or choose a saved segment above."
            return
        try:
            validate_query(session, self.segment)
        except SegmentError as exc:
            where = "segment_query" if self.segment_choice == TYPED_QUERY else "segment_choice"
            errors[where] = exc.render()


@dataclass
class AbInput:
    """The A/B test form, as typed."""

    subject_b: str = ""
    share: str = "20%"
    measure: str = "opens"
    wait: str = "4h"
    force: bool = False

    @classmethod
    def read(cls, form: Mapping[str, object]) -> AbInput:
        """The fields of ``form``."""
        return cls(
            subject_b=text(form, "subject_b"),
            share=text(form, "share"),
            measure=text(form, "measure"),
            wait=text(form, "wait"),
            force=text(form, "force") == "1",
        )

    @classmethod
    def of(cls, campaign: Campaign) -> AbInput:
        """A campaign's test, to fill the form (defaults when it has none)."""
        if campaign.subject_b is None:
            return cls()
        return cls(
            subject_b=campaign.subject_b,
            share=describe_share(campaign.ab_share or 0.2),
            measure=campaign.ab_measure or "opens",
            wait=describe_wait(campaign.ab_wait_seconds or 4 * 3600),
        )


AB_FIELDS = {"--subject-b": "subject_b", "--share": "share", "--measure": "measure"}


def ab_error_field(message: str) -> str:
    """The A/B form field an AbTestError is about."""
    for option, name in AB_FIELDS.items():
        if message.startswith(option):
            return name
    return "wait" if message.startswith("--wait") else "subject_b"


# The CLI's option names in library messages, as the forms label those fields.
LABELS = {
    "--at": "Time",
    "--cron": "Cron schedule",
    "--timezone": "Time zone",
    "--local-time": "Local time",
    "--date": "Date",
    "--from": "Sender",
    "--reply-to": "Reply-To",
    "--subject-b": "Subject B",
    "--share": "Share",
    "--measure": "Measure",
    "--wait": "Wait",
}
_OPTION = re.compile(r"--[a-z]+(?:-[a-z]+)*(?![a-z-])")


def relabel(message: str) -> str:
    """A library message with the CLI's option names replaced by the forms' labels."""
    relabelled = _OPTION.sub(lambda m: LABELS.get(m.group(0), m.group(0)), message)
    return relabelled[:1].upper() + relabelled[1:]
