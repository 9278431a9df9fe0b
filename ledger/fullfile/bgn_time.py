"""When a full file was created: BGN03 date + BGN04 time in the BGN05 time zone, as UTC.

A full file never undoes a change the ledger recorded after the file was
created, so BGN03/BGN04 must become the same kind of instant as the ledger's
record times (UTC). BGN05 (X12 element 623, time code) says which clock BGN04
was read from:

- fixed offsets: UT and GM (UTC); the standard and daylight codes ES/ED, CS/CD,
  MS/MD, PS/PD, AS/AD (Alaska), HS/HD (Hawaii-Aleutian), NS/ND (Newfoundland),
  TS/TD (Atlantic); 01-12 = ISO P01-P12 (UTC+1 ... UTC+12), 13-24 = ISO M12-M01
  (UTC-12 ... UTC-1);
- zones that follow daylight saving time: ET, CT, MT, PT, AT (Alaska), HT
  (Hawaii: no daylight time), NT, TT — read with the IANA zone of the table
  below (standard time when the system has no time-zone database);
- LT (local time), no BGN05 at all, or a code outside the list: UTC. The
  payer's companion guide asks partners to send BGN05 when BGN04 is not UTC.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

FIXED_HOURS: dict[str, float] = {
    "UT": 0, "GM": 0, "ES": -5, "ED": -4, "CS": -6, "CD": -5, "MS": -7, "MD": -6, "PS": -8,
    "PD": -7, "AS": -9, "AD": -8, "HS": -10, "HD": -9, "NS": -3.5, "ND": -2.5, "TS": -4,
    "TD": -3,
    **{f"{n:02d}": float(n) for n in range(1, 13)},
    **{f"{n:02d}": float(n - 25) for n in range(13, 25)},
}  # fmt: skip
"""BGN05 codes with a fixed offset from UTC, in hours."""

ZONES: dict[str, tuple[str, float]] = {
    "ET": ("America/New_York", -5), "CT": ("America/Chicago", -6),
    "MT": ("America/Denver", -7), "PT": ("America/Los_Angeles", -8),
    "AT": ("America/Anchorage", -9), "HT": ("Pacific/Honolulu", -10),
    "NT": ("America/St_Johns", -3.5), "TT": ("America/Halifax", -4),
}  # fmt: skip
"""BGN05 codes that follow daylight saving time: IANA zone, standard offset (fallback)."""


@cache
def zone(code: str) -> dt.tzinfo:
    """The clock a BGN05 code names; UTC for LT, blank and unknown codes."""
    code = code.strip().upper()
    if code in FIXED_HOURS:
        return dt.timezone(dt.timedelta(hours=FIXED_HOURS[code]))
    if code in ZONES:
        name, standard = ZONES[code]
        try:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return dt.timezone(dt.timedelta(hours=standard))
    return dt.UTC


def bgn_instant(date: dt.date | None, time: str, time_code: str) -> dt.datetime | None:
    """BGN03 + BGN04 (HHMM[SS[DD]]) read in the BGN05 zone, converted to UTC.

    None without a date; an unreadable time counts as midnight. In a zone that
    follows daylight saving time, a wall time that occurs twice (autumn) is the
    first of the two.
    """
    if date is None:
        return None
    digits = "".join(c for c in time if c.isdigit())
    hh, mm, ss = int(digits[0:2] or 0), int(digits[2:4] or 0), int(digits[4:6] or 0)
    try:
        wall = dt.datetime.combine(date, dt.time(hh, mm, ss))
    except ValueError:
        wall = dt.datetime.combine(date, dt.time(0))
    return wall.replace(tzinfo=zone(time_code)).astimezone(dt.UTC)
