"""The zh_CN catalogue: complete, placeholder-safe, current with the code, served to browsers."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "core" / "translations"
ZH_PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
ZH_MO = ZH_PO.with_suffix(".mo")

# What `make extract-messages` scans, with the same extra keywords (-k _l -k N_ -k lazy_gettext).
SOURCE_DIRS = ("config", "core", "frontend", "marketplace", "matching", "finance", "ledger")
SOURCE_FILES = ("app.py",)
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None, "lazy_gettext": None}

# printf-style placeholders: named (%(num)d) and positional (%s); "%%" is a literal percent sign.
PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")

# The Chinese chosen for "Sign in" (the login page title, heading and button).
ZH_SIGN_IN = "登录"


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return _read(ZH_PO)


def _messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _singular(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple | list) else message.id


def _placeholders(text: str) -> set[str]:
    return {match for match in PLACEHOLDER.findall(text) if match != "%%"}


def test_header_is_chinese_with_one_plural_form(catalog: Catalog):
    headers = dict(catalog.mime_headers)
    # `pybabel update` writes the language as zh_Hans_CN; either spelling names the same locale.
    assert headers["Language"] in {"zh_CN", "zh_Hans_CN"}
    assert headers["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert not catalog.fuzzy


def test_every_message_is_translated(catalog: Catalog):
    messages = _messages(catalog)
    assert messages, "the zh_CN catalogue is empty"
    untranslated = [
        _singular(message)
        for message in messages
        if not message.string
        or (isinstance(message.string, tuple | list) and not all(message.string))
    ]
    assert not untranslated, "untranslated in zh_CN:\n" + "\n".join(untranslated)


def test_no_message_is_fuzzy(catalog: Catalog):
    fuzzy = [_singular(message) for message in _messages(catalog) if message.fuzzy]
    assert not fuzzy, "fuzzy in zh_CN:\n" + "\n".join(fuzzy)


def test_placeholders_are_kept(catalog: Catalog):
    problems = []
    for message in _messages(catalog):
        if isinstance(message.id, tuple | list):
            expected = _placeholders(message.id[1])
            translations = list(message.string)
        else:
            expected = _placeholders(message.id)
            translations = [message.string]
        for translation in translations:
            found = _placeholders(translation)
            if found != expected:
                problems.append(f"{_singular(message)!r}: expected {expected}, found {found}")
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def _extracted_messages() -> set[tuple[str, str | None]]:
    """(msgid, msgctxt) of every marked string in the code, found as `pybabel extract` finds it."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[tuple[str, str | None]] = set()

    def add(message: str | tuple[str, ...], context: str | None) -> None:
        found.add((message[0] if isinstance(message, tuple) else message, context))

    for directory in SOURCE_DIRS:
        path = ROOT / directory
        if not path.is_dir():
            continue
        for _filename, _lineno, message, _comments, context in extract_from_dir(
            str(path), method_map, options_map, keywords=KEYWORDS
        ):
            add(message, context)
    for filename in SOURCE_FILES:
        for _lineno, message, _comments, context in extract_from_file(
            "python", str(ROOT / filename), keywords=KEYWORDS
        ):
            add(message, context)
    return found


def test_catalogue_has_every_message_in_the_code(catalog: Catalog):
    extracted = _extracted_messages()
    assert any(msgid == "Sign in" for msgid, _context in extracted), (
        "extraction found nothing in the templates; is the jinja2 extractor available?"
    )
    missing = sorted(
        msgid for msgid, context in extracted if catalog.get(msgid, context=context) is None
    )
    assert not missing, (
        "not in the zh_CN catalogue (run `make extract-messages` and translate):\n"
        + "\n".join(repr(msgid) for msgid in missing)
    )


def _compile(po: Path, mo: Path) -> None:
    """Write `mo` from `po` atomically, so a concurrent reader never sees half a file."""
    catalog = _read(po)
    handle, temporary = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog)
        os.replace(temporary, mo)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@pytest.fixture(scope="session")
def compiled_translations(app: Flask) -> Iterator[None]:
    """Compile messages.mo when missing or older than messages.po (.mo files are not committed)."""
    if not ZH_MO.exists() or ZH_MO.stat().st_mtime < ZH_PO.stat().st_mtime:
        _compile(ZH_PO, ZH_MO)
        # Flask-Babel caches loaded catalogues per app; drop any loaded before the .mo existed.
        configuration = app.extensions.get("babel")
        domain = getattr(configuration, "domain_instance", None)
        cache = getattr(domain, "cache", None)
        if isinstance(cache, dict):
            cache.clear()
    yield


def test_compiled_catalogue_translates(compiled_translations: None):
    translations = Translations.load(str(TRANSLATIONS), ["zh_Hans_CN"])
    assert isinstance(translations, Translations), "zh_Hans_CN messages.mo was not found"
    assert translations.gettext("Sign in") == ZH_SIGN_IN
    assert translations.ngettext("%(num)d member", "%(num)d members", 3) == "%(num)d 名成员"


def test_login_page_is_served_in_chinese(app: Flask, compiled_translations: None):
    response = app.test_client().get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert ZH_SIGN_IN in html
    assert "Sign in" not in html
    assert '<html lang="zh-CN"' in html


def test_login_page_is_served_in_english(app: Flask, compiled_translations: None):
    response = app.test_client().get("/login", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Sign in" in html
    assert ZH_SIGN_IN not in html
