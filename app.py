"""ShareFab's application factory."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from config import PROJECT_ROOT, load_config


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: settings, extensions, blueprints, error handlers and CLI commands."""
    settings = load_config((config or {}).get("ENV_NAME"))
    settings.update(config or {})
    app = Flask(__name__, instance_path=str(settings["INSTANCE_PATH"]), root_path=str(PROJECT_ROOT))
    app.config.from_mapping(settings)
    app.config["INSTANCE_PATH"].mkdir(parents=True, exist_ok=True)
    _configure_logging()

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _keep_recursion_limit(app)
    return app


# Python's default. py_ecc and py-evm (the in-process EVM) raise the limit to 100,000 when they
# are imported; with it, parsing a request body of deeply nested JSON overflows the C stack and
# kills the worker instead of raising RecursionError (answered as invalid JSON, 400).
RECURSION_LIMIT = 1000


def _keep_recursion_limit(app: Flask) -> None:
    import sys

    def restore() -> None:
        if sys.getrecursionlimit() > RECURSION_LIMIT:
            sys.setrecursionlimit(RECURSION_LIMIT)

    restore()
    # The EVM may be imported later (on first use of the embedded chain): check before each
    # request, which costs a function call.
    app.before_request(restore)


def _configure_logging() -> None:
    """Our own modules log at INFO; libraries only warnings (CLI output stays readable)."""
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for package in ("core", "marketplace", "matching", "finance", "ledger", "frontend"):
        logging.getLogger(package).setLevel(logging.INFO)


def _init_extensions(app: Flask) -> None:
    from flask_migrate import Migrate
    from flask_wtf.csrf import CSRFProtect

    from core import auth
    from core.celery_app import init_celery
    from core.db import db
    from core.i18n import init_i18n
    from core.security import init_security
    from core.storage import init_storage
    from marketplace import services as marketplace_services

    db.init_app(app)
    Migrate(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    CSRFProtect(app)
    auth.login_manager.init_app(app)
    auth.login_manager.user_loader(lambda user_id: marketplace_services.load_user(int(user_id)))
    auth.set_token_loader(marketplace_services.principal_for_token)
    init_i18n(app)
    init_security(app)
    init_celery(app)
    init_storage(app)


def _register_blueprints(app: Flask) -> None:
    from core.api import init_api
    from core.problem import register_error_handlers
    from frontend import init_frontend
    from ledger.api import epcis_api, ledger_api
    from ledger.services import set_order_directory
    from marketplace.api import accounts, operator
    from marketplace.matching_api import matching_api
    from marketplace.production_api import capacity_api, orders_api, packages_api, taxonomy_api
    from marketplace.services.orders import OrderParties

    api = init_api(app)
    api.register_blueprint(accounts)
    api.register_blueprint(operator)
    production = (taxonomy_api, capacity_api, orders_api, packages_api, matching_api)
    ledger = (epcis_api, ledger_api)
    for blueprint in (*production, *ledger):
        api.register_blueprint(blueprint)
    # The ledger imports no other context: the marketplace tells it who takes part in an order.
    set_order_directory(app, OrderParties())
    init_frontend(app)
    # API blueprints are authenticated by bearer token, never by cookie, so CSRF cannot apply.
    csrf = app.extensions["csrf"]
    for blueprint in (accounts, operator, *production, *ledger):
        csrf.exempt(blueprint)
    register_error_handlers(app)


def _register_cli(app: Flask) -> None:
    from core.cli import demo_cli, outbox_cli, register_seeder, serve_command
    from ledger.cli import ledger_cli
    from ledger.demo import seed_ledger
    from marketplace.cli import tokens_cli
    from matching.cli import matching_cli

    app.cli.add_command(serve_command)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(matching_cli)
    app.cli.add_command(ledger_cli)
    register_seeder("ledger", seed_ledger)  # after the marketplace's: it records their moves
