"""In a real browser at phone width: the elder posts in three taps → a volunteer accepts in the square →
checks
in with the elder's 6-digit code → checks out → the elder confirms → both see the hours. axe-core runs on
every
page opened and after each in-page change."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shiguang.conftest import PASSWORD
from shiguang.core import clock
from shiguang.core.testing.browser import sign_in

pytestmark = [pytest.mark.browser]

ELDER_PHONE = "13800138001"
VOLUNTEER_PHONE = "13700137001"


def sign_out(page) -> None:
    page.click("form[action='/accounts/logout/'] button")
    page.wait_for_load_state("load")


def test_request_to_hours_in_the_browser(page, elder, volunteer, ledger_flush):
    # The elder: 我要求助 → 代购 → 今天 → 确认求助 (three taps after the home button).
    sign_in(page, ELDER_PHONE, PASSWORD)
    page.click("a.big-btn:has-text('我要求助')")
    page.check_a11y()
    page.click("a.big-btn:has-text('代购')")
    page.check_a11y()
    page.click("a.big-btn:has-text('今天')")
    page.check_a11y()
    for height in page.eval_on_selector_all(
        ".big-btn", "els => els.map(e => e.getBoundingClientRect().height)"
    ):
        assert height >= 60
    page.click("button.big-btn:has-text('确认求助')")
    page.wait_for_load_state("load")
    page.check_a11y()
    assert "正在为您寻找附近的志愿者" in page.inner_text("main")
    request_path = re.search(r"/aid/requests/\d+/", page.url).group(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    sign_out(page)

    # The volunteer accepts from the square (htmx swaps the card).
    sign_in(page, VOLUNTEER_PHONE, PASSWORD)
    page.click("a.big-btn:has-text('互助广场')")
    page.check_a11y()
    card = page.locator("article.card", has_text="代购")
    card.locator("button:has-text('我来帮忙')").click()
    page.wait_for_selector("text=接单成功")
    page.check_a11y()
    sign_out(page)

    # The elder's page now shows the rotating QR and the 6-digit code.
    sign_in(page, ELDER_PHONE, PASSWORD)
    page.open(request_path)
    assert page.locator("#checkin-code svg").count() == 1
    code = page.get_attribute("[data-code]", "data-code")
    assert code and len(code) == 6
    sign_out(page)

    # The volunteer types the code (no camera needed), then checks out.
    sign_in(page, VOLUNTEER_PHONE, PASSWORD)
    page.open(request_path)
    page.fill("input[name=code]", code)
    page.click("button:has-text('输入签到码签到')")
    page.wait_for_load_state("load")
    assert "签到成功" in page.inner_text(".messages")
    page.check_a11y()
    page.fill("textarea[name=summary]", "买了米、青菜和鸡蛋")
    page.click("button:has-text('签退')")
    page.wait_for_load_state("load")
    assert "等待长者确认" in page.inner_text(".messages")
    page.check_a11y()
    sign_out(page)

    # The elder confirms an hour of service.
    sign_in(page, ELDER_PHONE, PASSWORD)
    page.open(request_path)
    assert "买了米、青菜和鸡蛋" in page.inner_text("main")
    page.fill("input[name=minutes]", "60")
    page.click("button.big-btn:has-text('确认服务')")
    page.wait_for_load_state("load")
    page.check_a11y()
    assert "已确认服务" in page.inner_text(".messages")
    assert "60 分钟" in page.inner_text("main")  # the elder sees the hours credited
    page.click("button.big-btn:has-text('非常满意')")
    page.wait_for_load_state("load")
    assert "谢谢您的评价" in page.inner_text(".messages")
    sign_out(page)

    # The volunteer sees the hours in the time bank.
    sign_in(page, VOLUNTEER_PHONE, PASSWORD)
    page.open("/timebank/")
    balance = page.inner_text("#balance")
    assert "小时" in balance and float(re.search(r"[\d.]+", balance).group(0)) > 0
    page.open("/aid/tasks/")
    assert "60 分钟" in page.inner_text("main")


def test_every_aid_page_passes_axe_at_phone_width(page, elder, volunteer, worker_a, post):
    from shiguang.aid import services

    req = post()
    offer_from = clock.now()
    services.offer_create(
        actor=volunteer.user,
        categories=["shopping"],
        available_from=offer_from,
        available_to=offer_from + dt.timedelta(days=2),
    )
    sign_in(page, "worker_a", PASSWORD)
    for path in (
        "/aid/console/",
        f"/aid/console/{req.pk}/",
        f"/aid/console/{req.pk}/?q=小王",
        "/aid/rules/",
        "/aid/console/disputes/",
        "/aid/",
        f"/aid/post/?elder={elder.pk}",
        f"/aid/requests/{req.pk}/",
    ):
        page.open(path)
    sign_out(page)
    sign_in(page, VOLUNTEER_PHONE, PASSWORD)
    for path in ("/aid/tasks/", "/aid/offers/", f"/aid/requests/{req.pk}/"):
        page.open(path)
    sign_out(page)
    sign_in(page, ELDER_PHONE, PASSWORD)
    for path in (
        "/aid/mine/",
        f"/aid/elders/{elder.pk}/code/",
        f"/aid/elders/{elder.pk}/preferences/",
        "/aid/offers/browse/",
        "/aid/post/?category=shopping&when=custom",
    ):
        page.open(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
