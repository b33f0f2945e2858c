"""Group commit: the units of work of many concurrent callers run one after another in one transaction.

Under load, intake handlers of different chats each paid a BEGIN and a COMMIT (on SQLite, a turn of the
one write lock; on PostgreSQL, a commit round trip). Here whoever arrives while a transaction is under
way waits for the next one, which takes all of them: a caller still gets its result only once its own
writes are committed, so nothing is promised before it is durable. Alone, a caller runs at once.

If one unit fails, the transaction is rolled back with the others' writes in it; each unit of that group
then runs again in a transaction of its own, so only the failing one fails. A unit must therefore be
safe to run again after a rollback (it only reads and writes through the session it is given).

A caller may also give a batch step and an item (`run(unit, step=..., item=...)`): at the start of each
transaction the step runs once for the items of all its units (one read or one INSERT for the whole
group instead of one per unit), and each such unit is called as `unit(session, what the step gave for
its item)`. A step must be safe to run again too (it runs in each transaction its units run in). A
`finish` runs once at the end of the transaction, before the commit, over the results of its units (one
INSERT for what they all deferred), and gives back the results their callers get.

A group holds units of one organisation: the one each caller served when it called (infra/encrypted.py
`serving`), whose data keys the shared transaction then encrypts and decrypts with.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from infra import encrypted
from infra.database import Store

log = logging.getLogger(__name__)

# Units taken into one transaction at most: a longer transaction delays the first caller's answer.
MAX_GROUP = 16
# Transactions under way at once. SQLite has one connection (and one writer): one. PostgreSQL overlaps
# one transaction's round trips with another's work; with one alone the event loop would idle meanwhile.
PARALLEL = {"sqlite": 1}
DEFAULT_PARALLEL = 4

Unit = Callable[..., Awaitable[Any]]
# Called with the items of a group's units; returns one value per item, in their order.
Step = Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[Any]]]
# Called with the results of a group's units before the commit; returns what their callers get, in order.
Finish = Callable[[AsyncSession, Sequence[Any]], Awaitable[Sequence[Any]]]


@dataclass
class _Waiting:
    """A caller's unit, its future, and its batch step and item (if any)."""

    unit: Unit
    future: asyncio.Future
    step: Step | None = None
    item: Any = None
    finish: Finish | None = None
    organisation: int = encrypted.FIRST_ORGANISATION


class GroupCommit:
    """Runs units of work of concurrent callers in shared transactions (`parallel` of them at a time)."""

    def __init__(self, store: Store, *, max_group: int = MAX_GROUP, parallel: int | None = None) -> None:
        self.store = store
        self.max_group = max_group
        self.parallel = parallel or PARALLEL.get(store.dialect, DEFAULT_PARALLEL)
        self._waiting: list[_Waiting] = []
        self._runners: set[asyncio.Task] = set()
        # How many transactions ran and how many units they took (read by bench/ and tests).
        self.transactions = 0
        self.units = 0

    async def run(self, unit: Unit, *, step: Step | None = None, item: Any = None, finish: Finish | None = None) -> Any:
        """Run `unit(session)` in a transaction shared with other callers; its result once committed.
        With a `step`: `unit(session, step's value for item)`, the step run once for the group; with a
        `finish`, the result is what the finish (run once for the group) made of it."""
        future = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(unit, future, step, item, finish, encrypted.served()))
        if len(self._runners) < self.parallel:
            runner = asyncio.create_task(self._run_waiting(), name="group commit")
            self._runners.add(runner)
            runner.add_done_callback(self._runners.discard)
        return await future

    async def _run_waiting(self) -> None:
        group: list[_Waiting] = []
        try:
            while self._waiting:
                group = [w for w in self._waiting if w.organisation == self._waiting[0].organisation][: self.max_group]
                taken = {id(waiting) for waiting in group}
                self._waiting = [waiting for waiting in self._waiting if id(waiting) not in taken]
                group = [waiting for waiting in group if not waiting.future.cancelled()]
                if group and not await self._run_group(group):
                    for single in group:
                        await self._run_group([single])
        except asyncio.CancelledError:
            # Stopped midway (the loop is closing): no caller may wait for ever.
            for waiting in group + self._waiting:
                if not waiting.future.done():
                    waiting.future.cancel()
            raise

    async def _run_group(self, group: list[_Waiting]) -> bool:
        """One transaction for the group; False (futures untouched) if a unit of a larger group failed."""
        results = []
        try:
            async with self.store.unit_of_work(organisation_id=group[0].organisation) as session:
                prepared = await _run_steps(session, group)
                for waiting in group:
                    if waiting.step is None:
                        results.append(await waiting.unit(session))
                    else:
                        results.append(await waiting.unit(session, prepared[id(waiting)]))
                results = await _run_finishes(session, group, results)
        except Exception as exc:  # noqa: BLE001 - alone, the caller gets it; in a group, each goes again alone
            if len(group) > 1:
                log.info("group commit: a unit failed (%s); the %d units of its group go again one by one",
                         type(exc).__name__, len(group))
                return False
            if not group[0].future.done():
                group[0].future.set_exception(exc)
            return True
        self.transactions += 1
        self.units += len(group)
        for waiting, result in zip(group, results, strict=True):
            if not waiting.future.done():
                waiting.future.set_result(result)
        return True


async def _run_steps(session: AsyncSession, group: list[_Waiting]) -> dict[int, Any]:
    """Each batch step of the group run once over its units' items: value by id() of the waiting unit."""
    by_step: dict[Step, list[_Waiting]] = {}
    for waiting in group:
        if waiting.step is not None:
            by_step.setdefault(waiting.step, []).append(waiting)
    prepared: dict[int, Any] = {}
    for step, waitings in by_step.items():
        values = await step(session, [waiting.item for waiting in waitings])
        for waiting, value in zip(waitings, values, strict=True):
            prepared[id(waiting)] = value
    return prepared


async def _run_finishes(session: AsyncSession, group: list[_Waiting], results: list[Any]) -> list[Any]:
    """Each finish of the group run once over its units' results; the results as their callers get them."""
    by_finish: dict[Finish, list[int]] = {}
    for n, waiting in enumerate(group):
        if waiting.finish is not None:
            by_finish.setdefault(waiting.finish, []).append(n)
    results = list(results)
    for finish, positions in by_finish.items():
        finished = await finish(session, [results[n] for n in positions])
        for n, result in zip(positions, finished, strict=True):
            results[n] = result
    return results
