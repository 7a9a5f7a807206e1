"""Stored engine messages (N_ / NP_) are shown in the reader's language, plurals included."""

from __future__ import annotations

from contextlib import contextmanager

import flask_babel
import pytest

from core.i18n import translate
from tests.integration.test_translations import compiled_translations  # noqa: F401

pytestmark = pytest.mark.usefixtures("compiled_translations")

PAIR = ("%(count)d lacks %(detail)s", "%(count)d lack %(detail)s")


@contextmanager
def reading_in(app, language: str):
    """A request in `language`; the tests share an app context, where Babel keeps its choice."""
    with app.test_request_context(headers={"Accept-Language": language}):
        flask_babel.refresh()
        yield


@pytest.mark.parametrize(
    ("count", "english"), [(1, "1 lacks ISO 13485"), (37, "37 lack ISO 13485")]
)
def test_a_counted_pair_picks_singular_or_plural(app, count, english):
    with reading_in(app, "en"):
        assert translate(PAIR[0], {"count": count, "detail": "ISO 13485"}, PAIR[1]) == english
    with reading_in(app, "zh-CN"):
        assert translate(PAIR[0], {"count": count, "detail": "ISO 13485"}, PAIR[1]) == (
            f"{count} 项缺少 ISO 13485 认证"
        )


def test_a_message_with_parameters_is_filled_in(app):
    with reading_in(app, "zh-CN"):
        text = translate(
            "In %(city)s, about %(km)d km from the delivery city.", {"city": "苏州市", "km": 12}
        )
    assert text == "位于苏州市，距交货城市约 12 公里。"


def test_a_message_the_catalogue_does_not_know_stays_english(app):
    with reading_in(app, "zh-CN"):
        assert translate("Nobody wrote %(this)s", {"this": "that"}) == "Nobody wrote that"


def test_wrong_parameters_fall_back_to_the_english_text_instead_of_failing(app):
    with reading_in(app, "en"):
        assert translate("About %(km)d km", {"city": "x"}) == "About %(km)d km"
