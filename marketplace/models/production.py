"""Machines, capacity listings, orders (RFQs), quotes, work packages, reviews and scorecards."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, StrEnumType, UTCDateTime, utcnow
from core.money import Currency, Money
from marketplace.capacity import WeeklyCalendar
from marketplace.lifecycle import (
    ListingStatus,
    MachineStatus,
    OrderStatus,
    PackageStatus,
    QuoteStatus,
)
from marketplace.production import RateUnit

MONEY = Numeric(18, 4)
HOURS = Numeric(10, 2)
MILLIMETRES = Numeric(10, 4)


class Machine(Base):
    __tablename__ = "machine"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    brand: Mapped[str] = mapped_column(String(80), default="")
    model: Mapped[str] = mapped_column(String(80), default="")
    year: Mapped[int | None] = mapped_column(SmallInteger)
    envelope_x_mm: Mapped[int] = mapped_column(Integer)
    envelope_y_mm: Mapped[int] = mapped_column(Integer)
    envelope_z_mm: Mapped[int] = mapped_column(Integer)
    tolerance_mm: Mapped[Decimal] = mapped_column(MILLIMETRES)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rate_amount: Mapped[Decimal] = mapped_column(MONEY)
    rate_currency: Mapped[Currency] = mapped_column(StrEnumType(Currency, 3))
    rate_unit: Mapped[RateUnit] = mapped_column(StrEnumType(RateUnit))
    status: Mapped[MachineStatus] = mapped_column(
        StrEnumType(MachineStatus), default=MachineStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    process_rows: Mapped[list[MachineProcess]] = relationship(
        cascade="all, delete-orphan", order_by="MachineProcess.process"
    )
    material_rows: Mapped[list[MachineMaterial]] = relationship(
        cascade="all, delete-orphan", order_by="MachineMaterial.material"
    )

    @property
    def processes(self) -> list[str]:
        return [row.process for row in self.process_rows]

    @property
    def materials(self) -> list[str]:
        return [row.material for row in self.material_rows]

    @property
    def rate(self) -> Money:
        return Money(self.rate_amount, self.rate_currency)


class MachineProcess(Base):
    __tablename__ = "machine_process"

    machine_id: Mapped[int] = mapped_column(
        ForeignKey("machine.id", ondelete="CASCADE"), primary_key=True
    )
    process: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class MachineMaterial(Base):
    __tablename__ = "machine_material"

    machine_id: Mapped[int] = mapped_column(
        ForeignKey("machine.id", ondelete="CASCADE"), primary_key=True
    )
    material: Mapped[str] = mapped_column(String(40), primary_key=True)


class CapacityListing(Base):
    __tablename__ = "capacity_listing"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="dates_ordered"),
        CheckConstraint("min_lot >= 1", name="min_lot_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    machine_id: Mapped[int | None] = mapped_column(ForeignKey("machine.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # Hours offered Monday..Sunday, as decimal strings (JSON has no decimals).
    weekday_hours: Mapped[list[str]] = mapped_column(JSON)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    price_amount: Mapped[Decimal] = mapped_column(MONEY)
    price_currency: Mapped[Currency] = mapped_column(StrEnumType(Currency, 3))
    price_unit: Mapped[RateUnit] = mapped_column(StrEnumType(RateUnit))
    min_lot: Mapped[int] = mapped_column(Integer, default=1)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[ListingStatus] = mapped_column(
        StrEnumType(ListingStatus), default=ListingStatus.ACTIVE, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    machine: Mapped[Machine | None] = relationship()
    process_rows: Mapped[list[ListingProcess]] = relationship(
        cascade="all, delete-orphan", order_by="ListingProcess.process"
    )
    material_rows: Mapped[list[ListingMaterial]] = relationship(
        cascade="all, delete-orphan", order_by="ListingMaterial.material"
    )
    exceptions: Mapped[list[ListingException]] = relationship(
        cascade="all, delete-orphan", order_by="ListingException.day"
    )
    bookings: Mapped[list[CapacityBooking]] = relationship(back_populates="listing")

    @property
    def processes(self) -> list[str]:
        return [row.process for row in self.process_rows]

    @property
    def materials(self) -> list[str]:
        return [row.material for row in self.material_rows]

    @property
    def price(self) -> Money:
        return Money(self.price_amount, self.price_currency)

    @property
    def calendar(self) -> WeeklyCalendar:
        return WeeklyCalendar(
            weekday_hours=tuple(Decimal(hours) for hours in self.weekday_hours),
            start=self.start_date,
            end=self.end_date,
            exceptions={row.day: row.hours for row in self.exceptions},
        )

    @property
    def hours_per_week(self) -> Decimal:
        return self.calendar.hours_per_week


class ListingProcess(Base):
    __tablename__ = "listing_process"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_listing.id", ondelete="CASCADE"), primary_key=True
    )
    process: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ListingMaterial(Base):
    __tablename__ = "listing_material"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_listing.id", ondelete="CASCADE"), primary_key=True
    )
    material: Mapped[str] = mapped_column(String(40), primary_key=True)


class ListingException(Base):
    """A day whose offered hours differ from the weekly pattern (holiday, maintenance, overtime)."""

    __tablename__ = "listing_exception"

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("capacity_listing.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    hours: Mapped[Decimal] = mapped_column(HOURS)
    note: Mapped[str] = mapped_column(String(200), default="")


class CapacityBooking(Base):
    """Hours of a listing taken by a work package; released when the package closes."""

    __tablename__ = "capacity_booking"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("capacity_listing.id"), index=True)
    work_package_id: Mapped[int] = mapped_column(ForeignKey("work_package.id"), unique=True)
    hours: Mapped[Decimal] = mapped_column(HOURS)
    due_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    listing: Mapped[CapacityListing] = relationship(back_populates="bookings")
    package: Mapped[WorkPackage] = relationship()

    @property
    def remaining_hours(self) -> Decimal:
        """Hours not yet worked, going by the supplier's last progress report."""
        done = Decimal(self.package.progress_pct) / 100
        return (self.hours * (1 - done)).quantize(Decimal("0.01"))


class Order(Base):
    """A buyer's request for quotation (RFQ) and, once awarded, the order it became."""

    __tablename__ = "orders"  # "order" is an SQL keyword
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("min_lot >= 1 AND min_lot <= quantity", name="min_lot_in_range"),
        # The open-orders listing: status filter, newest id first.
        Index("ix_orders_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    buyer_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    process: Mapped[str] = mapped_column(String(40), index=True)
    material: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[int] = mapped_column(Integer)
    tolerance_mm: Mapped[Decimal] = mapped_column(MILLIMETRES)
    part_x_mm: Mapped[int] = mapped_column(Integer)
    part_y_mm: Mapped[int] = mapped_column(Integer)
    part_z_mm: Mapped[int] = mapped_column(Integer)
    required_certifications: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_date: Mapped[date] = mapped_column(Date)
    target_unit_price: Mapped[Decimal | None] = mapped_column(MONEY)
    currency: Mapped[Currency] = mapped_column(StrEnumType(Currency, 3))
    delivery_province: Mapped[str] = mapped_column(String(100), default="")
    delivery_city: Mapped[str] = mapped_column(String(100))
    splittable: Mapped[bool] = mapped_column(Boolean, default=False)
    min_lot: Mapped[int] = mapped_column(Integer, default=1)
    # The buyer's estimate of machine-minutes per piece; matching guesses from the part otherwise.
    minutes_per_piece: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    # How the buyer weights cost, quality, speed and proximity when ranking suppliers.
    match_weights: Mapped[dict[str, float] | None] = mapped_column(JSON)
    status: Mapped[OrderStatus] = mapped_column(StrEnumType(OrderStatus), default=OrderStatus.DRAFT)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attachments: Mapped[list[OrderAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="OrderAttachment.id"
    )
    quotes: Mapped[list[Quote]] = relationship(back_populates="order", order_by="Quote.id")
    packages: Mapped[list[WorkPackage]] = relationship(
        back_populates="order", order_by="WorkPackage.id"
    )
    invitations: Mapped[list[QuoteInvitation]] = relationship(cascade="all, delete-orphan")

    @property
    def target_price(self) -> Money | None:
        if self.target_unit_price is None:
            return None
        return Money(self.target_unit_price, self.currency)


class OrderAttachment(Base):
    """A drawing or document of an order; the bytes live in file storage, not in the database."""

    __tablename__ = "order_attachment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QuoteInvitation(Base):
    """A buyer asked this supplier to quote: it may then see the order's drawings."""

    __tablename__ = "quote_invitation"
    __table_args__ = (UniqueConstraint("order_id", "supplier_company_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    supplier_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    # Set when the invitation came from a proposed split: the share the buyer has in mind.
    proposed_quantity: Mapped[int | None] = mapped_column(Integer)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Quote(Base):
    """A supplier's current offer on an order; earlier versions are kept as revisions."""

    __tablename__ = "quote"
    __table_args__ = (
        UniqueConstraint("order_id", "supplier_company_id"),
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("unit_price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    supplier_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("capacity_listing.id"))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[Currency] = mapped_column(StrEnumType(Currency, 3))
    quantity: Mapped[int] = mapped_column(Integer)
    machine_hours: Mapped[Decimal] = mapped_column(HOURS)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[QuoteStatus] = mapped_column(
        StrEnumType(QuoteStatus), default=QuoteStatus.SUBMITTED
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="quotes")
    listing: Mapped[CapacityListing] = relationship()
    revisions: Mapped[list[QuoteRevision]] = relationship(
        cascade="all, delete-orphan", order_by="QuoteRevision.revision"
    )

    @property
    def price(self) -> Money:
        return Money(self.unit_price, self.currency)

    def is_expired_on(self, day: date) -> bool:
        return self.valid_until < day


class QuoteRevision(Base):
    """The terms of a quote before it was revised."""

    __tablename__ = "quote_revision"
    __table_args__ = (UniqueConstraint("quote_id", "revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id", ondelete="CASCADE"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    listing_id: Mapped[int] = mapped_column(ForeignKey("capacity_listing.id"))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    quantity: Mapped[int] = mapped_column(Integer)
    machine_hours: Mapped[Decimal] = mapped_column(HOURS)
    lead_time_days: Mapped[int] = mapped_column(Integer)
    valid_until: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WorkPackage(Base):
    """The part of an awarded order one supplier makes."""

    __tablename__ = "work_package"
    __table_args__ = (
        CheckConstraint("quantity >= 1", name="quantity_positive"),
        CheckConstraint("progress_pct BETWEEN 0 AND 100", name="progress_in_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    supplier_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quote.id"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("capacity_listing.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    currency: Mapped[Currency] = mapped_column(StrEnumType(Currency, 3))
    due_date: Mapped[date] = mapped_column(Date)
    promised_date: Mapped[date] = mapped_column(Date)
    forecast_date: Mapped[date | None] = mapped_column(Date)
    progress_pct: Mapped[int] = mapped_column(SmallInteger, default=0)
    status: Mapped[PackageStatus] = mapped_column(
        StrEnumType(PackageStatus), default=PackageStatus.ACCEPTED, index=True
    )
    quality_passed: Mapped[bool | None] = mapped_column(Boolean)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship(back_populates="packages")
    milestones: Mapped[list[Milestone]] = relationship(
        cascade="all, delete-orphan", order_by="Milestone.id"
    )
    review: Mapped[Review | None] = relationship(back_populates="package")

    @property
    def total(self) -> Money:
        return Money(self.unit_price * self.quantity, self.currency)


class Milestone(Base):
    """A supplier's progress report on a package."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(
        ForeignKey("work_package.id", ondelete="CASCADE"), index=True
    )
    progress_pct: Mapped[int] = mapped_column(SmallInteger)
    forecast_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(1000), default="")
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    __tablename__ = "review"
    __table_args__ = (
        CheckConstraint("quality BETWEEN 1 AND 5", name="quality_range"),
        CheckConstraint("delivery BETWEEN 1 AND 5", name="delivery_range"),
        CheckConstraint("communication BETWEEN 1 AND 5", name="communication_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("work_package.id"), unique=True)
    supplier_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"), index=True)
    buyer_company_id: Mapped[int] = mapped_column(ForeignKey("company.id"))
    quality: Mapped[int] = mapped_column(SmallInteger)
    delivery: Mapped[int] = mapped_column(SmallInteger)
    communication: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    package: Mapped[WorkPackage] = relationship(back_populates="review")


class SupplierScorecard(Base):
    """A supplier's record, recomputed from its packages and reviews whenever they change."""

    __tablename__ = "supplier_scorecard"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), primary_key=True
    )
    completed_packages: Mapped[int] = mapped_column(Integer, default=0)
    delivered_packages: Mapped[int] = mapped_column(Integer, default=0)
    on_time_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    quality_acceptance_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    dispute_rate: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    average_rating: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    ratings_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatusChange(Base):
    """One row per status change of any marketplace state machine: who, when, from, to, why."""

    __tablename__ = "status_change"
    __table_args__ = (Index("ix_status_change_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[int] = mapped_column(Integer)
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str] = mapped_column(String(30))
    actor_role: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
