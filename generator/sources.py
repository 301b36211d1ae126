"""Source documents: local overrides, and documents fetched over http(s).

Both apply to OpenAPI sources and to sources of type arazzo alike (see
`generator.build.Project`, which also names a fetched Arazzo document's package).

Overrides (`SourceOptions.overrides`, `--source NAME=PATH`) come first: a source
description with an overridden name is loaded from that local file whatever its
url says. A name no document declares is warning AG111.

Otherwise a `sourceDescriptions[].url` may be an `http` or `https` URL. Such a
document is fetched once per run into the cache folder and then read from there
by the ordinary `Loader` machinery, so every later stage sees a `Document` with
line and column marks. Its `display` (the file name diagnostics show, and the key
of its text for shown source lines) is the URL as written, never the cache path,
so nothing a person sees, and nothing generated, depends on where the cache is.

Cache layout, under `<cache_dir>/sources/` (`cache_dir` is shared with the other
caches of `generator.cache`):

    <sha256 of the URL, 32 hex digits>-<last URL path segment>      the body as fetched
    <sha256 of the URL, 32 hex digits>-<last URL path segment>.url  the URL, then the
                                                                    redirect target if any

Both are written atomically (a temporary file, then a rename). Without `offline`
every URL a run needs is fetched again (at most once per run), so a run always
sees the current document; with `offline` only the cache is read.

Relative `$ref`s inside a fetched document resolve against the URL it was
retrieved from (after redirects; RFC 3986 via `urllib.parse.urljoin`) and are
fetched the same way; an absolute http(s) `$ref` in a local document is fetched
too. A fetched document can never name a local file: a `file:` `$ref` in it is
rejected like any other URL that is not http(s).

Diagnostics:
  AG109 a url whose scheme is neither http nor https (or, without SourceOptions,
        any remote url);
  AG111 (warning) an override naming a source description no document declares;
  AG112 a document that cannot be fetched or stored (network, HTTP status,
        timeout, size, not UTF-8, redirect to a non-http URL, unwritable cache);
  AG113 `offline` and the URL is not in the cache.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any
from urllib.parse import urldefrag, urljoin, urlsplit

from generator.cache import default_cache_dir
from generator.diagnostics import Span, display_path
from generator.load import Document, Loader, LoadError, join_pointer, resolved

#: Schemes that are fetched; any other URL is an error.
FETCHED_SCHEMES = ("http", "https")
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 20 * 2**20

#: A URI scheme of at least two characters (one letter would be a Windows drive).
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 64 * 1024
_USER_AGENT = "arazzo-gen (OpenAPI source fetch)"
_ACCEPT = "application/yaml, application/json, text/yaml, text/plain;q=0.8, */*;q=0.5"


@dataclass(frozen=True)
class SourceOptions:
    """How source descriptions are found: overrides, the cache, the network.

    `overrides` maps a source description name to a local file that is loaded
    instead of whatever url the documents give (`--source NAME=PATH`); relative
    paths resolve against the current directory. `timeout` bounds connecting,
    every read and the whole download, in seconds; `max_bytes` bounds a body.
    """

    #: `$ARAZZO_GEN_CACHE_DIR`, else `$XDG_CACHE_HOME/arazzo-gen`, else `~/.cache/arazzo-gen`.
    cache_dir: Path = field(default_factory=default_cache_dir)
    offline: bool = False
    overrides: Mapping[str, Path] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    #: Folders besides the usual ones whose files documents may reference (`--allow-dir`).
    allowed_dirs: tuple[Path, ...] = ()

    def __post_init__(self) -> None:
        if not self.timeout > 0:
            raise ValueError(f"timeout must be positive, not {self.timeout!r}")
        if self.max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, not {self.max_bytes!r}")
        frozen = MappingProxyType({name: Path(path) for name, path in self.overrides.items()})
        object.__setattr__(self, "overrides", frozen)
        object.__setattr__(self, "cache_dir", Path(self.cache_dir))

    @property
    def folder(self) -> Path:
        """Where fetched documents are kept: the `sources` folder of the cache."""
        return self.cache_dir / "sources"


def parse_overrides(values: Iterable[str], cwd: Path | None = None) -> dict[str, Path]:
    """`--source NAME=PATH` values as a mapping; relative paths resolve against `cwd`.

    Raises ValueError (with a message fit for the command line) for a value
    without `=`, an empty name or path, or a name given twice.
    """
    base = Path.cwd() if cwd is None else cwd
    overrides: dict[str, Path] = {}
    for value in values:
        name, sep, path = value.partition("=")
        name = name.strip()
        if not sep or not name or not path:
            raise ValueError(f"expected NAME=PATH, got {value!r}")
        if name in overrides:
            raise ValueError(f"source {name!r} is given more than once")
        overrides[name] = base / Path(path).expanduser()
    return overrides


def is_url(reference: str) -> bool:
    """Whether a source url or `$ref` file part is an absolute URL (has a scheme)."""
    return "://" in reference or _SCHEME.match(reference) is not None


def cache_name(url: str) -> str:
    """The cache file name of a URL: a sha256 of it plus its last path segment."""
    digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    segment = urlsplit(url).path.rstrip("/").rpartition("/")[2]
    readable = _UNSAFE_NAME.sub("_", segment).strip("._")[-64:] or "document"
    return f"{digest}-{readable}"


class SourceError(Exception):
    """Why a URL could not be turned into a cached file: a diagnostic to report."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint


@dataclass
class SourceLoader(Loader):
    """A `Loader` that also loads documents by http(s) URL, through the cache.

    Each URL is fetched at most once per loader (one per run) however many
    documents or `$ref`s name it; a failure is remembered and reported again at
    every place that names the URL.
    """

    options: SourceOptions = field(default_factory=SourceOptions)
    urls: dict[Path, str] = field(default_factory=dict)  # cached file -> its URL
    bases: dict[Path, str] = field(default_factory=dict)  # cached file -> URL after redirects
    fetched: dict[str, Path | SourceError] = field(default_factory=dict)

    def load(self, path: Path, via: Span | None = None) -> Document | None:
        key = resolved(path)
        url = self.urls.get(key) if key is not None else None
        if url is not None:
            return self.load_url(url, via)
        return super().load(path, via)

    def load_url(self, url: str, via: Span | None = None) -> Document | None:
        """The document at `url`, or None after reporting why (at `via`, else the URL)."""
        url = urldefrag(url).url
        if url not in self.fetched:
            try:
                self.fetched[url] = self._fetch(url)
            except SourceError as exc:
                self.fetched[url] = exc
        found = self.fetched[url]
        if isinstance(found, SourceError):
            where = via if via is not None else Span(url)
            self.diagnostics.error(found.code, where, found.message, found.hint)
            return None
        key = found.resolve()
        self.urls[key] = url
        if key not in self.cache:
            read = self._read(key)
            text = self.texts.pop(display_path(key, self.root), None)
            if text is not None:  # shown lines are looked up by display name: the URL
                self.texts[url] = text
            self.cache[key] = replace(read, display=url) if isinstance(read, Document) else read
        loaded = self.cache[key]
        if isinstance(loaded, LoadError):
            self.diagnostics.error(
                "AG001",
                Span(url, loaded.line, loaded.col),
                f"cannot load document: {loaded.message}",
                "the document at this URL is not valid YAML or JSON; "
                "use --source NAME=PATH to load a fixed local copy",
            )
            return None
        return loaded

    def url_of(self, doc: Document) -> str | None:
        """The URL a document was fetched from; None for a local file."""
        return self.urls.get(doc.path.resolve())

    def ref_url(self, doc: Document, file_part: str) -> str | None:
        """The URL a `$ref`'s file part names from `doc`; None when it names a local file.

        In a fetched document every reference is a URL, joined to the URL the
        document was retrieved from (after redirects, per RFC 3986); in a local
        document only an absolute http(s) URL is.
        """
        base = self._base(doc)
        if base is not None:
            return urljoin(base, file_part)
        fetched = urlsplit(file_part).scheme.lower() in FETCHED_SCHEMES
        return file_part if fetched else None  # anything else: a local path, as before

    def base_uri(self, doc: Document) -> str:
        """The base URI `$ref`s in `doc` resolve against (for the OpenAPI validator)."""
        return self._base(doc) or doc.path.as_uri()

    def _base(self, doc: Document) -> str | None:
        key = doc.path.resolve()
        return self.bases.get(key) or self.urls.get(key)

    def ref_handlers(self, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """openapi-spec-validator retrieval handlers: http(s) through this loader."""

        def retrieve(uri: str) -> Any:
            loaded = self.load_url(uri)
            if loaded is None:
                raise LookupError(f"cannot load {uri}")
            return loaded.data

        return {**defaults, **dict.fromkeys(FETCHED_SCHEMES, retrieve)}

    def fetch_refs(self, doc: Document) -> bool:
        """Fetch every URL `doc` names in a `$ref`, and theirs in turn; False on a failure.

        Run before a document is validated, so a reference that cannot be fetched
        is reported at the `$ref` that names it (once per URL).
        """
        ok = True
        tried: set[str] = set()
        pending, seen = [doc], {doc.path}
        while pending:
            current = pending.pop()
            for pointer, ref in _refs(current.data, ""):
                file_part = ref.partition("#")[0]
                url = self.ref_url(current, file_part) if file_part else None
                if url is None or urldefrag(url).url in tried:
                    continue
                tried.add(urldefrag(url).url)
                target = self.load_url(url, current.span(join_pointer(pointer, "$ref")))
                if target is None:
                    ok = False
                elif target.path not in seen:
                    seen.add(target.path)
                    pending.append(target)
        return ok

    def _fetch(self, url: str) -> Path:
        """The cached file for `url`, fetched now unless offline; raises SourceError."""
        scheme = urlsplit(url).scheme.lower()
        if scheme not in FETCHED_SCHEMES:
            raise SourceError(
                "AG109",
                f"url {url!r} has scheme {scheme!r}; only http and https urls are fetched",
                "use a relative path for a local file, or --source NAME=PATH",
            )
        path = self.options.folder / cache_name(url)
        if self.options.offline:
            if path.is_file():
                self.bases[path.resolve()] = _stored_base(path, url)
                return path
            raise SourceError(
                "AG113",
                f"{url} is not in the cache and offline mode does not fetch",
                "run once without --offline to fill the cache, "
                "or use --source NAME=PATH to load a local copy",
            )
        try:
            body, final_url = fetch(url, self.options.timeout, self.options.max_bytes)
        except FetchError as exc:
            hint = "check the url and the network, or use --source NAME=PATH for a local copy"
            if path.is_file():
                hint += "; a copy fetched earlier is cached: --offline uses it"
            raise SourceError("AG112", f"cannot fetch {url}: {exc}", hint) from None
        try:
            store(path, url, body, final_url)
        except OSError as exc:
            raise SourceError(
                "AG112",
                f"cannot store {url} in the cache folder {path.parent}: {exc.strerror or exc}",
                "set --cache-dir or ARAZZO_GEN_CACHE_DIR to a writable folder",
            ) from None
        self.bases[path.resolve()] = final_url
        return path


def _stored_base(path: Path, url: str) -> str:
    """The URL a cached document was retrieved from (its sidecar's second line)."""
    try:
        lines = _sidecar(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return url
    return lines[1] if len(lines) > 1 and lines[0] == url and is_url(lines[1]) else url


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".url")


def _refs(value: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """(pointer of the object, its `$ref`) for every string `$ref`, in document order."""
    stack = [(value, pointer)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                yield where, ref
            children = [(child, join_pointer(where, key)) for key, child in node.items()]
        elif isinstance(node, list):
            children = [(child, join_pointer(where, i)) for i, child in enumerate(node)]
        else:
            continue
        stack.extend(reversed(children))


# --- fetching and storing ---------------------------------------------------------


class FetchError(Exception):
    """A URL could not be fetched; the message says why, for a person."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but only to other http(s) URLs."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in FETCHED_SCHEMES:
            fp.close()
            raise FetchError(f"the server redirects to {newurl!r}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch(
    url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[bytes, str]:
    """The body of a successful (2xx) GET of an http(s) URL, and the URL it came from
    after redirects; raises FetchError.

    The body must be UTF-8 text of at most `max_bytes` bytes, and arrive within
    `timeout` seconds.
    """
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT, "Accept": _ACCEPT})
    open_url = urllib.request.build_opener(_HttpOnlyRedirects).open
    deadline = time.monotonic() + timeout
    try:
        with open_url(request, timeout=timeout) as response:
            status = getattr(response, "status", 200)
            if not 200 <= status < 300:
                raise FetchError(f"the server answered HTTP {status} {response.reason}".rstrip())
            body = _read_body(response, max_bytes, deadline, timeout)
            final_url = str(response.geturl() or url)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        exc.close()
        raise FetchError(f"the server answered HTTP {exc.code} {exc.reason}".rstrip()) from None
    except urllib.error.URLError as exc:
        reason = _reason(exc.reason, timeout)
        if isinstance(exc.reason, OSError) and not isinstance(exc.reason, TimeoutError):
            reason = f"cannot connect: {reason}"
        raise FetchError(reason) from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(_reason(exc, timeout)) from None
    try:
        body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise FetchError(f"the response is not UTF-8 text (line {line})") from None
    return body, final_url


def _read_body(response: Any, max_bytes: int, deadline: float, timeout: float) -> bytes:
    too_big = f"the response is larger than {_size(max_bytes)}"
    length = response.headers.get("Content-Length", "")
    if length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(too_big)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(too_big)
        if time.monotonic() > deadline:
            raise FetchError(f"timed out after {timeout:g}s")
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(exc: object, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP response ({type(exc).__name__}{': ' + str(exc) if str(exc) else ''})"
    return str(exc) or type(exc).__name__


def _size(count: int) -> str:
    return f"{count // 2**20} MiB" if count % 2**20 == 0 else f"{count} bytes"


def store(path: Path, url: str, body: bytes, final_url: str | None = None) -> None:
    """Write `body` to `path`, and the URL (then the redirect target, if any) to the
    sidecar `path.url`, each atomically; raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [url] if final_url in (None, url) else [url, str(final_url)]
    _write_atomically(_sidecar(path), "".join(f"{line}\n" for line in lines).encode("utf-8"))
    _write_atomically(path, body)


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
