"""The work a ping leaves for after its answer (issue 10 §1): a burst of pings
to a publishing weblog that mails its owner, through lighttpd, on every backend.
Each job is done exactly once and each ping is mailed exactly once: no store
handle (SQLite connection, PostgreSQL connection, flat-file lock) crosses the
fork that answers first and works after."""

import email
import email.policy
import os
import re
import subprocess
import sys
import threading


from conftest import ROOT, start_lighttpd, wait_until_idle
from mtpy.models import Job
from support.http import SUCCESS, post

# 250 pings on SQLite, where a connection shared across the fork lost commits;
# the other backends run the same path with fewer, to keep `make test` short
# (tests/test_stress.py and `make stress` send more, from 8 clients).
PINGS = {"sqlite": 250, "flat": 100, "postgres": 60}
CLIENTS = 4


def test_burst_of_pings_every_job_done_once(site, smtp, backend):  # noqa: F811
    controller, collector = smtp
    count = PINGS[backend]
    site.update_config("MailTransfer smtp\nSMTPServer 127.0.0.1:%d\nEmailAddressMain mt@example.com\n"
                       % controller.port)
    store = site.store()
    site.blog.email_new_pings = True      # a notify_ping job per ping; site_path: a republish_pings job
    store.save(site.blog)
    store.close()
    process = start_lighttpd(site)
    answers = []
    try:
        def client(number):
            for ping in range(number, count, CLIENTS):
                answers.append(post(site.ping_url(), {"url": "http://burst.example/%d" % ping,
                                                      "title": "Ping %d" % ping}).text)
        threads = [threading.Thread(target=client, args=(number,)) for number in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert answers == [SUCCESS] * count
        wait_until_idle(site, collector, count)
    finally:
        process.terminate()
        process.wait(timeout=10)

    listed = subprocess.run([sys.executable, "-m", "mtpy.cli", "--config", site.config_path, "work", "--list"],
                            cwd=ROOT, env={"PYTHONPATH": ROOT + "/lib", "PATH": "/usr/bin:/bin"},
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and listed.stdout == "", "jobs left in the queue:\n" + listed.stdout
    store = site.store()
    try:
        assert store.count_pings(site.item.id) == count
    finally:
        store.close()

    urls, message_ids = [], set()
    for _, _, content in collector.messages:
        message = email.message_from_bytes(content, policy=email.policy.default)
        message_ids.add(message["Message-ID"])
        urls += re.findall(r"^URL: (\S+)$", message.get_content().replace("\r\n", "\n"), re.M)
    assert len(collector.messages) == len(message_ids) == count
    assert sorted(urls) == sorted("http://burst.example/%d" % ping for ping in range(count))
    log = site.log()
    for trouble in ("database", "malformed", "locked", "failed", "Traceback"):
        assert trouble not in log, log[-3000:]


def test_sqlite_store_is_not_used_across_a_fork(tmp_path):
    """A forked child that was handed the parent's SQLite store cannot write
    through it, and closing it there leaves the parent's connection alone."""
    import os
    from mtpy.config import Config
    from mtpy.models import Blog
    from mtpy.store import StoreError, open_store
    store = open_store(Config(text="ObjectDriver sqlite\nDataSource %s\n" % (tmp_path / "data")), create=True)
    store.save(Blog(name="Before"))
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            store.save(Blog(name="From the child"))
        except StoreError:
            code = 0
        except BaseException:
            pass
        store.close()
        os._exit(code)
    assert os.waitpid(pid, 0)[1] == 0
    store.save(Blog(name="After"))
    assert [blog.name for blog in store.find(Blog)] == ["Before", "After"]
    store.close()


def test_pings_stored_while_a_republish_waited_are_shown(tmp_path):
    """A ping stored while another's republish job waits unclaimed queues none
    of its own (that one will read it): the job must then republish even when
    an earlier republish already showed its own ping."""
    from conftest import Site
    from mtpy.actions.rebuild import rebuild_all
    from mtpy.models import Blog
    from mtpy.actions.receive import receive
    from mtpy.apps.trackback import incoming_ping
    from mtpy.work import run_job
    site = Site(tmp_path / "site", "sqlite")
    store = site.store()
    try:
        rebuild_all(store, site.config, store.get(Blog, site.blog.id))

        def ping(number):
            return receive(store, site.config, incoming_ping(str(site.item.id), "",
                                                             {"url": "http://x.example/%d" % number}, "127.0.0.1"))[1]
        [first_job] = ping(1)
        claimed_first = store.claim_job(job_id=first_job)
        [second_job] = ping(2)                 # the first job is claimed: this one queues its own
        run_job(store, site.config, claimed_first)     # shows pings 1 and 2
        assert ping(3) == []                   # the second job waits unclaimed: it will show ping 3
        run_job(store, site.config, store.claim_job(job_id=second_job))
        assert store.find(Job) == []
    finally:
        store.close()
    with open(os.path.join(site.archives, "%06d.html" % site.entry.id), encoding="utf-8") as handle:
        assert "TrackBack (3)" in handle.read()
