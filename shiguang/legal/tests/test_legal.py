"""The legal centre: the clause library (versions, placeholders, who may edit), consultations, reviews."""

from __future__ import annotations

from typing import Any

import pytest

from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.legal import selectors, services
from shiguang.legal.models import Clause, Consultation
from shiguang.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_editing_a_clause_adds_a_version(legal: Any) -> None:
    before = Clause.objects.get(domain="homeshare", key="rent", is_current=True)
    clause = services.clause_save(
        actor=legal,
        domain="homeshare",
        key="rent",
        title="租金",
        text="租金：{rent}，按月支付。",
        element="rent",
        note="明确支付方式",
    )
    assert clause.version == before.version + 1 and clause.is_current
    before.refresh_from_db()
    assert not before.is_current
    assert [c.version for c in selectors.clause_history("homeshare", "rent")] == [2, 1]
    assert clause.position == before.position


def test_clause_validation(legal: Any) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.clause_save(
            actor=legal, domain="homeshare", key="rent", title="租金", text="租金：{rentt}", note="x"
        )
    assert "{rentt}" in info.value.fields["text"][0]
    with pytest.raises(ValidationFailed):
        services.clause_save(
            actor=legal, domain="homeshare", key="rent", title="租金", text="租金：{rent", note="x"
        )
    with pytest.raises(ValidationFailed):
        services.clause_save(
            actor=legal, domain="homeshare", key="租金", title="租金", text="{rent}", note="x"
        )
    with pytest.raises(ValidationFailed):
        services.clause_save(actor=legal, domain="nowhere", key="k", title="t", text="text", note="x")
    with pytest.raises(ValidationFailed):  # nothing changed
        current = Clause.objects.get(domain="homeshare", key="rent", is_current=True)
        services.clause_save(
            actor=legal,
            domain="homeshare",
            key="rent",
            title=current.title,
            text=current.text,
            element="rent",
            note="x",
        )
    assert Clause.objects.filter(domain="homeshare", key="rent").count() == 1


def test_only_legal_advisors_edit_clauses(worker_a: Any, elder_a: Any) -> None:
    for user in (worker_a, elder_a.user):
        with pytest.raises(Forbidden):
            services.clause_save(
                actor=user, domain="homeshare", key="rent", title="租金", text="{rent}", note="x"
            )


def test_clause_page_and_api(legal: Any, worker_a: Any, login: Any) -> None:
    client = login(legal)
    assert client.get("/legal/clauses/").status_code == 200
    assert client.get("/legal/clauses/homeshare/privacy/").status_code == 200
    response = client.post(
        "/legal/clauses/homeshare/privacy/",
        {
            "key": "privacy",
            "title": "隐私",
            "element": "privacy",
            "position": 90,
            "text": "{privacy}另：不得擅自拍照。",
            "note": "拍照",
        },
    )
    assert response.status_code == 302
    assert Clause.objects.get(domain="homeshare", key="privacy", is_current=True).version == 2
    response = client.put(
        "/api/v1/legal/clauses/homeshare/privacy",
        {"title": "隐私", "text": "{privacy}", "element": "privacy", "note": "恢复"},
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["version"] == 3
    history = client.get("/api/v1/legal/clauses/homeshare/privacy/history").json()
    assert [c["version"] for c in history] == [3, 2, 1]
    assert (
        login(worker_a)
        .put(
            "/api/v1/legal/clauses/homeshare/privacy",
            {"title": "t", "text": "x"},
            content_type="application/json",
        )
        .status_code
        == 403
    )


def test_consultation_from_an_elder_answered_by_an_advisor(elder_a: Any, legal: Any, worker_b: Any) -> None:
    c = services.consultation_create(
        actor=elder_a.user, topic="inheritance", question="我想立遗嘱，房子留给女儿，需要怎么办？"
    )
    assert c.community_id == elder_a.community_id and c.status == "open"
    assert Notification.objects.filter(template="legal.consultation.created", recipient=legal).exists()
    with pytest.raises(Forbidden):
        services.consultation_answer(actor=worker_b, consultation_id=c.pk, answer="x" * 10, outcome="advice")
    c = services.consultation_answer(
        actor=legal,
        consultation_id=c.pk,
        answer="建议办理遗嘱公证，可预约上门。",
        outcome="referred",
        notes="已联系公证处",
    )
    assert (c.status, c.advisor_id) == ("answered", legal.pk)
    assert Notification.objects.filter(
        template="legal.consultation.answered", recipient=elder_a.user
    ).exists()
    row = selectors.consultation_row(c, elder_a.user)
    assert row["advisor_notes"] == ""  # internal notes stay with the advisors
    assert selectors.consultation_row(c, legal)["advisor_notes"] == "已联系公证处"
    services.consultation_close(actor=elder_a.user, consultation_id=c.pk)
    with pytest.raises(Conflict):
        services.consultation_answer(
            actor=legal, consultation_id=c.pk, answer="补充说明一下", outcome="advice"
        )


def test_worker_asks_for_an_elder_in_scope_only(worker_a: Any, worker_b: Any, elder_a: Any) -> None:
    c = services.consultation_create(
        actor=worker_a, topic="fraud", question="长者接到冒充公检法的电话。", requester=elder_a.user
    )
    assert c.requester_id == elder_a.user_id and c.raised_by_id == worker_a.pk
    with pytest.raises(Forbidden):
        services.consultation_create(
            actor=worker_b, topic="fraud", question="长者接到冒充公检法的电话。", requester=elder_a.user
        )
    with pytest.raises(ValidationFailed):
        services.consultation_create(actor=elder_a.user, topic="nope", question="短")
    assert Consultation.objects.count() == 1


def test_consultations_are_scoped(elder_a: Any, elder_b: Any, legal: Any) -> None:
    mine = services.consultation_create(
        actor=elder_a.user, topic="family", question="子女不来看望我，怎么办？"
    )
    assert list(selectors.consultations(elder_b.user)) == []
    assert list(selectors.consultations(legal)) == [mine]
    with pytest.raises(NotFound):
        selectors.consultation_get(elder_b.user, mine.pk)


def test_consultation_pages(elder_a: Any, legal: Any, login: Any) -> None:
    client = login(elder_a.user)
    response = client.post(
        "/legal/consultations/", {"topic": "housing", "question": "同住青年可以带朋友回家过夜吗？"}
    )
    assert response.status_code == 302
    c = Consultation.objects.get()
    assert client.get(f"/legal/consultations/{c.pk}/").status_code == 200
    advisor = login(legal)
    assert advisor.get("/legal/").status_code == 200
    response = advisor.post(
        f"/legal/consultations/{c.pk}/",
        {"answer": "按协议约定，留宿访客须事先征得您的同意。", "outcome": "advice"},
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "answered"
    data = advisor.get("/api/v1/legal/consultations").json()
    assert data[0]["id"] == c.pk
