"""What a campaign did: the report, built in :mod:`campaigns.reporting`.

Kept so ``from campaigns.report import campaign_report, render_report`` goes on working.
"""

from campaigns.reporting import campaign_report, render_report

__all__ = ["campaign_report", "render_report"]
