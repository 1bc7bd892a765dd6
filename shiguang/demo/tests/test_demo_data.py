"""The Futian demo: real street names, the report's numbers, working demo logins, and no accidental reruns."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import RequestFactory

from shiguang.accounts.models import Consent, User
from shiguang.accounts.validators import birth_date_from_id, validate_id_number
from shiguang.core import clock
from shiguang.core.audit import verify_chain
from shiguang.core.models import AuditEvent
from shiguang.demo import builders, futian
from shiguang.demo.management.commands.demo_data import Command
from shiguang.people.models import CapabilityAssessment, ElderProfile, FamilyLink, VolunteerProfile
from shiguang.people.selectors import elder_list, find_elder_by_id_number
from shiguang.places import selectors as place_selectors
from shiguang.places.models import Community, District, Facility, Street

STREET_NAMES = ["园岭", "南园", "福田", "沙头", "香蜜湖", "梅林", "莲花", "华富", "福保", "华强北"]


def demo_data(*args: str) -> str:
    """Run the command by name once "shiguang.demo" is in INSTALLED_APPS, else through its class."""
    out = io.StringIO()
    command = "demo_data" if apps.is_installed("shiguang.demo") else Command()
    call_command(command, "--scale", "tiny", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def sign_in(login: str) -> User | None:
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=login, password=futian.DEMO_PASSWORD)


@pytest.mark.django_db
def test_tiny_demo_has_futians_shape_and_working_logins():
    output = demo_data()

    district = District.objects.get()
    assert (district.name, district.code) == ("福田区", "440304")
    assert list(Street.objects.order_by("id").values_list("name", flat=True)) == STREET_NAMES
    communities = Community.objects.all()
    assert communities.count() == 92 and not communities.filter(is_demo=False).exists()
    assert all(c.name.startswith("演示·") for c in communities)
    assert sum(c.elder_population for c in communities) == 203_400
    assert communities.filter(is_ageing=True).count() == 78
    assert all(22.50 <= c.latitude <= 22.58 and 114.00 <= c.longitude <= 114.10 for c in communities)

    levels = {
        level: Facility.objects.filter(level=level).count()
        for level in ("community_station", "street_centre", "service_post", "district_centre")
    }
    assert levels == {"community_station": 93, "street_centre": 13, "service_post": 309, "district_centre": 1}
    centres = {s.name: s.facilities.filter(level="street_centre").count() for s in Street.objects.all()}
    assert {name for name, n in centres.items() if n == 2} == {"福田", "莲花", "福保"}
    assert min(centres.values()) == 1
    assert set(Facility.objects.values_list("rating", flat=True)) <= {"1A", "2A", "3A", "4A", "5A"}
    assert (
        not Facility.objects.exclude(status="open").exists()
        and not Facility.objects.filter(is_demo=False).exists()
    )
    coverage = place_selectors.coverage()
    assert 0.88 <= coverage["coverage"] <= 0.90
    assert f"{coverage['coverage']:.1%}" in output

    # One login per role, demo password, printed at the end.
    worker = sign_in("worker")
    assert worker is not None and worker.role == "community_worker"
    assert worker.community == Community.objects.filter(street__name="南园").order_by("id").first()
    assert sign_in("street").street.name == "南园"
    assert sign_in("district").district == district
    assert sign_in("legal").role == "legal_advisor"
    admin = sign_in("admin")
    assert admin.is_superuser and admin.is_staff
    elder_user = sign_in(futian.ELDER_PHONE)  # elders, volunteers and family sign in with their phone
    assert elder_user is not None and elder_user.role == "elder"
    assert sign_in(futian.VOLUNTEER_PHONE).role == "volunteer"
    family = sign_in(futian.FAMILY_PHONE)
    assert family.role == "family"
    for login in ("worker", "street", "district", "legal", "admin", futian.ELDER_PHONE, "shiguang-demo"):
        assert login in output
    assert not User.objects.filter(is_demo=False).exists()

    # The demo elder: registered through the services, with consents, an assessment and a family link.
    elder = elder_user.elder_profile
    assert elder.community == worker.community and elder.registered_by == worker
    assert set(
        Consent.objects.filter(subject=elder_user, withdrawn_at__isnull=True).values_list(
            "category", flat=True
        )
    ) >= {"health", "location", "share_contact"}  # domain demos may add theirs (e.g. the assistant's)
    assert CapabilityAssessment.objects.filter(elder=elder).count() == 1
    assert FamilyLink.objects.filter(elder=elder, family_user=family).exists()
    assert AuditEvent.objects.filter(code="people.elder.registered", target_id=str(elder.pk)).exists()
    assert AuditEvent.objects.filter(code="demo.data.loaded").count() == 1
    assert verify_chain().ok

    # The bulk-written people: valid synthetic IDs, encrypted at rest, found through the blind indexes.
    assert ElderProfile.objects.count() == futian.SCALES["tiny"].elders + 1
    # (+ domain demos may add their own, e.g. homeshare youth applicants)
    assert VolunteerProfile.objects.count() >= futian.SCALES["tiny"].volunteers + 1
    today = clock.today()
    bulk = list(ElderProfile.objects.filter(user__username__startswith="demo-e").select_related("user"))
    for person in bulk:
        validate_id_number(person.id_number)
        assert (
            person.id_number.startswith("440304")
            and birth_date_from_id(person.id_number) == person.birth_date
        )
        assert 60 <= person.age(today) <= 100
        assert (int(person.id_number[16]) % 2 == 1) == (person.gender == "male")
        assert find_elder_by_id_number(person.id_number) == person
        assert person.has_phone == bool(person.user.phone)
    with_phone = next(p for p in bulk if p.has_phone)
    assert list(elder_list(admin, query=with_phone.user.phone)) == [with_phone]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, address FROM people_elderprofile WHERE id = %s", [with_phone.pk])
        raw = " ".join(cursor.fetchone())
    assert with_phone.id_number not in raw and "深圳市" not in raw
    assert len({p.id_number for p in bulk}) == len(bulk)
    assert VolunteerProfile.objects.filter(verification_status="verified").exists()


@pytest.fixture
def forget_flushed_content_types():
    """flush re-creates content types with new ids inside the test transaction; the rollback restores the old
    rows, so the manager's cache must not keep the new ids for later tests."""
    yield
    ContentType.objects.clear_cache()


# Committed for real (transaction=True), as the command runs: inside one test transaction PostgreSQL would
# refuse --reset's TRUNCATE while the time bank's deferred ledger checks are still pending.
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("forget_flushed_content_types")
def test_second_run_needs_reset_and_reset_rebuilds_the_same_data():
    demo_data()
    first = sorted(ElderProfile.objects.values_list("name", "birth_date"))
    with pytest.raises(CommandError, match=r"already loaded.*--reset"):
        demo_data()
    assert Community.objects.count() == 92  # nothing added

    demo_data("--reset")
    assert Community.objects.count() == 92 and Facility.objects.count() == 93 + 13 + 309 + 1
    assert sorted(ElderProfile.objects.values_list("name", "birth_date")) == first  # same seed, same people
    assert sign_in("worker") is not None
    assert verify_chain().ok  # the flushed chain restarts cleanly
    # ...and the audit table is protected again.
    with pytest.raises(Exception, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")


@pytest.mark.django_db
def test_reset_is_refused_when_the_database_holds_real_data():
    district = District.objects.create(name="福田区", code="440304")
    Community.objects.create(street=Street.objects.create(district=district, name="南园"), name="真实社区")
    with pytest.raises(CommandError, match="not demo data"):
        demo_data("--reset")
    with pytest.raises(CommandError, match="real data"):
        demo_data()
    assert Community.objects.get().name == "真实社区"


def test_allocate_keeps_the_total():
    parts = builders.allocate(309 - 92, [3.0, 1.0, 1.0, 0.5])
    assert sum(parts) == 217 and parts[0] > parts[1] >= parts[3]
    assert builders.allocate(0, [1.0]) == [0]
