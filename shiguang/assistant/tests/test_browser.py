"""In a real browser at phone width: an elder types a help request, confirms it, finds it in the square."""

from __future__ import annotations

import importlib

import pytest
from playwright.sync_api import expect

from shiguang.conftest import PASSWORD
from shiguang.core.testing.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.urls("shiguang.assistant.tests.urls")]


def _aid_available() -> bool:
    try:
        module = importlib.import_module("shiguang.aid.services")
    except ImportError:
        return False
    return callable(getattr(module, "help_request_create", None))


def _min_height(page, selector: str) -> float:
    return min(page.eval_on_selector_all(selector, "els => els.map(e => e.getBoundingClientRect().height)"))


@pytest.mark.skipif(not _aid_available(), reason="shiguang.aid.services.help_request_create is not installed")
def test_elder_types_a_help_request_confirms_and_finds_it_in_the_square(page, elder_a):
    from shiguang.aid.selectors import open_requests_for
    from shiguang.core import clock

    sign_in(page, "13800138001", PASSWORD)
    page.click("a.big-btn:has-text('AI助手')")
    page.wait_for_selector("#chat-form")
    page.check_a11y()
    assert "这次说的话不会被保存" in page.inner_text("main")

    page.fill("textarea[name=text]", "明天上午9点想找人陪我去医院复查")
    page.click("#chat-form button[type=submit]")
    card = page.wait_for_selector(".action-card")
    assert "我帮您发一个求助：明天上午9点，陪诊。确认吗？" in card.inner_text()
    assert page.input_value("textarea[name=text]") == ""  # ready for the next sentence
    page.check_a11y()
    assert list(open_requests_for(elder_a)) == []  # nothing posted before the elder confirms
    assert _min_height(page, ".action-card button") >= 60  # elder-sized targets
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.click(".action-card button:has-text('确认')")
    page.wait_for_selector(".outcome:has-text('求助已经发出去了')")
    page.check_a11y()
    (request,) = open_requests_for(elder_a)
    assert request.category == "medical_escort"

    page.click(".outcome a:has-text('看看这个求助')")
    page.wait_for_load_state("load")
    page.check_a11y()
    assert "陪我去医院复查" in page.inner_text("main")
    page.open("/aid/")  # the square: an elder sees their own requests there
    square = page.inner_text("main")
    assert "陪诊" in square and f"{clock.local(request.start_at):%m-%d %H:%M}" in square


def test_emergency_countdown_can_be_cancelled_in_the_browser(page, elder_a, fakes, settings):
    settings.ASSISTANT_SOS_COUNTDOWN_SECONDS = 30
    sign_in(page, "13800138001", PASSWORD)
    page.open("/assistant/")
    has_speech = page.evaluate("'webkitSpeechRecognition' in window || 'SpeechRecognition' in window")
    assert page.is_visible("#mic-btn") == has_speech  # the microphone shows only where it can work
    page.fill("textarea[name=text]", "我摔倒了起不来")
    page.click("#chat-form button[type=submit]")
    page.wait_for_selector(".emergency-card[data-status=counting]")
    first = int(page.inner_text("[data-seconds-left]"))
    expect(page.locator("[data-seconds-left]")).not_to_have_text(str(first))  # the countdown runs
    assert page.is_visible("a[href='tel:120']")
    page.check_a11y()
    page.click(".emergency-card button:has-text('取消，我没事')")
    page.wait_for_selector(".emergency-card[data-status=cancelled]")
    page.check_a11y()
    assert fakes.count("alarm_trigger") == 0


def test_a_policy_question_and_a_plain_form_without_javascript(
    browser, asgi_server, live_db, elder_a, seeded
):
    """With JavaScript off (axe-core cannot run then): the form still posts, the answer names its article."""
    from shiguang.core.testing.browser import PHONE

    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(asgi_server + "/accounts/login/")
        page.fill("input[name=username]", "13800138001")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(asgi_server + "/assistant/")
        assert not page.is_visible("#mic-btn")
        page.fill("textarea[name=text]", "时间银行是怎么算的")
        page.click("#chat-form button[type=submit]")
        page.wait_for_selector("#chat-log .bubble-user")
        assert "《时间银行规则：时间币怎么算》里说" in page.inner_text("#chat-log")
        page.click("a:has-text('看全文')")
        page.wait_for_selector("article h1")
        assert "时间银行按服务时长记账" in page.inner_text("main")
    finally:
        context.close()
