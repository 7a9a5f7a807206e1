"""Accounts and companies: values, rules and errors. No Flask, SQLAlchemy or SDK imports."""

from __future__ import annotations

import re
from enum import StrEnum

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.translatable import N_
from marketplace.uscc import normalize_uscc, uscc_problem


class CompanyRole(StrEnum):
    BUYER = "buyer"
    SUPPLIER = "supplier"
    LENDER = "lender"


COMPANY_ROLE_LABELS = {
    CompanyRole.BUYER: N_("Buyer"),
    CompanyRole.SUPPLIER: N_("Supplier"),
    CompanyRole.LENDER: N_("Lender"),
}


class MembershipRole(StrEnum):
    OWNER = "owner"
    MEMBER = "member"


MEMBERSHIP_ROLE_LABELS = {MembershipRole.OWNER: N_("Owner"), MembershipRole.MEMBER: N_("Member")}


class Language(StrEnum):
    CHINESE = "zh_CN"
    ENGLISH = "en"


class CertificationStandard(StrEnum):
    ISO_9001 = "ISO 9001"
    IATF_16949 = "IATF 16949"
    AS9100 = "AS9100"
    ISO_13485 = "ISO 13485"
    ISO_14001 = "ISO 14001"
    ISO_45001 = "ISO 45001"
    ISO_50001 = "ISO 50001"
    ISO_27001 = "ISO/IEC 27001"


class VerificationDecision(StrEnum):
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

# ISO 3166-1 alpha-2; the registration number format is checked only where we know the rule.
COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")
GENERIC_REGISTRATION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z .\-/]{1,62}[0-9A-Za-z]$")


class InvalidRegistrationNumber(InvalidInput):
    code = "invalid-registration-number"


class EmailAlreadyRegistered(Conflict):
    code = "email-taken"
    message = N_("An account with this email address already exists.")


class CompanyAlreadyRegistered(Conflict):
    code = "company-taken"
    message = N_("A company with this registration number is already registered.")


class InvitationInvalid(NotFound):
    code = "invitation-invalid"
    message = N_("This invitation is unknown, expired, revoked or already used.")


class OwnerRequired(PermissionDenied):
    code = "owner-required"
    message = N_("Only the company owner may do this.")


class OperatorRequired(PermissionDenied):
    code = "operator-required"
    message = N_("Only platform operators may do this.")


class CannotRemoveOwner(Conflict):
    code = "cannot-remove-owner"
    message = N_("The owner cannot be removed from the company.")


class WeakPassword(InvalidInput):
    code = "weak-password"
    message = N_("The password must be between 8 and 128 characters long.")


_USCC_MESSAGES = {
    "length": N_("A unified social credit code has exactly 18 characters."),
    "alphabet": N_(
        "A unified social credit code uses only digits and capital letters other than "
        "I, O, Z, S and V."
    ),
    "division": N_(
        "Characters 3 to 8 of a unified social credit code must be digits "
        "(the administrative division code)."
    ),
    "check_character": N_(
        "This unified social credit code fails its check character (GB 32100-2015); "
        "look for a typo."
    ),
}


def normalize_registration_number(country: str, number: str) -> str:
    """Return the registration number in canonical form after checking it for `country`.

    For China (CN) it must be a unified social credit code passing its GB 32100-2015 check
    character; elsewhere 3–64 letters, digits, spaces, dots, dashes or slashes.

    Raises:
        InvalidRegistrationNumber: with a message saying what is wrong.
    """
    if country == "CN":
        code = normalize_uscc(number)
        problem = uscc_problem(code)
        if problem:
            raise InvalidRegistrationNumber(_USCC_MESSAGES[problem], field="registration_number")
        return code
    cleaned = " ".join(number.split())
    if not GENERIC_REGISTRATION.match(cleaned):
        raise InvalidRegistrationNumber(
            N_(
                "Enter the company's registration number: 3–64 letters or digits, "
                "optionally with spaces, dots, dashes or slashes."
            ),
            field="registration_number",
        )
    return cleaned


def check_password(password: str) -> None:
    """Raises: WeakPassword if the password is too short or too long."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise WeakPassword(field="password")


def normalize_email(email: str) -> str:
    return email.strip().lower()
