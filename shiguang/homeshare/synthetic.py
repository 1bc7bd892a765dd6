"""Synthetic offers and applications with realistic shares, for the benchmark, property tests and the demo.

The shares are assumptions about a Shenzhen homeshare programme, written down so they can be argued with:
- Elders offering a room are mostly women living alone (65%); 70% of women and 50% of men prefer a youth of
  their own gender, the rest accept either.
- 85% of homes forbid smoking; 10% of elders smoke. 12% of youths smoke; 30% accept a smoker at home.
- 20% of elders keep a pet, 30% of homes allow a youth's pet; 5% of youths have one, 70% accept pets.
- Half the rooms are free (the programme trades help for a room); the rest ask ¥300–¥1,500 a month.
  Youth budgets range from ¥0 to ¥2,000.
- Elders want companionship (85%) and a few other kinds of help, 4–12 hours a week; youths offer most kinds
  (each kind 45–95%), 4–15 hours a week.
- Languages: nearly everyone speaks Mandarin; 20% of elders speak only Cantonese, Hakka or Teochew;
  35% of youths also speak Cantonese.
- Homes lie around Futian; places of work or study spread over central Shenzhen.
"""

from __future__ import annotations

import numpy as np

from shiguang.homeshare.matching import HELP_KINDS, INTERESTS, Applications, Offers

HELP_WANTED_SHARES = np.array([0.85, 0.50, 0.45, 0.35, 0.30, 0.25, 0.20, 0.15])
HELP_OFFERED_SHARES = np.array([0.95, 0.75, 0.65, 0.70, 0.50, 0.55, 0.45, 0.50])


def _mask(rng: np.random.Generator, n: int, shares: np.ndarray) -> np.ndarray:
    picks = rng.random((n, len(shares))) < shares
    return (picks * (1 << np.arange(len(shares)))).sum(axis=1).astype(np.uint16)


def offers(rng: np.random.Generator, n: int) -> Offers:
    assert len(HELP_WANTED_SHARES) == len(HELP_KINDS)
    female = rng.random(n) < 0.65
    same = rng.random(n) < np.where(female, 0.70, 0.50)
    pref = np.where(same, np.where(female, 1, 2), 0).astype(np.uint8)
    age_min = rng.choice([18, 20, 22, 25], n).astype(np.uint8)
    age_max = (age_min + rng.choice([10, 12, 15, 20], n)).astype(np.uint8)
    only_dialect = rng.random(n) < 0.20
    dialect = rng.choice([2, 4, 8], n, p=[0.7, 0.2, 0.1])
    languages = np.where(only_dialect, dialect, 1 | np.where(rng.random(n) < 0.4, 2, 0)).astype(np.uint8)
    kinds = _mask(rng, n, HELP_WANTED_SHARES)
    kinds[kinds == 0] = 1  # everyone wants at least company
    return Offers(
        pref_gender=pref,
        age_min=age_min,
        age_max=age_max,
        smoking_allowed=rng.random(n) < 0.15,
        elder_smokes=rng.random(n) < 0.10,
        pets_allowed=rng.random(n) < 0.30,
        elder_has_pets=rng.random(n) < 0.20,
        rent=np.where(rng.random(n) < 0.5, 0, rng.integers(3, 16, n) * 100).astype(np.int32),
        help_kinds=kinds,
        help_hours=rng.integers(4, 13, n).astype(np.uint8),
        languages=languages,
        interests=rng.integers(0, 1 << len(INTERESTS), n).astype(np.uint16),
        lat=rng.normal(22.540, 0.020, n).astype(np.float32),
        lng=rng.normal(114.055, 0.030, n).astype(np.float32),
        evenings_wanted=rng.integers(0, 8, n).astype(np.uint8),
        ids=list(range(n)),
    )


def applications(rng: np.random.Generator, m: int) -> Applications:
    return Applications(
        gender=rng.choice([1, 2], m).astype(np.uint8),
        age=rng.integers(21, 36, m).astype(np.uint8),
        smoker=rng.random(m) < 0.12,
        accepts_smoke=rng.random(m) < 0.30,
        has_pets=rng.random(m) < 0.05,
        accepts_pets=rng.random(m) < 0.70,
        budget=(rng.integers(0, 21, m) * 100).astype(np.int32),
        help_kinds=_mask(rng, m, HELP_OFFERED_SHARES),
        help_hours=rng.integers(4, 16, m).astype(np.uint8),
        languages=(1 | np.where(rng.random(m) < 0.35, 2, 0) | np.where(rng.random(m) < 0.05, 4, 0)).astype(
            np.uint8
        ),
        interests=rng.integers(0, 1 << len(INTERESTS), m).astype(np.uint16),
        lat=rng.normal(22.545, 0.040, m).astype(np.float32),
        lng=rng.normal(114.030, 0.060, m).astype(np.float32),
        evenings_home=rng.integers(0, 8, m).astype(np.uint8),
        ids=list(range(m)),
    )
