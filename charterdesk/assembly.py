"""The one wiring place: every part of a Charterdesk process, built once from Settings and passed in.

Settings are read once (charterdesk/launch.py), the key file is loaded once here, and everything that
needs the keys gets them from here: the Store (its encrypted columns), the Sealer (the anonymous
channel), the start-up check. processes.py starts and stops what is built here, in order.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import BotConfig
from bot.deps import BotDeps
from bot.ratelimit import Limits, SendLimiter
from bot.transport import own_transport
from charterdesk.errors import StartupError
from charterdesk.rotation import check_readable
from charterdesk.settings import Settings, TokenError
from conversation.citizen.flows import Desk
from conversation.staff import digests
from conversation.staff.queue_summary import Editor, SummaryKeeper
from conversation.texts import Texts, TextsError
from desk.anonymous.attempts import GuessBudget
from desk.channels import Channel, channel_of
from desk.charter.model import Charter, CharterError, load_charter
from desk.delivery import CONCURRENCY, Deliverer, Pacing
from desk.organisations import service as organisations
from desk.organisations.models import FIRST_ORGANISATION, Organisation
from desk.sending_thread import SendingThread
from desk.staff.startup import seed_registry
from infra.database import Store, StoreError
from infra.keyring import Keyring, KeyringError
from infra.sealing import Sealer, SealingError
from nlu import corrections as corrected_fits
from nlu.classifier import Classifier
from nlu.embedded import EmbeddedClassifier
from scheduler.app import Jobs, build_scheduler
from scheduler.dispatcher import Dispatcher
from web.deps import WebDeps
from web.mail import Mailer, Notices
from web.notifier import Notifier
from web.transport import ChannelRouter, WebTransport

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Tenant:
    """One organisation a process runs: its slug and its Desk (its charter, staff chat and organisation id)."""

    slug: str
    desk: Desk

    @property
    def organisation_id(self) -> int:
        return self.desk.organisation_id


@dataclass
class Components:
    """Charter, texts, database (with its keys), classifier and sealer of one process; `charter` and `desk` are
    organisation 1's (CHARTER_FILE), `tenants` every active organisation's, organisation 1's first."""

    settings: Settings
    charter: Charter
    desk: Desk
    store: Store
    classifier: Classifier
    sealer: Sealer | None = None
    # Wakes the web chat's open streams when the outbox delivers into a visitor's feed in this process.
    web_notifier: Notifier = field(default_factory=Notifier)
    tenants: list[Tenant] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.tenants:  # built by hand (tests, benchmarks): organisation 1 alone
            self.tenants = [Tenant("main", self.desk)]

    @property
    def keyring(self) -> Keyring | None:
        """The data keys, held by the store."""
        return self.store.keyring

    async def close(self) -> None:
        """Release the database pool and the classifier's connections (Rasa's HTTP client)."""
        close_classifier = getattr(self.classifier, "close", None)
        if close_classifier is not None:
            await close_classifier()
        await self.store.dispose()


async def assemble(settings: Settings, *, migrate: bool = True) -> Components:
    """Load the charter, texts and keys, reach (and migrate) the database, train the classifier."""
    try:
        charter = load_charter(settings.charter_file)
        texts = Texts.load()
    except (CharterError, TextsError) as exc:
        raise StartupError(str(exc)) from exc
    ring = open_keyring(settings)
    sealer = open_sealer(ring)
    store = open_store(settings, ring)
    try:
        if migrate:
            await store.migrate()
        else:
            await store.check()
        # A lost or swapped key file is found now, not at the first citizen's message.
        await check_readable(store, ring=ring)
    except (StoreError, KeyringError) as exc:
        await store.dispose()
        raise StartupError(str(exc)) from exc
    organisation_id = await adopt_charter(store, settings, charter)
    try:
        # Every charter is read before anything is written or started: one broken file starts nothing.
        others = await other_organisations(store)
    except StartupError:
        await store.dispose()
        raise
    # staff console: each charter's staff may act in their organisation
    await seed_registry(store, charter, organisation_id=organisation_id, now=utc_now())
    for organisation, other in others:
        await seed_registry(store, other, organisation_id=organisation.id, now=utc_now())
    classifier = build_classifier(settings, charter)
    desk = new_desk(settings, charter, texts, organisation_id)
    first_slug = await _slug_of(store, organisation_id)
    tenants = [Tenant(first_slug, desk)] + [
        Tenant(organisation.slug, new_desk(settings, other, texts, organisation.id)) for organisation, other in others
    ]
    return Components(settings, charter, desk, store, classifier, sealer, tenants=tenants)


def new_desk(settings: Settings, charter: Charter, texts: Texts, organisation_id: int) -> Desk:
    """An organisation's Desk: its charter, the shared texts, its own receipt-code guessing budget."""
    return Desk(
        charter=charter, texts=texts, code_guesses=GuessBudget(limit=settings.code_guesses_per_minute),
        organisation_id=organisation_id,
    )


async def other_organisations(store: Store) -> list[tuple[Organisation, Charter]]:
    """Every active organisation besides the first, with its charter; StartupError naming the organisation and
    the file if one does not load."""
    async with store.unit_of_work() as session:
        rows = [row for row in await organisations.listed(session=session)
                if row.active and row.id != FIRST_ORGANISATION]
    loaded = []
    for row in rows:
        try:
            loaded.append((row, load_charter(Path(row.charter_file))))
        except CharterError as exc:
            raise StartupError(f'organisation "{row.slug}" (id {row.id}): charter file {row.charter_file}: {exc}') from exc
    return loaded


async def _slug_of(store: Store, organisation_id: int) -> str:
    async with store.unit_of_work() as session:
        return (await organisations.get_by_id(session=session, organisation_id=organisation_id)).slug


async def adopt_charter(store: Store, settings: Settings, charter: Charter) -> int:
    """Organisation 1 is CHARTER_FILE's: name it after the charter (migration 0014 left placeholders); its id."""
    async with store.unit_of_work() as session:
        organisation = await organisations.adopt_deployment_charter(
            session=session, name=charter.organisation.name, charter_file=str(settings.charter_file)
        )
        return organisation.id


def open_keyring(settings: Settings, *, create: bool = True) -> Keyring:
    """The keys of CHARTERDESK_KEY_FILE, the file created (mode 0600) on first run if `create`."""
    try:
        return Keyring.from_file(settings.key_file, create=create)
    except KeyringError as exc:
        raise StartupError(str(exc)) from exc


def open_sealer(ring: Keyring) -> Sealer:
    """The anonymous channel's sealer, from the keyring's `anon` key."""
    try:
        return Sealer.from_keyring(ring)
    except SealingError as exc:
        raise StartupError(str(exc)) from exc


def open_store(settings: Settings, ring: Keyring | None) -> Store:
    """The database of DATABASE_URL, its encrypted columns read and written with `ring`."""
    try:
        return Store(settings.database_url, keyring=ring)
    except StoreError as exc:
        raise StartupError(str(exc)) from exc


def build_classifier(settings: Settings, charter: Charter | None = None) -> Classifier:
    """The embedded classifier (with staff's corrections, if the charter learns from them and
    `charterdesk nlu retrain` fitted them), or the Rasa server when RASA_URL is set."""
    embedded = _corrected(charter) or EmbeddedClassifier.load()  # or its fit for the same data from the cache
    if not settings.rasa_url:
        return embedded
    from nlu.rasa import RasaClassifier

    return RasaClassifier(settings.rasa_url, fallback=embedded)


def _corrected(charter: Charter | None) -> EmbeddedClassifier | None:
    if charter is None or not charter.nlu.learn_from_corrections:
        return None
    fitted = corrected_fits.load(charter.organisation.name)
    if fitted is not None:
        log.info("embedded classifier: fitted with staff corrections (charterdesk nlu retrain)")
    return fitted


# == the bot ==


def bot_config(settings: Settings, tenant: Tenant | None = None) -> BotConfig:
    """What the Telegram side needs of the settings (bot/ never reads them itself), for organisation 1's bot or
    `tenant`'s; StartupError if its token file cannot be read."""
    if tenant is None or tenant.organisation_id == FIRST_ORGANISATION:
        token, api_url = settings.telegram_bot_token, settings.telegram_api_url
    else:
        try:
            token, api_url = settings.bot_token(tenant.slug), settings.bot_api_url(tenant.slug)
        except TokenError as exc:
            raise StartupError(f'organisation "{tenant.slug}": {exc}') from exc
    return BotConfig(token=token, api_url=api_url, overall_rate=settings.telegram_overall_rate)


def missing_tokens(components: "Components") -> list[str]:
    """The variables to set for the organisations whose bot has no token (empty when every bot can start)."""
    from charterdesk.settings import FILE_SUFFIX, TOKEN_PREFIX, env_suffix

    missing = []
    for tenant in components.tenants:
        if bot_config(components.settings, tenant).token:
            continue
        if tenant.organisation_id == FIRST_ORGANISATION:
            missing.append("TELEGRAM_BOT_TOKEN")
        else:
            name = TOKEN_PREFIX + env_suffix(tenant.slug)
            missing.append(f'{name} (or {name}{FILE_SUFFIX}) for organisation "{tenant.slug}"')
    return missing


def bot_deps(components: Components, pacing: Pacing | None = None, *, desk: Desk | None = None) -> BotDeps:
    """What the Telegram handlers of one organisation's bot (`desk`, default organisation 1's) share; the
    transport is set when the application is built. `pacing`: the process's flood limits (send_limiter), so
    the handlers' answers keep within the bot's share too."""
    return BotDeps(
        store=components.store, desk=desk or components.desk, classifier=components.classifier, clock=utc_now,
        sealer=components.sealer, pacing=pacing, lease=timedelta(seconds=components.settings.lease_seconds),
    )


def sending_thread(components: Components) -> SendingThread | None:
    """Where a bot replica's Telegram sends are marked, sent and recorded: a thread of their own, so a
    request leaves right after its mark commits. PostgreSQL only: SQLite takes one writer at a time, and
    a second engine's writes would poll its file lock instead of queueing (no replicas share SQLite)."""
    if components.store.dialect != "postgresql":
        return None
    settings = components.settings
    return SendingThread(
        lambda: Store(settings.database_url, keyring=components.store.keyring),
        lambda: own_transport(bot_config(settings), connections=CONCURRENCY),
        clock=utc_now, lease=timedelta(seconds=settings.lease_seconds),
        # Its transport is organisation 1's bot: other organisations' answers are sent by their handlers.
        takes=lambda message: channel_of(message.chat_id) == Channel.TELEGRAM
        and message.organisation_id == FIRST_ORGANISATION,
    )


# == the web chat ==


def web_transport(components: Components, *, notices: Notices | None = None) -> WebTransport:
    """The outbox's way into web visitors' feeds."""
    return WebTransport(components.store, components.web_notifier, clock=utc_now, notices=notices)


def web_notices(components: Components) -> Notices | None:
    """The "an answer is waiting" e-mail of the web chat, when SMTP_HOST is set."""
    settings = components.settings
    if not settings.smtp_host:
        return None
    mailer = Mailer(host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_from)
    return Notices(components.store, components.desk, mailer, clock=utc_now)


def with_web(components: Components, telegram) -> ChannelRouter:
    """One transport for the dispatcher and staff's handlers: web visitors' rows into their feeds (with the
    e-mail notice, if any), the rest through Telegram."""
    return ChannelRouter(telegram, web_transport(components, notices=web_notices(components)))


def web_deps(components: Components, *, clock=utc_now) -> WebDeps:
    """What the web chat's handlers share; their answers are delivered into the feeds at once."""
    deliverer = Deliverer(components.store, web_transport(components), clock=clock)
    return WebDeps(
        store=components.store, desk=components.desk, classifier=components.classifier, sealer=components.sealer,
        deliverer=deliverer, notifier=components.web_notifier, clock=clock,
        mail_offered=bool(components.settings.smtp_host),
    )


def flood_limits(settings: Settings) -> Limits:
    """Telegram's flood limits for the whole bot, as the settings give them."""
    return Limits(
        per_second=settings.send_per_second,
        chat_interval=settings.chat_interval_seconds,
        group_per_minute=settings.group_per_minute,
    )


def send_limiter(settings: Settings) -> SendLimiter:
    """Telegram's flood limits of the settings as one process's waits (its handlers' and its dispatcher's)."""
    return SendLimiter(flood_limits(settings))


# == the scheduler ==


def build_dispatcher(components: Components, transport, pacing: SendLimiter | None = None) -> Dispatcher:
    """The outbox dispatcher with the lease of the settings, paced by `pacing` (default: send_limiter)."""
    settings = components.settings
    lease = timedelta(seconds=settings.lease_seconds)
    pacing = pacing or send_limiter(settings)
    deliverer = Deliverer(components.store, transport, clock=utc_now, lease=lease, pacing=pacing)
    folding = digest_folding([tenant.desk for tenant in components.tenants], flood_limits(settings))
    return Dispatcher(components.store, deliverer, clock=utc_now, folding=folding)


def digest_folding(desks: Desk | Sequence[Desk], limits: Limits):
    """The dispatcher's folding of each organisation's staff chat's waiting cards into digests (issue 18)."""
    above = digests.fold_above(limits.group_per_minute)
    desks = [desks] if isinstance(desks, Desk) else list(desks)

    async def fold(session, now: datetime) -> int:
        folded = 0
        for desk in desks:
            folded += await digests.fold_waiting(session, desk, now, above=above)
        return folded

    return fold


def build_jobs(
    components: Components, dispatcher: Dispatcher, editor: Editor | None = None,
    editors: dict[int, Editor] | None = None,
) -> Jobs:
    """One scheduler (not started) with every organisation's sweeps at the intervals of the settings; with an
    editor for an organisation (`editor`: organisation 1's; `editors`: by organisation id), also its staff
    chat's live queue summary, paced with the dispatcher's sends."""
    settings = components.settings
    editors = {**({FIRST_ORGANISATION: editor} if editor is not None else {}), **(editors or {})}

    def summary_of(desk: Desk) -> SummaryKeeper | None:
        editing = editors.get(desk.organisation_id)
        return None if editing is None else SummaryKeeper(
            components.store, desk, editing, pacing=dispatcher.deliverer.pacing, clock=utc_now
        )

    return build_scheduler(
        store=components.store,
        desk=components.desk,
        dispatcher=dispatcher,
        clock=utc_now,
        dispatch_interval=settings.dispatch_interval_seconds,
        sweep_interval=settings.sweep_interval_seconds,
        sealer=components.sealer,
        summary=summary_of(components.desk),
        others=[(tenant.desk, summary_of(tenant.desk)) for tenant in components.tenants
                if tenant.desk is not components.desk],
    )
