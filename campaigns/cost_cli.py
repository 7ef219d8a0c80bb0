"""``hookline campaign cost``: record what a campaign cost, for the acquisition-cost figures."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click

from audiences.command_context import fail
from audiences.terminal import echo_json
from campaigns.command_context import open_campaigns


def _money(option: str, value: str | None) -> Decimal | None:
    """A cost from the command line; a negative or unreadable one is a one-line error."""
    from campaigns.responses.conversions import ConversionError, parse_amount

    if value is None:
        return None
    written = value.strip()
    if written.startswith("-"):
        fail(f"{option} {written}: a cost can't be negative")
    try:
        amount = parse_amount(written)
    except ConversionError as exc:
        fail(f"{option}: {str(exc).removeprefix('amount: ')}")
    if amount is None:
        fail(f"{option}: empty; give an amount such as 30000000 or 30,000,000")
    return amount


@click.command("cost")
@click.argument("name")
@click.option(
    "--amount",
    required=True,
    help="The campaign's own cost (printing, postage, sending, ads), in [audience] currency.",
)
@click.option("--staff", help="Staff time spent on the campaign and the customers it brought.")
@click.option(
    "--service", help="Cost of serving those customers: fixing faults and misunderstandings."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def cost_command(
    name: str,
    amount: str,
    staff: str | None,
    service: str | None,
    config_path: Path | None,
    as_json: bool,
) -> None:
    """Record what campaign NAME cost; the report then shows the cost of acquisition.

    \b
    The report gives the two figures of the course material:
      cost per acquired customer = amount / customers gained
      real acquisition cost      = (amount + staff + service)
                                   / (customers gained + customers lost)
    The material writes "+ customers lost", which makes each lost customer lower
    the cost: probably a transcription error for "-". Hookline follows the text
    unless [responses] real-cost-denominator = "gained-lost".

    Running it again replaces the amounts given; --staff and --service left out
    keep what was recorded (give 0 to clear them). Amounts are non-negative, with
    at most two decimals: 30000000, 30,000,000 or 1250.50.

    \b
    Examples:
      hookline campaign cost jazz --amount 30000000
      hookline campaign cost jazz --amount 30,000,000 --staff 12000000 --service 4000000
      hookline campaign report jazz
    """
    from campaigns.campaign_store import get_campaign
    from campaigns.reporting.figures import money

    values = {
        "cost_amount": _money("--amount", amount),
        "cost_staff": _money("--staff", staff),
        "cost_service": _money("--service", service),
    }
    with (
        open_campaigns(config_path) as (settings, db),
        db.session() as session,
        session.begin(),
    ):
        campaign = get_campaign(session, name)
        for column, value in values.items():
            if value is not None:
                setattr(campaign, column, value)
        recorded = {
            "campaign": campaign.name,
            "currency": settings.audience.currency,
            "amount": money(campaign.cost_amount),
            "staff": money(campaign.cost_staff),
            "service": money(campaign.cost_service),
        }
    if as_json:
        echo_json(recorded)
        return
    parts = [
        f"{label} {Decimal(value):,.2f}"
        for label, value in (
            ("campaign", recorded["amount"]),
            ("staff", recorded["staff"]),
            ("service", recorded["service"]),
        )
        if value is not None
    ]
    click.echo(f"Recorded the cost of {name}: {', '.join(parts)} {recorded['currency']}.")
