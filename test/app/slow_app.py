"""A tiny WSGI app for the server tests: slow requests and the worker's PID, never in the image."""

import os
import time
from urllib.parse import parse_qs


def create():
    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/sleep":
            seconds = float(parse_qs(environ["QUERY_STRING"]).get("s", ["1"])[0])
            time.sleep(seconds)
            body = f"slept {seconds:g}".encode()
        elif path == "/pid":
            body = str(os.getpid()).encode()
        elif path == "/stream":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return (b"chunk\n" for _ in range(3))
        elif path == "/drip":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return (time.sleep(0.2) or b"drop\n" for _ in range(20))
        else:
            body = b"ok"
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        )
        return [body]

    return app
