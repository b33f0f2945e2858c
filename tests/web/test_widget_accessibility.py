"""The panel against WCAG 2.1 AA with axe-core (npm package, `npm ci`) in Chromium, at a phone's 360 px and a
desktop's 1280 px, with a conversation in it (the lines, the buttons, the shortcuts, the lookup form open).

`CHARTERDESK_SCREENSHOTS=docs` also saves the two screenshots as docs/web-chat-360.png and docs/web-chat-1280.png.
"""

import json
import os

import pytest
from playwright.async_api import expect

from tests.conftest import ROOT
from tests.web.browser import chromium, served

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WAIT_MS = 15_000


@pytest.fixture
async def site(web_app):
    async with served(web_app) as url:
        yield url


@pytest.mark.parametrize("width", [360, 1280])
async def test_the_open_panel_has_no_wcag_21_aa_violations(live, site, width, tmp_path):
    if not AXE.exists():
        pytest.fail("axe-core is not installed: run `npm ci` in the repository (scripts/test.sh does)")
    async with chromium() as browser:
        # axe is injected as a script of the test's own: the page's CSP (rightly) refuses it otherwise.
        context = await browser.new_context(viewport={"width": width, "height": 800}, locale="ko-KR", bypass_csp=True)
        page = await context.new_page()
        await page.goto(f"{site}/web/sample")
        await page.get_by_role("button", name="상담창구 열기").click()
        await page.get_by_label("보낼 메시지").fill("안녕하세요, 주거 지원 신청 방법이 궁금합니다.")
        await page.keyboard.press("Enter")
        await expect(page.locator(".cd-desk")).not_to_have_count(0, timeout=WAIT_MS)
        shot = await page.screenshot(full_page=False)
        await page.get_by_text("접수번호와 확인 코드로 답변 보기").click()
        await page.add_script_tag(path=str(AXE))
        result = await page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA)
        await context.close()
    (tmp_path / f"web-chat-{width}.png").write_bytes(shot)
    if os.environ.get("CHARTERDESK_SCREENSHOTS") == "docs":
        (ROOT / "docs" / f"web-chat-{width}.png").write_bytes(shot)
    violations = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in result["violations"]]
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    assert len(result["passes"]) > 10  # axe really looked at the page
