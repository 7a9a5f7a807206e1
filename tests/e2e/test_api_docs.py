"""The API reference page renders the OpenAPI document from local assets only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e


def test_api_reference_renders_every_route_without_other_hosts(page: Page, base_url: str) -> None:
    # Given a record of every request the page makes
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # When a visitor opens the API reference
    page.goto("/api/v1/docs")

    # Then Swagger UI lists the operations of the document
    expect(
        page.locator(".opblock-summary-path", has_text="/api/v1/companies/me").first
    ).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tokens").first).to_be_visible()
    # And nothing was fetched from anywhere but this server
    foreign = [
        url for url in requested if not url.startswith(base_url) and not url.startswith("data:")
    ]
    assert foreign == []
