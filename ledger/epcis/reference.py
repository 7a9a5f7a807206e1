"""The GS1 reference data validation reads: the EPCIS JSON Schema, the EPCIS and CBV contexts.

Everything is read once from a directory laid out as GS1 publishes it (`schema/`, `context/`) and
compiled into a `ReferenceData`: the JSON Schema validator, the context URLs we resolve offline,
the prefixes the EPCIS context declares, and the vocabularies (CBV, GS1 Web vocabulary) with the
fields of an event that take their terms. Term lists and field slots come from the GS1 files, not
from lists typed here, so a newer GS1 release is picked up by pointing at its directory.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import unquote

from jsonschema import exceptions as schema_exceptions
from jsonschema import validators
from jsonschema.protocols import Validator

from ledger.epcis.errors import EpcisReferenceUnavailable

SCHEMA_FILE: Final = "schema/EPCIS-JSON-Schema.json"
CONTEXT_DIRECTORY: Final = "context"
ROOT_CONTEXT_FILE: Final = "epcis-context-root.jsonld"
# The URLs under which GS1 publishes the EPCIS 2.0 context that `ROOT_CONTEXT_FILE` holds: the
# official examples use the first, the REST binding's examples the second (the GitHub location
# the context's own sub-contexts point to). We resolve these offline and never fetch anything.
EPCIS_CONTEXT_URLS: Final = (
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    "https://gs1.github.io/EPCIS/epcis-context.jsonld",
)
# Before CBV 2.0 gave every term a Web URI, the CBV 1.x vocabularies named terms by URN, e.g.
# `urn:epcglobal:cbv:bizstep:shipping` for `https://ref.gs1.org/cbv/BizStep-shipping`; the URN
# segment is the Web URI's vocabulary name in lower case.
CBV_URN_ROOT: Final = "urn:epcglobal:cbv:"
# What the messages call each vocabulary, by context file; a file GS1 adds is named by its stem.
VOCABULARY_NAMES: Final = {
    "cbv-context-bizstep": "business step",
    "cbv-context-disposition": "disposition",
    "cbv-context-biztransaction-type": "business transaction type",
    "cbv-context-sourcedest-type": "source/destination type",
    "cbv-context-error-reason": "error reason",
    "cbv-context-component": "sensor component",
    "gs1-context-measurement-type": "measurement type",
    "gs1-context-sensor-alert-type": "sensor alert type",
}
# JSON-LD 1.1: a term whose IRI ends with one of these may be used as a prefix (`prefix:name`).
GEN_DELIMS: Final = frozenset(":/?#[]@")
# Valid strings seen per subschema are remembered to skip re-validating them; bounded because
# the strings come from clients. Property names repeat in every event, values often do.
STRING_CACHE_SIZE: Final = 65_536


@dataclass(frozen=True)
class Vocabulary:
    """A controlled vocabulary (e.g. CBV business steps): its terms and the URIs that name them."""

    name: str
    terms: frozenset[str]
    web_namespace: str
    urn_namespace: str | None
    example: str

    def term_of(self, uri: str) -> str | None:
        """Return the term (known or not) a URI of this vocabulary names, or None for others."""
        for namespace in (
            self.web_namespace,
            _http_variant(self.web_namespace),
            self.urn_namespace,
        ):
            if namespace and uri.startswith(namespace):
                return uri[len(namespace) :]
        return None


@dataclass(frozen=True)
class VocabularySlot:
    """A field whose value is a vocabulary term, by its path of JSON-LD terms under an event.

    Arrays are transparent on the path, as JSON-LD containers are: `sourceList/type` is the `type`
    of every entry of `sourceList`.
    """

    path: tuple[str, ...]
    vocabulary: Vocabulary


@dataclass(frozen=True)
class ReferenceData:
    """The compiled reference data; build it with `load_reference`."""

    directory: Path
    schema_validator: Validator
    context_urls: frozenset[str]
    canonical_context_url: str
    epcis_prefixes: Mapping[str, str]
    vocabularies: Mapping[str, Vocabulary]
    slots: tuple[VocabularySlot, ...]
    cbv_roots: tuple[str, ...]


def load_reference(directory: str | Path) -> ReferenceData:
    """Read and compile the schema and contexts under `directory`.

    Raises:
        EpcisReferenceUnavailable: the directory, a file, or its content is missing or unusable.
    """
    root = Path(directory)
    if not root.is_dir():
        raise EpcisReferenceUnavailable(
            f"EPCIS reference directory {root} does not exist (setting EPCIS_REFERENCE_DIR); it "
            f"must hold GS1's {SCHEMA_FILE} and {CONTEXT_DIRECTORY}/*.jsonld"
        )
    schema = _read_json(root / SCHEMA_FILE)
    root_context = _read_json(root / CONTEXT_DIRECTORY / ROOT_CONTEXT_FILE).get("@context")
    if not isinstance(root_context, dict):
        raise EpcisReferenceUnavailable(f"{ROOT_CONTEXT_FILE} has no @context object")
    prefixes = declared_prefixes(root_context, {})
    vocabularies: dict[str, Vocabulary] = {}
    slots = []
    for path, url in _vocabulary_fields(root_context):
        stem = url.rsplit("/", 1)[-1].removesuffix(".jsonld")
        if stem not in vocabularies:
            vocabularies[stem] = _read_vocabulary(root / CONTEXT_DIRECTORY / f"{stem}.jsonld")
        slots.append(VocabularySlot(path, vocabularies[stem]))
    if not slots:
        raise EpcisReferenceUnavailable(f"{ROOT_CONTEXT_FILE} names no vocabulary contexts")
    cbv = prefixes.get("cbv")
    if cbv is None:
        raise EpcisReferenceUnavailable(f"{ROOT_CONTEXT_FILE} declares no cbv prefix")
    return ReferenceData(
        directory=root,
        schema_validator=compile_schema(schema),
        context_urls=frozenset(EPCIS_CONTEXT_URLS),
        canonical_context_url=EPCIS_CONTEXT_URLS[0],
        epcis_prefixes=prefixes,
        vocabularies=vocabularies,
        slots=tuple(slots),
        cbv_roots=tuple(root for root in (cbv, _http_variant(cbv), CBV_URN_ROOT) if root),
    )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise EpcisReferenceUnavailable(f"EPCIS reference file {path} is missing") from error
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise EpcisReferenceUnavailable(
            f"EPCIS reference file {path} is unreadable: {error}"
        ) from error
    if not isinstance(content, dict):
        raise EpcisReferenceUnavailable(f"EPCIS reference file {path} is not a JSON object")
    return content


def declared_prefixes(context: Mapping[str, Any], inherited: Mapping[str, str]) -> dict[str, str]:
    """Return `inherited` plus the prefixes an inline JSON-LD context object declares."""
    prefixes = dict(inherited)
    for term, definition in context.items():
        if term.startswith("@") or ":" in term:
            continue
        if isinstance(definition, str) and definition[-1:] in GEN_DELIMS:
            prefixes[term] = definition
        elif isinstance(definition, dict) and definition.get("@prefix") is True:
            iri = definition.get("@id")
            if isinstance(iri, str):
                prefixes[term] = iri
        elif definition is None:
            prefixes.pop(term, None)
    return prefixes


def _vocabulary_fields(
    context: Mapping[str, Any], path: tuple[str, ...] = (), inherited: str | None = None
) -> Iterator[tuple[tuple[str, ...], str]]:
    """Yield (path, vocabulary context URL) for every term typed `@vocab` with a scoped context.

    A term inherits the vocabulary of an enclosing scoped context when it has none of its own, as
    `persistentDisposition`'s `set` and `unset` inherit the disposition context.
    """
    for term, definition in context.items():
        if not isinstance(definition, dict) or term.startswith("@"):
            continue
        scoped = definition.get("@context")
        entries = scoped if isinstance(scoped, list) else [scoped]
        urls = [entry for entry in entries if isinstance(entry, str)]
        url = urls[0] if urls else inherited
        if definition.get("@type") == "@vocab" and url is not None:
            yield (*path, term), url
        for entry in entries:
            if isinstance(entry, dict):
                yield from _vocabulary_fields(entry, (*path, term), url)


def _read_vocabulary(path: Path) -> Vocabulary:
    context = _read_json(path).get("@context")
    if not isinstance(context, dict):
        raise EpcisReferenceUnavailable(f"{path} has no @context object")
    prefixes = declared_prefixes(context, {})
    namespaces = set()
    terms = set()
    for term, curie in context.items():
        if term.startswith("@") or term in prefixes or not isinstance(curie, str):
            continue
        iri = expand(curie, prefixes)
        if not iri.endswith(term):
            raise EpcisReferenceUnavailable(f"{path}: {term} names {iri}, not a term URI")
        namespaces.add(iri[: -len(term)])
        terms.add(term)
    if len(namespaces) != 1 or not terms:
        raise EpcisReferenceUnavailable(f"{path}: terms in {len(namespaces)} namespaces, not one")
    web_namespace = namespaces.pop()
    urn_namespace = None
    cbv = prefixes.get("cbv")
    if cbv is not None and web_namespace.startswith(cbv) and web_namespace.endswith("-"):
        urn_namespace = f"{CBV_URN_ROOT}{web_namespace[len(cbv) : -1].lower()}:"
    stem = path.name.removesuffix(".jsonld")
    return Vocabulary(
        name=VOCABULARY_NAMES.get(stem, stem),
        terms=frozenset(terms),
        web_namespace=web_namespace,
        urn_namespace=urn_namespace,
        example=min(terms),
    )


def expand(value: str, prefixes: Mapping[str, str]) -> str:
    """Expand a compact IRI (`prefix:name`) whose prefix is declared; return others unchanged."""
    prefix, colon, rest = value.partition(":")
    if colon and not rest.startswith("//") and prefix in prefixes:
        return prefixes[prefix] + rest
    return value


def _http_variant(namespace: str) -> str | None:
    return (
        "http://" + namespace.removeprefix("https://") if namespace.startswith("https://") else None
    )


# --- the JSON Schema -----------------------------------------------------------------------------


def compile_schema(schema: dict[str, Any]) -> Validator:
    """Return a validator for `schema` of the draft its `$schema` names, checking formats.

    The schema's internal `$ref`s are replaced by what they point to: the official schema follows
    some 65 refs per event, and resolving them took half of jsonschema's time. Refs that cannot
    be inlined (cycles, other documents, siblings) stay for jsonschema to resolve.

    Raises:
        EpcisReferenceUnavailable: the schema names no draft jsonschema knows, or is not valid.
    """
    if "$schema" not in schema:
        raise EpcisReferenceUnavailable("the EPCIS JSON Schema does not name its draft ($schema)")
    with warnings.catch_warnings():
        # jsonschema falls back to its latest draft, with a warning, for a $schema it does not know.
        warnings.simplefilter("error", DeprecationWarning)
        try:
            draft = validators.validator_for(schema)
        except DeprecationWarning as error:
            raise EpcisReferenceUnavailable(
                f"the EPCIS JSON Schema's draft {schema['$schema']} is not supported"
            ) from error
    try:
        draft.check_schema(schema)
    except schema_exceptions.SchemaError as error:
        raise EpcisReferenceUnavailable(
            f"the EPCIS JSON Schema is invalid: {error.message}"
        ) from error
    inlined = _Inliner(schema).inline(schema, ())
    return _caching_validator_class(draft)(inlined, format_checker=draft.FORMAT_CHECKER)


class _Inliner:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.done: dict[str, Any] = {}

    def inline(self, node: Any, stack: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [self.inline(item, stack) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and len(node) == 1 and ref.startswith("#/") and ref not in stack:
            if ref not in self.done:
                target = self._resolve(ref)
                # A subschema with its own $id changes the base URI of the refs inside it.
                if target is None or (isinstance(target, dict) and "$id" in target):
                    return node
                self.done[ref] = self.inline(target, (*stack, ref))
            return self.done[ref]
        return {
            key: value if key in ("enum", "const") else self.inline(value, stack)
            for key, value in node.items()
        }

    def _resolve(self, ref: str) -> Any:
        node: Any = self.schema
        for part in ref[2:].split("/"):
            part = unquote(part).replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node


class _BoundedSet(set[Any]):
    def remember(self, item: Any) -> None:
        if len(self) >= STRING_CACHE_SIZE:
            self.clear()
        self.add(item)


def _caching_validator_class(draft: type[Validator]) -> type[Validator]:
    """Extend `draft` so that strings once found valid against a subschema are not checked again.

    Sound because validating a string against a fixed (ref-free) subschema is a pure function of
    the two; only valid outcomes are remembered, so errors are always computed and reported.
    """
    valid: _BoundedSet = _BoundedSet()
    original_items = draft.VALIDATORS["items"]

    def descend(validator: Any, value: Any, subschema: Any, path: Any, schema_path: Any) -> Any:
        if type(value) is not str:
            yield from validator.descend(value, subschema, path=path, schema_path=schema_path)
            return
        key = (id(subschema), value)
        if key in valid:
            return
        errors = list(validator.descend(value, subschema, path=path, schema_path=schema_path))
        if errors:
            yield from errors
        else:
            valid.remember(key)

    def properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Any:
        if not validator.is_type(instance, "object"):
            return
        for name, subschema in properties.items():
            if name in instance:
                yield from descend(validator, instance[name], subschema, name, name)

    def items(validator: Any, items: Any, instance: Any, schema: Any) -> Any:
        if not isinstance(items, dict) or not validator.is_type(instance, "array"):
            yield from original_items(validator, items, instance, schema)
            return
        for index, item in enumerate(instance):
            yield from descend(validator, item, items, index, None)

    def property_names(validator: Any, property_names: Any, instance: Any, schema: Any) -> Any:
        if not validator.is_type(instance, "object"):
            return
        for name in instance:
            yield from descend(validator, name, property_names, None, None)

    return validators.extend(
        draft, {"properties": properties, "items": items, "propertyNames": property_names}
    )
