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
WEB_RELOAD            1 or true: `python -m server reload` swaps in the app's code on disk (the
                      dev stack's watch mode); default off
WEB_HEALTH_PATH       route a reload calls on the new code before it serves; default /healthz
WEB_ENV_DIR           folder whose files become environment variables, one a file (a mounted
                      Kubernetes Secret: secret values stay out of the pod spec); default none
WEB_DRAIN_FILE        while this file exists, every response carries `Connection: close`;
                      default /tmp/server-draining. The server removes it at start.
WEB_RUN_DIR           folder where `python -m server reload` and the workers exchange the
                      reload's request and outcome; default /tmp

`python -m server drain SECONDS` creates that file, then sleeps: the Kubernetes preStop hook.
Keep-alive clients then leave the pod after a complete response, so that none holds a
connection when SIGTERM makes the server close them.

`python -m server reload`, with WEB_RELOAD on, reloads the app's code in every worker without
dropping a request, in two phases. Each worker imports the app's own modules (those in the
folder of WEB_APP's module; not server.py, not installed packages) afresh beside the running
ones, builds the app and calls WEB_HEALTH_PATH on it. Only when every worker has done so does
each swap the new app in; requests in flight finish on the old one. If any worker fails (a
syntax error, an import that raises, a health route that does not answer 2xx or 3xx), every
worker drops what it prepared and the running code serves on. No process starts or stops, so no
connection is refused or cut. The command prints the outcome and exits 0 when the new code
serves, 1 when the running code serves on. A worker that granian starts later (after a crash or
a timeout) loads the code on disk, as at start.
"""

from __future__ import annotations

import fcntl
import importlib
import io
import json
import logging
import os
import sys
import threading
import time
import traceback
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
# How often a worker looks for a reload request when WEB_RELOAD is on: the dev stack's watch mode
# waits on it twice (prepare, then swap).
RELOAD_POLL_SECONDS = 0.02
# How often a worker's main thread wakes to run a signal handler that is due (_SignalWait).
SIGNAL_POLL_SECONDS = 0.2


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
    reload: bool
    health_path: str
    drain_file: str
    run_dir: str


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


def _health_path(env: Mapping[str, str]) -> str:
    value = env.get("WEB_HEALTH_PATH", "").strip() or "/healthz"
    if not value.startswith("/") or any(c in value for c in "?# "):
        raise SystemExit(f"WEB_HEALTH_PATH must be a path starting with /; got {value!r}")
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
        reload=_bool(env, "WEB_RELOAD"),
        health_path=_health_path(env),
        drain_file=env.get("WEB_DRAIN_FILE", "").strip() or "/tmp/server-draining",
        run_dir=env.get("WEB_RUN_DIR", "").strip() or "/tmp",
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

    __slots__ = ("body", "environ", "length", "middleware", "start_response", "started", "status")

    def __init__(self, middleware: WSGIMiddleware, environ: dict, start_response: Callable) -> None:
        self.middleware = middleware
        self.environ = environ
        self.start_response = start_response
        self.started = time.monotonic()
        self.status = 0
        self.length: int | None = None
        self.body: Iterable[bytes] = ()

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info=None):
        self.status = int(status[:3])
        if self.middleware.draining:
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
        if self.length is None and self.middleware.access_log:
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
            self.middleware.finish(self)

    def __del__(self) -> None:
        self.middleware.in_flight.pop(id(self), None)


class WSGIMiddleware:
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


def _status_of(app: Callable, path: str) -> str:
    """The status line the WSGI `app` answers a GET of `path` with, called in-process."""
    seen = []
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    body = app(environ, lambda status, headers, exc_info=None: seen.append(status))
    try:
        for _ in body:
            pass
    finally:
        getattr(body, "close", lambda: None)()
    return seen[0]


class CodeReloader:
    """One worker's side of `python -m server reload`: prepares the app from the code on disk,
    then swaps it into `middleware` or drops it, as the request file says.

    The request file holds {"id": N, "phase": "prepare" | "swap" | "drop"}, N growing with every
    request; the worker answers each phase of request N in a file of its own,
    `server-reload.N.PID.<phase>`. It registers itself (`server-worker.PID`), so that the command
    knows which workers to wait for; one that starts during a request is not waited for (it has
    loaded the code on disk already).
    """

    def __init__(self, middleware: WSGIMiddleware, settings: Settings) -> None:
        self.middleware = middleware
        self.settings = settings
        self.module, self.factory = settings.app.split(":")
        top = sys.modules[self.module.split(".")[0]]
        # The folder that holds the app's top-level module or package: its modules are the app's.
        location = os.path.dirname(top.__file__)
        if os.path.basename(top.__file__) == "__init__.py":
            location = os.path.dirname(location)
        self.root = os.path.join(os.path.realpath(location), "")
        self.prepared: tuple[int, Callable, dict] | None = None
        # The last request this worker prepared and the last it finished; one started after a
        # request leaves that request to the workers that saw it begin.
        self.started = self.finished = _read_request(settings)["id"]
        open(_worker_file(settings, os.getpid()), "w").close()

    def _own(self, module) -> bool:
        path = getattr(module, "__file__", None) or ""
        name = getattr(module, "__name__", "")
        return (
            name not in ("server", "__main__")
            and os.path.realpath(path).startswith(self.root)
        )

    def prepare(self, number: int) -> None:
        """Imports the app's modules afresh and builds the app; the running ones stay in place
        until `swap`, and come back into sys.modules if anything fails."""
        running = {name: m for name, m in list(sys.modules.items()) if self._own(m)}
        for name in running:
            del sys.modules[name]
        importlib.invalidate_caches()
        try:
            app = getattr(importlib.import_module(self.module), self.factory)()
            status = _status_of(app, self.settings.health_path)
            if not status.startswith(("2", "3")):
                raise RuntimeError(f"GET {self.settings.health_path} answered {status}")
        except BaseException:
            self._restore(running)
            self._answer(number, "prepare", {"ok": False, "traceback": traceback.format_exc()})
            return
        fresh = {name: m for name, m in list(sys.modules.items()) if self._own(m)}
        # Until the swap, the running modules are the ones an import elsewhere finds.
        self._restore(running)
        self.prepared = (number, app, fresh)
        self._answer(number, "prepare", {"ok": True})

    def _restore(self, modules: dict) -> None:
        for name in [n for n, m in list(sys.modules.items()) if self._own(m)]:
            del sys.modules[name]
        sys.modules.update(modules)

    def finish(self, number: int, phase: str) -> None:
        self.finished = number
        if self.prepared is not None and self.prepared[0] == number:
            _, app, fresh = self.prepared
            if phase == "swap":
                self._restore(fresh)
                self.middleware.app = app
        self.prepared = None
        self._answer(number, phase, {"ok": True})

    def _answer(self, number: int, phase: str, outcome: dict) -> None:
        _write_json(_answer_file(self.settings, number, os.getpid(), phase), outcome)

    def step(self) -> None:
        request = _read_request(self.settings)
        number, phase = request["id"], request.get("phase")
        if phase == "prepare" and number > self.started:
            self.started = number
            self.prepare(number)
        elif phase in ("swap", "drop") and self.started == number > self.finished:
            self.finish(number, phase)

    def start(self, tick: float = RELOAD_POLL_SECONDS) -> threading.Thread:
        def watch() -> None:
            while True:
                time.sleep(tick)
                try:
                    self.step()
                except Exception as error:  # noqa: BLE001 - one bad round must not end reloads
                    _write_line(
                        2,
                        {
                            "time": _utc_now(),
                            "level": "error",
                            "message": f"reload: {error!r}",
                            "pid": os.getpid(),
                        },
                    )

        thread = threading.Thread(target=watch, name="code-reload", daemon=True)
        thread.start()
        return thread


def _request_file(settings: Settings) -> str:
    return os.path.join(settings.run_dir, "server-reload.json")


def _answer_file(settings: Settings, number: int, pid: int, phase: str) -> str:
    return os.path.join(settings.run_dir, f"server-reload.{number}.{pid}.{phase}")


def _worker_file(settings: Settings, pid: int) -> str:
    return os.path.join(settings.run_dir, f"server-worker.{pid}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _live_workers(settings: Settings) -> set[int]:
    """The registered workers still running; the registrations of the others are removed."""
    live = set()
    for name in os.listdir(settings.run_dir):
        if name.startswith("server-worker."):
            pid = int(name.rsplit(".", 1)[1])
            if _alive(pid):
                live.add(pid)
            else:
                _remove_quietly(os.path.join(settings.run_dir, name))
    return live


def _remove_quietly(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def _write_json(path: str, value: dict) -> None:
    """Writes `path` in one rename: a reader never sees half of it."""
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as file:
        json.dump(value, file)
    os.replace(tmp, path)


def _read_request(settings: Settings) -> dict:
    try:
        with open(_request_file(settings), encoding="utf-8") as file:
            return json.load(file)
    except (FileNotFoundError, ValueError):
        return {"id": 0}


def _answers(settings: Settings, number: int, phase: str) -> dict[int, dict]:
    prefix, suffix = f"server-reload.{number}.", f".{phase}"
    found = {}
    for name in os.listdir(settings.run_dir):
        if name.startswith(prefix) and name.endswith(suffix):
            with open(os.path.join(settings.run_dir, name), encoding="utf-8") as file:
                found[int(name[len(prefix) : -len(suffix)])] = json.load(file)
    return found


def request_reload(settings: Settings) -> int:
    """`python -m server reload`: asks every worker to prepare the code on disk, then to swap it
    in if all could, or to drop it if one could not. Returns the exit status."""
    if not settings.reload:
        raise SystemExit("WEB_RELOAD is off: this server does not reload its code")
    # One reload at a time: a second waits for the first rather than interleave with it.
    with open(os.path.join(settings.run_dir, "server-reload.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _reload_once(settings)


def _reload_once(settings: Settings) -> int:
    started = time.monotonic()
    # Above every id before it, a server restarted with an old request file included.
    number = max(time.time_ns(), _read_request(settings)["id"] + 1)
    deadline = started + min(settings.timeout, 30)
    workers = _live_workers(settings)
    if not workers:
        raise SystemExit(f"no worker of this server is registered in {settings.run_dir}")

    def phase(name: str) -> dict[int, dict]:
        _write_json(_request_file(settings), {"id": number, "phase": name})
        while True:
            found = _answers(settings, number, name)
            # A worker that died meanwhile (granian starts another, with the code on disk).
            waiting = {pid for pid in workers - set(found) if _alive(pid)}
            if not waiting:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{len(found)} of {len(workers)} workers answered the {name} phase in time"
                )
            time.sleep(0.005)

    try:
        try:
            failed = [a for a in phase("prepare").values() if not a["ok"]]
        except TimeoutError as error:
            # The workers that did prepare drop it; the others never see the prepare phase again.
            _write_json(_request_file(settings), {"id": number, "phase": "drop"})
            raise SystemExit(f"reload failed: {error}; the running code serves on") from None
        try:
            phase("drop" if failed else "swap")
        except TimeoutError as error:
            if failed:
                raise SystemExit(f"reload failed: {error}; the running code serves on") from None
            raise SystemExit(
                f"reload incomplete: {error}; some workers may serve the old code until "
                "the next reload"
            ) from None
    finally:
        for name in os.listdir(settings.run_dir):
            if name.startswith(f"server-reload.{number}."):
                _remove_quietly(os.path.join(settings.run_dir, name))
    if failed:
        reason = failed[0]["traceback"].strip()
        print(f"reload failed; the running code serves on: {reason.splitlines()[-1]}", file=sys.stderr)
        print(reason, file=sys.stderr)
        return 1
    print(f"reloaded in {time.monotonic() - started:.2f} s")
    return 0


class _SignalWait(threading.Event):
    """What a granian worker's main thread blocks on until its SIGTERM handler releases it.

    Python runs a signal handler in the main thread, between two bytecodes. granian's worker
    waits on a plain Event with no timeout: a SIGTERM that lands on the main thread just before it
    blocks, or on one of the worker's other threads, leaves the handler due but never run, and
    the worker serves on until the kill after WEB_GRACEFUL_TIMEOUT. A wait that wakes every
    SIGNAL_POLL_SECONDS runs it. The handler still runs once: nothing sends a second SIGTERM,
    which would cut the requests a draining worker finishes."""

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None:
            return super().wait(timeout)
        while not super().wait(SIGNAL_POLL_SECONDS):
            pass
        return True


def _set_worker_signals():
    """granian's `set_sync_signals`, with the wait above."""
    from granian._granian import WorkerSignalSync
    from granian._signals import set_main_signals

    signal_event = WorkerSignalSync(_SignalWait())
    set_main_signals(lambda signum, frame: signal_event.set())
    return signal_event


def worker_app() -> Callable:
    """The WSGI app one worker serves; granian calls it in each worker process."""
    settings = settings_from_env(os.environ)
    module, factory = settings.app.split(":")
    create_app = getattr(importlib.import_module(module), factory)
    middleware = WSGIMiddleware(create_app(), settings.timeout, settings.access_log)
    middleware.start_watchdog()
    middleware.start_drain_watch(settings.drain_file)
    if settings.reload:
        CodeReloader(middleware, settings).start()
    return middleware


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
    if argv == ["reload"]:
        raise SystemExit(request_reload(settings))
    if argv:
        raise SystemExit(f"usage: python -m server [drain SECONDS | reload]; got {' '.join(argv)!r}")
    # A container restarted in the same pod keeps its /tmp emptyDir, and with it the mark that
    # the preStop hook of the previous container's kill left there.
    # What a previous server in the same /tmp left: its drain mark, its reloads' files.
    _remove_quietly(settings.drain_file)
    if os.path.isdir(settings.run_dir):
        for name in os.listdir(settings.run_dir):
            if name.startswith(("server-reload.", "server-worker.")) and name != "server-reload.lock":
                _remove_quietly(os.path.join(settings.run_dir, name))
    import granian._signals
    from granian.constants import Interfaces
    from granian.server import Server

    # Forked workers inherit it; each worker looks it up when it sets its handlers.
    granian._signals.set_sync_signals = _set_worker_signals

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
