"""Stored matches: the ranking of capacity for each open order, recomputed when things change."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, UTCDateTime, utcnow

MONEY = Numeric(18, 4)


class MatchRun(Base):
    """The latest matching of one order: what was considered, what was excluded and why."""

    __tablename__ = "match_run"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    considered: Mapped[int] = mapped_column(Integer)
    feasible: Mapped[int] = mapped_column(Integer)
    # [{"reason": ..., "detail": ..., "count": ...}], most frequent first
    exclusions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # {"shares": [{"listing_id", "company_id", "quantity", "unit_price"}], "total_cost",
    #  "currency", "optimal"} or None when the candidates cannot cover the order
    proposal: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    candidates: Mapped[list[MatchCandidate]] = relationship(
        cascade="all, delete-orphan", order_by="MatchCandidate.rank"
    )


class MatchCandidate(Base):
    """One ranked capacity listing for an order, with its explanation."""

    __tablename__ = "match_candidate"
    __table_args__ = (
        UniqueConstraint("order_id", "listing_id"),
        # A supplier's recommended orders: its best matches first.
        Index("ix_match_candidate_company_score", "company_id", "score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("match_run.order_id", ondelete="CASCADE"), index=True
    )
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_listing.id", ondelete="CASCADE"), index=True
    )
    company_id: Mapped[int] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    max_quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    # [{"criterion", "score", "weight", "points", "message", "params"}]
    contributions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
