"""Tests of the Flask app, built through its factory without a server."""

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


def test_each_app_takes_the_greeting_of_its_own_creation(monkeypatch):
    monkeypatch.setenv("GREETING", "one")
    first = create_app()
    monkeypatch.setenv("GREETING", "two")
    second = create_app()
    assert first.test_client().get("/").get_json() == {"message": "one"}
    assert second.test_client().get("/").get_json() == {"message": "two"}


def test_dockerignore_keeps_secrets_and_tests_out():
    ignored = (APP_DIR / ".dockerignore").read_text().split()
    for pattern in ("**/.env", "**/*.pem", "**/tests", "**/__pycache__"):
        assert pattern in ignored
