"""The synthesiser behind edi.generate: families → 2000 loops, and the truth of each.

`Synth(options).items()` walks interchanges → group → transaction sets →
families and yields, in file order, lists of segment texts (no terminators)
and, after each member's segments, its `TruthMember`. A member's segments are
rendered FROM its truth (`Synth._render`), so the two cannot disagree.

Two random streams per transaction set: the plan stream (family shapes and
actions) is drawn once to count members for QTY and again while writing; the
detail stream draws everything else. Both are seeded from (seed, set), so a
file is a pure function of its arguments.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, TypeVar

Version = Literal["5010", "4010"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Mix:
    """What kinds of members a file holds (weights and probabilities)."""

    file_type: Literal["change", "audit"] = "change"
    """'audit' writes BGN08=4 with INS03=030 and HD01=030 on every member."""
    addition: float = 0.55
    change: float = 0.2
    termination: float = 0.15
    reinstatement: float = 0.1
    correction: float = 0.5
    """Share of 001 changes that correct identity (2100B NM1*70 old values)."""
    cobra: float = 0.06
    medicare: float = 0.06
    dependent_without_ssn: float = 0.35
    twins: float = 0.15
    """Share of families with 2+ children whose last two are twins."""
    reporting_categories: float = 0.2


MIXES: dict[str, Mix] = {
    "change": Mix(),
    "enrollment": Mix(addition=1.0, change=0.0, termination=0.0, reinstatement=0.0),
    "audit": Mix(file_type="audit"),
}


# ---------------------------------------------------------------- truth records


@dataclass(frozen=True, slots=True)
class TruthAddress:
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True, slots=True)
class TruthOld:
    """2100B: the old values a correction replaces ('' / None where not sent)."""

    last: str
    first: str
    birth_date: dt.date | None
    gender: str


@dataclass(frozen=True, slots=True)
class TruthCoverage:
    """One HD loop: HD01, HD03, HD04, HD05 and its DTPs as (qualifier, date)."""

    maintenance_type: str
    insurance_line: str
    plan_description: str
    coverage_level: str
    dates: tuple[tuple[str, dt.date], ...]


@dataclass(frozen=True, slots=True)
class TruthCategory:
    """One 2750 reporting category: N1*75 name, REF qualifier/value, DTP*007 date."""

    name: str
    qualifier: str
    value: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class TruthMember:
    """Exactly what one generated INS loop says. Codes are the raw X12 codes ('' = absent)."""

    interchange_control: str
    group_control: str
    set_control: str
    ordinal: int
    """1-based ordinal of the member inside its transaction set."""
    sequence: int
    """1-based ordinal of the member in the whole file."""
    subscriber: bool
    relationship: str
    maintenance_type: str
    maintenance_reason: str
    benefit_status: str
    medicare_plan: str
    medicare_reason: str
    cobra_event: str
    employment_status: str
    student_status: str
    birth_sequence: int | None
    subscriber_number: str
    group_policy_number: str
    identifiers: tuple[tuple[str, str], ...]
    """Supplemental 2000 REFs (qualifier, value), e.g. ('F6', MBI)."""
    dates: tuple[tuple[str, dt.date], ...]
    """Member-level DTPs (qualifier, date) in file order."""
    last: str
    first: str
    middle: str
    ssn: str
    """NM109 with NM108=34; '' when the member is sent without one."""
    birth_date: dt.date
    gender: str
    marital_status: str
    phone: str
    address: TruthAddress
    old: TruthOld | None
    coverages: tuple[TruthCoverage, ...]
    categories: tuple[TruthCategory, ...]
    defect: str = ""
    """Non-empty for a deliberately broken member: which rule it breaks."""



# ---------------------------------------------------------------- invented vocabulary

LAST_NAMES = (
    "QUARRELTON", "VESTERGAARD", "MARROWAY", "TILLINGHAM", "OSTRANDT", "PELLINGTON",
    "KAVANOUGH", "DREVELSKI", "HOLLOWMERE", "BRISTOWE", "FENWICKE", "LARKSPUR",
    "MUÑOZ", "BJÖRK", "NORDQVIST", "ABERNOTT", "CASTELLANE", "WINTERBOURNE",
    "ZELLWEGGE", "PRADELLO", "OKONKWE", "HAVERSHAM", "ESPARZOLA", "DUVALLON",
    "SMYTHE-ROSS", "YAMADORI", "TREMAYNE", "GALLOWAN", "RIVERDELL", "ASHBOURNE",
)
FEMALE_NAMES = (
    "ELARA", "MIRELLE", "JOANNA", "TESSALY", "RENÉE", "BRIONY", "CALLISTA", "DANAE",
    "FENNA", "GISELLE", "HALLIE", "IMOGEN", "JUNO", "KESTREL", "LIORA", "MAREN",
)
MALE_NAMES = (
    "JOSÉ", "ALDRIC", "BENNETT", "CORWIN", "DESMOND", "EVANDER", "FLINT", "GARRICK",
    "HOLLIS", "IVOR", "JASPER", "KELLAN", "LORCAN", "MATTHIAS", "NOLAN", "ORRIN",
)
STREETS = (
    "MAPLE", "QUINCE", "LARCH", "HEATHER", "OSPREY", "CINDER", "BRAMBLE", "TIMBER",
    "WILLOWBROOK", "FALCON", "MEADOWLARK", "JUNIPER",
)
STREET_KINDS = ("ST", "AVE", "RD", "LN", "CT", "DR")
CITIES = (
    ("ELMSWORTH", "OH"), ("BRACKENRIDGE", "PA"), ("MILLBANK", "NY"), ("CEDAR HOLLOW", "MN"),
    ("PORT ALDER", "WA"), ("SANDSTONE", "AZ"), ("GREYWATER", "TX"), ("FOXBURROW", "VT"),
)
PLANS = {
    "HLT": ("PPO 500", "HMO GOLD", "HDHP 3000", "EPO SILVER"),
    "DEN": ("DENTAL BASIC", "DENTAL PLUS"),
    "VIS": ("VISION STANDARD", "VISION PLUS"),
}
CATEGORIES = (
    ("RATING AREA", "9X"),
    ("CLIENT REPORTING CATEGORY", "17"),
    ("FIPS CODE", "ZZ"),
    ("NEWBORN INDICATOR", "ZZ"),
)
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_ASCII = str.maketrans("ÑÖÉ", "NOE")


# ---------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class Options:
    """Validated arguments of one generated file (see edi.generate.generate)."""

    members: int
    seed: int
    terminator: str
    suffix: str
    version: Version
    sponsor_id: str
    sponsor_name: str
    payer_id: str
    payer_name: str
    sender_id: str
    receiver_id: str
    interchanges: int
    sets: int
    mix: Mix
    bad_member: int | None
    file_date: dt.date
    ascii_only: bool
    effective_date: dt.date | None = None
    """Coverage and event dates are relative to it (default: the 1st after file_date)."""


# ---------------------------------------------------------------- the synthesiser


def _d8(d: dt.date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def _first_of_next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _add_months(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def _pick(rng: random.Random, seq: Sequence[T]) -> T:
    """rng.choice, cheaper: one random() call (stable across Python versions)."""
    return seq[int(rng.random() * len(seq))]


def _between(rng: random.Random, low: int, high: int) -> int:
    """rng.randrange(low, high), cheaper: one random() call."""
    return low + int(rng.random() * (high - low))


def _join(*elements: str) -> str:
    """A segment from its id and elements, trailing empty elements dropped.

    Generated values never end in '*', so stripping separators is exact.
    """
    return "*".join(elements).rstrip("*")


@dataclass(slots=True)
class _Plan:
    """A family's shape, drawn from the plan stream (so counts are known before writing)."""

    action: str
    roles: list[str]
    """'18' subscriber, '01' spouse, '19' child, in family order."""
    emitted: list[int]
    twins: bool
    single: bool
    """Only one member of the family is sent (newborn, marriage, dependent term, change)."""


@dataclass(slots=True)
class _Family:
    """What the members of one family share."""

    last: str
    address: TruthAddress
    phone: str
    subscriber_number: str
    group: str
    lines: list[str]
    plans: dict[str, str] = field(default_factory=dict)
    level: str = ""
    cobra_event: str = ""


@dataclass(slots=True)
class _Counters:
    family: int = 0
    person: int = 0
    sequence: int = 0


class Synth:
    """Walks interchanges → groups → sets → families, yielding segment lists and truths."""

    def __init__(self, opts: Options) -> None:
        self.o = opts
        self.c = _Counters()
        self.v5 = opts.version == "5010"
        self.tag = f"{opts.seed % 100000:05d}"
        self.ssn_offset = (opts.seed * 7919) % 10**8
        self._dates: dict[dt.date, str] = {}

    def items(self) -> Iterator[list[str] | TruthMember]:
        o = self.o
        total_sets = o.interchanges * o.sets
        base, extra = divmod(o.members, total_sets)
        fd = o.file_date
        yymmdd, ccyymmdd = _d8(fd)[2:], _d8(fd)
        hhmm = f"{8 + o.seed % 10:02d}{o.seed % 60:02d}"
        isa_base = (o.seed * 7919) % 900_000_000 + 1
        gs_base = o.seed % 9000 + 1
        rep = "^" if self.v5 else "U"
        icvn = "00501" if self.v5 else "00401"
        gs08 = "005010X220A1" if self.v5 else "004010X095A1"
        k = 0
        for i in range(o.interchanges):
            isa13 = f"{isa_base + i:09d}"
            gs06 = str(gs_base + i)
            yield [
                f"ISA*00*{'':10}*00*{'':10}*ZZ*{o.sender_id:<15}*ZZ*{o.receiver_id:<15}"
                f"*{yymmdd}*{hhmm}*{rep}*{icvn}*{isa13}*0*P*:",
                f"GS*BE*{o.sender_id}*{o.receiver_id}*{ccyymmdd}*{hhmm}*{gs06}*X*{gs08}",
            ]
            for _ in range(o.sets):
                quota = base + (1 if k < extra else 0)
                k += 1
                yield from self._set(quota, k, isa13, gs06, ccyymmdd, hhmm)
            yield [f"GE*{o.sets}*{gs06}", f"IEA*1*{isa13}"]

    # ------------------------------------------------------------ one transaction set

    def _plans(self, quota: int, k: int) -> Iterator[_Plan]:
        rng = random.Random(f"plan:{self.o.seed}:{k}")
        left = quota
        while left > 0:
            plan = self._plan(rng)
            if len(plan.emitted) > left:
                plan.emitted = plan.emitted[:left]
            left -= len(plan.emitted)
            yield plan

    def _plan(self, rng: random.Random) -> _Plan:
        mix = self.o.mix
        if mix.file_type == "audit":
            action = "030"
        else:
            action = rng.choices(
                ("021", "001", "024", "025"),
                (mix.addition, mix.change, mix.termination, mix.reinstatement),
            )[0]
        roles = ["18"]
        if rng.random() < 0.55:
            roles.append("01")
        kids = rng.choices((0, 1, 2, 3, 4), (40, 20, 22, 12, 6))[0]
        roles.extend(["19"] * kids)
        twins = kids >= 2 and rng.random() < mix.twins
        everyone = list(range(len(roles)))
        single = False
        if action == "001" or (action in ("021", "024") and len(roles) > 1 and rng.random() < 0.15):
            single = True
            if action == "001" and (len(roles) == 1 or rng.random() < 0.7):
                everyone = [0]
            else:
                everyone = [len(roles) - 1] if action == "021" else [_between(rng, 1, len(roles))]
        return _Plan(action, roles, everyone, twins, single)

    def _set(
        self, quota: int, k: int, isa13: str, gs06: str, ccyymmdd: str, hhmm: str
    ) -> Iterator[list[str] | TruthMember]:
        o = self.o
        st02 = f"{k:04d}"
        subscribers = dependents = 0
        for plan in self._plans(quota, k):
            for idx in plan.emitted:
                if plan.roles[idx] == "18":
                    subscribers += 1
                else:
                    dependents += 1
        action_code = "4" if o.mix.file_type == "audit" else "2"
        effective = o.effective_date or _first_of_next_month(o.file_date)
        header = [f"ST*834*{st02}*005010X220A1" if self.v5 else f"ST*834*{st02}",
                  f"BGN*00*{self.tag}{st02}*{ccyymmdd}*{hhmm}****{action_code}",
                  f"REF*38*{o.sponsor_id[-6:]}GRP",
                  f"DTP*007*D8*{_d8(effective)}"]
        if self.v5:
            header += [f"QTY*TO*{quota}", f"QTY*ET*{subscribers}", f"QTY*DT*{dependents}"]
        header += [f"N1*P5*{o.sponsor_name}*FI*{o.sponsor_id}",
                   f"N1*IN*{o.payer_name}*FI*{o.payer_id}"]
        yield header
        count = len(header)
        rng = random.Random(o.seed * 1_000_003 + k)
        ordinal = 0
        for plan in self._plans(quota, k):
            for segs, truth in self._family(rng, plan, isa13, gs06, st02, ordinal, effective):
                count += len(segs)
                ordinal += 1
                yield segs
                yield truth
        yield [f"SE*{count + 1}*{st02}"]

    # ------------------------------------------------------------ one family

    def _family(
        self, rng: random.Random, plan: _Plan, isa13: str, gs06: str, st02: str,
        ordinal: int, effective: dt.date,
    ) -> Iterator[tuple[list[str], TruthMember]]:
        o, mix, c = self.o, self.o.mix, self.c
        c.family += 1
        fam = _Family(
            last=self._name(rng, LAST_NAMES),
            address=self._address(rng),
            phone=f"5555550{_between(rng, 100, 200)}",
            subscriber_number=f"{self.tag}{c.family:07d}",
            group=f"GRP{_between(rng, 1, 4):03d}",
            lines=["HLT"] + [x for x, p in (("DEN", 0.6), ("VIS", 0.4)) if rng.random() < p],
        )
        fam.plans = {line: _pick(rng, PLANS[line]) for line in fam.lines}
        spouse = "01" in plan.roles
        kids = plan.roles.count("19")
        fam.level = ("FAM" if kids else "ESP") if spouse else ("ECH" if kids else "EMP")
        cobra = plan.action in ("021", "030") and rng.random() < mix.cobra
        fam.cobra_event = _pick(rng, ("1", "2")) if cobra else ""
        medicare = rng.random() < mix.medicare
        today = o.file_date.toordinal()
        sub_age = _between(rng, 65, 72) if medicare else _between(rng, 24, 64)
        sub_dob = dt.date.fromordinal(today - sub_age * 365 - _between(rng, 0, 365))
        kid_days = min(365 * 25, (sub_age - 17) * 365)  # children are younger than parents
        twin_dob = dt.date.fromordinal(today - _between(rng, 30, min(365 * 16, kid_days)))
        term_end = dt.date.fromordinal(effective.toordinal() - 1)
        reason_all = {"021": "09" if cobra else "28", "001": "", "024": _pick(rng, ("07", "08")),
                      "025": "41", "030": "XN"}[plan.action]
        for idx in plan.emitted:
            role = plan.roles[idx]
            c.person += 1
            c.sequence += 1
            ordinal += 1
            kid_no = plan.roles[: idx + 1].count("19")
            twin = plan.twins and not plan.single and role == "19" and kid_no > kids - 2
            gender = _pick(rng, "FM") if role != "01" else "F" if rng.random() < 0.8 else "M"
            first = self._name(rng, FEMALE_NAMES if gender == "F" else MALE_NAMES)
            middle = _pick(rng, "ABCDEJKLMRST") if rng.random() < 0.5 else ""
            if role == "18":
                dob = sub_dob
            elif role == "01":
                dob = dt.date.fromordinal(sub_dob.toordinal() + _between(rng, -1800, 1800))
            elif twin:
                dob = twin_dob
            else:
                dob = dt.date.fromordinal(today - _between(rng, 1, kid_days))
            has_ssn = role != "19" or rng.random() >= mix.dependent_without_ssn
            ssn = f"9{(c.person * 48271 + self.ssn_offset) % 10**8:08d}" if has_ssn else ""
            if plan.single and plan.action == "021" and role == "19":
                reason = "02"
                dob = dt.date.fromordinal(today - _between(rng, 1, 60))
            elif plan.single and plan.action == "021":
                reason = "32"
            elif plan.action == "001":
                reason = "25" if rng.random() < mix.correction else _pick(rng, ("43", "33"))
            elif plan.single and plan.action == "024":
                reason = "01" if role == "01" else "07"
            else:
                reason = reason_all
            age = (today - dob.toordinal()) // 365
            mplan = "C" if medicare and role == "18" else ""
            employment = ""
            if role == "18":
                employment = "TE" if cobra or reason == "08" else "RT" if medicare else "FT"
            identifiers = (("F6", self._mbi(rng)),) if mplan else ()
            dates = self._member_dates(rng, plan.action, effective, term_end, cobra)
            if mplan:
                dates.append(("338", _add_months(sub_dob, 65 * 12)))
            old: TruthOld | None = None
            address = fam.address
            if reason == "25":
                old = self._old(rng, fam.last, first, dob, gender)
            elif reason == "43":
                address = replace(self._address(rng), line2="", city=address.city,
                                  state=address.state, postal_code=address.postal_code)
            truth = TruthMember(
                interchange_control=isa13, group_control=gs06, set_control=st02,
                ordinal=ordinal, sequence=c.sequence, subscriber=role == "18",
                relationship=role, maintenance_type=plan.action, maintenance_reason=reason,
                benefit_status="C" if cobra else "A", medicare_plan=mplan,
                medicare_reason="0" if mplan and self.v5 else "", cobra_event=fam.cobra_event,
                employment_status=employment,
                student_status="F" if role == "19" and age >= 19 else "",
                birth_sequence=(kid_no - (kids - 2)) if twin else None,
                subscriber_number=fam.subscriber_number, group_policy_number=fam.group,
                identifiers=identifiers, dates=tuple(dates), last=fam.last, first=first,
                middle=middle, ssn=ssn, birth_date=dob, gender=gender,
                marital_status=("M" if spouse else "I") if role in ("18", "01") else "",
                phone=fam.phone if role == "18" else "", address=address, old=old,
                coverages=self._coverages(rng, plan.action, reason, fam, effective, term_end,
                                          dates[0][1]),
                categories=(self._categories(rng, effective)
                            if self.v5 and rng.random() < mix.reporting_categories else ()),
            )
            if o.bad_member == c.sequence:
                truth = replace(truth, benefit_status="Q", defect="INS05 invalid code")
            yield self._render(truth), truth

    def _render(self, t: TruthMember) -> list[str]:
        """The segments of one 2000 loop, written from its truth."""
        d8 = self._d8
        ins06 = f"{t.medicare_plan}:{t.medicare_reason}" if t.medicare_reason else t.medicare_plan
        segs = [
            _join("INS", "Y" if t.subscriber else "N", t.relationship, t.maintenance_type,
                  t.maintenance_reason, t.benefit_status, ins06, t.cobra_event,
                  t.employment_status, t.student_status, "", "", "", "", "", "", "",
                  str(t.birth_sequence) if t.birth_sequence else ""),
            f"REF*0F*{t.subscriber_number}",
            f"REF*1L*{t.group_policy_number}",
        ]
        segs += [f"REF*{q}*{v}" for q, v in t.identifiers]
        segs += [f"DTP*{q}*D8*{d8(d)}" for q, d in t.dates]
        segs.append(_join("NM1", "IL", "1", t.last, t.first, t.middle, "", "",
                          "34" if t.ssn else "", t.ssn))
        if t.phone:
            segs.append(f"PER*IP**HP*{t.phone}")
        a = t.address
        segs += [_join("N3", a.line1, a.line2), f"N4*{a.city}*{a.state}*{a.postal_code}",
                 _join("DMG", "D8", d8(t.birth_date), t.gender, t.marital_status)]
        if t.old is not None:
            segs.append(_join("NM1", "70", "1", t.old.last, t.old.first))
            if t.old.birth_date is not None:
                segs.append(f"DMG*D8*{d8(t.old.birth_date)}*{t.old.gender}")
        for cov in t.coverages:
            segs.append(_join("HD", cov.maintenance_type, "", cov.insurance_line,
                              cov.plan_description, cov.coverage_level))
            segs += [f"DTP*{q}*D8*{d8(d)}" for q, d in cov.dates]
        if t.categories:
            segs.append("LS*2700")
            for n, cat in enumerate(t.categories, 1):
                segs += [f"LX*{n}", f"N1*75*{cat.name}", f"REF*{cat.qualifier}*{cat.value}",
                         f"DTP*007*D8*{d8(cat.date)}"]
            segs.append("LE*2700")
        return segs

    def _d8(self, d: dt.date) -> str:
        text = self._dates.get(d)
        if text is None:
            text = self._dates[d] = _d8(d)
        return text

    def _address(self, rng: random.Random) -> TruthAddress:
        city, state = _pick(rng, CITIES)
        return TruthAddress(
            f"{_between(rng, 10, 9999)} {_pick(rng, STREETS)} {_pick(rng, STREET_KINDS)}",
            f"APT {_between(rng, 1, 40)}" if rng.random() < 0.2 else "",
            city, state, f"{_between(rng, 10000, 99999):05d}",
        )

    def _member_dates(
        self, rng: random.Random, action: str, effective: dt.date, term_end: dt.date, cobra: bool
    ) -> list[tuple[str, dt.date]]:
        if action == "021":
            dates = [("356", effective)]
        elif action == "030":
            dates = [("356", _add_months(effective, -_between(rng, 2, 60)))]
        elif action == "024":
            dates = [("357", term_end)]
        else:
            dates = [("303", effective)]
        if cobra:
            event = dt.date.fromordinal(effective.toordinal() - _between(rng, 1, 60))
            end = dt.date.fromordinal(_add_months(effective, 18).toordinal() - 1)
            dates += [("301", event), ("340", effective), ("341", end)]
        return dates

    def _old(
        self, rng: random.Random, last: str, first: str, dob: dt.date, gender: str
    ) -> TruthOld:
        """2100B values of an identity correction: an old last name, an old DOB, or both."""
        kind = _pick(rng, ("name", "dob", "both"))
        old_dob = None
        if kind != "name":
            old_dob = dt.date.fromordinal(
                dob.toordinal() + _pick(rng, (-1, 1)) * _between(rng, 1, 400))
        old_last = last
        if kind != "dob":
            old_last = self._name(rng, LAST_NAMES)
            if old_last == last:
                old_last = f"{last}E"
        return TruthOld(old_last, first, old_dob, gender if old_dob else "")

    def _coverages(
        self, rng: random.Random, action: str, reason: str, fam: _Family, effective: dt.date,
        term_end: dt.date, begin: dt.date,
    ) -> tuple[TruthCoverage, ...]:
        if action == "001":
            if reason != "33":
                return ()  # demographic-only changes carry no HD
            line = _pick(rng, fam.lines)
            return (TruthCoverage("001", line, fam.plans[line], fam.level,
                                  (("303", effective),)),)
        if action == "024":
            cov_dates: tuple[tuple[str, dt.date], ...] = (("349", term_end),)
        elif action == "025":
            cov_dates = (("348", effective), ("303", effective))
        else:
            cov_dates = (("348", begin),)
        return tuple(TruthCoverage(action, line, fam.plans[line], fam.level, cov_dates)
                     for line in fam.lines)

    def _categories(self, rng: random.Random, effective: dt.date) -> tuple[TruthCategory, ...]:
        picks = rng.sample(CATEGORIES, _between(rng, 1, 3))
        out = []
        for name, qual in picks:
            if name == "RATING AREA":
                value = f"R-{_pick(rng, CITIES)[1]}{_between(rng, 1, 20):03d}"
            elif name == "FIPS CODE":
                value = f"{_between(rng, 1000, 56999):05d}"
            elif name == "NEWBORN INDICATOR":
                value = _pick(rng, "YN")
            else:
                value = f"DIV-{_between(rng, 1, 30):02d}"
            out.append(TruthCategory(name, qual, value, effective))
        return tuple(out)

    def _name(self, rng: random.Random, names: tuple[str, ...]) -> str:
        name = _pick(rng, names)
        return name.translate(_ASCII) if self.o.ascii_only else name

    @staticmethod
    def _mbi(rng: random.Random) -> str:
        """An 11-character id shaped like a Medicare Beneficiary Identifier (never a real one)."""
        L = MBI_LETTERS
        d = "0123456789"
        return "".join((
            str(_between(rng, 1, 10)), _pick(rng, L), _pick(rng, L + d), _pick(rng, d),
            _pick(rng, L), _pick(rng, L + d), _pick(rng, d), _pick(rng, L), _pick(rng, L),
            _pick(rng, d), _pick(rng, d),
        ))
