"""Spec model: running openapi-spec-validator on an OpenAPI document, with its results
remembered and its cost bounded.

A document is validated whole (and the problems of a document seen before are
remembered by content hash), except one larger than `SCOPED_ABOVE` bytes: the
validator needs about 10 s per MB, so such a document is validated in scope, one
path item at a time, as steps come to call its operations. The scope of a path item
is the document without its other paths, components and webhooks, plus everything
the path item reaches through local `$ref`s (`scoped_data`). The problems found keep
their paths, which are the same in the whole document. Problems in parts no workflow
reads are then not looked for, so they are not listed (warning AG204 lists them for
smaller documents); problems in what the workflows read are reported as always.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from generator.cache import Memo, digest
from generator.diagnostics import Diagnostics
from generator.load import Document, Loader, split_pointer
from generator.sources import SourceLoader
from generator.spec.problems import Problem, validate

#: Documents larger than this (in bytes of text) are validated in scope.
SCOPED_ABOVE = 512 * 1024
_CACHE_VERSION = "4"


def validator_for(doc: Document, diagnostics: Diagnostics) -> type[Any] | None:
    """The validator class for the document's OpenAPI version; None (reported) when
    arazzo-gen does not read that version."""
    from openapi_spec_validator import (
        OpenAPIV30SpecValidator,
        OpenAPIV31SpecValidator,
        OpenAPIV32SpecValidator,
    )

    found_version: str = doc.data["openapi"]
    validators: dict[str, type[Any]] = {
        "3.0": OpenAPIV30SpecValidator,
        "3.1": OpenAPIV31SpecValidator,
        "3.2": OpenAPIV32SpecValidator,
    }
    validator = validators.get(found_version[:3])
    if validator is None:
        diagnostics.error(
            "AG201",
            doc.span("/openapi"),
            f"unsupported OpenAPI version {found_version!r}",
            "arazzo-gen reads OpenAPI 3.0, 3.1 and 3.2 documents",
        )
    return validator


def is_scoped(text: str | None) -> bool:
    """Whether a document of this text is validated in scope (see the module docstring)."""
    return text is not None and len(text) > SCOPED_ABOVE


@dataclass
class Validation:
    """openapi-spec-validator on one document: whole, or a path item's scope at a time
    (`problems`). Results are remembered when the document's text is known and it has
    no `$ref` to another document; both are found out once, not for each path item."""

    doc: Document
    validator: type[Any]
    loader: Loader
    text: str | None
    #: what the remembered results of this document are keyed by; None: not remembered
    _key: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.text is not None and not _has_external_refs(self.doc.data):
            tool = "openapi-spec-validator"
            self._key = digest(tool, version(tool), _CACHE_VERSION, self.text)

    def problems(self, path_item: str | None = None) -> list[Problem]:
        """The problems of the whole document, or (given `path_item`, a key of `paths`)
        of the scope of that path item."""
        memo = Memo.named("openapi-valid")
        key = digest(self._key, path_item or "") if self._key is not None else None
        if key is not None:
            remembered = _problems_from_json(memo.get(key))
            if remembered is not None:
                return remembered
        data = self.doc.data if path_item is None else scoped_data(self.doc.data, path_item)
        problems = _run_validator(self.doc, data, self.validator, self.loader)
        if key is not None:
            memo.put(key, json.dumps([p.as_json() for p in problems], ensure_ascii=False))
        return problems


def scoped_data(data: dict[str, Any], path_item: str) -> dict[str, Any]:
    """`data` with only one path item and what it reaches through local `$ref`s (the
    values are shared with `data`, not copied)."""
    scoped = {key: value for key, value in data.items() if key not in _SCOPED_OUT}
    paths = data.get("paths")
    start = paths.get(path_item) if isinstance(paths, dict) else None
    _graft(scoped, data, ["paths", path_item])
    seen: set[str] = set()
    stack = [start]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
                seen.add(ref)
                stack.append(_graft(scoped, data, split_pointer(unquote(ref[1:]))))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return scoped


#: Root fields a scope leaves out but for what its path item reaches.
_SCOPED_OUT = frozenset({"paths", "components", "webhooks"})


def _graft(scoped: dict[str, Any], data: Any, tokens: list[str]) -> Any:
    """Copy the node of `data` at `tokens` into `scoped`, making new dicts on the way
    there (a list on the way is taken whole). Returns the node; None if there is none."""
    into: Any = scoped
    node = data
    for index, token in enumerate(tokens):
        if into is node:  # taken whole already
            return None
        if not isinstance(node, dict) or token not in node:
            return None
        child = node[token]
        last = index == len(tokens) - 1 or not isinstance(child, dict)
        if last:
            into[token] = child
            return child
        existing = into.get(token)
        if not isinstance(existing, dict):
            existing = into[token] = {}
        into, node = existing, child
    return None


def _problems_from_json(text: str | None) -> list[Problem] | None:
    try:
        items = json.loads(text) if text is not None else None
    except ValueError:
        return None
    if not isinstance(items, list):
        return None
    problems = [Problem.from_json(item) for item in items]
    return [p for p in problems if p is not None] if None not in problems else None


def _has_external_refs(data: Any) -> bool:
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _run_validator(doc: Document, data: Any, validator: type[Any], loader: Loader) -> list[Problem]:
    from openapi_spec_validator.validation.validators import SpecValidator

    base_uri = doc.path.as_uri()
    if isinstance(loader, SourceLoader):  # $refs to http(s) URLs go through its cache
        base_uri = loader.base_uri(doc)
    retrieving = cast(
        "type[SpecValidator]",
        type(validator.__name__, (validator,), {"resolver_handlers": _Retrievers(loader)}),
    )
    return validate(retrieving, data, base_uri)


class _Retrievers(dict[str, Callable[[str], Any]]):
    """The validator's `$ref` retrieval handlers: every document goes through the loader.

    The validator's own handlers would read any file without a size limit (a
    `$ref` to `/dev/zero` or to a pipe never returns), build YAML alias bombs,
    and fetch any URL. Here a local file is read by the `Loader` (bounded, read
    once, problems reported at the file), an http(s) URL only by a
    `SourceLoader`, and every other scheme is refused. The mapping answers for
    every scheme, so the validator never falls back to `urllib`.
    """

    def __init__(self, loader: Loader) -> None:
        super().__init__(file=self._file)
        self.loader = loader
        if isinstance(loader, SourceLoader):
            self.update(loader.ref_handlers({}))

    def __contains__(self, scheme: object) -> bool:
        return True

    def __missing__(self, scheme: str) -> Callable[[str], Any]:
        return self._refuse

    def _file(self, uri: str) -> Any:
        parts = urlsplit(uri)
        if parts.netloc not in ("", "localhost"):
            self._refuse(uri)
        loaded = self.loader.load(Path(url2pathname(unquote(parts.path))))
        if loaded is None:  # reported by the loader
            raise LookupError(f"cannot load {uri}")
        return loaded.data

    @staticmethod
    def _refuse(uri: str) -> Any:
        raise LookupError(f"$ref {uri!r}: only local files and http(s) URLs are read")
