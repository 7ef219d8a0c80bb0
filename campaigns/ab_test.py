"""A/B subject tests: what the scheduler, the report and the CLI call.

A test sends subject A to one part of the audience and subject B to another part of
the same size (``ab_share`` of the audience in all), holds everyone else, and after
``ab_wait_seconds`` picks the subject with the higher unique open (or click) rate
and sends it to the held rest. The pieces live in :mod:`campaigns.ab_testing`.

``decide_due`` is a periodic task of the scheduler; ``ab_summary`` is the report's
section on the test.
"""

from __future__ import annotations

from campaigns.ab_testing.decision import Decision, decide, decide_due
from campaigns.ab_testing.plan import (
    AbTestError,
    SubjectLintError,
    TestPlan,
    current_plan,
    merge_plan,
    parse_measure,
    parse_share,
    parse_wait,
    remove_test,
    set_test,
)
from campaigns.ab_testing.summary import (
    ab_summary,
    render_ab_summary,
    send_notes,
)

__all__ = [
    "AbTestError",
    "Decision",
    "SubjectLintError",
    "TestPlan",
    "ab_summary",
    "current_plan",
    "decide",
    "decide_due",
    "merge_plan",
    "parse_measure",
    "parse_share",
    "parse_wait",
    "remove_test",
    "render_ab_summary",
    "send_notes",
    "set_test",
]
