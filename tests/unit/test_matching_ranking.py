"""Ranking over columns: the best few explained rows are exactly the best of all, and the column
scores agree with `score_offer`, which explains them."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.domain import TrackRecord, Weights
from matching.geo import locate_city
from matching.ranking import OfferColumns, OfferHours, OfferRecord, rank_columns, rank_offers
from tests.unit.test_matching_domain import NEEDS, OFFER, TODAY

CITIES = ["Suzhou", "Shenzhen", "Ningbo", "Chengdu", "Nowhere"]


@st.composite
def offers(draw: st.DrawFn, listing_id: int):
    record = draw(
        st.none()
        | st.builds(
            TrackRecord,
            completed_packages=st.integers(0, 300),
            on_time_rate=st.none() | st.floats(0, 1),
            quality_acceptance_rate=st.none() | st.floats(0, 1),
            average_rating=st.none() | st.floats(1, 5),
            ratings_count=st.integers(0, 300),
        )
    )
    city = draw(st.sampled_from(CITIES))
    return replace(
        OFFER,
        listing_id=listing_id,
        company_id=draw(st.integers(1, 8)),
        active=draw(st.booleans()) or draw(st.booleans()),
        free_hours=draw(st.floats(0, 400)),
        offered_hours=draw(st.floats(0, 400)),
        daily_hours=draw(st.floats(0, 24)),
        unbooked_hours=draw(st.none() | st.floats(0, 400)),
        price_amount=draw(st.floats(1, 500)),
        price_currency=draw(st.sampled_from(["CNY", "USD", "EUR"])),
        price_unit=draw(st.sampled_from(["machine_hour", "piece", "value"])),
        lead_time_days=draw(st.integers(0, 35)),
        tolerance_mm=draw(st.none() | st.sampled_from([0.005, 0.01, 0.05])),
        certifications=draw(
            st.sampled_from(
                [{}, {"ISO 9001": TODAY + timedelta(days=90)}, {"ISO 9001": TODAY - timedelta(1)}]
            )
        ),
        track_record=record,
        credit_band=draw(st.none() | st.sampled_from(["A", "C", "E"])),
        location=locate_city(city),
        city=city,
    )


@st.composite
def rankings(draw: st.DrawFn):
    drawn = [draw(offers(listing_id)) for listing_id in range(1, draw(st.integers(1, 40)) + 1)]
    needs = replace(
        NEEDS,
        splittable=draw(st.booleans()),
        currency=draw(st.sampled_from(["CNY", "USD"])),
        target_unit_price=draw(st.none() | st.floats(1, 100)),
        certifications=draw(st.sampled_from([frozenset(), frozenset({"ISO 9001"})])),
    )
    weights = Weights(
        cost=draw(st.integers(0, 10)),
        quality=draw(st.integers(0, 10)),
        speed=draw(st.integers(0, 10)),
        proximity=draw(st.integers(1, 10)),
    )
    return needs, drawn, weights, draw(st.integers(1, 10))


@settings(max_examples=100, deadline=None)
@given(rankings())
def test_the_best_kept_are_the_best_of_all_and_scores_agree(case):
    needs, drawn, weights, keep = case
    everything = rank_offers(needs, drawn, weights, TODAY)
    best = rank_offers(needs, drawn, weights, TODAY, keep=keep)
    assert [item.offer.listing_id for item in best.ranked] == [
        item.offer.listing_id for item in everything.ranked[:keep]
    ]
    assert best.feasible == everything.feasible == len(everything.ranked)
    assert best.excluded == everything.excluded
    column_scores = dict(zip(everything.choices.listing_id, everything.choices.score, strict=True))
    for item in everything.ranked:
        assert column_scores[item.offer.listing_id] == pytest.approx(item.score, abs=0.011)
        assert sum(c.points for c in item.contributions) == pytest.approx(item.score, abs=0.006)


@settings(max_examples=100, deadline=None)
@given(rankings(), st.data())
def test_updated_columns_rank_like_columns_built_afresh(case, data):
    needs, drawn, weights, _ = case
    # Rows replaced (some with a new material and certificate), one appended, one gone
    changed = data.draw(st.lists(st.sampled_from(range(len(drawn))), unique=True))
    replacements = [
        replace(
            drawn[row],
            price_amount=drawn[row].price_amount * 2,
            materials=drawn[row].materials | {"ti_6al4v"},
            certifications={**drawn[row].certifications, "AS9100": TODAY + timedelta(days=9)},
        )
        for row in changed
    ]
    appended = replace(drawn[0], listing_id=len(drawn) + 1)
    gone = data.draw(st.sampled_from(range(len(drawn))))
    columns = OfferColumns([OfferRecord.of(offer) for offer in drawn]).updated(
        np.array([*changed, len(drawn)], dtype=np.int64),
        [OfferRecord.of(offer) for offer in [*replacements, appended]],
        np.array([gone]),
    )
    final = list(drawn)
    for row, offer in zip(changed, replacements, strict=True):
        final[row] = offer
    final.append(appended)
    hours = OfferHours.of(final)
    for wanted in (needs, replace(needs, material="ti_6al4v", certifications={"AS9100"})):
        got = rank_columns(wanted, columns, hours, weights, TODAY, considered=columns.present)
        expected = rank_offers(wanted, final[:gone] + final[gone + 1 :], weights, TODAY)
        assert [i.offer for i in got.ranked] == [i.offer for i in expected.ranked]
        assert got.excluded == expected.excluded
