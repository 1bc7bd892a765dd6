"""The compatibility score and the optimal assignment: hard constraints are never broken, and the optimum
equals
brute force (itertools.permutations) on small random instances, square and rectangular."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shiguang.homeshare import matching, synthetic
from shiguang.homeshare.choices import HelpKind, Interest


def brute_force(scores: np.ndarray, feasible: np.ndarray) -> tuple[int, float]:
    """Best (feasible pairs, total score) over every assignment; infeasible pairs count as unmatched."""
    n, m = feasible.shape
    size = max(n, m)
    best = (0, 0.0)
    for perm in itertools.permutations(range(size), n if n <= m else size):
        pairs = [(i, j) for i, j in enumerate(perm) if i < n and j < m and feasible[i, j]]
        value = (len(pairs), float(sum(float(scores[i, j]) for i, j in pairs)))
        if value[0] > best[0] or (value[0] == best[0] and value[1] > best[1] + 1e-9):
            best = value
    return best


def check(scores: np.ndarray, feasible: np.ndarray) -> None:
    expected = brute_force(scores, feasible)
    for solver in (matching.assign_sparse, matching.assign_dense):
        result = solver(scores, feasible)
        pairs = result.pairs()
        assert all(feasible[i, j] for i, j in pairs), f"{solver.__name__} returned a forbidden pair"
        assert len({i for i, _ in pairs}) == len(pairs) and len({j for _, j in pairs}) == len(pairs)
        assert len(pairs) == expected[0], solver.__name__
        assert abs(result.total - expected[1]) < 1e-4, (solver.__name__, result.total, expected)


@st.composite
def matrices(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(0, 5))
    m = draw(st.integers(0, 5))
    scores = np.array(
        draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=n * m, max_size=n * m)), dtype=np.float32
    ).reshape(n, m)
    feasible = np.array(draw(st.lists(st.booleans(), min_size=n * m, max_size=n * m)), dtype=bool).reshape(
        n, m
    )
    return scores, feasible


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices())
def test_random_matrices_match_brute_force(data: tuple[np.ndarray, np.ndarray]) -> None:
    check(*data)


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6))
def test_realistic_instances_match_brute_force(seed: int, n: int, m: int) -> None:
    """Scores and hard constraints computed from offers and applications (square and rectangular)."""
    if n == 6 and m == 6:
        m = 5  # keep brute force small
    rng = np.random.default_rng(seed)
    scores, feasible = matching.score_matrix(synthetic.offers(rng, n), synthetic.applications(rng, m))
    check(scores, feasible)


def test_ties_and_all_forbidden() -> None:
    scores = np.full((4, 3), 50.0, dtype=np.float32)
    check(scores, np.ones((4, 3), dtype=bool))
    none = matching.assign_sparse(scores, np.zeros((4, 3), dtype=bool))
    assert len(none) == 0 and none.total == 0.0
    assert len(matching.assign_dense(scores, np.zeros((4, 3), dtype=bool))) == 0


def test_more_pairs_beat_a_higher_score() -> None:
    """Lexicographic objective: two pairs at 1 point each beat one pair at 100 points."""
    scores = np.array([[100.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    feasible = np.array([[True, True], [True, False]])
    result = matching.assign_sparse(scores, feasible)
    assert sorted(result.pairs()) == [(0, 1), (1, 0)]


def test_vectorised_scores_equal_the_explanation_factor_by_factor() -> None:
    rng = np.random.default_rng(7)
    o, a = synthetic.offers(rng, 30), synthetic.applications(rng, 40)
    scores, feasible = matching.score_matrix(o, a)
    for i in range(30):
        for j in range(0, 40, 3):
            e = matching.explain(o, i, a, j)
            assert e["feasible"] == bool(feasible[i, j])
            assert abs(e["score"] - float(scores[i, j])) < 0.3  # explanation rounds each factor to 0.1
            assert {h["key"] for h in e["hard"]} == set(matching.HARD)
            assert 0 <= scores[i, j] <= 100


def test_each_hard_constraint_forbids() -> None:
    base_o = dict(
        id=1, pref_gender=0, age_min=20, age_max=35, smoking_allowed=False, elder_smokes=False,
        pets_allowed=False, elder_has_pets=False, rent=500, help_kinds=0b11, help_hours=6, languages=0b1,
        interests=0, lat=22.54, lng=114.05, evenings_wanted=3,
    )  # fmt: skip
    base_a = dict(
        id=1, gender=1, age=25, smoker=False, accepts_smoke=False, has_pets=False, accepts_pets=True,
        budget=800, help_kinds=0b111, help_hours=8, languages=0b11, interests=0, lat=22.54, lng=114.05,
        evenings_home=3,
    )  # fmt: skip
    breaks = [
        ({"pref_gender": 2}, {}, "gender"),
        ({}, {"smoker": True}, "smoking"),
        ({"elder_smokes": True}, {}, "smoking"),
        ({}, {"has_pets": True}, "pets"),
        ({"elder_has_pets": True}, {"accepts_pets": False}, "pets"),
        ({"rent": 900}, {}, "budget"),
        ({"help_kinds": 0b1000}, {}, "help"),
        ({"help_hours": 9}, {}, "help"),
        ({"languages": 0b100}, {}, "language"),
    ]
    o = matching.offers_from_rows([base_o])
    a = matching.applications_from_rows([base_a])
    assert matching.feasible_matrix(o, a)[0, 0]
    for o_change, a_change, key in breaks:
        o = matching.offers_from_rows([{**base_o, **o_change}])
        a = matching.applications_from_rows([{**base_a, **a_change}])
        assert not matching.feasible_matrix(o, a)[0, 0], key
        explanation = matching.explain(o, 0, a, 0)
        assert [h["key"] for h in explanation["hard"] if not h["ok"]] == [key]


def test_top_candidates_are_feasible_and_best_first() -> None:
    scores = np.array([[10, 90, 50, 70, 80]], dtype=np.float32)
    feasible = np.array([[True, False, True, True, True]])
    assert matching.top_candidates(scores, feasible, 0, 3) == [4, 3, 2]


def test_bit_orders_match_the_choices() -> None:
    assert tuple(HelpKind.values) == matching.HELP_KINDS
    assert tuple(Interest.values) == matching.INTERESTS
