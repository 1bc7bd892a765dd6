"""Every bad path of the issue: a clear error and nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from shiguang.core.errors import Conflict, Forbidden, ValidationFailed
from shiguang.core.models import AuditEvent
from shiguang.homeshare import services
from shiguang.homeshare.models import AgreementVersion, Match, Offer, Signature
from shiguang.homeshare.tests.conftest import (
    YOUTH2_ID,
    accept,
    application_data,
    make_match,
    offer_data,
    vet_application,
)
from shiguang.legal.models import ReviewRequest

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, ...]:
    return (
        Match.objects.count(),
        AgreementVersion.objects.count(),
        Signature.objects.count(),
        ReviewRequest.objects.count(),
        AuditEvent.objects.count(),
    )


def test_agreement_missing_elements_lists_every_problem_and_writes_nothing(
    worker_a: Any, accepted: Any
) -> None:
    version = services.agreement_revise(
        actor=worker_a,
        match_id=accepted.pk,
        changes={"insurance": "", "emergency_contacts": "", "notice_days": 400, "term_months": 6},
        note="测试缺项",
    )
    before = counts()
    with pytest.raises(ValidationFailed) as info:
        services.agreement_finalise(actor=worker_a, version_id=version.pk)
    problems = info.value.data["problems"]
    assert {p["element"] for p in problems} >= {"insurance", "safety", "ending"}
    assert any(p["code"] == "contradiction" and p["element"] == "ending" for p in problems)
    assert "insurance" in info.value.fields and "ending" in info.value.fields
    assert counts() == before
    version.refresh_from_db()
    assert version.status == "draft" and version.sha256 == ""


def test_api_finalise_returns_422_with_problems(worker_a: Any, accepted: Any, login: Any) -> None:
    version = services.agreement_revise(
        actor=worker_a, match_id=accepted.pk, changes={"trial_months": 12, "term_months": 12}, note="试住过长"
    )
    response = login(worker_a).post(f"/api/v1/homeshare/agreements/{version.pk}/finalise")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "agreement_incomplete"
    assert any("试住期" in m for m in body["fields"]["trial"])


def test_match_breaking_a_hard_constraint_is_refused(worker_a: Any, offer_a: Any, youth: Any) -> None:
    app = services.application_create(
        actor=youth.user, volunteer=youth, id_number=YOUTH2_ID, **application_data(smoker=True)
    )
    app = vet_application(worker_a, app)
    before = counts()
    with pytest.raises(ValidationFailed) as info:
        services.match_propose(actor=worker_a, offer_id=offer_a.pk, application_id=app.pk)
    assert info.value.code == "hard_constraint"
    assert "吸烟" in str(info.value.message)
    assert counts() == before


def test_api_hard_constraint_422(worker_a: Any, offer_a: Any, youth: Any, login: Any) -> None:
    app = services.application_create(
        actor=youth.user, volunteer=youth, id_number=YOUTH2_ID, **application_data(budget_yuan=0)
    )
    app = vet_application(worker_a, app)
    services.offer_update(actor=worker_a, offer_id=offer_a.pk, changes={"rent_yuan": 500})
    response = login(worker_a).post(
        "/api/v1/homeshare/matches",
        {"offer_id": offer_a.pk, "application_id": app.pk},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "租金" in response.json()["message"]
    assert not Match.objects.exists()


def test_signature_by_someone_not_a_party(
    worker_a: Any, accepted: Any, youth: Any, worker_b: Any, elder_b: Any, login: Any
) -> None:
    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    before = counts()
    for outsider in (youth.user, elder_b.user, worker_a):
        with pytest.raises(Forbidden) as info:
            services.agreement_sign(actor=outsider, version_id=version.pk)
        assert info.value.code == "not_a_party"
    with pytest.raises(Forbidden):  # a worker of another community cannot record a witnessed signature
        services.agreement_sign(actor=worker_b, version_id=version.pk, role="elder", witnessed=True)
    response = login(youth.user).post(
        f"/api/v1/homeshare/agreements/{version.pk}/sign",
        {"document_sha256": version.sha256},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "当事人" in response.json()["message"]
    assert counts() == before


def test_signing_a_superseded_version(worker_a: Any, accepted: Any) -> None:
    v1 = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    services.agreement_sign(actor=accepted.offer.elder.user, version_id=v1.pk)
    v2 = services.agreement_revise(
        actor=worker_a, match_id=accepted.pk, changes={"notice_days": 20}, note="改通知期"
    )
    v1.refresh_from_db()
    assert v1.status == "superseded" and v2.supersedes_id == v1.pk
    before = counts()
    with pytest.raises(Conflict) as info:
        services.agreement_sign(actor=accepted.application.volunteer.user, version_id=v1.pk)
    assert info.value.code == "superseded"
    assert counts() == before
    assert ReviewRequest.objects.get(subject_id=str(v1.pk)).status == "withdrawn"


def test_signing_a_text_you_did_not_see(worker_a: Any, accepted: Any) -> None:
    v1 = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    with pytest.raises(Conflict) as info:
        services.agreement_sign(actor=accepted.offer.elder.user, version_id=v1.pk, document_sha256="0" * 64)
    assert info.value.code == "hash_mismatch"
    assert not Signature.objects.exists()


def test_signing_a_draft_is_refused(accepted: Any) -> None:
    with pytest.raises(Conflict):
        services.agreement_sign(
            actor=accepted.offer.elder.user, version_id=services.current_version(accepted).pk
        )
    assert not Signature.objects.exists()


def test_two_open_matches_for_one_room(worker_a: Any, offer_a: Any, app_a: Any, youth: Any) -> None:
    make_match(worker_a, offer_a, app_a)
    other = services.application_create(
        actor=youth.user, volunteer=youth, id_number=YOUTH2_ID, **application_data()
    )
    other = vet_application(worker_a, other)
    before = counts()
    with pytest.raises(Conflict):
        services.match_propose(actor=worker_a, offer_id=offer_a.pk, application_id=other.pk)
    assert counts() == before


def test_two_open_matches_for_one_youth(worker_a: Any, offer_a: Any, app_a: Any, futian: Any) -> None:
    from shiguang.conftest import register_elder
    from shiguang.homeshare.tests.conftest import vet_offer

    make_match(worker_a, offer_a, app_a)
    elder2 = register_elder(worker_a, futian["a"], "王阿姨", serial=21)
    offer2 = vet_offer(worker_a, services.offer_create(actor=worker_a, elder=elder2, **offer_data()))
    before = counts()
    with pytest.raises(Conflict):
        services.match_propose(actor=worker_a, offer_id=offer2.pk, application_id=app_a.pk)
    assert counts() == before


def test_the_database_refuses_two_open_matches_even_without_the_service(
    worker_a: Any, offer_a: Any, app_a: Any, youth: Any
) -> None:
    match = make_match(worker_a, offer_a, app_a)
    other = services.application_create(
        actor=youth.user, volunteer=youth, id_number=YOUTH2_ID, **application_data()
    )
    for offer, app in ((offer_a, other), (match.offer, app_a)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Match.objects.create(
                community=offer.community,
                offer=offer,
                application=app,
                score=1,
                proposed_by=worker_a,
                status="trial",
            )
    # a closed match does not block
    Match.objects.filter(pk=match.pk).update(status="declined")
    Match.objects.create(
        community=offer_a.community, offer=offer_a, application=other, score=1, proposed_by=worker_a
    )


def test_personal_or_nursing_care_is_refused(
    worker_a: Any, elder_b: Any, worker_b: Any, accepted: Any
) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.offer_create(
            actor=worker_b, elder=elder_b, **offer_data(help_kinds=["companionship", "personal_care"])
        )
    assert "个人护理" in info.value.fields["help_kinds"][0]
    assert not Offer.objects.filter(elder=elder_b).exists()
    with pytest.raises(ValidationFailed) as info:
        services.agreement_revise(
            actor=worker_a, match_id=accepted.pk, changes={"help_kinds": ["nursing_care"]}, note="加护理"
        )
    assert "医疗护理" in info.value.fields["help_kinds"][0]
    assert AgreementVersion.objects.filter(match=accepted).count() == 1


def test_help_hours_above_the_cap_are_refused(worker_b: Any, elder_b: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.offer_create(actor=worker_b, elder=elder_b, **offer_data(help_hours_per_week=30))
    assert "help_hours_per_week" in info.value.fields


def test_vetting_requires_two_references_and_a_clear_check(worker_a: Any, youth: Any) -> None:
    app = services.application_create(
        actor=youth.user, volunteer=youth, id_number=YOUTH2_ID, **application_data()
    )
    services.stage_advance(actor=worker_a, kind="application", pk=app.pk, stage="screened")
    with pytest.raises(ValidationFailed) as info:
        services.stage_advance(actor=worker_a, kind="application", pk=app.pk, stage="vetted")
    problems = " ".join(info.value.fields["__all__"])
    assert "推荐人" in problems and "身份证" in problems and "背景核查" in problems
    app.refresh_from_db()
    assert app.stage == "screened"


def test_youth_must_be_of_an_eligible_kind(futian: Any) -> None:
    from shiguang.people import services as people_services

    student = people_services.volunteer_register(
        actor=None, community=futian["a"], name="小赵", gender="male", kind="student", phone="13700137009"
    )
    with pytest.raises(ValidationFailed):
        services.application_create(actor=student.user, volunteer=student, **application_data())


def test_background_date_in_the_future(worker_a: Any, app_a: Any) -> None:
    with pytest.raises(ValidationFailed):
        services.background_record(
            actor=worker_a,
            application_id=app_a.pk,
            outcome="clear",
            checked_on=dt.date.today() + dt.timedelta(days=3),
            id_verified=True,
        )


def test_deciding_before_meeting_is_refused(worker_a: Any, offer_a: Any, app_a: Any) -> None:
    match = services.match_propose(actor=worker_a, offer_id=offer_a.pk, application_id=app_a.pk)
    with pytest.raises(Conflict):
        services.match_decide(actor=offer_a.elder.user, match_id=match.pk, accept=True)


def test_declined_match_frees_both(worker_a: Any, offer_a: Any, app_a: Any) -> None:
    match = make_match(worker_a, offer_a, app_a)
    services.match_decide(actor=app_a.volunteer.user, match_id=match.pk, accept=False, note="通勤太远")
    match.refresh_from_db()
    assert match.status == "declined"
    again = make_match(worker_a, offer_a, app_a)
    assert accept(worker_a, again).status == "accepted"
