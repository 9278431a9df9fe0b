"""The person a member transaction describes, in the shape the matcher compares.

Both sides of a comparison are `KnownPerson` values: the ledger's people as
the `CandidateSource` returns them, and the enrollee as the transaction
describes them (`member_id` ''). A correction (2100B) also describes the
person as the ledger still knows them: `prior_person` carries those OLD
values (name, birth date, SSN) over the new ones.
"""

from __future__ import annotations

from dataclasses import replace

from edi.records import MemberTransaction
from matching.decisions import KnownPerson

_SUPPLEMENTAL = ("17", "23", "3H", "4A", "6O", "ABB", "Q4", "DX")


def transaction_person(tx: MemberTransaction) -> KnownPerson:
    """The enrollee with the (new) values of loop 2100A."""
    name = tx.member.name
    demo = tx.member.demographics
    address = tx.member.address
    others = tuple((r.qualifier, r.value) for r in tx.identifiers if r.qualifier in _SUPPLEMENTAL)
    return KnownPerson(
        member_id="",
        subscriber_numbers=(tx.subscriber_number,) if tx.subscriber_number else (),
        ssn=tx.ssn,
        last=name.last,
        first=name.first,
        middle=name.middle,
        birth_date=demo.birth_date if demo else None,
        gender=demo.gender.value if demo and demo.gender else "",
        relationship=tx.relationship.value if tx.relationship else "",
        birth_sequence=tx.birth_sequence,
        address_line1=address.line1 if address else "",
        postal_code=address.postal_code if address else "",
        medicare_id=tx.medicare_id,
        other_ids=others,
    )


def prior_person(tx: MemberTransaction, current: KnownPerson | None = None) -> KnownPerson | None:
    """The enrollee as the ledger still knows them: 2100B's OLD values over 2100A's.

    None when the transaction carries no 2100B. Only the fields 2100B holds
    (name, SSN, birth date, gender) are replaced; the rest stays as in 2100A.
    `current` is `transaction_person(tx)` when the caller has already built it.
    """
    old = tx.incorrect
    if old is None:
        return None
    if current is None:
        current = transaction_person(tx)
    n = old.name
    demo = old.demographics
    return replace(
        current,
        last=n.last or current.last,
        first=n.first or current.first,
        middle=n.middle or current.middle,
        ssn=n.id if n.id_qualifier == "34" and n.id else current.ssn,
        birth_date=demo.birth_date if demo and demo.birth_date else current.birth_date,
        gender=demo.gender.value if demo and demo.gender else current.gender,
    )


def enrollee_probes(tx: MemberTransaction) -> list[KnownPerson]:
    """The enrollee as the matcher scores it: the 2100B prior values (if any) first, then 2100A."""
    current = transaction_person(tx)
    prior = prior_person(tx, current)
    return [current] if prior is None else [prior, current]
