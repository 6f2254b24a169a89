"""Tests of the Flask app, built through its factory without a server."""

import importlib.util
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


def load_gunicorn_config(monkeypatch, **env):
    for key in ("PORT", "WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    spec = importlib.util.spec_from_file_location("gunicorn_conf", APP_DIR / "gunicorn.conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_defaults(monkeypatch):
    conf = load_gunicorn_config(monkeypatch)
    assert (conf.bind, conf.workers, conf.threads, conf.timeout) == ("0.0.0.0:8000", 2, 4, 30)
    assert conf.worker_tmp_dir == "/tmp"


def test_gunicorn_reads_the_environment(monkeypatch):
    conf = load_gunicorn_config(
        monkeypatch, PORT="9000", WEB_CONCURRENCY="4", WEB_THREADS="1", WEB_TIMEOUT="60"
    )
    assert (conf.bind, conf.workers, conf.threads, conf.timeout) == ("0.0.0.0:9000", 4, 1, 60)


def test_gunicorn_rejects_a_non_integer_setting(monkeypatch):
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY must be an integer; got 'many'"):
        load_gunicorn_config(monkeypatch, WEB_CONCURRENCY="many")


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
