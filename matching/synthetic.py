"""Synthetic people and member transactions (invented names, no real person's data).

Used by the tests, the labelled evaluation (matching/evaluate.py) and the
benchmark. `member_transaction` builds a valid `MemberTransaction` from plain
values; `Roster` generates households (subscriber, spouse, children, twins,
dependents without SSN) with a seeded random generator.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from edi.codes import (
    BenefitStatus,
    Gender,
    MaintenanceType,
    MedicarePlan,
    Relationship,
)
from edi.records import (
    Address,
    Coverage,
    DatePeriod,
    Demographics,
    IncorrectMember,
    Lineage,
    MemberName,
    MemberTransaction,
    PersonName,
    Reference,
)
from matching.decisions import KnownPerson


@dataclass(frozen=True, slots=True)
class OldValues:
    """2100B: the values a correction replaces ('' / None = not sent)."""

    last: str = ""
    first: str = ""
    ssn: str = ""
    birth_date: dt.date | None = None


def member_transaction(
    *,
    subscriber: bool = True,
    relationship: str = "18",
    maintenance: str = "021",
    subscriber_number: str = "",
    ssn: str = "",
    last: str = "",
    first: str = "",
    middle: str = "",
    birth_date: dt.date | None = None,
    gender: str = "",
    address_line1: str = "",
    postal_code: str = "",
    birth_sequence: int | None = None,
    benefit_status: str = "A",
    medicare_plan: str = "",
    member_dates: tuple[tuple[str, dt.date], ...] = (),
    identifiers: tuple[tuple[str, str], ...] = (),
    coverages: tuple[str, ...] = ("021",),
    old: OldValues | None = None,
    ordinal: int = 1,
) -> MemberTransaction:
    """A MemberTransaction as edi/ would produce it for these values."""
    incorrect = None
    if old is not None:
        incorrect = IncorrectMember(
            name=PersonName(
                entity_code="70",
                entity_type="1",
                last=old.last,
                first=old.first,
                id_qualifier="34" if old.ssn else "",
                id=old.ssn,
            ),
            demographics=Demographics(birth_date=old.birth_date) if old.birth_date else None,
        )
    return MemberTransaction(
        lineage=Lineage(source="synthetic", member_ordinal=ordinal),
        subscriber=subscriber,
        relationship=Relationship(relationship) if relationship else None,
        maintenance_type=MaintenanceType(maintenance) if maintenance else None,
        benefit_status=BenefitStatus(benefit_status) if benefit_status else None,
        medicare_plan=MedicarePlan(medicare_plan) if medicare_plan else None,
        birth_sequence=birth_sequence,
        subscriber_number=subscriber_number,
        identifiers=tuple(Reference(qualifier=q, value=v) for q, v in identifiers),
        dates=tuple(DatePeriod(qualifier=q, begin=d) for q, d in member_dates),
        member=MemberName(
            name=PersonName(
                entity_code="IL",
                entity_type="1",
                last=last,
                first=first,
                middle=middle,
                id_qualifier="34" if ssn else "",
                id=ssn,
            ),
            address=Address(line1=address_line1, postal_code=postal_code)
            if address_line1 or postal_code
            else None,
            demographics=Demographics(
                birth_date=birth_date, gender=Gender(gender) if gender else None
            ),
        ),
        incorrect=incorrect,
        coverages=tuple(Coverage(maintenance_type=MaintenanceType(c)) for c in coverages),
    )


def transaction_for(person: KnownPerson, **overrides: object) -> MemberTransaction:
    """The enrollment a sender would send for `person`, with field overrides."""
    values: dict[str, object] = {
        "subscriber": person.relationship == "18",
        "relationship": person.relationship,
        "subscriber_number": person.subscriber_numbers[0] if person.subscriber_numbers else "",
        "ssn": person.ssn,
        "last": person.last,
        "first": person.first,
        "birth_date": person.birth_date,
        "gender": person.gender,
        "address_line1": person.address_line1,
        "postal_code": person.postal_code,
        "birth_sequence": person.birth_sequence,
    }
    values.update(overrides)
    return member_transaction(**values)  # type: ignore[arg-type]


# ---------------------------------------------------------------- generated households

SURNAMES = (  # noqa: SIM905
    "SMITH JOHNSON WILLIAMS BROWN JONES GARCIA MILLER DAVIS RODRIGUEZ MARTINEZ HERNANDEZ "
    "LOPEZ GONZALEZ WILSON ANDERSON THOMAS TAYLOR MOORE JACKSON MARTIN LEE PEREZ THOMPSON "
    "WHITE HARRIS SANCHEZ CLARK RAMIREZ LEWIS ROBINSON WALKER YOUNG ALLEN KING WRIGHT SCOTT "
    "TORRES NGUYEN HILL FLORES GREEN ADAMS NELSON BAKER HALL RIVERA CAMPBELL MITCHELL CARTER "
    "ROBERTS GOMEZ PHILLIPS EVANS TURNER DIAZ PARKER CRUZ EDWARDS COLLINS REYES STEWART "
    "MORRIS MORALES MURPHY COOK ROGERS GUTIERREZ ORTIZ MORGAN COOPER PETERSON BAILEY REED "
    "KELLY HOWARD RAMOS KIM COX WARD RICHARDSON WATSON BROOKS CHAVEZ WOOD JAMES BENNETT GRAY "
    "MENDOZA RUIZ HUGHES PRICE ALVAREZ CASTILLO SANDERS PATEL MYERS LONG ROSS FOSTER JIMENEZ "
    "POWELL JENKINS PERRY RUSSELL SULLIVAN BELL COLEMAN BUTLER HENDERSON BARNES GONZALES "
    "FISHER VASQUEZ SIMMONS ROMERO JORDAN PATTERSON ALEXANDER HAMILTON GRAHAM REYNOLDS "
    "GRIFFIN WALLACE MORENO WEST COLE HAYES BRYANT HERRERA GIBSON ELLIS TRAN MEDINA AGUILAR "
    "STEVENS MURRAY FORD CASTRO MARSHALL OWENS HARRISON FERNANDEZ MCDONALD WOODS WASHINGTON "
    "KENNEDY WELLS VARGAS HENRY CHEN FREEMAN WEBB TUCKER GUZMAN BURNS CRAWFORD OLSON SIMPSON "
    "PORTER HUNTER GORDON MENDEZ SILVA SHAW SNYDER MASON DIXON MUNOZ HUNT HICKS HOLMES PALMER "
    "WAGNER BLACK ROBERTSON BOYD ROSE STONE SALAZAR FOX WARREN MILLS MEYER RICE SCHMIDT GARZA "
    "DANIELS FERGUSON"
).split()
MALE = (  # noqa: SIM905
    "JAMES ROBERT JOHN MICHAEL DAVID WILLIAM RICHARD JOSEPH THOMAS CHARLES CHRISTOPHER DANIEL "
    "MATTHEW ANTHONY MARK DONALD STEVEN PAUL ANDREW JOSHUA KENNETH KEVIN BRIAN GEORGE TIMOTHY "
    "RONALD EDWARD JASON JEFFREY RYAN JACOB GARY NICHOLAS ERIC JONATHAN STEPHEN LARRY JUSTIN "
    "SCOTT BRANDON BENJAMIN SAMUEL GREGORY ALEXANDER FRANK PATRICK RAYMOND JACK DENNIS JERRY "
    "TYLER AARON JOSE ADAM NATHAN HENRY DOUGLAS ZACHARY PETER KYLE ETHAN WALTER NOAH JEREMY "
    "CHRISTIAN KEITH ROGER TERRY GERALD HAROLD SEAN AUSTIN CARL ARTHUR LAWRENCE DYLAN JESSE "
    "JORDAN BRYAN BILLY JOE BRUCE GABRIEL LOGAN ALBERT WILLIE ALAN JUAN WAYNE ELIJAH RANDY "
    "ROY VINCENT RALPH EUGENE RUSSELL BOBBY MASON PHILIP LOUIS JAYDEN JADEN LIAM"
).split()
FEMALE = (  # noqa: SIM905
    "MARY PATRICIA JENNIFER LINDA ELIZABETH BARBARA SUSAN JESSICA SARAH KAREN LISA NANCY "
    "BETTY MARGARET SANDRA ASHLEY KIMBERLY EMILY DONNA MICHELLE CAROL AMANDA DOROTHY MELISSA "
    "DEBORAH STEPHANIE REBECCA SHARON LAURA CYNTHIA KATHLEEN AMY ANGELA SHIRLEY ANNA BRENDA "
    "PAMELA EMMA NICOLE HELEN SAMANTHA KATHERINE CHRISTINE DEBRA RACHEL CAROLYN JANET "
    "CATHERINE MARIA HEATHER DIANE RUTH JULIE OLIVIA JOYCE VIRGINIA VICTORIA KELLY LAUREN "
    "CHRISTINA JOAN EVELYN JUDITH MEGAN ANDREA CHERYL HANNAH JACQUELINE MARTHA GLORIA TERESA "
    "ANN SARA MADISON FRANCES KATHRYN JANICE JEAN ABIGAIL ALICE JUDY SOPHIA GRACE DENISE "
    "AMBER DORIS MARILYN DANIELLE BEVERLY ISABELLA THERESA DIANA NATALIE BRITTANY CHARLOTTE "
    "MARIE KAYLA ALEXIS LORI AVA MIA ELLA"
).split()
_SURNAME_WEIGHTS = [1.0 / (rank + 1) ** 0.8 for rank in range(len(SURNAMES))]
STREETS = (  # noqa: SIM905
    "MAIN OAK PINE MAPLE CEDAR ELM VIEW LAKE HILL WASHINGTON PARK WALNUT SPRING NORTH RIDGE "
    "CHURCH WILLOW MILL SUNSET RAILROAD JACKSON CHERRY HIGHLAND MEADOW FOREST RIVER"
).split()
STREET_TYPES = ("STREET", "AVENUE", "ROAD", "DRIVE", "LANE", "COURT", "WAY")


class Roster:
    """Seeded generator of households as the ledger knows them (`KnownPerson`s)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self._serial = 0
        self._used_ssns: set[str] = set()

    def next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:08d}"

    def ssn(self) -> str:
        while True:
            value = (
                f"{self.rng.randint(1, 665):03d}{self.rng.randint(1, 99):02d}"
                f"{self.rng.randint(1, 9999):04d}"
            )
            if value not in self._used_ssns and len(set(value)) > 1:
                self._used_ssns.add(value)
                return value

    def surname(self) -> str:
        # Zipf-like: common surnames recur, as in real rosters.
        return self.rng.choices(SURNAMES, weights=_SURNAME_WEIGHTS)[0]

    def given(self, gender: str) -> str:
        return self.rng.choice(MALE if gender == "M" else FEMALE)

    def address(self) -> tuple[str, str]:
        rng = self.rng
        line = f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        return line, f"{rng.randint(10000, 99899):05d}"

    def birth_date(
        self, min_age: int, max_age: int, today: dt.date = dt.date(2026, 1, 1)
    ) -> dt.date:
        days = self.rng.randint(min_age * 365, max_age * 365)
        return today - dt.timedelta(days=days)

    def family(self) -> list[KnownPerson]:
        """A subscriber with maybe a spouse and children (twins included), sharing an address."""
        rng = self.rng
        number = self.next_id("S")
        surname = self.surname()
        line, zip5 = self.address()
        sub_gender = rng.choice("MF")
        sub_dob = self.birth_date(22, 64)
        people = [
            self._person(number, "18", surname, sub_gender, sub_dob, line, zip5, ssn_rate=1.0)
        ]
        if rng.random() < 0.6:
            spouse_surname = surname if rng.random() < 0.8 else self.surname()
            gender = "F" if sub_gender == "M" else "M"
            if rng.random() < 0.05:
                gender = sub_gender
            dob = sub_dob + dt.timedelta(days=rng.randint(-2500, 2500))
            people.append(self._person(number, "01", spouse_surname, gender, dob, line, zip5, 0.95))
        parent_age = (dt.date(2026, 1, 1) - sub_dob).days // 365
        children = rng.choice((0, 0, 1, 1, 2, 2, 3, 4)) if parent_age >= 19 else 0
        sequence = 0
        names: set[str] = set()
        for _ in range(children):
            dob = self.birth_date(0, min(25, parent_age - 18))
            births = 2 if rng.random() < 0.08 else 1
            for _twin in range(births):
                sequence += 1
                gender = rng.choice("MF")
                child = self._person(number, "19", surname, gender, dob, line, zip5, 0.6)
                while child.first in names:
                    child = replace(child, first=self.given(gender))
                names.add(child.first)
                if rng.random() < 0.5:
                    child = replace(child, birth_sequence=sequence)
                people.append(child)
        return people

    def _person(
        self,
        number: str,
        relationship: str,
        surname: str,
        gender: str,
        dob: dt.date,
        line: str,
        zip5: str,
        ssn_rate: float,
    ) -> KnownPerson:
        return KnownPerson(
            member_id=self.next_id("M"),
            subscriber_numbers=(number,),
            ssn=self.ssn() if self.rng.random() < ssn_rate else "",
            last=surname,
            first=self.given(gender),
            middle=self.rng.choice("ABCDEJKLMRST") if self.rng.random() < 0.5 else "",
            birth_date=dob,
            gender=gender,
            relationship=relationship,
            address_line1=line,
            postal_code=zip5,
        )
