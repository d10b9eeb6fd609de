"""Dates with fixed times (mtpy.dates): Movable Type's formats on the days,
hours and timezones where they go wrong, publishing's one clock, and the
zone of mail and log times. Nothing here reads the wall clock."""

import os
import subprocess
import sys
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

import pytest

from conftest import ROOT
from mtpy import dates, mail, web
from mtpy.dates import days_before, format_date, iso8601, utc_offset
from support.mtml import ARCHIVES, CALENDAR, weblog  # noqa: F401 (a fixture: a weblog in +09:00)
from support.publishing import publisher

CODES = "%a|%A|%b|%B|%d|%e|%H|%I|%j|%k|%l|%m|%M|%p|%S|%y|%Y|%Z|%%|%x|%X"
FIRST_OF_MARCH = "2027-03-01 00:30:00"      # a 1st of the month, as in `make test`'s faketime step


def entry_ids(source, weblog, now):
    return [int(number) for number in weblog.render(source, now=now).split(",")[:-1]]


# -- formats ------------------------------------------------------------------------------------

@pytest.mark.parametrize("stored, shown", [
    ("2027-03-01 00:30:00", "March  1, 2027 12:30 AM"),     # %e pads days 1-9 with a space
    ("2027-03-09 23:59:59", "March  9, 2027 11:59 PM"),
    ("2027-03-10 12:05:00", "March 10, 2027 12:05 PM"),
    ("2027-03-10 11:00:00", "March 10, 2027 11:00 AM"),
])
def test_default_format(stored, shown):
    assert dates.DEFAULT_FORMAT == "%B %e, %Y %I:%M %p"
    assert format_date(stored, 0) == shown


def test_every_code_on_day_1_and_day_10():
    assert format_date("2027-03-01 00:05:09", 0, CODES).split("|") == [
        "Mon", "Monday", "Mar", "March", "01", " 1", "00", "12", "060", " 0", "12", "03", "05", "AM",
        "09", "27", "2027", "+00:00", "%", "March  1, 2027", "12:05 AM"]
    # 07:37 UTC is 13:07 in +05:30
    assert format_date("2027-03-10 07:37:00", 5.5, CODES).split("|") == [
        "Wed", "Wednesday", "Mar", "March", "10", "10", "13", "01", "069", "13", " 1", "03", "07", "PM",
        "00", "27", "2027", "+05:30", "%", "March 10, 2027", "01:07 PM"]


@pytest.mark.parametrize("hour, shown", [
    (0, "12 12 AM 00  0"), (1, "01  1 AM 01  1"), (11, "11 11 AM 11 11"),
    (12, "12 12 PM 12 12"), (13, "01  1 PM 13 13"), (23, "11 11 PM 23 23"),
])
def test_twelve_hour_clock(hour, shown):
    stored = "2027-03-10 %02d:45:00" % hour
    assert format_date(stored, 0, "%I %l %p %H %k") == shown
    hour12, _, meridiem = shown.split()[:3]
    assert format_date(stored, 0, "%X") == "%s:45 %s" % (hour12, meridiem)


def test_codes_unknown_or_escaped_stay_as_written():
    assert format_date("2027-03-01 00:30:00", 0, "%q %%x 100% %%%Y") == "%q %x 100% %2027"
    assert format_date("", 9, "%Y") == ""


def test_29_february():
    assert format_date("2028-02-29 12:00:00", 0, "%A, %B %e, %Y (day %j)") == "Tuesday, February 29, 2028 (day 060)"
    assert format_date("2028-03-01 03:00:00", -5) == "February 29, 2028 10:00 PM"
    assert days_before("2028-03-01 00:00:00", 1) == "2028-02-29 00:00:00"
    assert days_before("2027-03-01 00:30:00", 1) == "2027-02-28 00:30:00"
    assert days_before("2027-01-01 00:00:00", 366) == "2025-12-31 00:00:00"


# -- timezones ------------------------------------------------------------------------------------

@pytest.mark.parametrize("hours, offset, short, iso, shown", [
    (0, "+00:00", "+0000", "2027-01-01T03:00:00+00:00", "January  1, 2027 03:00 AM"),
    (-5, "-05:00", "-0500", "2026-12-31T22:00:00-05:00", "December 31, 2026 10:00 PM"),
    (5.5, "+05:30", "+0530", "2027-01-01T08:30:00+05:30", "January  1, 2027 08:30 AM"),
    (-3.5, "-03:30", "-0330", "2026-12-31T23:30:00-03:30", "December 31, 2026 11:30 PM"),
    (5.75, "+05:45", "+0545", "2027-01-01T08:45:00+05:45", "January  1, 2027 08:45 AM"),
])
def test_timezones(hours, offset, short, iso, shown):
    stored = "2027-01-01 03:00:00"
    assert utc_offset(hours) == offset and utc_offset(hours, colon=False) == short
    assert iso8601(stored, hours) == iso
    assert format_date(stored, hours) == shown
    assert format_date(stored, hours, "%Z") == offset


def test_local_and_stored_times_round_trip():
    local = datetime(2026, 12, 31, 22, 0)
    assert dates.to_stored(local, -5) == "2027-01-01 03:00:00"
    assert dates.local_time("2027-01-01 03:00:00", -5) == local
    assert dates.to_stored(datetime(2027, 1, 1, 8, 30), 5.5) == "2027-01-01 03:00:00"


def test_new_year_comes_first_in_a_timezone_ahead(weblog):
    """23:30 UTC on 31 December is 08:30 on 1 January in +09:00: the entry's
    date, its monthly archive and "this month" of the calendar are January's."""
    stored = "2026-12-31 23:30:00"
    new_year = weblog.entry("New year", "Hi", stored, [])
    assert format_date(stored, 9) == "January  1, 2027 08:30 AM"
    assert format_date(stored, 0) == "December 31, 2026 11:30 PM"
    site = weblog.site(now=stored)
    assert site.month_archive(stored).month == (2027, 1)
    assert [archive.month for archive in site.archives("Monthly")] == [(2027, 1), (2026, 11), (2026, 10)]
    assert weblog.render("<MTEntries><$MTEntryID$>,</MTEntries>", page="monthly", month=(2027, 1)) == \
        "%d," % new_year.id
    assert weblog.render('<$MTDate format="%B %Y"$>', now=stored) == "January 2027"
    link = '<a href="%s%06d.html">1</a>' % (ARCHIVES, new_year.id)
    assert weblog.render(CALENDAR % "", now=stored).startswith("[_ _ _ _ _ %s! 2 ]\n" % link)


def test_a_weblog_behind_utc_keeps_the_old_month(weblog):
    weblog.blog.timezone = -5.0
    assert weblog.site().local_month("2027-01-01 03:00:00") == (2026, 12)
    assert weblog.site().local_month("2027-01-01 05:00:00") == (2027, 1)
    assert weblog.render('<$MTDate format="%Y-%m-%d %H:%M %Z"$>', now="2027-01-01 03:00:00") == \
        "2026-12-31 22:00 -05:00"


# -- the calendar and the last N days, at a fixed now --------------------------------------------------

@pytest.mark.parametrize("now, first_week", [
    (FIRST_OF_MARCH, "[_ 1! 2 3 4 5 6 ]\n"),               # 09:30 on Monday 1 March in +09:00
    ("2026-11-30 16:00:00", "[_ _ 1! 2 3 4 5 ]\n"),        # 01:00 on Tuesday 1 December in +09:00
    ("2027-03-10 12:00:00", "[_ 1 2 3 4 5 6 ]\n"),         # today is on another week
])
def test_calendar_of_this_month_marks_today(weblog, now, first_week):
    page = weblog.render(CALENDAR % "", now=now)
    assert page.startswith(first_week)
    assert page.count("!") == 1
    assert weblog.render('<$MTDate format="%B %Y"$>', now=now) == format_date(now, 9, "%B %Y")


def test_calendar_of_29_february(weblog):
    source = '<MTCalendar month="202802"><MTCalendarIfNoEntries><$MTCalendarDay$> </MTCalendarIfNoEntries></MTCalendar>'
    assert weblog.render(source) == "".join("%d " % day for day in range(1, 30))


@pytest.mark.parametrize("now, days, ids, perl_ids", [
    ("2026-11-05 06:00:00", 3, [5, 3], [3]),          # from 2 November 06:00 UTC
    ("2026-11-05 06:00:00", 4, [5, 3, 2], [3, 2]),
    ("2026-11-08 00:00:00", 3, [5], []),
    (FIRST_OF_MARCH, 3, [], []),
])
def test_the_last_n_days_count_back_from_the_same_now(weblog, now, days, ids, perl_ids):
    """<MTEntries days> and SiteView.entries(days=) agree, both counting back from the site's now."""
    site = weblog.site(now)
    assert entry_ids('<MTEntries days="%d"><$MTEntryID$>,</MTEntries>' % days, weblog, now) == ids
    assert [entry.id for entry in site.entries(days=days)] == ids
    assert entry_ids('<MTEntries category="Perl" days="%d"><$MTEntryID$>,</MTEntries>' % days, weblog, now) == \
        perl_ids
    assert [entry.id for entry in site.entries(category=site.categories_by_id[weblog.perl.id], days=days)] == \
        perl_ids


def test_a_rebuild_publishes_as_of_its_now(site):
    """Publisher(now=): this month's calendar of every page is now's month."""
    index = os.path.join(site.archives, "index.html")
    for now, month, linked in ((FIRST_OF_MARCH, "March 2027", False), ("2026-11-24 12:00:00", "November 2026", True)):
        store = site.store()
        rebuilt = publisher(site, store, now).rebuild_all()
        store.close()
        assert rebuilt.site.now == now
        with open(index, encoding="utf-8") as handle:
            page = handle.read()
        assert '<caption class="calendarhead">%s</caption>' % month in page
        assert ('">24</a>' in page) == linked        # the entry of 24 November in its month's calendar


# -- the clock, and the zone of mail and log times ---------------------------------------------------------

def test_the_clock_is_utc(monkeypatch):
    monkeypatch.setattr(dates.time, "time", lambda: 1803861000.0)
    assert dates.utc_now() == FIRST_OF_MARCH
    assert dates.utc_now(-3600) == "2027-02-28 23:30:00"


def test_mail_date_header_says_its_zone(monkeypatch):
    message = mail.build_message("a@example.com", "b@example.com", "Hi", "text\n", now=FIRST_OF_MARCH)
    assert message["Date"] == "Mon, 01 Mar 2027 00:30:00 +0000"
    assert parsedate_to_datetime(message["Date"]) == datetime(2027, 3, 1, 0, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(dates, "utc_now", lambda offset_seconds=0: "2028-02-29 23:59:59")
    assert mail.build_message("a@example.com", "b@example.com", "Hi", "text\n")["Date"] == \
        "Tue, 29 Feb 2028 23:59:59 +0000"


def test_log_lines_say_their_zone(tmp_path, monkeypatch):
    monkeypatch.setattr(dates, "utc_now", lambda offset_seconds=0: FIRST_OF_MARCH)
    log = tmp_path / "mtpy.log"
    web.log_error(str(log), "Something broke")
    assert log.read_text() == "[2027-03-01 00:30:00 +0000] Something broke\n"


def test_the_ping_path_imports_no_date_machinery():
    """mt-tb.cgi imports mtpy.dates for the clock: it must not bring datetime or re
    (functools it shares with sqlite3 and filelock, which load it anyway)."""
    probe = ("import sys; sys.path.insert(0, %r); before = set(sys.modules); import mtpy.dates; "
             "mtpy.dates.utc_now(-3600); print(' '.join(sorted(set(sys.modules) - before)))"
             % os.path.join(ROOT, "lib"))
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert "mtpy.dates" in loaded and not {"datetime", "_datetime", "re"} & set(loaded)
