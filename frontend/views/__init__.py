"""Page views, grouped by journey."""

from __future__ import annotations

from flask import Blueprint


def register_views(blueprint: Blueprint) -> None:
    from frontend.views import account, auth, company, operator, pages

    for module in (pages, auth, company, account, operator):
        module.register(blueprint)
