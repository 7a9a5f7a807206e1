"""Browser tests: the real server (gunicorn, migrated and seeded database) driven by Chromium.

The server runs as a subprocess exactly as in production, on a fresh database (PostgreSQL when
SHAREFAB_TEST_DATABASE_URL is set, else SQLite) seeded with the demo data. Chromium is Debian's
(/usr/bin/chromium, `make browser`); Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page, sync_playwright

from marketplace.demo_data import (
    DEMO_PASSWORD,
    FIXED_OWNER_EMAILS,
    DemoCompany,
    generate_demo_companies,
)
from tests.support import free_port, fresh_database

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = PROJECT_ROOT / "test-results"
CHROMIUM = Path("/usr/bin/chromium")
TRANSLATIONS = PROJECT_ROOT / "core" / "translations"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_SECONDS = 30
DEFAULT_TIMEOUT_MS = 10_000
DESKTOP = {"width": 1280, "height": 900}

E2E_DIR = Path(__file__).resolve().parent

SUPPLIER_EMAIL = FIXED_OWNER_EMAILS["supplier-001"]
BUYER_EMAIL = FIXED_OWNER_EMAILS["buyer-001"]
LENDER_EMAIL = FIXED_OWNER_EMAILS["lender-001"]


# --- Collection: every test here is e2e, and skipped only when there is no browser ------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: `make browser` installs Debian's chromium and CJK fonts"
    )
    for item in items:
        if E2E_DIR not in Path(item.path).parents:
            continue
        item.add_marker(pytest.mark.e2e)
        if not CHROMIUM.exists():
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> object:
    """Keep each phase's report on the item so fixtures can see whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def screenshot_path(name: str) -> Path:
    RESULTS_DIR.mkdir(exist_ok=True)
    return RESULTS_DIR / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


# --- Translations ---------------------------------------------------------------------------


def compile_translations() -> None:
    """Compile every catalogue whose .mo is missing or older than its .po (.mo is not committed).

    Like `make translations`, fuzzy entries are included. The .mo is written beside and renamed,
    so a server starting meanwhile never reads half a file.
    """
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        draft = mo_path.with_name(f"messages.{os.getpid()}.mo.tmp")
        with draft.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=True)
        draft.replace(mo_path)


@cache
def _chinese_catalog() -> dict[str, str]:
    # The directory is zh_Hans_CN (Babel's name for zh_CN); accept either spelling.
    (po_path,) = TRANSLATIONS.glob("zh*/LC_MESSAGES/messages.po")
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        message.id: message.string
        for message in catalog
        if isinstance(message.id, str) and isinstance(message.string, str) and message.id
    }


def zh(msgid: str) -> str:
    """The Chinese of `msgid` as messages.po has it; fails the test when it is not translated."""
    translation = _chinese_catalog().get(msgid)
    if not translation:
        pytest.fail(f"messages.po has no Chinese translation for {msgid!r}")
    return translation


@cache
def _chinese_plurals() -> dict[str, str]:
    (po_path,) = TRANSLATIONS.glob("zh*/LC_MESSAGES/messages.po")
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    return {
        message.id[0]: message.string[0]
        for message in catalog
        if isinstance(message.id, tuple) and message.string and message.string[0]
    }


def zh_plural(singular: str) -> str:
    """The Chinese of a plural message (Chinese has one form), found by its English singular."""
    translation = _chinese_plurals().get(singular)
    if not translation:
        pytest.fail(f"messages.po has no Chinese translation for {singular!r}")
    return translation


def page_text(page: Page) -> Callable[[str], str]:
    """How a fixed English text reads on `page`: its Chinese when the page is Chinese."""
    return zh if (page.locator("html").get_attribute("lang") or "").startswith("zh") else str


# --- The server -----------------------------------------------------------------------------


def _run_flask(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        command = " ".join(args)
        output = f"{result.stdout}\n{result.stderr}"
        raise RuntimeError(f"`flask {command}` failed ({result.returncode}):\n{output}")


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no answer within {SERVER_START_SECONDS}s:\n{log.read_text()}")


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real ShareFab server on a fresh, migrated database with the demo data."""
    compile_translations()
    instance = tmp_path_factory.mktemp("e2e-instance")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with fresh_database(instance) as database_url:
        # Only our settings: a developer's SHAREFAB_* variables must not leak into the server.
        env = {key: value for key, value in os.environ.items() if not key.startswith("SHAREFAB_")}
        env.update(
            SHAREFAB_ENV="embedded",
            SHAREFAB_INSTANCE_PATH=str(instance),
            SHAREFAB_DATABASE_URL=database_url,
            SHAREFAB_SECRET_KEY=secrets.token_hex(32),
            SHAREFAB_RATELIMIT_LOGIN="1000 per minute",
            SHAREFAB_PUBLIC_BASE_URL=url,
            PYTHONUNBUFFERED="1",
        )
        _run_flask(["db", "upgrade"], env)
        _run_flask(["demo", "seed"], env)
        log = instance / "server.log"
        with log.open("wb") as log_handle:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--workers",
                    "2",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--timeout",
                    "120",
                    "app:create_app()",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log_handle,
                stderr=subprocess.STDOUT,
            )
        try:
            _wait_until_serving(url, server, log)
            yield url
        finally:
            _stop(server)


# --- The browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (`make browser` installs it)")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Exception:
        playwright.stop()
        raise
    yield chromium
    chromium.close()
    playwright.stop()


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Open a page in a fresh browser context (own cookies): `new_page(locale="zh-CN")`.

    The locale sets the browser's Accept-Language. When the test fails, every page still open is
    saved to test-results/<test name>.png (then -2, -3 ... for further pages).
    """
    contexts = []

    def make(locale: str = "en-US", viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(
            base_url=base_url,
            locale=locale,
            viewport=viewport or DESKTOP,
            timezone_id="Asia/Shanghai",
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make

    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    if failed:
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            suffix = "" if number == 1 else f"-{number}"
            try:
                path = screenshot_path(request.node.name + suffix)
                page.screenshot(path=str(path), full_page=True)
            except Exception as error:  # a crashed page must not hide the test's own failure
                print(f"could not save a screenshot of {page.url}: {error}")
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A page in an English (en-US) browser."""
    return new_page()


# --- Helpers the tests share ----------------------------------------------------------------


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the form and wait for the dashboard."""
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


@cache
def demo_company(key: str) -> DemoCompany:
    """The seeded demo company with this key, e.g. "supplier-001"."""
    return next(company for company in generate_demo_companies() if company.key == key)
