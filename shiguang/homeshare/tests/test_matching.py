"""The compatibility score and the optimal assignment: hard constraints are never broken, and the optimum
equals
brute force (itertools.permutations) on small random instances, square and rectangular."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shiguang.homeshare import lapsolver, matching, synthetic
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


# --- lapsolver: pricing rounds, dummy rows, transposed blocks, integer scores ---


def starve_the_restricted_problem(monkeypatch: Any, dummy_budget: int = 200) -> None:
    """One arc per row in the restricted problem and one arc added per pricing round: almost every answer then
    comes out of the pricing loop (rows freed and re-augmented warm, dummy rows moved). dummy_budget 1: free
    dummies are placed by the forward search; huge: by the backward search from free columns."""
    monkeypatch.setattr(lapsolver, "TOP_K", 1)
    monkeypatch.setattr(lapsolver, "ADD_PER_ROW", 1)
    monkeypatch.setattr(lapsolver, "AUCTION_STEPS", (40.0,))
    monkeypatch.setattr(lapsolver, "DUMMY_BUDGET", dummy_budget)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("dummy_budget", [1, 10**9])
def test_pricing_loop_matches_brute_force(monkeypatch: Any, seed: int, dummy_budget: int) -> None:
    starve_the_restricted_problem(monkeypatch, dummy_budget)
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    if n == 6 and m == 6:
        m = 5
    scores = rng.integers(0, 101, size=(n, m)).astype(np.float32)
    feasible = rng.random((n, m)) < rng.uniform(0.2, 1.0)
    check(scores, feasible)


@pytest.mark.parametrize(
    ("n", "m", "seed"), [(60, 40, 1), (40, 60, 2), (80, 80, 3), (150, 120, 4), (90, 160, 5)]
)
@pytest.mark.parametrize("starved", [None, 1, 10**9])
def test_realistic_medium_instances_equal_dense_assignment(
    monkeypatch: Any, n: int, m: int, seed: int, starved: int | None
) -> None:
    """Too big for brute force: compared with linear_sum_assignment on the whole matrix (assign_dense)."""
    rounds: list[int] = []
    price = lapsolver._price
    monkeypatch.setattr(lapsolver, "_price", lambda *args: rounds.append(price(*args)) or rounds[-1])
    if starved:
        starve_the_restricted_problem(monkeypatch, starved)
    rng = np.random.default_rng(seed)
    scores, feasible = matching.score_matrix(synthetic.offers(rng, n), synthetic.applications(rng, m))
    ours, dense = matching.assign_sparse(scores, feasible), matching.assign_dense(scores, feasible)
    assert rounds[-1] == 0 and (len(rounds) > 1 or not starved)  # starved: pricing had arcs to add
    assert bool(feasible[ours.rows, ours.cols].all())
    assert len(ours) == len(dense)
    assert abs(ours.total - dense.total) <= 1e-6 * max(1.0, dense.total)


def test_forbidden_pairs_are_never_returned_even_when_they_score_best() -> None:
    rng = np.random.default_rng(11)
    feasible = rng.random((30, 25)) < 0.3
    scores = np.where(feasible, rng.uniform(0, 10, (30, 25)), 100.0).astype(np.float32)
    result = matching.assign_sparse(scores, feasible)
    assert len(result) == len(matching.assign_dense(scores, feasible))
    assert bool(feasible[result.rows, result.cols].all())


def test_blocks_of_every_kind_and_isolated_nodes() -> None:
    """Rows 0–3 compete for columns 0–1 (under-determined: solved transposed), rows 4–5 hold columns 2–5
    (over-determined: dummy rows take the two left over), row 6 has no feasible pair, column 6 neither."""
    feasible = np.zeros((7, 7), dtype=bool)
    feasible[0:4, 0:2] = True
    feasible[4:6, 2:6] = True
    scores = np.arange(49, dtype=np.float32).reshape(7, 7) % 13
    check(scores, feasible)
    result = matching.assign_sparse(scores, feasible)
    assert len(result) == 4
    assert 6 not in result.rows and 6 not in result.cols


def test_scores_become_exact_integers() -> None:
    rng = np.random.default_rng(5)
    values = (rng.random(10_000) * 100).astype(np.float32)
    values[:3] = [0.0, 100.0, 0.37]
    unit = matching.score_unit(float(values[values > 0].min()), 100.0, values.dtype, 10_000)
    scaled = values.astype(np.float64) * unit
    assert np.array_equal(scaled, np.rint(scaled))
    assert matching.score_unit(1.0, 100.0, np.dtype(np.int64), 10) == 1.0
    assert matching.score_unit(np.inf, 0.0, np.dtype(np.float32), 10) == 1.0  # every score is 0
    tiny = matching.score_unit(1e-30, 100.0, np.dtype(np.float32), 10_000)  # capped: no int64 overflow
    assert (100.0 + 1.0) * tiny * 10_000 <= 2.0**58


def test_tiny_scores_still_give_the_optimum_within_rounding() -> None:
    scores = np.array([[1e-30, 2e-30, 0.0], [3e-30, 1e-30, 5e-31]], dtype=np.float32)
    feasible = np.ones((2, 3), dtype=bool)
    result = matching.assign_sparse(scores, feasible)
    assert len(result) == 2 and abs(result.total - brute_force(scores, feasible)[1]) < 1e-12


def test_solver_certificate_on_a_random_sparse_problem(monkeypatch: Any) -> None:
    """lapsolver.solve directly, against scipy's sparse LAPJV on the same integer costs (rectangular)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching, min_weight_full_bipartite_matching

    starve_the_restricted_problem(monkeypatch)
    rng = np.random.default_rng(3)
    n_left, n_right = 120, 150
    dense = rng.random((n_left, n_right)) < 0.08
    dense[np.arange(n_left), rng.permutation(n_right)[:n_left]] = True  # a left-perfect matching exists
    rows, cols = np.nonzero(dense)
    cost = rng.integers(0, 1000, len(rows)).astype(np.int64)
    indptr = np.searchsorted(rows, np.arange(n_left + 1)).astype(np.int64)
    graph = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n_left, n_right))
    hk = maximum_bipartite_matching(graph, perm_type="column")
    mate = lapsolver.solve(
        n_left, n_right, indptr, cols.astype(np.int64), cost, np.ones(n_right, bool), hk[rows] == cols, 10.0
    )
    assert len(set(mate.tolist())) == n_left and bool(dense[np.arange(n_left), mate].all())
    lookup = {(int(r), int(c)): int(w) for r, c, w in zip(rows, cols, cost, strict=True)}
    ours = sum(lookup[(i, int(j))] for i, j in enumerate(mate))
    r, c = min_weight_full_bipartite_matching(csr_matrix((cost + 1.0, (rows, cols)), shape=(n_left, n_right)))
    assert ours == sum(lookup[(int(i), int(j))] for i, j in zip(r, c, strict=True))


@pytest.mark.parametrize("seed", range(12))
def test_maximum_matching_has_hopcroft_karps_size(seed: int) -> None:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 300)), int(rng.integers(1, 300))
    feasible = rng.random((n, m)) < rng.uniform(0.002, 0.05)
    indptr, indices = lapsolver.feasible_csr(feasible)
    col_of = lapsolver.maximum_matching(n, m, indptr, indices)
    matched = np.flatnonzero(col_of >= 0)
    assert bool(feasible[matched, col_of[matched]].all())
    assert len(set(col_of[matched].tolist())) == len(matched)
    reference = maximum_bipartite_matching(csr_matrix(feasible), perm_type="column")
    assert len(matched) == int((reference >= 0).sum())
