"""Run Stoplight Prism as a mock server for contract tests (see test_contract_prism.py).

Prism is pinned in ``tests/contract-tools/package.json`` (lock file beside it) and installed
with ``npm ci --prefix tests/contract-tools``. :func:`unavailable_reason` says why it cannot
run here (no ``node``, not installed, another version), so tests can skip instead of failing.

:class:`PrismServer` starts ``prism mock --errors`` on 127.0.0.1 at a free port for one
OpenAPI document, waits (bounded) until it listens, and keeps its log. :class:`Recorder`
keeps every exchange of an httpx client; :func:`request_violations` finds what Prism said
about the requests: Prism answers a request that breaks the OpenAPI with 422 (or 401 for
missing credentials, 415 for a wrong content type) and a problem+json body listing the
problems, or with the document's own 400/422 example and an ``sl-violations`` header, and
it logs each problem as a ``[VALIDATOR]`` error. All three are checked.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

__all__ = [
    "PRISM_VERSION",
    "TOOLS",
    "Exchange",
    "PrismError",
    "PrismPool",
    "PrismServer",
    "Recorder",
    "free_port",
    "request_violations",
    "response_violations",
    "unavailable_reason",
]

TOOLS = Path(__file__).resolve().parent / "contract-tools"
#: The exact version in tests/contract-tools/package.json; 5.14.2 is the newest release
#: that still runs on Node.js 18-22 (5.15 and later need Node.js 24).
PRISM_VERSION = "5.14.2"
_PACKAGE = TOOLS / "node_modules" / "@stoplight" / "prism-cli"
_INSTALL_HINT = "npm ci --prefix tests/contract-tools"

#: Seconds to wait for Prism to listen (it parses and dereferences the whole document).
STARTUP_TIMEOUT = 30.0
_STOP_TIMEOUT = 5.0
_LOG_LIMIT = 20_000  # lines kept per server

# Prism's problem types for requests it refused (https://stoplight.io/prism/errors#...).
_REQUEST_PROBLEMS = {
    "UNPROCESSABLE_ENTITY",  # the request breaks the OpenAPI (422)
    "UNAUTHORIZED",  # the security requirements are not met (401)
    "INVALID_CONTENT_TYPE",  # the body's media type is not declared (415)
    "NO_PATH_MATCHED_ERROR",  # no such path (404)
    "NO_METHOD_MATCHED_ERROR",  # no such method for the path (405)
    "NO_SERVER_MATCHED_ERROR",
    "NOT_ACCEPTABLE",  # no declared response content for the Accept header (406)
}
# Prism's mock made a response that breaks the document's own schema (--errors turns it
# into a 500): a problem of the OpenAPI document or of Prism, not of the request.
_RESPONSE_PROBLEMS = {"VIOLATIONS", "NO_RESPONSE_DEFINED", "NO_COMPLEX_OBJECT_TEXT"}


class PrismError(RuntimeError):
    """Prism could not be started."""


# Servers still running when the interpreter exits (a script that failed before stopping
# them, say) are stopped then, so no Prism outlives the tests.
_RUNNING: weakref.WeakSet[PrismServer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


def _prism_script() -> Path | None:
    try:
        package = json.loads((_PACKAGE / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    bin_entry = package.get("bin")
    relative = bin_entry.get("prism") if isinstance(bin_entry, dict) else bin_entry
    return _PACKAGE / relative if isinstance(relative, str) else None


def unavailable_reason() -> str | None:
    """Why Prism cannot be run here, or None when it can."""
    if shutil.which("node") is None:
        return "Node.js (`node`) is not on PATH; Prism contract tests need it"
    script = _prism_script()
    if script is None or not script.is_file():
        return f"Prism is not installed in {TOOLS}; run `{_INSTALL_HINT}`"
    try:
        version = json.loads((_PACKAGE / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        version = None
    if version != PRISM_VERSION:
        return f"Prism {version} is installed, the tests pin {PRISM_VERSION}; run `{_INSTALL_HINT}`"
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# One log record: "[3:28:13 PM] > [VALIDATOR] x  error     <message>", where ">" and "x" stand
# for Unicode symbols.
_RECORD = re.compile(r"^\[[^\]]*\]\s*\S*\s*\[(?P<source>[^\]]+)\]\s*(?P<rest>.*)$")
_LEVEL = re.compile(r"(?P<level>trace|debug|info|warning|error|fatal|start|awaiting|success)\s+")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class _LogRequest:
    """The log lines Prism wrote while it handled one request."""

    head: str
    lines: list[str] = field(default_factory=list)


class PrismServer:
    """``prism mock --errors`` for one OpenAPI document on 127.0.0.1.

    Use as a context manager; :attr:`url` is the base URL to send requests to.
    """

    def __init__(self, document: Path, *, startup_timeout: float = STARTUP_TIMEOUT) -> None:
        reason = unavailable_reason()
        if reason is not None:
            raise PrismError(reason)
        self.document = document.resolve()
        self.startup_timeout = startup_timeout
        self.port = 0
        self.startup_seconds = 0.0
        self._started = 0.0
        self._process: subprocess.Popen[str] | None = None
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        """Start Prism and wait until it listens; raises PrismError if it does not."""
        self.spawn()
        return self.wait()

    def spawn(self) -> None:
        """Start the Prism process on a free port; :meth:`wait` waits until it listens."""
        self.port = free_port()
        self._started = time.monotonic()
        self._spawn()

    def wait(self) -> Self:
        """Wait until Prism listens; restart it on another port if that one was taken."""
        for _attempt in range(3):  # another process may take the free port first
            if self._wait_until_listening():
                self.startup_seconds = time.monotonic() - self._started
                return self
            last = "\n".join(self.log()[-20:])
            self.stop()
            if "EADDRINUSE" not in last:
                break
            self.spawn()
        raise PrismError(f"Prism did not start for {self.document}:\n{last}")

    def _spawn(self) -> None:
        script = _prism_script()
        assert script is not None
        command = [
            shutil.which("node") or "node",
            str(script),
            "mock",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--errors",
            str(self.document),
        ]
        env = dict(os.environ, NO_COLOR="1", FORCE_COLOR="0", NODE_NO_WARNINGS="1")
        with self._lock:
            self._lines = []
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            cwd=TOOLS,
        )
        _RUNNING.add(self)
        self._reader = threading.Thread(target=self._read, args=(self._process,), daemon=True)
        self._reader.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            with self._lock:
                if len(self._lines) < _LOG_LIMIT:
                    self._lines.append(_ANSI.sub("", line.rstrip("\n")))

    def _wait_until_listening(self) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        listening = f"Prism is listening on {self.url}"
        while time.monotonic() < deadline:
            if any(listening in line for line in self.log()):
                return self._accepts_connections(deadline)
            if self._process is None or self._process.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def _accepts_connections(self, deadline: float) -> bool:
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1.0),
            ):
                return True
            time.sleep(0.05)
        return False

    def alive(self) -> bool:
        """Whether the Prism process is still running (a request can crash it)."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        """Stop Prism (politely, then not); does nothing if it is not running."""
        _RUNNING.discard(self)
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(_STOP_TIMEOUT)
        if self._reader is not None:
            self._reader.join(_STOP_TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- the log ---------------------------------------------------------------------

    def log(self) -> list[str]:
        """Every line Prism has written so far."""
        with self._lock:
            return list(self._lines)

    def mark(self) -> int:
        """A position in the log, for :meth:`requests_since`."""
        with self._lock:
            return len(self._lines)

    def requests_since(
        self, mark: int, *, expected: int = 0, timeout: float = 5.0
    ) -> list[_LogRequest]:
        """The requests Prism logged after `mark`, each with the lines about it.

        Prism may log a request just after answering it, so this waits (at most
        `timeout` seconds) until `expected` requests are logged and the log is quiet.
        """
        deadline = time.monotonic() + timeout
        found = self._split(mark)
        while len(found) < expected and time.monotonic() < deadline:
            time.sleep(0.02)
            found = self._split(mark)
        seen = -1
        while seen != self.mark() and time.monotonic() < deadline:
            seen = self.mark()
            time.sleep(0.05)
        return self._split(mark)

    def _split(self, mark: int) -> list[_LogRequest]:
        found: list[_LogRequest] = []
        for line in self.log()[mark:]:
            if "Request received" in line:
                found.append(_LogRequest(line))
            elif found:
                found[-1].lines.append(line)
        return found


class PrismPool:
    """One Prism per OpenAPI document, started in the background (a few at a time) and reused.

    Documents with the same bytes, whose relative `$ref`s lead to files with the same
    bytes, share a server. :meth:`get` waits for a server; one that failed to start
    raises PrismError there.
    """

    def __init__(self, *, parallel: int = 3) -> None:
        self._executor = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="prism")
        self._servers: dict[str, PrismServer] = {}
        self._started: dict[str, Future[PrismServer]] = {}
        self._keys: dict[Path, str] = {}

    def key(self, document: Path) -> str:
        document = document.resolve()
        if document not in self._keys:
            self._keys[document] = _content_key(document)
        return self._keys[document]

    def start(self, documents: list[Path]) -> None:
        """Start (without waiting) a server for each document that has none yet."""
        for document in documents:
            key = self.key(document)
            if key not in self._servers:
                self._servers[key] = server = PrismServer(document)
                self._started[key] = self._executor.submit(server.start)

    def get(self, document: Path) -> PrismServer:
        """The server for `document`, once it listens."""
        self.start([document])
        return self._started[self.key(document)].result()

    def stop(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        for server in self._servers.values():
            server.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_EXTERNAL_REF = re.compile(r"""["']?\$ref["']?\s*:\s*["']?(?P<target>[^"'#\s]+)""")


def _content_key(document: Path) -> str:
    """A hash of the document and every file its relative `$ref`s reach."""
    digest = hashlib.sha256()
    seen: set[Path] = set()
    todo = [document]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            data = path.read_bytes()
        except OSError:
            data = b""
        digest.update(f"{len(seen)}:{len(data)}:".encode())
        digest.update(data)
        for found in _EXTERNAL_REF.finditer(data.decode("utf-8", "replace")):
            target = found["target"].rstrip(",")
            if "://" not in target:
                todo.append((path.parent / target).resolve())
    return digest.hexdigest()


def validator_errors(request: _LogRequest) -> list[str]:
    """The ``[VALIDATOR]`` errors Prism logged for one request (request problems only)."""
    errors = []
    for line in request.lines:
        record = _RECORD.match(line)
        if record is None or record["source"].strip() != "VALIDATOR":
            continue
        level = _LEVEL.search(record["rest"])
        if level is None or level["level"] not in {"error", "fatal"}:
            continue
        message = record["rest"][level.end() :].strip()
        # "Violation: response..." lines are about Prism's own answer, not the request.
        if not message.startswith("Violation: response"):
            errors.append(message)
    return errors


# --- recording what a client sent and got -------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request a generated module sent, and Prism's answer."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes
    status_code: int
    response_headers: dict[str, str]
    response_body: bytes

    @property
    def path(self) -> str:
        """The path as sent (percent-encoded), without the query."""
        return httpx.URL(self.url).raw_path.decode("ascii").partition("?")[0]

    @property
    def query(self) -> str:
        return httpx.URL(self.url).query.decode("ascii")

    def json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def problem_type(self) -> str | None:
        """Prism's problem name (``UNPROCESSABLE_ENTITY``...) for a problem+json answer."""
        if not self.response_headers.get("content-type", "").startswith("application/problem+json"):
            return None
        body = self.json()
        kind = body.get("type") if isinstance(body, dict) else None
        if isinstance(kind, str) and "stoplight.io/prism/errors#" in kind:
            return kind.rsplit("#", 1)[1]
        return None

    def violations(self) -> list[dict[str, Any]]:
        """The ``sl-violations`` header Prism adds when a request or its answer is invalid."""
        header = self.response_headers.get("sl-violations")
        if not header:
            return []
        try:
            found = json.loads(header)
        except ValueError:
            return [{"location": ["?"], "severity": "Error", "message": header}]
        return [v for v in found if isinstance(v, dict)] if isinstance(found, list) else []

    def describe(self) -> str:
        body = self.request_body[:300].decode("utf-8", "replace")
        return f"{self.method} {self.url} -> {self.status_code} (request body: {body!r})"


class Recorder:
    """Event hooks for httpx clients that keep every exchange, in order."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def _keep(self, response: httpx.Response) -> None:
        request = response.request
        self.exchanges.append(
            Exchange(
                method=request.method,
                url=str(request.url),
                request_headers={k.lower(): v for k, v in request.headers.items()},
                request_body=request.content,
                status_code=response.status_code,
                response_headers={k.lower(): v for k, v in response.headers.items()},
                response_body=response.content,
            )
        )

    def _on_response(self, response: httpx.Response) -> None:
        response.read()
        self._keep(response)

    async def _on_response_async(self, response: httpx.Response) -> None:
        await response.aread()
        self._keep(response)

    # The clients only speak plain HTTP to 127.0.0.1: no proxies from the environment, and
    # verify=False spares loading the CA bundle for each client.

    @contextlib.contextmanager
    def client(self, timeout: float = 10.0) -> Iterator[httpx.Client]:
        """A client whose exchanges are kept here; bounded by `timeout` per request."""
        with httpx.Client(
            timeout=timeout,
            event_hooks={"response": [self._on_response]},
            trust_env=False,
            verify=False,
        ) as http:
            yield http

    @contextlib.asynccontextmanager
    async def async_client(self, timeout: float = 10.0) -> Any:
        """The async twin of :meth:`client`."""
        async with httpx.AsyncClient(
            timeout=timeout,
            event_hooks={"response": [self._on_response_async]},
            trust_env=False,
            verify=False,
        ) as http:
            yield http


def request_violations(exchanges: list[Exchange], log: list[_LogRequest]) -> list[str]:
    """Everything Prism said was wrong with the requests; empty when they all conform."""
    problems = []
    for exchange in exchanges:
        kind = exchange.problem_type()
        if kind in _REQUEST_PROBLEMS:
            body = exchange.json()
            details = (
                (body.get("validation") or body.get("detail")) if isinstance(body, dict) else ""
            )
            problems.append(f"{exchange.describe()}: Prism {kind}: {details}")
        for violation in exchange.violations():
            location = violation.get("location") or []
            if location[:1] == ["request"] and violation.get("severity") == "Error":
                where = ".".join(str(part) for part in location)
                problems.append(f"{exchange.describe()}: {where}: {violation.get('message')}")
    for request in log:
        problems += [
            f"Prism log for {request.head.strip()}: {e}" for e in validator_errors(request)
        ]
    if len(log) != len(exchanges):
        problems.append(f"Prism logged {len(log)} requests, the client sent {len(exchanges)}")
    return problems


def response_violations(exchanges: list[Exchange]) -> list[str]:
    """Answers Prism could not mock from the document (its own examples break its schema)."""
    return [
        f"{e.describe()}: Prism {e.problem_type()}: {e.json()}"
        for e in exchanges
        if e.problem_type() in _RESPONSE_PROBLEMS
    ]
