"""Flask front end: thin; parses the request, calls search/, renders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from search import config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then GOVSEARCH_* settings, then `test_config` overrides."""
    app = Flask(__name__)
    app.config.from_mapping(INDEX_DIR=str(config.get_path("index")))
    if test_config:
        app.config.update(test_config)
    app.config["INDEX_DIR"] = str(Path(app.config["INDEX_DIR"]))

    from web import pages

    app.register_blueprint(pages.bp)
    return app
