"""Feasibility, ranking and explanations of the matching engine (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from matching.domain import (
    Criterion,
    Exclusion,
    ExclusionReason,
    InvalidWeights,
    Offer,
    OrderNeeds,
    TrackRecord,
    Weights,
    marginal_unit_cost,
    shrunk_track_record,
)
from matching.geo import locate_city
from matching.ranking import exclusions, max_quantity, rank_offers

TODAY = date(2026, 11, 2)

NEEDS = OrderNeeds(
    order_id=1,
    buyer_company_id=100,
    process="cnc_milling_3axis",
    family="machining",
    material="al_6061",
    any_material=False,
    quantity=200,
    min_lot=50,
    splittable=True,
    tolerance_mm=0.02,
    part_size_mm=(120, 80, 30),
    certifications=frozenset({"ISO 9001"}),
    due_date=TODAY + timedelta(days=30),
    currency="CNY",
    target_unit_price=20.0,
    delivery=locate_city("上海市"),
    minutes_per_piece=6.0,  # 0.1 h per piece
)

OFFER = Offer(
    listing_id=10,
    company_id=1,
    company_name="Suzhou Precision",
    active=True,
    processes=frozenset({"cnc_milling_3axis"}),
    materials=frozenset({"al_6061", "ss_304"}),
    tolerance_mm=0.01,
    envelope_mm=(500, 400, 300),
    certifications={"ISO 9001": TODAY + timedelta(days=200)},
    free_hours=100.0,
    offered_hours=160.0,
    daily_hours=8.0,
    price_amount=150.0,
    price_currency="CNY",
    price_unit="machine_hour",
    lead_time_days=3,
    location=locate_city("Suzhou"),
    city="苏州市",
)


def test_a_capable_offer_has_no_exclusions():
    assert exclusions(NEEDS, OFFER, TODAY) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"active": False}, ExclusionReason.INACTIVE),
        ({"company_id": 100}, ExclusionReason.OWN_COMPANY),
        ({"processes": frozenset({"cnc_turning"})}, ExclusionReason.PROCESS),
        ({"materials": frozenset({"ss_304"})}, ExclusionReason.MATERIAL),
        ({"tolerance_mm": 0.05}, ExclusionReason.TOLERANCE),
        ({"envelope_mm": (100, 100, 100)}, ExclusionReason.ENVELOPE),
        ({"lead_time_days": 31}, ExclusionReason.LEAD_TIME),
        ({"free_hours": 7.9}, ExclusionReason.NO_FREE_HOURS),  # 3 h setup + 50 × 0.1 h = 8 h
    ],
)
def test_each_unmet_requirement_is_named(change, reason):
    assert exclusions(NEEDS, replace(OFFER, **change), TODAY) == [Exclusion(reason)]


def test_exactly_enough_hours_for_the_minimum_lot_is_feasible():
    assert exclusions(NEEDS, replace(OFFER, free_hours=8.0), TODAY) == []
    assert max_quantity(NEEDS, replace(OFFER, free_hours=8.0)) == 50


def test_an_order_that_may_not_be_split_needs_hours_for_all_of_it():
    whole = replace(NEEDS, splittable=False)
    assert exclusions(whole, replace(OFFER, free_hours=22.9), TODAY) == [
        Exclusion(ExclusionReason.NO_FREE_HOURS)
    ]
    assert exclusions(whole, replace(OFFER, free_hours=23.0), TODAY) == []


def test_certifications_missing_and_expired_are_told_apart():
    needs = replace(NEEDS, certifications=frozenset({"ISO 9001", "ISO 13485"}))
    offer = replace(OFFER, certifications={"ISO 9001": TODAY - timedelta(days=1)})
    assert exclusions(needs, offer, TODAY) == [
        Exclusion(ExclusionReason.CERTIFICATION_MISSING, "ISO 13485"),
        Exclusion(ExclusionReason.CERTIFICATION_EXPIRED, "ISO 9001"),
    ]


def test_a_part_may_be_turned_to_fit_the_envelope():
    assert exclusions(NEEDS, replace(OFFER, envelope_mm=(30, 500, 80)), TODAY) == []


def test_processes_for_any_material_ignore_the_material():
    needs = replace(NEEDS, any_material=True, material="pc")
    assert exclusions(needs, OFFER, TODAY) == []


def test_nobody_can_serve_gives_an_empty_ranking_with_reasons_counted():
    offers = [
        replace(OFFER, listing_id=1, certifications={}),
        replace(OFFER, listing_id=2, certifications={}),
        replace(OFFER, listing_id=3, free_hours=0.0),
    ]
    ranking = rank_offers(NEEDS, offers, Weights(), TODAY)
    assert ranking.ranked == []
    assert ranking.considered == 3
    assert ranking.exclusion_summary() == [
        {"reason": "certification_missing", "detail": "ISO 9001", "count": 2},
        {"reason": "no_free_hours", "detail": "", "count": 1},
    ]


def test_weights_decide_between_cheap_and_far_and_dear_and_near():
    cheap_far = replace(
        OFFER, listing_id=1, company_id=1, price_amount=90.0, location=locate_city("Chengdu")
    )
    dear_near = replace(
        OFFER, listing_id=2, company_id=2, price_amount=160.0, location=locate_city("Kunshan")
    )
    by_cost = rank_offers(NEEDS, [cheap_far, dear_near], Weights(cost=10, proximity=0), TODAY)
    by_distance = rank_offers(NEEDS, [cheap_far, dear_near], Weights(cost=0, proximity=10), TODAY)
    assert [r.offer.listing_id for r in by_cost.ranked] == [1, 2]
    assert [r.offer.listing_id for r in by_distance.ranked] == [2, 1]


def test_contributions_add_up_to_the_score_and_explain_every_criterion():
    ranked = rank_offers(NEEDS, [OFFER], Weights(), TODAY).ranked[0]
    assert ranked.score == pytest.approx(sum(c.points for c in ranked.contributions), abs=0.01)
    assert sum(c.weight for c in ranked.contributions) == pytest.approx(1.0)
    criteria = {c.criterion for c in ranked.contributions}
    assert criteria == {
        Criterion.PRICE,
        Criterion.LEAD_TIME,
        Criterion.TRACK_RECORD,
        Criterion.DISTANCE,
        Criterion.IDLE_CAPACITY,
    }  # no credit band known: no credit criterion
    price = next(c for c in ranked.contributions if c.criterion is Criterion.PRICE)
    # 150 CNY/h × (3 h setup + 200 × 0.1 h) / 200 pieces = 17.25 per piece, 14 % under 20
    assert price.explanation.message % price.explanation.params == (
        "About CNY 17.25 per piece, 14% below the target price."
    )


def test_a_credit_band_counts_when_known():
    strong = replace(OFFER, listing_id=1, company_id=1, credit_band="A")
    weak = replace(OFFER, listing_id=2, company_id=2, credit_band="E")
    ranking = rank_offers(NEEDS, [weak, strong], Weights(), TODAY)
    assert [r.offer.listing_id for r in ranking.ranked] == [1, 2]


def test_a_thin_track_record_is_shrunk_toward_the_platform_average():
    two_perfect = TrackRecord(2, 1.0, 1.0, 5.0, 2)
    many_good = TrackRecord(200, 0.95, 0.97, 4.6, 180)
    on_time_thin, *_ = shrunk_track_record(two_perfect)
    on_time_long, *_ = shrunk_track_record(many_good)
    assert on_time_thin == pytest.approx((2 * 1.0 + 5 * 0.85) / 7)
    assert on_time_thin < on_time_long


def test_prices_in_other_currencies_are_compared_at_reference_rates():
    usd = replace(OFFER, price_amount=20.0, price_currency="USD", price_unit="piece")
    assert marginal_unit_cost(NEEDS, usd) == pytest.approx(142.0)


def test_value_billed_offers_rank_without_a_price_estimate():
    value = replace(OFFER, price_unit="value")
    ranked = rank_offers(NEEDS, [value], Weights(), TODAY).ranked[0]
    assert ranked.unit_price is None
    price = next(c for c in ranked.contributions if c.criterion is Criterion.PRICE)
    assert price.score == 0.5


@pytest.mark.parametrize(
    "weights",
    [
        {"cost": -1},
        {"quality": 10.5},
        {"speed": float("nan")},
        {"cost": 0, "quality": 0, "speed": 0, "proximity": 0},
    ],
)
def test_weights_out_of_range_are_refused(weights):
    with pytest.raises(InvalidWeights):
        Weights(**weights)
