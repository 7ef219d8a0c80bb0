"""The tracking app served by uvicorn on a real loopback socket, in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from campaigns.serve_cli import listening_socket

STARTUP_LIMIT = 30.0


@dataclass
class LiveServer:
    """A running server: its base URL and the app (whose state holds the event writer)."""

    url: str
    app: Starlette

    def flush(self) -> None:
        """Write the queued opens and clicks now, so the test can count them."""
        self.app.state.writer.flush()


@contextmanager
def serve(app: Starlette) -> Iterator[LiveServer]:
    """Run ``app`` on 127.0.0.1 (a free port) until the block ends, then stop gracefully."""
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="on", log_level="warning", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_LIMIT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the tracking server did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app)
    finally:
        server.should_exit = True
        thread.join()
        sock.close()
