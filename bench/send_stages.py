"""What each stage of sending one message costs, timed in one thread (``send_bench.py``).

The stages are the library calls ``campaigns.composer.MessageComposer.compose`` makes,
timed one by one over the same recipients: the engine's variables, the Jinja render
with its text part, link tracking, the MIME message, and the whole composer. Beside
them: CSS inlining once per campaign (``CampaignTemplate.compile``) and, for
comparison, per message (``inline_html``); a DKIM signature; the ledger's work per
message (claiming batches, then a commit before and after each SMTP transaction); and
SMTP alone, prebuilt messages to a sink in another process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smtp_sink import running_sink

# (key, label) in the order printed; values are µs per message.
STAGE_LABELS = (
    ("engine_variables", "engine variables (tokens, offer code)"),
    ("render", "render: engine variables + Jinja + text part"),
    ("text_part", "{text_part}"),
    ("links", "links: click tracking + open pixel"),
    ("mime", "MIME: build_message"),
    ("compose", "compose: all of the above (composer.compose)"),
    ("inline_per_message", "CSS inlining per message, for comparison"),
    ("dkim", "DKIM signature (in the send only with --dkim)"),
    ("ledger_claim_load", "ledger: claim + load, in batches"),
    ("ledger_commits", "ledger: outcome + next `sending` ({ledger_mode})"),
    ("smtp_one_connection", "SMTP alone, 1 connection (wall per message)"),
    ("smtp_client_cpu", "  of which CPU in this process (smtplib)"),
    ("smtp_many_connections", "SMTP alone, {connections} connections (wall / messages)"),
    ("sink_cpu", "the sink's CPU per message (other process)"),
)


def best_of(action: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` timed calls, in seconds."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def per_message(seconds: float, messages: int) -> float:
    """Microseconds per message, rounded to 0.1."""
    return round(seconds / max(1, messages) * 1e6, 1)


def ledger_stages(
    url: str, campaign_name: str, settings: Any
) -> tuple[Any, list[Any], dict[str, Any]]:
    """Start the campaign, then claim, load and send-mark every row as a send would.

    Returns the campaign, its claimed recipients (real contexts to render) and the
    µs per message of claiming + loading, and of recording each outcome and marking
    the next row ``sending`` (see :func:`ledger_commits`).
    """
    from sqlalchemy import select

    from audiences.models import utcnow
    from campaigns import ledger
    from campaigns.database import open_campaign_database
    from campaigns.models import Campaign

    db = open_campaign_database(url)
    figures: dict[str, Any] = {"errors": {}}
    try:
        with db.session() as session, session.begin():
            campaign = session.scalars(select(Campaign).where(Campaign.name == campaign_name)).one()
            ledger.start_campaign(session, campaign, settings.audience)
            session.expunge(campaign)
        owner, lease, batch = "bench:stages", settings.lease_seconds, settings.batch_size
        claimed: list[Any] = []
        started = time.perf_counter()
        while True:
            with db.engine.begin() as connection:
                ids = ledger.claim(connection, campaign.id, owner, batch, lease, utcnow())
                if not ids:
                    break
                ready, _skipped = ledger.load_claimed(connection, ids, "email")
            claimed.extend(ready)
        figures["ledger_claim_load"] = per_message(time.perf_counter() - started, len(claimed))
        try:
            figures.update(ledger_commits(db.engine, claimed, owner, settings))
        except Exception as exc:  # the ledger is being reworked: report, don't stop
            figures["errors"]["ledger_commits"] = f"{type(exc).__name__}: {exc}"
    finally:
        db.engine.dispose()
    return campaign, claimed, figures


def ledger_commits(engine: Any, claimed: list[Any], owner: str, settings: Any) -> dict[str, Any]:
    """Record each message's outcome and mark the next row ``sending``, as the send does.

    With ``campaigns.ledger_writer`` (group commit), one thread per SMTP connection
    submits its requests to the writer; without it, one commit per message.
    """
    from audiences.models import utcnow
    from campaigns import ledger

    lease = settings.lease_seconds
    try:
        from campaigns.ledger_writer import LedgerWriter
    except ImportError:
        started = time.perf_counter()
        previous: Any = None
        for recipient in claimed:
            with engine.begin() as connection:
                if previous is not None:
                    ledger.record_outcome(connection, previous, utcnow())
                ledger.mark_sending(connection, recipient.recipient_id, owner, lease, utcnow())
            previous = ledger.Outcome(recipient.recipient_id, "sent", None, 250)
        seconds = time.perf_counter() - started
        return {"ledger_commits": per_message(seconds, len(claimed)), "ledger_mode": "per message"}
    connections = settings.smtp.connections
    writer = LedgerWriter(engine, owner, lease)

    def thread_work(part: list[Any]) -> None:
        previous: Any = None
        for recipient in part:
            writer.submit(previous, recipient.email, recipient.recipient_id)
            previous = ledger.Outcome(recipient.recipient_id, "sent", None, 250)
        writer.submit(previous, None, None)

    threads = [
        threading.Thread(target=thread_work, args=(claimed[i::connections],))
        for i in range(connections)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    writer.close()
    return {
        "ledger_commits": per_message(seconds, len(claimed)),
        "ledger_mode": f"group commit, {connections} threads",
        "ledger_messages_per_commit": round(len(claimed) / max(1, writer.commits), 1),
    }


def compile_figures(campaign: Any, repeat: int) -> tuple[Any, dict[str, Any]]:
    """The campaign's compiled template, and what compiling it once costs (CSS inlining
    and, where the engine can, the text part's template are done here)."""
    from campaigns.render.campaign_template import CampaignTemplate

    source, path, text = campaign.template_source, campaign.template_path, campaign.text_source
    compiled: list[CampaignTemplate] = []
    seconds = best_of(lambda: compiled.append(CampaignTemplate.compile(source, path, text)), repeat)
    template = compiled[-1]
    return template, {
        "compile_ms": round(seconds * 1e3, 2),
        "inlined_once": template.inlined_once,
        "text_derived_once": bool(getattr(template, "text_derived_once", False)),
    }


def stage_figures(
    url: str,
    campaign_name: str,
    settings: Any,
    secret_key: str,
    repeat: int,
    sink_kind: str,
    dkim_key: Path,
) -> dict[str, Any]:
    """Every figure for the campaign ``campaign_name`` (a draft) in the database at ``url``."""
    from campaigns.composer import MessageComposer
    from campaigns.render.mime_message import build_message, make_message_id
    from campaigns.render.text_part import text_part
    from campaigns.render.tracking_links import add_open_pixel, rewrite_links

    campaign, claimed, stages = ledger_stages(url, campaign_name, settings)
    people = [(r.recipient_id, r.email, r.context) for r in claimed]
    count = len(people)
    stages.update(messages=count, repeat=repeat)

    def stage(key: str, action: Callable[[], object]) -> None:
        try:
            stages[key] = per_message(best_of(action, repeat), count)
        except Exception as exc:  # an API that moved: report it and go on
            stages["errors"][key] = f"{type(exc).__name__}: {exc}"

    source, path = campaign.template_source, campaign.template_path
    template, once = compile_figures(campaign, repeat)
    stages.update(once)
    composer = MessageComposer(campaign, settings, secret_key, template=template)
    base = composer.base_url
    rendered: list[Any] = []
    tracked: list[str] = []
    messages: list[bytes] = []

    def track(rid: int, html: str) -> str:
        html = rewrite_links(
            html,
            lambda link: f"{base}/t/c/{composer.tokens.click_token(rid, link)}",
            lambda link: link.startswith(base),
        )
        return add_open_pixel(html, f"{base}/t/o/{composer.tokens.recipient_token('open', rid)}")

    tokens = [composer.tokens.recipient_token("unsubscribe", rid) for rid, _, _ in people]
    now = datetime.now(UTC)

    def mime() -> list[bytes]:
        return [
            build_message(
                from_addr=composer.from_addr,
                to_addr=email,
                subject=content.subject,
                text=content.text,
                html=html,
                message_id=make_message_id(composer.domain, composer.campaign_id, rid),
                date=now,
                reply_to=composer.reply_to,
                list_unsubscribe_url=f"{base}/u/{token}",
                list_unsubscribe_mailto=f"mailto:{composer.mailto}?subject=unsubscribe%20{token}",
                extra_headers={"X-Hookline-Campaign": str(composer.campaign_id)},
            )
            for (rid, email, _), content, html, token in zip(
                people, rendered, tracked, tokens, strict=True
            )
        ]

    def render() -> None:
        rendered[:] = [composer.render(rid, context) for rid, _, context in people]

    def links() -> None:
        tracked[:] = [track(rid, r.html) for (rid, _, _), r in zip(people, rendered, strict=True)]

    def compose() -> None:
        messages[:] = [composer.compose(rid, email, context) for rid, email, context in people]

    stage("engine_variables", lambda: [composer.engine_variables(rid) for rid, _, _ in people])
    stage("render", render)
    stage("text_part", lambda: [text_part(content.html) for content in rendered])
    stage("links", links)
    stage("mime", mime)
    stage("compose", compose)
    stages["message_bytes"] = round(sum(map(len, messages)) / max(1, len(messages)))

    try:
        stages.update(comparison_figures(composer, people, messages, source, path, dkim_key))
    except Exception as exc:  # comparison figures must not stop the bench
        stages["errors"]["inline_per_message"] = f"{type(exc).__name__}: {exc}"
    if len(messages) == len(people) and messages:
        jobs = [(email, message) for (_, email, _), message in zip(people, messages, strict=True)]
        stages.update(smtp_figures(composer.envelope_from, jobs, settings, sink_kind))
    return stages


def comparison_figures(
    composer: Any, people: list[Any], messages: list[bytes], source: str, path: str, key: Path
) -> dict[str, float]:
    """What the send doesn't do by default, per message over up to 200 recipients:
    inlining each message's CSS (instead of the template's, once) and DKIM signing."""
    from jinja2 import ChainableUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from campaigns.render.css_inline import inline_html
    from campaigns.render.dkim_signing import DkimSigner
    from linter.document import parse_document

    few = people[:200]
    # The rendered source body still has its <style>, as each message would if the
    # template could not be inlined once.
    sandbox = ImmutableSandboxedEnvironment(autoescape=True, undefined=ChainableUndefined)
    source_body = sandbox.from_string(parse_document(path, source).body)
    with_style = [
        source_body.render({**context, **composer.engine_variables(rid)}) for rid, _, context in few
    ]
    signer = DkimSigner.from_file("shop.example.com", "bench", key)
    count = max(1, len(few))
    return {
        "inline_per_message": round(
            best_of(lambda: [inline_html(html) for html in with_style], 1) / count * 1e6, 1
        ),
        "dkim": round(
            best_of(lambda: [signer.sign(message) for message in messages[:count]], 1)
            / count
            * 1e6,
            1,
        ),
    }


def smtp_figures(
    sender: str, jobs: list[tuple[str, bytes]], settings: Any, sink_kind: str
) -> dict[str, Any]:
    """SMTP alone: prebuilt messages to a fresh sink, over 1 and over [smtp] connections."""
    from campaigns.smtp.smtp_client import Outcome, SmtpConnection
    from campaigns.smtp.smtp_url import parse_smtp_url

    connections = settings.smtp.connections
    failures: list[str] = []
    with running_sink(sink_kind) as sink:
        url = parse_smtp_url(sink.url)

        def send(part: list[tuple[str, bytes]]) -> None:
            with SmtpConnection(url) as connection:
                for email, message in part:
                    result = connection.send(sender, email, message)
                    if result.outcome != Outcome.SENT:
                        failures.append(result.detail)

        sink_cpu, client_cpu = sink.cpu_seconds(), time.process_time()
        started = time.perf_counter()
        send(jobs)
        one = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        threads = [
            threading.Thread(target=send, args=(jobs[i::connections],)) for i in range(connections)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        many = time.perf_counter() - started
        sink_cpu = sink.cpu_seconds() - sink_cpu
        received = sink.stop()
    count = len(jobs)
    return {
        "smtp_connections": connections,
        "smtp_one_connection": per_message(one, count),
        "smtp_client_cpu": per_message(client_cpu, count),
        "smtp_many_connections": per_message(many, count),
        "smtp_many_rate": round(count / many),
        "sink_cpu": per_message(sink_cpu, 2 * count),
        "smtp_failures": len(failures),
        "smtp_check": received.get("messages") == 2 * len(jobs) and not failures,
    }


def print_stages(stages: dict[str, Any], cpus: int, goal_rate: float) -> None:
    """The per-stage table."""
    print(
        f"\nper message, in-process, one thread ({stages['messages']} recipients, best of "
        f"{stages['repeat']}; per-message inlining and DKIM over up to 200, once)"
    )
    print(f"{'stage':<60}{'µs/msg':>8}")
    text_part = (
        "HTML to text per message, for comparison"
        if stages.get("text_derived_once")
        else "  of which text part (HTML to text)"
    )
    for key, label in STAGE_LABELS:
        text = label.format(
            connections=stages.get("smtp_connections"),
            text_part=text_part,
            ledger_mode=stages.get("ledger_mode", "?"),
        )
        if key in stages:
            print(f"{text:<60}{stages[key]:>8.1f}")
        elif key in stages["errors"]:
            print(f"{text:<60}{'failed':>8}  {stages['errors'][key][:100]}")
    if "ledger_messages_per_commit" in stages:
        per_commit = stages["ledger_messages_per_commit"]
        print(f"(the ledger writer committed {per_commit} messages at a time)")
    print(
        f"once per campaign (CampaignTemplate.compile): {stages['compile_ms']:.1f} ms; CSS "
        f"inlined once: {'yes' if stages['inlined_once'] else 'NO, per message'}; text part "
        f"derived once: {'yes' if stages.get('text_derived_once') else 'no, per message'}"
    )
    if "smtp_many_rate" in stages:
        print(
            f"message size {stages['message_bytes']:,} bytes; SMTP alone over "
            f"{stages['smtp_connections']} connections: {stages['smtp_many_rate']:,} msgs/s"
            + ("" if stages["smtp_check"] else "  (sink count WRONG or sends failed)")
        )
    print(
        f"(at {goal_rate:,.0f} msgs/s on {cpus} cores, sender and sink together have "
        f"{cpus / goal_rate * 1e6:,.0f} µs of CPU per message)"
    )
