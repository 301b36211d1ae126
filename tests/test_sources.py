"""Tests for generator.sources: `--source` overrides, and source documents fetched over http.

Documents are served by a `ThreadingHTTPServer` on 127.0.0.1 (a free port, a
daemon thread, stopped when the test ends) that counts the requests for every
path, so "fetched once" and "not fetched at all" are asserted exactly. The
Arazzo document names the server's URL, so it is written into `tmp_path` from
`tests/fixtures/sources/items.arazzo.yaml.in` at test time.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator.diagnostics import Diagnostic, Level
from generator.pipeline import Result, compile_specs
from generator.sources import (
    SourceOptions,
    cache_name,
    default_cache_dir,
    is_url,
    parse_overrides,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sources"
TEMPLATE = (FIXTURES / "items.arazzo.yaml.in").read_text(encoding="utf-8")
MAX_REQUESTS = 50  # the server refuses more than this, so a fetch loop cannot run away


# --- a small document server --------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    content_length: bool = True


class _Handler(BaseHTTPRequestHandler):
    server: DocumentServer

    def do_GET(self) -> None:
        route = self.server.hit(self.path)
        if route.delay:
            time.sleep(route.delay)
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.content_length:
            self.send_header("Content-Length", str(len(route.body)))
        else:
            self.close_connection = True  # the body ends when the connection does
        self.end_headers()
        self.wfile.write(route.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class DocumentServer(ThreadingHTTPServer):
    """Serves `routes` by path; 404 for anything else; counts every request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[str, Route] = {}
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def hit(self, path: str) -> Route:
        with self.lock:
            self.requests[path] += 1
            if sum(self.requests.values()) > MAX_REQUESTS:
                return Route(b"too many requests", status=429)
        return self.routes.get(path, Route(b"not found", status=404))

    def url(self, path: str) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (the timeout test) is not an error here


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests to 127.0.0.1 must not go through a proxy from the environment."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ALL_PROXY", raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def server() -> Iterator[DocumentServer]:
    served = DocumentServer()
    for name in ("api.yaml", "schemas.yaml", "local-api.yaml"):
        served.routes[f"/{name}"] = Route((FIXTURES / name).read_bytes())
    try:
        yield served
    finally:
        served.stop()


# --- helpers ----------------------------------------------------------------------


def write_document(folder: Path, url: str, name: str = "items.arazzo.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(TEMPLATE.replace("@URL@", url), encoding="utf-8")
    return path


def url_line(document: Path) -> int:
    """The 1-based line of the source description's `url:`."""
    lines = document.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip().startswith("url:"))


def run(document: Path | list[Path], cache: Path, **options: Any) -> Result:
    documents = document if isinstance(document, list) else [document]
    return compile_specs(documents, sources=SourceOptions(cache_dir=cache, **options))


def errors(result: Result) -> list[Diagnostic]:
    return [d for d in result.diagnostics.sorted() if d.level is Level.ERROR]


def only_error(result: Result, code: str) -> Diagnostic:
    found = errors(result)
    assert [d.code for d in found] == [code], [d.render() for d in found]
    assert not result.workflows
    return found[0]


def assert_clean(result: Result) -> None:
    assert not list(result.diagnostics), [d.render() for d in result.diagnostics.sorted()]
    assert [w.workflow_id for w in result.workflows] == ["read-item"]


def cached(cache: Path) -> dict[str, str]:
    """Cached documents by URL, read from the `.url` sidecar files."""
    folder = cache / "sources"
    return {
        sidecar.read_text(encoding="utf-8").strip(): sidecar.name.removesuffix(".url")
        for sidecar in sorted(folder.glob("*.url"))
    }


# --- fetching ---------------------------------------------------------------------


def test_a_remote_source_is_fetched_into_the_cache_and_compiles(
    server: DocumentServer, tmp_path: Path
) -> None:
    document = write_document(tmp_path / "specs", server.url("/api.yaml"))
    cache = tmp_path / "cache"
    result = run(document, cache)
    assert_clean(result)
    workflow = result.workflows[0]
    assert workflow.base_url == "https://remote.example.test"
    assert workflow.outputs[0].type.name == "str"  # from schemas.yaml, via a relative $ref
    assert sorted(result.files) == ["__init__.py", "items/__init__.py", "items/read_item.py"]

    entries = cached(cache)
    assert set(entries) == {server.url("/api.yaml"), server.url("/schemas.yaml")}
    for url, name in entries.items():
        assert name == cache_name(url)
        assert name.endswith(url.rpartition("/")[2])
        served = server.routes["/" + url.rpartition("/")[2]].body
        assert (cache / "sources" / name).read_bytes() == served
    leftovers = [p.name for p in (cache / "sources").iterdir() if p.name.startswith(".")]
    assert leftovers == []  # temporary files were renamed into place
    # Diagnostics and shown source lines name remote documents by URL.
    assert server.url("/api.yaml") in result.texts


def test_relative_refs_in_a_remote_document_are_fetched_relative_to_its_url(
    server: DocumentServer, tmp_path: Path
) -> None:
    body = (FIXTURES / "api.yaml").read_bytes().replace(b"./schemas.yaml", b"../shared/s.yaml")
    server.routes["/v1/api.yaml"] = Route(body)
    server.routes["/shared/s.yaml"] = server.routes.pop("/schemas.yaml")
    document = write_document(tmp_path, server.url("/v1/api.yaml"))
    assert_clean(run(document, tmp_path / "cache"))
    assert server.requests == {"/v1/api.yaml": 1, "/shared/s.yaml": 1}


def test_an_absolute_http_ref_in_a_local_document_goes_through_the_cache(
    server: DocumentServer, tmp_path: Path
) -> None:
    api = (FIXTURES / "api.yaml").read_text(encoding="utf-8")
    (tmp_path / "api.yaml").write_text(
        api.replace("./schemas.yaml", server.url("/schemas.yaml")), encoding="utf-8"
    )
    document = write_document(tmp_path, "./api.yaml")
    cache = tmp_path / "cache"
    assert_clean(run(document, cache))
    assert server.requests == {"/schemas.yaml": 1}  # the validator did not fetch it again
    server.stop()
    assert_clean(run(document, cache, offline=True))


def test_each_url_is_fetched_once_per_run(server: DocumentServer, tmp_path: Path) -> None:
    url = server.url("/api.yaml")
    first = write_document(tmp_path / "specs", url, "first.arazzo.yaml")
    second = write_document(tmp_path / "specs", url, "second.arazzo.yaml")
    result = run([first, second], tmp_path / "cache")
    assert not errors(result), [d.render() for d in errors(result)]
    assert len(result.workflows) == 2
    # api.yaml refers to schemas.yaml twice; the validator and the resolver both need it.
    assert server.requests == {"/api.yaml": 1, "/schemas.yaml": 1}
    # A new run fetches again: a run always sees the current document.
    run([first], tmp_path / "cache")
    assert server.requests == {"/api.yaml": 2, "/schemas.yaml": 2}


def test_offline_uses_the_cache_when_the_server_is_gone(
    server: DocumentServer, tmp_path: Path
) -> None:
    document = write_document(tmp_path, server.url("/api.yaml"))
    cache = tmp_path / "cache"
    online = run(document, cache)
    assert_clean(online)
    server.stop()
    offline = run(document, cache, offline=True)
    assert_clean(offline)
    assert offline.files == online.files


def test_output_does_not_depend_on_where_the_cache_lives(
    server: DocumentServer, tmp_path: Path
) -> None:
    document = write_document(tmp_path / "specs", server.url("/api.yaml"))
    one = run(document, tmp_path / "one")
    two = run(document, tmp_path / "elsewhere" / "two")
    assert_clean(one)
    assert one.files == two.files
    for text in one.files.values():
        assert str(tmp_path) not in text


def test_offline_without_a_cached_copy_is_ag113_at_the_url(
    server: DocumentServer, tmp_path: Path
) -> None:
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, tmp_path / "cache", offline=True), "AG113")
    assert (error.span.file, error.span.line) == ("items.arazzo.yaml", url_line(document))
    assert server.url("/api.yaml") in error.message
    assert "without --offline" in error.hint and "--source" in error.hint
    assert server.requests == {}


# --- failures are diagnostics at the url, never exceptions ------------------------


@pytest.mark.parametrize(("status", "text"), [(404, "HTTP 404"), (500, "HTTP 500")])
def test_an_http_error_status_is_ag112_at_the_url(
    server: DocumentServer, tmp_path: Path, status: int, text: str
) -> None:
    server.routes["/api.yaml"] = Route(b"nope", status=status)
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, tmp_path / "cache"), "AG112")
    assert (error.span.file, error.span.line) == ("items.arazzo.yaml", url_line(document))
    assert error.span.col > 0
    assert text in error.message and server.url("/api.yaml") in error.message
    assert error.render().startswith(f"items.arazzo.yaml:{url_line(document)}:")
    assert server.requests == {"/api.yaml": 1}


def test_a_refused_connection_is_ag112(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on once it is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    document = write_document(tmp_path, f"http://127.0.0.1:{port}/api.yaml")
    error = only_error(run(document, tmp_path / "cache", timeout=2.0), "AG112")
    assert error.span.line == url_line(document)
    assert "connect" in error.message


def test_a_slow_server_is_ag112_after_the_timeout(server: DocumentServer, tmp_path: Path) -> None:
    server.routes["/api.yaml"] = Route(b"openapi: 3.1.0\n", delay=1.5)
    document = write_document(tmp_path, server.url("/api.yaml"))
    started = time.monotonic()
    error = only_error(run(document, tmp_path / "cache", timeout=0.2), "AG112")
    assert time.monotonic() - started < 1.4
    assert "timed out" in error.message
    assert error.span.line == url_line(document)


@pytest.mark.parametrize("content_length", [True, False])
def test_an_oversized_body_is_ag112(
    server: DocumentServer, tmp_path: Path, content_length: bool
) -> None:
    server.routes["/api.yaml"] = Route(b"# padding\n" * 500, content_length=content_length)
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, tmp_path / "cache", max_bytes=1024), "AG112")
    assert "larger than 1024 bytes" in error.message
    assert not (tmp_path / "cache" / "sources").exists() or not cached(tmp_path / "cache")


def test_a_body_that_is_not_utf8_is_ag112(server: DocumentServer, tmp_path: Path) -> None:
    server.routes["/api.yaml"] = Route(b"openapi: 3.1.0\ninfo: {title: \xff\xfe}\n")
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, tmp_path / "cache"), "AG112")
    assert "not UTF-8" in error.message


def test_a_redirect_to_a_non_http_url_is_refused(server: DocumentServer, tmp_path: Path) -> None:
    server.routes["/api.yaml"] = Route(status=302, headers={"Location": "file:///etc/passwd"})
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, tmp_path / "cache"), "AG112")
    assert "file:///etc/passwd" in error.message


def test_refs_in_a_redirected_document_resolve_against_where_it_was_found(
    server: DocumentServer, tmp_path: Path
) -> None:
    server.routes["/old/api.yaml"] = Route(status=301, headers={"Location": "/api.yaml"})
    document = write_document(tmp_path, server.url("/old/api.yaml"))
    cache = tmp_path / "cache"
    assert_clean(run(document, cache))
    assert server.requests == {"/old/api.yaml": 1, "/api.yaml": 1, "/schemas.yaml": 1}
    sidecar = cache / "sources" / (cache_name(server.url("/old/api.yaml")) + ".url")
    lines = sidecar.read_text(encoding="utf-8").splitlines()
    assert lines == [server.url("/old/api.yaml"), server.url("/api.yaml")]
    server.stop()  # offline, the redirect target comes from the sidecar
    assert_clean(run(document, cache, offline=True))


def test_an_unreadable_remote_document_is_reported_in_it_by_url(
    server: DocumentServer, tmp_path: Path
) -> None:
    server.routes["/api.yaml"] = Route(b"openapi: 3.1.0\npaths: [unclosed\n")
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, tmp_path / "cache"), "AG001")
    assert error.span.file == server.url("/api.yaml")
    assert error.span.line == 3


def test_a_ref_that_cannot_be_fetched_is_ag112_at_the_ref(
    server: DocumentServer, tmp_path: Path
) -> None:
    del server.routes["/schemas.yaml"]
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, tmp_path / "cache"), "AG112")
    api_lines = (FIXTURES / "api.yaml").read_text(encoding="utf-8").splitlines()
    first_ref = next(i for i, line in enumerate(api_lines, 1) if "$ref" in line)
    assert (error.span.file, error.span.line) == (server.url("/api.yaml"), first_ref)
    assert "HTTP 404" in error.message and server.url("/schemas.yaml") in error.message
    assert server.requests == {"/api.yaml": 1, "/schemas.yaml": 1}


def test_a_file_ref_in_a_remote_document_never_reads_a_local_file(
    server: DocumentServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("ItemId: {name: itemId, in: path, required: true}\n", encoding="utf-8")
    body = (FIXTURES / "api.yaml").read_bytes()
    body = body.replace(b"./schemas.yaml#/parameters", secret.as_uri().encode() + b"#")
    server.routes["/api.yaml"] = Route(body)
    document = write_document(tmp_path, server.url("/api.yaml"))
    result = run(document, tmp_path / "cache")
    assert "AG109" in [d.code for d in errors(result)]
    assert not result.workflows


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/api.yaml", "file:///etc/api.yaml"])
def test_urls_other_than_http_are_rejected(tmp_path: Path, url: str) -> None:
    document = write_document(tmp_path, url)
    error = only_error(run(document, tmp_path / "cache"), "AG109")
    assert error.span.line == url_line(document)
    assert "only http and https" in error.message


def test_a_cache_folder_that_cannot_be_written_is_ag112(
    server: DocumentServer, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    document = write_document(tmp_path, server.url("/api.yaml"))
    error = only_error(run(document, blocker), "AG112")
    assert "cache" in error.message and "--cache-dir" in error.hint


def test_without_source_options_a_remote_url_is_still_ag109(tmp_path: Path) -> None:
    document = write_document(tmp_path, "http://127.0.0.1:9/api.yaml")
    result = compile_specs([document])
    assert [d.code for d in errors(result)] == ["AG109"]


# --- overrides ----------------------------------------------------------------------


def test_an_override_replaces_a_local_url(tmp_path: Path) -> None:
    document = write_document(tmp_path, "./no-such-api.yaml")
    result = run(document, tmp_path / "cache", overrides={"items": FIXTURES / "local-api.yaml"})
    assert_clean(result)
    assert result.workflows[0].base_url == "https://local.example.test"


def test_an_override_replaces_a_remote_url_without_fetching(
    server: DocumentServer, tmp_path: Path
) -> None:
    document = write_document(tmp_path, server.url("/api.yaml"))
    options = {"overrides": {"items": FIXTURES / "local-api.yaml"}, "offline": True}
    result = run(document, tmp_path / "cache", **options)
    assert_clean(result)
    assert result.workflows[0].base_url == "https://local.example.test"
    assert server.requests == {}


def test_an_override_for_an_unknown_source_is_warning_ag111(tmp_path: Path) -> None:
    document = write_document(tmp_path, "./no-such-api.yaml")
    overrides = {"items": FIXTURES / "local-api.yaml", "itemz": FIXTURES / "local-api.yaml"}
    result = run(document, tmp_path / "cache", overrides=overrides)
    assert [w.workflow_id for w in result.workflows] == ["read-item"]
    [warning] = list(result.diagnostics)
    assert (warning.level, warning.code) == (Level.WARNING, "AG111")
    assert "'itemz'" in warning.message and "'items'" in warning.hint
    assert warning.span.file == "--source itemz"


def test_an_override_naming_a_missing_file_is_an_error_at_the_url(tmp_path: Path) -> None:
    document = write_document(tmp_path, "./no-such-api.yaml")
    missing = tmp_path / "missing.yaml"
    error = only_error(run(document, tmp_path / "cache", overrides={"items": missing}), "AG002")
    assert error.span.line == url_line(document)
    assert str(missing) in error.message and "--source" in error.hint


# --- options ------------------------------------------------------------------------


def test_the_default_cache_folder_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARAZZO_GEN_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert SourceOptions().cache_dir == tmp_path / "explicit"
    monkeypatch.delenv("ARAZZO_GEN_CACHE_DIR")
    assert SourceOptions().cache_dir == tmp_path / "xdg" / "arazzo-gen"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == Path.home() / ".cache" / "arazzo-gen"
    assert SourceOptions().folder == Path.home() / ".cache" / "arazzo-gen" / "sources"


def test_source_options_are_immutable_and_checked(tmp_path: Path) -> None:
    overrides = {"api": tmp_path / "api.yaml"}
    options = SourceOptions(cache_dir=tmp_path, overrides=overrides)
    overrides["other"] = tmp_path
    assert dict(options.overrides) == {"api": tmp_path / "api.yaml"}
    with pytest.raises(TypeError):
        options.overrides["x"] = tmp_path  # type: ignore[index]
    with pytest.raises(ValueError, match="timeout"):
        SourceOptions(cache_dir=tmp_path, timeout=0)
    with pytest.raises(ValueError, match="max_bytes"):
        SourceOptions(cache_dir=tmp_path, max_bytes=0)


def test_parse_overrides_resolves_relative_paths_against_the_given_folder(tmp_path: Path) -> None:
    parsed = parse_overrides(["api=specs/api.yaml", f"other={tmp_path / 'o.yaml'}"], tmp_path)
    assert parsed == {"api": tmp_path / "specs" / "api.yaml", "other": tmp_path / "o.yaml"}
    for bad in ("api", "=x.yaml", "api="):
        with pytest.raises(ValueError, match="NAME=PATH"):
            parse_overrides([bad], tmp_path)
    with pytest.raises(ValueError, match="more than once"):
        parse_overrides(["api=a.yaml", "api=b.yaml"], tmp_path)


def test_urls_are_told_from_paths() -> None:
    assert is_url("https://example.test/api.yaml")
    assert is_url("file:///api.yaml")
    assert is_url("ftp:api.yaml")
    assert not is_url("./api.yaml")
    assert not is_url("specs/api.yaml")
    assert not is_url("C:\\specs\\api.yaml")  # a Windows drive, not a scheme


def test_cache_names_are_stable_readable_and_distinct() -> None:
    a = cache_name("https://example.test/v1/openapi.json")
    assert a == cache_name("https://example.test/v1/openapi.json")
    assert a.endswith("-openapi.json") and len(a.split("-", 1)[0]) == 32
    assert a != cache_name("https://example.test/v2/openapi.json")
    assert cache_name("https://example.test/").endswith("-document")
    assert "/" not in cache_name("https://example.test/a%2F..%2Fb?x=/../y")
