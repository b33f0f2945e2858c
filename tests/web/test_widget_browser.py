"""The widget in a real headless Chromium: a visitor on the sample homepage writes in Korean and sees the
ticket number and the promised date; a staff reply from the (sandbox) Telegram staff chat appears in the
open panel without reload, again after a reload, and in another browser context given the number and code;
a page the charter does not allow gets nothing."""

import dataclasses
import re

import pytest
from playwright.async_api import expect
from sqlalchemy import func, select

from charterdesk.web import build_web_app
from desk.charter.model import Web
from desk.tickets.models import Ticket
from tests.web.browser import chromium, foreign_page, served
from tests.web.conftest import STAFF_CHAT
from web.feed import FeedMessage
from web.visitors import WebVisitor

INQUIRY_KO = "기초생활수급 신청하려면 어떤 서류가 필요한가요?"
REPLY_KO = "신분증과 임대차계약서를 가지고 3번 창구로 오세요."
WAIT_MS = 15_000
CODE = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


@pytest.fixture
async def site(web_app):
    """The desk's web server (sample page, widget, API) on a free port."""
    async with served(web_app) as url:
        yield url


async def open_panel(page, site: str) -> None:
    await page.goto(f"{site}/web/sample")
    launcher = page.get_by_role("button", name="상담창구 열기")
    await launcher.click()
    await expect(page.get_by_role("heading", name="온라인 상담창구")).to_be_visible()


async def test_a_visitor_writes_in_korean_and_reads_the_staff_reply_live_and_after_a_reload(
    live, sandbox, staff_chat, site
):
    violations: list[str] = []
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 360, "height": 740}, locale="ko-KR")
        page = await context.new_page()
        page.on("console", lambda message: violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        await open_panel(page, site)

        await page.get_by_label("보낼 메시지").fill(INQUIRY_KO)
        await page.keyboard.press("Enter")
        log = page.get_by_role("log")
        await expect(log).to_contain_text("I-1001", timeout=WAIT_MS)
        await expect(log).to_contain_text(INQUIRY_KO)
        async with live.store.unit_of_work() as session:
            ticket = await session.get(Ticket, 1)
        await expect(log).to_contain_text(live.desk.moment(ticket.due_at, "ko"))

        [card] = await sandbox.wait_for_bot_messages(STAFF_CHAT)
        assert "홈페이지 웹 채팅" in card["text"]
        await sandbox.send_text(1002, f"/reply I-1001 {REPLY_KO}", chat_id=STAFF_CHAT)
        await expect(log).to_contain_text(REPLY_KO, timeout=WAIT_MS)  # no reload: the stream brought it

        await page.reload()
        await page.get_by_role("button", name="상담창구 열기").click()
        await expect(page.get_by_role("log")).to_contain_text(REPLY_KO, timeout=WAIT_MS)
        await expect(page.get_by_role("log")).to_contain_text("I-1001")
        code = CODE.search(await page.get_by_role("log").inner_text())[0]
        await context.close()

        # Another device: no token of the first, only the number and the code shown at intake.
        other = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="ko-KR")
        page = await other.new_page()
        await open_panel(page, site)
        await page.get_by_text("접수번호와 확인 코드로 답변 보기").click()
        await page.get_by_label("접수번호").fill("I-1001")
        await page.get_by_label("확인 코드").fill(code)
        await page.get_by_role("button", name="보기", exact=True).click()
        await expect(page.get_by_role("log")).to_contain_text(REPLY_KO, timeout=WAIT_MS)
        await expect(page.get_by_role("log")).not_to_contain_text(INQUIRY_KO)  # the answer, not the history
        await other.close()
    assert violations == []


async def test_the_panel_works_with_the_keyboard_alone(live, site):
    async with chromium() as browser:
        page = await browser.new_page(locale="ko-KR")
        await page.goto(f"{site}/web/sample")
        launcher = page.get_by_role("button", name="상담창구 열기")
        await launcher.focus()
        await page.keyboard.press("Enter")
        await expect(page.get_by_label("보낼 메시지")).to_be_focused()
        await page.keyboard.type("복지관 운영 시간이 어떻게 되나요?")
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("log")).to_contain_text("복지관 운영 시간", timeout=WAIT_MS)
        await page.keyboard.press("Escape")
        await expect(page.get_by_role("log")).to_be_hidden()
        await expect(launcher).to_be_focused()
        await expect(launcher).to_have_attribute("aria-expanded", "false")


async def test_markup_from_a_visitor_or_staff_is_shown_as_text(live, sandbox, staff_chat, site):
    payload = '<img src=x onerror="window.__xss=1">문의합니다 <b>굵게</b>'
    staff_payload = '<script>window.__xss=2</script><a href="javascript:window.__xss=3">링크</a>'
    async with chromium() as browser:
        page = await browser.new_page(locale="ko-KR")
        await open_panel(page, site)
        await page.get_by_label("보낼 메시지").fill(payload)
        await page.get_by_role("button", name="보내기").click()
        log = page.get_by_role("log")
        await expect(log.locator(".cd-desk")).to_have_count(1, timeout=WAIT_MS)
        if await log.locator(".cd-press").count():  # asked what it is: the panel's buttons answer
            await log.locator(".cd-press").first.click()
        await expect(log).to_contain_text("I-1001", timeout=WAIT_MS)
        await sandbox.send_text(1002, f"/reply I-1001 {staff_payload}", chat_id=STAFF_CHAT)
        await expect(log).to_contain_text(staff_payload, timeout=WAIT_MS)
        await expect(log).to_contain_text(payload)
        assert await page.evaluate("window.__xss") is None
        assert await page.locator(".cd-log img, .cd-log script, .cd-log a, .cd-log b").count() == 0


async def test_a_page_the_charter_does_not_allow_gets_nothing(live):
    charter = live.charter.model_copy(update={"web": Web(allowed_origins=("https://www.ansim.or.kr",))})
    app = build_web_app(dataclasses.replace(live, charter=charter))
    async with served(app) as desk, served(foreign_page(f"{desk}/widget.js")) as elsewhere, chromium() as browser:
        page = await browser.new_page()
        tried, answered = [], []
        page.on("request", lambda request: tried.append(request.url) if "/web/" in request.url else None)
        page.on("response", lambda response: answered.append(response.url)
                if "/web/" in response.url and response.ok else None)
        await page.goto(elsewhere)
        await page.wait_for_load_state("networkidle")
        assert await page.locator(".cd-launcher").count() == 0  # the widget got no words, so shows nothing
        forged = await page.evaluate(f"""async () => {{
            try {{ await fetch("{desk}/web/visitors", {{method: "POST"}}); return "answered"; }}
            catch (error) {{ return "refused"; }} }}""")
        assert forged == "refused"
    assert tried and answered == []
    async with live.store.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(WebVisitor)) == 0
        assert await session.scalar(select(func.count()).select_from(FeedMessage)) == 0


async def test_a_send_that_never_got_its_answer_says_so_in_korean_and_is_taken_once_when_sent_again(live, site):
    async with chromium() as browser:
        page = await browser.new_page(locale="ko-KR")
        # The first message reaches the desk and its response is lost, as when the desk is killed mid-answer.
        await page.add_init_script("""(() => {
            const real = window.fetch.bind(window);
            let lose = 1;
            window.fetch = (url, options) => String(url).includes("/web/messages?") && lose-- > 0
                ? real(url, options).then(() => { throw new TypeError("Failed to fetch"); })
                : real(url, options);
        })();""")
        await open_panel(page, site)
        await page.get_by_label("보낼 메시지").fill(INQUIRY_KO)
        await page.keyboard.press("Enter")
        status = page.get_by_role("status")
        await expect(status).to_contain_text("보내지 못했을 수 있습니다", timeout=WAIT_MS)
        await expect(status).not_to_contain_text("fetch")
        await expect(page.get_by_label("보낼 메시지")).to_have_value(INQUIRY_KO)  # kept, to send again

        await page.get_by_role("button", name="보내기").click()
        log = page.get_by_role("log")
        await expect(log).to_contain_text("I-1001", timeout=WAIT_MS)
        await expect(page.get_by_label("보낼 메시지")).to_have_value("")
        await expect(log.locator(".cd-visitor")).to_have_count(1)
    async with live.store.unit_of_work() as session:
        assert await session.scalar(select(func.count()).select_from(Ticket)) == 1
