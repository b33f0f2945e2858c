"""The deadline sweep end to end with pinned time: every kind of push reaches the sandbox once."""

from datetime import timedelta

from desk.organisations.models import FIRST_ORGANISATION
from desk.tickets import service
from scheduler import sweeps
from scheduler.app import build_scheduler
from tests.conftest import at
from tests.conversation.promises.test_deadlines import RECEIVED, open_ticket

STAFF_CHAT = -1001234567890
OFFICER = 1001


def texts_in(sandbox, chat_id: int) -> list[str]:
    return [m["text"] for m in sandbox.bot_messages(chat_id)]


async def test_one_sweep_sends_every_kind_of_push_once(store, desk, sandbox, make_dispatcher):
    for chat in (701, 702, 703):
        sandbox.user(chat, f"Citizen {chat}")
    now = at("2026-12-02T18:30:00+09:00")  # Wednesday evening, before the quiet hours
    # Reminder due (assigned to agent 1002), a breached inquiry, an appointment tomorrow morning.
    await open_ticket(store, desk, chat_id=701, due_at=now + timedelta(days=1), remind_at=now - timedelta(minutes=5), assigned_to=1002)
    await open_ticket(store, desk, chat_id=702, language="hu")
    await open_ticket(store, desk, chat_id=703, category="appointment_request", status="answered",
                      appointment_at=at("2026-12-03T10:00:00+09:00"))
    dispatcher = make_dispatcher(clock=lambda: now)

    counts = await sweeps.sweep_deadlines(store, desk, lambda: now, dispatcher)
    assert counts == {"breached": 1, "reminded": 1, "appointments": 1, "weekly_reports": 1}
    assert await dispatcher.drain() == {"sent": 6}

    [reminder] = texts_in(sandbox, 1002)
    assert reminder.startswith("⏰") and "I-1001" in reminder
    [interim] = texts_in(sandbox, 702)
    assert interim.startswith("Elnézést kérünk") and "I-1002" in interim
    [escalation, weekly] = texts_in(sandbox, OFFICER)  # the breach, then Monday 09:00's weekly report
    assert weekly.startswith("주간 보고") and texts_in(sandbox, STAFF_CHAT) == [escalation]
    assert escalation.startswith("🚨") and "I-1002" in escalation
    [appointment] = texts_in(sandbox, 703)
    assert "A-1003" in appointment

    # A second sweep, later, finds nothing new and sends nothing again.
    assert await sweeps.sweep_deadlines(store, desk, lambda: now + timedelta(minutes=10), dispatcher) == {}
    assert await dispatcher.drain() == {"sent": 6}


async def test_a_push_found_in_quiet_hours_goes_out_when_they_end(store, desk, sandbox, make_dispatcher):
    sandbox.user(702, "Night owl")
    await open_ticket(store, desk, chat_id=702)
    night = at("2026-12-01T23:00:00+09:00")
    clock = {"now": night}
    dispatcher = make_dispatcher(clock=lambda: clock["now"])
    await sweeps.sweep_deadlines(store, desk, lambda: night, dispatcher)
    await dispatcher.drain()
    assert texts_in(sandbox, 702) == [] and len(texts_in(sandbox, STAFF_CHAT)) == 1
    clock["now"] = at("2026-12-02T07:59:59+09:00")
    await dispatcher.drain()
    assert texts_in(sandbox, 702) == []
    clock["now"] = at("2026-12-02T08:00:00+09:00")
    await dispatcher.drain()
    assert len(texts_in(sandbox, 702)) == 1


async def test_a_citizen_who_blocked_the_bot_gets_no_more_pushes(store, desk, sandbox, make_dispatcher):
    sandbox.user(702, "Blocker")
    sandbox.faults.add(method="sendMessage", chat_id=702, error_code=403, times=None)
    await open_ticket(store, desk, chat_id=702, appointment_at=at("2026-12-04T10:00:00+09:00"))
    now = {"at": at("2026-12-02T10:00:00+09:00")}  # the inquiry was due yesterday: an interim goes out
    dispatcher = make_dispatcher(clock=lambda: now["at"])
    for _ in range(2):  # the second sweep reports the block
        await sweeps.sweep_deadlines(store, desk, lambda: now["at"], dispatcher)
        await dispatcher.drain()
    now["at"] = at("2026-12-03T18:00:00+09:00")
    assert (await sweeps.sweep_deadlines(store, desk, lambda: now["at"], dispatcher))["appointments"] == 1
    await dispatcher.drain()
    assert len(sandbox.faults.calls_to(702)) == 1
    staff = texts_in(sandbox, STAFF_CHAT)
    assert len(staff) == 2 and staff[1].startswith("⛔") and "I-1001" in staff[1]
    async with store.unit_of_work() as session:
        assert (await service.get_citizen(organisation_id=FIRST_ORGANISATION, session=session, chat_id=702)).unreachable_at == at("2026-12-02T10:00:00+09:00")


def test_the_scheduler_has_two_fixed_jobs_that_run_at_once(store, desk):
    jobs = build_scheduler(
        store=store, desk=desk, dispatcher=object(), clock=lambda: RECEIVED, dispatch_interval=2, sweep_interval=30
    )
    assert sorted(job.id for job in jobs.scheduler.get_jobs()) == ["dispatch_outbox", "purge_expired", "sweep_deadlines"]
    assert all(job.next_run_time is not None and job.max_instances == 1 for job in jobs.scheduler.get_jobs())
