"""Key rotation: re-encrypt every encrypted column under the current data keys, in batches.

Each organisation has data keys of its own (infra/keyring.py): a value is re-encrypted under the current
key of the organisation whose key encrypted it (a ciphertext's key id names it), so rotating one
organisation's key touches none of another's values. A plaintext value, from before encryption existed,
is the first organisation's (no other organisation existed then).

The columns are found in the schema (every column of an Encrypted* type), so a table added later is
rotated without a change here. Each batch is its own transaction, and a row already under the
current key is left alone, so an interrupted run is resumed by running it again. A plaintext value
(a row written before encryption existed) is encrypted on the way.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import Column, Table, Text, and_, bindparam, func, select, tuple_, type_coerce, update

from infra import keyring
from infra.encrypted import Encrypted, EncryptedInt
from infra.keyring import KeyringError
from charterdesk.schema import metadata
from infra.database import Store

BATCH = 500


@dataclass
class Rotation:
    """What a run did, per column ("table.column")."""

    reencrypted: dict[str, int] = field(default_factory=dict)  # from an older key
    encrypted: dict[str, int] = field(default_factory=dict)  # was plaintext
    batches: int = 0

    @property
    def total(self) -> int:
        """Values rewritten."""
        return sum(self.reencrypted.values()) + sum(self.encrypted.values())


def encrypted_columns() -> Iterator[tuple[Table, Column]]:
    """Every encrypted column of the schema, table by table."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, Encrypted):
                yield table, column


async def pending(store: Store, *, ring: keyring.Keyring) -> int:
    """How many stored values are not yet under the current data key."""
    total = 0
    async with store.unit_of_work() as session:
        for table, column in encrypted_columns():
            raw = type_coerce(column, Text)
            query = select(func.count()).select_from(table).where(raw.is_not(None), _not_current(raw, ring))
            total += (await session.execute(query)).scalar_one()
    return total


async def reencrypt(store: Store, *, ring: keyring.Keyring, batch: int = BATCH,
                    progress: Callable[[int], None] = lambda rewritten: None) -> Rotation:
    """Bring every encrypted value under the ring's current key; `progress` hears each batch's size."""
    result = Rotation()
    for table, column in encrypted_columns():
        name = f"{table.name}.{column.name}"
        result.reencrypted[name] = result.encrypted[name] = 0
        # A key of one column, or several (intake_updates: organisation and update id), walked in order.
        keys = list(table.primary_key.columns)
        key = tuple_(*keys) if len(keys) > 1 else keys[0]
        raw = type_coerce(column, Text)
        last = None
        while True:
            query = select(*keys, raw).where(raw.is_not(None), _not_current(raw, ring)).order_by(*keys)
            query = query.limit(batch)
            if last is not None:
                query = query.where(key > (tuple_(*last) if len(keys) > 1 else last[0]))
            async with store.unit_of_work() as session:
                rows = (await session.execute(query)).all()
                if not rows:
                    break
                changes = []
                for *row_key, value in rows:
                    kid = keyring.key_id_of(value)
                    was_plain = kid is None
                    owner = keyring.FIRST_ORGANISATION if was_plain else _owner(ring, kid)
                    plain = value if was_plain else ring.decrypt(value, purpose=column.type.purpose, organisation=owner)
                    if was_plain and isinstance(column.type, EncryptedInt):
                        plain = str(int(plain))
                    changes.append({**{f"key_{n}": part for n, part in enumerate(row_key)},
                                    "value": ring.encrypt(plain, purpose=column.type.purpose, organisation=owner)})
                    counter = result.encrypted if was_plain else result.reencrypted
                    counter[name] += 1
                statement = (
                    update(table)
                    .where(and_(*(part == bindparam(f"key_{n}") for n, part in enumerate(keys))))
                    .values({column.name: bindparam("value", type_=Text)})
                    .execution_options(synchronize_session=False)
                )
                await (await session.connection()).execute(statement, changes)
            result.batches += 1
            last = tuple(rows[-1][: len(keys)])
            progress(len(rows))
    return result


async def key_use(store: Store) -> dict[int, int]:
    """How many stored values each data key encrypts (what retiring a key would make unreadable)."""
    counts: dict[int, int] = {}
    async with store.unit_of_work() as session:
        for table, column in encrypted_columns():
            raw = type_coerce(column, Text)
            # 'cd1:<id>:...' -> <id>; grouping in SQL keeps this one query per column.
            rest = func.substr(raw, len(keyring.PREFIX) + 1)
            if store.dialect == "sqlite":
                kid = func.substr(rest, 1, func.instr(rest, ":") - 1)
            else:
                kid = func.split_part(raw, ":", 2)
            query = select(kid, func.count()).select_from(table).where(raw.startswith(keyring.PREFIX)).group_by(kid)
            for key_id, count in (await session.execute(query)).all():
                if str(key_id).isdigit():
                    counts[int(key_id)] = counts.get(int(key_id), 0) + count
    return counts


async def check_readable(store: Store, *, ring: keyring.Keyring) -> None:
    """KeyringError unless the ring decrypts a stored value of each encrypted column (start-up check).

    A key file lost or swapped is found at start, with a clear message, not at the first citizen."""
    async with store.unit_of_work() as session:
        for table, column in encrypted_columns():
            raw = type_coerce(column, Text)
            value = await session.scalar(select(raw).where(raw.startswith(keyring.PREFIX)).limit(1))
            if value is not None:
                try:
                    ring.decrypt(value, purpose=column.type.purpose, organisation=_owner(ring, keyring.key_id_of(value)))
                except KeyringError as error:
                    raise KeyringError(f"{ring.path or 'the key file'} cannot read this database: {error}") from None


def _not_current(raw, ring: keyring.Keyring):
    """Values under none of the organisations' current keys (or in plaintext)."""
    return and_(*(~raw.startswith(f"{keyring.PREFIX}{kid}:") for kid in sorted(ring.current_ids)))


def _owner(ring: keyring.Keyring, kid: int | None) -> int:
    """The organisation of a key id; a key the file does not hold is looked for as the first's (and not found)."""
    owner = ring.owner_of(kid) if kid is not None else None
    return keyring.FIRST_ORGANISATION if owner is None else owner
