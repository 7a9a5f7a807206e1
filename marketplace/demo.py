"""The accounts part of the demo data: companies, their users and the operator."""

from __future__ import annotations

import click
from sqlalchemy import insert, select

from core.auth import hash_password
from core.db import db, utcnow
from core.unit_of_work import unit_of_work
from marketplace.demo_data import DEMO_PASSWORD, OPERATOR_EMAIL, generate_demo_companies
from marketplace.domain import CertificationStandard, CompanyRole, Language, MembershipRole
from marketplace.models import Certification, Company, CompanyRoleAssignment, User


def seed_accounts() -> None:
    """Insert the demo companies, users and operator into an empty database.

    Raises:
        click.ClickException when companies already exist (seeding is for a fresh database).
    """
    if db.session.scalar(select(Company.id).limit(1)) is not None:
        raise click.ClickException("the database already has companies; seed a fresh database")
    # One argon2 hash for every demo user: hashing 500 passwords would take most of a minute.
    password_hash = hash_password(DEMO_PASSWORD)
    now = utcnow()
    with unit_of_work() as session:
        for demo in generate_demo_companies():
            company = Company(
                legal_name=demo.legal_name,
                country=demo.country,
                registration_number=demo.registration_number,
                province=demo.province,
                city=demo.city,
                address=demo.address,
                description=demo.description,
                verified=demo.verified,
                verified_at=now if demo.verified else None,
            )
            session.add(company)
            session.flush()
            session.execute(
                insert(CompanyRoleAssignment),
                [{"company_id": company.id, "role": CompanyRole(role)} for role in demo.roles],
            )
            for certification in demo.certifications:
                session.add(
                    Certification(
                        company_id=company.id,
                        standard=CertificationStandard(certification.standard),
                        certificate_number=certification.certificate_number,
                        issued_by=certification.issued_by,
                        valid_until=certification.valid_until,
                    )
                )
            for demo_user in demo.users:
                session.add(
                    User(
                        email=demo_user.email,
                        password_hash=password_hash,
                        display_name=demo_user.display_name,
                        preferred_language=Language(demo_user.preferred_language),
                        company_id=company.id,
                        membership_role=MembershipRole(demo_user.role),
                    )
                )
        session.add(
            User(
                email=OPERATOR_EMAIL,
                password_hash=password_hash,
                display_name="平台运营 Operator",
                preferred_language=Language.CHINESE,
                is_operator=True,
            )
        )
