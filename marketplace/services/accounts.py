"""Use cases for accounts and companies. The only place in this context that commits."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from core.auth import (
    Principal,
    Scope,
    hash_password,
    new_api_token,
    password_needs_rehash,
    sign_value,
    unsign_value,
    verify_password,
)
from core.db import MAX_ID, db, utcnow
from core.errors import InvalidInput, NotFound
from core.mail import mail_configured, send_mail
from core.outbox import enqueue
from core.pagination import Page, paginate
from core.translatable import N_
from core.unit_of_work import unit_of_work
from marketplace.domain import (
    CannotRemoveOwner,
    CertificationStandard,
    CompanyAlreadyRegistered,
    CompanyRole,
    EmailAlreadyRegistered,
    InvitationInvalid,
    Language,
    MembershipRole,
    OperatorRequired,
    OwnerRequired,
    VerificationDecision,
    check_password,
    normalize_email,
    normalize_registration_number,
)
from marketplace.models import (
    ApiToken,
    Certification,
    Company,
    CompanyVerificationEvent,
    Invitation,
    User,
)
from marketplace.services.common import enqueue_rematch

log = logging.getLogger(__name__)

# Updating last_used_at on every call would turn each read into a write; once a minute is enough.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)

# Fields of a company its owner may change after sign-up (the registration number is fixed).
EDITABLE_COMPANY_FIELDS = ("legal_name", "province", "city", "address", "description", "website")
EDITABLE_USER_FIELDS = ("display_name", "preferred_language", "timezone")


@dataclass(frozen=True)
class IssuedSecret:
    """A record plus the secret that goes with it, which is shown once and never stored."""

    record: Any
    secret: str


def _owned_company(principal: Principal) -> Company:
    if principal.company_id is None:
        raise NotFound(N_("You do not belong to a company."))
    # Roles and certifications are read with the company almost every time: one query for all.
    company = db.session.get(
        Company,
        principal.company_id,
        options=[joinedload(Company.role_rows), joinedload(Company.certifications)],
    )
    if company is None:
        raise NotFound()
    return company


def _require_owner(principal: Principal) -> None:
    if not principal.is_owner:
        raise OwnerRequired()


def _ensure_email_free(email: str) -> None:
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise EmailAlreadyRegistered(field="email")


def register_company(
    *,
    legal_name: str,
    country: str,
    registration_number: str,
    province: str,
    city: str,
    address: str,
    roles: set[CompanyRole],
    email: str,
    password: str,
    display_name: str,
    preferred_language: Language = Language.ENGLISH,
    description: str = "",
) -> User:
    """Create a company and its owner (sign-up).

    Raises:
        InvalidRegistrationNumber: when the registration number fails its checks.
        CompanyAlreadyRegistered / EmailAlreadyRegistered: when either is taken.
        WeakPassword: when the password is out of bounds.
        InvalidInput: when no role is chosen.
    """
    number = normalize_registration_number(country, registration_number)
    check_password(password)
    if not roles:
        raise InvalidInput(N_("Choose at least one role for the company."), field="roles")
    email = normalize_email(email)
    with unit_of_work() as session:
        _ensure_email_free(email)
        taken = session.scalar(
            select(Company.id).where(
                Company.country == country, Company.registration_number == number
            )
        )
        if taken is not None:
            raise CompanyAlreadyRegistered(field="registration_number")
        company = Company(
            legal_name=legal_name.strip(),
            country=country,
            registration_number=number,
            province=province.strip(),
            city=city.strip(),
            address=address.strip(),
            description=description.strip(),
        )
        company.set_roles(set(roles))
        owner = User(
            email=email,
            password_hash=hash_password(password),
            display_name=display_name.strip(),
            preferred_language=preferred_language,
            company=company,
            membership_role=MembershipRole.OWNER,
        )
        session.add_all([company, owner])
        try:
            session.flush()
        except IntegrityError:
            # Lost a race with a concurrent sign-up for the same email or company.
            raise EmailAlreadyRegistered(field="email") from None
    return owner


def authenticate(email: str, password: str) -> User | None:
    """Return the active user with these credentials, or None (same timing either way)."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.active:
        return None
    with unit_of_work():
        user.last_login_at = utcnow()
        if password_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    return user


def load_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def principal_for_user(user: User, scope: Scope = Scope.WRITE) -> Principal:
    return Principal(
        user_id=user.id,
        company_id=user.company_id,
        company_role=user.membership_role,
        is_operator=user.is_operator,
        scope=scope,
    )


def principal_for_token(digest: str) -> Principal | None:
    """Return who an API token acts for, or None if it is unknown, revoked or orphaned."""
    token = db.session.scalar(
        select(ApiToken).options(joinedload(ApiToken.user)).where(ApiToken.digest == digest)
    )
    if token is None or token.revoked_at is not None:
        return None
    user = token.user
    if not user.active or user.company_id != token.company_id:
        return None  # the user left the company, or was deactivated: the token dies with it
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL:
        with unit_of_work():
            token.last_used_at = now
    principal = principal_for_user(user, Scope(token.scope))
    return Principal(**{**principal.__dict__, "token_id": token.id})


def get_company(principal: Principal) -> Company:
    """Raises: NotFound when the principal belongs to no company."""
    return _owned_company(principal)


def update_company(principal: Principal, changes: dict[str, Any]) -> Company:
    """Change the owner-editable fields and roles of the principal's company.

    Raises:
        OwnerRequired: when the principal is not the owner.
        InvalidInput: when roles would become empty.
    """
    _require_owner(principal)
    with unit_of_work() as session:
        company = _owned_company(principal)
        enqueue_rematch(session, "company", company.id)  # its city and name show in rankings
        for field in EDITABLE_COMPANY_FIELDS:
            if field in changes:
                setattr(company, field, changes[field].strip())
        if "roles" in changes:
            if not changes["roles"]:
                raise InvalidInput(N_("Choose at least one role for the company."), field="roles")
            company.set_roles(set(changes["roles"]))
    return company


def update_profile(principal: Principal, changes: dict[str, Any]) -> User:
    """Change the signed-in user's own display name, language or time zone."""
    with unit_of_work():
        user = db.session.get(User, principal.user_id)
        if user is None:
            raise NotFound()
        for field in EDITABLE_USER_FIELDS:
            if field in changes:
                setattr(user, field, changes[field])
    return user


def change_password(principal: Principal, current_password: str, new_password: str) -> None:
    """Raises: InvalidInput when the current password is wrong; WeakPassword for a bad new one."""
    with unit_of_work():
        user = db.session.get(User, principal.user_id)
        if user is None or not verify_password(user.password_hash, current_password):
            raise InvalidInput(N_("The current password is not correct."), field="current_password")
        check_password(new_password)
        user.password_hash = hash_password(new_password)


def list_members(principal: Principal, *, limit: int | None, cursor: str | None) -> Page:
    company = _owned_company(principal)
    statement = select(User).where(User.company_id == company.id, User.active.is_(True))
    return paginate(db.session, statement, User.id, limit=limit, cursor=cursor)


def remove_member(principal: Principal, user_id: int) -> None:
    """Take a member out of the owner's company; their sessions and tokens stop working.

    Raises:
        OwnerRequired, NotFound (not a member of this company), CannotRemoveOwner.
    """
    _require_owner(principal)
    with unit_of_work():
        user = db.session.get(User, user_id)
        if user is None or user.company_id != principal.company_id or not user.active:
            raise NotFound()
        if user.is_owner:
            raise CannotRemoveOwner()
        user.active = False


def invite_member(principal: Principal, email: str, *, days: int) -> IssuedSecret:
    """Invite someone to join the owner's company; return the invitation and its secret token.

    Raises:
        OwnerRequired; EmailAlreadyRegistered when the address already has an account.
    """
    _require_owner(principal)
    email = normalize_email(email)
    with unit_of_work() as session:
        company = _owned_company(principal)
        _ensure_email_free(email)
        invitation = Invitation(
            company=company,
            email=email,
            nonce=secrets.token_hex(16),
            invited_by_id=principal.user_id,
            expires_at=utcnow() + timedelta(days=days),
        )
        session.add(invitation)
        session.flush()
        enqueue(session, "marketplace.send_invitation", invitation_id=invitation.id)
    return IssuedSecret(invitation, invitation_token(invitation))


INVITATION_PURPOSE = "invitation"


def invitation_token(invitation: Invitation) -> str:
    return sign_value(INVITATION_PURPOSE, [invitation.id, invitation.nonce])


def list_invitations(principal: Principal, *, limit: int | None, cursor: str | None) -> Page:
    _require_owner(principal)
    statement = select(Invitation).where(Invitation.company_id == principal.company_id)
    return paginate(db.session, statement, Invitation.id, limit=limit, cursor=cursor)


def revoke_invitation(principal: Principal, invitation_id: int) -> Invitation:
    """Raises: OwnerRequired; NotFound for another company's or an unknown invitation."""
    _require_owner(principal)
    with unit_of_work():
        invitation = db.session.get(Invitation, invitation_id)
        if invitation is None or invitation.company_id != principal.company_id:
            raise NotFound()
        if invitation.revoked_at is None and invitation.accepted_at is None:
            invitation.revoked_at = utcnow()
    return invitation


def find_open_invitation(token: str) -> Invitation:
    """Raises: InvitationInvalid when the token matches no open invitation."""
    value = unsign_value(INVITATION_PURPOSE, token)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)):
        raise InvitationInvalid()
    invitation = db.session.get(Invitation, value[0]) if 0 < value[0] <= MAX_ID else None
    if (
        invitation is None
        or not secrets.compare_digest(invitation.nonce, str(value[1]))
        or not invitation.is_open(utcnow())
    ):
        raise InvitationInvalid()
    return invitation


def accept_invitation(
    token: str, *, display_name: str, password: str, preferred_language: Language
) -> User:
    """Create the invited member's account in the inviting company.

    Raises:
        InvitationInvalid, WeakPassword, EmailAlreadyRegistered.
    """
    check_password(password)
    with unit_of_work() as session:
        invitation = find_open_invitation(token)
        _ensure_email_free(invitation.email)
        user = User(
            email=invitation.email,
            password_hash=hash_password(password),
            display_name=display_name.strip(),
            preferred_language=preferred_language,
            company_id=invitation.company_id,
            membership_role=MembershipRole.MEMBER,
        )
        invitation.accepted_at = utcnow()
        session.add(user)
    return user


def email_invitation(invitation_id: int) -> bool:
    """Send the invitation link by mail, once; return False when there is nothing to send.

    Without `SHAREFAB_SMTP_URL` nothing is sent: the owner shares the link shown on the page.

    Raises:
        OSError / smtplib.SMTPException when the mail server fails (the task retries).
    """
    config = current_app.config
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.emailed_at is not None or not invitation.is_open(utcnow()):
        return False
    if not mail_configured(config["SMTP_URL"]):
        log.info("invitation %s not emailed: SHAREFAB_SMTP_URL is not set", invitation_id)
        return False
    inviter = db.session.get(User, invitation.invited_by_id)
    link = f"{config['PUBLIC_BASE_URL']}/invitations/{invitation_token(invitation)}"
    with force_locale(inviter.preferred_language if inviter else Language.ENGLISH):
        subject = gettext(
            "You are invited to join %(company)s on ShareFab", company=invitation.company.legal_name
        )
        body = gettext(
            "%(inviter)s invited you to join %(company)s on ShareFab.\n\n"
            "Open this link to create your account (valid until %(expires)s UTC):\n%(link)s\n",
            inviter=inviter.display_name if inviter else "ShareFab",
            company=invitation.company.legal_name,
            expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
            link=link,
        )
    send_mail(
        config["SMTP_URL"],
        sender=config["MAIL_FROM"],
        to=invitation.email,
        subject=subject,
        body=body,
    )
    with unit_of_work():
        invitation.emailed_at = utcnow()
    return True


def add_certification(
    principal: Principal,
    *,
    standard: CertificationStandard,
    valid_until: date,
    certificate_number: str = "",
    issued_by: str = "",
) -> Certification:
    """Record (or renew) a certification of the principal's company.

    Raises:
        OwnerRequired; InvalidInput for an expiry in the past.
    """
    _require_owner(principal)
    if valid_until < utcnow().date():
        raise InvalidInput(N_("The expiry date is in the past."), field="valid_until")
    with unit_of_work() as session:
        company = _owned_company(principal)
        certification = session.scalar(
            select(Certification).where(
                Certification.company_id == company.id, Certification.standard == standard
            )
        )
        if certification is None:
            certification = Certification(company=company, standard=standard)
            session.add(certification)
        certification.valid_until = valid_until
        certification.certificate_number = certificate_number.strip()
        certification.issued_by = issued_by.strip()
        enqueue_rematch(session, "company", company.id)
    return certification


def remove_certification(principal: Principal, certification_id: int) -> None:
    """Raises: OwnerRequired; NotFound for another company's or an unknown certification."""
    _require_owner(principal)
    with unit_of_work() as session:
        certification = session.get(Certification, certification_id)
        if certification is None or certification.company_id != principal.company_id:
            raise NotFound()
        session.delete(certification)
        enqueue_rematch(session, "company", certification.company_id)


def create_api_token(principal: Principal, *, name: str, scope: Scope) -> IssuedSecret:
    """Create a token for the principal's user; the secret is returned once and stored hashed.

    Raises:
        OwnerRequired when a company member who is not the owner asks.
    """
    _require_owner_or_operator(principal)
    return _issue_api_token(principal, name=name, scope=scope)


def create_api_token_for_email(email: str, *, scope: Scope, name: str) -> str:
    """Issue a token for the user with this email (operators' shell command).

    Raises:
        NotFound when no active user has this email.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.active:
        raise NotFound(N_("No active user has this email address."))
    return _issue_api_token(principal_for_user(user), name=name, scope=scope).secret


def _issue_api_token(principal: Principal, *, name: str, scope: Scope) -> IssuedSecret:
    token, digest = new_api_token()
    with unit_of_work() as session:
        record = ApiToken(
            user_id=principal.user_id,
            company_id=principal.company_id,
            name=name.strip(),
            scope=scope,
            digest=digest,
            hint=token[:10],
        )
        session.add(record)
    return IssuedSecret(record, token)


def _require_owner_or_operator(principal: Principal) -> None:
    if not principal.is_operator:
        _require_owner(principal)


def _token_scope(principal: Principal):
    if principal.company_id is None:
        return ApiToken.user_id == principal.user_id
    return ApiToken.company_id == principal.company_id


def list_api_tokens(principal: Principal, *, limit: int | None, cursor: str | None) -> Page:
    _require_owner_or_operator(principal)
    statement = select(ApiToken).where(_token_scope(principal), ApiToken.revoked_at.is_(None))
    return paginate(db.session, statement, ApiToken.id, limit=limit, cursor=cursor)


def revoke_api_token(principal: Principal, token_id: int) -> ApiToken:
    """Raises: OwnerRequired; NotFound for a token outside the principal's company."""
    _require_owner_or_operator(principal)
    with unit_of_work():
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.id == token_id, _token_scope(principal))
        )
        if token is None:
            raise NotFound()
        if token.revoked_at is None:
            token.revoked_at = utcnow()
    return token


def list_companies_for_review(
    principal: Principal, *, verified: bool | None, limit: int | None, cursor: str | None
) -> Page:
    """Raises: PermissionDenied unless the principal is an operator."""
    if not principal.is_operator:
        raise OperatorRequired()
    statement = select(Company)
    if verified is not None:
        statement = statement.where(Company.verified.is_(verified))
    return paginate(db.session, statement, Company.id, limit=limit, cursor=cursor)


def set_company_verification(
    principal: Principal, company_id: int, *, verified: bool, note: str = ""
) -> Company:
    """Verify or un-verify a company, keeping a history row of the decision.

    Raises:
        PermissionDenied unless the principal is an operator; NotFound for an unknown company.
    """
    if not principal.is_operator:
        raise OperatorRequired()
    with unit_of_work() as session:
        company = session.get(Company, company_id)
        if company is None:
            raise NotFound()
        company.verified = verified
        company.verified_at = utcnow() if verified else None
        session.add(
            CompanyVerificationEvent(
                company_id=company.id,
                decision=VerificationDecision.VERIFIED
                if verified
                else VerificationDecision.UNVERIFIED,
                note=note.strip(),
                operator_id=principal.user_id,
            )
        )
    return company


def public_company(company_id: int | None) -> Company | None:
    """Another company's public face (name, region, roles, verification) for quotes and packages."""
    return db.session.get(Company, company_id) if company_id else None


def count_companies() -> int:
    return db.session.scalar(select(func.count(Company.id))) or 0
