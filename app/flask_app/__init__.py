"""The Flask web app served by the FlaskApp Pulumi component."""

import os

from flask import Flask, jsonify

DEFAULT_GREETING = "Hello from Flask!"


def create_app(config: dict | None = None) -> Flask:
    """Build the app; tests call this directly, server.py once per worker."""
    app = Flask(__name__)
    app.config["GREETING"] = os.environ.get("GREETING", DEFAULT_GREETING)
    app.config.from_mapping(config or {})

    @app.get("/")
    def index():
        return jsonify(message=app.config["GREETING"])

    # The orchestrator polls this often: it must stay cheap and touch no dependency.
    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    return app
