"""Builders for the synthetic Futian demo.

Places and the masses of elders and volunteers are written in bulk (bulk_create still encrypts: the encrypted
field works in get_prep_value, and BlindIndexField.pre_save runs in the insert compiler, so the blind indexes
are filled too; `check_bulk_indexes` proves it on every run). The named personas that people sign in as are
written through the services, so their audit trail, consents and assessment look exactly like real ones.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection, transaction

from shiguang.accounts import services as account_services
from shiguang.accounts.backends import phone_index
from shiguang.accounts.choices import ConsentCategory, ConsentMethod, Role
from shiguang.accounts.models import User
from shiguang.accounts.validators import id_check_char
from shiguang.core import audit, clock
from shiguang.demo import futian
from shiguang.people import assessment
from shiguang.people import services as people_services
from shiguang.people.choices import FamilyRelation, Gender, VerificationStatus, VolunteerKind
from shiguang.people.models import ElderProfile, VolunteerProfile
from shiguang.people.selectors import id_number_index
from shiguang.places.choices import FacilityLevel, FacilityStatus
from shiguang.places.models import Community, District, Facility, Street

T = TypeVar("T")
BATCH_SIZE = 2000


class Bar(Protocol):
    def update(self, n: float | None = 1) -> bool | None: ...

    def close(self) -> None: ...


BarFactory = Callable[[int, str], Bar]


class _NoBar:
    def update(self, n: float | None = 1) -> bool | None:
        return None

    def close(self) -> None:
        return None


def no_bar(total: int, description: str) -> Bar:
    return _NoBar()


# --- small helpers ------------------------------------------------------------------------------------------


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder); the parts sum to `total`."""
    weight_sum = float(sum(weights))
    if total <= 0 or weight_sum <= 0:
        return [0] * len(weights)
    exact = [total * w / weight_sum for w in weights]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def pick(rng: random.Random, shares: Sequence[tuple[T, float]]) -> T:
    return rng.choices([value for value, _share in shares], weights=[share for _value, share in shares])[0]


def near(rng: random.Random, lat: float, lng: float, sigma: float, digits: int = 5) -> tuple[float, float]:
    """A point scattered around (lat, lng), kept inside the district's bounding box."""
    la = min(max(rng.gauss(lat, sigma), futian.LAT_MIN), futian.LAT_MAX)
    ln = min(max(rng.gauss(lng, sigma), futian.LNG_MIN), futian.LNG_MAX)
    return round(la, digits), round(ln, digits)


def address(rng: random.Random, street: str, community: str) -> str:
    road = rng.choice(futian.ROADS)
    return (
        f"深圳市福田区{street}街道{community}社区 {road}{rng.randint(1, 199)}号"
        f"{rng.randint(1, 12)}栋{rng.randint(1, 30)}{rng.randint(1, 8):02d}室（演示地址）"
    )


class Identities:
    """Unique synthetic phone and ID numbers (valid format and checksum; ID prefix 440304)."""

    PHONE_PREFIXES = (
        "130",
        "131",
        "132",
        "135",
        "136",
        "137",
        "139",
        "150",
        "151",
        "152",
        "155",
        "158",
        "159",
        "176",
        "177",
        "180",
        "181",
        "186",
        "188",
        "189",
        "199",
    )

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = set()
        self.ids: set[str] = set()

    def reserve_phone(self, phone: str) -> str:
        self.phones.add(phone)
        return phone

    def phone(self) -> str:
        while True:
            phone = self.rng.choice(self.PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def id_number(self, birth: dt.date, gender: str) -> str:
        """GB 11643: region, birth date, 3-digit serial (odd for men, even for women), check character."""
        while True:
            serial = self.rng.randrange(0, 500) * 2 + (1 if gender == Gender.MALE else 0)
            first17 = f"{futian.DISTRICT_CODE}{birth:%Y%m%d}{serial:03d}"
            value = first17 + id_check_char(first17)
            if value not in self.ids:
                self.ids.add(value)
                return value


def birth_date(rng: random.Random, today: dt.date, min_age: int, max_age: int, decay: float = 0.0) -> dt.date:
    """A birth date giving an age in [min_age, max_age]; `decay` > 0 makes older ages rarer."""
    ages = list(range(min_age, max_age + 1))
    age = rng.choices(ages, weights=[math.exp(-decay * (a - min_age)) for a in ages])[0]
    try:
        latest = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        latest = today.replace(year=today.year - age, day=28)
    return latest - dt.timedelta(days=rng.randrange(0, 365))


# --- places -------------------------------------------------------------------------------------------------


@dataclass
class Places:
    district: District
    streets: list[Street]
    communities: list[Community]
    pilot: Community
    facilities: dict[str, int] = field(default_factory=dict)

    def street_of(self, community: Community) -> Street:
        return next(s for s in self.streets if s.pk == community.street_id)


def build_places(rng: random.Random, bar: BarFactory = no_bar) -> Places:
    progress = bar(len(futian.STREETS) + 2, "places")
    district = District.objects.create(name=futian.DISTRICT_NAME, code=futian.DISTRICT_CODE)
    streets = [Street.objects.create(district=district, name=spec.name) for spec in futian.STREETS]
    progress.update(1)

    drafts: list[Community] = []
    for spec, street in zip(futian.STREETS, streets, strict=True):
        for index in range(spec.communities):
            lat, lng = near(rng, spec.lat, spec.lng, 0.0045)
            drafts.append(
                Community(
                    street=street,
                    name=f"{futian.DEMO_PREFIX}{spec.name}{futian.CN_NUMERALS[index]}",
                    latitude=lat,
                    longitude=lng,
                    is_demo=True,
                )
            )
    populations = allocate(futian.TOTAL_ELDERS, [rng.lognormvariate(0, 0.35) for _ in drafts])
    pilot_index = next(i for i, c in enumerate(drafts) if c.street.name == futian.PILOT_STREET)
    # The smallest communities are the non-ageing ones (the pilot community is ageing).
    by_size = sorted((i for i in range(len(drafts)) if i != pilot_index), key=lambda i: populations[i])
    not_ageing = set(by_size[: len(drafts) - futian.AGEING_COMMUNITIES])
    for i, community in enumerate(drafts):
        community.elder_population = populations[i]
        community.is_ageing = i not in not_ageing
    Community.objects.bulk_create(drafts)
    communities = list(Community.objects.filter(street__district=district).order_by("id"))
    pilot = communities[pilot_index]
    progress.update(1)

    facilities = _facilities(rng, district, streets, communities, pilot)
    Facility.objects.bulk_create(facilities, batch_size=BATCH_SIZE)
    progress.update(len(futian.STREETS))
    progress.close()
    counts: dict[str, int] = {}
    for facility in facilities:
        counts[facility.level] = counts.get(facility.level, 0) + 1
    return Places(district, streets, communities, pilot, counts)


def _facility(
    rng: random.Random,
    *,
    level: str,
    name: str,
    street: Street,
    community: Community | None,
    lat: float,
    lng: float,
    rating: str,
) -> Facility:
    low, high = futian.CAPACITY[level]
    if community is not None:
        where = address(rng, street.name, community.name)
    else:
        where = f"深圳市福田区{street.name}街道 {rng.choice(futian.ROADS)}{rng.randint(1, 199)}号（演示地址）"
    return Facility(
        street=street,
        community=community,
        name=name,
        level=level,
        rating=rating,
        latitude=lat,
        longitude=lng,
        address=where,
        opening_hours=futian.OPENING_HOURS[level],
        capacity=rng.randint(low, high),
        status=FacilityStatus.OPEN,
        is_demo=True,
    )


def _facilities(
    rng: random.Random,
    district: District,
    streets: list[Street],
    communities: list[Community],
    pilot: Community,
) -> list[Facility]:
    result: list[Facility] = []
    street_by_id = {s.pk: s for s in streets}
    spec_by_name = {spec.name: spec for spec in futian.STREETS}

    # District centre.
    centre_street = next(s for s in streets if s.name == futian.DISTRICT_CENTRE_STREET)
    lat, lng = futian.DISTRICT_CENTRE_LOCATION
    result.append(
        _facility(
            rng,
            level=FacilityLevel.DISTRICT_CENTRE,
            name=f"{futian.DEMO_PREFIX}{district.name}养老服务中心",
            street=centre_street,
            community=None,
            lat=lat,
            lng=lng,
            rating="5A",
        )
    )

    # Street centres: one per street, two in 福田, 莲花 and 福保 (13 in all).
    shares = futian.RATING_SHARES["street_centre"]
    for street in streets:
        spec = spec_by_name[street.name]
        hosts = [c for c in communities if c.street_id == street.pk]
        for k in range(spec.centres):
            host = rng.choice(hosts)
            lat, lng = near(rng, spec.lat, spec.lng, 0.002)
            suffix = "" if k == 0 else "（第二中心）"
            result.append(
                _facility(
                    rng,
                    level=FacilityLevel.STREET_CENTRE,
                    name=f"{futian.DEMO_PREFIX}{street.name}街道长者服务中心{suffix}",
                    street=street,
                    community=host,
                    lat=lat,
                    lng=lng,
                    rating=pick(rng, shares),
                )
            )

    # Community stations: 70 of the 78 ageing communities have one; the 23 largest of those have a second.
    ageing = [c for c in communities if c.is_ageing]
    candidates = [c for c in ageing if c.pk != pilot.pk]
    uncovered = {c.pk for c in rng.sample(candidates, len(ageing) - futian.COVERED_AGEING)}
    covered = [c for c in ageing if c.pk not in uncovered]
    doubles = {
        c.pk for c in sorted(covered, key=lambda c: -c.elder_population)[: futian.STATIONS - len(covered)]
    }
    shares = futian.RATING_SHARES["community_station"]
    for community in covered:
        for k in range(2 if community.pk in doubles else 1):
            lat, lng = near(rng, community.latitude or 0, community.longitude or 0, 0.0012)
            suffix = "" if k == 0 else "（二站）"
            result.append(
                _facility(
                    rng,
                    level=FacilityLevel.COMMUNITY_STATION,
                    name=f"{community.name}社区长者服务站{suffix}",
                    street=street_by_id[community.street_id],
                    community=community,
                    lat=lat,
                    lng=lng,
                    rating=pick(rng, shares),
                )
            )

    # Service posts: at least one per community, the rest by elder population (309 in all).
    extra = allocate(futian.SERVICE_POSTS - len(communities), [c.elder_population for c in communities])
    shares = futian.RATING_SHARES["service_post"]
    for community, more in zip(communities, extra, strict=True):
        for k in range(1 + more):
            lat, lng = near(rng, community.latitude or 0, community.longitude or 0, 0.002)
            result.append(
                _facility(
                    rng,
                    level=FacilityLevel.SERVICE_POST,
                    name=f"{community.name}居家社区养老服务驿站{k + 1}号",
                    street=street_by_id[community.street_id],
                    community=community,
                    lat=lat,
                    lng=lng,
                    rating=pick(rng, shares),
                )
            )
    return result


# --- personas -----------------------------------------------------------------------------------------------


@dataclass
class Persona:
    role: str
    login: str
    scope: str
    user: User


@dataclass
class Personas:
    admin: User
    worker: User
    elder: ElderProfile
    volunteer: VolunteerProfile
    rows: list[Persona]


def _staff(actor: User | None, role: str, username: str, display_name: str, **place: Any) -> User:
    return account_services.user_create(
        actor=actor,
        role=role,
        display_name=display_name,
        username=username,
        password=futian.DEMO_PASSWORD,
        is_demo=True,
        **place,
    )


def _assessment_answers() -> dict[str, int]:
    """Mild impairment: full marks except walking, stairs, bathing, memory, hearing and transport."""
    answers = {item["id"]: int(item["max"]) for _d, _l, item in assessment.items()}
    for item_id, lost in {
        "walking": 1,
        "stairs": 2,
        "bathing": 1,
        "memory": 1,
        "hearing": 1,
        "transport": 1,
    }.items():
        if item_id in answers:
            answers[item_id] = max(0, answers[item_id] - lost)
    return answers


def build_personas(rng: random.Random, places: Places, ids: Identities, bar: BarFactory = no_bar) -> Personas:
    """One sign-in per role, written through the services (audit events, consents, an assessment)."""
    progress = bar(9, "personas")
    street = places.street_of(places.pilot)
    admin = _staff(None, Role.ADMIN, "admin", "系统管理员（演示）")
    User.objects.filter(pk=admin.pk).update(is_superuser=True, is_staff=True)
    admin.refresh_from_db()
    audit.record("demo.user.superuser_granted", actor=admin, target=admin)
    district = _staff(admin, Role.DISTRICT_STAFF, "district", "区民政局（演示）", district=places.district)
    street_staff = _staff(admin, Role.STREET_STAFF, "street", f"{street.name}街道（演示）", street=street)
    worker = _staff(admin, Role.COMMUNITY_WORKER, "worker", "社工小何（演示）", community=places.pilot)
    legal = _staff(admin, Role.LEGAL_ADVISOR, "legal", "法律顾问（演示）", district=places.district)
    progress.update(5)

    birth = dt.date(clock.today().year - 78, 3, 8)
    lat, lng = near(rng, places.pilot.latitude or 0, places.pilot.longitude or 0, 0.002, digits=3)
    elder = people_services.elder_register(
        actor=worker,
        community=places.pilot,
        name="陈桂英",
        gender=Gender.FEMALE,
        birth_date=birth,
        living_arrangement="alone",
        hukou="registered",
        phone=ids.reserve_phone(futian.ELDER_PHONE),
        password=futian.DEMO_PASSWORD,
        id_number=ids.id_number(birth, Gender.FEMALE),
        address=address(rng, street.name, places.pilot.name),
        home_lat=lat,
        home_lng=lng,
        health_notes="高血压，规律服药；膝关节退变，上下楼慢",
        languages=["cantonese", "mandarin"],
        needs=["companionship", "medical_escort", "shopping"],
        is_demo=True,
    )
    User.objects.filter(pk=elder.user_id).update(username="demo-elder")
    for category in (ConsentCategory.HEALTH, ConsentCategory.LOCATION, ConsentCategory.SHARE_CONTACT):
        account_services.consent_grant(
            actor=worker,
            subject=elder.user,
            category=category,
            method=ConsentMethod.PAPER,
            note="演示：纸质同意书",
        )
    people_services.assessment_record(
        actor=worker,
        elder=elder,
        answers=_assessment_answers(),
        note="演示：入户评估",
    )
    progress.update(1)

    volunteer = people_services.volunteer_register(
        actor=None,
        community=places.pilot,
        name="李思远",
        gender=Gender.MALE,
        kind=VolunteerKind.GRADUATE,
        phone=ids.reserve_phone(futian.VOLUNTEER_PHONE),
        password=futian.DEMO_PASSWORD,
        birth_date=dt.date(clock.today().year - 23, 6, 18),
        skills=["companionship", "digital_help", "shopping"],
        languages=["mandarin", "cantonese"],
        availability={"sat": ["09:00-12:00", "14:00-17:00"], "wed": ["19:00-21:00"]},
        base_lat=lat,
        base_lng=lng,
        is_demo=True,
    )
    User.objects.filter(pk=volunteer.user_id).update(username="demo-volunteer")
    volunteer = people_services.volunteer_verify(actor=worker, volunteer=volunteer, approve=True, note="演示")
    progress.update(1)

    family = account_services.user_create(
        actor=worker,
        role=Role.FAMILY,
        display_name="林晓敏",
        username="demo-family",
        phone=ids.reserve_phone(futian.FAMILY_PHONE),
        password=futian.DEMO_PASSWORD,
        is_demo=True,
    )
    people_services.family_link(
        actor=worker, elder=elder, family_user=family, relation=FamilyRelation.DAUGHTER
    )
    people_services.emergency_contact_add(
        actor=worker,
        elder=elder,
        name="林晓敏",
        relation=FamilyRelation.DAUGHTER,
        phone=futian.FAMILY_PHONE,
    )
    progress.update(2)
    progress.close()

    pilot = f"{street.name}街道 · {places.pilot}"
    rows = [
        Persona(str(Role.ELDER.label), futian.ELDER_PHONE, f"{elder.name} · {pilot}", elder.user),
        Persona(
            str(Role.VOLUNTEER.label), futian.VOLUNTEER_PHONE, f"{volunteer.name} · {pilot}", volunteer.user
        ),
        Persona(str(Role.FAMILY.label), futian.FAMILY_PHONE, f"{family.display_name} → {elder.name}", family),
        Persona(str(Role.COMMUNITY_WORKER.label), "worker", pilot, worker),
        Persona(str(Role.STREET_STAFF.label), "street", f"{street.name}街道", street_staff),
        Persona(str(Role.DISTRICT_STAFF.label), "district", places.district.name, district),
        Persona(str(Role.LEGAL_ADVISOR.label), "legal", "法律服务中心", legal),
        Persona(str(Role.ADMIN.label), "admin", "superuser", admin),
    ]
    return Personas(admin=admin, worker=worker, elder=elder, volunteer=volunteer, rows=rows)


# --- the masses (bulk) --------------------------------------------------------------------------------------


def _name(rng: random.Random, gender: str, young: bool) -> str:
    given: tuple[str, ...]
    if young:
        given = futian.YOUNG_GIVEN_MALE if gender == Gender.MALE else futian.YOUNG_GIVEN_FEMALE
    else:
        given = futian.ELDER_GIVEN_MALE if gender == Gender.MALE else futian.ELDER_GIVEN_FEMALE
    return rng.choice(futian.SURNAMES) + rng.choice(given)


def _ensure_pks(users: list[User]) -> None:
    """bulk_create sets primary keys on PostgreSQL and SQLite >= 3.35; look them up otherwise."""
    if all(u.pk is not None for u in users):
        return
    pks = dict(User.objects.filter(username__in=[u.username for u in users]).values_list("username", "pk"))
    for user in users:
        user.pk = pks[user.username]


def _assignments(communities: list[Community], count: int) -> list[Community]:
    shares = allocate(count, [c.elder_population for c in communities])
    return [c for c, n in zip(communities, shares, strict=True) for _ in range(n)]


def build_elders(
    rng: random.Random, places: Places, ids: Identities, count: int, bar: BarFactory = no_bar
) -> int:
    """`count` elders spread over the communities by elder population, written in batches."""
    today = clock.today()
    registered_share = futian.REGISTERED_ELDERS / futian.TOTAL_ELDERS
    need_keys = [k for k, _w in futian.NEED_WEIGHTS]
    need_weights = [w for _k, w in futian.NEED_WEIGHTS]
    progress = bar(count, "elders")
    assignments = _assignments(places.communities, count)
    written = 0
    for start in range(0, len(assignments), BATCH_SIZE):
        users: list[User] = []
        profiles: list[ElderProfile] = []
        for offset, community in enumerate(assignments[start : start + BATCH_SIZE]):
            number = start + offset + 1
            street = places.street_of(community)
            gender = Gender.FEMALE if rng.random() < futian.FEMALE_SHARE else Gender.MALE
            birth = birth_date(rng, today, 60, 100, decay=0.07)
            name = _name(rng, gender, young=False)
            phone = ids.phone() if rng.random() < futian.PHONE_SHARE else ""
            languages = [code for code, share in futian.LANGUAGE_SHARES if rng.random() < share] or [
                "mandarin"
            ]
            lat, lng = near(rng, community.latitude or 0, community.longitude or 0, 0.003, digits=3)
            users.append(
                User(
                    username=f"demo-e{number:06d}",
                    display_name=name,
                    role=Role.ELDER,
                    phone=phone,
                    community=community,
                    street_id=community.street_id,
                    district_id=places.district.pk,
                    password=make_password(None),
                    is_demo=True,
                )
            )
            profiles.append(
                ElderProfile(
                    community=community,
                    name=name,
                    gender=gender,
                    birth_date=birth,
                    living_arrangement=pick(rng, futian.LIVING_MIX),
                    hukou="registered" if rng.random() < registered_share else "resident",
                    languages=languages,
                    id_number=ids.id_number(birth, gender),
                    address=address(rng, street.name, community.name),
                    home_lat=lat,
                    home_lng=lng,
                    health_notes=rng.choice(futian.HEALTH_NOTES)
                    if rng.random() < futian.HEALTH_NOTE_SHARE
                    else "",
                    needs=sorted(set(rng.choices(need_keys, weights=need_weights, k=rng.randint(0, 3)))),
                    has_phone=bool(phone),
                    is_demo=True,
                )
            )
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        _ensure_pks(users)
        for user, profile in zip(users, profiles, strict=True):
            profile.user_id = user.pk
        ElderProfile.objects.bulk_create(profiles, batch_size=BATCH_SIZE)
        if start == 0 and profiles:
            check_bulk_indexes(users[0], profiles[0])
        written += len(profiles)
        progress.update(len(profiles))
    progress.close()
    return written


def build_volunteers(
    rng: random.Random, places: Places, ids: Identities, count: int, verifier: User, bar: BarFactory = no_bar
) -> int:
    today = clock.today()
    now = clock.now()
    kinds = [(kind, share) for kind, share, _ages, _skills in futian.VOLUNTEER_KINDS]
    details = {kind: (ages, skills) for kind, _share, ages, skills in futian.VOLUNTEER_KINDS}
    progress = bar(count, "volunteers")
    # Volunteers live and work where the people are: same spread as elders.
    assignments = _assignments(places.communities, count)
    written = 0
    for start in range(0, len(assignments), BATCH_SIZE):
        users: list[User] = []
        profiles: list[VolunteerProfile] = []
        for offset, community in enumerate(assignments[start : start + BATCH_SIZE]):
            number = start + offset + 1
            kind = pick(rng, kinds)
            (low, high), likely = details[kind]
            gender = Gender.FEMALE if rng.random() < 0.55 else Gender.MALE
            name = _name(rng, gender, young=kind != VolunteerKind.RESIDENT_VOLUNTEER or rng.random() < 0.5)
            phone = ids.phone()
            roll = rng.random()
            status = (
                VerificationStatus.VERIFIED
                if roll < futian.VERIFIED_SHARE
                else VerificationStatus.REJECTED
                if roll < futian.VERIFIED_SHARE + futian.REJECTED_SHARE
                else VerificationStatus.PENDING
            )
            verified = status != VerificationStatus.PENDING
            lat, lng = near(rng, community.latitude or 0, community.longitude or 0, 0.004, digits=3)
            users.append(
                User(
                    username=f"demo-v{number:06d}",
                    display_name=name,
                    role=Role.VOLUNTEER,
                    phone=phone,
                    community=community,
                    street_id=community.street_id,
                    district_id=places.district.pk,
                    password=make_password(None),
                    is_demo=True,
                )
            )
            profiles.append(
                VolunteerProfile(
                    community=community,
                    name=name,
                    gender=gender,
                    birth_date=birth_date(rng, today, low, high),
                    kind=kind,
                    skills=sorted(set(rng.sample(likely, k=rng.randint(1, min(3, len(likely)))))),
                    languages=[
                        code
                        for code in ("mandarin", "cantonese", "english")
                        if code == "mandarin" or rng.random() < (0.35 if code == "cantonese" else 0.25)
                    ],
                    availability=_availability(rng, kind),
                    base_lat=lat,
                    base_lng=lng,
                    verification_status=status,
                    verified_by=verifier if verified else None,
                    verified_at=now - dt.timedelta(days=rng.randint(1, 300)) if verified else None,
                    is_demo=True,
                )
            )
        User.objects.bulk_create(users, batch_size=BATCH_SIZE)
        _ensure_pks(users)
        for user, profile in zip(users, profiles, strict=True):
            profile.user_id = user.pk
        VolunteerProfile.objects.bulk_create(profiles, batch_size=BATCH_SIZE)
        written += len(profiles)
        progress.update(len(profiles))
    progress.close()
    return written


def _availability(rng: random.Random, kind: str) -> dict[str, list[str]]:
    """Students and people with jobs help on evenings and weekends; residents also on weekdays."""
    if kind in (VolunteerKind.RESIDENT_VOLUNTEER, VolunteerKind.GRADUATE):
        days = rng.sample(futian.WEEKDAYS, k=rng.randint(2, 4))
        return {d: sorted(rng.sample(futian.SLOTS[:2], k=rng.randint(1, 2))) for d in sorted(days)}
    days = rng.sample(("sat", "sun"), k=rng.randint(1, 2))
    result = {d: sorted(rng.sample(futian.SLOTS[:2], k=1)) for d in days}
    for day in rng.sample(futian.WEEKDAYS[:5], k=rng.randint(0, 2)):
        result[day] = [futian.SLOTS[2]]
    return dict(sorted(result.items()))


def check_bulk_indexes(user: User, profile: ElderProfile) -> None:
    """The blind indexes must be filled by bulk_create too, or phone login and ID lookup silently fail."""
    if (
        profile.id_number
        and not ElderProfile.objects.filter(
            pk=profile.pk, id_number_index=id_number_index(profile.id_number)
        ).exists()
    ):
        raise RuntimeError("bulk_create did not fill ElderProfile.id_number_index")
    if user.phone and not User.objects.filter(pk=user.pk, phone_index=phone_index(user.phone)).exists():
        raise RuntimeError("bulk_create did not fill User.phone_index")


# --- guards and reset ---------------------------------------------------------------------------------------


def demo_data_present() -> bool:
    return (
        District.objects.filter(name=futian.DISTRICT_NAME).exists()
        or Community.objects.filter(is_demo=True).exists()
        or User.objects.filter(username__in=futian.PERSONA_USERNAMES).exists()
    )


def non_demo_data() -> list[str]:
    """What makes this database more than a demo: real places (real people hang off them)."""
    found = []
    if Community.objects.filter(is_demo=False).exists():
        found.append("communities not marked demo")
    if Facility.objects.filter(is_demo=False).exists():
        found.append("facilities not marked demo")
    if District.objects.exclude(name=futian.DISTRICT_NAME).exists():
        found.append("districts other than 福田区")
    if ElderProfile.objects.exclude(community__is_demo=True).exists():
        found.append("elders outside demo communities")
    return found


_TRIGGER_MIGRATION = "shiguang.core.migrations.0002_audit_append_only_triggers"


def flush_demo_database() -> None:
    """Empty every table, audit trail included, so the demo can be rebuilt from scratch.

    The audit table refuses DELETE/TRUNCATE through database triggers; for this one operation, on a database
    that holds demo data only (the caller checks), the triggers are lifted and restored straight after. The
    whole chain goes, head included, so `verify_audit` still passes on the rebuilt demo.
    """
    vendor = connection.vendor
    triggers = importlib.import_module(_TRIGGER_MIGRATION)
    # One transaction (DDL is transactional on both databases): a crash leaves the triggers in place.
    # PostgreSQL flushes with TRUNCATE, which the row triggers don't see; SQLite deletes row by row.
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgresql":
            # TRUNCATE refuses tables with deferred FK checks still pending in this transaction.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        else:
            for statement in triggers.SQLITE_DOWN:
                cursor.execute(statement)
        call_command("flush", interactive=False, verbosity=0)
        if vendor == "postgresql":
            # Back to the default for the rest of the caller's transaction: every deferrable constraint here
            # is INITIALLY DEFERRED (Django's foreign keys, the ledger's balance check), and the time bank
            # writes postings before their transaction row.
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        if vendor != "postgresql":
            for statement in triggers.SQLITE_UP:
                cursor.execute(statement)
