"""factory_boy factories for the models, bound to the app's session."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from core.auth import Principal, Scope, hash_password
from core.db import db
from marketplace.domain import CompanyRole, Language, MembershipRole
from marketplace.models import Company, CompanyRoleAssignment, User
from marketplace.uscc import make_uscc

PASSWORD = "correct-horse-battery"
# Hashing once keeps factories fast; argon2 is deliberately slow.
PASSWORD_HASH = hash_password(PASSWORD)


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class CompanyFactory(BaseFactory):
    class Meta:
        model = Company

    legal_name = factory.Sequence(lambda n: f"测试制造{n}有限公司")
    country = "CN"
    registration_number = factory.Sequence(lambda n: make_uscc("9", "1", "441900", f"{n:08d}"))
    province = "广东省"
    city = "东莞市"
    address = factory.Sequence(lambda n: f"长安镇振安路{n}号")
    role_rows = factory.LazyFunction(lambda: [CompanyRoleAssignment(role=CompanyRole.SUPPLIER)])


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    password_hash = PASSWORD_HASH
    display_name = factory.Sequence(lambda n: f"用户{n}")
    preferred_language = Language.ENGLISH
    company = factory.SubFactory(CompanyFactory)
    membership_role = MembershipRole.OWNER


class OperatorFactory(UserFactory):
    company = None
    membership_role = None
    is_operator = True


def principal_of(user: User, scope: Scope = Scope.WRITE) -> Principal:
    return Principal(
        user_id=user.id,
        company_id=user.company_id,
        company_role=user.membership_role,
        is_operator=user.is_operator,
        scope=scope,
    )


class BuyerCompanyFactory(CompanyFactory):
    role_rows = factory.LazyFunction(lambda: [CompanyRoleAssignment(role=CompanyRole.BUYER)])


class BuyerFactory(UserFactory):
    company = factory.SubFactory(BuyerCompanyFactory)
