"""In a real browser at phone width (axe-core on every page): the coordinator matches a pair, the agreement is
generated, both sign (and the legal advisor), the PDF downloads and pdftotext finds its Chinese text."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from shiguang.conftest import PASSWORD
from shiguang.core.testing.browser import sign_in

pytestmark = [pytest.mark.browser]


def sign_out(page: Any) -> None:
    page.click("header form[action='/accounts/logout/'] button")
    page.wait_for_load_state("load")


def test_match_agreement_signatures_pdf(
    page: Any, worker_a: Any, offer_a: Any, app_a: Any, legal: Any, tmp_path: Path
) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils not installed")
    from shiguang.homeshare.services import install_default_clauses

    install_default_clauses()  # the browser database is flushed between tests (live_db)

    # the coordinator computes the optimal assignment and proposes the pair
    sign_in(page, "worker_a", PASSWORD)
    page.open("/homeshare/matching/?run=1")
    assert "陈婆婆 × 小王" in page.inner_text("#optimal")
    page.click("#optimal summary")
    page.check_a11y()
    page.check("input[name=pair]")
    page.click("#optimal form button.btn-primary")
    page.wait_for_load_state("load")
    assert "陈婆婆 × 小王" in page.inner_text("h1")  # one pair proposed: straight to the match
    page.check_a11y()
    # both sides meet; the coordinator records it and each side's decision
    page.fill("#meet_place", "南园社区党群服务中心")
    page.click("form[action$='/meeting/'] button")
    page.wait_for_load_state("load")
    page.click("button:has-text('代长者：同意')")
    page.wait_for_load_state("load")
    page.click("button:has-text('代青年：同意')")
    page.wait_for_load_state("load")
    assert "双方同意" in page.inner_text("main")
    # the agreement was generated from the clause library; the coordinator checks and finalises it
    page.click("a.big-btn:has-text('同住协议')")
    page.check_a11y()
    page.click("button:has-text('检查并定稿')")
    page.wait_for_load_state("load")
    assert "定稿，待签署" in page.inner_text("#agreement-status")
    agreement_url = page.url.removeprefix(page.base_url)
    page.check_a11y()
    sign_out(page)

    # both parties and the legal advisor sign
    for login in ("13800138001", "13700137001", "legal"):
        sign_in(page, login, PASSWORD)
        page.open(agreement_url)
        page.click("#sign-button")
        page.wait_for_load_state("load")
        assert "已签署" in page.inner_text(".messages")
        page.check_a11y()
        if login != "legal":
            sign_out(page)
    assert "已签署生效" in page.inner_text("#agreement-status")

    # the PDF downloads, with its Chinese text and an embedded font
    with page.expect_download() as info:
        page.click("a:has-text('下载PDF')")
    path = tmp_path / "agreement.pdf"
    info.value.save_as(path)
    text = "".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "福田区“幸福同行+各得其所”互助式同住协议" in text
    assert "甲方（长者）：陈婆婆" in text and "仁和长者法律服务中心" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)
