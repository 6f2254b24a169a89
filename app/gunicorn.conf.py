"""gunicorn settings, read from the environment so that the orchestrator can tune them."""

import os


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, str(default))
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"{name} must be an integer; got {value!r}") from None


bind = f"0.0.0.0:{_int_env('PORT', 8000)}"
workers = _int_env("WEB_CONCURRENCY", 2)
# More than one thread makes gunicorn use its threaded worker, which keeps connections alive
# and serves a worker's requests concurrently while one waits on I/O.
threads = _int_env("WEB_THREADS", 4)
timeout = _int_env("WEB_TIMEOUT", 30)
graceful_timeout = timeout
# The root filesystem is read-only; /tmp is the tmpfs that Docker and Kubernetes mount.
worker_tmp_dir = "/tmp"
accesslog = "-"
errorlog = "-"
