"""Online submissions: a client's form -> an 834 -> the same pipeline as a partner's file.

`submit(target, actor, kind, form, key)`:

1. the signed-in client user must hold the form's privilege (refusal audited);
2. the form is parsed (`changes.parse`: required fields, dates, code lists), written as an
   834 (`forms.interchange`) and read back by `edi.reader.read` with the IG validator: any
   error finding is returned beside its field and NOTHING is recorded;
3. a `client_submissions` row is inserted, unique on (client, idempotency key): a second
   Submit of the same form finds it and returns the first one's outcome (recorded once);
4. the 834 goes through `ledger.ingest.ingest_events` - the same families, the same
   `matching.route` decisions, the same exactly-once registry (ISA13 = submission number)
   and one database transaction for the whole set: all of it is recorded or none of it;
5. the outcome is read back from the ledger (entries: applied, with the effective date;
   review items: with a representative, due by ...; referrals: the group representative's
   name and phone; the router's refusals: rejected with the plain reason) and stored.

`submissions` lists a client's submissions with their status as of now (a
representative's resolution shows at once). Audit records name the client, the user, the
form kind, the submission number and the status: never a field's value.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from edi.findings import Finding
from edi.reader import read
from edi.records import MemberTransaction
from ledger.clients.accounts import Client, NotFound, client_in, group_contact
from ledger.clients.changes import KINDS, parse
from ledger.clients.forms import CHANNEL_SOURCE, RECEIVER, FieldErrors, field_errors, interchange
from ledger.desk import Actor, users
from ledger.ingest import IngestSummary, ingest_events
from ledger.store import audit, client_tables, engine, utcnow
from ledger.store import schema as t

cs = client_tables.client_submissions
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

REASON_TEXT = {
    "cobra_third_party": "This group's COBRA members are administered by a third-party "
    "administrator: send COBRA enrollments to that administrator.",
    "cobra_bill_and_collect": "We bill and collect COBRA for this group (bill-and-collect "
    "COBRA): COBRA members are enrolled by us, not online. Please contact your group "
    "representative.",
    "unknown_member": "We could not find that member with certainty.",
}
"""The router's refusal reasons in plain words."""

STATUS_TEXT = {"applied": "Applied", "review": "With a representative",
               "referred": "Referred to your group representative", "rejected": "Rejected",
               "recorded": "Recorded (nothing changed)", "received": "Being recorded"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to a submission, in words a client reads."""

    submission: int
    kind: str
    status: str
    message: str
    effective: dt.date | None = None
    due_at: dt.datetime | None = None
    submitted_at: dt.datetime | None = None
    user_id: str = ""
    repeated: bool = False
    """True when this was a second Submit of a form already recorded."""


@dataclass
class Refusal:
    """The form was not recorded: errors beside its fields (no values in them)."""

    errors: FieldErrors = field(default_factory=FieldErrors)


@lru_cache(maxsize=1)
def _validator() -> Any:
    from edi.validate import make_validator

    return make_validator("compiled")


def _engine(target: str | Engine) -> Engine:
    return target if isinstance(target, Engine) else engine(target)


def _check(events: list[Any], lines: list[Any], errors: FieldErrors) -> None:
    findings: list[Finding] = []
    for ev in events:
        if isinstance(ev, MemberTransaction):
            findings.extend(ev.findings)
        elif isinstance(ev, Finding):
            findings.append(ev)
        else:
            findings.extend(getattr(ev, "findings", ()) or ())
    field_errors(findings, lines, errors)


def submit(
    target: str | Engine,
    actor: Actor,
    kind: str,
    form: Mapping[str, str],
    key: str,
    *,
    now: dt.datetime | None = None,
    decide: Callable[..., Any] | None = None,
) -> Outcome | Refusal:
    """Record the form once (see the module doc); an Outcome, or a Refusal with errors."""
    if kind not in KINDS:
        raise NotFound("no such form")
    eng = _engine(target)
    privilege, _ = KINDS[kind]
    users.require(eng, actor, f"client.{_ACTION[privilege]}", kind)
    if not _KEY.match(key or ""):
        refusal = Refusal()
        refusal.errors.add("", "the form has expired: open it again")
        return refusal
    now = now or utcnow()
    with eng.connect() as conn:
        client = client_in(conn, actor)
        done = _by_key(conn, client.client_id, key)
        if done is None:
            sponsor, lines, errors = parse(conn, client, kind, form, now.date())
            sponsor_name = conn.execute(sa.select(t.groups.c.name)
                                        .where(t.groups.c.sponsor_id == sponsor)).scalar() or ""  # fmt: skip
    if done is not None:
        return _repeat(eng, actor, client, done)
    if not errors:
        trial = interchange(client.client_id, sponsor, sponsor_name, 1, lines, now)
        _check(list(read(trial, "online-check", validator=_validator())), lines, errors)
    if errors:
        with eng.begin() as conn:
            audit(conn, actor.user_id, "client.submit_invalid", target=client.client_id,
                  details={"kind": kind, "fields": sorted(errors.by_field)})
        return Refusal(errors)
    try:
        with eng.begin() as conn:
            sid = int(conn.execute(cs.insert().values(
                client_id=client.client_id, idempotency_key=key, user_id=actor.user_id,
                kind=kind, sponsor_id=sponsor, submitted_at=now, payload="", status="received",
            )).inserted_primary_key[0])  # type: ignore[index]  # fmt: skip
            payload = interchange(client.client_id, sponsor, sponsor_name, sid, lines, now)
            conn.execute(cs.update().where(cs.c.id == sid).values(
                payload=payload.decode("ascii"), interchange_control=f"{sid:09d}"))  # fmt: skip
            audit(conn, actor.user_id, "client.submit", target=f"{client.client_id}/{sid}",
                  details={"kind": kind, "sponsor": sponsor, "members": len(lines)})
    except sa.exc.IntegrityError:
        with eng.connect() as conn:
            done = _by_key(conn, client.client_id, key)
        assert done is not None
        return _repeat(eng, actor, client, done)
    return _record(eng, actor, client, sid, decide)


_ACTION = {"submit_changes": "changes", "submit_enrollment": "enroll", "cobra": "cobra",
           "view_roster": "roster", "view_bills": "bills", "manage_users": "users"}  # fmt: skip


def _by_key(conn: Connection, client_id: str, key: str) -> Any:
    return conn.execute(sa.select(cs).where(cs.c.client_id == client_id,
                                            cs.c.idempotency_key == key)).first()  # fmt: skip


def _repeat(eng: Engine, actor: Actor, client: Client, row: Any) -> Outcome:
    if row.status == "received":  # the first Submit stopped before it finished: finish it
        out = _record(eng, actor, client, int(row.id), None)
    else:
        with eng.connect() as conn:
            out = _outcome_of(conn, row)
    with eng.begin() as conn:
        audit(conn, actor.user_id, "client.submit_repeat", target=f"{client.client_id}/{row.id}",
              details={"kind": row.kind})
    return _repeated(out)


def _repeated(out: Outcome) -> Outcome:
    return Outcome(out.submission, out.kind, out.status, out.message, out.effective, out.due_at,
                   out.submitted_at, out.user_id, True)  # fmt: skip


def _record(eng: Engine, actor: Actor, client: Client, sid: int,
            decide: Callable[..., Any] | None) -> Outcome:  # fmt: skip
    with eng.connect() as conn:
        row = conn.execute(sa.select(cs).where(cs.c.id == sid)).one()
    payload = row.payload.encode("ascii")
    sha = hashlib.sha256(payload).hexdigest()
    source = f"{CHANNEL_SOURCE}:{client.client_id}/{sid}/{row.user_id}"
    events = read(payload, source, validator=_validator(), file_sha256=sha)
    summary = ingest_events(eng, events, source=source, file_sha256=sha, decide=decide,
                            received_at=row.submitted_at, actor=row.user_id)  # fmt: skip
    with eng.begin() as conn:
        status, stored = _first_outcome(conn, row, summary)
        conn.execute(cs.update().where(cs.c.id == sid).values(
            status=status, outcome=json.dumps(stored, sort_keys=True), finished_at=utcnow()))  # fmt: skip
        audit(conn, actor.user_id, "client.submit_result", target=f"{client.client_id}/{sid}",
              details={"kind": row.kind, "status": status})
        row = conn.execute(sa.select(cs).where(cs.c.id == sid)).one()
        return _outcome_of(conn, row)


def _set_id(conn: Connection, row: Any) -> int | None:
    ic, ts = t.interchanges, t.transaction_sets
    return conn.execute(sa.select(ts.c.id).join(ic, ic.c.id == ts.c.interchange_id).where(
        ic.c.sender_id == row.client_id, ic.c.receiver_id == RECEIVER,
        ic.c.control_number == row.interchange_control)).scalar()  # fmt: skip


def _first_outcome(conn: Connection, row: Any, summary: IngestSummary) -> tuple[str, dict[str, Any]]:
    """The status right after recording, and what to keep of it (no PHI)."""
    set_id = _set_id(conn, row)
    if set_id is None:
        return "rejected", {"reason": "the submission could not be read"}
    items = list(conn.execute(sa.select(t.review_items.c.queue)
                              .where(t.review_items.c.transaction_set_id == set_id)))  # fmt: skip
    if any(i.queue == "medicare" for i in items):
        return "referred", {}
    if items:
        return "review", {}
    if summary.rejections:
        reason = str(summary.rejections[0].get("reason") or "")
        return "rejected", {"reason": REASON_TEXT.get(reason, "Not accepted."), "code": reason}
    e = t.entries
    n = conn.execute(sa.select(sa.func.count()).where(
        e.c.sender_id == row.client_id, e.c.interchange_control == row.interchange_control)).scalar()  # fmt: skip
    return ("applied" if n else "recorded"), {}


def _outcome_of(conn: Connection, row: Any) -> Outcome:
    """The submission's status as of now (a representative's resolution shows at once)."""
    stored = json.loads(row.outcome or "{}")
    status, message = row.status, ""
    effective: dt.date | None = None
    due: dt.datetime | None = None
    e = t.entries
    if row.status in ("applied", "review", "referred"):
        effective = conn.execute(sa.select(sa.func.min(e.c.valid_from)).where(
            e.c.sender_id == row.client_id,
            e.c.interchange_control == row.interchange_control)).scalar()  # fmt: skip
    if row.status in ("review", "referred"):
        set_id = _set_id(conn, row)
        ri = t.review_items
        items = list(conn.execute(sa.select(ri).where(ri.c.transaction_set_id == set_id)))
        open_items = [i for i in items if i.status != "resolved"]
        if open_items:
            due = min((i.due_at for i in open_items if i.due_at), default=None)
        elif items:
            rejected = [i for i in items if i.resolution == "rejected"]
            status = "rejected" if rejected else "applied"
            message = ("A representative did not accept it." if rejected
                       else "A representative matched and applied it.")  # fmt: skip
    if status == "applied":
        when = f" effective {effective.isoformat()}" if effective else ""
        message = message or f"Applied{when}."
        if message.startswith("A representative") and effective:
            message += f" Effective {effective.isoformat()}."
    elif status == "review":
        message = ("With a membership representative, due by "
                   f"{_when(due)}." if due else "With a membership representative.")  # fmt: skip
    elif status == "referred":
        name, phone = group_contact(conn, row.sponsor_id)
        message = ("Medicare enrollments are handled by your group representative: please "
                   f"contact {name}" + (f", {phone}" if phone else "") + ".")
    elif status == "rejected":
        message = message or str(stored.get("reason") or "Not accepted.")
    elif status == "recorded":
        message = "Recorded; it changed nothing in the roster."
    else:
        message = "Being recorded."
    return Outcome(int(row.id), row.kind, status, message, effective, due, row.submitted_at,
                   row.user_id)  # fmt: skip


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    v = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def submissions(target: str | Engine, actor: Actor, *, mine_only: bool = False,
                user_id: str | None = None, limit: int = 200) -> list[Outcome]:  # fmt: skip
    """The client's submissions, newest first, each with its status as of now. Users who
    do not manage users see only their own; `user_id` filters (managers only)."""
    with _engine(target).connect() as conn:
        client = client_in(conn, actor)
        q = sa.select(cs).where(cs.c.client_id == client.client_id)
        if mine_only or not client.may("manage_users"):
            q = q.where(cs.c.user_id == actor.user_id)
        elif user_id:
            q = q.where(cs.c.user_id == user_id)
        rows = list(conn.execute(q.order_by(cs.c.id.desc()).limit(limit)))
        return [_outcome_of(conn, r) for r in rows]


def submission(target: str | Engine, actor: Actor, submission_id: int) -> Outcome:
    """One submission of the actor's client (its own, unless the actor manages users);
    NotFound for another client's or nobody's."""
    with _engine(target).connect() as conn:
        client = client_in(conn, actor)
        row = conn.execute(sa.select(cs).where(cs.c.id == submission_id,
                                               cs.c.client_id == client.client_id)).first()  # fmt: skip
        if row is None or (row.user_id != actor.user_id and not client.may("manage_users")):
            raise NotFound("no such submission")
        return _outcome_of(conn, row)
