"""Page views, grouped by journey."""

from __future__ import annotations

from flask import Blueprint


def register_views(blueprint: Blueprint) -> None:
    from frontend.views import (
        account,
        auth,
        buyer,
        company,
        ledger,
        matching,
        operator,
        packages,
        pages,
        production_common,
        supplier,
    )

    for module in (
        pages,
        auth,
        company,
        account,
        operator,
        production_common,
        supplier,
        buyer,
        packages,
        matching,
        ledger,
    ):
        module.register(blueprint)
