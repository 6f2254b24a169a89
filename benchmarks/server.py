"""Benchmark of the app servers for `GET /`, with ratios against baselines from the same run.

    python benchmarks/server.py host  [--rounds N] [--seconds S] [--write]
    python benchmarks/server.py image [--rounds N] [--seconds S] [--write]
    python benchmarks/server.py ceiling [--seconds S]

`host` pins each server to core 0 and the load generator (Debian's `wrk`) to core 1, then
measures the in-process ceiling (the app called directly, no HTTP), Flask's development server
and each candidate, one after the other. `image` builds app/ with the test bed's base image and
package index, reports the layers it adds, and measures the image's own command with the
docker target's default settings (0.5 CPU, 256 MiB, read-only root, UID 10001) against the
development server and the ceiling in the same limits. `ceiling` is the in-process loop alone;
`image` runs it inside the container. Every server runs with HOME=/nonexistent and its start is
checked for error lines. Traffic goes to 127.0.0.1 only, for a bounded time. `--write` puts the
figures in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "app"
SERVER_CORE = "0"
LOAD_CORE = "1"
# Ahead of whatever else runs on the machine (as root only): the figures should be the servers',
# not the neighbours'. Every candidate and the load generator get the same priority.
PRIORITY = ["nice", "-n", "-10"] if os.geteuid() == 0 else []
# What counts as an error line in a server's output at start.
ERROR_LINE = re.compile(r"error|traceback|exception", re.IGNORECASE)
# Keys of the rows that a table reads: every table divides by CEILING's and DEV_SERVER's rates,
# and holds its goal against its chosen row (HOST_CHOSEN, IMAGE_CHOSEN). A label is for the reader.
CEILING = "ceiling"
DEV_SERVER = "dev-server"
HOST_CHOSEN = "server"
IMAGE_CHOSEN = "image"
CEILING_LABEL = "in-process Flask, no HTTP (ceiling)"
DEV_SERVER_LABEL = "Flask development server (baseline)"


@dataclass
class Result:
    rps: float
    p50: float | None = None
    p99: float | None = None
    errors: int = 0
    start_errors: list[str] | None = None
    spread: tuple[float, float] | None = None


class Row(NamedTuple):
    """A line of a table: the code picks it by `key`; the reader sees `label` only."""

    key: str
    label: str
    result: Result


# --- the ceiling -------------------------------------------------------------------------------


def ceiling(seconds: float) -> float:
    """Requests per second of the app called in-process, no server: what no server can beat."""
    from flask_app import create_app

    app = create_app()
    template = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }

    def start_response(status, headers, exc_info=None):
        return None

    def run(duration: float) -> float:
        count = 0
        deadline = time.perf_counter() + duration
        started = time.perf_counter()
        while time.perf_counter() < deadline:
            for _ in range(100):
                environ = dict(template)
                environ["wsgi.input"] = io.BytesIO(b"")
                body = app(environ, start_response)
                b"".join(body)
                body.close()
            count += 100
        return count / (time.perf_counter() - started)

    run(min(2.0, seconds))  # warm-up, not counted
    return run(seconds)


# --- load --------------------------------------------------------------------------------------


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, connections: int, seconds: int) -> Result:
    """Closed-loop load from one wrk thread on LOAD_CORE, keep-alive connections."""
    out = subprocess.run(
        [*PRIORITY, "taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
        + ["--latency", "--timeout", "5s", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 30,
    ).stdout
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.MULTILINE))
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out)) + sum(
        int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out)
    )
    return Result(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50=_ms(percentiles["50"]),
        p99=_ms(percentiles["99"]),
        errors=errors,
    )


def wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_errors(text: str) -> list[str]:
    return [line for line in text.splitlines() if ERROR_LINE.search(line)]


# --- host --------------------------------------------------------------------------------------


class Candidate(NamedTuple):
    """A server on the host, and its row's key and label."""

    key: str
    label: str
    command: list[str]
    env: dict


def candidates(python: str, bin_dir: Path, port: int) -> list[Candidate]:
    """Each server, all on 127.0.0.1:port with one worker."""
    addr = f"127.0.0.1:{port}"
    gunicorn = [str(bin_dir / "gunicorn"), "--bind", addr, "--workers", "1"]
    granian = [str(bin_dir / "granian"), "--interface", "wsgi", "--factory", "--no-ws"]
    granian += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    server_env = {"WEB_HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "1"}
    return [
        Candidate(
            DEV_SERVER,
            DEV_SERVER_LABEL,
            [python, "-m", "flask", "--app", "flask_app:create_app", "run", "--port", str(port)],
            {},
        ),
        Candidate(
            "gunicorn-sync",
            "gunicorn sync, 1 worker, no access log",
            gunicorn + ["--worker-class", "sync", "flask_app:create_app()"],
            {},
        ),
        Candidate(
            "gunicorn-gthread-access-log",
            "gunicorn gthread, 1 worker × 4 threads, access log",
            gunicorn + ["--threads", "4", "--access-logfile", "-", "flask_app:create_app()"],
            {},
        ),
        Candidate(
            "gunicorn-gthread",
            "gunicorn gthread, 1 worker × 4 threads, no access log",
            gunicorn + ["--threads", "4", "flask_app:create_app()"],
            {},
        ),
        Candidate(
            "granian-access-log",
            "granian, 1 worker × 4 threads, its access log",
            granian + ["--blocking-threads", "4", "--access-log", "flask_app:create_app"],
            {},
        ),
        Candidate(
            "granian",
            "granian, 1 worker × 4 threads, no access log",
            granian + ["--blocking-threads", "4", "flask_app:create_app"],
            {},
        ),
        Candidate(
            HOST_CHOSEN,
            "**`python -m server`** (granian + timeout), 1 × 4, no access log",
            [python, "-m", "server"],
            server_env,
        ),
        Candidate(
            "server-access-log",
            "`python -m server`, 1 × 4, JSON access log (`WEB_ACCESS_LOG=1`)",
            [python, "-m", "server"],
            {**server_env, "WEB_ACCESS_LOG": "1"},
        ),
        Candidate(
            "server-1-thread",
            "`python -m server`, 1 × 1 thread, no access log",
            [python, "-m", "server"],
            {**server_env, "WEB_THREADS": "1"},
        ),
    ]


def run_host_server(
    candidate: Candidate, port: int, connections: int, seconds: float, logs: Path
) -> Result:
    # A container's small environment, not this shell's: granian copies it into every request.
    full_env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", "HOME": "/nonexistent"}
    full_env.update(candidate.env)
    log_path = logs / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*PRIORITY, "taskset", "-c", SERVER_CORE, *candidate.command],
            cwd=APP_DIR,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_for(url)
        time.sleep(1)
        errors_at_start = start_errors(log_path.read_text(errors="replace"))
        wrk(url, connections, 2)  # warm-up, not counted
        result = wrk(url, connections, seconds)
        result.start_errors = errors_at_start
        return result
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def median(results: list[Result]) -> Result:
    """The median of each figure over the rounds, and the lowest and highest rate."""
    mid = lambda values: statistics.median(values) if None not in values else None  # noqa: E731
    return Result(
        rps=mid([r.rps for r in results]),
        p50=mid([r.p50 for r in results]),
        p99=mid([r.p99 for r in results]),
        errors=sum(r.errors for r in results),
        start_errors=results[0].start_errors,
        spread=(min(r.rps for r in results), max(r.rps for r in results)),
    )


def host(args: argparse.Namespace) -> str:
    python = sys.executable
    bin_dir = Path(python).parent
    # Each run picks its own port, which the command holds: the keys pick the candidate again.
    labels = {c.key: c.label for c in candidates(python, bin_dir, 0)}
    runs: dict[str, list[Result]] = {CEILING: [], **{key: [] for key in labels}}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="flaskapp-bench-") as logs:
        # Rounds rather than one long run each: load from elsewhere on the machine then falls on
        # every candidate alike, and the medians leave its peaks out.
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} of {args.rounds}: the ceiling ...", file=sys.stderr)
            ceiling_run = subprocess.run(
                [*PRIORITY, "taskset", "-c", SERVER_CORE, python, __file__, "ceiling"]
                + ["--seconds", str(args.seconds)],
                cwd=APP_DIR,
                capture_output=True,
                text=True,
                check=True,
            )
            runs[CEILING].append(Result(rps=float(ceiling_run.stdout)))
            for key in labels:
                port = free_port()
                candidate = next(c for c in candidates(python, bin_dir, port) if c.key == key)
                print(f"round {round_ + 1} of {args.rounds}: {labels[key]} ...", file=sys.stderr)
                runs[key].append(
                    run_host_server(candidate, port, args.connections, args.seconds, Path(logs))
                )
    load_after = os.getloadavg()
    intro = (
        f"Machine: {_cpu_model()}, {os.cpu_count()} cores, Linux {platform.release()}, Python "
        f"{platform.python_version()}; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after. Each server pinned to core {SERVER_CORE} with `taskset`"
        f"{', at nice -10,' if PRIORITY else ''} one worker; `wrk` likewise on core "
        f"{LOAD_CORE}, {args.connections} keep-alive connections, `GET /` on 127.0.0.1. "
        f"{args.rounds} rounds, each running every server for {args.seconds} s after a 2 s "
        "warm-up; the figures are the medians of the rounds."
    )
    rows = [Row(CEILING, CEILING_LABEL, median(runs[CEILING]))]
    rows += [Row(key, label, median(runs[key])) for key, label in labels.items()]
    return intro + "\n\n" + table(rows, chosen=HOST_CHOSEN)


# --- image -------------------------------------------------------------------------------------


def docker(*args: str, **kwargs) -> str:
    return subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, **kwargs
    ).stdout.strip()


def container_flags(name: str, host_port: int) -> list[str]:
    """`docker run` flags of the docker target's defaults, from the component's own code."""
    out = subprocess.run(
        ["npx", "ts-node", "benchmarks/containerFlags.ts", name, str(host_port)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def wait_healthy(name: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        health = docker("inspect", "--format", "{{.State.Health.Status}}", name)
        if health == "healthy":
            return
        if health == "unhealthy":
            break
        time.sleep(1)
    raise RuntimeError(f"container {name} did not become healthy:\n{docker('logs', name)}")


class Container(NamedTuple):
    """A server the image runs, started and healthy."""

    key: str
    label: str
    name: str
    url: str
    start_errors: list[str]


def image(args: argparse.Namespace) -> str:
    base = os.environ.get("FLASKAPP_E2E_BASE_IMAGE", "")
    build_args = []
    for arg, key in (
        ("BASE_IMAGE", "FLASKAPP_E2E_BASE_IMAGE"),
        ("PIP_INDEX_URL", "FLASKAPP_E2E_PIP_INDEX_URL"),
        ("PIP_TRUSTED_HOST", "FLASKAPP_E2E_PIP_TRUSTED_HOST"),
    ):
        if os.environ.get(key):
            build_args += ["--build-arg", f"{arg}={os.environ[key]}"]
    suffix = secrets.token_hex(3)
    ref = f"flaskapp-bench-server:{suffix}"
    names: list[str] = []
    out: list[str] = []
    try:
        print(f"building {ref} ...", file=sys.stderr)
        docker("build", "--quiet", *build_args, "--tag", ref, str(APP_DIR))
        size = int(docker("image", "inspect", "--format", "{{.Size}}", ref))
        base_size = int(docker("image", "inspect", "--format", "{{.Size}}", base)) if base else 0
        added = size - base_size
        out.append(
            f"Layers added on top of `{base or 'the default base image'}`: "
            f"**{added / 2**20:.1f} MiB** ({added / 1e6:.1f} MB); the budget is 15 MB."
        )
        out.append("")

        def start(key: str, label: str, env: list[str], command: list[str]) -> Container:
            name = f"flaskapp-bench-{suffix}-{len(names)}"
            port = free_port()
            names.append(name)
            docker("run", *container_flags(name, port), *env, ref, *command)
            wait_healthy(name)
            logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
            errors = start_errors(logs.stdout + logs.stderr)
            return Container(key, label, name, f"http://127.0.0.1:{port}/", errors)

        dev_command = ["flask", "--app", "flask_app:create_app", "run", "--host", "0.0.0.0"]
        servers = [
            start(DEV_SERVER, DEV_SERVER_LABEL, [], dev_command + ["--port", "8000"]),
            start(
                IMAGE_CHOSEN,
                "**the image's command** (`python -m server`), defaults: 2 workers × 4 threads",
                [],
                [],
            ),
            start(
                "image-access-log",
                "the image's command with `WEB_ACCESS_LOG=1`",
                ["--env", "WEB_ACCESS_LOG=1"],
                [],
            ),
        ]
        # The ceiling runs in the container of the image's command.
        ceiling_container = next(s.name for s in servers if s.key == IMAGE_CHOSEN)
        runs: dict[str, list[Result]] = {CEILING: [], **{s.key: [] for s in servers}}
        for round_ in range(args.rounds):
            # The ceiling runs inside the server's container: the same cgroup, the same limits.
            print(f"round {round_ + 1} of {args.rounds}: the ceiling ...", file=sys.stderr)
            with open(__file__, "rb") as source:
                rps = subprocess.run(
                    ["docker", "exec", "-i", "--workdir", "/app", ceiling_container, "python", "-"]
                    + ["ceiling", "--seconds", str(args.seconds)],
                    stdin=source,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            runs[CEILING].append(Result(rps=float(rps)))
            for server in servers:
                print(f"round {round_ + 1} of {args.rounds}: {server.label} ...", file=sys.stderr)
                wrk(server.url, args.connections, 2)
                result = wrk(server.url, args.connections, args.seconds)
                result.start_errors = server.start_errors
                runs[server.key].append(result)

        out.append(
            f"Machine: {_cpu_model()}, {os.cpu_count()} cores; load average "
            f"{os.getloadavg()[0]:.2f} at the end. Each container as the docker target runs it "
            "by default (0.5 CPU, 256 MiB, read-only root, UID 10001, HOME not writable), "
            f"published on 127.0.0.1; `wrk` pinned to core {LOAD_CORE}, {args.connections} "
            f"keep-alive connections. {args.rounds} rounds, each running every server for "
            f"{args.seconds} s after a 2 s warm-up; the figures are the medians of the rounds. "
            "The ceiling runs inside the server's container, so under the same CPU limit."
        )
        out.append("")
        rows = [Row(CEILING, CEILING_LABEL, median(runs[CEILING]))]
        rows += [Row(s.key, s.label, median(runs[s.key])) for s in servers]
        out.append(table(rows, chosen=IMAGE_CHOSEN, one_core=False))
    finally:
        for name in names:
            subprocess.run(["docker", "rm", "--force", name], capture_output=True)
        subprocess.run(["docker", "image", "rm", "--force", ref], capture_output=True)
    return "\n".join(out)


# --- report ------------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def table(rows: list[Row], chosen: str, one_core: bool = True) -> str:
    """The rows in their order; the ratios divide by the rows CEILING and DEV_SERVER, and the
    goal line is about the row `chosen` (a key)."""
    by_key = {row.key: row.result for row in rows}
    if len(by_key) != len(rows):
        raise ValueError(f"two rows share a key: {[row.key for row in rows]}")
    ceiling_rps, dev, pick = by_key[CEILING].rps, by_key[DEV_SERVER], by_key[chosen]
    fmt = lambda v: "" if v is None else f"{v:.1f}"  # noqa: E731
    lines = [
        "| server | requests/s | lowest–highest | p50 ms | p99 ms | errors | × dev server "
        "| × ceiling | error lines at start |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for _, label, r in rows:
        at_start = "" if r.start_errors is None else str(len(r.start_errors))
        spread = "" if r.spread is None else f"{r.spread[0]:,.0f}–{r.spread[1]:,.0f}"
        lines.append(
            f"| {label} | {r.rps:,.0f} | {spread} | {fmt(r.p50)} | {fmt(r.p99)} | "
            f"{'' if r.p50 is None else r.errors} | {r.rps / dev.rps:.2f} | "
            f"{r.rps / ceiling_rps:.2f} | {at_start} |"
        )
    ratios = f"{pick.rps / dev.rps:.2f}×, {pick.rps / ceiling_rps:.2f}×, {pick.p99:.1f} ms"
    lines.append("")
    if one_core:
        met = pick.rps >= 5 * dev.rps and pick.rps >= 0.5 * ceiling_rps and pick.p99 <= 15
        lines.append(
            "Goal (≥ 5× the development server, ≥ 0.5× the ceiling, p99 ≤ 15 ms): "
            f"{ratios}: **{'met' if met else 'not met'}**."
        )
    else:
        # Under a CPU quota, p99 is the wait for the next quota period, not the server.
        lines.append(
            f"At these limits (× development server, × ceiling, p99): {ratios}. The p99 goal is "
            "for a whole core; under a 0.5 CPU quota the tail is the wait for the next period."
        )
    for _, label, r in rows:
        for line in (r.start_errors or [])[:3]:
            lines.append(f"\n{label}, at start: `{line.strip()[:160]}`")
    return "\n".join(lines)


def write(marker: str, report: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    begin, end = f"<!-- {marker}:begin -->", f"<!-- {marker}:end -->"
    text = path.read_text()
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"BENCHMARKS.md has no {begin} ... {end} section")
    path.write_text(pattern.sub(lambda _: f"{begin}\n{report}\n{end}", text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("host", "image", "ceiling"))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    args = parser.parse_args()
    if args.mode == "ceiling":
        sys.path.insert(0, os.getcwd())
        print(f"{ceiling(args.seconds):.1f}")
        return
    if not 1 <= args.seconds <= 120 or not 1 <= args.rounds <= 9:
        raise SystemExit("--seconds must be from 1 to 120 and --rounds from 1 to 9")
    for tool in ("wrk", "taskset") + (("docker", "npx") if args.mode == "image" else ()):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (Debian: apt-get install wrk util-linux)")
    report = host(args) if args.mode == "host" else image(args)
    print(report)
    if args.write:
        write(f"server-{args.mode}", report)


if __name__ == "__main__":
    main()
