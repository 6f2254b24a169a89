"""Tests of the app server (app/server.py): its settings, its middleware, and the real server
started as a subprocess on 127.0.0.1, serving the tiny WSGI app in slow_app.py."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import server
from server import WSGIMiddleware, load_env_dir, settings_from_env

APP_DIR = Path(__file__).resolve().parents[2] / "app"
TEST_DIR = Path(__file__).resolve().parent
ERROR_WORDS = ("error", "traceback", "exception")


# --- settings ----------------------------------------------------------------------------------


def test_settings_defaults_match_the_image():
    settings = settings_from_env({})
    assert settings == server.Settings(
        host="0.0.0.0",
        port=8000,
        workers=2,
        threads=4,
        timeout=30,
        graceful_timeout=30,
        access_log=False,
        app="flask_app:create_app",
        reload=False,
        health_path="/healthz",
        drain_file="/tmp/server-draining",
        run_dir="/tmp",
    )
    words = (APP_DIR / "Dockerfile").read_text().split()
    env = dict(w.split("=", 1) for w in words if w.startswith(("PORT=", "WEB_")) and "=" in w)
    assert set(env) == {"PORT", "WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"}
    assert settings_from_env(env) == settings


def test_env_dir_files_become_variables_as_a_secret_volume_lays_them_out(tmp_path):
    # The kubelet's layout: the values in a timestamped folder, "..data" linking to it, and
    # each name a link through "..data".
    data = tmp_path / "..2026_11_24_00_00_00.1"
    data.mkdir()
    (data / "API_KEY").write_text("s3cret\nwith a newline")
    (tmp_path / "..data").symlink_to(data.name)
    (tmp_path / "API_KEY").symlink_to("..data/API_KEY")
    env = {"WEB_ENV_DIR": str(tmp_path), "KEEP": "1"}
    load_env_dir(env)
    assert env == {"WEB_ENV_DIR": str(tmp_path), "KEEP": "1", "API_KEY": "s3cret\nwith a newline"}


def test_env_dir_unset_changes_nothing():
    env = {"KEEP": "1"}
    load_env_dir(env)
    assert env == {"KEEP": "1"}


def test_env_dir_missing_stops_the_server_naming_it():
    with pytest.raises(SystemExit, match="WEB_ENV_DIR must be a readable folder; got '/no/such'"):
        load_env_dir({"WEB_ENV_DIR": "/no/such"})


def test_settings_come_from_the_environment():
    settings = settings_from_env(
        {
            "WEB_HOST": "127.0.0.1",
            "PORT": "9000",
            "WEB_CONCURRENCY": "4",
            "WEB_THREADS": "1",
            "WEB_TIMEOUT": "60",
            "WEB_GRACEFUL_TIMEOUT": "20",
            "WEB_ACCESS_LOG": "true",
            "WEB_APP": "slow_app:create",
            "WEB_RELOAD": "1",
            "WEB_HEALTH_PATH": "/ready",
            "WEB_DRAIN_FILE": "/run/drain",
            "WEB_RUN_DIR": "/run/web",
        }
    )
    assert settings == server.Settings(
        "127.0.0.1", 9000, 4, 1, 60, 20, True, "slow_app:create", True, "/ready", "/run/drain", "/run/web"
    )


def test_graceful_timeout_follows_the_request_timeout():
    assert settings_from_env({"WEB_TIMEOUT": "12"}).graceful_timeout == 12


@pytest.mark.parametrize(
    "env, message",
    [
        (
            {"WEB_CONCURRENCY": "many"},
            "WEB_CONCURRENCY must be an integer from 1 to 64; got 'many'",
        ),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY must be an integer from 1 to 64; got '0'"),
        ({"WEB_THREADS": "-1"}, "WEB_THREADS must be an integer from 1 to 256; got '-1'"),
        ({"PORT": "70000"}, "PORT must be an integer from 1 to 65535; got '70000'"),
        ({"WEB_TIMEOUT": "0"}, "WEB_TIMEOUT must be an integer from 1 to 3600; got '0'"),
        (
            {"WEB_GRACEFUL_TIMEOUT": "2000"},
            "WEB_GRACEFUL_TIMEOUT must be an integer from 1 to 1800; got '2000'",
        ),
        ({"WEB_ACCESS_LOG": "maybe"}, "WEB_ACCESS_LOG must be one of 1, true, yes, on, 0, false"),
        ({"WEB_APP": "flask_app"}, "WEB_APP must be module:factory; got 'flask_app'"),
        ({"WEB_HEALTH_PATH": "healthz"}, "WEB_HEALTH_PATH must be a path starting with /"),
    ],
)
def test_settings_reject_bad_values(env, message):
    with pytest.raises(SystemExit, match=message):
        settings_from_env(env)


# --- the middleware, in-process ----------------------------------------------------------------


def call(app, path="/", query=""):
    """Calls a WSGI app the way a server does; returns status, body."""
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"] = status

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "pytest",
    }
    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return seen["status"], data


def access_lines(fd):
    os.close(fd[1])
    with os.fdopen(fd[0]) as pipe:
        return [json.loads(line) for line in pipe.read().splitlines()]


def test_access_log_is_one_json_line_per_request():
    from slow_app import create

    fd = os.pipe()
    app = WSGIMiddleware(create(), timeout=30, access_log=True, log_fd=fd[1])
    assert call(app, "/pid") == ("200 OK", str(os.getpid()).encode())
    assert call(app, "/stream") == ("200 OK", b"chunk\n" * 3)
    first, streamed = access_lines(fd)
    assert set(first) == {
        "time",
        "remote",
        "method",
        "path",
        "query",
        "status",
        "bytes",
        "ms",
        "agent",
    }
    assert (first["method"], first["path"], first["status"], first["bytes"]) == (
        "GET",
        "/pid",
        200,
        len(str(os.getpid())),
    )
    assert (streamed["path"], streamed["status"], streamed["bytes"]) == ("/stream", 200, 18)
    assert first["time"].endswith("Z") and first["agent"] == "pytest"


def test_access_log_is_off_unless_asked_for():
    from slow_app import create

    fd = os.pipe()
    app = WSGIMiddleware(create(), timeout=30, access_log=False, log_fd=fd[1])
    call(app)
    assert access_lines(fd) == []


def test_a_request_that_raises_is_logged_as_500():
    def broken(environ, start_response):
        raise RuntimeError("boom")

    fd = os.pipe()
    app = WSGIMiddleware(broken, timeout=30, access_log=True, log_fd=fd[1])
    with pytest.raises(RuntimeError):
        call(app)
    assert access_lines(fd)[0]["status"] == 500
    assert app.in_flight == {}


def test_the_watchdog_stops_the_worker_of_a_request_past_the_timeout():
    from slow_app import create

    app = WSGIMiddleware(create(), timeout=1, access_log=False)
    stopped = threading.Event()
    app.start_watchdog(on_timeout=stopped.set)
    call(app, "/sleep", "s=0.5")
    assert not stopped.is_set()
    threading.Thread(target=call, args=(app, "/sleep", "s=3"), daemon=True).start()
    assert stopped.wait(3)


# --- the real server ---------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m server` on 127.0.0.1, as the image runs it but with HOME not writable."""

    def __init__(self, tmp_path, app="slow_app:create", **env):
        tmp_path.mkdir(exist_ok=True)
        self.port = free_port()
        self.out = tmp_path / "stdout"
        self.err = tmp_path / "stderr"
        full_env = {
            **os.environ,
            "HOME": "/nonexistent",
            "PYTHONPATH": str(TEST_DIR),
            "WEB_HOST": "127.0.0.1",
            "PORT": str(self.port),
            "WEB_CONCURRENCY": "1",
            # Each server its own mark and files, never the machine's /tmp.
            "WEB_DRAIN_FILE": str(tmp_path / "draining"),
            "WEB_RUN_DIR": str(tmp_path),
            **({"WEB_APP": app} if app else {}),
            **env,
        }
        self.env = full_env
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server"],
                cwd=APP_DIR,
                env=full_env,
                stdout=out,
                stderr=err,
                # A group of its own, so that stop() can leave no worker behind.
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while True:
            try:
                self.get("/")
                break
            except OSError:
                assert self.process.poll() is None, self.err.read_text()
                assert time.monotonic() < deadline, "the server did not answer in 20 s"
                time.sleep(0.02)

    def get(self, path, timeout=5):
        url = f"http://127.0.0.1:{self.port}{path}"
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()

    def log(self):
        return self.out.read_text(), self.err.read_text()

    def reload(self):
        """`python -m server reload`, as the watch mode runs it in the container."""
        return subprocess.run(
            [sys.executable, "-m", "server", "reload"],
            cwd=APP_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def drain(self, seconds=0):
        """Runs the preStop hook's command, as the kubelet would, in the server's environment."""
        subprocess.run(
            [sys.executable, "-m", "server", "drain", str(seconds)],
            cwd=APP_DIR,
            env=self.env,
            check=True,
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


@pytest.fixture
def start(tmp_path):
    servers = []

    def start(**env):
        servers.append(Server(tmp_path / f"server{len(servers)}", **env))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


def in_background(work):
    result = {}

    def run():
        try:
            result["value"] = work()
        except Exception as error:  # noqa: BLE001 - the test inspects it
            result["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def test_the_flask_app_starts_without_error_lines_when_home_is_not_writable(start):
    s = start(app=None, WEB_CONCURRENCY="2")
    assert s.get("/") == (200, '{"message":"Hello from Flask!"}\n')
    assert s.get("/healthz")[0] == 200
    out, err = s.log()
    lines = (out + err).splitlines()
    assert lines, "the server says nothing at start"
    assert [line for line in lines if any(w in line.lower() for w in ERROR_WORDS)] == []
    # Server messages are JSON on stderr; stdout is left to the access log, off by default.
    assert out == ""
    assert all(json.loads(line)["level"] == "info" for line in err.splitlines())


def test_the_access_log_goes_to_stdout_as_json(start):
    s = start(WEB_ACCESS_LOG="1")
    s.get("/pid")
    time.sleep(0.2)
    record = json.loads(s.log()[0].splitlines()[-1])
    assert (record["method"], record["path"], record["status"]) == ("GET", "/pid", 200)


def test_sigterm_completes_the_request_in_flight_and_refuses_new_ones(start):
    s = start(WEB_GRACEFUL_TIMEOUT="10")
    thread, result = in_background(lambda: s.get("/sleep?s=2", timeout=15))
    time.sleep(0.5)
    s.process.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    with pytest.raises(OSError):
        s.get("/", timeout=2)
    thread.join(15)
    assert result == {"value": (200, "slept 2")}
    assert s.process.wait(timeout=10) == 0


def test_sigterm_just_after_start_stops_at_once(start):
    # A worker still building the Flask app when SIGTERM comes must not wait for the graceful
    # timeout, nor one that gets it just as it starts to wait for it (_SignalWait).
    for _ in range(3):
        s = start(app=None, WEB_CONCURRENCY="2", WEB_GRACEFUL_TIMEOUT="30")
        began = time.monotonic()
        s.process.terminate()
        assert s.process.wait(timeout=40) == 0
        assert time.monotonic() - began < 5


def test_sigterm_stops_waiting_after_the_graceful_timeout(start):
    s = start(WEB_GRACEFUL_TIMEOUT="2", WEB_TIMEOUT="60")
    thread, result = in_background(lambda: s.get("/sleep?s=30", timeout=40))
    time.sleep(0.5)
    began = time.monotonic()
    s.process.send_signal(signal.SIGTERM)
    s.process.wait(timeout=15)
    assert time.monotonic() - began < 5
    thread.join(5)
    assert isinstance(result.get("error"), OSError)


def _worker_pid_when_back(s, after: str) -> int:
    """The pid of the worker that answers first once the server answers again, within 15 s."""
    deadline = time.monotonic() + 15
    while True:
        try:
            return int(s.get("/pid", timeout=2)[1])
        except OSError:
            assert time.monotonic() < deadline, f"no worker answered after {after}"
            time.sleep(0.2)


def test_a_killed_worker_is_replaced(start):
    s = start()
    first = int(s.get("/pid")[1])
    os.kill(first, signal.SIGKILL)
    assert _worker_pid_when_back(s, "the kill") != first
    assert s.process.poll() is None


def test_finished_and_abandoned_requests_are_not_taken_for_stuck_ones(start):
    s = start(WEB_TIMEOUT="1")
    first = int(s.get("/pid")[1])
    for _ in range(50):
        s.get("/")
    s.get("/stream")
    # A client that leaves in the middle of a streamed body.
    with socket.create_connection(("127.0.0.1", s.port)) as client:
        client.sendall(b"GET /drip HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert client.recv(1024).startswith(b"HTTP/1.1 200")
    time.sleep(6)
    assert int(s.get("/pid")[1]) == first
    assert "timed out" not in s.log()[1]


def test_a_request_longer_than_the_timeout_is_cut_and_its_worker_replaced(start):
    s = start(WEB_TIMEOUT="2")
    first = int(s.get("/pid")[1])
    began = time.monotonic()
    with pytest.raises(OSError):
        s.get("/sleep?s=20", timeout=15)
    assert time.monotonic() - began < 5
    assert _worker_pid_when_back(s, "the timeout") != first
    timed_out = [json.loads(line) for line in s.log()[1].splitlines() if "timed out" in line]
    assert timed_out[0]["path"] == "/sleep" and timed_out[0]["timeout"] == 2


# --- draining: `Connection: close` between the preStop hook and SIGTERM ---------------------------


def test_a_draining_worker_adds_connection_close_to_every_response_once():
    from slow_app import create

    app = WSGIMiddleware(create(), timeout=30, access_log=False)
    seen = []

    def start_response(status, headers, exc_info=None):
        seen.append(headers)

    def app_with_its_own_header(environ, start_response):
        start_response("200 OK", [("Connection", "keep-alive"), ("Content-Length", "0")])
        return []

    list(app({"PATH_INFO": "/", "QUERY_STRING": ""}, start_response))
    app.draining = True
    list(app({"PATH_INFO": "/", "QUERY_STRING": ""}, start_response))
    both = WSGIMiddleware(app_with_its_own_header, timeout=30, access_log=False)
    both.draining = True
    list(both({"PATH_INFO": "/", "QUERY_STRING": ""}, start_response))
    connection = [[v for k, v in h if k.lower() == "connection"] for h in seen]
    assert connection == [[], ["close"], ["close"]]


def test_the_drain_watch_notices_the_file(tmp_path):
    app = WSGIMiddleware(lambda e, s: [], timeout=30, access_log=False)
    mark = tmp_path / "draining"
    watch = app.start_drain_watch(str(mark), tick=0.01)
    assert not app.draining
    mark.touch()
    watch.join(10)
    assert app.draining


class KeptConnection:
    """One keep-alive connection, raw, so that a reset and a clean close are told apart."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = b""

    def get(self, path="/"):
        """Sends a GET, reads its whole response: (status, headers with lower-case keys, body)."""
        self.sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            self._read()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body.decode()

    def closed_by_server(self):
        """True when the server closed cleanly (FIN); a reset raises ConnectionResetError."""
        return self.sock.recv(1) == b""

    def _read(self):
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection mid-response")
        self.buffer += data

    def close(self):
        self.sock.close()


def test_keep_alive_until_the_drain_mark_then_connection_close_and_a_clean_close(start):
    s = start(WEB_CONCURRENCY="2")
    kept = KeptConnection(s.port)
    for _ in range(5):
        status, headers, _ = kept.get("/pid")
        assert status == 200 and "connection" not in headers
    s.drain()
    # The workers look for the mark ten times a second: the kept connection serves on
    # until a response says `Connection: close`, then the server closes it cleanly.
    deadline = time.monotonic() + 10
    while True:
        status, headers, _ = kept.get("/")
        assert status == 200
        if headers.get("connection") == "close":
            break
        assert time.monotonic() < deadline, "no Connection: close 10 s after the mark"
    assert kept.closed_by_server()
    kept.close()
    # Every worker drains (each sees the mark on its own tick): new connections until both
    # workers have answered `Connection: close`; each such connection is closed cleanly.
    closing = set()
    while len(closing) < 2:
        assert time.monotonic() < deadline + 10, f"only workers {closing} drain"
        fresh = KeptConnection(s.port)
        status, headers, pid = fresh.get("/pid")
        assert status == 200
        if headers.get("connection") == "close":
            assert fresh.closed_by_server()
            closing.add(pid)
        fresh.close()
    # The drain changes nothing of SIGTERM.
    s.process.terminate()
    assert s.process.wait(timeout=40) == 0


def test_keep_alive_clients_leave_before_sigterm_without_a_failed_request(start):
    s = start(WEB_CONCURRENCY="2")
    stop = threading.Event()
    results = []

    def client():
        """Sends requests on one connection until the server closes it; records what it saw."""
        seen = {"ok": 0, "errors": []}
        kept = KeptConnection(s.port)
        try:
            while not stop.is_set():
                status, headers, _ = kept.get("/")
                if status != 200:
                    seen["errors"].append(status)
                seen["ok"] += 1
                if headers.get("connection") == "close":
                    seen["clean_close"] = kept.closed_by_server()
                    break
        except OSError as error:
            seen["errors"].append(repr(error))
        finally:
            kept.close()
        results.append(seen)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    s.drain()
    for thread in threads:
        thread.join(10)
    stop.set()
    # Every client has left by now: SIGTERM finds no connection to cut.
    s.process.terminate()
    assert s.process.wait(timeout=40) == 0
    assert len(results) == 8
    assert [r["errors"] for r in results] == [[]] * 8
    assert all(r.get("clean_close") for r in results), results
    assert all(r["ok"] > 1 for r in results), "each connection was reused before the mark"


def test_a_restarted_server_clears_a_mark_left_by_the_previous_one(tmp_path, start):
    # A container restarted in its pod (a failed liveness probe runs the preStop hook) finds the
    # mark in the pod's /tmp; the new server must keep connections alive again.
    (tmp_path / "server0").mkdir()
    (tmp_path / "server0" / "draining").touch()
    s = start()
    assert not (tmp_path / "server0" / "draining").exists()
    kept = KeptConnection(s.port)
    time.sleep(0.3)
    for _ in range(3):
        status, headers, _ = kept.get("/")
        assert status == 200 and "connection" not in headers
    kept.close()


# --- reload: the code on disk swapped in, or the running code kept -------------------------------

RELOADABLE = """
import os

VERSION = {version!r}


def create():
    def app(environ, start_response):
        if environ["PATH_INFO"] == "/healthz" and VERSION == "unhealthy":
            start_response("503 Service Unavailable", [("Content-Length", "0")])
            return [b""]
        body = f"{{VERSION}} {{os.getpid()}}".encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    return app
"""


@pytest.fixture
def reloadable(tmp_path, start):
    """A server of a module in a folder of its own, and a function that rewrites the module."""
    code = tmp_path / "code"
    code.mkdir()
    module = code / "reloadable.py"

    def write(version=None, text=None):
        module.write_text(text if text is not None else RELOADABLE.format(version=version))

    write("v1")
    s = start(
        app="reloadable:create",
        PYTHONPATH=f"{code}{os.pathsep}{TEST_DIR}",
        WEB_CONCURRENCY="2",
        WEB_RELOAD="1",
    )
    # Both workers serving, so that none is still importing the module when a test rewrites it.
    deadline = time.monotonic() + 20
    while len({answers(s)[1] for _ in range(10)}) < 2:
        assert time.monotonic() < deadline, "the second worker did not serve in 20 s"
    return s, write


def worker_pids(s):
    """The PIDs of the server's worker processes, from the kernel's list of its children."""
    pid = s.process.pid
    return {int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def answers(s, connection=None):
    """(version, pid) of one answer, on a new connection or on `connection`."""
    if connection is None:
        body = s.get("/")[1]
    else:
        status, _, body = connection.get("/")
        assert status == 200
    version, pid = body.split()
    return version, int(pid)


def test_a_reload_serves_the_new_code_in_every_worker_without_a_failed_request(reloadable):
    s, write = reloadable
    before = worker_pids(s)
    stop = threading.Event()
    seen = {"new": [], "kept": [], "errors": []}

    def load(kind):
        connection = KeptConnection(s.port) if kind == "kept" else None
        while not stop.is_set():
            try:
                seen[kind].append(answers(s, connection)[0])
            except Exception as error:  # noqa: BLE001 - every failure is the test's to report
                seen["errors"].append(repr(error))

    threads = [threading.Thread(target=load, args=(k,), daemon=True) for k in ("new", "kept")]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    write("v2")
    result = s.reload()
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("reloaded in ")
    time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(10)
    assert seen["errors"] == []
    for kind in ("new", "kept"):
        assert seen[kind][0] == "v1" and seen[kind][-1] == "v2", kind
    assert {answers(s)[0] for _ in range(20)} == {"v2"}
    # The same processes serve the new code: none was started or stopped.
    assert worker_pids(s) == before
    assert s.process.poll() is None


@pytest.mark.parametrize(
    "text, reason",
    [
        ("def create(:\n", "SyntaxError"),
        ("import no_such_module\n", "ModuleNotFoundError: No module named 'no_such_module'"),
        (RELOADABLE.format(version="unhealthy"), "GET /healthz answered 503 Service Unavailable"),
    ],
    ids=["syntax error", "import error", "unhealthy"],
)
def test_a_reload_that_cannot_serve_leaves_the_running_code_serving(reloadable, text, reason):
    s, write = reloadable
    before = worker_pids(s)
    write(text=text)
    result = s.reload()
    assert result.returncode == 1
    assert "reload failed; the running code serves on:" in result.stderr, s.log()[1]
    assert reason in result.stderr
    assert worker_pids(s) == before
    served = {answers(s) for _ in range(20)}
    assert {version for version, _ in served} == {"v1"} and {pid for _, pid in served} <= before
    # The server goes on: the next good change reloads.
    write("v3")
    assert s.reload().returncode == 0
    assert answers(s)[0] == "v3"
    assert s.process.poll() is None


def test_one_worker_that_cannot_load_the_code_keeps_every_worker_on_the_running_code(
    reloadable, tmp_path
):
    # The first worker to import the new code succeeds, the second raises: a swap in one worker
    # alone would leave the two serving different code.
    s, write = reloadable
    before = worker_pids(s)
    mark = tmp_path / "first-import"
    write(
        text=RELOADABLE.format(version="v2")
        + f"\ntry:\n    os.close(os.open({str(mark)!r}, os.O_CREAT | os.O_EXCL))\n"
        + "except FileExistsError:\n    raise RuntimeError('the second worker fails')\n"
    )
    result = s.reload()
    assert result.returncode == 1
    assert "RuntimeError: the second worker fails" in result.stderr
    assert {answers(s)[0] for _ in range(40)} == {"v1"}
    assert worker_pids(s) == before


def test_two_reloads_at_once_both_end_with_the_new_code(reloadable):
    s, write = reloadable
    write("v2")
    results = []
    threads = [threading.Thread(target=lambda: results.append(s.reload())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert {answers(s)[0] for _ in range(20)} == {"v2"}


def test_a_restarted_server_ignores_the_reload_files_a_previous_one_left(tmp_path, start):
    # A container restarted in its pod keeps /tmp: an old request and answers must not count.
    run_dir = tmp_path / "server0"
    run_dir.mkdir()
    (run_dir / "server-reload.json").write_text('{"id": 1, "phase": "prepare"}')
    (run_dir / "server-reload.2.4242.prepare").write_text('{"ok": true}')
    (run_dir / "server-worker.4242").touch()
    s = start(WEB_RELOAD="1")
    assert sorted(p.name for p in run_dir.glob("server-reload.*")) == []
    assert s.reload().returncode == 0


def test_a_reload_is_refused_unless_the_server_was_started_for_it(start):
    s = start()
    result = s.reload()
    assert result.returncode == 1
    assert result.stderr.startswith("WEB_RELOAD is off: this server does not reload its code")


@pytest.mark.parametrize("args", [["drain"], ["drain", "soon"], ["serve"], ["reload", "now"]])
def test_the_command_line_takes_only_drain_seconds(args):
    result = subprocess.run(
        [sys.executable, "-m", "server", *args],
        cwd=APP_DIR,
        env={**os.environ, "WEB_DRAIN_FILE": "/nonexistent/draining"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("usage: python -m server")
