"""What a report needs from the configuration: the attribution window, currency, costs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click

from audiences.settings import audience_settings_from_mapping
from campaigns.letters.letter_settings import letter_settings_from_mapping
from campaigns.reporting.costs import LetterCosts
from campaigns.responses.settings import (
    DEFAULT_ATTRIBUTION_DAYS,
    response_settings_from_mapping,
)
from linter.config_file import ConfigError, find_config_file, read_config


@dataclass(frozen=True)
class ReportOptions:
    """``[responses]`` attribution-days and real-cost-denominator, ``[audience]`` currency,
    and ``[letters]`` print-cost and postage (the cost of a letter campaign)."""

    attribution_days: int = DEFAULT_ATTRIBUTION_DAYS
    real_cost_denominator: str = "gained+lost"
    currency: str = "VND"
    letters: LetterCosts = field(default_factory=LetterCosts)


def options_in_force(config_path: Path | None = None) -> ReportOptions:
    """The options from ``config_path``, else the running command's ``--config``, else the
    config file in force, with ``HOOKLINE_*`` overrides.

    A bad value raises :class:`campaigns.campaign_store.CampaignError`, which the
    campaign commands turn into one line.
    """
    from campaigns.campaign_store import CampaignError

    if config_path is None:
        context = click.get_current_context(silent=True)
        while context is not None and config_path is None:
            found = context.params.get("config_path")
            config_path = found if isinstance(found, Path) else None
            context = context.parent
    try:
        config = read_config(find_config_file(config_path))
        responses = response_settings_from_mapping(config)
        audience = audience_settings_from_mapping(config)
        letters = letter_settings_from_mapping(config)
    except ConfigError as exc:
        raise CampaignError(str(exc)) from None
    return ReportOptions(
        attribution_days=responses.attribution_days,
        real_cost_denominator=responses.real_cost_denominator,
        currency=audience.currency,
        letters=LetterCosts(letters.print_cost, letters.postage),
    )
