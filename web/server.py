"""Serve the app with gunicorn (a production WSGI server), index opened once per worker."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from gunicorn.app.base import BaseApplication
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.sync import SyncWorker
from werkzeug.wrappers import Response as WSGIResponse

from search import config
from search.cli import index_option, port_option
from search.errors import IndexMissing
from search.index.shards import index_directories
from search.index.store import open_index
from web import create_app, querylog, refused_response
from web.state import warm_index

# The most gunicorn reads of a request line: a larger limit_request_line is taken as this,
# and 0 means none (a line read to its end however long, all of it in memory). So a longer
# request is refused by gunicorn, with the app's answer (Worker), rather than read whole for
# the app to refuse: what a request can make a worker hold stays bounded.
MAX_REQUEST_LINE = 8190
# Enough of a request line to tell a request of the API from one of the pages.
REQUEST_START_BYTES = 256
# Requests gunicorn refuses before the app sees them; the app answers them (see Worker).
REFUSED_STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (LimitRequestLine, 414),
    (LimitRequestHeaders, 431),
)

# Settings older gunicorn versions of the supported range do not have (and would refuse).
NEWER_GUNICORN_OPTIONS: dict[str, Any] = {
    # gunicorn 25.1 and later open a control socket at one path per user
    # ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): a second server there
    # replaces the first one's socket and deletes it on exit, and so does any other gunicorn
    # app of the user. The server is managed by signals; it needs none.
    "control_socket_disable": True,
}


class Worker(SyncWorker):  # type: ignore[misc]
    """gunicorn's sync worker, except that a request refused as too long (request line or
    headers) gets the app's own answer, as a JSON envelope on /api/ and the error page
    elsewhere, instead of gunicorn's English HTML page.

    gunicorn refuses it while reading it, before any of it reaches the app, and the bytes
    read are gone with its parser: the start of the request line is peeked at beforehand
    (left in the socket for the parser) to know which path was asked for. One connection at
    a time per sync worker, so the start is kept on the worker.
    """

    request_start = b""

    def handle(self, listener: socket.socket, client: socket.socket, addr: Any) -> None:
        self.request_start = b"" if self.cfg.is_ssl else _peek(client, REQUEST_START_BYTES)
        super().handle(listener, client, addr)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: Exception) -> None:
        status = next((code for kind, code in REFUSED_STATUSES if isinstance(exc, kind)), None)
        if req is not None or status is None:
            super().handle_error(req, client, addr, exc)
            return
        try:
            path = requested_path(self.request_start)
            message = http_message(refused_response(self.wsgi, path, status))
        except Exception:  # the app failed too: gunicorn's own page still says what happened
            self.log.exception("Error answering a refused request")
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        try:
            client.sendall(message)
        except OSError:
            self.log.debug("Failed to send error message.")


def _peek(client: socket.socket, size: int) -> bytes:
    """The first bytes the client sent, still left to read (blocks until some arrive)."""
    try:
        return client.recv(size, socket.MSG_PEEK)
    except OSError:
        return b""  # the parser meets the same error and handles it


def requested_path(request_start: bytes) -> str:
    """The path of the target in the start of a request line, as far as it goes; "/" if none."""
    line = request_start.removeprefix(b"\r\n").split(b"\r\n", 1)[0]
    words = line.split(b" ", 2)
    path = urlsplit(words[1].decode("latin-1")).path if len(words) > 1 else ""
    return path if path.startswith("/") else "/"


def http_message(response: WSGIResponse) -> bytes:
    """`response` as the bytes of an HTTP/1.1 response, the connection closed after it."""
    body = response.get_data()
    response.headers["Content-Length"] = str(len(body))
    response.headers["Connection"] = "close"
    lines = [f"HTTP/1.1 {response.status}", *(f"{k}: {v}" for k, v in response.headers.items())]
    return "\r\n".join([*lines, "", ""]).encode("latin-1") + body


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(
        self, options: dict[str, Any], index_dir: Path, app_config: dict[str, Any] | None = None
    ) -> None:
        self.options = options
        self.index_dir = index_dir
        self.app_config = app_config or {}
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        for key, value in NEWER_GUNICORN_OPTIONS.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # In each worker (after the fork), so that no early request pays for loading.
        from search.text.analysis import warm_up

        warm_up()
        app = create_app({"INDEX_DIR": str(self.index_dir), **self.app_config})
        warm_index(app)
        querylog.warm(app)
        return app


def open_url(address: tuple[str, int]) -> str:
    """The URL a person opens for a listening address: a wildcard address is reached at
    this machine's loopback address."""
    host, port = address[0], address[1]
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def announce(server: Any) -> None:
    """gunicorn's when_ready hook: say where to open the service, once it listens."""
    for listener in server.LISTENERS:
        address = listener.sock.getsockname()
        if isinstance(address, tuple):
            click.echo(f"govsearch: open {open_url(address)}")
    sys.stdout.flush()


def serve(
    host: str, port: int, workers: int, index_dir: Path, app_config: dict[str, Any] | None = None
) -> None:
    # Several workers each running the embedding model on as many threads as there are
    # cores make them wait on one another, so the cores are shared out among the workers
    # (the model reads OMP_NUM_THREADS, as numeric libraries do).
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "timeout": 60,
        # A query at its limit (MAX_QUERY_CHARS), in Chinese, takes nine bytes a character
        # percent-encoded: longer than gunicorn's default request line.
        "limit_request_line": MAX_REQUEST_LINE,
        # by name: gunicorn 22 takes no class object here
        "worker_class": f"{Worker.__module__}.{Worker.__qualname__}",
        "when_ready": announce,
    }
    _Server(options, index_dir, app_config).run()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@port_option
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 32))
@index_option
def serve_command(host: str, port: int, workers: int, index_dir: Path | None) -> None:
    """Serve the web search with a production WSGI server (gunicorn)."""
    index = config.get_path("index", index_dir)
    try:
        # A bad setting stops here with its message, not in every worker after the fork.
        create_app({"INDEX_DIR": str(index)})
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        for directory in index_directories(index):
            open_index(directory).close()
    except IndexMissing as error:  # served all the same: a reindex may be on its way
        click.echo(f"govsearch: warning: {error}; until then every page answers 503", err=True)
    serve(host, port, workers, index)
