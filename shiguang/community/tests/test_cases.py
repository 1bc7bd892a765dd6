"""Case write-ups: drafted by a worker, published by an approver, and always masked unless consent allows."""

from __future__ import annotations

import pytest

from shiguang.accounts import services as account_services
from shiguang.community import selectors, services
from shiguang.community.models import CaseStory
from shiguang.community.selectors import cases as case_selectors
from shiguang.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shiguang.notify.models import Notification


@pytest.fixture
def case(worker_a, elder_a, volunteer_a):
    return services.case_draft(
        actor=worker_a,
        title="小王陪陈婆婆复诊",
        kind="mutual_aid",
        summary="陈婆婆独居，志愿者小王每周陪她去医院复诊。陈婆婆电话13800138001。",
        body="陈婆婆住在深圳市福田区南园街道测试路1号，身份证440304194503081234。",
        source_ref="aid:HelpRequest#12",
        hours="12.5",
        outcome="按时复诊，血压稳定。",
        quotes=[{"text": "有小王陪着，我不怕了。", "speaker_id": elder_a.user_id}, {"text": "应该的。"}],
        person_ids=[elder_a.user_id, volunteer_a.user_id],
    )


def test_draft_submit_publish(case, worker_a, street_staff):
    services.case_submit(actor=worker_a, case_id=case.id)
    assert Notification.objects.filter(recipient=street_staff, template="community.case.submitted").exists()
    published = services.case_review(actor=street_staff, case_id=case.id, approve=True, note="很好")
    assert published.status == "published" and published.published_at is not None
    assert Notification.objects.filter(recipient=worker_a, template="community.case.published").exists()


def test_published_case_is_masked(case, worker_a, street_staff, elder_a):
    services.case_submit(actor=worker_a, case_id=case.id)
    services.case_review(actor=street_staff, case_id=case.id, approve=True)
    view = selectors.case_public(CaseStory.objects.get())
    text = " ".join(
        [view["title"], view["summary"], view["body"], view["outcome"], *(q["text"] for q in view["quotes"])]
    )
    for secret in ("陈婆婆", "小王", "13800138001", "440304194503081234", "测试路1号"):
        assert secret not in text, secret
    assert "陈某" in view["summary"] and "小某" in view["title"] and "138****8001" in view["summary"]
    assert view["quotes"][0] == {"text": "有小某陪着，我不怕了。", "speaker": "陈某", "role": "长者"}
    assert {p["name"] for p in view["people"]} == {"陈某", "小某"}
    # Every signed-in user can read the published case (elders too) — only ever in masked form.
    assert list(selectors.published_cases(elder_a.user)) == [CaseStory.objects.get()]


def test_names_show_only_with_consent(case, elder_a, monkeypatch):
    assert case_selectors.CASE_NAME_CONSENT == "publicity"
    assert "陈某" in selectors.case_public(case)["summary"]  # consent not granted yet
    account_services.consent_grant(actor=elder_a.user, subject=elder_a.user, category="publicity")
    view = selectors.case_public(case)
    assert "陈婆婆" in view["summary"] and "小某" in view["summary"]  # the volunteer did not consent
    assert "138****8001" in view["summary"]  # numbers are masked regardless


def test_review_rules(case, worker_a, street_staff, worker_b, elder_a):
    with pytest.raises(Conflict):
        services.case_review(actor=street_staff, case_id=case.id, approve=True)  # not submitted
    services.case_submit(actor=worker_a, case_id=case.id)
    with pytest.raises(Forbidden):
        services.case_review(actor=worker_a, case_id=case.id, approve=True)  # workers don't publish
    with pytest.raises(NotFound):
        services.case_review(actor=worker_b, case_id=case.id, approve=True)  # out of scope looks missing
    with pytest.raises(ValidationFailed):
        services.case_review(actor=street_staff, case_id=case.id, approve=False, note="")
    returned = services.case_review(actor=street_staff, case_id=case.id, approve=False, note="请补充成效数据")
    assert returned.status == "returned"
    services.case_update(actor=worker_a, case_id=case.id, changes={"outcome": "三个月内复诊12次"})
    with pytest.raises(NotFound):
        selectors.case_get(elder_a.user, case.id)  # drafts are internal


def test_approver_cannot_publish_own_draft(street_staff, elder_a):
    own = services.case_draft(
        actor=street_staff, community=elder_a.community, title="街道案例", kind="other", summary="摘要"
    )
    services.case_submit(actor=street_staff, case_id=own.id)
    with pytest.raises(Forbidden):
        services.case_review(actor=street_staff, case_id=own.id, approve=True)


def test_bad_input_names_the_fields_and_writes_nothing(worker_a, elder_b):
    with pytest.raises(ValidationFailed) as exc:
        services.case_draft(
            actor=worker_a,
            title="",
            kind="novel",
            summary="",
            hours="lots",
            person_ids=[elder_b.user_id, 999999],
            quotes=[{"text": "x", "speaker_id": 424242}],
        )
    assert set(exc.value.fields) == {"title", "kind", "summary", "hours", "person_ids", "quotes"}
    assert "999999" in exc.value.fields["person_ids"][0]
    assert not CaseStory.objects.exists()
