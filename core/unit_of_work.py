"""One transaction per use case: services open a unit of work and commit once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from core.db import DbSession, db


@contextmanager
def unit_of_work() -> Iterator[DbSession]:
    """Yield the request's session; commit when the block ends, roll back if it raises."""
    session = db.session
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
