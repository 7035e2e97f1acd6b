"""Serve the app with gunicorn (a production WSGI server), index opened once per worker."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from web import create_app
from web.engine import warm_index

# Settings older gunicorn versions of the supported range do not have (and would refuse).
NEWER_GUNICORN_OPTIONS: dict[str, Any] = {
    # gunicorn 25.1 and later open a control socket at one path per user
    # ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): a second server there
    # replaces the first one's socket and deletes it on exit, and so does any other gunicorn
    # app of the user. The server is managed by signals; it needs none.
    "control_socket_disable": True,
}


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], index_dir: Path) -> None:
        self.options = options
        self.index_dir = index_dir
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        for key, value in NEWER_GUNICORN_OPTIONS.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Any:
        # In each worker (after the fork), so that no early request pays for loading.
        from search.analysis import warm_up

        warm_up()
        app = create_app({"INDEX_DIR": str(self.index_dir)})
        warm_index(app)
        return app


def serve(host: str, port: int, workers: int, index_dir: Path) -> None:
    # The embedding model computes with OpenMP threads; several workers each running as
    # many threads as there are cores make them wait on one another (a question took
    # seconds under load). The cores are shared out among the workers instead.
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "accesslog": "-",
        "timeout": 60,
        # A query at its 500-character limit, in Chinese, is 4,500 bytes percent-encoded:
        # past gunicorn's default request line (4,094), which it would refuse with its own
        # error page. 8,190 is the most gunicorn takes.
        "limit_request_line": 8190,
    }
    _Server(options, index_dir).run()
