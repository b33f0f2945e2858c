"""Prometheus metrics of a Charterdesk process: counters kept where things happen, gauges filled at scrape time.

One registry per process (not prometheus-client's global one), so importing this module twice in
tests or next to another library never collides. Labels never carry personal data.
"""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from desk.anonymous import attempts

REGISTRY = CollectorRegistry(auto_describe=True)
# Kept where the codes are checked (the domain), exposed with this process's other metrics.
REGISTRY.register(attempts.CODE_CHECKS)

UPDATES_RECEIVED = Counter(
    "charterdesk_updates_received",
    "Telegram updates stored for handling, by way in (webhook, polling); repeats not counted.",
    ["source"],
    registry=REGISTRY,
)
UPDATES_REPEATED = Counter(
    "charterdesk_updates_repeated",
    "Telegram updates delivered again after they were stored (ignored).",
    ["source"],
    registry=REGISTRY,
)
UPDATES_HANDLED = Counter(
    "charterdesk_updates_handled", "Stored updates handled (or dropped as unreadable).", ["outcome"], registry=REGISTRY
)
INTAKE_LATENCY = Histogram(
    "charterdesk_intake_latency_seconds",
    "From storing an update to the end of its handling (the citizen's answer sent or queued).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
WEBHOOK_REFUSED = Counter(
    "charterdesk_webhook_refused",
    "Webhook requests refused before anything was stored, by reason.",
    ["reason"],
    registry=REGISTRY,
)
SEND_ERRORS = Counter(
    "charterdesk_send_errors",
    "Bot API sends that did not succeed, by kind (retry, undeliverable, blocked, unknown).",
    ["kind"],
    registry=REGISTRY,
)

# Read from the database at each scrape (charterdesk/metrics.py), so every process reports the same truth.
TICKETS_OPEN = Gauge(
    "charterdesk_tickets_open", "Open tickets by category.", ["category"], registry=REGISTRY
)
TICKETS_DUE_24H = Gauge(
    "charterdesk_tickets_due_within_24h", "Open tickets whose charter deadline falls in the next 24 hours.",
    registry=REGISTRY,
)
TICKETS_BREACHED = Gauge(
    "charterdesk_tickets_breached", "Open tickets past their charter deadline.", registry=REGISTRY
)
BREACHES = Gauge(
    "charterdesk_breaches", "Tickets ever recorded as breaching their deadline.", registry=REGISTRY
)
OUTBOX_BACKLOG = Gauge(
    "charterdesk_outbox_backlog", "Promised messages not sent yet.", registry=REGISTRY
)
OUTBOX_OLDEST_AGE = Gauge(
    "charterdesk_outbox_oldest_age_seconds", "Age of the oldest promised message not sent yet.", registry=REGISTRY
)
INTAKE_BACKLOG = Gauge(
    "charterdesk_intake_backlog", "Stored updates not handled yet.", registry=REGISTRY
)
INTAKE_OLDEST_AGE = Gauge(
    "charterdesk_intake_oldest_age_seconds", "Age of the oldest stored update not handled yet.", registry=REGISTRY
)


def count_send(outcome: str, *, chat_blocked: bool = False) -> None:
    """Count a send that did not succeed ('sent' is not an error and is not counted)."""
    if outcome != "sent":
        SEND_ERRORS.labels("blocked" if chat_blocked else outcome).inc()
