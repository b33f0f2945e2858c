"""Counting the SQL statements a run sends to the database, by kind (SELECT, INSERT, UPDATE, ...)."""

from collections import Counter

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class QueryCounter:
    """Counts every statement the engine executes (BEGIN and COMMIT included: each is a round trip)."""

    def __init__(self, engine: AsyncEngine, *, log: list[str] | None = None) -> None:
        self.counts: Counter[str] = Counter()
        self.log = log  # every statement's text, in order, when given a list
        event.listen(engine.sync_engine, "before_cursor_execute", self._on_execute)
        # COMMIT and ROLLBACK go through the DBAPI connection, not a cursor.
        event.listen(engine.sync_engine, "commit", lambda _connection: self._note("COMMIT"))
        event.listen(engine.sync_engine, "rollback", lambda _connection: self._note("ROLLBACK"))

    def _on_execute(self, _connection, _cursor, statement: str, *_args) -> None:
        words = statement.lstrip().split(None, 1)
        self._note(words[0].upper() if words else "?", statement)

    def _note(self, kind: str, statement: str | None = None) -> None:
        self.counts[kind] += 1
        if self.log is not None:
            self.log.append(" ".join((statement or kind).split()))

    def reset(self) -> None:
        """Forget what was counted so far."""
        self.counts.clear()
        if self.log is not None:
            self.log.clear()

    def per_message(self, messages: int) -> dict[str, float]:
        """Statements per message by kind, and their total."""
        result = {kind: count / messages for kind, count in sorted(self.counts.items())}
        result["total"] = sum(self.counts.values()) / messages
        return result
