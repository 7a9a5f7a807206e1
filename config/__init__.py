"""Settings classes. This package is the only place that reads the environment.

Every setting can be overridden by an environment variable named `SHAREFAB_<NAME>`; which class is
used is chosen by `SHAREFAB_ENV` (`embedded`, the default; `production`; `testing`).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SHAREFAB_"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return default if value is None else int(value)


def _external_reference_dir() -> Path:
    """Reference data nobody here wrote (GS1 schemas and contexts, test vectors), read in place.

    SHAREFAB_EXTERNAL_DIR if set; else the first `shared/external` beside the checkout or above it;
    else the workplace's `/work/shared/external` (a clean checkout elsewhere, as CI makes).
    """
    configured = _env("EXTERNAL_DIR")
    if configured:
        return Path(configured)
    candidates = [parent / "shared" / "external" for parent in PROJECT_ROOT.parents]
    candidates.append(Path("/work/shared/external"))
    return next((c for c in candidates if c.is_dir()), candidates[0])


class BaseConfig:
    """Settings every environment shares; subclasses change what differs."""

    ENV_NAME = "base"
    INSTANCE_PATH = Path(_env("INSTANCE_PATH") or PROJECT_ROOT / "instance")

    SECRET_KEY: str | None = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI: str | None = _env("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Celery: None means the embedded broker (kombu's SQLAlchemy transport on a SQLite file).
    BROKER_URL: str | None = _env("BROKER_URL")
    CELERY_TASK_ALWAYS_EAGER = False
    REDIS_URL: str | None = _env("REDIS_URL")
    RATELIMIT_STORAGE_URI: str | None = _env("RATELIMIT_STORAGE_URI")
    RATELIMIT_LOGIN = _env("RATELIMIT_LOGIN", "10 per minute;50 per hour")
    RATELIMIT_HEADERS_ENABLED = True

    # Outbox relay: how often an idle relay polls and how many rows it hands over at once.
    OUTBOX_POLL_SECONDS = float(_env("OUTBOX_POLL_SECONDS", "0.5") or 0.5)
    OUTBOX_BATCH_SIZE = _env_int("OUTBOX_BATCH_SIZE", 100)
    OUTBOX_RETENTION_DAYS = _env_int("OUTBOX_RETENTION_DAYS", 14)

    # Where uploaded drawings are kept (default: instance/uploads).
    UPLOAD_PATH: str | None = _env("UPLOAD_PATH")

    # Request bodies larger than this are refused with 413 before any view runs.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 1024 * 1024)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    SESSION_COOKIE_NAME = "sharefab_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session it is bound to

    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(PROJECT_ROOT / "core" / "translations")
    DEFAULT_USER_TIMEZONE = "Asia/Shanghai"

    # Outgoing mail (invitations). Unset means invitations are shared by link only.
    SMTP_URL: str | None = _env("SMTP_URL")
    MAIL_FROM = _env("MAIL_FROM", "ShareFab <no-reply@sharefab.cn>")
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    INVITATION_DAYS = _env_int("INVITATION_DAYS", 7)

    API_TITLE = "ShareFab API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_PAGE_SIZE_DEFAULT = 50
    API_PAGE_SIZE_MAX = 200

    # Ledger: a batch is sealed at LEDGER_BATCH_SIZE entries or when its oldest entry is
    # LEDGER_BATCH_SECONDS old, then anchored on the chain at LEDGER_CHAIN_RPC_URL (unset: an
    # in-process EVM with the contract deployed on first use) and confirmed after
    # LEDGER_CONFIRMATIONS blocks. LEDGER_CHAIN_PRIVATE_KEY signs (unset: the node's first account).
    LEDGER_BATCH_SIZE = _env_int("LEDGER_BATCH_SIZE", 1000)
    LEDGER_BATCH_SECONDS = _env_int("LEDGER_BATCH_SECONDS", 300)
    LEDGER_CONFIRMATIONS = _env_int("LEDGER_CONFIRMATIONS", 1)
    LEDGER_CHAIN_RPC_URL: str | None = _env("LEDGER_CHAIN_RPC_URL")
    LEDGER_CHAIN_PRIVATE_KEY: str | None = _env("LEDGER_CHAIN_PRIVATE_KEY")
    LEDGER_CONTRACT_ADDRESS: str | None = _env("LEDGER_CONTRACT_ADDRESS")
    LEDGER_CHAIN_TIMEOUT_SECONDS = float(_env("LEDGER_CHAIN_TIMEOUT_SECONDS", "10") or 10)
    # The official EPCIS 2.0 JSON Schema and JSON-LD contexts, read in place (never fetched).
    EXTERNAL_DIR = _external_reference_dir()
    EPCIS_REFERENCE_DIR = Path(_env("EPCIS_REFERENCE_DIR") or EXTERNAL_DIR / "gs1-epcis")
    EPCIS_MAX_DOCUMENT_BYTES = _env_int("EPCIS_MAX_DOCUMENT_BYTES", 16 * 1024 * 1024)

    # npm packages served as static assets; installed by `make setup` into node_modules.
    NODE_MODULES = PROJECT_ROOT / "node_modules"


class EmbeddedConfig(BaseConfig):
    """One command on a fresh machine: SQLite, embedded broker, in-process services."""

    ENV_NAME = "embedded"
    # Served over plain http on 127.0.0.1, where a Secure cookie would never be sent back.
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class ProductionConfig(BaseConfig):
    """Real deployments: every external service comes from the environment."""

    ENV_NAME = "production"


class TestingConfig(BaseConfig):
    """The test suite: its own database, no background processes unless a test starts them."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = _env("TEST_DATABASE_URL")
    BROKER_URL = _env("TEST_BROKER_URL")
    REDIS_URL = _env("TEST_REDIS_URL")
    RATELIMIT_STORAGE_URI = None
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PUBLIC_BASE_URL = "http://localhost"


CONFIGS: dict[str, type[BaseConfig]] = {
    "embedded": EmbeddedConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def load_config(name: str | None = None) -> dict:
    """Return the settings of the named environment (default: `SHAREFAB_ENV`, else embedded).

    Raises:
        RuntimeError: for an unknown environment or a production setup missing a secret.
    """
    name = name or _env("ENV", "embedded")
    if name not in CONFIGS:
        raise RuntimeError(f"unknown SHAREFAB_ENV {name!r}; expected one of {sorted(CONFIGS)}")
    cls = CONFIGS[name]
    settings = {key: getattr(cls, key) for key in dir(cls) if key.isupper()}
    instance = Path(settings["INSTANCE_PATH"])
    if settings["SQLALCHEMY_DATABASE_URI"] is None:
        if name == "production":
            raise RuntimeError("SHAREFAB_DATABASE_URL must be set in production")
        filename = "test.sqlite" if name == "testing" else "sharefab.sqlite"
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / filename}"
    if settings["BROKER_URL"] is None:
        if name == "production":
            raise RuntimeError("SHAREFAB_BROKER_URL must be set in production")
        settings["BROKER_URL"] = f"sqla+sqlite:///{instance / 'celery-broker.sqlite'}"
    if settings["RATELIMIT_STORAGE_URI"] is None:
        settings["RATELIMIT_STORAGE_URI"] = settings["REDIS_URL"] or "memory://"
    if settings["SECRET_KEY"] is None:
        if name == "production":
            raise RuntimeError("SHAREFAB_SECRET_KEY must be set in production")
        settings["SECRET_KEY"] = _instance_secret(instance)
    return settings


def _instance_secret(instance: Path) -> str:
    """Return a per-installation secret kept in the instance folder, creating it once."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a process starting at the same moment never reads a half file.
        draft = instance / f"secret_key.{os.getpid()}"
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(draft, path)  # fails if another process won the race; then use theirs
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()
