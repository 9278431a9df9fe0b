"""What the billing commands print: a row per result, over the dicts the room returns.

Pure functions over `to_json()` of bills, payments, reminders and statements, and over
`show_bill`, `list_bills` and `aging_report` rows: amounts are decimal strings, a member
appears only by id and name on a shown bill's lines. Nothing decided here.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ledger.billing.cycles import Cycle

BILLS_HEADER = "BILL\tGROUP\tPERIOD\tDUE\tTOTAL\tPAID\tOPEN"
AGING_HEADER = "GROUP\t0-30\t31-60\t61-90\t90+\tOPEN\tCREDIT"


def _tsv(row: Mapping[str, Any], *keys: str) -> str:
    return "\t".join(str(row[k]) for k in keys)


def bill_row(b: Mapping[str, Any]) -> str:
    """One row under `BILLS_HEADER` (`list_bills`)."""
    return _tsv(b, "bill", "group", "period", "due_date", "total", "paid", "open")


def aging_row(r: Mapping[str, Any]) -> str:
    """One row under `AGING_HEADER` (`aging_report`)."""
    return _tsv(r, "group", "0-30", "31-60", "61-90", "90+", "open", "credit")


def run_line(j: Mapping[str, Any]) -> str:
    """A group's outcome of `billing run`: the bill, its total, due date and PDF, or the error."""
    if j["status"] == "error":
        return f"{j['group']}\t{j['period']}\terror\t{j.get('error', '')}"
    return (f"{j['group']}\t{j['period']}\t{j['status']}\t{j['bill']}\ttotal {j['total']}\t"
            f"due {j['due_date']}\t{j['pdf'] or '-'}")


def run_errors(j: Mapping[str, Any]) -> list[str]:
    """What a `billing run` row adds on stderr: the error of a group that could not be billed."""
    return [j.get("error", "")] if j["status"] == "error" else []


def bill_text(b: Mapping[str, Any]) -> Iterator[str]:
    """A shown bill: its summary and balance, the totals per plan and level, its lines."""
    yield (f"bill {b['bill']}  group {b['group']}  period {b['period']}  "
           f"due {b['due_date']}  total {b['total']}  paid {b['paid']}  open {b['open']}")
    for x in b["totals"]:
        yield (f"  {x['plan']:<16}{x['level']:<6}members {x['members']:<6}"
               f"premium {x['premium']:>12}  adjustments {x['adjustments']:>10}")
    for x in b["lines"]:
        yield (f"  {x['member_id']}  {x['name'][:28]:<28} {x['period']} {x['line']:<4} "
               f"{x['plan']:<12} {x['level']:<4} {x['kind']:<10} {x['amount']:>10} "
               f"{x['reason']}")


def payment_line(j: Mapping[str, Any], *, applied: bool = True) -> str:
    """A payment: group, reference, status, amount, (with `applied`) the bills it went to,
    and what is left unapplied."""
    bills = ", ".join(f"{a['bill']} {a['amount']}" for a in j["applied"]) or "-"
    to_bills = f"\tapplied {bills}" if applied else ""
    return (f"{j['group']}\t{j['reference']}\t{j['status']}\t{j['amount']}{to_bills}\t"
            f"unapplied {j['unapplied']}")


def reminder_row(j: Mapping[str, Any]) -> str:
    """A reminder: bill, group, step (days from the due date), status, balance, its PDF."""
    return (f"{j['bill']}\t{j['group']}\t{j['step']:+d}\t{j['status']}\t{j['balance']}\t"
            f"{j.get('pdf', '-')}")


def statement_text(j: Mapping[str, Any]) -> str:
    """A broker's commission statement and its lines (`commission_statements`), one per line."""
    head = f"{j['broker']}\t{j['period']}\t{j['status']}\ttotal {j['total']}\tlines {j['lines']}"
    return "\n".join([head, *(
        f"  {x['group']}\t{x['bill']}\t{x['product']}\t{x['kind']}\tpaid {x['premium_paid']}\t"
        f"{x['rate']}\t{x['commission']}\t{x['reason']}" for x in j["detail"])])


def cycle_line(group: str, start: str, cyc: Cycle) -> str:
    """A group's billing cycle from the period `start`."""
    return (f"group {group}: from {start}: bill day {cyc.bill_day} ({cyc.bill_in} month), "
            f"due day {cyc.due_day}, paper {'yes' if cyc.paper else 'no'}, {cyc.proration}")
