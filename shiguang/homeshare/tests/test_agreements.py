"""The agreement: the checker, rendering from the clause library, versions, signatures, the PDF."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from typing import Any

import pytest

from shiguang.core.errors import Conflict
from shiguang.homeshare import agreements, documents, services
from shiguang.legal import services as legal_services
from shiguang.legal.models import Clause, ReviewRequest

pytestmark = pytest.mark.django_db
TODAY = dt.date(2030, 1, 1)


def good_terms() -> dict[str, Any]:
    return {
        "elder_name": "陈婆婆",
        "elder_id_masked": "4403**********0011",
        "youth_name": "小王",
        "youth_id_masked": "4403**********3215",
        "address": "福田区测试路1号",
        "room": "12平方米",
        "start_date": "2030-02-01",
        "term_months": 12,
        "trial_months": 1,
        "help_hours_per_week": 6,
        "help_kinds": ["companionship"],
        "rent_yuan": 0,
        "youth_budget_yuan": 500,
        "youth_hours_offered": 8,
        "costs": "水电由甲方承担。",
        "house_rules": "禁烟。",
        "privacy": "互不进入对方房间。",
        "visitors": "白天可来访。",
        "leave_notice_days": 3,
        "max_absence_days": 14,
        "emergency_contacts": "陈女儿 139****9001",
        "insurance": "意外险。",
        "notice_days": 30,
        "gross_misconduct_immediate": True,
        "mediator": "仁和长者法律服务中心",
    }


ALL = set(agreements.ELEMENTS)


def codes(terms: dict[str, Any], elements: set[str] = ALL) -> set[tuple[str, str]]:
    return {(p.element, p.code) for p in agreements.check(terms, clause_elements=elements, today=TODAY)}


def test_complete_terms_pass() -> None:
    assert codes(good_terms()) == set()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"notice_days": 400}, ("ending", "contradiction")),
        ({"trial_months": 12}, ("trial", "contradiction")),
        ({"trial_months": 13}, ("trial", "contradiction")),
        ({"rent_yuan": 800}, ("rent", "contradiction")),
        ({"help_hours_per_week": 20, "youth_hours_offered": 30}, ("help", "cap")),
        ({"help_hours_per_week": 10}, ("help", "contradiction")),
        ({"help_kinds": ["personal_care"]}, ("help", "forbidden")),
        ({"start_date": "2029-12-01"}, ("term", "past")),
        ({"term_months": 36}, ("term", "range")),
        ({"notice_days": 3}, ("ending", "range")),
        ({"gross_misconduct_immediate": False}, ("ending", "missing")),
        ({"mediator": ""}, ("disputes", "missing")),
        ({"youth_id_masked": "440304200005063215"}, ("parties", "unmasked")),
        ({"insurance": "  "}, ("insurance", "missing")),
        ({"max_absence_days": 500}, ("leave", "contradiction")),
    ],
)
def test_each_problem_is_found(change: dict[str, Any], expected: tuple[str, str]) -> None:
    assert expected in codes(good_terms() | change)


def test_every_problem_is_listed_at_once() -> None:
    terms = good_terms() | {"notice_days": 400, "rent_yuan": 900, "insurance": "", "trial_months": 12}
    found = codes(terms)
    assert {("ending", "contradiction"), ("rent", "contradiction"), ("insurance", "missing")} <= found
    assert ("trial", "contradiction") in found


def test_a_missing_clause_is_a_missing_element() -> None:
    assert ("privacy", "no_clause") in codes(good_terms(), ALL - {"privacy"})


def test_render_fills_placeholders_from_the_current_clauses(worker_a: Any, accepted: Any, legal: Any) -> None:
    version = services.current_version(accepted)
    rendered = services.agreement_render(version)
    assert "陈婆婆" in rendered.text and "小王" in rendered.text
    assert "仁和长者法律服务中心" in rendered.text
    assert "【" not in rendered.text  # nothing left unfilled
    assert len(rendered.clause_versions) == len(agreements.DEFAULT_CLAUSES)
    # the elder's ID is masked in the agreement
    assert accepted.offer.elder.id_number not in rendered.text
    # a legal advisor edits a clause: the next rendering uses the new version
    legal_services.clause_save(
        actor=legal,
        domain="homeshare",
        key="privacy",
        title="隐私",
        text="{privacy}双方不得在公共区域安装摄像头。",
        element="privacy",
        note="增加摄像头条款",
    )
    rendered2 = services.agreement_render(version)
    assert "摄像头" in rendered2.text
    assert {"key": "privacy", "version": 2, "element": "privacy"} in rendered2.clause_versions
    assert rendered2.sha256 != rendered.sha256


def test_finalise_fixes_text_hash_and_opens_a_review(worker_a: Any, accepted: Any, legal: Any) -> None:
    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    import hashlib

    assert version.sha256 == hashlib.sha256(version.rendered_text.encode()).hexdigest()
    review = ReviewRequest.objects.get(subject_id=str(version.pk))
    assert review.status == "pending"
    # a clause edited after finalising does not change the finalised text
    legal_services.clause_save(
        actor=legal,
        domain="homeshare",
        key="rent",
        title="租金",
        text="租金：{rent}。",
        element="rent",
        note="简化",
    )
    version.refresh_from_db()
    assert "押金以外" in version.rendered_text


def test_three_signatures_bring_the_agreement_into_force(worker_a: Any, accepted: Any, legal: Any) -> None:
    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    elder, youth = accepted.offer.elder.user, accepted.application.volunteer.user
    s1 = services.agreement_sign(actor=elder, version_id=version.pk, document_sha256=version.sha256)
    assert (s1.role, s1.signer_id, s1.account, s1.method) == ("elder", elder.pk, elder.username, "online")
    assert s1.document_sha256 == version.sha256
    services.agreement_sign(actor=youth, version_id=version.pk)
    with pytest.raises(Conflict):
        services.agreement_sign(actor=youth, version_id=version.pk)
    services.agreement_sign(actor=legal, version_id=version.pk)
    version.refresh_from_db()
    accepted.refresh_from_db()
    assert version.status == "signed" and version.signed_at is not None
    assert accepted.status == "trial"
    assert accepted.started_on == dt.date.fromisoformat(version.terms["start_date"])
    assert ReviewRequest.objects.get(subject_id=str(version.pk)).status == "approved"
    assert accepted.offer.stage == "trial" and accepted.application.stage == "trial"


def test_witnessed_signature_for_an_elder_without_a_phone(worker_a: Any, accepted: Any) -> None:
    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    signature = services.agreement_sign(actor=worker_a, version_id=version.pk, role="elder", witnessed=True)
    assert signature.signer_id == accepted.offer.elder.user_id
    assert signature.recorded_by_id == worker_a.pk and signature.method == "witnessed"


def test_review_sent_back_returns_the_version(worker_a: Any, accepted: Any, legal: Any) -> None:
    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    review = ReviewRequest.objects.get(subject_id=str(version.pk))
    legal_services.review_decide(actor=legal, review_id=review.pk, approve=False, notes="请写明水电分担比例")
    version.refresh_from_db()
    assert version.status == "returned"
    with pytest.raises(Conflict):
        services.agreement_sign(actor=accepted.offer.elder.user, version_id=version.pk)
    v2 = services.agreement_revise(
        actor=worker_a, match_id=accepted.pk, changes={"costs": "水电费双方各半。"}, note="按法律顾问意见修改"
    )
    assert v2.number == 2 and v2.status == "draft"
    assert services.agreement_finalise(actor=worker_a, version_id=v2.pk).status == "final"


def test_versions_are_kept(worker_a: Any, accepted: Any) -> None:
    v1 = services.current_version(accepted)
    v2 = services.agreement_revise(
        actor=worker_a, match_id=accepted.pk, changes={"rent_yuan": 100}, note="收少量租金"
    )
    v3 = services.agreement_revise(
        actor=worker_a, match_id=accepted.pk, changes={"term_months": 6}, note="改期限"
    )
    numbers = list(accepted.agreements.order_by("number").values_list("number", "status"))
    assert numbers == [(1, "superseded"), (2, "superseded"), (3, "draft")]
    assert v3.terms["rent_yuan"] == 100 and v3.terms["term_months"] == 6
    assert v1.terms["rent_yuan"] == 0 and v2.terms["term_months"] == 12


def test_pdf_embeds_a_chinese_font(worker_a: Any, accepted: Any, tmp_path: Any) -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdffonts")):
        pytest.skip("poppler-utils (pdftotext, pdffonts) not installed")
    version = services.agreement_finalise(actor=worker_a, version_id=services.current_version(accepted).pk)
    services.agreement_sign(actor=accepted.offer.elder.user, version_id=version.pk)
    path = tmp_path / "agreement.pdf"
    path.write_bytes(documents.agreement_pdf(version))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    compact = "".join(text.split())
    assert "幸福同行" in compact and "仁和长者法律服务中心" in compact and "陈婆婆" in compact
    assert version.sha256 in compact  # the signature record and footer carry the hash
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows, fonts
    for row in rows:  # columns: name type... emb sub uni object gen
        assert row[-5] == "yes", f"font not embedded: {row}"


def test_default_clauses_cover_every_core_element() -> None:
    elements = set(
        Clause.objects.filter(domain="homeshare", is_current=True).values_list("element", flat=True)
    )
    assert elements == set(agreements.ELEMENTS)
