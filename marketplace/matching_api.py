"""REST endpoints of matching: an order's ranked suppliers and proposed split, the buyer's
weights, a supplier's recommended orders and operators' batch plans.

The engine explains itself in message ids with parameters; they are rendered here, in the
caller's language, so a stored ranking reads in whichever language its reader uses.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal
from typing import Any

from flask.views import MethodView
from flask_babel import gettext

from core.api import ApiBlueprint
from core.auth import Scope, api_auth, current_principal
from core.i18n import translate
from marketplace.matching_schemas import (
    MatchesSchema,
    MatchWeightsArgs,
    MatchWeightsSchema,
    PlanRequestSchema,
    PlanSchema,
    ProposalInvitationSchema,
    RecommendationSchema,
    RecommendedOrdersArgs,
)
from marketplace.services import matching
from matching.domain import (
    CRITERION_LABELS,
    EXCLUSION_MESSAGES,
    InvalidWeights,
    Weights,
)

matching_api = ApiBlueprint(
    "matching",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Ranked suppliers for an order with the reasons, proposed splits, suppliers' "
        "recommended orders and batch plans"
    ),
)

CENT = Decimal("0.01")


# --------------------------------------------------------------------------------------------
# Rendering explanations
# --------------------------------------------------------------------------------------------


def _label(criterion: str) -> str:
    label = CRITERION_LABELS.get(criterion)
    return gettext(label) if label else criterion


def _explanations(contributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **contribution,
            "label": _label(contribution["criterion"]),
            "text": translate(
                contribution["message"],
                contribution.get("params") or {},
                contribution.get("plural"),
            ),
        }
        for contribution in contributions
    ]


def _with_explanations(record: Any) -> dict[str, Any]:
    """A candidate or recommendation (a dataclass) as a dict, its contributions rendered."""
    # Shallow on purpose: a recommendation holds the Order row, which must not be copied.
    values = {item.name: getattr(record, item.name) for item in fields(record)}
    values["explanations"] = _explanations(record.contributions)
    return values


def _exclusions(summary: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rendered = []
    for exclusion in summary:
        pair = EXCLUSION_MESSAGES.get(exclusion["reason"])
        params = {"count": exclusion["count"], "detail": exclusion["detail"]}
        text = translate(pair[0], params, pair[1]) if pair else exclusion["reason"]
        rendered.append({**exclusion, "text": text})
    return rendered


def _matches_view(matches: matching.Matches) -> dict[str, Any]:
    return {
        "order_id": matches.order.id,
        "currency": matches.order.currency,
        "weights": matches.weights.as_dict(),
        "computed_at": matches.computed_at,
        "considered": matches.considered,
        "feasible": matches.feasible,
        "exclusions": _exclusions(matches.exclusions),
        "candidates": [_with_explanations(candidate) for candidate in matches.candidates],
        "proposal": matches.proposal,
        "stored": matches.stored,
    }


def _weights(values: dict[str, float], location: str) -> Weights:
    """Weights from the request; those not sent take the defaults.

    Raises:
        InvalidWeights pointing at the request's `location` when all of them are zero.
    """
    try:
        return Weights(**values)
    except InvalidWeights as error:
        error.location = location
        raise


# --------------------------------------------------------------------------------------------
# An order's matches (its buyer, or an operator reading)
# --------------------------------------------------------------------------------------------


@matching_api.route("/orders/<id:order_id>/matches")
class OrderMatches(MethodView):
    @api_auth()
    @matching_api.arguments(MatchWeightsArgs, location="query")
    @matching_api.response(200, MatchesSchema)
    def get(self, args: dict[str, float], order_id: int) -> Any:
        """The suppliers best placed to make the order, best first, and why; the others counted
        by the reason they cannot.

        Without weights the order's own (or the defaults) rank, as stored; with any of `cost`,
        `quality`, `speed`, `proximity` the listings are ranked now for those weights (the
        others at their defaults) and nothing is stored. The proposal is the cheapest split of
        the order over at most five of them.
        """
        weights = _weights(args, "query") if args else None
        return _matches_view(matching.get_matches(current_principal(), order_id, weights))


@matching_api.route("/orders/<id:order_id>/match-weights")
class OrderMatchWeights(MethodView):
    @api_auth(Scope.WRITE)
    @matching_api.arguments(MatchWeightsSchema)
    @matching_api.response(200, MatchesSchema)
    def put(self, body: dict[str, float], order_id: int) -> Any:
        """Keep how much the buyer cares about cost, quality, speed and proximity on the order;
        answers with the matches ranked by them."""
        weights = _weights(body, "json")
        return _matches_view(matching.save_match_weights(current_principal(), order_id, weights))


@matching_api.route("/orders/<id:order_id>/matches/proposal/accept")
class ProposalAcceptance(MethodView):
    @api_auth(Scope.WRITE)
    @matching_api.response(200, ProposalInvitationSchema(many=True))
    def post(self, order_id: int) -> Any:
        """Invite the suppliers of the proposed split to quote, each told its proposed share.

        Accepting again invites nobody new (only the proposed shares are brought up to date).
        """
        invitations = matching.accept_proposal(current_principal(), order_id)
        return sorted(invitations, key=lambda invitation: invitation.supplier_company_id)


# --------------------------------------------------------------------------------------------
# A supplier's recommended orders
# --------------------------------------------------------------------------------------------


@matching_api.route("/matching/recommended-orders")
class RecommendedOrders(MethodView):
    @api_auth()
    @matching_api.arguments(RecommendedOrdersArgs, location="query")
    @matching_api.response(200, RecommendationSchema(many=True))
    def get(self, args: dict[str, int]) -> Any:
        """Open orders the caller's capacity matches best, best first, one entry per order
        (supplier companies)."""
        recommendations = matching.recommended_orders(current_principal(), limit=args["limit"])
        return [_with_explanations(item) for item in recommendations]


# --------------------------------------------------------------------------------------------
# Batch plans (operators)
# --------------------------------------------------------------------------------------------


def _cents(amount: float) -> Decimal:
    return Decimal(repr(float(amount))).quantize(CENT)


@matching_api.route("/matching/plan")
class BatchPlanning(MethodView):
    @api_auth(operator=True)
    @matching_api.arguments(PlanRequestSchema)
    @matching_api.response(200, PlanSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Plan open orders (the given ones, or all) over the listings' free hours at least
        total cost (operators only); nothing is booked.

        `whole` gives each order to one listing (a generalized assignment problem); `split`
        may share an order between listings. Pieces no listing can take stay unassigned.
        """
        result = matching.plan_open_orders(
            current_principal(),
            order_ids=body.get("order_ids"),
            mode=body["mode"],
            time_limit=body["time_limit"],
        )
        plan = result.plan
        shares = []
        for share in plan.shares:
            title, company_id, company_name = result.listings[share.factory]
            shares.append(
                {
                    "order_id": share.order,
                    "listing_id": share.factory,
                    "listing_title": title,
                    "company_id": company_id,
                    "company_name": company_name,
                    "quantity": share.quantity,
                    "cost": _cents(share.cost),
                }
            )
        return {
            "mode": plan.mode,
            "currency": result.currency,
            "objective": _cents(plan.objective),
            "lower_bound": None if plan.lower_bound is None else _cents(plan.lower_bound),
            "gap": plan.gap,
            "seconds": plan.seconds,
            "shares": shares,
            "unassigned": [
                {"order_id": order_id, "pieces": pieces}
                for order_id, pieces in sorted(plan.unassigned.items())
            ],
        }
