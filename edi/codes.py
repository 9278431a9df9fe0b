"""X12 834 code lists as enums: the member name says what the code means.

Each enum's values are the codes as they appear in the file. `parse_code()`
turns a raw element into the enum or None; the caller reports unknown codes
as findings (an unknown code is never a crash).
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar

E = TypeVar("E", bound=Enum)


def parse_code(enum: type[E], raw: str) -> E | None:
    """The enum member whose value is `raw` (stripped), or None (also for '')."""
    value = raw.strip()
    if not value:
        return None
    try:
        return enum(value)
    except ValueError:
        return None


class YesNo(StrEnum):
    YES = "Y"
    NO = "N"


class BgnPurpose(StrEnum):
    """BGN01."""

    ORIGINAL = "00"
    RESUBMISSION = "15"
    INFORMATION_COPY = "22"


class ActionCode(StrEnum):
    """BGN08: what kind of file this is."""

    CHANGE = "2"
    VERIFY = "4"
    REPLACE = "RX"


class Relationship(StrEnum):
    """INS02 individual relationship code."""

    SPOUSE = "01"
    FATHER_OR_MOTHER = "03"
    GRANDPARENT = "04"
    GRANDCHILD = "05"
    UNCLE_OR_AUNT = "06"
    NEPHEW_OR_NIECE = "07"
    COUSIN = "08"
    ADOPTED_CHILD = "09"
    FOSTER_CHILD = "10"
    SON_OR_DAUGHTER_IN_LAW = "11"
    BROTHER_OR_SISTER_IN_LAW = "12"
    MOTHER_OR_FATHER_IN_LAW = "13"
    SIBLING = "14"
    WARD = "15"
    STEPPARENT = "16"
    STEPCHILD = "17"
    SELF = "18"
    CHILD = "19"
    SPONSORED_DEPENDENT = "23"
    DEPENDENT_OF_MINOR_DEPENDENT = "24"
    EX_SPOUSE = "25"
    GUARDIAN = "26"
    COURT_APPOINTED_GUARDIAN = "31"
    COLLATERAL_DEPENDENT = "38"
    LIFE_PARTNER = "53"
    ANNUITANT = "60"
    TRUSTEE = "D2"
    OTHER_RELATIONSHIP = "G8"
    OTHER_RELATIVE = "G9"


class MaintenanceType(StrEnum):
    """INS03 and HD01."""

    CHANGE = "001"
    DELETE = "002"
    ADDITION = "021"
    TERMINATION = "024"
    REINSTATEMENT = "025"
    CORRECTION = "026"
    AUDIT = "030"
    NOT_APPLICABLE = "032"


class MaintenanceReason(StrEnum):
    """INS04 (and HD02 uses no list in X220A1)."""

    DIVORCE = "01"
    BIRTH = "02"
    DEATH = "03"
    RETIREMENT = "04"
    ADOPTION = "05"
    STRIKE = "06"
    TERMINATION_OF_BENEFITS = "07"
    TERMINATION_OF_EMPLOYMENT = "08"
    COBRA = "09"
    COBRA_PREMIUM_PAID = "10"
    SURVIVING_SPOUSE = "11"
    VOLUNTARY_WITHDRAWAL = "14"
    PCP_CHANGE = "15"
    QUIT = "16"
    FIRED = "17"
    SUSPENDED = "18"
    ACTIVE = "20"
    DISABILITY = "21"
    PLAN_CHANGE = "22"
    CHANGE_IN_IDENTIFYING_DATA = "25"
    DECLINED_COVERAGE = "26"
    PRE_ENROLLMENT = "27"
    INITIAL_ENROLLMENT = "28"
    BENEFIT_SELECTION = "29"
    LEGAL_SEPARATION = "31"
    MARRIAGE = "32"
    PERSONNEL_DATA = "33"
    LEAVE_WITH_BENEFITS = "37"
    LEAVE_WITHOUT_BENEFITS = "38"
    LAYOFF_WITH_BENEFITS = "39"
    LAYOFF_WITHOUT_BENEFITS = "40"
    RE_ENROLLMENT = "41"
    CHANGE_OF_LOCATION = "43"
    NON_PAYMENT = "59"
    PCP_DISSATISFIED_OFFICE_HOURS = "AA"
    PCP_DISSATISFIED_QUALITY = "AB"
    PCP_DISSATISFIED_REFERRALS = "AC"
    PCP_DISSATISFIED_ACCESS = "AD"
    PCP_DISSATISFIED_AE = "AE"
    PCP_DISSATISFIED_SERVICE = "AF"
    PCP_DISSATISFIED_OTHER = "AG"
    PATIENT_MOVED = "AH"
    NO_REASON_GIVEN = "AI"
    PCP_DISSATISFIED_AJ = "AJ"
    ALGORITHM_ASSIGNED = "AL"
    MEMBER_BENEFIT_SELECTION = "EC"
    NOTIFICATION_ONLY = "XN"
    TRANSFER = "XT"


class BenefitStatus(StrEnum):
    """INS05. T is TEFRA, not 'terminated'."""

    ACTIVE = "A"
    COBRA = "C"
    SURVIVING_INSURED = "S"
    TEFRA = "T"


class MedicarePlan(StrEnum):
    """INS06-1."""

    PART_A = "A"
    PART_B = "B"
    PARTS_A_AND_B = "C"
    MEDICARE = "D"
    NO_MEDICARE = "E"


class MedicareReason(StrEnum):
    """INS06-2."""

    AGE = "0"
    DISABILITY = "1"
    ESRD = "2"


class CobraEvent(StrEnum):
    """INS07 COBRA qualifying event."""

    TERMINATION_OF_EMPLOYMENT = "1"
    REDUCTION_OF_HOURS = "2"
    MEDICARE = "3"
    DEATH = "4"
    DIVORCE = "5"
    SEPARATION = "6"
    INELIGIBLE_CHILD = "7"
    BANKRUPTCY_OF_RETIREE_EMPLOYER = "8"
    LAYOFF = "9"
    LEAVE_OF_ABSENCE = "10"
    MUTUALLY_DEFINED = "ZZ"


class EmploymentStatus(StrEnum):
    """INS08."""

    ACTIVE = "AC"
    ACTIVE_MILITARY_OVERSEAS = "AO"
    ACTIVE_MILITARY_USA = "AU"
    FULL_TIME = "FT"
    LEAVE_OF_ABSENCE = "L1"
    PART_TIME = "PT"
    RETIRED = "RT"
    TERMINATED = "TE"


class StudentStatus(StrEnum):
    """INS09."""

    FULL_TIME = "F"
    NOT_A_STUDENT = "N"
    PART_TIME = "P"


class Confidentiality(StrEnum):
    """INS13."""

    RESTRICTED = "R"
    UNRESTRICTED = "U"


class Gender(StrEnum):
    """DMG03."""

    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class MaritalStatus(StrEnum):
    """DMG04."""

    REGISTERED_DOMESTIC_PARTNER = "B"
    DIVORCED = "D"
    SINGLE = "I"
    MARRIED = "M"
    UNREPORTED = "R"
    SEPARATED = "S"
    UNMARRIED = "U"
    WIDOWED = "W"
    LEGALLY_SEPARATED = "X"


class InsuranceLine(StrEnum):
    """HD03 (the PYX-MAP list plus the three SE-GUIDE adds)."""

    PREVENTIVE_CARE = "AG"
    TWENTY_FOUR_HOUR_CARE = "AH"
    MEDICARE_RISK = "AJ"
    MENTAL_HEALTH = "AK"
    DENTAL_CAPITATION = "DCP"
    DENTAL = "DEN"
    EPO = "EPO"
    FACILITY = "FAC"
    HEARING = "HE"
    HEALTH = "HLT"
    HMO = "HMO"
    LONG_TERM_CARE = "LTC"
    LONG_TERM_DISABILITY = "LTD"
    MAJOR_MEDICAL = "MM"
    MAIL_ORDER_DRUG = "MOD"
    PRESCRIPTION_DRUG = "PDG"
    POS = "POS"
    PPO = "PPO"
    PRACTITIONERS = "PRA"
    SHORT_TERM_DISABILITY = "STD"
    UTILIZATION_REVIEW = "UR"
    VISION = "VIS"
    # In SE-GUIDE, not in pyx12's map: accepted, and flagged by the IG validator.
    AC = "AC"
    ACCIDENTAL_DEATH = "ADD"
    LIFE = "LIF"


class CoverageLevel(StrEnum):
    """HD05."""

    CHILDREN_ONLY = "CHD"
    DEPENDENTS_ONLY = "DEP"
    EMPLOYEE_AND_ONE_DEPENDENT = "E1D"
    EMPLOYEE_AND_TWO_DEPENDENTS = "E2D"
    EMPLOYEE_AND_THREE_DEPENDENTS = "E3D"
    EMPLOYEE_AND_ONE_OR_MORE = "E5D"
    EMPLOYEE_AND_TWO_OR_MORE = "E6D"
    EMPLOYEE_AND_THREE_OR_MORE = "E7D"
    EMPLOYEE_AND_FOUR_OR_MORE = "E8D"
    EMPLOYEE_AND_FIVE_OR_MORE = "E9D"
    EMPLOYEE_AND_CHILDREN = "ECH"
    EMPLOYEE_ONLY = "EMP"
    EMPLOYEE_AND_SPOUSE = "ESP"
    FAMILY = "FAM"
    INDIVIDUAL = "IND"
    SPOUSE_AND_CHILDREN = "SPC"
    SPOUSE_ONLY = "SPO"
    TWO_PARTY = "TWO"


# Date qualifiers are kept as codes (strings) with these names for display.
DATE_QUALIFIERS: dict[str, str] = {
    "007": "effective",
    "090": "report_start",
    "091": "report_end",
    "050": "received",
    "286": "retirement",
    "296": "return_to_work",
    "297": "last_day_worked",
    "300": "enrollment_signature",
    "301": "cobra_qualifying_event",
    "303": "maintenance_effective",
    "336": "employment_begin",
    "337": "employment_end",
    "338": "medicare_begin",
    "339": "medicare_end",
    "340": "cobra_begin",
    "341": "cobra_end",
    "343": "premium_paid_to_end",
    "344": "cob_begin",
    "345": "cob_end",
    "348": "benefit_begin",
    "349": "benefit_end",
    "350": "education_begin",
    "351": "education_end",
    "356": "eligibility_begin",
    "357": "eligibility_end",
    "360": "disability_begin",
    "361": "disability_end",
    "382": "enrollment",
    "383": "adjusted_hire",
    "385": "credited_service_begin",
    "386": "credited_service_end",
    "388": "payment_commencement",
    "393": "plan_participation_suspension",
    "394": "rehire",
    "473": "medicaid_begin",
    "474": "medicaid_end",
    "543": "last_premium_paid",
    "695": "previous_period",
}

# REF qualifiers that identify a person (2000 loop supplemental REFs).
IDENTIFIER_QUALIFIERS: dict[str, str] = {
    "0F": "subscriber_number",
    "1L": "group_or_policy_number",
    "17": "client_reporting_category",
    "23": "client_number",
    "3H": "case_number",
    "4A": "personal_identification_number",
    "6O": "cross_reference_number",
    "ABB": "personal_id_number",
    "D3": "ncpdp_pharmacy_number",
    "DX": "department_or_agency_number",
    "F6": "medicare_id",
    "P5": "position_code",
    "Q4": "prior_identifier_number",
    "QQ": "unit_number",
    "ZZ": "mutually_defined",
}
