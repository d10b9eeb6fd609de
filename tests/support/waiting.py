"""Waiting, bounded, for what happens after an answer: work a script runs
once it has answered (republishing, sending pings, mail) in a real server's
process, a file a server writes, a line in a log."""

import os
import time

from support.sites import queued_jobs


def wait_for(condition, seconds=30, interval=0.05):
    """The value of `condition()` once it is true; AssertionError after
    `seconds` (a test that expects it not to come calls the condition itself)."""
    give_up = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= give_up:
            raise AssertionError("not done in %s s" % seconds)
        time.sleep(interval)


def file_appears(path):
    """A condition for wait_for: the file exists."""
    return lambda: os.path.exists(path)


def no_jobs_left(site):
    """A condition for wait_for: the site's queue is empty."""
    return lambda: not queued_jobs(site)


def wait_until_idle(site, collector, expected, quiet=10, bound=240):
    """Wait until every job is gone and `expected` mails arrived in the
    collector (its `messages`; None: no mail), or nothing changed for `quiet`
    seconds (a lost job never finishes), or `bound` seconds in all."""
    started = last_change = time.time()
    seen = None
    while time.time() - started < bound:
        state = (len(queued_jobs(site)), len(collector.messages) if collector else 0)
        if state == (0, expected):
            return
        if state != seen:
            seen, last_change = state, time.time()
        elif time.time() - last_change > quiet:
            return
        time.sleep(0.25)
