"""Times, all in one place.

mtpy stores every time as a UTC string "YYYY-MM-DD HH:MM:SS" (STORED_FORMAT),
reads the clock only through `utc_now`, and shows a time in a weblog's offset
from UTC (hours: 9.0, -5.0, 5.5) with Movable Type's date codes.

The ping path imports this module for `utc_now` alone and must stay cheap, so
`datetime` is imported only when a date is first converted.
Rebuilds turn the same few thousand times into the same few formats over and
over, so conversions and formats are memoized.
"""

import time
from functools import lru_cache   # loaded by sqlite3 and filelock anyway

STORED_FORMAT = "%Y-%m-%d %H:%M:%S"
DEFAULT_FORMAT = "%B %e, %Y %I:%M %p"    # MT's, for every date tag without format=


def utc_now(offset_seconds=0):
    """The clock: the current UTC time (plus an offset in seconds), stored form."""
    return time.strftime(STORED_FORMAT, time.gmtime(time.time() + offset_seconds))


# -- UTC and a weblog's local time ------------------------------------------------

@lru_cache(maxsize=65536)
def local_time(stored, timezone):
    """A stored UTC time as a naive datetime in a weblog's time (hours from UTC)."""
    from datetime import datetime, timedelta
    # Sliced rather than strptime'd: rebuilds convert every entry's date.
    moment = datetime(int(stored[0:4]), int(stored[5:7]), int(stored[8:10]),
                      int(stored[11:13]), int(stored[14:16]), int(stored[17:19]))
    return moment + timedelta(hours=float(timezone)) if timezone else moment


def to_stored(local, timezone):
    """A naive datetime in a weblog's time (hours from UTC), as a stored UTC time."""
    from datetime import timedelta
    return (local - timedelta(hours=float(timezone or 0))).strftime(STORED_FORMAT)


def days_before(stored, days):
    """The stored time `days` days before a stored time: where "the last N days" begin."""
    from datetime import timedelta
    return (local_time(stored, 0.0) - timedelta(days=days)).strftime(STORED_FORMAT)


def utc_offset(hours, colon=True):
    """A timezone in hours as MT wrote it: +09:00, -03:30 (+0900 without colon)."""
    minutes = int(round(float(hours or 0) * 60))
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return "%s%02d%s%02d" % (sign, minutes // 60, ":" if colon else "", minutes % 60)


# -- Movable Type's date codes ------------------------------------------------------
# English names, whatever the process locale (strftime's follow it).

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _hour12(hour):
    return hour % 12 or 12


# %e %k %l are space-padded like MT's (" 5"), which HTML shows as one space anyway.
_CODES = {
    "a": lambda d, tz: _WEEKDAYS[d.weekday()][:3],
    "A": lambda d, tz: _WEEKDAYS[d.weekday()],
    "b": lambda d, tz: _MONTHS[d.month - 1][:3],
    "B": lambda d, tz: _MONTHS[d.month - 1],
    "d": lambda d, tz: "%02d" % d.day,
    "e": lambda d, tz: "%2d" % d.day,
    "H": lambda d, tz: "%02d" % d.hour,
    "I": lambda d, tz: "%02d" % _hour12(d.hour),
    "j": lambda d, tz: "%03d" % d.timetuple().tm_yday,
    "k": lambda d, tz: "%2d" % d.hour,
    "l": lambda d, tz: "%2d" % _hour12(d.hour),
    "m": lambda d, tz: "%02d" % d.month,
    "M": lambda d, tz: "%02d" % d.minute,
    "p": lambda d, tz: "PM" if d.hour >= 12 else "AM",
    "S": lambda d, tz: "%02d" % d.second,
    "y": lambda d, tz: "%02d" % (d.year % 100),
    "Y": lambda d, tz: "%04d" % d.year,
    "Z": lambda d, tz: utc_offset(tz),
    "%": lambda d, tz: "%",
}
# English forms of MT's language-dependent codes.
_SHORTHANDS = {"x": "%B %e, %Y", "X": "%I:%M %p"}
DATE_CODES = frozenset(_CODES) | frozenset(_SHORTHANDS)


@lru_cache(maxsize=256)
def _compile_format(fmt):
    """A format as a tuple of literal strings and code functions. An unknown
    code stays as written (mtml rejects them in templates)."""
    parts, literal_start = [], 0
    position = fmt.find("%")
    while 0 <= position < len(fmt) - 1:
        code = fmt[position + 1]
        if code in DATE_CODES:
            parts.append(fmt[literal_start:position])
            parts.extend(_compile_format(_SHORTHANDS[code]) if code in _SHORTHANDS else [_CODES[code]])
            literal_start = position + 2
        position = fmt.find("%", position + 2)
    parts.append(fmt[literal_start:])
    return tuple(part for part in parts if part != "")


def format_local(moment, fmt, timezone=0.0):
    """A datetime already in a weblog's time, with MT's codes (%Z: the weblog's offset)."""
    return "".join(part if isinstance(part, str) else part(moment, timezone)
                   for part in _compile_format(fmt))


@lru_cache(maxsize=65536)
def _format_stored(stored, timezone, fmt):
    return format_local(local_time(stored, timezone), fmt, timezone)


def format_date(stored, timezone=0.0, fmt=DEFAULT_FORMAT):
    """A stored UTC time in a weblog's time, with MT's codes; "" for no time."""
    if not stored:
        return ""
    return _format_stored(stored, timezone or 0.0, fmt)


def iso8601(stored, timezone=0.0):
    """W3C date-time in a weblog's offset, as in dc:date: 2003-05-28T07:48:00-03:30."""
    return format_date(stored, timezone, "%Y-%m-%dT%H:%M:%S%Z")


def rfc5322(stored):
    """A stored time as an e-mail Date: header, in UTC: Tue, 01 Dec 2026 09:46:00 +0000."""
    return format_date(stored, 0.0, "%a, %d %b %Y %H:%M:%S +0000")
