"""The time-bank pages: who sees what, forms that write through the services, errors shown on the form."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from shiguang.core.models import AuditEvent
from shiguang.timebank import selectors
from shiguang.timebank.models import LedgerTransaction, TimebankPolicy


def test_my_hours_page_for_elder_and_volunteer(login, post, volunteer_a, elder_a):
    post(volunteer_a.user, 90)
    page = login(volunteer_a.user).get(reverse("timebank:mine"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "1.50 小时" in html and "不能兑换现金" in html and "0 星" in html
    assert 'data-chart="bar"' in html and "hours-series" in html
    elder_page = login(elder_a.user).get(reverse("timebank:mine")).content.decode()
    assert 'class="elder"' in elder_page and "0.00 小时" in elder_page


def test_home_tiles(volunteer_a, elder_a, worker_a, district_staff, post):
    from django.template.loader import render_to_string

    from shiguang.core.home import tiles_for

    def mine(user):
        return [t for t in tiles_for(user) if t.key.startswith("timebank.")]

    post(volunteer_a.user, 60)
    html = render_to_string("partials/tiles.html", {"tiles": mine(volunteer_a.user)})
    assert "我的时间 · 1.00 小时" in html and reverse("timebank:give") in html
    assert [t.url_name for t in mine(elder_a.user)] == ["timebank:mine", "timebank:give"]
    assert [t.url_name for t in mine(worker_a)] == ["timebank:pools", "timebank:record"]
    assert "timebank:policy" in [t.url_name for t in mine(district_staff)]
    for user in (volunteer_a.user, elder_a.user, worker_a, district_staff):
        for tile in mine(user):
            assert reverse(tile.url_name)


def test_staff_are_sent_to_the_pools(login, worker_a, volunteer_a):
    assert login(worker_a).get(reverse("timebank:mine")).url == reverse("timebank:pools")
    assert login(volunteer_a.user).get(reverse("timebank:pools")).status_code == 403
    assert login(worker_a).get(reverse("timebank:give")).status_code == 403


def test_give_form_to_a_relative(login, post, family_a, elder_a):
    post(family_a, 120)
    client = login(family_a)
    page = client.get(reverse("timebank:give")).content.decode()
    assert "我的家人：陈婆婆" in page and "80" in page
    response = client.post(
        reverse("timebank:give"),
        {"to": f"user:{elder_a.user.pk}", "hours": "1.5", "note": "妈妈用", "key": "abc"},
    )
    assert response.status_code == 302
    assert selectors.balance_for(elder_a.user) == selectors.balance_for(family_a) + 1  # 1.5 vs 0.5
    # the same form submitted twice moves the hours once
    client.post(reverse("timebank:give"), {"to": f"user:{elder_a.user.pk}", "hours": "1.5", "key": "abc"})
    assert LedgerTransaction.objects.filter(kind="transfer").count() == 1


def test_give_form_shows_errors_and_writes_nothing(login, post, volunteer_a, young_elder):
    post(volunteer_a.user, 60)
    client = login(volunteer_a.user)
    url = reverse("timebank:give")
    over = client.post(url, {"to": "priority", "hours": "5", "key": "k1"})
    assert over.status_code == 200 and "余额不足" in over.content.decode()
    ineligible = client.post(url, {"to": "elder", "phone": "13800138003", "hours": "0.5", "key": "k2"})
    assert "80" in ineligible.content.decode()
    nobody = client.post(url, {"to": "elder", "phone": "13900000000", "hours": "0.5", "key": "k3"})
    assert "没有找到" in nobody.content.decode()
    negative = client.post(url, {"to": "priority", "hours": "-1", "key": "k4"})
    assert "大于0" in negative.content.decode()
    assert LedgerTransaction.objects.exclude(kind="service").count() == 0


def test_eligibility_check_partial(login, volunteer_a, elder_b, young_elder):
    client = login(volunteer_a.user)
    ok = client.get(reverse("timebank:give_check"), {"phone": "13800138003"}, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "80" in ok.content.decode() and "<html" not in ok.content.decode()


def test_statement_page_and_downloads(login, post, volunteer_a):
    post(volunteer_a.user, 60)
    client = login(volunteer_a.user)
    page = client.get(reverse("timebank:statement")).content.decode()
    assert "为陈婆婆提供陪伴服务 60 分钟" in page
    pdf = client.get(reverse("timebank:statement_pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    xlsx = client.get(reverse("timebank:statement_xlsx"))
    assert xlsx.content[:2] == b"PK"
    assert client.get(reverse("timebank:statement"), {"start": "bad"}).status_code == 422


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_pdf_statement_has_searchable_chinese_in_an_embedded_font(
    login, post, volunteer_a, worker_a, futian, tmp_path
):
    post(volunteer_a.user, 60, category="medical_escort")
    pdf = login(volunteer_a.user).get(reverse("timebank:statement_pdf")).content
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "时间银行对账单" in text and "小王" in text and "陪诊" in text and "不能兑换现金" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert any("CJK" in line.split()[0] for line in rows), fonts
    emb = fonts.splitlines()[0].index("emb")
    assert rows and all(line[emb : emb + 3] == "yes" for line in rows), fonts  # every font embedded
    community_pdf = login(worker_a).get(reverse("timebank:community_pdf", args=[futian["a"].pk])).content
    path.write_bytes(community_pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "社区对账单" in text and "测试甲" in text and "小王" in text
    assert AuditEvent.objects.filter(code="timebank.community_statement.exported").exists()


def test_worker_pages(login, post, volunteer_a, elder_a, worker_a, futian):
    post(volunteer_a.user, 120)
    client = login(worker_a)
    pools = client.get(reverse("timebank:pools")).content.decode()
    assert "测试甲" in pools and "测试丙" not in pools
    page = client.get(reverse("timebank:community", args=[futian["a"].pk])).content.decode()
    assert "小王" in page and "从互助池发放" in page
    assert client.get(reverse("timebank:community", args=[futian["b"].pk])).status_code == 404
    account = selectors.account_of(volunteer_a.user)
    detail = client.get(reverse("timebank:account", args=[account.pk])).content.decode()
    assert "小王的时间账户" in detail and "代为转赠" in detail


def test_worker_records_a_service_once(login, volunteer_a, elder_a, worker_a):
    client = login(worker_a)
    page = client.get(reverse("timebank:record")).content.decode()
    assert "陈婆婆" in page
    data = {
        "provider_phone": "13700137001",
        "receiver": elder_a.pk,
        "category": "housework",
        "hours": "2",
        "source": "驿站值班",
        "key": "form-key-1",
    }
    first = client.post(reverse("timebank:record"), data)
    assert first.status_code == 302, first.content.decode()[-3000:]
    client.post(reverse("timebank:record"), data)
    assert LedgerTransaction.objects.filter(kind="service").count() == 1
    assert selectors.account_of(volunteer_a.user).balance == 120
    wrong = client.post(reverse("timebank:record"), {**data, "provider_phone": "13911119999", "key": "k2"})
    assert "没有找到" in wrong.content.decode()


def test_worker_grants_from_the_community_pool(login, post, volunteer_a, elder_a, worker_a, futian):
    post(volunteer_a.user, 120)
    client = login(volunteer_a.user)
    client.post(reverse("timebank:give"), {"to": "community", "hours": "1", "key": "d1"})
    client = login(worker_a)
    url = reverse("timebank:community", args=[futian["a"].pk])
    too_much = client.post(url, {"recipient": elder_a.pk, "hours": "2", "reason": "独居", "key": "g1"})
    assert "余额不足" in too_much.content.decode()
    ok = client.post(url, {"recipient": elder_a.pk, "hours": "0.5", "reason": "独居", "key": "g2"})
    assert ok.status_code == 302
    assert selectors.account_of(elder_a.user).balance == 30


def test_reversal_from_the_transaction_page(login, post, volunteer_a, worker_a):
    txn = post(volunteer_a.user, 60)
    client = login(worker_a)
    page = client.get(reverse("timebank:transaction", args=[txn.pk])).content.decode()
    assert "冲正此交易" in page and "v1" in page
    response = client.post(reverse("timebank:reverse", args=[txn.pk]), {"reason": "登记错了"})
    assert response.status_code == 302
    assert selectors.balance_for(volunteer_a.user) == 0
    again = client.post(
        reverse("timebank:reverse", args=[txn.pk]), {"reason": "again"}, HTTP_REFERER="http://testserver/"
    )
    assert again.status_code == 302  # the middleware shows the 409 message and goes back
    assert LedgerTransaction.objects.filter(kind="reversal").count() == 1


def test_policy_pages(login, district_staff, worker_a, volunteer_a):
    assert "1500" in login(volunteer_a.user).get(reverse("timebank:policy")).content.decode()
    assert login(worker_a).get(reverse("timebank:policy_new")).status_code == 403
    client = login(district_staff)
    form = client.get(reverse("timebank:policy_new")).content.decode()
    assert "陪诊：1小时折合" in form
    data = {
        "cap_hours": 1200,
        "elder_credit_limit_hours": 5,
        "redeem_mode": "on_service",
        "relatives_eligible": "on",
        "recipient_min_age": 75,
        "recipient_living_arrangements": ["alone", "empty_nest"],
        "star_thresholds": "100,300,600,1000,1500",
        "max_service_minutes": 480,
        "note": "放宽受赠条件",
        **{
            f"weight_{c}": "1"
            for c in [
                "medical_escort",
                "shopping",
                "housework",
                "companionship",
                "repair",
                "digital_help",
                "outing",
                "legal",
                "meal",
                "other",
            ]
        },
        "weight_medical_escort": "1.5",
    }
    response = client.post(reverse("timebank:policy_new"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = selectors.policy_in_force()
    assert policy.version == 2 and policy.cap_minutes == 1200 * 60 and policy.recipient_min_age == 75
    bad = client.post(reverse("timebank:policy_new"), {**data, "star_thresholds": "5,4,3,2,1"})
    assert bad.status_code == 200 and "递增" in bad.content.decode()
    assert TimebankPolicy.objects.count() == 2
    page = client.get(reverse("timebank:policy")).content.decode()
    assert "第 2 版" in page and "放宽受赠条件" in page


def test_redeem_page(login, elder_a, district_staff):
    client = login(elder_a.user)
    page = client.get(reverse("timebank:redeem")).content.decode()
    assert "不能兑换现金" in page
    response = client.post(reverse("timebank:redeem"), {"category": "meal", "hours": "1", "key": "r1"})
    assert "余额不足" in response.content.decode()


def test_district_staff_grant_from_the_priority_pool(
    login, post, volunteer_a, elder_a, young_elder, district_staff, futian
):
    post(volunteer_a.user, 120)
    login(volunteer_a.user).post(reverse("timebank:give"), {"to": "priority", "hours": "1", "key": "p1"})
    client = login(district_staff)
    url = reverse("timebank:priority") + f"?community={futian['a'].pk}"
    page = client.get(url).content.decode()
    assert "陈婆婆" in page and "张阿姨" not in page  # only elders meeting the rule are offered
    response = client.post(url, {"recipient": elder_a.pk, "hours": "0.5", "reason": "高龄独居", "key": "g1"})
    assert response.status_code == 302
    assert selectors.account_of(elder_a.user).balance == 30 and selectors.priority_pool().balance == 30
    assert login(volunteer_a.user).get(reverse("timebank:priority")).status_code == 403


def test_openapi_documents_the_timebank(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = [p for p in schema["paths"] if p.startswith("/api/v1/timebank/")]
    assert "/api/v1/timebank/services" in paths and "/api/v1/timebank/transfers" in paths
    responses = schema["paths"]["/api/v1/timebank/transfers"]["post"]["responses"]
    assert {"201", "403", "404", "409", "422"} <= set(responses)
