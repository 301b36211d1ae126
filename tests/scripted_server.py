"""A tiny HTTP server on 127.0.0.1 that answers from a script, for behaviour tests.

`ScriptedServer({"/jobs/7": [reply(503), reply(200, {"state": "done"})]})` answers
the first request to `/jobs/7` with 503, every later one with the last reply.
Every request is recorded as (method, path).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def reply(status: int, payload: Any = None, **headers: str) -> Reply:
    body = b"" if payload is None else json.dumps(payload).encode()
    if payload is not None:
        headers.setdefault("Content-Type", "application/json")
    return Reply(status, body, {k.replace("_", "-"): v for k, v in headers.items()})


class ScriptedServer:
    def __init__(self, script: dict[str, list[Reply]]) -> None:
        self.script = {path: list(replies) for path, replies in script.items()}
        self.requests: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []  # of each request, names lower-cased
        self.bodies: list[bytes] = []  # of each request
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def paths(self) -> list[str]:
        return [path for _, path in self.requests]

    def answer(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Reply:
        with self._lock:
            self.requests.append((method, path))
            self.headers.append(headers or {})
            self.bodies.append(body)
            replies = self.script.get(path)
            if not replies:
                return reply(404, {"message": "not scripted"})
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _handler(owner: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = owner.answer(self.command, self.path, headers, body)
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve
        do_QUERY = do_COPY = _serve  # OpenAPI 3.2: the query method, additionalOperations

    return Handler
