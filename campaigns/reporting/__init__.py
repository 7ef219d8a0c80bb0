"""The campaign report: delivery, engagement, responses, revenue, costs and breakdowns.

:func:`campaign_report` builds it as a JSON-ready dict, :func:`render_report` as
aligned text. Extra sections (the A/B test) plug in through
:data:`campaigns.reporting.sections.EXTRA_SECTIONS`.
"""

from campaigns.reporting.options import ReportOptions, options_in_force
from campaigns.reporting.render_text import render_report
from campaigns.reporting.report import campaign_report
from campaigns.reporting.sections import EXTRA_SECTIONS, ReportSection

__all__ = [
    "EXTRA_SECTIONS",
    "ReportOptions",
    "ReportSection",
    "campaign_report",
    "options_in_force",
    "render_report",
]
