"""The write side of the ledger: one unit of work = one database transaction.

A `UnitOfWork` holds the entries hash-chain head (row-locked on PostgreSQL;
SQLite transactions are `BEGIN IMMEDIATE`), hands out member, coverage and
demographics ids from counters, buffers inserts and writes them with
executemany in batches. Everything it writes becomes visible at commit or not
at all. It only ever INSERTs into the append-only tables.

It is also the `CandidateSource` matching reads through: people created
earlier in the same unit of work are found too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from edi.records import Lineage
from ledger.store import schema as t
from ledger.store.db import crash_point, insert_rows
from matching.blocking import person_keys
from matching.decisions import BlockingKey, KnownPerson

FLUSH_ROWS = 20000
"""Buffered rows that trigger a batch write."""
REVIEW_ROWS = 256
"""Buffered review items that trigger a batch write: each holds its transaction and
candidates as JSON (several KB), so they are written far sooner than FLUSH_ROWS."""
MAX_CANDIDATES = 200
PEOPLE_CACHE = 40_000
"""Stored people a unit of work keeps as KnownPerson between candidate look-ups (the wider
search finds the same people again and again); about 0.5 KB each."""
PEOPLE_EVICT = 8
"""When the people kept exceed PEOPLE_CACHE, the oldest 1/PEOPLE_EVICT of them go."""
PG_ANALYZE_FIRST = 20_000
"""Rows one unit of work writes on PostgreSQL before it refreshes the planner's statistics
of the tables it reads by key (`_PG_ANALYZE`), and again each time its count doubles.

A unit's rows are one open transaction: autovacuum cannot see them, and a table never
analyzed (a new ledger) is planned from its width alone. The identifiers look-up was then
planned as a sequential scan of the whole table for every candidate batch, so server time
per member grew with the roster (about 31 ms per member by member 263,000 of a
1,000,000-member file into an empty ledger). ANALYZE in the same transaction counts the
transaction's own rows; after it the look-up is an index scan at any size."""
_PG_ANALYZE = ("ANALYZE (SKIP_LOCKED) members, member_identifiers, demographics_versions, "
               "blocking_keys, coverage_versions, supersessions")
"""A table another session is analyzing (autovacuum, an operator, in an open transaction)
is skipped, not waited for. The lock ANALYZE takes is held until this transaction ends,
which keeps autovacuum off these tables meanwhile; units of work do not contend for it
(one writes at a time: each holds the chain head's row)."""
SQLITE_CACHE_KIB = 24 * 1024
"""SQLite page cache per writing connection (KiB); 0 leaves SQLite's default. 32 MiB: an
ingest of 100,000 new members peaked at 239 MB (both processes) against 344 MB with
128 MiB, at the same CPU time (docs/benchmarks.md, "The ledger's share"). 24 MiB since:
a 1,000,000-member set's one transaction keeps its whole write-ahead log, and the WAL index
mapped over it grows with it (about 7 MB at the end), which 32 MiB left no room for under
300 MB (docs/benchmarks.md, 2026-12-08)."""

_INSERT_ORDER = (
    t.members,
    t.member_identifiers,
    t.demographics_versions,
    t.blocking_keys,
    t.coverage_versions,
    t.supersessions,
    t.entries,
    t.review_items,
)


def canonical_json(value: Any) -> str:
    """Sorted-key, compact JSON; dates and datetimes as ISO strings."""
    return _ENCODER.encode(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return ts_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    return str(value)


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_json_default)
"""What json.dumps(value, sort_keys=True, ...) builds on every call."""


def ts_text(value: dt.datetime) -> str:
    """A timestamp as UTC ISO text with microseconds (naive values are taken as UTC)."""
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


HASHED_FIELDS = (
    "seq", "member_id", "kind", "before", "after", "valid_from", "valid_to", "recorded_at",
    "file_sha256", "sender_qualifier", "sender_id", "interchange_control", "group_control",
    "set_control", "first_position", "last_position", "member_ordinal", "decided_by", "score",
    "notes", "prev_hash",
)  # fmt: skip


def _field_text(value: Any) -> str:
    if value is None:
        return "N"
    if isinstance(value, dt.datetime):
        text = ts_text(value)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    return f"{len(text)}:{text}"


def chain_hash(row: Mapping[str, Any], fields: Sequence[str] = HASHED_FIELDS) -> str:
    """sha256 over `fields` of `row` (prev_hash included), each length-prefixed.

    The encoding is unambiguous: None is 'N', any other value 'len:text'
    (timestamps as UTC ISO text, dates ISO, floats by repr). An entry's `model_version`
    (revision 0013) follows when present, so entries recorded before it hash as they did.
    """
    payload = "|".join(_field_text(row.get(f)) for f in fields)
    if row.get("model_version") is not None:
        payload += "|" + _field_text(row["model_version"])
    return hashlib.sha256(payload.encode()).hexdigest()


def _text_or_n(value: Any) -> str:
    """`_field_text` for values that are None, str or int (the hot entry fields)."""
    if value is None:
        return "N"
    text = value if isinstance(value, str) else str(value)
    return f"{len(text)}:{text}"


def _entry_hash(row: Mapping[str, Any], middle: str) -> str:
    """`chain_hash(row)` for an entries row, with the recorded_at..set_control part given.

    Same bytes as `chain_hash` (tests compare both); it only skips the generic
    per-field dispatch, which dominated bulk ingest.
    """
    vf, vt, score = row["valid_from"], row["valid_to"], row["score"]
    payload = "|".join((
        _text_or_n(row["seq"]), _text_or_n(row["member_id"]), _text_or_n(row["kind"]),
        _text_or_n(row["before"]), _text_or_n(row["after"]),
        "N" if vf is None else _field_text(vf), "N" if vt is None else _field_text(vt),
        middle,
        _text_or_n(row["first_position"]), _text_or_n(row["last_position"]),
        _text_or_n(row["member_ordinal"]), _text_or_n(row["decided_by"]),
        "N" if score is None else _field_text(score),
        _text_or_n(row["notes"]), _text_or_n(row["prev_hash"]),
    ))  # fmt: skip
    if row["model_version"] is not None:
        payload += "|" + _text_or_n(row["model_version"])
    return hashlib.sha256(payload.encode()).hexdigest()


_MIDDLE_FIELDS = HASHED_FIELDS[HASHED_FIELDS.index("recorded_at") : HASHED_FIELDS.index("set_control") + 1]


def _sqlite_datetime(value: dt.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.%f")


_CONVERTERS: dict[tuple[str, tuple[str, ...]], list[Any]] = {}


def _sqlite_converters(table: sa.Table, cols: list[str]) -> list[Any]:
    key = (table.name, tuple(cols))
    cached = _CONVERTERS.get(key)
    if cached is not None:
        return cached
    out: list[Any] = []
    for name in cols:
        col_type = table.c[name].type
        if isinstance(col_type, sa.DateTime):
            out.append(_sqlite_datetime)
        elif isinstance(col_type, sa.Date):
            out.append(dt.date.isoformat)
        elif isinstance(col_type, sa.Boolean):
            out.append(int)
        else:
            out.append(None)
    _CONVERTERS[key] = out
    return out


def bulk_insert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """executemany straight through the driver (rows share one key set).

    Skips SQLAlchemy's per-row parameter processing, which dominates bulk
    ingest; values are converted here exactly as SQLAlchemy's SQLite types
    store them (dates ISO, timestamps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC).
    """
    cols = [c.name for c in table.columns if c.name in rows[0]]
    getter = operator.itemgetter(*cols)
    data: list[Any] = list(map(getter, rows)) if len(cols) > 1 else [(getter(r),) for r in rows]
    if conn.dialect.name == "sqlite":
        convs = _sqlite_converters(table, cols)
        if any(convs):
            columns: list[Any] = list(zip(*data, strict=True))
            for i, f in enumerate(convs):
                if f is not None:
                    columns[i] = _convert_column(columns[i], f)
            data = list(zip(*columns, strict=True))
    insert_tuples(conn, table.name, cols, data)


def _convert_column(values: Sequence[Any], f: Any) -> list[Any]:
    """f over a column, None kept; equal values converted once (dates and stamps repeat)."""
    memo: dict[Any, Any] = {}
    out: list[Any] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        got = memo.get(v)
        if got is None:
            got = memo[v] = f(v)
        out.append(got)
    return out


def insert_tuples(conn: Connection, table: str, cols: Sequence[str], data: list[Any]) -> None:
    """Insert driver-ready tuples (values already in the driver's storage form): an
    executemany on SQLite, a COPY on PostgreSQL (`ledger.store.db.insert_rows`)."""
    insert_rows(conn, table, cols, data)


class UnitOfWork:
    """One open database transaction writing to the ledger (see module docstring)."""

    def __init__(
        self, conn: Connection, recorded_at: dt.datetime | None = None, *,
        review_ids: bool = True,
    ) -> None:
        self.conn = conn
        self.review_ids = review_ids
        """Whether a review item is inserted at once, its id returned (`add_review_item`);
        False buffers it with the other rows (bulk ingest: one write per batch)."""
        if SQLITE_CACHE_KIB and conn.dialect.name == "sqlite":
            # the default 2 MB page cache thrashes once the key indexes outgrow it
            conn.exec_driver_sql(f"PRAGMA cache_size=-{int(SQLITE_CACHE_KIB)}")
        self._rows_written = 0
        self._analyze_at = PG_ANALYZE_FIRST if conn.dialect.name == "postgresql" else None
        """Rows written (`flush`), and the count at which PostgreSQL's statistics of the
        key-read tables are refreshed next (None: not on this database)."""
        self.recorded_at = recorded_at or dt.datetime.now(dt.UTC)
        head = conn.execute(
            sa.select(t.chain_heads.c.seq, t.chain_heads.c.hash)
            .where(t.chain_heads.c.name == "entries")
            .with_for_update()
        ).one()
        self.seq: int = head.seq
        self.head_hash: str = head.hash
        self._start_seq = self.seq
        self._counters: dict[str, int] = {}
        self._counters_start: dict[str, int] = {}
        for row in conn.execute(sa.select(t.counters.c.name, t.counters.c.value)):
            self._counters[row.name] = row.value
            self._counters_start[row.name] = row.value
        self._buf: dict[sa.Table, list[dict[str, Any]]] = defaultdict(list)
        self._buffered = 0
        # members with rows buffered in the member tables / as blocking keys (`flush_for`)
        self._dirty: set[str] = set()
        self._dirty_keys: set[str] = set()
        self._pending_people: dict[str, KnownPerson] = {}
        # Stored people already built, by member id: people this unit of work created
        # (exactly as `load_people` would build them) and people it loaded. Whatever
        # writes a member's rows drops that member from here (`add`, `register_person`);
        # writers are serialised, so nothing else changes them while this is open.
        self._people: dict[str, KnownPerson] = {}
        self._pending_new: set[str] = set()
        self._pending_keys: dict[BlockingKey, tuple[str, ...]] = {}
        self._member_keys: dict[str, set[BlockingKey]] = {}
        self._key_rows: list[tuple[str, str, str]] = []
        self._middle: tuple[Any, str] = ((), "")
        self._cursor: Any = None
        # On a ledger without blocking keys at the start, every stored key was
        # written by this unit of work (writers are serialised), so a bitmap of
        # their hashes answers most candidate look-ups without a query.
        self._written: bytearray | None = None
        if conn.exec_driver_sql("SELECT 1 FROM blocking_keys LIMIT 1").first() is None:
            self._written = bytearray(_BITMAP_BYTES)
        self.entries_written = 0

    # ------------------------------------------------------------ ids and buffers

    def next_id(self, name: str) -> int:
        """The next value of counter `name` (starting at 1)."""
        value = self._counters.get(name, 0) + 1
        self._counters[name] = value
        return value

    def new_member_id(self) -> str:
        return f"M{self.next_id('member'):09d}"

    def add(self, table: sa.Table, row: dict[str, Any], *, member_id: str | None = None) -> None:
        """Buffer one insert; batches are written at FLUSH_ROWS and before a read that
        could see them (`flush`, `flush_for`). `member_id`: the member a row of a member
        table without that column concerns (a supersession: its version's member)."""
        if table is t.blocking_keys:
            self._add_key((row["kind"], row["value"]), row["member_id"])
            return
        if table in _PERSON_TABLES:
            self._people.pop(row["member_id"], None)
        if table in _MEMBER_TABLES:
            mid = row.get("member_id", member_id)
            if mid is None:
                raise ValueError(f"a {table.name} row needs the member it concerns (member_id)")
            self._dirty.add(mid)
        self._buf[table].append(row)
        self._buffered += 1
        if self._buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row (executemany per table, in dependency order)."""
        if not self._buffered:
            return
        for table in _INSERT_ORDER:
            if table is t.blocking_keys and self._key_rows:
                # in primary-key order: each index page is visited once per batch
                self._key_rows.sort()
                insert_tuples(self.conn, "blocking_keys", _KEY_COLS, self._key_rows)
                self._key_rows = []
            rows = self._buf.pop(table, None)
            if rows:
                bulk_insert(self.conn, table, rows)
        self._rows_written += self._buffered
        self._buffered = 0
        if self._analyze_at is not None and self._rows_written >= self._analyze_at:
            self._analyze_at = 2 * self._rows_written
            self.conn.exec_driver_sql(_PG_ANALYZE)
        self._dirty.clear()
        self._dirty_keys.clear()
        # written rows are found by queries from now on; people created here stay built
        new = self._pending_new
        self._remember(p for mid, p in self._pending_people.items() if mid in new)
        self._pending_new = set()
        self._pending_people.clear()
        self._pending_keys.clear()
        self._member_keys.clear()
        crash_point()

    def flush_for(self, member_id: str) -> None:
        """Write the buffer when it holds a row of `member_id` in the member tables
        (members, identifiers, demographics, coverage versions and supersessions), so
        that a read of that member's rows there sees them; else write nothing. A change
        file's members are mostly each sent once: their reads need no write, and the
        buffer is written in batches as a file of new members is."""
        if member_id in self._dirty:
            self.flush()

    def entry(
        self,
        *,
        member_id: str | None,
        kind: str,
        before: Any = None,
        after: Any = None,
        valid_from: dt.date | None = None,
        valid_to: dt.date | None = None,
        lineage: Lineage | None = None,
        decided_by: str = "auto",
        score: float | None = None,
        notes: Sequence[str] = (),
        model_version: int | None = None,
    ) -> int:
        """Append one chained ledger entry; returns its seq. `model_version` names the
        match model of an automatic decision."""
        self.seq += 1
        ln = lineage
        row: dict[str, Any] = {
            "seq": self.seq,
            "member_id": member_id,
            "kind": kind,
            "before": None if before is None else canonical_json(before),
            "after": None if after is None else canonical_json(after),
            "valid_from": valid_from,
            "valid_to": valid_to,
            "recorded_at": self.recorded_at,
            "file_sha256": ln.file_sha256 if ln else None,
            "sender_qualifier": ln.sender_qualifier if ln else None,
            "sender_id": ln.sender_id if ln else None,
            "interchange_control": ln.interchange_control if ln else None,
            "group_control": ln.group_control if ln else None,
            "set_control": ln.set_control if ln else None,
            "first_position": ln.first_position if ln else None,
            "last_position": ln.last_position if ln else None,
            "member_ordinal": ln.member_ordinal if ln else None,
            "decided_by": decided_by,
            "score": score,
            "notes": canonical_json(list(notes)) if notes else None,
            "prev_hash": self.head_hash,
            "model_version": model_version,
        }
        row["hash"] = _entry_hash(row, self._middle_text(row))
        self.head_hash = row["hash"]
        self.add(t.entries, row)
        self.entries_written += 1
        return self.seq

    def _middle_text(self, row: Mapping[str, Any]) -> str:
        """The encoded recorded_at..set_control fields (the same for a whole set)."""
        values = tuple(row[f] for f in _MIDDLE_FIELDS)
        if values != self._middle[0]:
            self._middle = (values, "|".join(_field_text(v) for v in values))
        return self._middle[1]

    def finish(self) -> None:
        """Flush and store the chain head and counters (the caller commits)."""
        self.flush()
        if self.seq != self._start_seq:
            self.conn.execute(
                t.chain_heads.update()
                .where(t.chain_heads.c.name == "entries")
                .values(seq=self.seq, hash=self.head_hash)
            )
        for name, value in self._counters.items():
            if name not in self._counters_start:
                self.conn.execute(t.counters.insert().values(name=name, value=value))
            elif value != self._counters_start[name]:
                self.conn.execute(
                    t.counters.update().where(t.counters.c.name == name).values(value=value)
                )
        self._counters_start = dict(self._counters)
        self._start_seq = self.seq
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None

    # ------------------------------------------------------------ people

    def register_person(self, person: KnownPerson, *, new: bool = False) -> None:
        """Write `person`'s (new) blocking keys and make it a candidate at once.

        `new` says the member was created in this unit of work (no stored keys yet).
        """
        mid = person.member_id
        self._people.pop(mid, None)  # a changed person is read again once written
        if new:
            self._pending_new.add(mid)
        else:
            self._pending_new.discard(mid)
        pending = self._member_keys.get(mid)  # the member's keys buffered in this batch
        if pending is None and new:
            fresh = person_keys(person)  # has no duplicates
            self._member_keys[mid] = set(fresh)
        else:
            if pending is None:
                if mid in self._dirty_keys:  # key rows buffered by `add`, not tracked here
                    self.flush()
                pending = self._member_keys[mid] = set()
            # the stored keys are read, not kept: a batch of changes holds only its own
            known = pending.union(self.fetch(_MEMBER_KEYS_SQL, (mid,)))
            fresh = [key for key in person_keys(person) if key not in known]
            pending.update(fresh)
        _index_pending(self._pending_keys, fresh, (mid,))
        self._dirty_keys.add(mid)
        self._key_rows.extend([(kind, value, mid) for kind, value in fresh])
        bits = self._written
        if bits is not None:
            for h in map(hash, fresh):
                bit = h & _BITMAP_MASK
                bits[bit >> 3] |= 1 << (bit & 7)
        self._pending_people[mid] = person
        self._buffered += len(fresh)
        if self._buffered >= FLUSH_ROWS:
            self.flush()

    def _add_key(self, key: BlockingKey, mid: str) -> None:
        self._key_rows.append((key[0], key[1], mid))
        self._dirty_keys.add(mid)
        self._pending_keys[key] = self._pending_keys.get(key, ()) + (mid,)
        if self._written is not None:
            bit = hash(key) & _BITMAP_MASK
            self._written[bit >> 3] |= 1 << (bit & 7)
        self._buffered += 1
        if self._buffered >= FLUSH_ROWS:
            self.flush()

    def candidates(self, keys: Sequence[BlockingKey]) -> list[KnownPerson]:
        """`CandidateSource`: the people sharing any of `keys`, at most MAX_CANDIDATES.

        Key by key in the order asked (matching asks the most telling first: subscriber,
        SSN, ...), each key's members in member-id order (stored before those still
        buffered), each person once: when more than MAX_CANDIDATES share the keys, the
        ones kept are those of the earlier keys, the same ones every time.
        """
        keys = list(dict.fromkeys(keys))
        if not keys:
            return []
        pending_keys = self._pending_keys
        bits = self._written
        stored_at: list[int] = []
        for i, key in enumerate(keys):
            # the bitmap answers "certainly not stored" for keys this unit of work never wrote
            if bits is None:
                stored_at.append(i)
            else:
                bit = hash(key) & _BITMAP_MASK
                if bits[bit >> 3] & (1 << (bit & 7)):
                    stored_at.append(i)
        by_key: dict[int, list[str]] = {}
        if stored_at:
            # unflushed keys and people are found in memory below
            if self._cursor is None:
                self._cursor = self.conn.connection.cursor()
            if self.conn.dialect.name == "postgresql":
                # one statement text for any number of keys, sent unprepared: a plan made
                # while the table was small would be kept as it grows
                args: tuple[Any, ...] = ([keys[i][0] for i in stored_at],
                                         [keys[i][1] for i in stored_at])
                self._cursor.execute(_PG_CANDIDATES, args, prepare=False)
            else:
                args = tuple(part for i in stored_at for part in keys[i])
                self._cursor.execute(_candidate_sql(len(stored_at)), args)
            rows = self._cursor.fetchall()
            if rows:
                rows.sort()
                for r, mid in rows:
                    by_key.setdefault(stored_at[r], []).append(mid)
        ids: dict[str, None] = {}
        for i, key in enumerate(keys):
            got = by_key.get(i)
            if got is not None:
                ids.update(dict.fromkeys(got))
            found = pending_keys.get(key)
            if found is not None:
                ids.update(dict.fromkeys(found))
            if len(ids) >= MAX_CANDIDATES:
                ids = dict.fromkeys(itertools.islice(ids, MAX_CANDIDATES))
                break
        if not ids:
            return []
        pending_people = self._pending_people
        cache = self._people
        missing = [m for m in ids if m not in pending_people and m not in cache]
        got_people: dict[str, KnownPerson] = {}
        if missing:
            if self._cursor is None:
                self._cursor = self.conn.connection.cursor()
            loaded = load_people(self.conn, missing, self._cursor)
            self._remember(loaded)
            got_people = {p.member_id: p for p in loaded}
        out: list[KnownPerson] = []
        for m in ids:
            p = pending_people.get(m) or cache.get(m) or got_people.get(m)
            if p is not None:
                out.append(p)
        return out

    def _remember(self, people: Iterable[KnownPerson]) -> None:
        """Keep stored people built (at most PEOPLE_CACHE; when it is full, the oldest
        eighth goes: dropping half left the cache three quarters full on average, and at
        100,000 members a tenth more people were read again)."""
        cache = self._people
        for p in people:
            cache[p.member_id] = p
        if len(cache) > PEOPLE_CACHE:
            for mid in list(itertools.islice(cache, len(cache) // PEOPLE_EVICT)):
                del cache[mid]

    def roster_size(self) -> int:
        """`CandidateSource`: the members the ledger holds (every member id ever given)."""
        return self._counters.get("member", 0)

    def is_pending(self, member_id: str) -> bool:
        return member_id in self._pending_people

    def fetch(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        """Rows of `sql` (written with `?` marks) as tuples, straight through the driver on
        this unit of work's cursor: the per-member reads of a change, where a Core
        statement's execution context and result cost more than the indexed read. Values
        come as the driver gives them (SQLite: dates as ISO text). Reads what is written:
        call `flush` or `flush_for` first."""
        dialect = self.conn.dialect.name
        text = _DRIVER_TEXT.get((dialect, sql))
        if text is None:
            text = _DRIVER_TEXT[(dialect, sql)] = sql if dialect == "sqlite" else sql.replace("?", "%s")
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        self._cursor.execute(text, tuple(params))
        return [tuple(r) for r in self._cursor.fetchall()]

    def stored_member(self, member_id: str) -> StoredMember | None:
        """A stored member's row, its (type, value) identifiers and its newest demographic
        values (`DEMOGRAPHIC_FIELDS`; None without any), or None when the ledger does not
        hold it. Writes the member's buffered rows first (`flush_for`)."""
        self.flush_for(member_id)
        found = self.fetch(_MEMBER_SQL, (member_id,))
        if not found:
            return None
        idents = [(str(k), str(v)) for _, k, v in self.fetch(_ONE_MEMBERS_IDENTIFIERS, (member_id,))]
        demo = self.fetch(_LATEST_DEMO_SQL, (member_id,))
        values: dict[str, Any] | None = None
        if demo:
            row = list(demo[0])
            if isinstance(row[_BIRTH], str):  # SQLite keeps dates as ISO text
                row[_BIRTH] = dt.date.fromisoformat(row[_BIRTH])
            values = dict(zip(DEMOGRAPHIC_FIELDS, row, strict=True))
        return _Member(*found[0]), idents, values

    def insert_returning_id(self, table: sa.Table, row: dict[str, Any]) -> int:
        """Insert one row now (not buffered) and return its generated integer primary key.

        Straight through the driver with statement text built once per table and
        key set (a Core insert per call costs more than the insert itself);
        values are stored as `bulk_insert` stores them.
        """
        cols = tuple(c.name for c in table.columns if c.name in row)
        sqlite = self.conn.dialect.name == "sqlite"
        key = (self.conn.dialect.name, table.name, cols)
        sql = _ROW_SQL.get(key)
        if sql is None:
            names = ", ".join(f'"{c}"' for c in cols)
            marks = ", ".join("?" if sqlite else "%s" for _ in cols)
            pk = next(c.name for c in table.primary_key.columns)
            sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'
            # SQLite reports the rowid (an INTEGER PRIMARY KEY is it); RETURNING needs 3.35
            _ROW_SQL[key] = sql = sql if sqlite else f'{sql} RETURNING "{pk}"'
        values = [row[c] for c in cols]
        if self._cursor is None:
            self._cursor = self.conn.connection.cursor()
        if not sqlite:
            self._cursor.execute(sql, values)
            return int(self._cursor.fetchone()[0])
        for i, f in enumerate(_sqlite_converters(table, list(cols))):
            if f is not None and values[i] is not None:
                values[i] = f(values[i])
        self._cursor.execute(sql, values)
        return int(self._cursor.lastrowid)

    def add_review_item(self, row: dict[str, Any]) -> int | None:
        """Insert one `review_items` row: at once with its id returned, or, when the unit
        of work was opened with `review_ids=False`, buffered (written in the order added,
        the database giving the ids then) and None returned."""
        if self.review_ids:
            return self.insert_returning_id(t.review_items, row)
        self.add(t.review_items, row)
        if len(self._buf[t.review_items]) >= REVIEW_ROWS:
            self.flush()
        return None

    def pending_subscriber(self, subscriber_number: str) -> str | None:
        """The lowest member id buffered (not yet written) in this unit of work with this
        subscriber number and relationship 18 (self), if any."""
        found = [
            row["member_id"]
            for row in self._buf.get(t.members, ())
            if row["subscriber_number"] == subscriber_number and row["relationship"] == "18"
        ]
        return min(found) if found else None


def next_control_number(conn: Connection, kind: str) -> int:
    """The next acknowledgment control number of `kind` (row-locked; starts at 1)."""
    a = t.ack_control_numbers
    row = conn.execute(sa.select(a.c.next_value).where(a.c.kind == kind).with_for_update()).first()
    if row is None:
        try:
            with conn.begin_nested():
                conn.execute(a.insert().values(kind=kind, next_value=2))
            return 1
        except sa.exc.IntegrityError:
            return next_control_number(conn, kind)
    conn.execute(a.update().where(a.c.kind == kind).values(next_value=row.next_value + 1))
    return int(row.next_value)


_SQL_CACHE: dict[int, str] = {}
_ROW_SQL: dict[tuple[str, str, tuple[str, ...]], str] = {}
_KEY_COLS = ("kind", "value", "member_id")
_PERSON_TABLES = (t.members, t.member_identifiers, t.demographics_versions)
_MEMBER_TABLES = (*_PERSON_TABLES, t.coverage_versions, t.supersessions)
"""Tables whose rows `flush_for` tracks by member."""
_BITMAP_BYTES = 1 << 23
_BITMAP_MASK = (_BITMAP_BYTES << 3) - 1
_MEMBER_KEYS_SQL = "SELECT kind, value FROM blocking_keys WHERE member_id = ?"
_MEMBER_SQL = ("SELECT member_id, relationship, birth_sequence, sponsor_id FROM members "
               "WHERE member_id = ?")  # fmt: skip
DEMOGRAPHIC_FIELDS = (
    "last", "first", "middle", "suffix", "birth_date", "gender",
    "address_line1", "address_line2", "city", "state", "postal_code",
)  # fmt: skip
"""A member's demographic values (a `demographics_versions` row less its bookkeeping)."""
_LATEST_DEMO_SQL = (
    f"SELECT {', '.join(DEMOGRAPHIC_FIELDS)} FROM demographics_versions WHERE member_id = ? "
    "ORDER BY version_id DESC LIMIT 1"
)
_BIRTH = DEMOGRAPHIC_FIELDS.index("birth_date")
_DRIVER_TEXT: dict[tuple[str, str], str] = {}


def _index_pending(
    pending: dict[BlockingKey, tuple[str, ...]], keys: list[BlockingKey], mid: tuple[str]
) -> None:
    """Add `mid` (a one-tuple) under each of `keys` (no duplicates), after the ids already there.

    One dict update for the keys nobody else holds yet (most of them); the few
    shared ones are extended afterwards.
    """
    shared = pending.keys() & keys
    held = {key: pending[key] for key in shared} if shared else None
    pending.update(zip(keys, repeat(mid)))
    if held:
        for key, ids in held.items():
            pending[key] = ids + mid


def _candidate_sql(n: int) -> str:
    """SQLite's driver-level SQL for n (kind, value) pairs: (position of the pair, member
    id) rows, at most MAX_CANDIDATES per pair, in member-id order (a range of the primary
    key that stops early); built once per size (expression building per call costs more
    than the indexed look-up itself)."""
    sql = _SQL_CACHE.get(n)
    if sql is None:
        sql = _SQL_CACHE[n] = " UNION ALL ".join(
            f"SELECT {i} AS r, member_id FROM (SELECT member_id FROM blocking_keys "
            f"WHERE kind = ? AND value = ? ORDER BY member_id LIMIT {MAX_CANDIDATES}) AS q{i}"
            for i in range(n)
        )
    return sql


_PG_CANDIDATES = (
    "SELECT min(k.r) - 1, b.member_id FROM unnest(%s::text[], %s::text[]) WITH ORDINALITY "
    "AS k(kind, value, r) CROSS JOIN LATERAL (SELECT member_id FROM blocking_keys "
    "WHERE kind = k.kind AND value = k.value ORDER BY member_id "
    f"LIMIT {MAX_CANDIDATES}) AS b GROUP BY b.member_id"
)
"""`_candidate_sql` on PostgreSQL: the pairs as two arrays, one statement for any number;
a member once, with the first pair that holds it."""


_PEOPLE_SQL = (
    "SELECT m.member_id, m.relationship, m.birth_sequence, m.sponsor_id, d.version_id, "
    "d.last, d.first, d.middle, d.birth_date, d.gender, d.address_line1, d.postal_code "
    "FROM members m LEFT JOIN demographics_versions d ON d.version_id = "
    "(SELECT max(x.version_id) FROM demographics_versions x WHERE x.member_id = m.member_id) "
    "WHERE m.member_id IN ({marks})"
)
_IDENTIFIERS_SQL = "SELECT member_id, type, value FROM member_identifiers WHERE member_id IN ({marks})"
_ONE_MEMBERS_IDENTIFIERS = _IDENTIFIERS_SQL.format(marks="?")
"""`load_people`'s identifiers statement for one member (`UnitOfWork.stored_member`)."""
_PEOPLE_CHUNK = 500
"""Member ids per look-up statement (bound parameters: SQLite's limit is far above)."""
_PEOPLE_TEXT: dict[tuple[str, int], tuple[str, str]] = {}


def _people_sql(dialect: str, n: int) -> tuple[str, str]:
    """The two statements of `load_people` for n ids, built once per size."""
    got = _PEOPLE_TEXT.get((dialect, n))
    if got is None:
        marks = ", ".join(["?" if dialect == "sqlite" else "%s"] * n)
        got = _PEOPLE_TEXT[(dialect, n)] = (_PEOPLE_SQL.format(marks=marks),
                                            _IDENTIFIERS_SQL.format(marks=marks))
    return got


def load_people(
    conn: Connection, member_ids: Iterable[str], cursor: Any = None
) -> list[KnownPerson]:
    """KnownPerson (current values) for each stored member id, in the order given.

    Two statements per 500 ids (members with their newest demographics version, then
    identifiers), straight through the driver: this is the candidate look-up of every
    match, where building Core statements cost more than the queries. With `cursor` (a
    DB-API cursor of `conn`'s connection, inside a transaction: the unit of work's), on it:
    `exec_driver_sql` costs more than SQLite's answer to a look-up of a few people (its
    execution context and result per statement: about 40 µs per person loaded, in the
    batches of 5 to 10 a candidate look-up loads).
    """
    ids = list(dict.fromkeys(member_ids))
    if not ids:
        return []
    dialect = conn.dialect.name
    rows: dict[str, Any] = {}
    idents: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for i in range(0, len(ids), _PEOPLE_CHUNK):
        chunk = ids[i : i + _PEOPLE_CHUNK]
        people_sql, idents_sql = _people_sql(dialect, len(chunk))
        params = tuple(chunk)
        if cursor is None:
            people_rows: Iterable[Any] = conn.exec_driver_sql(people_sql, params)
        else:
            cursor.execute(people_sql, params)
            people_rows = cursor.fetchall()
        for r in people_rows:
            rows[r[0]] = r
        if cursor is None:
            ident_rows: Iterable[Any] = conn.exec_driver_sql(idents_sql, params)
        else:
            cursor.execute(idents_sql, params)
            ident_rows = cursor.fetchall()
        for mid, kind, value in ident_rows:
            idents[mid].append((kind, value))
    out: list[KnownPerson] = []
    for mid in ids:
        found = rows.get(mid)
        if found is None:
            continue
        (_, relationship, birth_sequence, sponsor, version, last, first, middle, birth,
         gender, line1, postal) = found
        if isinstance(birth, str):  # SQLite keeps dates as ISO text
            birth = dt.date.fromisoformat(birth)
        have = version is not None
        pairs = idents.get(mid, ())
        ssns = [v for k, v in pairs if k == "ssn"]
        medicare = [v for k, v in pairs if k == "medicare_id"]
        out.append(KnownPerson(
            member_id=mid,
            subscriber_numbers=tuple(v for k, v in pairs if k == "subscriber_number"),
            ssn=ssns[-1] if ssns else "",
            last=last if have else "", first=first if have else "",
            middle=middle if have else "", birth_date=birth if have else None,
            gender=gender if have else "", relationship=relationship or "",
            birth_sequence=birth_sequence,
            address_line1=line1 if have else "", postal_code=postal if have else "",
            medicare_id=medicare[-1] if medicare else "",
            other_ids=tuple((k[4:], v) for k, v in pairs if k.startswith("ref:")),
            sponsor_id=sponsor or "",
        ))  # fmt: skip
    return out


class _Member(NamedTuple):
    """What a change reads of a `members` row (`UnitOfWork.stored_member`)."""

    member_id: str
    relationship: str | None
    birth_sequence: int | None
    sponsor_id: str | None


StoredMember = tuple[_Member, list[tuple[str, str]], dict[str, Any] | None]
"""A stored member's row, its (type, value) identifiers and its newest demographic values."""


def person_from(member: Any, demo: Any, idents: Sequence[tuple[str, str]]) -> KnownPerson:
    """Build a KnownPerson from a members row, a demographics row and (type, value) pairs."""

    def ids_of(kind: str) -> list[str]:
        return [v for k, v in idents if k == kind]

    ssns = ids_of("ssn")
    medicare = ids_of("medicare_id")
    return KnownPerson(
        member_id=member.member_id,
        subscriber_numbers=tuple(ids_of("subscriber_number")),
        ssn=ssns[-1] if ssns else "",
        last=demo.last if demo else "",
        first=demo.first if demo else "",
        middle=demo.middle if demo else "",
        birth_date=demo.birth_date if demo else None,
        gender=demo.gender if demo else "",
        relationship=member.relationship or "",
        birth_sequence=member.birth_sequence,
        address_line1=demo.address_line1 if demo else "",
        postal_code=demo.postal_code if demo else "",
        medicare_id=medicare[-1] if medicare else "",
        other_ids=tuple((k[4:], v) for k, v in idents if k.startswith("ref:")),
        sponsor_id=member.sponsor_id or "",
    )
