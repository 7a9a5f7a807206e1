"""Companies (the tenants), their users, invitations, API tokens and certifications."""

from __future__ import annotations

from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth import Scope
from core.db import Base, StrEnumType, UTCDateTime, utcnow
from marketplace.domain import (
    CertificationStandard,
    CompanyRole,
    Language,
    MembershipRole,
    VerificationDecision,
)


class Company(Base):
    __tablename__ = "company"
    __table_args__ = (UniqueConstraint("country", "registration_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    registration_number: Mapped[str] = mapped_column(String(64))
    province: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    role_rows: Mapped[list[CompanyRoleAssignment]] = relationship(
        back_populates="company",
        cascade="all, delete-orphan",
        order_by="CompanyRoleAssignment.role",
    )
    certifications: Mapped[list[Certification]] = relationship(
        back_populates="company", cascade="all, delete-orphan", order_by="Certification.standard"
    )
    users: Mapped[list[User]] = relationship(back_populates="company", order_by="User.id")

    @property
    def roles(self) -> list[CompanyRole]:
        return [row.role for row in self.role_rows]

    def set_roles(self, roles: set[CompanyRole]) -> None:
        current = {row.role: row for row in self.role_rows}
        for role, row in current.items():
            if role not in roles:
                self.role_rows.remove(row)
        for role in sorted(roles - set(current)):
            self.role_rows.append(CompanyRoleAssignment(role=role))

    def has_role(self, role: CompanyRole) -> bool:
        return any(row.role == role for row in self.role_rows)


class CompanyRoleAssignment(Base):
    """A role a company plays on the platform; one company may play several."""

    __tablename__ = "company_role"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[CompanyRole] = mapped_column(StrEnumType(CompanyRole), primary_key=True)

    company: Mapped[Company] = relationship(back_populates="role_rows")


class Certification(Base):
    __tablename__ = "certification"
    __table_args__ = (UniqueConstraint("company_id", "standard"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    standard: Mapped[CertificationStandard] = mapped_column(StrEnumType(CertificationStandard, 40))
    certificate_number: Mapped[str] = mapped_column(String(100), default="")
    issued_by: Mapped[str] = mapped_column(String(200), default="")
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    company: Mapped[Company] = relationship(back_populates="certifications")

    def is_valid_on(self, day: date) -> bool:
        return day <= self.valid_until


class CompanyVerificationEvent(Base):
    """History of an operator's verification decisions about a company."""

    __tablename__ = "company_verification_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[VerificationDecision] = mapped_column(StrEnumType(VerificationDecision))
    note: Mapped[str] = mapped_column(String(500), default="")
    operator_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(UserMixin, Base):
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(
            "(company_id IS NULL AND membership_role IS NULL) OR "
            "(company_id IS NOT NULL AND membership_role IS NOT NULL)",
            name="membership_complete",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(100))
    preferred_language: Mapped[Language] = mapped_column(
        StrEnumType(Language, 10), default=Language.ENGLISH
    )
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    company_id: Mapped[int | None] = mapped_column(ForeignKey("company.id"), index=True)
    membership_role: Mapped[MembershipRole | None] = mapped_column(StrEnumType(MembershipRole))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company | None] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses sessions of deactivated users
        return self.active

    @property
    def is_owner(self) -> bool:
        return self.membership_role == MembershipRole.OWNER


class Invitation(Base):
    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    # The invitation link is signed with the app secret over (id, nonce): the database never
    # holds a usable link, yet the mail task can rebuild it from the row.
    nonce: Mapped[str] = mapped_column(String(32), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship()

    def is_open(self, now: datetime) -> bool:
        return self.accepted_at is None and self.revoked_at is None and now < self.expires_at

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.revoked_at is not None:
            return "revoked"
        if utcnow() >= self.expires_at:
            return "expired"
        return "open"


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[Scope] = mapped_column(StrEnumType(Scope, 10))
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the token, so an owner can tell tokens apart without the secret.
    hint: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
