"""Times: stored as UTC strings "YYYY-MM-DD HH:MM:SS", shown in a blog's offset."""

import time

STORED_FORMAT = "%Y-%m-%d %H:%M:%S"


def utc_now(offset_seconds=0):
    """The current UTC time (plus an offset) in the stored format."""
    return time.strftime(STORED_FORMAT, time.gmtime(time.time() + offset_seconds))


def to_datetime(stored, timezone_hours=0.0):
    """A stored UTC string as a naive datetime in the blog's local time."""
    from datetime import datetime, timedelta
    # Sliced rather than strptime'd: publishing converts every entry's date.
    moment = datetime(int(stored[0:4]), int(stored[5:7]), int(stored[8:10]),
                      int(stored[11:13]), int(stored[14:16]), int(stored[17:19]))
    return moment + timedelta(hours=timezone_hours) if timezone_hours else moment


def from_local(local_datetime, timezone_hours=0.0):
    """A naive datetime in the blog's local time, as a stored UTC string."""
    from datetime import timedelta
    return (local_datetime - timedelta(hours=timezone_hours)).strftime(STORED_FORMAT)


def iso8601(stored, timezone_hours=0.0):
    """W3C date-time in the blog's offset, as in dc:date: 2003-05-28T07:48:00+00:00."""
    local = to_datetime(stored, timezone_hours)
    minutes = int(round(timezone_hours * 60))
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return "%s%s%02d:%02d" % (local.strftime("%Y-%m-%dT%H:%M:%S"), sign, minutes // 60, minutes % 60)


def mt_format(stored, timezone_hours=0.0, fmt="%B %e, %Y %I:%M %p"):
    """Format with Movable Type's codes (strftime-like; %e is the unpadded day)."""
    local = to_datetime(stored, timezone_hours)
    fmt = fmt.replace("%e", str(local.day))
    return local.strftime(fmt)
