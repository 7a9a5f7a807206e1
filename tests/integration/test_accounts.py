"""Sign-up, sign-in, invitations, members, certifications and verification through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.auth import Scope
from core.db import db, utcnow
from core.errors import InvalidInput, NotFound
from core.outbox import OutboxMessage
from marketplace import services
from marketplace.domain import (
    CertificationStandard,
    CompanyAlreadyRegistered,
    CompanyRole,
    EmailAlreadyRegistered,
    InvitationInvalid,
    Language,
    OwnerRequired,
    WeakPassword,
)
from marketplace.models import Company, CompanyVerificationEvent, Invitation, User
from marketplace.uscc import make_uscc
from tests.factories import OperatorFactory, UserFactory, principal_of

VALID_CODE = make_uscc("9", "1", "330200", "MA2H3K4L")


def register(**overrides):
    fields = dict(
        legal_name="宁波精工模具有限公司",
        country="CN",
        registration_number=VALID_CODE,
        province="浙江省",
        city="宁波市",
        address="北仑区新碶街道",
        roles={CompanyRole.SUPPLIER},
        email="Owner@Example.cn",
        password="long-enough-password",
        display_name="王磊",
        preferred_language=Language.CHINESE,
    )
    fields.update(overrides)
    return services.register_company(**fields)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_signup_creates_the_company_and_its_owner():
    owner = register()
    assert owner.email == "owner@example.cn"
    assert owner.is_owner
    assert owner.company.registration_number == VALID_CODE
    assert owner.company.roles == [CompanyRole.SUPPLIER]
    assert owner.company.verified is False
    assert owner.password_hash.startswith("$argon2id$")


def test_signup_with_a_bad_check_character_is_refused_and_stores_nothing():
    bad = VALID_CODE[:-1] + ("0" if VALID_CODE[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as raised:
        register(registration_number=bad)
    assert raised.value.field == "registration_number"
    assert count(Company) == 0 and count(User) == 0


def test_the_same_company_cannot_register_twice():
    register()
    with pytest.raises(CompanyAlreadyRegistered):
        register(email="other@example.cn")
    assert count(Company) == 1


def test_an_email_can_only_have_one_account():
    register()
    with pytest.raises(EmailAlreadyRegistered):
        register(
            registration_number=make_uscc("9", "1", "330200", "MA2H3K4M"), email="OWNER@example.cn"
        )
    assert count(Company) == 1


def test_short_passwords_are_refused():
    with pytest.raises(WeakPassword):
        register(password="short")
    assert count(User) == 0


def test_a_company_needs_a_role():
    with pytest.raises(InvalidInput):
        register(roles=set())
    assert count(Company) == 0


def test_authenticate_accepts_the_password_and_records_the_sign_in():
    register()
    user = services.authenticate("OWNER@example.cn", "long-enough-password")
    assert user is not None and user.last_login_at is not None
    assert services.authenticate("owner@example.cn", "wrong-password") is None
    assert services.authenticate("nobody@example.cn", "long-enough-password") is None


def test_deactivated_users_cannot_sign_in():
    owner = register()
    owner.active = False
    db.session.commit()
    assert services.authenticate("owner@example.cn", "long-enough-password") is None


def test_invited_member_joins_the_company_once():
    owner = UserFactory()
    issued = services.invite_member(principal_of(owner), "New.Member@example.cn", days=7)
    member = services.accept_invitation(
        issued.secret,
        display_name="李娜",
        password="member-password",
        preferred_language=Language.CHINESE,
    )
    assert member.company_id == owner.company_id
    assert member.membership_role == "member"
    assert member.email == "new.member@example.cn"
    with pytest.raises(InvitationInvalid):
        services.accept_invitation(
            issued.secret,
            display_name="again",
            password="member-password",
            preferred_language=Language.ENGLISH,
        )
    assert count(User) == 2


def test_invitation_token_is_not_stored_in_the_database():
    owner = UserFactory()
    issued = services.invite_member(principal_of(owner), "x@example.cn", days=7)
    invitation = db.session.get(Invitation, issued.record.id)
    assert issued.secret not in invitation.nonce
    outbox = db.session.scalars(select(OutboxMessage)).all()
    assert [message.payload for message in outbox] == [{"invitation_id": invitation.id}]


@pytest.mark.parametrize("spoil", ["revoke", "expire", "tamper"])
def test_revoked_expired_or_tampered_invitations_are_refused(spoil):
    owner = UserFactory()
    issued = services.invite_member(principal_of(owner), "x@example.cn", days=7)
    token = issued.secret
    if spoil == "revoke":
        services.revoke_invitation(principal_of(owner), issued.record.id)
    elif spoil == "expire":
        issued.record.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    else:
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    with pytest.raises(InvitationInvalid):
        services.accept_invitation(
            token, display_name="x", password="member-password", preferred_language=Language.ENGLISH
        )
    assert count(User) == 1


def test_only_owners_invite():
    member = UserFactory(membership_role="member")
    with pytest.raises(OwnerRequired):
        services.invite_member(principal_of(member), "x@example.cn", days=7)
    assert count(Invitation) == 0


def test_removed_member_loses_token_access(client):
    owner = UserFactory()
    member = UserFactory(company=owner.company, membership_role="member")
    token = services.create_api_token_for_email(member.email, scope=Scope.READ, name="t")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/companies/me", headers=headers).status_code == 200
    services.remove_member(principal_of(owner), member.id)
    assert client.get("/api/v1/companies/me", headers=headers).status_code == 401


def test_another_companys_member_cannot_be_removed():
    owner = UserFactory()
    stranger = UserFactory(membership_role="member")
    with pytest.raises(NotFound):
        services.remove_member(principal_of(owner), stranger.id)
    assert db.session.get(User, stranger.id).active is True


def test_certifications_are_renewed_not_duplicated():
    owner = UserFactory()
    principal = principal_of(owner)
    first = date.today() + timedelta(days=100)
    second = date.today() + timedelta(days=400)
    services.add_certification(
        principal, standard=CertificationStandard.ISO_9001, valid_until=first
    )
    services.add_certification(
        principal, standard=CertificationStandard.ISO_9001, valid_until=second
    )
    company = services.get_company(principal)
    assert [(c.standard, c.valid_until) for c in company.certifications] == [("ISO 9001", second)]


def test_expired_certifications_cannot_be_recorded():
    owner = UserFactory()
    with pytest.raises(InvalidInput):
        services.add_certification(
            principal_of(owner),
            standard=CertificationStandard.AS9100,
            valid_until=date.today() - timedelta(days=1),
        )


def test_operator_verification_is_kept_in_history():
    owner = UserFactory()
    operator = OperatorFactory()
    services.set_company_verification(
        principal_of(operator), owner.company_id, verified=True, note="营业执照已核验"
    )
    services.set_company_verification(principal_of(operator), owner.company_id, verified=False)
    events = db.session.scalars(
        select(CompanyVerificationEvent).order_by(CompanyVerificationEvent.id)
    ).all()
    assert [(e.decision, e.note, e.operator_id) for e in events] == [
        ("verified", "营业执照已核验", operator.id),
        ("unverified", "", operator.id),
    ]
    assert db.session.get(Company, owner.company_id).verified is False


def test_tokens_are_stored_as_digests_only():
    owner = UserFactory()
    issued = services.create_api_token(principal_of(owner), name="ERP", scope=Scope.WRITE)
    assert issued.secret.startswith("sfp_")
    assert issued.record.digest != issued.secret
    assert (
        issued.secret not in (issued.record.digest + issued.record.hint)
        or len(issued.record.hint) < 12
    )


def test_members_cannot_create_tokens():
    member = UserFactory(membership_role="member")
    with pytest.raises(OwnerRequired):
        services.create_api_token(principal_of(member), name="x", scope=Scope.READ)


def test_members_cannot_change_certifications():
    owner = UserFactory()
    member = UserFactory(company=owner.company, membership_role="member")
    certification = services.add_certification(
        principal_of(owner),
        standard=CertificationStandard.ISO_14001,
        valid_until=date.today() + timedelta(days=30),
    )
    with pytest.raises(OwnerRequired):
        services.remove_certification(principal_of(member), certification.id)
    with pytest.raises(OwnerRequired):
        services.add_certification(
            principal_of(member),
            standard=CertificationStandard.ISO_9001,
            valid_until=date.today() + timedelta(days=30),
        )
    assert [c.standard for c in services.get_company(principal_of(owner)).certifications] == [
        "ISO 14001"
    ]
