"""Queries over organisations: add, list, get, disable, and the first one's start-up naming; never commits."""

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from desk.organisations.models import FIRST_ORGANISATION, Organisation

# A slug ends up in a URL path (/telegram/<slug>) and a Telegram deep link (?start=<slug>, which allows
# A-Z a-z 0-9 _ - and 64 characters): lower case so two slugs never differ by case alone.
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


class OrganisationError(Exception):
    """A refused change to the organisations, with a message for the operator."""


def check_slug(slug: str) -> str:
    """`slug` if it may name an organisation; OrganisationError if not."""
    if not SLUG.fullmatch(slug):
        raise OrganisationError(
            f'"{slug}" is not a slug: 1-64 of a-z, 0-9, "_" and "-", starting with a letter or digit'
        )
    return slug


async def add(*, session: AsyncSession, slug: str, name: str, charter_file: str, now: datetime) -> Organisation:
    """A new organisation; OrganisationError if the slug is malformed or taken."""
    check_slug(slug)
    if await get(session=session, slug=slug) is not None:
        raise OrganisationError(f'an organisation "{slug}" exists already')
    organisation = Organisation(slug=slug, name=name, charter_file=charter_file, created_at=now)
    session.add(organisation)
    await session.flush()
    return organisation


async def listed(*, session: AsyncSession) -> list[Organisation]:
    """Every organisation, disabled ones included, oldest first."""
    return list((await session.scalars(select(Organisation).order_by(Organisation.id))).all())


async def get(*, session: AsyncSession, slug: str) -> Organisation | None:
    """The organisation of a slug, if there is one."""
    return await session.scalar(select(Organisation).where(Organisation.slug == slug))


async def get_by_id(*, session: AsyncSession, organisation_id: int) -> Organisation | None:
    """The organisation of an id, if there is one."""
    return await session.get(Organisation, organisation_id)


async def disable(*, session: AsyncSession, slug: str, now: datetime) -> Organisation:
    """Stop an organisation taking messages (its rows stay); OrganisationError if unknown or disabled already."""
    organisation = await get(session=session, slug=slug)
    if organisation is None:
        raise OrganisationError(f'no organisation "{slug}"')
    if not organisation.active:
        raise OrganisationError(f'"{slug}" was disabled already, at {organisation.disabled_at:%Y-%m-%d %H:%M} UTC')
    organisation.disabled_at = now
    await session.flush()
    return organisation


async def adopt_deployment_charter(*, session: AsyncSession, name: str, charter_file: str) -> Organisation:
    """Organisation 1 is the deployment's CHARTER_FILE: give it that file's path and organisation name."""
    organisation = await session.get(Organisation, FIRST_ORGANISATION)
    if organisation is None:
        raise OrganisationError(f"organisation {FIRST_ORGANISATION} is missing: was migration 0014 undone by hand?")
    # Assigned only when changed: a start-up of an unchanged deployment writes nothing.
    if (organisation.name, organisation.charter_file) != (name, charter_file):
        organisation.name, organisation.charter_file = name, charter_file
        await session.flush()
    return organisation
