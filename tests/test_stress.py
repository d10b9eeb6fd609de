"""Nothing is lost under load or when processes die: bench/stress.py (`make
stress`) at a size that fits `make test`. Through lighttpd running the scripts
as CGI, on SQLite and flat files, on a weblog that publishes and mails its
owner (spam settings left at their defaults):

- 8 clients at once: every answer a well-formed TrackBack document and no 5xx;
  every ping answered with success stored exactly once; every job done once
  (the queue empty, one mail per ping); pages and ID.xml whole and current.
- SIGKILL at random moments (a fixed seed) to mt-tb.cgi (the request or its
  deferred work), to `mtpy rebuild` and to mt.cgi saving entries: the store
  opens and holds everything answered as stored, every page and feed is whole,
  and `mtpy rebuild` repairs what is stale.
"""

import os
import random
import sys

import pytest

from conftest import ROOT, wait_until_idle

sys.path.insert(0, os.path.join(ROOT, "bench"))
import stress  # noqa: E402  (bench/stress.py)

CLIENTS = 8
PINGS = {"sqlite": 40, "flat": 24}     # flat files take a lock per ping: slower
SEED = 20261201
KILL_PINGS, KILL_REBUILDS, KILL_SAVES = 16, 2, 3


@pytest.fixture(params=["sqlite", "flat"])
def backend(request):
    return request.param


@pytest.fixture
def mailbox():
    box = stress.Mailbox()
    yield box
    box.stop()


def test_concurrent_pings_lose_nothing(tmp_path, backend, mailbox):
    site = stress.StressSite(str(tmp_path / "site"), backend, mailbox)
    try:
        answers, _ = stress.ping_load(site, PINGS[backend], CLIENTS)
        counts = stress.check_answers(answers)
        assert counts == {"success": PINGS[backend]}, counts     # throttles are off; these pings are plain
        pings = stress.check_stored(site, answers)
        assert sum(len(found) for found in pings.values()) == PINGS[backend]
        visible = sum(1 for found in pings.values() for ping in found if ping.visible)
        wait_until_idle(site.site, mailbox, visible, quiet=10, bound=120)
    finally:
        site.stop()
    pings = stress.check_stored(site, answers)
    assert stress.check_jobs_and_mail(site, mailbox, pings) == visible
    assert stress.check_files_whole(site) >= len(site.items) * 2
    assert "Traceback" not in site.site.log()
    stress.check_pages_show_pings(site, pings)


def test_killed_processes_lose_nothing(tmp_path, backend):
    rng = random.Random(SEED)
    site = stress.StressSite(str(tmp_path / "site"), backend)
    try:
        answers, killed = stress.kill_while_pinging(site, rng, KILL_PINGS, CLIENTS)
        stress.check_answers(answers, allow_failures=True)
        stress.check_stored(site, answers)
        stress.kill_while_rebuilding(site, rng, KILL_REBUILDS)
        saved, _ = stress.kill_while_saving(site, rng, KILL_SAVES)
    finally:
        site.stop()
    # Right after: the store opens, holds all that was answered, every file is whole.
    stress.check_stored(site, answers)
    stress.check_saved_entries(site, saved)
    stress.check_files_whole(site)
    # The owner's repair: `mtpy work`, `mtpy rebuild`; then the pages are current.
    stress.repair(site)
    stress.check_files_whole(site)
    stress.check_entry_pages(site, stress.check_saved_entries(site, saved))
    stress.check_pages_show_pings(site, stress.check_stored(site, answers))    # pages: repaired


def test_the_killer_kills_only_the_named_script(tmp_path):
    """The kills above are real: a process running the named script dies, one
    running another does not."""
    import subprocess
    import time
    script = str(tmp_path / "victim.py")
    other = str(tmp_path / "bystander.py")
    for path in (script, other):
        with open(path, "w") as handle:
            handle.write("import time\ntime.sleep(30)\n")
    victim = subprocess.Popen([sys.executable, script])
    bystander = subprocess.Popen([sys.executable, other])
    try:
        with stress.Killer(script, random.Random(SEED), share=1.0, within=0.01) as killer:
            deadline = time.time() + 10
            while victim.poll() is None and time.time() < deadline:
                time.sleep(0.01)
        assert victim.wait(timeout=10) == -9 and killer.killed >= 1
        assert bystander.poll() is None
    finally:
        for process in (victim, bystander):
            if process.poll() is None:
                process.kill()
            process.wait()
