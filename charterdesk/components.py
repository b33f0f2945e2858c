"""Everything a Charterdesk process needs, assembled once from Settings; start-up errors made readable."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from charterdesk.errors import StartupError
from infra import keyring
from desk.charter.model import Charter, CharterError, load_charter
from charterdesk.settings import Settings
from charterdesk.rotation import check_readable
from desk.staff.startup import seed_registry
from infra.database import Store, StoreError
from conversation.texts import Texts, TextsError
from conversation.citizen.flows import Desk
from nlu.classifier import Classifier
from nlu.embedded import EmbeddedClassifier

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


@dataclass
class Components:
    """Charter, texts, database and classifier of one process."""

    settings: Settings
    charter: Charter
    desk: Desk
    store: Store
    classifier: Classifier

    async def close(self) -> None:
        """Release the database pool and the classifier's connections (Rasa's HTTP client)."""
        close_classifier = getattr(self.classifier, "close", None)
        if close_classifier is not None:
            await close_classifier()
        await self.store.dispose()


async def assemble(settings: Settings, *, migrate: bool = True) -> Components:
    """Load the charter and texts, reach (and migrate) the database, train the classifier."""
    try:
        charter = load_charter(settings.charter_file)
        texts = Texts.load()
    except (CharterError, TextsError) as exc:
        raise StartupError(str(exc)) from exc
    try:
        keyring.use_file(settings.key_file)  # encrypted columns read and write with these keys
    except keyring.KeyringError as exc:
        raise StartupError(str(exc)) from exc
    store = _open_store(settings.database_url)
    try:
        if migrate:
            await store.migrate()
        else:
            await store.check()
        # A lost or swapped key file is found now, not at the first citizen's message.
        await check_readable(store, ring=keyring.current())
    except (StoreError, keyring.KeyringError) as exc:
        await store.dispose()
        raise StartupError(str(exc)) from exc
    await seed_registry(store, charter, now=utc_now())  # staff console: the charter's staff may act
    classifier = build_classifier(settings)
    return Components(settings, charter, Desk(charter=charter, texts=texts), store, classifier)


def build_classifier(settings: Settings) -> Classifier:
    """The embedded classifier, or the Rasa server when RASA_URL is set."""
    embedded = EmbeddedClassifier.load()  # trained, or its fit for the same data from the cache
    if not settings.rasa_url:
        return embedded
    from nlu.rasa import RasaClassifier

    return RasaClassifier(settings.rasa_url, fallback=embedded)


def _open_store(url: str) -> Store:
    try:
        return Store(url)
    except StoreError as exc:
        raise StartupError(str(exc)) from exc
