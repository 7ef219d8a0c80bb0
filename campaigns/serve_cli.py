"""``hookline serve``: the tracking endpoints (and the scheduler) in one process.

uvicorn runs the app from :func:`campaigns.tracking.app.create_app` on one socket.
SIGTERM or Ctrl-C stops it gracefully: it stops accepting, lets requests in flight
finish, stops the scheduler, and writes every queued open and click before exiting
(0 after SIGTERM, 130 after Ctrl-C).
"""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import logging
import signal
import socket
import sys
import threading
from collections.abc import Callable, Generator
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import click
import uvicorn
from starlette.routing import BaseRoute

from audiences.command_context import fail
from audiences.db import Database
from campaigns.command_context import open_campaigns
from campaigns.settings import CampaignSettings
from linter.config_file import ConfigError

DEFAULT_PORT = 8025
EXIT_INTERRUPTED = 130


def default_port(settings: CampaignSettings) -> int:
    """The port of ``[sending] base-url`` when it is a loopback URL, else 8025.

    Then the links in mail sent from this machine reach this server as they are.
    """
    parts = urlsplit(settings.base_url)
    host = (parts.hostname or "").lower()
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return (parts.port or DEFAULT_PORT) if loopback else DEFAULT_PORT


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound and listening on ``host:port`` (port 0: a free one). Raises OSError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class GracefulServer(uvicorn.Server):
    """uvicorn's server, remembering the signal that stopped it instead of re-raising it.

    uvicorn re-raises SIGTERM after a graceful shutdown, which would end the process
    with a signal status; ``hookline serve`` exits 0 instead (130 for Ctrl-C).
    """

    stopped_by: int | None = None

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Route SIGINT and SIGTERM to a graceful exit (only the main thread can)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self.stopped_by is None:
            self.stopped_by = sig
        # A second Ctrl-C forces the exit, as in uvicorn.
        self.handle_exit(sig, frame)


def _scheduler_hook(
    settings: CampaignSettings, config_path: Path | None
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The scheduler's (start, shutdown), imported only when it runs; raises ConfigError."""
    from campaigns.letters.letter_settings import load_letter_settings
    from campaigns.scheduling.scheduler_settings import load_scheduler_settings
    from campaigns.scheduling.service import SchedulerService
    from linter.config import load_linter_config

    service = SchedulerService(
        settings,
        scheduler=load_scheduler_settings(config_path),
        lint_config=load_linter_config(config_path),
        letters=load_letter_settings(config_path),
    )
    return service.start, service.shutdown


def _web_routes(
    settings: CampaignSettings,
    db: Database,
    config_path: Path | None,
    demo: bool,
    notes: list[str],
) -> list[BaseRoute]:
    """The web app's routes; on the first start, the first admin (and the demo data).

    What the first start did goes into ``notes``, printed once the server listens.
    """
    from campaigns.web.accounts import ensure_first_admin
    from campaigns.web.app import web_routes
    from campaigns.web.web_settings import load_web_settings

    web_settings = load_web_settings(config_path)
    if demo:
        from campaigns.web.demo_seed import seed_demo

        notes.extend(seed_demo(db, settings, web_settings, config_path))
    with db.session() as session, session.begin():
        first = ensure_first_admin(session)
    if first is not None:
        notes.append(
            f"First start: sign in to the web app as {first.email} with the password "
            f"{first.password}\n(shown only this once; you will be asked to choose a new one)."
        )
    return web_routes(settings, db, web_settings, config_path)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one. Default: the port of [sending] "
    "base-url when it is a loopback URL, else 8025.",
)
@click.option("--no-scheduler", is_flag=True, help="Serve the endpoints only; send nothing.")
@click.option("--no-web", is_flag=True, help="Leave out the web app for marketers (/app/).")
@click.option(
    "--demo",
    is_flag=True,
    help="Load the demo data on the first start (contacts with orders, a saved "
    "segment, the example templates as draft campaigns); what `make run` does.",
)
@click.option("--access-log", is_flag=True, help="Log every request on stderr.")
@click.option(
    "--http",
    "http_impl",
    type=click.Choice(["auto", "httptools", "h11"]),
    default="auto",
    show_default=True,
    help="HTTP parser; auto takes httptools (C, faster) when installed.",
)
@click.option(
    "--loop",
    "loop_impl",
    type=click.Choice(["auto", "uvloop", "asyncio"]),
    default="auto",
    show_default=True,
    help="Event loop; auto takes uvloop (faster) when installed.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="Config file (default: ./config.toml or $HOOKLINE_CONFIG).",
)
def serve_command(
    host: str,
    port: int | None,
    no_scheduler: bool,
    no_web: bool,
    demo: bool,
    access_log: bool,
    http_impl: str,
    loop_impl: str,
    config_path: Path | None,
) -> None:
    """Serve the web app for marketers, and the links in sent mail.

    \b
    The web app is at /app/ (templates with live lint, contacts, imports, segments,
    campaigns, reports, the outbox). On the very first start an admin account is
    created and its one-time password printed; add accounts with `hookline user`.
    --demo loads demo data on the first start (what `make run` does).

    \b
    Every message links here through [sending] base-url:
      /t/o/TOKEN   open pixel        /t/c/TOKEN  tracked link (302)
      /u/TOKEN     unsubscribe       /v/TOKEN    view in the browser
      /subscribe   double opt-in signup form     /healthz    "ok"
    /api/responses   conversions with offer codes (POST, bearer token; see
                     `hookline response --help`)
    Unless --no-scheduler, the scheduler runs in the same process and sends
    scheduled campaigns. Put a TLS proxy in front for https:// base URLs (RFC 8058
    one-click unsubscription needs https); X-Forwarded-For is trusted from 127.0.0.1.

    \b
    Examples:
      hookline serve                           http://127.0.0.1:8025, with the scheduler
      hookline serve --demo                    the same, with demo data on the first start
      hookline serve --no-scheduler --port 0   endpoints only, on a free port
      hookline serve --host 0.0.0.0 --port 8080 --config /etc/hookline/config.toml

    Stop with Ctrl-C or SIGTERM: requests in flight finish and every queued open and
    click is written before the process exits.
    """
    from campaigns.responses.api import response_routes
    from campaigns.responses.settings import load_response_settings
    from campaigns.tracking.app import create_app
    from campaigns.tracking.tracking_settings import load_tracking_settings

    logging.basicConfig(
        level=logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Hookline's own messages (the scheduler's jobs, the event writer); not every
    # library's chatter (aiosmtpd logs each SMTP command at INFO).
    logging.getLogger("campaigns").setLevel(logging.INFO)
    for option, module in (("--http", http_impl), ("--loop", loop_impl)):
        if module not in ("auto", "h11", "asyncio") and importlib.util.find_spec(module) is None:
            fail(f"{option} {module}: the {module} package is not installed")
    with open_campaigns(config_path) as (settings, db):
        try:
            tracking = load_tracking_settings(config_path)
            api = response_routes(db, settings, load_response_settings(config_path))
            hooks = [] if no_scheduler else [_scheduler_hook(settings, config_path)]
            notes: list[str] = []
            web = [] if no_web else _web_routes(settings, db, config_path, demo, notes)
        except ConfigError as exc:
            fail(str(exc))
        chosen = default_port(settings) if port is None else port
        try:
            sock = listening_socket(host, chosen)
        except OSError as exc:
            fail(f"cannot listen on {host}:{chosen}: {exc.strerror or exc}")
        bound = sock.getsockname()[1]
        shown_host = f"[{host}]" if ":" in host else host
        url = f"http://{shown_host}:{bound}"

        def announce() -> None:
            scheduler = "off" if no_scheduler else "on"
            click.echo(f"Serving {url} (scheduler {scheduler}); Ctrl-C to stop.")
            click.echo(f"Links in mail point at {settings.base_url}.")
            if not no_web:
                click.echo(f"The web app: {url}/app/")
            for note in notes:
                click.echo(note)
            sys.stdout.flush()

        app = create_app(
            settings,
            db,
            extra_routes=[*api, *web],
            lifespan_hooks=[*hooks, (announce, lambda: None)],
            tracking=tracking,
        )
        server = GracefulServer(
            uvicorn.Config(
                app,
                lifespan="on",
                http=http_impl,
                loop=loop_impl,
                access_log=access_log,
                log_level="info" if access_log else "warning",
                server_header=False,
                timeout_graceful_shutdown=30,
            )
        )
        try:
            server.run(sockets=[sock])
        finally:
            sock.close()
        writer = app.state.writer
        click.echo(f"Stopped; {writer.written:,} open(s) and click(s) recorded.")
    if server.stopped_by == signal.SIGINT:
        sys.exit(EXIT_INTERRUPTED)
    if not server.started:
        sys.exit(1)
