"""The indexed ranker returns exactly the full scan's top 10 (plain arrays, no database)."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from shiguang.aid import dispatch
from shiguang.core.clock import SHANGHAI


def synthetic(n: int, seed: int, *, spread: float = 0.03) -> dispatch.VolunteerArrays:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        days = rng.sample(dispatch.DAYS, k=rng.randint(0, 3))
        avail = {d: [rng.choice(["09:00-12:00", "14:00-17:00", "19:00-21:00"])] for d in days}
        records.append(
            {
                "id": 1000 + i * 3,
                "user_id": 50000 + i,
                "lat": 22.54 + rng.gauss(0, spread),
                "lng": 114.06 + rng.gauss(0, spread),
                "gender": rng.choice([0, 1]),
                "skills": rng.getrandbits(10),
                "languages": rng.choice([1, 3, 1, 33]),
                "avail": dispatch.parse_availability(avail),
                "rating_mean": rng.choice([0.0, 3.0, 4.5, 5.0]),
                "rating_count": rng.choice([0, 1, 5, 20]),
            }
        )
    return dispatch.VolunteerArrays.from_records(records)


def query(arrays: dispatch.VolunteerArrays, rng: random.Random) -> dispatch.RankQuery:
    ids = arrays.ids
    start = dt.datetime(2026, 3, 2 + rng.randint(0, 6), rng.choice([9, 10, 15, 19]), 0, tzinfo=SHANGHAI)
    timed = rng.random() < 0.7
    need = (
        dispatch.slots_between(start, rng.choice([30, 60, 120]))
        if timed
        else dispatch.slots_between(start, 60 * 24 * 3)
    )
    allowed = np.sort(rng.sample(list(ids), k=len(ids) // 3)) if rng.random() < 0.3 else None
    excluded = np.sort(rng.sample(list(ids), k=min(5, len(ids)))) if rng.random() < 0.5 else None
    familiar = np.sort(rng.sample(list(ids), k=min(3, len(ids)))) if rng.random() < 0.3 else None
    loaded = np.sort(np.array(rng.sample(list(ids), k=min(20, len(ids))), dtype=np.int64))
    return dispatch.RankQuery(
        lat=22.54 + rng.gauss(0, 0.02),
        lng=114.06 + rng.gauss(0, 0.02),
        category_bit=rng.choice([0, 1, 2, 4, 64]),
        need=need,
        timed=timed,
        gender=rng.choice([-1, -1, 0, 1]),
        language_mask=rng.choice([0, 0, 2]),
        max_km=rng.choice([2.0, 5.0]),
        max_load=3,
        allowed_ids=np.array(allowed, dtype=np.int64) if allowed is not None else None,
        excluded_ids=np.array(excluded, dtype=np.int64) if excluded is not None else None,
        familiar_ids=np.array(familiar, dtype=np.int64) if familiar is not None else None,
        load_ids=loaded,
        load_counts=np.array([rng.randint(0, 4) for _ in loaded], dtype=np.int64),
    )


def test_indexed_ranking_equals_full_scan_on_many_queries():
    arrays = synthetic(3000, seed=7)
    rng = random.Random(11)
    for _ in range(60):
        q = query(arrays, rng)
        fast = dispatch.rank(arrays, q, top=10)
        slow = dispatch.rank_full_scan(arrays, q, top=10)
        assert [c.volunteer_id for c in fast.candidates] == [c.volunteer_id for c in slow.candidates]
        assert [c.score for c in fast.candidates] == [c.score for c in slow.candidates]
        assert fast.examined <= len(arrays)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 400), top=st.integers(1, 15))
def test_indexed_ranking_equals_full_scan_property(seed, n, top):
    arrays = synthetic(n, seed=seed, spread=0.01)
    q = query(arrays, random.Random(seed))
    fast = [c.volunteer_id for c in dispatch.rank(arrays, q, top=top, first_batch=4).candidates]
    slow = [c.volunteer_id for c in dispatch.rank_full_scan(arrays, q, top=top).candidates]
    assert fast == slow


def test_ties_break_by_distance_then_id():
    base = {"gender": 0, "skills": 0, "languages": 1, "avail": 0, "rating_mean": 0.0, "rating_count": 0}
    records = [
        {**base, "id": 5, "user_id": 5, "lat": 22.54, "lng": 114.06},
        {**base, "id": 3, "user_id": 3, "lat": 22.54, "lng": 114.06},
        {**base, "id": 9, "user_id": 9, "lat": 22.545, "lng": 114.06},
    ]
    arrays = dispatch.VolunteerArrays.from_records(records)
    q = dispatch.RankQuery(lat=22.54, lng=114.06, category_bit=0, need=1, timed=True)
    assert [c.volunteer_id for c in dispatch.rank(arrays, q).candidates] == [3, 5, 9]


def test_availability_parsing_and_slots():
    mask = dispatch.parse_availability(
        {"mon": ["09:00-10:00"], "sun": ["23:30-24:00"], "xyz": ["1-2"], "tue": "bad"}
    )
    assert dispatch.popcount(mask) == 3
    monday_nine = dt.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    assert dispatch.slots_between(monday_nine, 60) == (1 << 18) | (1 << 19)
    sunday_late = dt.datetime(2026, 3, 8, 23, 45, tzinfo=SHANGHAI)
    wrap = dispatch.slots_between(sunday_late, 30)
    assert wrap == (1 << 335) | 1  # wraps into Monday 00:00
    assert dispatch.slots_between(monday_nine, 7 * 24 * 60) == dispatch.ALL_WEEK


def test_rating_points_pull_newcomers_to_the_prior():
    assert dispatch.rating_points(0.0, 0) == 7.5
    assert dispatch.rating_points(5.0, 100) > 9.9
    assert dispatch.rating_points(1.0, 3) < dispatch.rating_points(1.0, 0)


def test_haversine_is_metres():
    assert abs(dispatch.haversine_m(22.54, 114.06, 22.541, 114.06) - 111.2) < 1
