"""Settings come from SHAREFAB_ variables; production refuses to start without its services."""

import pytest

from config import load_config


def test_embedded_default_needs_no_services(tmp_path, monkeypatch):
    import config

    monkeypatch.setattr(config.EmbeddedConfig, "INSTANCE_PATH", tmp_path)
    monkeypatch.setattr(config.EmbeddedConfig, "SQLALCHEMY_DATABASE_URI", None)
    monkeypatch.setattr(config.EmbeddedConfig, "BROKER_URL", None)
    monkeypatch.setattr(config.EmbeddedConfig, "SECRET_KEY", None)
    settings = load_config("embedded")
    settings_instance = settings["INSTANCE_PATH"]
    assert (
        settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{settings_instance / 'sharefab.sqlite'}"
    )
    assert settings["BROKER_URL"].startswith("sqla+sqlite:///")
    assert settings["RATELIMIT_STORAGE_URI"] in ("memory://", settings["REDIS_URL"])
    # The generated secret is kept in the instance folder, readable only by its owner.
    secret_file = tmp_path / "secret_key"
    assert settings["SECRET_KEY"] == secret_file.read_text().strip()
    assert secret_file.stat().st_mode & 0o777 == 0o600
    assert load_config("embedded")["SECRET_KEY"] == settings["SECRET_KEY"]


def test_unknown_environment_is_refused():
    with pytest.raises(RuntimeError, match="unknown SHAREFAB_ENV"):
        load_config("staging")


def test_production_refuses_to_start_without_a_database(monkeypatch):
    import config

    monkeypatch.setattr(config.ProductionConfig, "SQLALCHEMY_DATABASE_URI", None)
    with pytest.raises(RuntimeError, match="SHAREFAB_DATABASE_URL"):
        load_config("production")
