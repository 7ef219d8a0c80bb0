"""The report page: figures from a real send and real tracking hits, costs, JSON, charts.

A campaign is sent to the server's capture with the CLI (``campaign send``), then its
opens and clicks are recorded by fetching the tracking URLs in the captured HTML,
as a mail client would. The helpers here are shared by the outbox tests.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from campaigns.smtp.outbox import list_outbox, part_text, read_message
from tests.web.conftest import SignedInClient, WebServer

CONTACTS = (
    "email,first_name,city,consent\n"
    "an@example.com,An,Hanoi,yes\n"
    "binh@example.com,Binh,Hue,yes\n"
    "chi@example.com,Chi,Hue,yes\n"
)
TEMPLATE = "templates/en/jazz-sale.html.j2"
LANDING = "https://shop.example.com/jazz-sale"
# How long to wait for the event writer (it flushes every 50 ms) before giving up.
WAIT_SECONDS = 30


def send_campaign(web: WebServer, name: str = "jazz") -> None:
    """Import three contacts, create campaign ``name`` and send it to the capture."""
    (web.workdir / "contacts.csv").write_text(CONTACTS, encoding="utf-8")
    for args in (
        ("audience", "import", "contacts.csv"),
        ("campaign", "create", name, "--template", TEMPLATE, "--from", "Jazz <news@shop.example>"),
        ("campaign", "send", name),
    ):
        result = web.cli(*args)
        assert result.exit_code == 0, result.output


def captured_html(web: WebServer) -> dict[str, str]:
    """The HTML part of each captured message, by recipient address."""
    found = {}
    for entry in list_outbox(web.outbox):
        html = part_text(read_message(web.outbox, entry.id), "html")
        assert html is not None
        found[entry.to] = html
    return found


def tracking_urls(html: str, kind: str) -> list[str]:
    """The message's tracking URLs of ``kind``: ``o`` (the open pixel) or ``c`` (links)."""
    return re.findall(rf'"(http://[^"]+/t/{kind}/[^"]+)"', html)


def hit(url: str) -> httpx.Response:
    """Fetch a tracking URL as a mail client would (without following the redirect)."""
    response = httpx.get(url, follow_redirects=False, timeout=30)
    assert response.status_code in (200, 302), response.text
    return response


def report_json(client: SignedInClient, name: str = "jazz") -> dict[str, Any]:
    """The report as the page's JSON link serves it."""
    response = client.get(f"/app/campaigns/{name}/report.json")
    assert response.status_code == 200, response.text
    data = json.loads(response.text)
    assert isinstance(data, dict)
    return data


def wait_for_report(
    client: SignedInClient, ready: Callable[[dict[str, Any]], bool], name: str = "jazz"
) -> dict[str, Any]:
    """The report once ``ready`` says so (events are written in batches, a moment later)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        report = report_json(client, name)
        if ready(report) or time.monotonic() > deadline:
            return report
        time.sleep(0.1)


def figure(html: str, key: str) -> str:
    """The value of the figure card ``figure-KEY`` on the report page."""
    match = re.search(rf'id="figure-{key}">\s*<span class="value">([^<]*)</span>', html)
    assert match is not None, f"no figure {key}"
    return match.group(1)


def cell(html: str, key: str) -> str:
    """The text of the table cell with id ``key``."""
    match = re.search(rf'id="{key}">([^<]*)</td>', html)
    assert match is not None, f"no cell {key}"
    return match.group(1)


def engage(web: WebServer) -> None:
    """an@ opens twice and clicks once; binh@ opens once; chi@ does nothing."""
    html = captured_html(web)
    an, binh = html["an@example.com"], html["binh@example.com"]
    hit(tracking_urls(an, "o")[0])
    hit(tracking_urls(an, "o")[0])
    hit(tracking_urls(binh, "o")[0])
    click = hit(tracking_urls(an, "c")[0])
    assert click.headers["location"] == LANDING


def test_the_report_shows_every_figure_of_a_sent_and_opened_campaign(web: WebServer) -> None:
    send_campaign(web)
    engage(web)
    client = web.client("viewer")
    report = wait_for_report(client, lambda r: r["opens"] == 3 and r["clicks"] == 1)
    assert (report["sent"], report["opens"], report["unique_opens"], report["clicks"]) == (
        3,
        3,
        2,
        1,
    )
    page = client.get("/app/campaigns/jazz/report")
    assert page.status_code == 200
    html = page.text
    assert figure(html, "recipients") == "3"
    assert figure(html, "sent") == "3"
    assert "100.00% delivered" in html
    assert "0.00% of 3 attempted" in html
    assert figure(html, "opens") == "3"
    assert "unique 2 · open rate 66.67%" in html
    assert figure(html, "clicks") == "1"
    assert "unique 1 · click rate 33.33% · click-to-open 50.00%" in html
    assert figure(html, "unsubscribes") == "0"
    assert figure(html, "revenue") == "0.00"
    # Charts: over time, by tier, by link, each with its numbers in a table.
    assert html.count('role="img"') == 3
    assert 'aria-label="Opens and clicks per hour (UTC)"' in html
    assert f'<td class="url">{LANDING}</td>' in html
    assert '<th scope="row">none</th><td class="num">3</td>' in html
    # The notes the CLI prints, and no cost yet.
    assert "no cost recorded" in html
    assert cell(html, "cost-per-acquired-customer") == "n/a"
    assert 'href="/app/campaigns/jazz/report.json"' in html
    # A viewer sees no costs form.
    assert 'action="/app/campaigns/jazz/cost"' not in html


def test_report_json_is_what_the_cli_prints(web: WebServer) -> None:
    send_campaign(web)
    engage(web)
    client = web.client("viewer")
    served = wait_for_report(client, lambda r: r["clicks"] == 1)
    result = web.cli("campaign", "report", "jazz", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert served.pop("generated_at")
    assert printed.pop("generated_at")
    assert served == printed
    assert served["by_link"] == [{"url": LANDING, "clicks": 1, "unique_clicks": 1}]


def test_the_costs_form_records_costs_and_the_acquisition_figures_appear(
    web: WebServer,
) -> None:
    send_campaign(web)
    ordered_at = (datetime.now(UTC) + timedelta(minutes=1)).isoformat(timespec="seconds")
    (web.workdir / "orders.csv").write_text(
        f"email,order_id,amount,ordered_at\nan@example.com,A-1,200000,{ordered_at}\n",
        encoding="utf-8",
    )
    result = web.cli("audience", "import-orders", "orders.csv")
    assert result.exit_code == 0, result.output
    client = web.client("marketer")
    form = client.get("/app/campaigns/jazz/report")
    assert 'action="/app/campaigns/jazz/cost"' in form.text
    assert cell(form.text, "cost-per-acquired-customer") == "n/a"

    answer = client.post(
        "/app/campaigns/jazz/cost",
        {"amount": "3,000,000", "staff": "1000000", "service": "500000.50"},
    )
    assert answer.status_code == 200
    assert str(answer.url).endswith("/app/campaigns/jazz/report?recorded=1#costs")
    html = answer.text
    assert "Recorded the cost of jazz: campaign 3,000,000.00, staff 1,000,000.00" in html
    assert cell(html, "cost-amount") == "3,000,000.00"
    assert cell(html, "customers-gained") == "1"
    assert cell(html, "cost-per-acquired-customer") == "3,000,000.00"
    assert cell(html, "real-acquisition-cost") == "4,500,000.50"
    assert cell(html, "cost-per-response") == "n/a"
    assert "the campaign cost is the amount recorded with `hookline campaign cost`" in html
    assert "divides by (customers gained + customers lost)" in html
    # Recorded as `campaign cost` records it: the CLI's report has the same figures.
    assert report_json(client)["cost"] == {
        "amount": "3000000.00",
        "staff": "1000000.00",
        "service": "500000.50",
        "total": "4500000.50",
    }
    # Leaving staff and service out keeps them, as the CLI does.
    client.post("/app/campaigns/jazz/cost", {"amount": "2000000", "staff": "", "service": ""})
    assert report_json(client)["cost"]["staff"] == "1000000.00"


def test_a_wrong_amount_is_reported_beside_its_field_and_nothing_is_recorded(
    web: WebServer,
) -> None:
    send_campaign(web)
    client = web.client("marketer")
    answer = client.post(
        "/app/campaigns/jazz/cost", {"amount": "", "staff": "-5", "service": "12.345"}
    )
    assert answer.status_code == 400
    html = answer.text
    assert "Traceback" not in html
    assert re.search(r'id="f-amount"[^>]*aria-invalid="true"', html)
    assert "Give the campaign&#39;s cost" in html
    assert "A cost can&#39;t be negative." in html
    assert "has more than two decimal places" in html
    assert 'value="12.345"' in html
    assert report_json(client)["cost"]["staff"] is None


def test_a_viewer_cannot_record_costs(web: WebServer) -> None:
    send_campaign(web)
    viewer = web.client("viewer")
    answer = viewer.post("/app/campaigns/jazz/cost", {"amount": "1000"})
    assert answer.status_code == 403
    assert report_json(viewer)["cost"]["amount"] is None


def test_an_unknown_campaign_is_a_404_page(web: WebServer) -> None:
    client = web.client("viewer")
    for path in ("/app/campaigns/nope/report", "/app/campaigns/nope/report.json"):
        answer = client.get(path)
        assert answer.status_code == 404
        assert "There is no campaign named &#39;nope&#39;." in answer.text
    marketer = web.client("marketer")
    assert marketer.post("/app/campaigns/nope/cost", {"amount": "10"}).status_code == 404


def test_htmx_polls_get_only_the_live_part(web: WebServer) -> None:
    send_campaign(web)
    client = web.client("viewer")
    page = client.get("/app/campaigns/jazz/report")
    assert 'hx-get="/app/campaigns/jazz/report" hx-trigger="every 5s"' in page.text
    live = client.get(
        "/app/campaigns/jazz/report", headers={"HX-Request": "true", "HX-Target": "report-live"}
    )
    assert live.status_code == 200
    assert live.text.lstrip().startswith('<div id="report-live"')
    assert "<html" not in live.text
    assert figure(live.text, "sent") == "3"
