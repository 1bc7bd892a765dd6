"""Ranking volunteers for a help request.

The ranker works on plain arrays (`VolunteerArrays`), so it can be benchmarked and tested without the ORM;
`load_index()` fills the same arrays from the database and `volunteer_index()` caches them per process.

Score (0–100) = distance + skill + availability + rating + load + language + familiar face, after hard filters
(verified with a base location, within the district's maximum distance, the elder's gender preference,
required certifications and insurance via `allowed_ids`, blocks and earlier invitations via `excluded_ids`,
and the active-task cap). See docs/aid.md for the weights and why.

Speed: a k-d tree over projected coordinates yields volunteers nearest first; we score them in growing
batches and stop as soon as no volunteer further away could beat the current 10th best even with full marks
on every other factor (branch and bound). The result is exactly the full scan's top 10 (same tie-breaks:
score, then distance, then id) at a fraction of the work.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# --- geometry -----------------------------------------------------------------------------------------------
# An equirectangular projection around Futian (22.54°N): within a district the error is far below 0.1 %.
LAT0 = 22.54
LNG0 = 114.06
KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LNG = 111.320 * math.cos(math.radians(LAT0))


def project(lat: float, lng: float) -> tuple[float, float]:
    return ((lng - LNG0) * KM_PER_DEG_LNG, (lat - LAT0) * KM_PER_DEG_LAT)


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (used for the check-in geofence)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(a)))


def _q6(x: float) -> float:
    """Quantise to 1e-6 with the same IEEE operations as `_q6v`, so both paths agree bit for bit."""
    return math.floor(x * 1e6 + 0.5) / 1e6


def _q6v(x: np.ndarray) -> np.ndarray:
    return np.floor(x * 1e6 + 0.5) / 1e6


# --- weekly availability as a bitmask of 30-minute slots ---------------------------------------------------
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
WEEK_SLOTS = 7 * SLOTS_PER_DAY  # 336
WORDS = 6  # 336 bits in six uint64 words
ALL_WEEK = (1 << WEEK_SLOTS) - 1
_MASK64 = (1 << 64) - 1


def _hhmm(text: str) -> int | None:
    try:
        hours, minutes = text.strip().split(":")
        value = int(hours) * 60 + int(minutes)
    except (ValueError, AttributeError):
        return None
    return value if 0 <= value <= 24 * 60 else None


def parse_availability(availability: Mapping[str, Sequence[str]] | None) -> int:
    """{"mon": ["09:00-12:00"], ...} → weekly slot mask (a slot counts if the range covers all of it)."""
    mask = 0
    if not isinstance(availability, Mapping):
        return 0
    for day, ranges in availability.items():
        if day not in DAYS or not isinstance(ranges, list | tuple):
            continue
        base = DAYS.index(day) * SLOTS_PER_DAY
        for item in ranges:
            if not isinstance(item, str) or "-" not in item:
                continue
            start_text, end_text = item.split("-", 1)
            start, end = _hhmm(start_text), _hhmm(end_text)
            if start is None or end is None or end <= start:
                continue
            first = -(-start // SLOT_MINUTES)  # ceil
            last = end // SLOT_MINUTES
            for slot in range(first, last):
                mask |= 1 << (base + slot)
    return mask


def slots_between(start_local: Any, minutes: int) -> int:
    """Weekly slot mask touched by [start, start + minutes) in local time (wraps Sunday night → Monday)."""
    minutes = max(1, int(minutes))
    if minutes >= 7 * 24 * 60:
        return ALL_WEEK
    begin = start_local.weekday() * 24 * 60 + start_local.hour * 60 + start_local.minute
    first = begin // SLOT_MINUTES
    last = (begin + minutes - 1) // SLOT_MINUTES
    mask = 0
    for slot in range(first, last + 1):
        mask |= 1 << (slot % WEEK_SLOTS)
    return mask


def to_words(mask: int) -> np.ndarray:
    return np.array([(mask >> (64 * i)) & _MASK64 for i in range(WORDS)], dtype=np.uint64)


def popcount(mask: int) -> int:
    return int(mask).bit_count()


# --- scoring ------------------------------------------------------------------------------------------------
WEIGHTS: dict[str, float] = {
    "distance": 30.0,
    "skill": 20.0,
    "availability": 20.0,
    "rating": 10.0,
    "load": 10.0,
    "language": 5.0,
    "familiar": 5.0,
}
FACTORS = tuple(WEIGHTS)
UNKNOWN_AVAILABILITY_SHARE = 0.4  # a volunteer who declared no weekly hours gets 8 of 20
RATING_PRIOR_MEAN = 4.0
RATING_PRIOR_COUNT = 3.0
GENDER_CODES = {"female": 0, "male": 1}
LANGUAGE_CODES = ("mandarin", "cantonese", "hakka", "teochew", "minnan", "english")
LANGUAGE_BITS = {code: 1 << i for i, code in enumerate(LANGUAGE_CODES)}


def rating_points(mean: float, count: int) -> float:
    """Bayesian average (prior 4.0 from 3 ratings) mapped 1–5 → 0–10: newcomers start at 7.5."""
    total = mean * count + RATING_PRIOR_MEAN * RATING_PRIOR_COUNT
    bayes = total / (count + RATING_PRIOR_COUNT)
    return WEIGHTS["rating"] * (bayes - 1.0) / 4.0


def language_mask(languages: Iterable[str], *, skip_mandarin: bool = True) -> int:
    mask = 0
    for code in languages or ():
        if skip_mandarin and code == "mandarin":
            continue
        mask |= LANGUAGE_BITS.get(code, 0)
    return mask


@dataclass
class RankQuery:
    """What a request needs, as plain values (built from the ORM by `services.rank_query_for`)."""

    lat: float
    lng: float
    category_bit: int  # 0 when no skill applies (category "other")
    need: int  # weekly slot mask of the request (or of its window when it has no time)
    timed: bool  # True: score the share of `need` covered; False: any overlap scores full marks
    gender: int = -1  # -1: no preference; else GENDER_CODES value
    language_mask: int = 0  # elder's languages other than Mandarin
    max_km: float = 5.0
    max_load: int = 3
    allowed_ids: np.ndarray | None = None  # sorted volunteer ids passing certification/insurance rules
    excluded_ids: np.ndarray | None = None  # sorted: blocked either way, already invited
    familiar_ids: np.ndarray | None = None  # sorted: served this elder before and were rated well
    load_ids: np.ndarray | None = None  # sorted volunteer ids with active tasks ...
    load_counts: np.ndarray | None = None  # ... and how many

    def other_max(self) -> float:
        """The most any volunteer can score on everything except distance, for this query."""
        best = WEIGHTS["availability"] + WEIGHTS["rating"] + WEIGHTS["load"]
        if self.category_bit:
            best += WEIGHTS["skill"]
        if self.language_mask:
            best += WEIGHTS["language"]
        if self.familiar_ids is not None and len(self.familiar_ids):
            best += WEIGHTS["familiar"]
        return best


@dataclass
class Candidate:
    volunteer_id: int
    user_id: int
    score: float
    distance_km: float
    factors: dict[str, float]
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class RankResult:
    candidates: list[Candidate]
    examined: int  # volunteers within reach that were scored
    excluded: dict[str, int]  # hard-filter reasons among the examined


@dataclass
class VolunteerArrays:
    """Everything the ranker needs about every verified volunteer with a base location, as columns."""

    ids: np.ndarray  # int64, ascending
    user_ids: np.ndarray  # int64
    xy: np.ndarray  # (n, 2) float64, projected km
    gender: np.ndarray  # int8, -1 unknown
    skills: np.ndarray  # uint32 category bitmask
    languages: np.ndarray  # uint32 language bitmask
    avail: np.ndarray  # (n, WORDS) uint64 weekly slot mask
    has_avail: np.ndarray  # bool
    rating_mean: np.ndarray  # float64
    rating_count: np.ndarray  # int32
    rating: np.ndarray  # float64 rating points (0–10)
    built_at: float = field(default_factory=time.monotonic)
    _tree: Any = None
    _skill_trees: dict[int, tuple[Any, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Sequence[Mapping[str, Any]]) -> VolunteerArrays:
        """records: dicts with id, user_id, lat, lng, gender, skills (bitmask), languages (bitmask),
        avail (int slot mask), rating_mean, rating_count."""
        ordered = sorted(records, key=lambda r: r["id"])
        n = len(ordered)
        xy = np.empty((n, 2), dtype=np.float64)
        avail = np.zeros((n, WORDS), dtype=np.uint64)
        for i, r in enumerate(ordered):
            xy[i] = project(r["lat"], r["lng"])
            if r["avail"]:
                avail[i] = to_words(r["avail"])
        mean = np.array([float(r.get("rating_mean", 0.0)) for r in ordered], dtype=np.float64)
        count = np.array([int(r.get("rating_count", 0)) for r in ordered], dtype=np.int32)
        return cls(
            ids=np.array([r["id"] for r in ordered], dtype=np.int64),
            user_ids=np.array([r["user_id"] for r in ordered], dtype=np.int64),
            xy=xy,
            gender=np.array([r["gender"] for r in ordered], dtype=np.int8),
            skills=np.array([r["skills"] for r in ordered], dtype=np.uint32),
            languages=np.array([r["languages"] for r in ordered], dtype=np.uint32),
            avail=avail,
            has_avail=np.array([bool(r["avail"]) for r in ordered], dtype=bool),
            rating_mean=mean,
            rating_count=count,
            rating=np.array(
                [rating_points(m, c) for m, c in zip(mean, count, strict=True)], dtype=np.float64
            ),
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def tree(self) -> Any:
        if self._tree is None and len(self):
            from scipy.spatial import cKDTree

            self._tree = cKDTree(self.xy, leafsize=32, balanced_tree=False, compact_nodes=False)
        return self._tree

    def prepare(self) -> VolunteerArrays:
        """Build the k-d trees now (the main one and one per skill) rather than on the first query."""
        from shiguang.aid.choices import CATEGORY_BITS

        self.tree  # noqa: B018
        for bit in CATEGORY_BITS.values():
            self.skill_tree(bit)
        return self

    def skill_tree(self, bit: int) -> tuple[Any, np.ndarray]:
        """A k-d tree over the volunteers with one skill, and their positions in the arrays (built once)."""
        found = self._skill_trees.get(bit)
        if found is None:
            from scipy.spatial import cKDTree

            positions = np.nonzero(self.skills & np.uint32(bit))[0].astype(np.int64)
            tree = (
                cKDTree(self.xy[positions], leafsize=32, balanced_tree=False, compact_nodes=False)
                if len(positions)
                else None
            )
            found = (tree, positions)
            self._skill_trees[bit] = found
        return found

    def record(self, i: int) -> dict[str, Any]:
        """One volunteer as a plain dict (used by the naive scan and by explanations)."""
        words = self.avail[i]
        mask = 0
        for w in range(WORDS):
            mask |= int(words[w]) << (64 * w)
        return {
            "id": int(self.ids[i]),
            "user_id": int(self.user_ids[i]),
            "x": float(self.xy[i, 0]),
            "y": float(self.xy[i, 1]),
            "gender": int(self.gender[i]),
            "skills": int(self.skills[i]),
            "languages": int(self.languages[i]),
            "avail": mask,
            "has_avail": bool(self.has_avail[i]),
            "rating_mean": float(self.rating_mean[i]),
            "rating_count": int(self.rating_count[i]),
            "rating": float(self.rating[i]),
        }

    def position(self, volunteer_id: int) -> int | None:
        i = int(np.searchsorted(self.ids, volunteer_id))
        return i if i < len(self) and int(self.ids[i]) == volunteer_id else None


def _member(values: np.ndarray, sorted_set: np.ndarray | None) -> np.ndarray:
    """values ∈ sorted_set, vectorised (binary search)."""
    if sorted_set is None or not len(sorted_set):
        return np.zeros(values.shape, dtype=bool)
    at = np.searchsorted(sorted_set, values)
    at = np.minimum(at, len(sorted_set) - 1)
    return sorted_set[at] == values


def _lookup(values: np.ndarray, keys: np.ndarray | None, counts: np.ndarray | None) -> np.ndarray:
    if keys is None or counts is None or not len(keys):
        return np.zeros(values.shape, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
    return np.where(keys[at] == values, counts[at], 0).astype(np.int64)


def _in_sorted(value: int, sorted_set: np.ndarray | None) -> bool:
    if sorted_set is None or not len(sorted_set):
        return False
    i = int(np.searchsorted(sorted_set, value))
    return i < len(sorted_set) and int(sorted_set[i]) == value


class _Dense:
    """Per-query lookups laid out by array position, so scoring a batch is a gather, not a search."""

    def __init__(self, arrays: VolunteerArrays, q: RankQuery) -> None:
        n = len(arrays)
        self.load = np.zeros(n, dtype=np.int64)
        if q.load_ids is not None and q.load_counts is not None and len(q.load_ids):
            at, hit = self._positions(arrays, q.load_ids)
            self.load[at[hit]] = q.load_counts[hit]
        self.allowed: np.ndarray | None = None
        if q.allowed_ids is not None:
            self.allowed = np.zeros(n, dtype=bool)
            at, hit = self._positions(arrays, q.allowed_ids)
            self.allowed[at[hit]] = True
        self.excluded = np.zeros(n, dtype=bool)
        if q.excluded_ids is not None and len(q.excluded_ids):
            at, hit = self._positions(arrays, q.excluded_ids)
            self.excluded[at[hit]] = True
        self.familiar = np.zeros(n, dtype=bool)
        if q.familiar_ids is not None and len(q.familiar_ids):
            at, hit = self._positions(arrays, q.familiar_ids)
            self.familiar[at[hit]] = True

    @staticmethod
    def _positions(arrays: VolunteerArrays, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        at = np.minimum(np.searchsorted(arrays.ids, ids), len(arrays) - 1)
        return at, arrays.ids[at] == ids


def score_batch(
    arrays: VolunteerArrays,
    pos: np.ndarray,
    q: RankQuery,
    qx: float,
    qy: float,
    dense: _Dense | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Vectorised score of the volunteers at positions `pos`: (total, distance, parts, reject masks)."""
    dense = dense or _Dense(arrays, q)
    dx = arrays.xy[pos, 0] - qx
    dy = arrays.xy[pos, 1] - qy
    dist = _q6v(np.sqrt(dx * dx + dy * dy))
    load = dense.load[pos]
    rejects = {"too_far": dist > q.max_km}
    if q.gender >= 0:
        rejects["gender"] = arrays.gender[pos] != q.gender
    if dense.allowed is not None:
        rejects["certification"] = ~dense.allowed[pos]
    rejects["excluded"] = dense.excluded[pos]
    rejects["load"] = load >= q.max_load
    parts: dict[str, np.ndarray] = {}
    parts["distance"] = WEIGHTS["distance"] * np.maximum(0.0, 1.0 - dist / q.max_km)
    if q.category_bit:
        parts["skill"] = WEIGHTS["skill"] * ((arrays.skills[pos] & np.uint32(q.category_bit)) != 0)
    else:
        parts["skill"] = np.zeros(len(pos))
    need_words = to_words(q.need)
    overlap = np.zeros(len(pos), dtype=np.int64)
    for w in np.nonzero(need_words)[0]:  # a timed request touches one or two of the six words
        overlap += np.bitwise_count(arrays.avail[pos, w] & need_words[w]).astype(np.int64)
    avail_pts: np.ndarray
    if q.timed:
        need_bits = max(1, popcount(q.need))
        avail_pts = WEIGHTS["availability"] * (overlap.astype(np.float64) / need_bits)
    else:
        avail_pts = WEIGHTS["availability"] * (overlap > 0).astype(np.float64)
    parts["availability"] = np.where(
        arrays.has_avail[pos], avail_pts, WEIGHTS["availability"] * UNKNOWN_AVAILABILITY_SHARE
    )
    parts["rating"] = arrays.rating[pos]
    parts["load"] = WEIGHTS["load"] * np.maximum(0.0, 1.0 - load / q.max_load)
    if q.language_mask:
        parts["language"] = WEIGHTS["language"] * ((arrays.languages[pos] & np.uint32(q.language_mask)) != 0)
    else:
        parts["language"] = np.zeros(len(pos))
    parts["familiar"] = WEIGHTS["familiar"] * dense.familiar[pos]
    total = np.zeros(len(pos))
    for name in FACTORS:
        total = total + parts[name]
    return _q6v(total), dist, parts, rejects


def _upper_bound(arrays: VolunteerArrays, pos: np.ndarray, q: RankQuery, qx: float, qy: float) -> np.ndarray:
    """A cheap ceiling on each volunteer's score: exact distance, skill and rating; full marks elsewhere."""
    dx = arrays.xy[pos, 0] - qx
    dy = arrays.xy[pos, 1] - qy
    dist = np.sqrt(dx * dx + dy * dy)
    ub = WEIGHTS["distance"] * np.maximum(0.0, 1.0 - (dist - 1e-6) / q.max_km) + arrays.rating[pos]
    ub = ub + WEIGHTS["availability"] + WEIGHTS["load"]
    if q.category_bit:
        ub = ub + WEIGHTS["skill"] * ((arrays.skills[pos] & np.uint32(q.category_bit)) != 0)
    if q.language_mask:
        ub = ub + WEIGHTS["language"]
    if q.familiar_ids is not None and len(q.familiar_ids):
        ub = ub + WEIGHTS["familiar"]
    if q.gender >= 0:
        ub = np.where(arrays.gender[pos] == q.gender, ub, -1.0)
    return ub


def score_one(rec: Mapping[str, Any], q: RankQuery) -> tuple[str | None, float, float, dict[str, float]]:
    """The same score for one volunteer record, in plain Python: (reject reason, total, distance, parts)."""
    qx, qy = project(q.lat, q.lng)
    dx, dy = rec["x"] - qx, rec["y"] - qy
    dist = _q6(math.sqrt(dx * dx + dy * dy))
    vid = rec["id"]
    load = 0
    if q.load_ids is not None and q.load_counts is not None:
        i = int(np.searchsorted(q.load_ids, vid))
        if i < len(q.load_ids) and int(q.load_ids[i]) == vid:
            load = int(q.load_counts[i])
    reason: str | None = None
    if dist > q.max_km:
        reason = "too_far"
    elif q.gender >= 0 and rec["gender"] != q.gender:
        reason = "gender"
    elif q.allowed_ids is not None and not _in_sorted(vid, q.allowed_ids):
        reason = "certification"
    elif _in_sorted(vid, q.excluded_ids):
        reason = "excluded"
    elif load >= q.max_load:
        reason = "load"
    parts: dict[str, float] = {}
    parts["distance"] = WEIGHTS["distance"] * max(0.0, 1.0 - dist / q.max_km)
    parts["skill"] = WEIGHTS["skill"] * float(bool(q.category_bit and rec["skills"] & q.category_bit))
    overlap = float(popcount(rec["avail"] & q.need))
    if not rec["has_avail"]:
        parts["availability"] = WEIGHTS["availability"] * UNKNOWN_AVAILABILITY_SHARE
    elif q.timed:
        parts["availability"] = WEIGHTS["availability"] * (overlap / max(1, popcount(q.need)))
    else:
        parts["availability"] = WEIGHTS["availability"] * float(overlap > 0)
    parts["rating"] = rec["rating"]
    parts["load"] = WEIGHTS["load"] * max(0.0, 1.0 - load / q.max_load)
    parts["language"] = WEIGHTS["language"] * float(
        bool(q.language_mask and rec["languages"] & q.language_mask)
    )
    parts["familiar"] = WEIGHTS["familiar"] * float(_in_sorted(vid, q.familiar_ids))
    total = 0.0
    for name in FACTORS:
        total = total + parts[name]
    return reason, _q6(total), dist, parts


def _details(arrays: VolunteerArrays, i: int, q: RankQuery, load: int) -> dict[str, Any]:
    rec = arrays.record(i)
    need_bits = popcount(q.need)
    return {
        "skill_match": bool(q.category_bit and rec["skills"] & q.category_bit),
        "availability_share": (
            None if not rec["has_avail"] else round(popcount(rec["avail"] & q.need) / max(1, need_bits), 2)
        ),
        "rating_mean": round(rec["rating_mean"], 2),
        "rating_count": rec["rating_count"],
        "active_tasks": load,
        "language_match": bool(q.language_mask and rec["languages"] & q.language_mask),
        "familiar": _in_sorted(rec["id"], q.familiar_ids),
    }


def _candidates(
    arrays: VolunteerArrays, q: RankQuery, pos: np.ndarray, total: np.ndarray, dist: np.ndarray, parts: Any
) -> list[Candidate]:
    out = []
    for j in range(len(pos)):
        i = int(pos[j])
        vid = int(arrays.ids[i])
        load = int(_lookup(np.array([vid]), q.load_ids, q.load_counts)[0])
        out.append(
            Candidate(
                volunteer_id=vid,
                user_id=int(arrays.user_ids[i]),
                score=round(float(total[j]), 2),
                distance_km=round(float(dist[j]), 3),
                factors={name: round(float(parts[name][j]), 2) for name in FACTORS},
                details=_details(arrays, i, q, load),
            )
        )
    return out


def _ball(tree: Any, positions: np.ndarray | None, qx: float, qy: float, radius: float) -> np.ndarray:
    if tree is None or radius <= 0:
        return np.zeros(0, dtype=np.int64)
    found = np.asarray(tree.query_ball_point((qx, qy), r=radius + 1e-6, return_sorted=False), dtype=np.int64)
    return positions[found] if positions is not None else found


def _nearest(
    tree: Any, positions: np.ndarray | None, qx: float, qy: float, k: int, max_km: float
) -> np.ndarray:
    size = tree.n if tree is not None else 0
    if size == 0:
        return np.zeros(0, dtype=np.int64)
    _d, idx = tree.query((qx, qy), k=min(k, size), distance_upper_bound=max_km + 1e-6)
    idx = np.atleast_1d(idx)
    found = idx[idx < size].astype(np.int64)
    return positions[found] if positions is not None else found


def rank(arrays: VolunteerArrays, q: RankQuery, top: int = 10, first_batch: int = 256) -> RankResult:
    """The best `top` eligible volunteers, exactly as a full scan would order them.

    1. Score the `first_batch` nearest volunteers who have the request's skill (a k-d tree per skill): their
       `top`-th best score T is a floor for the final `top`-th score.
    2. A volunteer with the skill further than R_skill, where 30·(1 − R/max_km) + (best possible other points)
       = T, cannot reach T; one without the skill cannot beyond R_other (20 points less to hope for, so
       3.3 km closer with the default weights). Take both groups with ball queries.
    3. Drop those whose cheap ceiling (exact distance, skill and rating; full marks on the rest) is below T;
       score the others exactly. Everything skipped scores strictly below T, so the top is exact."""
    n = len(arrays)
    if n == 0 or top <= 0:
        return RankResult([], 0, {})
    qx, qy = project(q.lat, q.lng)
    dense = _Dense(arrays, q)
    excluded: dict[str, int] = {}
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, np.ndarray]]] = []
    seen = np.zeros(n, dtype=bool)

    def score(pos: np.ndarray) -> int:
        pos = pos[~seen[pos]]
        if not len(pos):
            return 0
        seen[pos] = True
        total, dist, parts, rejects = score_batch(arrays, pos, q, qx, qy, dense)
        bad = np.zeros(len(pos), dtype=bool)
        for reason, mask in rejects.items():
            hit = mask & ~bad
            if reason != "too_far" and hit.any():
                excluded[reason] = excluded.get(reason, 0) + int(hit.sum())
            bad |= mask
        ok = ~bad
        kept.append((pos[ok], total[ok], dist[ok], {name: part[ok] for name, part in parts.items()}))
        return len(pos)

    def floor() -> float:
        totals = np.concatenate([t for _p, t, _d, _pp in kept]) if kept else np.zeros(0)
        if len(totals) < top:
            return -np.inf
        return float(np.partition(totals, len(totals) - top)[len(totals) - top])

    def reach(threshold: float, other: float) -> float:
        if threshold == -np.inf:
            return q.max_km
        slack = (threshold - other) / WEIGHTS["distance"]
        return min(q.max_km, q.max_km * (1.0 - slack)) if slack > 0 else q.max_km

    skilled_tree, skilled_pos = arrays.skill_tree(q.category_bit) if q.category_bit else (arrays.tree, None)
    examined = score(_nearest(skilled_tree, skilled_pos, qx, qy, max(first_batch, top), q.max_km))
    threshold = floor()
    other_max = q.other_max()
    for tree, positions, best in (
        (skilled_tree, skilled_pos, other_max),
        (arrays.tree, None, other_max - (WEIGHTS["skill"] if q.category_bit else 0.0)),
    ):
        radius = reach(threshold, best)
        if threshold > -np.inf and WEIGHTS["distance"] + best < threshold:
            continue  # even next door this group cannot reach the floor
        candidates = _ball(tree, positions, qx, qy, radius)
        candidates = candidates[~seen[candidates]]
        if len(candidates) and threshold > -np.inf:
            candidates = candidates[_upper_bound(arrays, candidates, q, qx, qy) >= threshold - 1e-9]
        examined += score(candidates)
        threshold = max(threshold, floor())
    if not kept:
        return RankResult([], examined, excluded)
    pos = np.concatenate([p for p, _t, _d, _pp in kept])
    total = np.concatenate([t for _p, t, _d, _pp in kept])
    dist = np.concatenate([d for _p, _t, d, _pp in kept])
    parts = {name: np.concatenate([pp[name] for _p, _t, _d, pp in kept]) for name in FACTORS}
    order = np.lexsort((arrays.ids[pos], dist, -total))[:top]
    chosen = {name: parts[name][order] for name in FACTORS}
    return RankResult(
        _candidates(arrays, q, pos[order], total[order], dist[order], chosen), examined, excluded
    )


def rank_full_scan(
    arrays: VolunteerArrays, q: RankQuery, top: int = 10, records: Sequence[Mapping[str, Any]] | None = None
) -> RankResult:
    """Reference implementation: score every volunteer one by one in plain Python, then sort.

    `records` (from `arrays.record(i)` for every i) may be passed in when scanning many times."""
    scored: list[tuple[float, float, int, int, dict[str, float]]] = []
    excluded: dict[str, int] = {}
    rows = records if records is not None else [arrays.record(i) for i in range(len(arrays))]
    for i, rec in enumerate(rows):
        reason, total, dist, parts = score_one(rec, q)
        if reason is not None:
            if reason != "too_far":
                excluded[reason] = excluded.get(reason, 0) + 1
            continue
        scored.append((-total, dist, rec["id"], i, parts))
    scored.sort(key=lambda t: (t[0], t[1], t[2]))
    out = []
    for neg, dist, vid, i, parts in scored[:top]:
        load = 0
        if q.load_ids is not None and q.load_counts is not None:
            load = int(_lookup(np.array([vid]), q.load_ids, q.load_counts)[0])
        out.append(
            Candidate(
                volunteer_id=vid,
                user_id=int(arrays.user_ids[i]),
                score=round(-neg, 2),
                distance_km=round(dist, 3),
                factors={name: round(parts[name], 2) for name in FACTORS},
                details=_details(arrays, i, q, load),
            )
        )
    return RankResult(out, len(arrays), excluded)


def explain_one(arrays: VolunteerArrays, q: RankQuery, volunteer_id: int) -> Candidate | None:
    """Score one volunteer (eligible or not) for the console; None when not in the index."""
    i = arrays.position(volunteer_id)
    if i is None:
        return None
    rec = arrays.record(i)
    reason, total, dist, parts = score_one(rec, q)
    load = int(_lookup(np.array([volunteer_id]), q.load_ids, q.load_counts)[0])
    details = _details(arrays, i, q, load)
    details["rejected"] = reason
    return Candidate(
        volunteer_id=volunteer_id,
        user_id=rec["user_id"],
        score=round(total, 2),
        distance_km=round(dist, 3),
        factors={name: round(parts[name], 2) for name in FACTORS},
        details=details,
    )


# --- the production index -----------------------------------------------------------------------------------
_lock = threading.Lock()
_index: VolunteerArrays | None = None
DEFAULT_TTL_SECONDS = 60.0


def load_index() -> VolunteerArrays:
    """Build the arrays from the database: verified volunteers with a base location, and their ratings."""
    from django.db.models import Count, Sum

    from shiguang.aid.choices import CATEGORY_BITS, RatingDirection
    from shiguang.aid.models import Rating
    from shiguang.people.choices import VerificationStatus
    from shiguang.people.models import VolunteerProfile

    ratings = {
        row["ratee_id"]: (row["s"], row["n"])
        for row in Rating.objects.filter(direction=RatingDirection.ELDER_TO_VOLUNTEER)
        .values("ratee_id")
        .annotate(n=Count("id"), s=Sum("score"))
    }
    records = []
    rows = VolunteerProfile.objects.filter(
        verification_status=VerificationStatus.VERIFIED, base_lat__isnull=False, base_lng__isnull=False
    ).values_list("id", "user_id", "base_lat", "base_lng", "gender", "skills", "languages", "availability")
    for vid, uid, lat, lng, gender, skills, languages, availability in rows.iterator(chunk_size=5000):
        total, count = ratings.get(uid, (0, 0))
        skill_mask = 0
        for s in skills or ():
            skill_mask |= CATEGORY_BITS.get(s, 0)
        records.append(
            {
                "id": vid,
                "user_id": uid,
                "lat": lat,
                "lng": lng,
                "gender": GENDER_CODES.get(gender, -1),
                "skills": skill_mask,
                "languages": language_mask(languages or (), skip_mandarin=False),
                "avail": parse_availability(availability),
                "rating_mean": (total / count) if count else 0.0,
                "rating_count": count,
            }
        )
    return VolunteerArrays.from_records(records)


def volunteer_index(*, max_age: float | None = None) -> VolunteerArrays:
    """The cached arrays for this process; rebuilt when older than AID_INDEX_TTL_SECONDS or invalidated."""
    global _index
    if max_age is None:
        from django.conf import settings

        max_age = float(getattr(settings, "AID_INDEX_TTL_SECONDS", DEFAULT_TTL_SECONDS))
    current = _index
    if current is not None and time.monotonic() - current.built_at < max_age:
        return current
    with _lock:
        current = _index
        if current is None or time.monotonic() - current.built_at >= max_age:
            current = load_index()
            current.prepare()
            _index = current
    return current


def invalidate_index(*args: Any, **kwargs: Any) -> None:
    """Drop this process's cached arrays (signal receiver: volunteers and ratings changed)."""
    global _index
    _index = None
