"""Marshmallow schemas of the accounts and companies API."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones as _zoneinfo_timezones

import marshmallow as ma
from marshmallow import validate

from core.auth import Scope
from core.pagination import CursorArgs, page_schema
from core.schema import ApiSchema
from marketplace.domain import (
    MAX_PASSWORD_LENGTH,
    CertificationStandard,
    CompanyRole,
    Language,
    MembershipRole,
)

available_timezones = cache(_zoneinfo_timezones)

ROLE_FIELD = ma.fields.Enum(CompanyRole, by_value=True)


class CertificationSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    standard = ma.fields.Enum(CertificationStandard, by_value=True, required=True)
    certificate_number = ma.fields.String(load_default="", validate=validate.Length(max=100))
    issued_by = ma.fields.String(load_default="", validate=validate.Length(max=200))
    valid_until = ma.fields.Date(required=True)


class CompanySchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    legal_name = ma.fields.String(validate=validate.Length(min=2, max=200))
    country = ma.fields.String(dump_only=True)
    registration_number = ma.fields.String(dump_only=True)
    province = ma.fields.String(validate=validate.Length(max=100))
    city = ma.fields.String(validate=validate.Length(max=100))
    address = ma.fields.String(validate=validate.Length(max=300))
    description = ma.fields.String(validate=validate.Length(max=5000))
    website = ma.fields.String(validate=validate.Length(max=300))
    roles = ma.fields.List(ROLE_FIELD, validate=validate.Length(min=1, max=3))
    verified = ma.fields.Boolean(dump_only=True)
    verified_at = ma.fields.AwareDateTime(dump_only=True)
    certifications = ma.fields.List(ma.fields.Nested(CertificationSchema), dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)


class CompanyUpdateSchema(CompanySchema):
    """Owner's changes: any subset of the editable fields."""

    class Meta:
        exclude = ("certifications",)


class UserSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email(dump_only=True)
    display_name = ma.fields.String(validate=validate.Length(min=1, max=100))
    preferred_language = ma.fields.Enum(Language, by_value=True)
    timezone = ma.fields.String(validate=validate.Length(max=64))
    company_id = ma.fields.Integer(dump_only=True, allow_none=True)
    membership_role = ma.fields.Enum(MembershipRole, by_value=True, dump_only=True)
    is_operator = ma.fields.Boolean(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)

    @ma.validates("timezone")
    def _known_timezone(self, value: str, **kwargs: object) -> None:
        if value not in available_timezones():
            raise ma.ValidationError("Unknown time zone; use an IANA name such as Asia/Shanghai.")


class MemberSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email(dump_only=True)
    display_name = ma.fields.String(dump_only=True)
    membership_role = ma.fields.Enum(MembershipRole, by_value=True, dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    last_login_at = ma.fields.AwareDateTime(dump_only=True)


class InvitationSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    email = ma.fields.Email(required=True, validate=validate.Length(max=254))
    status = ma.fields.String(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    expires_at = ma.fields.AwareDateTime(dump_only=True)
    emailed_at = ma.fields.AwareDateTime(dump_only=True)


class IssuedInvitationSchema(InvitationSchema):
    accept_url = ma.fields.String(
        dump_only=True, metadata={"description": "The link to share; shown only once"}
    )


class ApiTokenSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    scope = ma.fields.Enum(Scope, by_value=True, load_default=Scope.READ)
    hint = ma.fields.String(dump_only=True)
    user_id = ma.fields.Integer(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    last_used_at = ma.fields.AwareDateTime(dump_only=True)


class IssuedApiTokenSchema(ApiTokenSchema):
    token = ma.fields.String(
        dump_only=True, metadata={"description": "The secret; shown only once"}
    )


class VerificationSchema(ApiSchema):
    verified = ma.fields.Boolean(required=True)
    note = ma.fields.String(load_default="", validate=validate.Length(max=500))


class CompanyListArgs(CursorArgs):
    verified = ma.fields.Boolean(load_default=None)


class PasswordChangeSchema(ApiSchema):
    current_password = ma.fields.String(required=True, load_only=True)
    new_password = ma.fields.String(
        required=True, load_only=True, validate=validate.Length(max=MAX_PASSWORD_LENGTH)
    )


MemberPageSchema = page_schema(MemberSchema, "MemberPage")
InvitationPageSchema = page_schema(InvitationSchema, "InvitationPage")
ApiTokenPageSchema = page_schema(ApiTokenSchema, "ApiTokenPage")
CompanyPageSchema = page_schema(CompanySchema, "CompanyPage")
