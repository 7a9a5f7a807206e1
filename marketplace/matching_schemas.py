"""Marshmallow schemas of the matching API: weights, ranked suppliers with their explanations,
proposed splits, suppliers' recommended orders and batch plans.

Explanations arrive here already rendered (`text`) in the caller's language; the schemas only
describe and dump them. Decimal figures (scores, prices, costs) go out as strings.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import marshmallow as ma
from marshmallow import validate

from core.db import MAX_ID
from core.money import Currency
from core.schema import ApiSchema
from marketplace.production_schemas import decimal_out
from marketplace.services.matching import MAX_PLAN_ORDERS, MAX_PLAN_SECONDS
from matching.domain import MAX_WEIGHT, Criterion, ExclusionReason, Weights
from matching.planning import PlanMode

MAX_RECOMMENDATIONS = 100
DEFAULT_RECOMMENDATIONS = 20
DEFAULT_PLAN_SECONDS = 5.0

WEIGHT_DESCRIPTIONS = {
    "cost": "How much price matters",
    "quality": "How much the supplier's track record (and credit) matters",
    "speed": "How much finishing well before the due date matters",
    "proximity": "How much distance to the delivery city matters",
}


class JsonNumber(ma.fields.Float):
    """A JSON number: strings, even numeric ones, and booleans are refused in a JSON body."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


def _weight(field_class: type[ma.fields.Float], name: str, **kwargs: Any) -> ma.fields.Float:
    default = getattr(Weights(), name)
    return field_class(
        validate=validate.Range(min=0, max=MAX_WEIGHT),
        metadata={
            "description": (
                f"{WEIGHT_DESCRIPTIONS[name]}: 0 to {MAX_WEIGHT:g} (default {default:g}); only "
                "the proportions between the four weights matter, and one must be above 0"
            )
        },
        **kwargs,
    )


def _code_out(codes: type[StrEnum]) -> ma.fields.String:
    """A code in a response; a string field, as stored rankings hold plain strings."""
    return ma.fields.String(dump_only=True, metadata={"enum": [code.value for code in codes]})


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------


class MatchWeightsArgs(ApiSchema):
    """Weights to rank with instead of the order's own; any left out take their defaults."""

    cost = _weight(ma.fields.Float, "cost")
    quality = _weight(ma.fields.Float, "quality")
    speed = _weight(ma.fields.Float, "speed")
    proximity = _weight(ma.fields.Float, "proximity")


class MatchWeightsSchema(ApiSchema):
    """The weights a buyer keeps on an order."""

    cost = _weight(JsonNumber, "cost", required=True)
    quality = _weight(JsonNumber, "quality", required=True)
    speed = _weight(JsonNumber, "speed", required=True)
    proximity = _weight(JsonNumber, "proximity", required=True)


class WeightsSchema(ApiSchema):
    cost = ma.fields.Float(dump_only=True)
    quality = ma.fields.Float(dump_only=True)
    speed = ma.fields.Float(dump_only=True)
    proximity = ma.fields.Float(dump_only=True)


# --------------------------------------------------------------------------------------------
# Ranked suppliers and the proposed split
# --------------------------------------------------------------------------------------------


class ExplanationSchema(ApiSchema):
    criterion = _code_out(Criterion)
    label = ma.fields.String(dump_only=True, metadata={"description": "The criterion's name"})
    score = ma.fields.Float(
        dump_only=True, metadata={"description": "How good the listing is on it, 0 to 1"}
    )
    weight = ma.fields.Float(
        dump_only=True, metadata={"description": "Its share of the total weight, 0 to 1"}
    )
    points = ma.fields.Float(
        dump_only=True, metadata={"description": "score × weight × 100: what it adds to the score"}
    )
    text = ma.fields.String(
        dump_only=True, metadata={"description": "Why, in the caller's language"}
    )


class ExclusionSchema(ApiSchema):
    reason = _code_out(ExclusionReason)
    detail = ma.fields.String(
        dump_only=True, metadata={"description": "The certification concerned, if any"}
    )
    count = ma.fields.Integer(dump_only=True)
    text = ma.fields.String(
        dump_only=True, metadata={"description": "The count and reason in the caller's language"}
    )


class CandidateSchema(ApiSchema):
    rank = ma.fields.Integer(dump_only=True)
    listing_id = ma.fields.Integer(dump_only=True)
    listing_title = ma.fields.String(dump_only=True)
    company_id = ma.fields.Integer(dump_only=True)
    company_name = ma.fields.String(dump_only=True)
    city = ma.fields.String(dump_only=True)
    score = decimal_out(2, "0 to 100: the sum of the explanations' points")
    max_quantity = ma.fields.Integer(
        dump_only=True, metadata={"description": "Pieces its free hours can make by the due date"}
    )
    unit_price = decimal_out(
        2,
        "Estimated price per piece in the order's currency; null when priced on quotation",
        allow_none=True,
    )
    explanations = ma.fields.List(ma.fields.Nested(ExplanationSchema), dump_only=True)


class ProposalShareSchema(ApiSchema):
    listing_id = ma.fields.Integer(dump_only=True)
    company_id = ma.fields.Integer(dump_only=True)
    quantity = ma.fields.Integer(dump_only=True)
    unit_price = decimal_out(2, allow_none=True)


class ProposalSchema(ApiSchema):
    shares = ma.fields.List(ma.fields.Nested(ProposalShareSchema), dump_only=True)
    total_cost = decimal_out(2, "Estimated, setups and the expected cost of lateness included")
    currency = _code_out(Currency)
    optimal = ma.fields.Boolean(
        dump_only=True, metadata={"description": "Whether the solver proved it the cheapest"}
    )


class MatchesSchema(ApiSchema):
    order_id = ma.fields.Integer(dump_only=True)
    currency = ma.fields.Enum(
        Currency, by_value=True, dump_only=True, metadata={"description": "The order's currency"}
    )
    weights = ma.fields.Nested(WeightsSchema, dump_only=True)
    computed_at = ma.fields.AwareDateTime(dump_only=True)
    considered = ma.fields.Integer(
        dump_only=True, metadata={"description": "Listings offering the order's process"}
    )
    feasible = ma.fields.Integer(
        dump_only=True, metadata={"description": "Those that can serve the order"}
    )
    exclusions = ma.fields.List(
        ma.fields.Nested(ExclusionSchema),
        dump_only=True,
        metadata={"description": "Why the others cannot, counted by reason, most frequent first"},
    )
    candidates = ma.fields.List(
        ma.fields.Nested(CandidateSchema),
        dump_only=True,
        metadata={"description": "The best listings, best first (at most 30)"},
    )
    proposal = ma.fields.Nested(
        ProposalSchema,
        dump_only=True,
        allow_none=True,
        metadata={"description": "The cheapest split over at most five suppliers, if any covers"},
    )
    stored = ma.fields.Boolean(
        dump_only=True,
        metadata={"description": "False when ranked just now for weights other than the order's"},
    )


class ProposalInvitationSchema(ApiSchema):
    supplier_company_id = ma.fields.Integer(dump_only=True)
    proposed_quantity = ma.fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "The supplier's proposed share"}
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)


# --------------------------------------------------------------------------------------------
# A supplier's recommended orders
# --------------------------------------------------------------------------------------------


class RecommendedOrdersArgs(ApiSchema):
    limit = ma.fields.Integer(
        load_default=DEFAULT_RECOMMENDATIONS,
        validate=validate.Range(min=1, max=MAX_RECOMMENDATIONS),
        metadata={"description": f"1–{MAX_RECOMMENDATIONS}, default {DEFAULT_RECOMMENDATIONS}"},
    )


class RecommendedOrderSchema(ApiSchema):
    id = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(dump_only=True)
    process = ma.fields.String(dump_only=True)
    material = ma.fields.String(dump_only=True)
    quantity = ma.fields.Integer(dump_only=True)
    due_date = ma.fields.Date(dump_only=True)
    delivery_city = ma.fields.String(dump_only=True)
    splittable = ma.fields.Boolean(dump_only=True)
    currency = ma.fields.Enum(Currency, by_value=True, dump_only=True)


class RecommendationSchema(ApiSchema):
    order = ma.fields.Nested(RecommendedOrderSchema, dump_only=True)
    listing_id = ma.fields.Integer(
        dump_only=True, metadata={"description": "The caller's listing that matches it best"}
    )
    listing_title = ma.fields.String(dump_only=True)
    score = decimal_out(2, "0 to 100")
    max_quantity = ma.fields.Integer(dump_only=True)
    unit_price = decimal_out(
        2, "Estimated price per piece in the order's currency", allow_none=True
    )
    proposed_quantity = ma.fields.Integer(
        dump_only=True,
        allow_none=True,
        metadata={"description": "The caller's share in the order's proposed split, if any"},
    )
    explanations = ma.fields.List(ma.fields.Nested(ExplanationSchema), dump_only=True)


# --------------------------------------------------------------------------------------------
# Batch plans (operators)
# --------------------------------------------------------------------------------------------


def _each_once(ids: list[int]) -> None:
    if len(set(ids)) != len(ids):
        raise ma.ValidationError("Name each order once.")


class PlanRequestSchema(ApiSchema):
    order_ids = ma.fields.List(
        ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID)),
        validate=[validate.Length(min=1, max=MAX_PLAN_ORDERS), _each_once],
        metadata={
            "description": "Open orders to plan, each once; default: every open order",
            "uniqueItems": True,
        },
    )
    mode = ma.fields.Enum(
        PlanMode,
        by_value=True,
        load_default=PlanMode.SPLIT,
        metadata={"description": "whole: each order to one listing; split: orders may be shared"},
    )
    time_limit = JsonNumber(
        load_default=DEFAULT_PLAN_SECONDS,
        validate=validate.Range(min=0, max=MAX_PLAN_SECONDS, min_inclusive=False),
        metadata={
            "description": f"Seconds the solver may take: above 0, at most {MAX_PLAN_SECONDS:g}",
            "exclusiveMinimum": True,
        },
    )


class PlannedShareSchema(ApiSchema):
    order_id = ma.fields.Integer(dump_only=True)
    listing_id = ma.fields.Integer(dump_only=True)
    listing_title = ma.fields.String(dump_only=True)
    company_id = ma.fields.Integer(dump_only=True)
    company_name = ma.fields.String(dump_only=True)
    quantity = ma.fields.Integer(dump_only=True)
    cost = decimal_out(2, "Estimated, setup included, in the plan's currency")


class UnassignedSchema(ApiSchema):
    order_id = ma.fields.Integer(dump_only=True)
    pieces = ma.fields.Integer(dump_only=True)


class PlanSchema(ApiSchema):
    mode = ma.fields.Enum(PlanMode, by_value=True, dump_only=True)
    currency = ma.fields.Enum(
        Currency,
        by_value=True,
        dump_only=True,
        metadata={"description": "All costs of the plan, converted at indicative reference rates"},
    )
    objective = decimal_out(
        2, "The shares' cost plus a penalty per unassigned piece (a planning figure, not money)"
    )
    lower_bound = decimal_out(
        2, "No plan can have a lower objective; null when the solver proved none", allow_none=True
    )
    gap = ma.fields.Float(
        dump_only=True,
        allow_none=True,
        metadata={"description": "How far from optimal the plan can at most be, 0 to 1"},
    )
    seconds = ma.fields.Float(dump_only=True)
    shares = ma.fields.List(ma.fields.Nested(PlannedShareSchema), dump_only=True)
    unassigned = ma.fields.List(
        ma.fields.Nested(UnassignedSchema),
        dump_only=True,
        metadata={"description": "Pieces of orders that no listing can take"},
    )
