"""Serves the app with granian, configured from the environment: `python -m server`.

granian was chosen by measurement (BENCHMARKS.md, "The app server"). It serves HTTP, runs the
worker processes, drains them on SIGTERM and respawns a worker that dies. This module adds what
granian lacks: a request timeout, a structured access log, and settings read from the
environment with their ranges checked before anything starts.

PORT                  TCP port; default 8000
WEB_HOST              address to listen on; default 0.0.0.0
WEB_CONCURRENCY       worker processes; default 2
WEB_THREADS           threads per worker that run the app; default 4
WEB_TIMEOUT           seconds a request may run before its worker is replaced; default 30
WEB_GRACEFUL_TIMEOUT  seconds SIGTERM waits for in-flight requests; default WEB_TIMEOUT
WEB_ACCESS_LOG        1 or true: one JSON line per request on stdout; default off
WEB_APP               module:factory of the WSGI app; default flask_app:create_app
WEB_ENV_DIR           folder whose files become environment variables, one a file (a mounted
                      Kubernetes Secret: secret values stay out of the pod spec); default none
WEB_DRAIN_FILE        while this file exists, every response carries `Connection: close`;
                      default /tmp/server-draining. The server removes it at start.

`python -m server drain SECONDS` creates that file, then sleeps: the Kubernetes preStop hook.
Keep-alive clients then leave the pod after a complete response, so that none holds a
connection when SIGTERM makes the server close them.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from json.encoder import encode_basestring as _quote

# Exit status of a worker that a timed-out request made the watchdog stop.
EXIT_TIMEOUT = 3
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off", "")
# How often a worker looks for the drain file: a stat of a tmpfs file ten times a second costs
# nothing measurable, and a request never pays for it.
DRAIN_POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    workers: int
    threads: int
    timeout: int
    graceful_timeout: int
    access_log: bool
    app: str
    drain_file: str


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = env.get(name, "").strip()
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be an integer from {low} to {high}; got {value!r}") from None
    if not low <= number <= high:
        raise SystemExit(f"{name} must be an integer from {low} to {high}; got {value!r}")
    return number


def _bool(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise SystemExit(
        f"{name} must be one of {', '.join(TRUE_WORDS + FALSE_WORDS[:-1])}; got {value!r}"
    )


def _factory_name(env: Mapping[str, str]) -> str:
    value = env.get("WEB_APP", "").strip() or "flask_app:create_app"
    if value.count(":") != 1 or not all(value.split(":")):
        raise SystemExit(f"WEB_APP must be module:factory; got {value!r}")
    return value


def settings_from_env(env: Mapping[str, str]) -> Settings:
    """Reads and checks every setting; a bad value stops the server with a message naming it."""
    timeout = _int(env, "WEB_TIMEOUT", 30, 1, 3600)
    return Settings(
        host=env.get("WEB_HOST", "").strip() or "0.0.0.0",
        port=_int(env, "PORT", 8000, 1, 65535),
        workers=_int(env, "WEB_CONCURRENCY", 2, 1, 64),
        threads=_int(env, "WEB_THREADS", 4, 1, 256),
        timeout=timeout,
        # granian's own bound for waiting on a worker that is stopping.
        graceful_timeout=_int(env, "WEB_GRACEFUL_TIMEOUT", min(timeout, 1800), 1, 1800),
        access_log=_bool(env, "WEB_ACCESS_LOG"),
        app=_factory_name(env),
        drain_file=env.get("WEB_DRAIN_FILE", "").strip() or "/tmp/server-draining",
    )


def _write_line(fd: int, record: dict) -> None:
    line = json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
    try:
        os.write(fd, line)
    except OSError:
        # A closed or full log pipe must not fail the request that is being logged.
        pass


_second: tuple[int, str] = (0, "")


def _utc_now() -> str:
    """ISO 8601 time in UTC with milliseconds; the part up to the second is formatted once."""
    global _second
    now = time.time()
    second = int(now)
    cached = _second
    if cached[0] != second:
        cached = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        _second = cached
    return f"{cached[1]}.{int((now - second) * 1000):03d}Z"


class _Request:
    """One request while it runs: the start_response the app gets and the body granian gets.

    The request is over when granian closes the body, or drops it without closing it.
    """

    __slots__ = ("body", "duties", "environ", "length", "start_response", "started", "status")

    def __init__(self, duties: Duties, environ: dict, start_response: Callable) -> None:
        self.duties = duties
        self.environ = environ
        self.start_response = start_response
        self.started = time.monotonic()
        self.status = 0
        self.length: int | None = None
        self.body: Iterable[bytes] = ()

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        self.status = int(status[:3])
        if self.duties.draining:
            # hyper, under granian, passes this header on and closes the connection once the
            # response is written: the client's next request opens a new connection, which the
            # Service sends to a pod that is not leaving.
            headers = [(k, v) for k, v in headers if k.lower() != "connection"]
            headers.append(("Connection", "close"))
        for key, value in headers:
            if len(key) == 14 and key.lower() == "content-length" and value.isdigit():
                self.length = int(value)
        return self.start_response(status, headers, exc_info)

    def __iter__(self):
        if self.length is None and self.duties.access_log:
            return self._counted()
        # The body's own iterator: granian pulls chunks with no Python frame of ours between.
        return iter(self.body)

    def _counted(self):
        self.length = 0
        for chunk in self.body:
            self.length += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.duties.finish(self)

    def __del__(self) -> None:
        self.duties.in_flight.pop(id(self), None)


class Duties:
    """WSGI middleware for what granian does not do: the request timeout, the access log, and
    `Connection: close` while the pod drains.

    Every request is recorded with its start time while it runs. A watchdog thread stops the
    worker process when one has run longer than `timeout` seconds; granian then starts a new
    worker. As with gunicorn's sync worker, the other requests of that worker are cut too: a
    Python thread cannot be stopped from outside, only its process.
    """

    def __init__(self, app: Callable, timeout: float, access_log: bool, log_fd: int = 1) -> None:
        self.app = app
        self.timeout = timeout
        self.access_log = access_log
        self.log_fd = log_fd
        self.in_flight: dict[int, tuple[float, dict]] = {}
        # Set once by the drain watch; a request reads it, never the filesystem.
        self.draining = False

    def start_drain_watch(self, path: str, tick: float = DRAIN_POLL_SECONDS) -> threading.Thread:
        """Sets `draining` once `path` exists. A file rather than a signal: every worker sees
        it, a worker respawned during the drain too, and the preStop hook needs no PID."""

        def watch() -> None:
            while not os.path.exists(path):
                time.sleep(tick)
            self.draining = True

        thread = threading.Thread(target=watch, name="drain-watch", daemon=True)
        thread.start()
        return thread

    def start_watchdog(self, on_timeout: Callable[[], None] | None = None) -> threading.Thread:
        tick = min(1.0, self.timeout / 4)
        stop = on_timeout or (lambda: os._exit(EXIT_TIMEOUT))

        def watch() -> None:
            while True:
                time.sleep(tick)
                now = time.monotonic()
                for started, environ in self.in_flight.copy().values():
                    if now - started > self.timeout:
                        _write_line(
                            2,
                            {
                                "time": _utc_now(),
                                "level": "error",
                                "message": "request timed out; restarting the worker",
                                "method": environ.get("REQUEST_METHOD"),
                                "path": environ.get("PATH_INFO"),
                                "seconds": round(now - started, 1),
                                "timeout": self.timeout,
                                "pid": os.getpid(),
                            },
                        )
                        stop()
                        return

        thread = threading.Thread(target=watch, name="request-timeout", daemon=True)
        thread.start()
        return thread

    def __call__(self, environ: dict, start_response: Callable) -> _Request:
        request = _Request(self, environ, start_response)
        self.in_flight[id(request)] = (request.started, environ)
        try:
            request.body = self.app(environ, request)
        except BaseException:
            request.status, request.length = request.status or 500, 0
            self.finish(request)
            raise
        return request

    def finish(self, request: _Request) -> None:
        if self.in_flight.pop(id(request), None) is None or not self.access_log:
            return
        get = request.environ.get
        # Built by hand rather than with json.dumps, which costs twice as much at this size;
        # _quote is the JSON encoder's own string escaping. Path, query and agent are cut so that
        # the line stays under PIPE_BUF (4096 bytes), which one write(2) to a pipe never splits.
        line = (
            f'{{"time":"{_utc_now()}","remote":{_quote(get("REMOTE_ADDR") or "")},'
            f'"method":{_quote(get("REQUEST_METHOD") or "")},'
            f'"path":{_quote(get("PATH_INFO", "")[:1024])},'
            f'"query":{_quote(get("QUERY_STRING", "")[:1024])},'
            f'"status":{request.status},"bytes":{request.length or 0},'
            f'"ms":{(time.monotonic() - request.started) * 1000:.2f},'
            f'"agent":{_quote(get("HTTP_USER_AGENT", "")[:256])}}}\n'
        )
        try:
            os.write(self.log_fd, line.encode())
        except OSError:
            # A closed or full log pipe must not fail the request that is being logged.
            pass


def load_env_dir(env: MutableMapping[str, str]) -> None:
    """Adds each file of WEB_ENV_DIR to `env`, named by the file, valued by its contents."""
    directory = env.get("WEB_ENV_DIR", "").strip()
    if not directory:
        return
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as error:
        raise SystemExit(f"WEB_ENV_DIR must be a readable folder; got {directory!r}: {error}")
    for entry in entries:
        # A Secret volume keeps its data behind "..data" links; the files are the other names.
        if entry.name.startswith(".") or not entry.is_file():
            continue
        with open(entry.path, encoding="utf-8") as file:
            env[entry.name] = file.read()


def worker_app() -> Callable:
    """The WSGI app one worker serves; granian calls it in each worker process."""
    settings = settings_from_env(os.environ)
    module, factory = settings.app.split(":")
    create_app = getattr(importlib.import_module(module), factory)
    duties = Duties(create_app(), settings.timeout, settings.access_log)
    duties.start_watchdog()
    duties.start_drain_watch(settings.drain_file)
    return duties


class JsonFormatter(logging.Formatter):
    """granian's own messages as JSON lines, like the access log."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": _utc_now(),
                "level": record.levelname.lower(),
                "message": record.getMessage(),
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )


LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": JsonFormatter}},
    # Server messages on stderr; stdout carries the access log alone.
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {"_granian": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}


def drain(settings: Settings, seconds: float) -> None:
    """Marks the server as draining, then waits `seconds`: the Kubernetes preStop hook, run
    with the image's own Python (the image has no shell). SIGTERM follows."""
    with open(settings.drain_file, "w"):
        pass
    time.sleep(seconds)


def main(argv: list[str]) -> None:
    # Before anything reads the environment; the workers inherit it.
    load_env_dir(os.environ)
    settings = settings_from_env(os.environ)
    if argv[:1] == ["drain"]:
        if len(argv) != 2 or not argv[1].isdigit():
            raise SystemExit(f"usage: python -m server drain SECONDS; got {' '.join(argv)!r}")
        drain(settings, int(argv[1]))
        return
    if argv:
        raise SystemExit(f"usage: python -m server [drain SECONDS]; got {' '.join(argv)!r}")
    # A container restarted in the same pod keeps its /tmp emptyDir, and with it the mark that
    # the preStop hook of the previous container's kill left there.
    try:
        os.remove(settings.drain_file)
    except FileNotFoundError:
        pass
    from granian.constants import Interfaces
    from granian.server import Server

    main_pid = os.getpid()

    class StoppingServer(Server):
        def signal_handler_interrupt(self, *args, **kwargs):
            # A forked worker runs the main process's handler until granian sets its own; a
            # SIGTERM then would be lost and the worker would serve on until killed after
            # WEB_GRACEFUL_TIMEOUT. Nothing is in flight yet, so it may simply leave.
            if os.getpid() != main_pid:
                os._exit(0)
            super().signal_handler_interrupt(*args, **kwargs)

    StoppingServer(
        "server:worker_app",
        factory=True,
        interface=Interfaces.WSGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        blocking_threads=settings.threads,
        websockets=False,
        respawn_failed_workers=True,
        workers_kill_timeout=settings.graceful_timeout,
        log_dictconfig=LOG_CONFIG,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main(sys.argv[1:])
