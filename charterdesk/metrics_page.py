"""GET /metrics: the counters this process kept, and gauges read from the database at scrape time."""

import logging
from datetime import datetime

from prometheus_client import CONTENT_TYPE_LATEST, Gauge, generate_latest

from bot import metrics
from charterdesk import gauges
from infra.database import Store

log = logging.getLogger(__name__)

DATABASE_UP = Gauge(
    "charterdesk_database_up", "1 if the last scrape could read the database, else 0.", registry=metrics.REGISTRY
)


async def scrape(store: Store, *, now: datetime) -> tuple[bytes, str]:
    """The Prometheus text exposition and its content type; database gauges stay at their last values if it is down."""
    try:
        async with store.unit_of_work() as session:
            figures = await gauges.read(session, now=now)
    except Exception:  # an unreachable database must not make monitoring blind to the counters
        log.warning("metrics: cannot read the database", exc_info=True)
        DATABASE_UP.set(0)
    else:
        DATABASE_UP.set(1)
        for category, count in figures.open_by_category.items():
            metrics.TICKETS_OPEN.labels(category).set(count)
        metrics.TICKETS_DUE_24H.set(figures.due_soon)
        metrics.TICKETS_BREACHED.set(figures.overdue)
        metrics.BREACHES.set(figures.breaches)
        metrics.OUTBOX_BACKLOG.set(figures.outbox_backlog)
        metrics.OUTBOX_OLDEST_AGE.set(figures.outbox_oldest_age)
        metrics.INTAKE_BACKLOG.set(figures.intake_backlog)
        metrics.INTAKE_OLDEST_AGE.set(figures.intake_oldest_age)
    return generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST
