"""A full disk under a whole site, through lighttpd: pings to a site whose data
folder (the store) and archive folder (pages, ID.xml) are full answer an error,
never success and never a traceback; nothing already stored or published is
damaged; once there is room again pings are stored and `mtpy rebuild` repairs
the pages. (tests/test_faults.py covers read-only folders, the popup's caches
and the flat store's journal with a little room left.)

Two ways of filling the disk, each on SQLite and flat files:

- "tmpfs": the data and archive folders become tiny tmpfs mounts filled to the
  last byte (test_faults.full_disk). It needs root and mount; without them it
  falls back to the next way (under CI=true nothing may skip).
- "fsize": the scripts run under RLIMIT_FSIZE 0 (a `#!` wrapper sets
  `ulimit -f 0` and ignores SIGXFSZ while a flag file exists), so every write
  of theirs fails with EFBIG as writes to a full disk fail with ENOSPC. It
  simulates a disk with no room left for the scripts' writes only (lighttpd and
  the test itself write as usual), and runs anywhere.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import ROOT, wait_until_idle
from support.faults import IS_ROOT, full_disk

sys.path.insert(0, os.path.join(ROOT, "bench"))
import stress  # noqa: E402  (bench/stress.py)

WRAPPER = """#!/bin/sh
# The disk is full while this flag exists: no file may grow (RLIMIT_FSIZE 0),
# and a write past it fails (EFBIG) instead of killing the script (SIGXFSZ).
if [ -e %(flag)s ]; then
    trap '' XFSZ
    ulimit -f 0
fi
exec %(python)s "$@"
"""


def can_mount_tmpfs(folder):
    if not IS_ROOT or not shutil.which("mount"):
        return False
    probe = os.path.join(folder, "probe")
    os.mkdir(probe)
    try:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", probe],
                              capture_output=True, timeout=30)
        if done.returncode == 0:
            subprocess.run(["umount", probe], capture_output=True, timeout=30)
        return done.returncode == 0
    finally:
        os.rmdir(probe)


@pytest.fixture(params=["sqlite", "flat"])
def backend(request):
    return request.param


@pytest.fixture(params=["tmpfs", "fsize"])
def filled(request, tmp_path, backend):
    """(site, a context manager in which its disk is full, the way used)."""
    way = request.param
    if way == "tmpfs" and not can_mount_tmpfs(str(tmp_path)):
        way = "fsize"     # the fault must run: simulate it
    flag = str(tmp_path / "disk-is-full")
    wrapper = str(tmp_path / "python-on-a-full-disk")
    with open(wrapper, "w") as handle:
        handle.write(WRAPPER % {"flag": flag, "python": sys.executable})
    os.chmod(wrapper, 0o755)
    site = stress.StressSite(str(tmp_path / "site"), backend, python=wrapper if way == "fsize" else sys.executable,
                             entries=2)

    @contextlib.contextmanager
    def full():
        if way == "fsize":
            open(flag, "w").close()
            try:
                yield
            finally:
                os.unlink(flag)
            return
        # The lighttpd process keeps no file open in these folders; a ping's
        # deferred work may: let it finish before the folders move.
        wait_until_idle(site.site, None, 0, quiet=5, bound=30)
        with full_disk(os.path.join(site.folder, "data")), full_disk(site.site.archives):
            yield

    yield site, full, way
    site.stop()


def ping(site, number, tag):
    item = site.items[number % len(site.items)]
    url = "http://%s.example/%d" % (tag, number)
    status, body = stress.send_ping(site.site.port, site.ping_path(item),
                                    {"url": url, "title": "%s %d" % (tag, number)})
    return stress.Answer(url, item.id, status, body)


def test_full_disk_refuses_pings_and_damages_nothing(filled):
    site, full, way = filled
    before = [ping(site, number, "before") for number in range(len(site.items))]   # one per entry
    assert all(answer.success for answer in before), [answer.body for answer in before]
    wait_until_idle(site.site, None, 0, quiet=5, bound=60)
    stress.check_pages_show_pings(site, stress.stored_pings(site))

    with full():
        during = [ping(site, number, "full") for number in range(2)]
        for answer in during:
            assert b"Traceback" not in answer.body and b"File \"" not in answer.body, answer.body
            assert not answer.success, "%s answered success on a full disk (%s)" % (answer.url, way)
            assert answer.status in (200, 500, 503, 507), (answer.status, answer.body)
            # mt-tb.cgi's own answer (not the web server's page for a script that died):
            # a TrackBack error document.
            root = ET.fromstring(answer.body)
            assert root.tag == "response" and root.findtext("error") == "1" and root.findtext("message")
        stress.check_files_whole(site)      # pages and feeds whole
    if way == "tmpfs":      # (under RLIMIT_FSIZE the log cannot be written either)
        assert "mt-tb.cgi failed" in site.site.log()
    # Nothing already stored is damaged: the store opens (SQLite cannot open
    # its WAL on a full disk, even to read) and holds every earlier ping, and
    # none of the refused ones.
    pings = stress.check_stored(site, before)
    assert sorted(p.source_url for found in pings.values() for p in found) == sorted(a.url for a in before)

    after = [ping(site, number, "after") for number in range(len(site.items))]
    assert all(answer.success for answer in after), [answer.body for answer in after]
    pings = stress.check_stored(site, before + after)
    assert not any(p.source_url.startswith("http://full.") for found in pings.values() for p in found)
    stress.repair(site)
    stress.check_files_whole(site)
    stress.check_pages_show_pings(site, stress.stored_pings(site))
