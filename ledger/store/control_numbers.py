"""Acknowledgment control numbers from the ledger: unique across workers and hosts."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger.store import schema as t
from ledger.store.db import engine


class DbControlNumbers:
    """`edi.control.ControlNumbers` backed by the ledger: unique across workers and hosts."""

    def __init__(self, url: str) -> None:
        self.eng = engine(url)

    @classmethod
    def for_engine(cls, eng: Engine) -> DbControlNumbers:
        """The same numbers, through an Engine already open."""
        numbers = cls.__new__(cls)
        numbers.eng = eng
        return numbers

    def next(self, kind: str) -> int:
        acn = t.ack_control_numbers
        for _ in range(3):
            try:
                with self.eng.begin() as conn:
                    row = conn.execute(
                        sa.select(acn.c.next_value).where(acn.c.kind == kind).with_for_update()
                    ).first()
                    if row is None:
                        conn.execute(acn.insert().values(kind=kind, next_value=2))
                        return 1
                    value = int(row.next_value)
                    following = value + 1 if value < 999_999_999 else 1
                    conn.execute(acn.update().where(acn.c.kind == kind)
                                 .values(next_value=following))  # fmt: skip
                    return value
            except sa.exc.IntegrityError:
                continue  # two workers created the row at once; read it again
        raise RuntimeError("cannot allocate an acknowledgment control number")
