"""Setting an A/B subject test up on a draft: subject B, the share, the measure, the wait.

What is stored on the campaign: ``subject_b`` (Jinja, like the front matter's
subject), ``ab_share`` (a fraction of the audience, split evenly between A and B),
``ab_measure`` ("opens" or "clicks") and ``ab_wait_seconds`` (from the start of the
send to the decision).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from campaigns.ab_testing.decision import MEASURES
from campaigns.ab_testing.subject_b import SubjectBError, compile_subject_b, lint_subject_b
from campaigns.campaign_store import CampaignError
from campaigns.models import Campaign
from linter.config import LinterConfig
from linter.model import Finding, Severity

DEFAULT_SHARE = "20%"
DEFAULT_MEASURE = "opens"
DEFAULT_WAIT = "4h"
# A test that runs longer than this has stopped being a test of a subject line.
MAX_WAIT_SECONDS = 30 * 86_400
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
_DURATION = re.compile(r"(\d+)\s*([smhdw])")


class AbTestError(CampaignError):
    """An A/B test can't be set, removed or decided; the message says why."""


class SubjectLintError(AbTestError):
    """Subject B has error-level findings; they are listed in ``findings``."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings


def parse_share(text: str) -> float:
    """``20%`` (or ``20``) as the fraction 0.2; more than 0 and at most 100%."""
    raw = text.strip().removesuffix("%").strip()
    try:
        percent = Decimal(raw)
    except InvalidOperation:
        raise AbTestError(f"--share {text!r}: expected a percentage such as 20%") from None
    if not percent.is_finite() or not 0 < percent <= 100:
        raise AbTestError(f"--share {text!r}: must be more than 0% and at most 100%")
    return float(percent / 100)


def parse_wait(text: str) -> int:
    """``30m``, ``4h``, ``1d`` or ``1h30m`` in seconds; positive and at most 30 days."""
    compact = text.strip().lower()
    matches = list(_DURATION.finditer(compact))
    covered = "".join(match.group(0) for match in matches)
    if not matches or re.sub(r"\s+", "", covered) != re.sub(r"\s+", "", compact):
        raise AbTestError(
            f"--wait {text!r}: expected a duration such as 30m, 4h, 1d or 1h30m "
            "(units s, m, h, d, w)"
        )
    seconds = sum(int(m.group(1)) * _UNITS[m.group(2)] for m in matches)
    if seconds <= 0:
        raise AbTestError(f"--wait {text!r}: must be longer than nothing")
    if seconds > MAX_WAIT_SECONDS:
        raise AbTestError(f"--wait {text!r}: at most 30 days")
    return seconds


def parse_measure(text: str) -> str:
    """``opens`` or ``clicks``."""
    measure = text.strip().lower()
    if measure not in MEASURES:
        raise AbTestError(f"--measure {text!r}: expected one of {', '.join(MEASURES)}")
    return measure


@dataclass(frozen=True)
class TestPlan:
    """A test as set on a campaign."""

    subject_b: str
    share: float
    measure: str
    wait_seconds: int


def merge_plan(
    current: TestPlan | None,
    subject_b: str | None = None,
    share: str | None = None,
    measure: str | None = None,
    wait: str | None = None,
) -> TestPlan:
    """The test with the options given (as typed) changed; the rest as set, or defaults.

    Raises AbTestError for an option that doesn't parse, or when there is neither a
    test nor a subject B to start one.
    """
    if subject_b is None:
        if current is None:
            raise AbTestError("there is no A/B test to change; set one with --subject-b")
        subject_b = current.subject_b
    return TestPlan(
        subject_b,
        parse_share(share or DEFAULT_SHARE) if share is not None or not current else current.share,
        parse_measure(measure or DEFAULT_MEASURE)
        if measure is not None or not current
        else current.measure,
        parse_wait(wait or DEFAULT_WAIT)
        if wait is not None or not current
        else current.wait_seconds,
    )


def _check_draft(campaign: Campaign, doing: str) -> None:
    if campaign.state != "draft":
        raise AbTestError(
            f"campaign {campaign.name!r} is {campaign.state}; only a draft's A/B test "
            f"can be {doing}"
        )
    if campaign.channel != "email":
        raise AbTestError(f"campaign {campaign.name!r} is a {campaign.channel}: it has no subject")


def set_test(
    campaign: Campaign,
    plan: TestPlan,
    config: LinterConfig,
    force: bool = False,
) -> list[Finding]:
    """Set (or change) a draft's test; returns subject B's lint findings.

    Raises AbTestError when the campaign isn't a draft email or subject B doesn't
    compile, and SubjectLintError, saving nothing, when subject B has error-level
    findings and ``force`` is not set.
    """
    _check_draft(campaign, "set")
    try:
        compile_subject_b(plan.subject_b)
    except SubjectBError as exc:
        raise AbTestError(f"--subject-b: {exc}") from None
    findings = lint_subject_b(
        campaign.template_path, campaign.template_source, plan.subject_b, config
    )
    errors = [finding for finding in findings if finding.severity == Severity.ERROR]
    if errors and not force:
        raise SubjectLintError(
            f"subject B has {len(errors)} error-level finding(s); fix it, or set it "
            "anyway with --force",
            findings,
        )
    campaign.subject_b = plan.subject_b
    campaign.ab_share = plan.share
    campaign.ab_measure = plan.measure
    campaign.ab_wait_seconds = plan.wait_seconds
    campaign.ab_decide_at = None
    campaign.ab_winner = None
    return findings


def remove_test(campaign: Campaign) -> bool:
    """Remove a draft's test; whether there was one."""
    _check_draft(campaign, "removed")
    had = campaign.subject_b is not None
    campaign.subject_b = None
    campaign.ab_share = None
    campaign.ab_measure = None
    campaign.ab_wait_seconds = None
    campaign.ab_decide_at = None
    campaign.ab_winner = None
    return had


def current_plan(campaign: Campaign) -> TestPlan | None:
    """The test set on the campaign, or None."""
    if campaign.subject_b is None:
        return None
    return TestPlan(
        campaign.subject_b,
        campaign.ab_share if campaign.ab_share is not None else parse_share(DEFAULT_SHARE),
        campaign.ab_measure or DEFAULT_MEASURE,
        campaign.ab_wait_seconds or parse_wait(DEFAULT_WAIT),
    )
