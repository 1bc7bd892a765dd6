"""Compatibility scoring and optimal assignment for homeshare (numpy, scipy, numba; no Django).

Score of an elder's offer i and a youth's application j
-------------------------------------------------------
Hard constraints (a pair that breaks any of them is FORBIDDEN, never proposed, never assigned):
  gender      the elder's gender preference ("any" or the youth's gender)
  smoking     a smoking youth needs a home where smoking is allowed; an elder who smokes needs a youth
              who accepts it
  pets        a youth with a pet needs a home that allows pets; an elder with pets needs a youth who
              accepts them
  budget      the monthly rent is within the youth's budget
  help        every kind of help the elder wants is offered by the youth, for at least the hours wanted
  language    they share at least one language
Soft factors (points, 100 in all), each explained to the coordinator:
  commute     35 · clip((20 km − d) / 18 km, 0, 1): full marks within 2 km of work/study, none beyond 20 km
  evenings    25 · min(evenings at home, evenings wanted) / evenings wanted (full when none are wanted)
  interests   20 · shared interests / min(#interests of either) (10 when either lists none)
  age         20 within the elder's preferred age range, 4 points less per year outside (10 if age unknown)

Optimal assignment
------------------
Objective (lexicographic): as many feasible pairs as possible, then the largest total score among those.
This is exactly what `linear_sum_assignment` computes on a matrix where forbidden pairs carry a penalty larger
than any possible total (`assign_dense`), and what `assign_sparse` computes much faster on feasible edges
only:

  1. A maximum matching (greedy, then Pothen–Fan augmenting paths) gives the maximum number of pairs ν.
  2. The Dulmage–Mendelsohn decomposition splits rows and columns into an under-determined block (reached by
     alternating paths from unmatched rows), an over-determined block (from unmatched columns) and a square
     block. Every maximum matching matches each block within itself, so edges between blocks are dropped.
     What is left is one problem in which every "left" node must be matched: the rows of the square and
     over-determined blocks and (transposed) the columns of the under-determined block; the right nodes of
     the two non-square blocks may stay unmatched (dummy left nodes take them).
  3. That problem is solved exactly by `lapsolver` (compiled with numba) on integer costs: scores are scaled
     by the power of two that makes every one of them an integer (`score_unit`; exact for float32 scores),
     an auction gives prices, Jonker–Volgenant solves a restricted problem warm, and a pricing pass over all
     feasible edges certifies the result with its dual (LP duality) or adds the violating edges and repeats.

Why no forbidden pair can ever be returned: `assign_sparse` builds its graphs from the feasible edges only —
a forbidden pair is not an edge of any graph the solver sees, and the solver returns edges of its graph.
`assign_dense` drops every returned pair whose `feasible` entry is False. Both end with an explicit check
(`_checked`) that raises if a forbidden pair were ever present. Rectangular inputs (more offers than
applications or the reverse) are handled by both: unmatched rows or columns are simply absent from the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

# Bit positions: the order of these tuples is part of the stored data's meaning; append, never reorder.
HELP_KINDS = (
    "companionship",
    "shopping",
    "light_housework",
    "digital_help",
    "cooking_together",
    "outing",
    "medical_escort",
    "errands",
)
FORBIDDEN_HELP = ("personal_care", "nursing_care")  # never part of homeshare: professional services do this
LANGUAGES = ("mandarin", "cantonese", "hakka", "teochew", "minnan", "english")
INTERESTS = (
    "reading",
    "chess",
    "music",
    "cooking",
    "gardening",
    "walking",
    "calligraphy",
    "technology",
    "films",
    "travel",
)
GENDER_CODE = {"": 0, "any": 0, "female": 1, "male": 2}

MAX_SCORE = 100.0
COMMUTE_POINTS, COMMUTE_FULL_KM, COMMUTE_ZERO_KM = 35.0, 2.0, 20.0
EVENING_POINTS = 25.0
INTEREST_POINTS = 20.0
AGE_POINTS, AGE_PENALTY_PER_YEAR = 20.0, 4.0
KM_PER_DEG_LAT = 110.57
KM_PER_DEG_LNG = 111.32 * math.cos(math.radians(22.54))  # Shenzhen's latitude
HARD = ("gender", "smoking", "pets", "budget", "help", "language")
SOFT = ("commute", "evenings", "interests", "age")


def bits(values: Any, universe: tuple[str, ...]) -> int:
    """Bitmask of the known `values` (unknown ids are ignored)."""
    index = {v: k for k, v in enumerate(universe)}
    mask = 0
    for v in values or ():
        if v in index:
            mask |= 1 << index[v]
    return mask


def names(mask: int, universe: tuple[str, ...]) -> list[str]:
    return [v for k, v in enumerate(universe) if mask >> k & 1]


@dataclass
class Offers:
    """Column arrays describing n offers (rows of the score matrix)."""

    pref_gender: np.ndarray  # uint8: 0 any, 1 female, 2 male
    age_min: np.ndarray  # uint8
    age_max: np.ndarray  # uint8
    smoking_allowed: np.ndarray  # bool
    elder_smokes: np.ndarray  # bool
    pets_allowed: np.ndarray  # bool
    elder_has_pets: np.ndarray  # bool
    rent: np.ndarray  # int32, yuan per month (0 = free)
    help_kinds: np.ndarray  # uint16 bitmask over HELP_KINDS
    help_hours: np.ndarray  # uint8 hours per week
    languages: np.ndarray  # uint8 bitmask over LANGUAGES
    interests: np.ndarray  # uint16 bitmask over INTERESTS
    lat: np.ndarray  # float32
    lng: np.ndarray  # float32
    evenings_wanted: np.ndarray  # uint8 0..7
    ids: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.rent)


@dataclass
class Applications:
    """Column arrays describing m applications (columns of the score matrix)."""

    gender: np.ndarray  # uint8: 1 female, 2 male
    age: np.ndarray  # uint8, 0 = unknown
    smoker: np.ndarray  # bool
    accepts_smoke: np.ndarray  # bool
    has_pets: np.ndarray  # bool
    accepts_pets: np.ndarray  # bool
    budget: np.ndarray  # int32, yuan per month
    help_kinds: np.ndarray  # uint16 bitmask offered
    help_hours: np.ndarray  # uint8 hours per week offered
    languages: np.ndarray  # uint8
    interests: np.ndarray  # uint16
    lat: np.ndarray  # float32 (place of work or study)
    lng: np.ndarray  # float32
    evenings_home: np.ndarray  # uint8 0..7
    ids: list[Any] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.budget)


_OFFER_TYPES: dict[str, Any] = {
    "pref_gender": np.uint8,
    "age_min": np.uint8,
    "age_max": np.uint8,
    "smoking_allowed": np.bool_,
    "elder_smokes": np.bool_,
    "pets_allowed": np.bool_,
    "elder_has_pets": np.bool_,
    "rent": np.int32,
    "help_kinds": np.uint16,
    "help_hours": np.uint8,
    "languages": np.uint8,
    "interests": np.uint16,
    "lat": np.float32,
    "lng": np.float32,
    "evenings_wanted": np.uint8,
}
_APP_TYPES: dict[str, Any] = {
    "gender": np.uint8,
    "age": np.uint8,
    "smoker": np.bool_,
    "accepts_smoke": np.bool_,
    "has_pets": np.bool_,
    "accepts_pets": np.bool_,
    "budget": np.int32,
    "help_kinds": np.uint16,
    "help_hours": np.uint8,
    "languages": np.uint8,
    "interests": np.uint16,
    "lat": np.float32,
    "lng": np.float32,
    "evenings_home": np.uint8,
}


def offers_from_rows(rows: list[dict[str, Any]]) -> Offers:
    """Rows are dicts with the Offers field names (bitmasks already computed); `id` is kept in `ids`."""
    cols = {k: np.array([r[k] for r in rows], dtype=t) for k, t in _OFFER_TYPES.items()}
    return Offers(**cols, ids=[r.get("id") for r in rows])


def applications_from_rows(rows: list[dict[str, Any]]) -> Applications:
    cols = {k: np.array([r[k] for r in rows], dtype=t) for k, t in _APP_TYPES.items()}
    return Applications(**cols, ids=[r.get("id") for r in rows])


# --- the score matrix ---------------------------------------------------------------------------------------


def _flag_table() -> np.ndarray:
    """feasible[offer_code, app_code] for the gender, smoking and pets constraints."""
    table = np.zeros((48, 32), dtype=bool)
    for oc in range(48):
        pref, smoke_ok, smokes, pets_ok, has_pets = oc >> 4, oc >> 3 & 1, oc >> 2 & 1, oc >> 1 & 1, oc & 1
        for ac in range(32):
            gender = (ac >> 4) + 1
            smoker, acc_smoke, y_pets, acc_pets = ac >> 3 & 1, ac >> 2 & 1, ac >> 1 & 1, ac & 1
            table[oc, ac] = (
                (pref == 0 or pref == gender)
                and (not smoker or smoke_ok)
                and (not smokes or acc_smoke)
                and (not y_pets or pets_ok)
                and (not has_pets or acc_pets)
            )
    return table


FLAG_TABLE = _flag_table()


def _offer_codes(o: Offers) -> np.ndarray:
    return (
        o.pref_gender.astype(np.intp) * 16
        + o.smoking_allowed * 8
        + o.elder_smokes * 4
        + o.pets_allowed * 2
        + o.elder_has_pets
    )


def _app_codes(a: Applications) -> np.ndarray:
    return (
        (np.clip(a.gender.astype(np.intp), 1, 2) - 1) * 16
        + a.smoker * 8
        + a.accepts_smoke * 4
        + a.has_pets * 2
        + a.accepts_pets
    )


def feasible_matrix(o: Offers, a: Applications) -> np.ndarray:
    """n × m booleans: True where no hard constraint is broken."""
    feasible = np.take(FLAG_TABLE[_offer_codes(o)], _app_codes(a), axis=1)
    feasible &= o.rent[:, None] <= a.budget[None, :]
    missing = np.bitwise_and.outer(o.help_kinds, ~a.help_kinds)
    feasible &= missing == 0
    feasible &= o.help_hours[:, None] <= a.help_hours[None, :]
    feasible &= np.bitwise_and.outer(o.languages, a.languages) != 0
    return feasible


def _evening_points(wanted: np.ndarray | int, home: np.ndarray | int) -> Any:
    wanted_f = np.asarray(wanted, dtype=np.float32)
    home_f = np.asarray(home, dtype=np.float32)
    return np.where(
        wanted_f == 0,
        np.float32(EVENING_POINTS),
        np.float32(EVENING_POINTS) * np.minimum(home_f, wanted_f) / np.maximum(wanted_f, 1),
    ).astype(np.float32)


def _age_points(age_min: Any, age_max: Any, age: Any) -> Any:
    age_min = np.asarray(age_min, dtype=np.float32)
    age_max = np.asarray(age_max, dtype=np.float32)
    age = np.asarray(age, dtype=np.float32)
    outside = np.maximum(age_min - age, 0) + np.maximum(age - age_max, 0)
    points = np.clip(np.float32(AGE_POINTS) - np.float32(AGE_PENALTY_PER_YEAR) * outside, 0, AGE_POINTS)
    return np.where(age == 0, np.float32(AGE_POINTS / 2), points).astype(np.float32)


def _interest_table() -> np.ndarray:
    size = 1 << len(INTERESTS)
    masks = np.arange(size, dtype=np.uint16)
    counts = np.bitwise_count(masks).astype(np.float32)
    shared = np.bitwise_count(np.bitwise_and.outer(masks, masks)).astype(np.float32)
    smaller = np.minimum.outer(counts, counts)
    table = np.where(smaller == 0, INTEREST_POINTS / 2, INTEREST_POINTS * shared / np.maximum(smaller, 1))
    return table.astype(np.float32)


INTEREST_TABLE = _interest_table()
_EVENING_AGE_WIDTH = 128  # age 0..127 per evenings value


def commute_km(o_lat: Any, o_lng: Any, a_lat: Any, a_lng: Any) -> Any:
    dx = (np.asarray(o_lng, np.float32) - np.asarray(a_lng, np.float32)) * np.float32(KM_PER_DEG_LNG)
    dy = (np.asarray(o_lat, np.float32) - np.asarray(a_lat, np.float32)) * np.float32(KM_PER_DEG_LAT)
    return np.sqrt(dx * dx + dy * dy)


def _commute_points(km: Any) -> Any:
    span = np.float32(COMMUTE_ZERO_KM - COMMUTE_FULL_KM)
    return np.clip((np.float32(COMMUTE_ZERO_KM) - km) / span, 0, 1) * np.float32(COMMUTE_POINTS)


def score_matrix(o: Offers, a: Applications) -> tuple[np.ndarray, np.ndarray]:
    """(scores float32 n × m in [0, 100], feasible bool n × m). Vectorised: about 0.5 s for 5,000 × 5,000.

    Scores of forbidden pairs are computed too (for explanations) but must never be used for assignment.
    """
    # commute, in place to keep the number of 100 MB temporaries low
    s = np.subtract.outer(o.lng, a.lng)
    s *= np.float32(KM_PER_DEG_LNG)
    s *= s
    dy = np.subtract.outer(o.lat, a.lat)
    dy *= np.float32(KM_PER_DEG_LAT)
    dy *= dy
    s += dy
    del dy
    np.sqrt(s, out=s)
    np.subtract(np.float32(COMMUTE_ZERO_KM), s, out=s)
    s *= np.float32(COMMUTE_POINTS / (COMMUTE_ZERO_KM - COMMUTE_FULL_KM))
    np.clip(s, 0, COMMUTE_POINTS, out=s)
    # evenings + age: one gather through a per-offer row over (evenings at home, age)
    homes = np.arange(8, dtype=np.float32)
    ages = np.arange(_EVENING_AGE_WIDTH, dtype=np.float32)
    per_offer = (
        _evening_points(o.evenings_wanted[:, None, None], homes[None, :, None])
        + _age_points(o.age_min[:, None, None], o.age_max[:, None, None], ages[None, None, :])
    ).reshape(len(o), 8 * _EVENING_AGE_WIDTH)
    app_code = np.minimum(a.evenings_home, 7).astype(np.intp) * _EVENING_AGE_WIDTH + np.minimum(
        a.age, _EVENING_AGE_WIDTH - 1
    ).astype(np.intp)
    s += np.take(per_offer, app_code, axis=1)
    # interests
    s += np.take(INTEREST_TABLE[o.interests.astype(np.intp)], a.interests.astype(np.intp), axis=1)
    return s, feasible_matrix(o, a)


# --- explanations -------------------------------------------------------------------------------------------


def explain(o: Offers, i: int, a: Applications, j: int) -> dict[str, Any]:
    """Factor-by-factor explanation of one pair: hard constraints (ok or not, with data) and soft points."""
    hard: list[dict[str, Any]] = []
    pref, gender = int(o.pref_gender[i]), int(a.gender[j])
    hard.append(
        {"key": "gender", "ok": pref == 0 or pref == gender, "data": {"pref": pref, "gender": gender}}
    )
    smoke_ok = (not a.smoker[j] or o.smoking_allowed[i]) and (not o.elder_smokes[i] or a.accepts_smoke[j])
    hard.append(
        {
            "key": "smoking",
            "ok": bool(smoke_ok),
            "data": {
                "youth_smokes": bool(a.smoker[j]),
                "smoking_allowed": bool(o.smoking_allowed[i]),
                "elder_smokes": bool(o.elder_smokes[i]),
                "accepts_smoke": bool(a.accepts_smoke[j]),
            },
        }
    )
    pets_ok = (not a.has_pets[j] or o.pets_allowed[i]) and (not o.elder_has_pets[i] or a.accepts_pets[j])
    hard.append(
        {
            "key": "pets",
            "ok": bool(pets_ok),
            "data": {
                "youth_has_pets": bool(a.has_pets[j]),
                "pets_allowed": bool(o.pets_allowed[i]),
                "elder_has_pets": bool(o.elder_has_pets[i]),
                "accepts_pets": bool(a.accepts_pets[j]),
            },
        }
    )
    rent, budget = int(o.rent[i]), int(a.budget[j])
    hard.append({"key": "budget", "ok": rent <= budget, "data": {"rent": rent, "budget": budget}})
    missing = int(o.help_kinds[i]) & ~int(a.help_kinds[j])
    hours_ok = int(o.help_hours[i]) <= int(a.help_hours[j])
    hard.append(
        {
            "key": "help",
            "ok": missing == 0 and hours_ok,
            "data": {
                "missing": names(missing, HELP_KINDS),
                "hours_wanted": int(o.help_hours[i]),
                "hours_offered": int(a.help_hours[j]),
            },
        }
    )
    shared_lang = int(o.languages[i]) & int(a.languages[j])
    hard.append(
        {"key": "language", "ok": shared_lang != 0, "data": {"shared": names(shared_lang, LANGUAGES)}}
    )

    km = float(commute_km(o.lat[i], o.lng[i], a.lat[j], a.lng[j]))
    shared_int = int(o.interests[i]) & int(a.interests[j])
    soft: list[dict[str, Any]] = [
        {
            "key": "commute",
            "points": round(float(_commute_points(np.float32(km))), 1),
            "max": COMMUTE_POINTS,
            "data": {"km": round(km, 1)},
        },
        {
            "key": "evenings",
            "points": round(float(_evening_points(int(o.evenings_wanted[i]), int(a.evenings_home[j]))), 1),
            "max": EVENING_POINTS,
            "data": {"wanted": int(o.evenings_wanted[i]), "home": int(a.evenings_home[j])},
        },
        {
            "key": "interests",
            "points": round(float(INTEREST_TABLE[int(o.interests[i]), int(a.interests[j])]), 1),
            "max": INTEREST_POINTS,
            "data": {"shared": names(shared_int, INTERESTS)},
        },
        {
            "key": "age",
            "points": round(float(_age_points(int(o.age_min[i]), int(o.age_max[i]), int(a.age[j]))), 1),
            "max": AGE_POINTS,
            "data": {"age": int(a.age[j]), "min": int(o.age_min[i]), "max": int(o.age_max[i])},
        },
    ]
    feasible = all(bool(h["ok"]) for h in hard)
    return {
        "feasible": feasible,
        "score": round(sum(f["points"] for f in soft), 1),
        "hard": hard,
        "soft": soft,
    }


# --- assignment ---------------------------------------------------------------------------------------------


@dataclass
class Assignment:
    rows: np.ndarray
    cols: np.ndarray
    total: float

    def pairs(self) -> list[tuple[int, int]]:
        return [(int(r), int(c)) for r, c in zip(self.rows, self.cols, strict=True)]

    def __len__(self) -> int:
        return len(self.rows)


def _checked(scores: np.ndarray, feasible: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> Assignment:
    rows = np.asarray(rows, dtype=np.intp)
    cols = np.asarray(cols, dtype=np.intp)
    if len(rows) and not bool(feasible[rows, cols].all()):
        raise AssertionError("a forbidden pair reached the assignment")  # unreachable; see module docstring
    if len(set(rows.tolist())) != len(rows) or len(set(cols.tolist())) != len(cols):
        raise AssertionError("a row or column was assigned twice")
    order = np.argsort(rows)
    rows, cols = rows[order], cols[order]
    total = float(scores[rows, cols].astype(np.float64).sum()) if len(rows) else 0.0
    return Assignment(rows, cols, total)


def forbidden_penalty(n: int, m: int) -> float:
    """A penalty above any total score: fewer forbidden pairs always wins (the lexicographic objective)."""
    return (MAX_SCORE + 1.0) * max(1, min(n, m)) + 1.0


def assign_dense(scores: np.ndarray, feasible: np.ndarray) -> Assignment:
    """`linear_sum_assignment` on the whole matrix, forbidden pairs at −penalty, then dropped."""
    n, m = feasible.shape
    if n == 0 or m == 0:
        return Assignment(np.zeros(0, np.intp), np.zeros(0, np.intp), 0.0)
    matrix = np.where(feasible, scores.astype(np.float64), -forbidden_penalty(n, m))
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    keep = feasible[rows, cols]
    return _checked(scores, feasible, rows[keep], cols[keep])


def score_unit(smallest: float, largest: float, dtype: np.dtype[Any], n_nodes: int) -> float:
    """2^k, the smallest power of two that makes every score an integer once multiplied by it (exact).

    A float32 score is a multiple of 2^(e − 24) where 2^e bounds its magnitude, so k = 24 − e of the smallest
    non-zero magnitude suffices (53 bits for float64; integers need k = 0). k is lowered only if the integers
    could overflow the solver's int64 path lengths (scores far below 2^-16 with many thousands of nodes):
    scores are then rounded to a 2^-k grid and the total is optimal to within n · 2^-k, like any
    floating-point solver's.
    """
    if not np.isfinite(smallest) or not np.issubdtype(dtype, np.floating):
        k = 0
    else:
        k = max(0, np.finfo(dtype).nmant + 1 - int(np.frexp(smallest)[1]))
    limit = 2.0**58 / max(n_nodes, 1)  # path lengths stay far below the solver's infinity (2^61)
    while k > 0 and (largest + 1.0) * 2.0**k > limit:
        k -= 1
    return 2.0**k


def assign_sparse(scores: np.ndarray, feasible: np.ndarray) -> Assignment:
    """Same optimum as `assign_dense`, computed on feasible edges only (see the module docstring)."""
    from shiguang.homeshare import lapsolver  # numba: compiled on first use, then cached on disk

    n, m = feasible.shape
    if n == 0 or m == 0:
        return Assignment(np.zeros(0, np.intp), np.zeros(0, np.intp), 0.0)
    indptr, indices = lapsolver.feasible_csr(np.ascontiguousarray(feasible, dtype=bool))
    if len(indices) == 0:
        return Assignment(np.zeros(0, np.intp), np.zeros(0, np.intp), 0.0)
    col_of = lapsolver.maximum_matching(n, m, indptr, indices)  # row -> column, -1 if unmatched
    block = lapsolver.dulmage_mendelsohn(n, m, indptr, indices, col_of)
    values = np.ascontiguousarray(scores)
    smallest, largest = lapsolver.score_range(indptr, indices, values)
    unit = score_unit(smallest, largest, values.dtype, n + m)
    n_left_rows, lptr, right, q, seed, eligible, left_node, right_node = lapsolver.build_problem(
        n, m, indptr, indices, block, col_of, values, unit
    )
    cost = q.max() - q  # minimise cost = maximise the total score (every left node is matched either way)
    mate = lapsolver.solve(len(left_node), len(right_node), lptr, right, cost, eligible, seed, unit)
    is_row = np.arange(len(left_node)) < n_left_rows  # else a column of the under-determined block
    rows = np.where(is_row, left_node, right_node[mate])
    cols = np.where(is_row, right_node[mate], left_node)
    return _checked(scores, feasible, rows, cols)


def optimal_assignment(scores: np.ndarray, feasible: np.ndarray) -> Assignment:
    return assign_sparse(scores, feasible)


def warm_up() -> None:
    """Compile the solver (numba: ~20 s of CPU the first time, then loaded from its on-disk cache in under a
    second) by solving a small instance, so no coordinator's first "match" request pays for it."""
    rng = np.random.default_rng(0)
    scores = rng.integers(1, 100, size=(12, 14)).astype(np.float32)
    feasible = rng.random((12, 14)) < 0.6
    optimal_assignment(scores, feasible)


def top_candidates(scores: np.ndarray, feasible: np.ndarray, row: int, k: int = 3) -> list[int]:
    """The k best feasible columns for one row, best first (ties: lower index first)."""
    idx = np.flatnonzero(feasible[row])
    if len(idx) == 0:
        return []
    order = np.lexsort((idx, -scores[row, idx]))
    return [int(x) for x in idx[order][:k]]
