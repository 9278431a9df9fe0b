"""The ledger written out as a 005010X220A1 834: a full file as of a date, or a change file.

- `full_file(conn, sponsor, as_of)`: BGN08=4, every member covered on `as_of`
  with INS03=030 and each coverage covering that date as HD01=030 (DTP 348
  begin, DTP 349 last day when the span ends), DTP*007 = `as_of`, QTY totals.
- `change_file(conn, sponsor, since)`: BGN08=2 with what the ledger recorded
  after `since`: members created since then as INS03=021 with their current
  coverages; other changed members as INS03=001 with their current name,
  address and demographics, HD*024 + DTP*349 for a span that was open and is
  now closed, HD*021 (+349) for each span that is new. Ingesting it into the
  ledger as it was at `since` yields the same roster.

Both stream segments (keyset pages of 1000 members), with correct SE01, GE01
and IEA01 counts. ISA13 and GS06 come from the ledger's `ack_control_numbers`
(kinds `interchange` / `group`, shared with the TA1/999 the ledger sends),
taken in their own committed transaction so a number is never handed out
twice. Delimiters are `* : ~ ^`; a value
holding one of them has it replaced by a space.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ledger.store import LedgerError, Span, engine, next_control_number, spans, utcnow
from ledger.store import schema as t

if TYPE_CHECKING:
    from ledger.settings import PayerSettings

PAGE = 1000
ONE_DAY = dt.timedelta(days=1)
_DELIMS = str.maketrans({c: " " for c in "*:~^\r\n"})


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Envelope parties of an exported file (the payer sends; the sponsor receives)."""

    sender_qualifier: str = "ZZ"
    sender_id: str = "ENROLL834"
    receiver_qualifier: str = "ZZ"
    receiver_id: str = ""
    """Default: the sponsor id."""
    payer_name: str = "ENROLL834 PAYER"
    payer_id: str = "ENROLL834"
    usage: str = "P"

    @classmethod
    def for_payer(cls, payer: PayerSettings) -> ExportOptions:
        """The payer's own identity from the `[payer]` settings (ISA sender, N1*IN)."""
        return cls(sender_qualifier=payer.sender_qualifier, sender_id=payer.sender_id,
                   payer_name=payer.name, payer_id=payer.id)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What was written (no PHI): kind full | changes, counts and control numbers."""

    kind: str
    sponsor_id: str
    members: int
    segments: int
    interchange_control: str
    group_control: str
    path: str = ""

    def line(self) -> str:
        """The one line `export834` writes on stderr."""
        return (f"export834: {self.kind} file, {self.members} members, ISA13 "
                f"{self.interchange_control}")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "sponsor_id": self.sponsor_id, "members": self.members,
                "segments": self.segments, "interchange_control": self.interchange_control,
                "group_control": self.group_control, "path": self.path}  # fmt: skip


def _el(value: Any) -> str:
    return "" if value is None else str(value).translate(_DELIMS).strip()


def _seg(*elements: Any) -> str:
    return "*".join(_el(e) if i else str(e) for i, e in enumerate(elements)).rstrip("*")


def _d8(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


# ------------------------------------------------------------------ reading the ledger


def _latest_demographics(conn: Connection, ids: list[str]) -> dict[str, Any]:
    d = t.demographics_versions
    return {r.member_id: r for r in conn.execute(
        sa.select(d).where(d.c.member_id.in_(ids)).order_by(d.c.version_id))}  # fmt: skip


def _ssns(conn: Connection, ids: list[str]) -> dict[str, str]:
    i = t.member_identifiers
    q = (sa.select(i.c.member_id, i.c.value).where(i.c.member_id.in_(ids), i.c.type == "ssn")
         .order_by(i.c.first_seen_at, i.c.value))  # fmt: skip
    return {r.member_id: r.value for r in conn.execute(q)}


def _pages(conn: Connection, base: sa.Select[Any]) -> Iterator[list[Any]]:
    """Members of `base` in family order (subscriber number, subscriber first, id), paged."""
    m = t.members
    dep = sa.case((m.c.relationship == "18", 0), else_=1)
    cols = (m.c.subscriber_number, dep, m.c.member_id)
    q = base.add_columns(dep.label("dep")).order_by(*cols)
    last: tuple[str, int, str] | None = None
    while True:
        page_q = (
            q
            if last is None
            else q.where(sa.tuple_(*cols) > sa.tuple_(*(sa.literal(v) for v in last)))
        )
        rows = list(conn.execute(page_q.limit(PAGE)))
        if not rows:
            return
        last = (rows[-1].subscriber_number, rows[-1].dep, rows[-1].member_id)
        yield rows


def _members_covered(sponsor: str, as_of: dt.date) -> sa.Select[Any]:
    m, cv, sup = t.members, t.coverage_versions, t.supersessions
    covered = sa.exists().where(
        cv.c.member_id == m.c.member_id, ~sa.exists().where(sup.c.version_id == cv.c.version_id),
        cv.c.valid_from <= as_of, sa.or_(cv.c.valid_to.is_(None), cv.c.valid_to > as_of),
    )  # fmt: skip
    return sa.select(m.c.member_id, m.c.subscriber_number, m.c.relationship, m.c.birth_sequence,
                     m.c.created_at).where(m.c.sponsor_id == sponsor, covered)  # fmt: skip


def _members_changed(sponsor: str, since: dt.datetime) -> sa.Select[Any]:
    m, cv, d = t.members, t.coverage_versions, t.demographics_versions
    changed = sa.or_(
        m.c.created_at > since,
        sa.exists().where(cv.c.member_id == m.c.member_id, cv.c.recorded_at > since),
        sa.exists().where(d.c.member_id == m.c.member_id, d.c.recorded_at > since),
    )
    return sa.select(m.c.member_id, m.c.subscriber_number, m.c.relationship, m.c.birth_sequence,
                     m.c.created_at).where(m.c.sponsor_id == sponsor, changed)  # fmt: skip


# ------------------------------------------------------------------ member loops


def _member_loop(row: Any, demo: Any, ssn: str, ins03: str, ins04: str,
                 coverages: list[list[str]]) -> list[str]:  # fmt: skip
    rel = row.relationship or "18"
    segs = [
        _seg("INS", "Y" if rel == "18" else "N", rel, ins03, ins04, "A", "", "", "", "", "", "",
             "", "", "", "", "", row.birth_sequence or ""),
        _seg("REF", "0F", row.subscriber_number),
    ]  # fmt: skip
    last = demo.last if demo else ""
    segs.append(_seg("NM1", "IL", "1", last or "UNKNOWN", demo.first if demo else "",
                     demo.middle if demo else "", "", demo.suffix if demo else "",
                     "34" if ssn else "", ssn))  # fmt: skip
    if demo is not None and demo.address_line1:
        segs.append(_seg("N3", demo.address_line1, demo.address_line2))
    if demo is not None and (demo.city or demo.state or demo.postal_code):
        segs.append(_seg("N4", demo.city, demo.state, demo.postal_code))
    if demo is not None and demo.birth_date is not None:
        segs.append(_seg("DMG", "D8", _d8(demo.birth_date), demo.gender or "U"))
    for cov in coverages:
        segs.extend(cov)
    return segs


def _hd(hd01: str, s: Span, *, begin: bool = True, end: dt.date | None = None) -> list[str]:
    segs = [_seg("HD", hd01, "", s.line, s.plan, s.level)]
    if begin:
        segs.append(_seg("DTP", "348", "D8", _d8(s.begin)))
    last = end or s.last_day
    if last is not None:
        segs.append(_seg("DTP", "349", "D8", _d8(last)))
    return segs


def _change_coverages(then: list[Span], now: list[Span]) -> list[list[str]]:
    """HD loops that turn one line's spans `then` into `now` through the ledger's rules."""
    key = {(s.begin, s.end, s.plan, s.level) for s in then}
    new = [s for s in now if (s.begin, s.end, s.plan, s.level) not in key]
    out: list[list[str]] = []
    was_open = next((s for s in then if s.end is None), None)
    still = was_open is not None and any(
        (s.begin, s.end, s.plan, s.level) == (was_open.begin, None, was_open.plan, was_open.level)
        for s in now
    )
    if was_open is not None and not still:
        closed = next((s for s in new if s.begin == was_open.begin and s.plan == was_open.plan
                       and s.level == was_open.level and s.end is not None), None)  # fmt: skip
        if closed is not None:
            new.remove(closed)
            out.append(_hd("024", closed, begin=False))
        elif new and new[0].begin > was_open.begin:
            out.append(_hd("024", was_open, begin=False, end=new[0].begin - ONE_DAY))
    out.extend(_hd("021", s) for s in sorted(new, key=lambda s: s.begin))
    return out


def _by_member_line(items: list[Span]) -> dict[str, dict[str, list[Span]]]:
    out: dict[str, dict[str, list[Span]]] = defaultdict(lambda: defaultdict(list))
    for s in items:
        out[s.member_id][s.line].append(s)
    return out


# ------------------------------------------------------------------ files


class _Envelope:
    """ISA/GS/ST..SE/GE/IEA around a stream of member loops, counting segments."""

    def __init__(self, isa13: int, gs06: int, now: dt.datetime, opts: ExportOptions,
                 receiver: str) -> None:  # fmt: skip
        self.isa13, self.gs06 = f"{isa13:09d}", str(gs06)
        self.now, self.opts, self.receiver = now, opts, receiver
        self.count = 0

    def open(self, bgn08: str, header: list[str]) -> Iterator[str]:
        o, now = self.opts, self.now
        yield (f"ISA*00*{'':10}*00*{'':10}*{o.sender_qualifier:<2}*{_el(o.sender_id):<15}"
               f"*{o.receiver_qualifier:<2}*{_el(self.receiver)[:15]:<15}*{now:%y%m%d}*{now:%H%M}"
               f"*^*00501*{self.isa13}*0*{o.usage}*:")  # fmt: skip
        yield _seg("GS", "BE", o.sender_id, self.receiver, f"{now:%Y%m%d}", f"{now:%H%M}",
                   self.gs06, "X", "005010X220A1")  # fmt: skip
        st = [_seg("ST", "834", "0001", "005010X220A1"),
              _seg("BGN", "00", f"E834{self.isa13}", f"{now:%Y%m%d}", f"{now:%H%M%S}", "", "",
                   "", bgn08), *header]  # fmt: skip
        self.count = len(st)
        yield from st

    def body(self, segs: list[str]) -> Iterator[str]:
        self.count += len(segs)
        yield from segs

    def close(self) -> Iterator[str]:
        yield _seg("SE", self.count + 1, "0001")
        yield _seg("GE", "1", self.gs06)
        yield _seg("IEA", "1", self.isa13)


def _parties(sponsor: str, name: str, opts: ExportOptions) -> list[str]:
    return [_seg("N1", "P5", name or sponsor, "FI", sponsor),
            _seg("N1", "IN", opts.payer_name, "FI", opts.payer_id)]  # fmt: skip


def known_sponsor(conn: Connection, sponsor: str) -> bool:
    """True when `sponsor` is a stored group or any member belongs to it."""
    if conn.execute(sa.select(t.groups.c.sponsor_id)
                    .where(t.groups.c.sponsor_id == sponsor)).first() is not None:
        return True
    m = t.members
    return conn.execute(sa.select(m.c.member_id).where(m.c.sponsor_id == sponsor).limit(1)).first() \
        is not None


def _sponsor_name(conn: Connection, sponsor: str) -> str:
    row = conn.execute(sa.select(t.groups.c.name).where(t.groups.c.sponsor_id == sponsor)).first()
    return row.name if row is not None else ""


def full_file(conn: Connection, sponsor: str, as_of: dt.date, *, isa13: int, gs06: int,
              now: dt.datetime, options: ExportOptions = ExportOptions()) -> Iterator[str]:  # fmt: skip
    """The segments (no terminators) of the sponsor's full file as of `as_of`."""
    base = _members_covered(sponsor, as_of)
    sub = base.subquery()
    total = conn.execute(sa.select(sa.func.count()).select_from(sub)).scalar_one()
    subs = conn.execute(sa.select(sa.func.count()).select_from(sub)
                        .where(sub.c.relationship == "18")).scalar_one()  # fmt: skip
    env = _Envelope(isa13, gs06, now, options, options.receiver_id or sponsor)
    header = [_seg("DTP", "007", "D8", _d8(as_of)), _seg("QTY", "TO", total),
              _seg("QTY", "ET", subs), _seg("QTY", "DT", total - subs),
              *_parties(sponsor, _sponsor_name(conn, sponsor), options)]  # fmt: skip
    yield from env.open("4", header)
    for rows in _pages(conn, base):
        ids = [r.member_id for r in rows]
        demo, ssns = _latest_demographics(conn, ids), _ssns(conn, ids)
        covs = _by_member_line(spans(conn, member_ids=ids, as_of=as_of))
        for r in rows:
            hds = [_hd("030", s) for line in sorted(covs[r.member_id])
                   for s in covs[r.member_id][line][-1:]]  # fmt: skip
            yield from env.body(_member_loop(r, demo.get(r.member_id), ssns.get(r.member_id, ""),
                                             "030", "XN", hds))  # fmt: skip
    yield from env.close()


def change_file(conn: Connection, sponsor: str, since: dt.datetime, *, isa13: int, gs06: int,
                now: dt.datetime, options: ExportOptions = ExportOptions()) -> Iterator[str]:  # fmt: skip
    """The segments of a change file holding what the ledger recorded after `since`."""
    since = since if since.tzinfo else since.replace(tzinfo=dt.UTC)
    env = _Envelope(isa13, gs06, now, options, options.receiver_id or sponsor)
    yield from env.open("2", _parties(sponsor, _sponsor_name(conn, sponsor), options))
    for rows in _pages(conn, _members_changed(sponsor, since)):
        ids = [r.member_id for r in rows]
        demo, ssns = _latest_demographics(conn, ids), _ssns(conn, ids)
        then = _by_member_line(spans(conn, member_ids=ids, known_at=since))
        now_ = _by_member_line(spans(conn, member_ids=ids))
        for r in rows:
            created = _aware(r.created_at) > since
            lines = sorted(set(then[r.member_id]) | set(now_[r.member_id]))
            hds: list[list[str]] = []
            for line in lines:
                before = [] if created else then[r.member_id][line]
                hds.extend(_change_coverages(before, now_[r.member_id][line]))
            yield from env.body(_member_loop(
                r, demo.get(r.member_id), ssns.get(r.member_id, ""),
                "021" if created else "001", "28" if created else "25", hds,
            ))  # fmt: skip
    yield from env.close()


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def write_export(
    target: str | Engine,
    out: Path | None,
    sponsor: str,
    *,
    as_of: dt.date | None = None,
    changes_since: dt.datetime | None = None,
    now: dt.datetime | None = None,
    options: ExportOptions = ExportOptions(),
    stream: Any = None,
) -> ExportSummary:
    """Write a full file (default, as of `as_of` or today) or, with `changes_since`, a change file.

    Written to `out` through a temporary file and a rename, or to `stream`
    (a text stream) when `out` is None. Segments end in '~' and a newline.
    A sponsor the ledger does not know (no group, no member) raises LedgerError
    before any control number is used or anything written.
    """
    eng = target if isinstance(target, Engine) else engine(target)
    now = now or utcnow()
    with eng.connect() as conn:
        if not known_sponsor(conn, sponsor):
            # Refused before a control number is taken or a byte is written.
            raise LedgerError(f"export834: sponsor {sponsor} is not known to the ledger "
                              "(no group and no members); nothing written")
    with eng.begin() as conn:
        isa13 = next_control_number(conn, "interchange")
        gs06 = next_control_number(conn, "group")
    kind = "changes" if changes_since is not None else "full"
    with eng.connect() as conn:
        if changes_since is not None:
            segs = change_file(conn, sponsor, changes_since, isa13=isa13, gs06=gs06, now=now,
                               options=options)  # fmt: skip
        else:
            segs = full_file(conn, sponsor, as_of or now.date(), isa13=isa13, gs06=gs06,
                             now=now, options=options)  # fmt: skip
        tmp = out.with_name(out.name + ".tmp") if out is not None else None
        fh = tmp.open("w", encoding="utf-8") if tmp is not None else stream
        count = members = 0
        try:
            for s in segs:
                fh.write(s + "~\n")
                count += 1
                members += s.startswith("INS*")
        finally:
            if tmp is not None:
                fh.close()
    if tmp is not None and out is not None:
        tmp.replace(out)
    return ExportSummary(kind, sponsor, members, count, f"{isa13:09d}", str(gs06),
                         str(out) if out is not None else "")  # fmt: skip
