"""Start-up: the registry holds the charter's staff before the first update is taken."""

from datetime import datetime

from desk.charter.model import Charter
from desk.staff import service
from infra.database import Store


async def seed_registry(store: Store, charter: Charter, *, organisation_id: int, now: datetime) -> None:
    """Add (or update) the charter's `staff:` in the organisation's registry; changes made by /staff are kept."""
    async with store.unit_of_work() as session:
        await service.seed_from_charter(
            session=session, organisation_id=organisation_id, charter=charter, now=now
        )
