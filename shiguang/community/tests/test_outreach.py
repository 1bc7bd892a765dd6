"""Outreach: known elders and new households, the unknown-household refusal, screening, linking, the funnel
report, and youth surveys."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from shiguang.community import selectors, services
from shiguang.community.models import OutreachVisit, ScreeningResponse, YouthSurvey
from shiguang.core import clock
from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.core.models import AuditEvent

ANSWERS = {
    "living": "alone",
    "age_band": "80_plus",
    "self_care": "some_help",
    "fell_last_year": "yes",
    "smartphone": "no",
    "homeshare": "maybe",
    "mutual_aid": "receive",
    "sos_device": "yes",
    "needs": ["shopping", "medical_escort"],
    "activities": ["culture"],
}


def _log(actor, **kw):
    kw.setdefault("visited_on", clock.today())
    kw.setdefault("outcome", "informed")
    return services.outreach_log(actor=actor, **kw)


def test_visit_to_a_registered_elder(worker_a, elder_a):
    visit = _log(
        worker_a, elder_id=elder_a.id, interest_sos_device=True, outcome="interested", companions="小王"
    )
    assert visit.elder == elder_a and visit.community == elder_a.community and visit.household_address == ""
    event = AuditEvent.objects.get(code="community.outreach.logged")
    assert event.on_behalf_of_id == elder_a.user_id and event.data["interests"] == ["sos_device"]


def test_visit_to_a_new_household_by_address(worker_a, futian):
    visit = _log(worker_a, household_address="  福田区南园街道 测试路 8号 3栋 502  ", contact_name="王阿姨")
    assert visit.elder is None and visit.community == futian["a"]  # the worker's own community by default
    assert visit.household_address == "福田区南园街道 测试路 8号 3栋 502"
    with connection.cursor() as cursor:
        cursor.execute("SELECT household_address FROM community_outreachvisit WHERE id = %s", [visit.pk])
        stored = cursor.fetchone()[0]
    assert visit.household_index and "测试路" not in stored  # encrypted at rest


@pytest.mark.parametrize("kind", ["missing", "out_of_scope"])
def test_outreach_to_an_unknown_household_is_refused_and_nothing_is_written(worker_a, elder_b, kind):
    elder_id = 987654 if kind == "missing" else elder_b.id  # elder_b lives in another street
    before = (OutreachVisit.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationFailed) as exc:
        _log(worker_a, elder_id=elder_id, outcome="interested", interest_homeshare=True)
    assert exc.value.code == "unknown_household"
    message = exc.value.fields["elder_id"][0]
    assert (
        f"找不到编号为 {elder_id} 的长者" in message and "不在您的辖区" in message and "住户地址" in message
    )
    assert (OutreachVisit.objects.count(), AuditEvent.objects.count()) == before


def test_visit_without_any_household_and_other_bad_input(worker_a, elder_a, futian):
    with pytest.raises(ValidationFailed) as exc:
        _log(worker_a)
    assert "请选择已登记的长者，或填写新住户的地址" in exc.value.fields["household_address"][0]
    with pytest.raises(ValidationFailed) as exc:
        _log(
            worker_a,
            elder_id=elder_a.id,
            household_address="又填了地址",
            outcome="not_home",
            interest_homeshare=True,
            visited_on=clock.today() + dt.timedelta(days=1),
        )
    assert set(exc.value.fields) == {"household_address", "outcome", "visited_on"}
    with pytest.raises(ValidationFailed) as exc:
        _log(worker_a, household_address="沙头某处", community=futian["b"])
    assert "不在您的辖区" in exc.value.fields["community"][0]
    assert not OutreachVisit.objects.exists()


def test_only_staff_log_visits(elder_a, volunteer_a):
    for actor in (elder_a.user, volunteer_a.user):
        with pytest.raises(Forbidden):
            _log(actor, household_address="某处")


def test_screening_scores_and_sets_the_interests(worker_a, elder_a):
    visit = _log(worker_a, elder_id=elder_a.id)
    response = services.screening_record(actor=worker_a, visit_id=visit.id, answers=ANSWERS)
    # alone 2 + 80+ 2 + some help 1 + fell 2 + no phone 1 = 8 → high
    assert (response.score, response.priority) == (8, "high")
    assert response.needs == ["medical_escort", "shopping"]
    visit.refresh_from_db()
    assert (visit.interest_homeshare, visit.interest_mutual_aid, visit.interest_sos_device) == (
        True,
        True,
        True,
    )
    assert visit.outcome == "interested"
    again = services.screening_record(
        actor=worker_a, visit_id=visit.id, answers={**ANSWERS, "fell_last_year": "no"}
    )
    assert again.pk == response.pk and again.score == 6
    with pytest.raises(ValidationFailed) as exc:
        services.screening_record(
            actor=worker_a, visit_id=visit.id, answers={"living": "castle", "bogus": "1"}
        )
    assert {"living", "bogus", "age_band", "self_care"} <= set(exc.value.fields)
    assert ScreeningResponse.objects.get().score == 6


def test_no_screening_for_a_household_nobody_answered(worker_a):
    visit = _log(worker_a, household_address="测试路9号", outcome="not_home")
    with pytest.raises(Conflict):
        services.screening_record(actor=worker_a, visit_id=visit.id, answers=ANSWERS)


def test_linking_a_new_household_to_its_elder_record(worker_a, elder_a, elder_b):
    first = _log(worker_a, household_address="测试路 10号", outcome="not_home")
    second = _log(worker_a, household_address="测试路10号", outcome="interested", interest_homeshare=True)
    with pytest.raises(ValidationFailed):
        services.outreach_link_elder(actor=worker_a, visit_id=second.id, elder_id=elder_b.id)
    services.outreach_link_elder(actor=worker_a, visit_id=second.id, elder_id=elder_a.id)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.elder == elder_a and second.elder == elder_a  # same household (blind index, spaces ignored)
    assert second.outcome == "registered"
    with pytest.raises(Conflict):
        services.outreach_link_elder(actor=worker_a, visit_id=second.id, elder_id=elder_a.id)


def test_funnel_counts_households_per_community(
    worker_a, street_staff, elder_a, make_elders, make_activity, futian
):
    (other,) = make_elders(1, community=futian["a2"], worker=street_staff)
    # Community A: elder_a visited twice (not home, then interested + screened), engaged via an activity.
    _log(worker_a, elder_id=elder_a.id, outcome="not_home")
    visit = _log(worker_a, elder_id=elder_a.id, outcome="interested", interest_mutual_aid=True)
    services.screening_record(actor=worker_a, visit_id=visit.id, answers=ANSWERS)
    activity = make_activity()
    services.activity_signup(actor=elder_a.user, activity_id=activity.id, elder=elder_a)
    # Community A: a new household that declined; another that was informed.
    _log(worker_a, household_address="测试路1号", outcome="declined")
    _log(worker_a, household_address="测试路2号", outcome="informed")
    # Community A2 (by street staff): a registered elder, informed only.
    _log(street_staff, elder_id=other.id, outcome="informed")

    data = selectors.funnel(street_staff)
    stages = {s["key"]: s["value"] for s in data["stages"]}
    assert stages == {
        "visited": 4,
        "reached": 3,
        "interested": 1,
        "screened": 1,
        "registered": 2,
        "engaged": 1,
    }
    rows = {r["label"]: r for r in data["communities"]}
    a = rows[str(futian["a"])]
    assert (a["visited"], a["reached"], a["interested"], a["engaged"]) == (3, 2, 1, 1)
    assert a["conversion"] == round(1 / 3, 4)
    assert rows[str(futian["a2"])]["registered"] == 1
    assert data["visits"] == 5
    assert {i["key"]: i["value"] for i in data["interests"]}["homeshare"] == 1  # from the screening answers
    # A community worker sees only their community; a date filter applies.
    assert [r["label"] for r in selectors.funnel(worker_a)["communities"]] == [str(futian["a"])]
    future = clock.today() + dt.timedelta(days=1)
    assert selectors.funnel(street_staff, start=future)["total"]["visited"] == 0


def test_youth_surveys(worker_a, approved_volunteer, elder_a):
    services.youth_survey_record(
        actor=worker_a,
        respondent_kind="trainee_lawyer",
        channel="legal",
        organisation="某律师事务所",
        interests=["homeshare", "legal_aid"],
        hours_per_week=4,
        age=26,
    )
    services.youth_survey_record(
        actor=approved_volunteer.user,
        respondent_kind="graduate",
        channel="university",
        interests=["volunteer"],
    )
    with pytest.raises(ValidationFailed) as exc:
        services.youth_survey_record(
            actor=worker_a,
            respondent_kind="astronaut",
            channel="x",
            interests=[],
            age=70,
            contact_phone="13800138000",
        )
    assert set(exc.value.fields) == {"respondent_kind", "channel", "interests", "age", "contact_phone"}
    with pytest.raises(Forbidden):
        services.youth_survey_record(
            actor=elder_a.user, respondent_kind="graduate", channel="community", interests=["volunteer"]
        )
    summary = selectors.youth_summary(worker_a)
    assert summary["total"] == 2
    lawyers = next(r for r in summary["by_kind"] if r["kind"] == "trainee_lawyer")
    assert (lawyers["homeshare"], lawyers["legal_aid"], lawyers["avg_hours"]) == (1, 1, 4.0)
    assert YouthSurvey.objects.get(respondent_kind="graduate").volunteer == approved_volunteer
