"""Many organisations on one PostgreSQL: the cost of a deadline sweep, a dispatch pass and an agency report at 10,
100 and 1,000 organisations sharing one set of tables (10 million tickets in all by default).

For each organisation count K a scratch database on the server of --postgres is filled by the database itself
(INSERT ... SELECT generate_series, in chunks, with a progress bar): TICKETS tickets spread evenly over the K
organisations and over the last 12 months (2% still open and due within 30 days, the rest answered, one in ten
late, breached and escalated, one in twenty with an interim, one in five rated), and one sent outbox row per
ten tickets. Then, median of --rounds rounds:
- a deadline sweep of one organisation (scheduler.sweeps.sweep_deadlines with its desk), with 100 of its tickets
  past due (busy) and right after with none (idle);
- the idle sweep of every organisation, one after another (what a scheduler running all of them does), and the
  one query that tells which organisations have anything due at all;
- a dispatch pass: desk.outbox.claim_due of 100 due rows among the sent history (rolled back, so each round
  claims the same);
- the agency report of the last full month for every organisation (desk.reports.agency), and of one
  organisation's month (desk.reports.report, for comparison);
with PostgreSQL's EXPLAIN of the sweep's breach claim, the agency report's tickets query and the outbox claim.

    python -m bench.organisations --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/wt_agency \\
        --organisations 10,100,1000 --tickets 10000000
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from sqlalchemy import event, text

from bench.report import write_section
from bench.sweeps import scratch_postgres
from conversation.citizen.flows import Desk
from conversation.texts import Texts
from desk import outbox
from desk.charter.model import load_charter
from desk.reports.agency import Facility, build_agency_report
from desk.reports.period import month_of
from desk.reports.report import build_report
from infra.database import Store
from infra.keyring import Keyring
from scheduler import sweeps

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 10:00 in Seoul: office hours, no quiet hours
DUE = 100
CHUNK = 500_000
CATEGORIES = ("inquiry", "complaint", "non_response_complaint", "appointment_request")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(), TimeRemainingColumn(),
    )


def load_average() -> float:
    return os.getloadavg()[0]


async def fill(store: Store, organisations: int, tickets: int, progress: Progress) -> float:
    """K organisations and `tickets` tickets (with entries, ratings and outbox history); returns seconds."""
    started = time.perf_counter()
    charter_file = str(ROOT / "charter.yml")
    ciphertext = store.keyring.encrypt("?", purpose="tickets.text")
    # A value is bound to its column (its purpose): the history entries need their own ciphertext.
    entry_text = store.keyring.encrypt("?", purpose="ticket_entries.text")
    async with store.engine.begin() as connection:
        await connection.execute(text("UPDATE organisations SET slug = 'org-1', name = 'Org 1', charter_file = :f"),
                                 {"f": charter_file})
        await connection.execute(text(
            "INSERT INTO organisations (slug, name, charter_file, created_at) "
            "SELECT 'org-' || i, 'Org ' || i, :f, :now FROM generate_series(2, :k) AS i"
        ), {"f": charter_file, "now": NOW, "k": organisations})
    task = progress.add_task(f"{organisations:,} organisations: tickets", total=tickets)
    # Ticket i: organisation 1 + i % K, received i/tickets of a year ago; every 50th open, due in the next 30 days.
    # Answered ones: one in ten late (breached), the rest after a day. Promise: 7 days after receipt.
    insert = text("""
        INSERT INTO tickets (organisation_id, number, category, status, anonymous, language, received_at, due_at,
                             promised_at, remind_at, text, answered_at, breached_at, interim_at)
        SELECT 1 + i % :k, 1001 + i / :k, (ARRAY['inquiry','complaint','non_response_complaint','appointment_request'])[1 + i % 4],
               CASE WHEN i % 50 = 0 THEN 'open' ELSE 'answered' END, false, 'ko', r,
               CASE WHEN i % 50 = 0 THEN CAST(:now AS timestamptz) + make_interval(mins => 60 + (i % 43000)) ELSE r + interval '7 days' END,
               CASE WHEN i % 50 = 0 THEN CAST(:now AS timestamptz) + make_interval(mins => 60 + (i % 43000)) ELSE r + interval '7 days' END,
               NULL, :text,
               CASE WHEN i % 50 = 0 THEN NULL WHEN i % 10 = 1 THEN r + interval '9 days' ELSE r + interval '1 day' END,
               CASE WHEN i % 10 = 1 AND i % 50 <> 0 THEN r + interval '7 days 1 minute' END,
               CASE WHEN i % 20 = 3 THEN r + interval '2 days' END
        FROM (SELECT i, CAST(:now AS timestamptz) - make_interval(secs => (CAST(:tickets AS bigint) - i) * (31536000.0 / CAST(:tickets AS bigint))) AS r
              FROM generate_series(:start, :stop - 1) AS i) AS s
    """)
    for start in range(0, tickets, CHUNK):
        stop = min(start + CHUNK, tickets)
        async with store.engine.begin() as connection:
            await connection.execute(insert, {"k": organisations, "now": NOW, "text": ciphertext, "start": start,
                                              "stop": stop, "tickets": tickets})
        progress.update(task, advance=stop - start)
    steps = progress.add_task(f"{organisations:,} organisations: entries, ratings, outbox", total=4)
    async with store.engine.begin() as connection:
        # Each organisation's next ticket number follows its highest (desk/tickets/numbers.py counts from there).
        await connection.execute(text(
            "UPDATE organisations SET next_ticket_number = 1 + COALESCE("
            "(SELECT max(number) FROM tickets WHERE tickets.organisation_id = organisations.id), 1000)"))
        await connection.execute(text(
            "INSERT INTO ticket_entries (ticket_id, kind, text, created_at) "
            "SELECT id, 'interim', :t, interim_at FROM tickets WHERE interim_at IS NOT NULL"), {"t": entry_text})
        progress.advance(steps)
        await connection.execute(text(
            "INSERT INTO ticket_entries (ticket_id, kind, text, created_at) "
            "SELECT id, 'escalation', :t, breached_at FROM tickets WHERE breached_at IS NOT NULL"), {"t": entry_text})
        progress.advance(steps)
        await connection.execute(text(
            "INSERT INTO ratings (ticket_id, score, created_at) "
            "SELECT id, 1 + (id * 7) % 5, answered_at FROM tickets WHERE answered_at IS NOT NULL AND id % 5 = 0"))
        progress.advance(steps)
        chat = 900_000_001
        await connection.execute(text(
            "INSERT INTO outbox (organisation_id, key, chat_id, chat_hash, text, ticket_id, status, not_before, "
            "attempts, created_at, sent_at) SELECT organisation_id, 'sent:' || id, :chat, :hash, :t, id, 'sent', "
            "received_at, 1, received_at, received_at FROM tickets WHERE id % 10 = 0"),
            {"chat": store.keyring.encrypt(str(chat), purpose="outbox.chat_id"), "hash": store.keyring.chat_hash(chat),
             "t": store.keyring.encrypt("?", purpose="outbox.text")})
        progress.advance(steps)
    async with store.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


async def add_due(store: Store, organisation_id: int, round_: int) -> None:
    """DUE open tickets of one organisation already past their due moment, for one sweep to find."""
    async with store.engine.begin() as connection:
        await connection.execute(text("""
            WITH taken AS (
                UPDATE organisations SET next_ticket_number = next_ticket_number + :n WHERE id = :org
                RETURNING next_ticket_number - :n AS first
            )
            INSERT INTO tickets (organisation_id, number, category, status, anonymous, language, received_at, due_at,
                                 promised_at, remind_at, text)
            SELECT :org, taken.first + g - 1, 'inquiry', 'open', false, 'ko', :received, :due, :due, :remind, :t
            FROM taken, generate_series(1, :n) AS g
        """), {"org": organisation_id, "received": NOW - timedelta(days=9),
               "due": NOW - timedelta(minutes=5 + round_), "remind": NOW - timedelta(days=1), "n": DUE,
               "t": store.keyring.encrypt("?", purpose="tickets.text")})


async def add_pending_outbox(store: Store) -> None:
    async with store.unit_of_work() as session:
        for n in range(DUE):
            await outbox.enqueue(session, key=f"due:{n}", chat_id=700_000 + n, text=f"m{n}", now=NOW)


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return (time.perf_counter() - started) * 1000


async def measure(store: Store, organisations: int, rounds: int, texts: Texts) -> dict:
    charter = load_charter(ROOT / "charter.yml")
    desks = [Desk(charter=charter, texts=texts, organisation_id=k) for k in range(1, organisations + 1)]
    busy, idle, all_idle, anywhere, probed, claim, agency, single = [], [], [], [], [], [], [], []
    clock = lambda: NOW + timedelta(minutes=5)  # noqa: E731
    for round_ in range(rounds):
        await add_due(store, 1, round_)
        busy.append(await timed(lambda: sweeps.sweep_deadlines(store, desks[0], clock)))
        idle.append(await timed(lambda: sweeps.sweep_deadlines(store, desks[0], clock)))

        async def every_organisation():
            for one in desks:
                await sweeps.sweep_deadlines(store, one, clock)

        all_idle.append(await timed(every_organisation))

        async def which_are_due():
            async with store.engine.connect() as connection:
                await connection.execute(text(
                    "SELECT DISTINCT organisation_id FROM tickets WHERE status = 'open' AND due_at < :now"
                ), {"now": clock()})

        anywhere.append(await timed(which_are_due))

        async def which_are_due_probed():
            # One probe per organisation down its own (organisation_id, status, due_at) index: the planner cannot
            # misjudge it as it does the DISTINCT above (it multiplies 2% open by the ~98% of due_at in the past).
            async with store.engine.connect() as connection:
                await connection.execute(text(
                    "SELECT o.id FROM organisations o WHERE EXISTS (SELECT 1 FROM tickets t WHERE "
                    "t.organisation_id = o.id AND t.status = 'open' AND t.due_at < :now)"
                ), {"now": clock()})

        probed.append(await timed(which_are_due_probed))

        async def claim_pass():
            async with store.unit_of_work() as session:
                taken = await outbox.claim_due(session, now=NOW, limit=DUE)
                assert len(taken) == DUE, len(taken)
                await session.rollback()

        claim.append(await timed(claim_pass))
        period = month_of(datetime(2026, 10, 1).date())
        facilities = [Facility(k, f"org-{k}", f"Org {k}", charter) for k in range(1, organisations + 1)]

        async def agency_report():
            async with store.unit_of_work() as session:
                report = await build_agency_report(session=session, facilities=facilities, period=period, now=NOW)
            assert report.agency.whole.received > 0

        agency.append(await timed(agency_report))

        async def one_report():
            async with store.unit_of_work() as session:
                await build_report(session=session, organisation_id=1, charter=charter, period=period, now=NOW)

        single.append(await timed(one_report))
    median = statistics.median
    return {"organisations": organisations, "sweep_busy": median(busy), "sweep_idle": median(idle),
            "sweep_all": median(all_idle), "due_anywhere": median(anywhere), "due_probed": median(probed),
            "claim": median(claim),
            "agency": median(agency), "single_report": median(single)}


async def explain(store: Store, texts: Texts, organisations: int) -> list[str]:
    """PostgreSQL's plans: the breach claim of one organisation's sweep, the agency tickets query, the outbox claim."""
    from conversation.promises import deadlines

    charter = load_charter(ROOT / "charter.yml")
    lines: list[str] = []

    async def capture(label: str, marker: str, work: Callable[..., Awaitable[object]]) -> None:
        captured: list[tuple[str, object]] = []

        def listen(_conn, _cursor, statement, parameters, _context, _many):
            if marker in statement and not captured:
                captured.append((statement, parameters))

        event.listen(store.engine.sync_engine, "before_cursor_execute", listen)
        try:
            async with store.unit_of_work() as session:
                await work(session)
                await session.rollback()
        finally:
            event.remove(store.engine.sync_engine, "before_cursor_execute", listen)
        statement, parameters = captured[0]
        async with store.engine.connect() as connection:
            plan = await connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement, parameters)
            rows = plan.all()
            lines.extend([f"{label}:", *("    " + row[0] for row in rows), ""])

    the_desk = Desk(charter=charter, texts=texts, organisation_id=1)
    await capture("deadline sweep, breach claim of one organisation", "FOR UPDATE",
                  lambda session: deadlines.handle_breaches(session=session, desk=the_desk, now=NOW))
    facilities = [Facility(k, f"org-{k}", f"Org {k}", charter) for k in range(1, organisations + 1)]
    await capture(f"agency report of 2026-10, tickets query ({organisations:,} organisations)", "count(*)",
                  lambda session: build_agency_report(session=session, facilities=facilities,
                                                      period=month_of(datetime(2026, 10, 1).date()), now=NOW))
    await capture("dispatch pass, outbox claim", "FROM outbox",
                  lambda session: outbox.claim_due(session, now=NOW, limit=DUE))
    return lines


def report(rows: list[dict], plans: list[str], tickets: int, loads: list[float]) -> str:
    lines = [
        "## Organisations: sweep, dispatch and agency report from 10 to 1,000 organisations",
        "",
        f"{tickets:,} tickets in all on one PostgreSQL, spread evenly over K organisations and 12 months (2% open, due",
        "within 30 days; one in ten answered late, breached and escalated; one in five rated) and one sent outbox",
        f"row per ten tickets. Milliseconds, median of the rounds. Load average (1 min) during the runs: "
        f"{', '.join(f'{load:.1f}' for load in loads)} (2 cores shared with other work).",
        "",
        "| organisations | tickets each | fill s | one org's sweep, 100 due | one org's sweep, idle | every org's idle "
        "sweep | which orgs have anything due: DISTINCT | ... : EXISTS per org | outbox claim of 100 | agency report, "
        "one month | one org's report, one month |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['organisations']:,} | {tickets // row['organisations']:,} | {row['fill_s']:.0f} | "
            f"{row['sweep_busy']:.1f} | {row['sweep_idle']:.1f} | {row['sweep_all']:.0f} | {row['due_anywhere']:.1f} | "
            f"{row['due_probed']:.1f} | "
            f"{row['claim']:.1f} | {row['agency']:.0f} | {row['single_report']:.0f} |"
        )
    if plans:
        lines += ["", f"PostgreSQL's plans at {rows[-1]['organisations']:,} organisations:", "", "```", *plans, "```"]
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.organisations", description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"), help="PostgreSQL server URL")
    parser.add_argument("--organisations", default="10,100,1000", help="organisation counts, comma-separated")
    parser.add_argument("--tickets", type=int, default=10_000_000, help="tickets in all, at every count")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    if not args.postgres:
        parser.error("--postgres URL (or TEST_DATABASE_URL) is required: this simulation runs on PostgreSQL")
    try:
        counts = [int(c) for c in args.organisations.split(",")]
    except ValueError:
        parser.error(f"--organisations {args.organisations!r}: comma-separated whole numbers, e.g. 10,100,1000")
    if min(counts) < 1 or args.tickets < max(counts) * 100 or args.rounds < 1:
        parser.error("need at least one organisation, 100 tickets per organisation and one round")
    command = (f"python -m bench.organisations --organisations {args.organisations} --tickets {args.tickets}"
               f" --rounds {args.rounds}")
    ring = Keyring.from_file(Path(tempfile.mkdtemp(prefix="bench-orgs-")) / "bench.key")
    texts, rows, plans, loads = Texts.load(), [], [], []
    name = f"charterdesk_orgs_{os.getpid()}"
    with progress_bar() as progress:
        for organisations in counts:
            store = Store(await scratch_postgres(args.postgres, name), keyring=ring)
            try:
                await store.migrate()
                fill_s = await fill(store, organisations, args.tickets, progress)
                await add_pending_outbox(store)
                loads.append(load_average())
                task = progress.add_task(f"{organisations:,} organisations: measuring", total=None)
                row = await measure(store, organisations, args.rounds, texts)
                rows.append({**row, "fill_s": fill_s})
                loads.append(load_average())
                if organisations == max(counts):
                    plans = await explain(store, texts, organisations)
                progress.update(task, total=1, completed=1)
            finally:
                await store.dispose()
                await scratch_postgres(args.postgres, name, drop=True)
    body = report(rows, plans, args.tickets, loads)
    print(body)
    if not args.no_docs:
        print(f"\nwritten to {write_section('organisations', body, command=command)}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
