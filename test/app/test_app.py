"""Tests of the Flask app, built through its factory without a server."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from flask_app import DEFAULT_GREETING, create_app

APP_DIR = Path(__file__).resolve().parents[2] / "app"


@pytest.fixture
def client(monkeypatch):
    monkeypatch.delenv("GREETING", raising=False)
    return create_app({"TESTING": True}).test_client()


def test_index_greets(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.get_json() == {"message": DEFAULT_GREETING}


def test_greeting_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("GREETING", "Hi")
    response = create_app({"TESTING": True}).test_client().get("/")
    assert response.get_json() == {"message": "Hi"}


def test_health_route_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_unknown_route_is_404(client):
    assert client.get("/nope").status_code == 404


def test_factory_builds_independent_apps():
    assert create_app() is not create_app()


def test_healthcheck_fails_when_nothing_listens():
    env = {**os.environ, "PORT": "1"}
    result = subprocess.run(
        [sys.executable, str(APP_DIR / "healthcheck.py")], env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "healthcheck http://127.0.0.1:1/healthz" in result.stderr


def test_dockerignore_keeps_secrets_and_tests_out():
    ignored = (APP_DIR / ".dockerignore").read_text().split()
    for pattern in ("**/.env", "**/*.pem", "**/tests", "**/__pycache__"):
        assert pattern in ignored
