"""Stress and fault run (make stress): nothing is lost under load or when
processes are killed.

(a) Load: CLIENTS concurrent clients send pings through lighttpd running
mt-tb.cgi as CGI, on each backend, to a weblog that publishes (its pages are
built) and mails its owner (SMTP to an aiosmtpd server on 127.0.0.1). Then:
every ping answered with success is stored exactly once, every answer is a
well-formed TrackBack XML document, none is a 5xx, every job is done once
(`mtpy work --list` is empty, one mail per ping), and the pages and `ID.xml`
feeds show the pings.

(b) Kills: SIGKILL at random moments (a seeded random: the seed is printed)
to mt-tb.cgi processes while pinging (the request's or its deferred work's),
to `mtpy rebuild` while republishing, and to mt.cgi while it saves entries.
Then: the store opens, every ping and entry answered with success is there,
every published page and `ID.xml` is whole and well-formed, and `mtpy rebuild`
repairs whatever is stale (the pages show every visible ping).

The weblog keeps the default spam settings; the checks hold whatever the
receiver judges a ping (a ping judged junk is stored hidden: not shown, not
mailed). tests/test_stress.py runs the same code at a small size.

    python bench/stress.py [--pings 10000] [--clients 8] [--backends sqlite,flat,postgres]
                           [--kill-pings 400] [--kill-rebuilds 10] [--kill-saves 20] [--seed N]
"""

import argparse
import glob
import http.client
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(ROOT, "tests"), os.path.join(ROOT, "lib")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from conftest import PostgresServer, Site, start_lighttpd, wait_until_idle  # noqa: E402
from mtpy.models import Blog, Entry, Trackback  # noqa: E402

BACKENDS = ("sqlite", "flat", "postgres")
ENTRIES = 4               # the pings are spread over this many entries
PAGE_PINGS = 50           # an entry page shows its 50 newest pings (default templates)
FEED_PINGS = 10           # ID.xml holds the 10 newest
PASSWORD = "stress-secret-1"


class StressFailure(AssertionError):
    """A broken promise: something lost, damaged or answered wrongly."""


class StalePage(StressFailure):
    """A page does not show the pings the store holds."""


class StaleFeed(StressFailure):
    """An ID.xml does not list the item's newest pings as the store holds them."""


def expect(condition, message, *details, failure=StressFailure):
    if not condition:
        raise failure(message % details if details else message)


# --- mail -----------------------------------------------------------------

class Mailbox:
    """An SMTP server on 127.0.0.1 (aiosmtpd) keeping what it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        from conftest import free_port
        self.messages = []
        self.lock = threading.Lock()
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.port = self.controller.port

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope.content)
        return "250 OK"

    def urls(self):
        """The source URLs the mails name, one per mail."""
        found = []
        with self.lock:
            messages = list(self.messages)
        for content in messages:
            text = content.decode("utf-8", "replace").replace("\r\n", "\n")
            found += re.findall(r"^URL: (\S+)$", text, re.M)
        return found

    def clear(self):
        with self.lock:
            del self.messages[:]

    def stop(self):
        self.controller.stop()


# --- the weblog -------------------------------------------------------------

class StressSite:
    """An installed site behind lighttpd: a weblog of `entries` entries that
    publishes (built once) and mails its owner about each ping; mt.cgi's
    author Melody may log in with PASSWORD."""

    def __init__(self, folder, backend, mailbox=None, python=sys.executable, entries=ENTRIES):
        mail = ("MailTransfer smtp\nSMTPServer 127.0.0.1:%d\nEmailAddressMain mt@example.com\n" % mailbox.port
                if mailbox else "")
        self.backend = backend
        self.site = site = Site(folder, backend, extra_config=mail, python=python)
        from mtpy.passwords import hash_password
        store = site.store()
        site.author.password_hash = hash_password(PASSWORD)
        site.author.is_admin = True
        store.save(site.author)
        site.blog.email_new_pings = mailbox is not None
        store.save(site.blog)
        store.close()
        self.items = [site.item]
        for number in range(1, entries):
            self.items.append(site.add_entry(title="Entry %d" % number, body="<p>Body %d</p>" % number,
                                             created_on="2026-11-24 1%d:00:00" % number)[1])
        rebuild_in_process(site)
        self.process = start_lighttpd(site)

    @property
    def folder(self):
        return self.site.folder

    def ping_path(self, item):
        return "/cgi-bin/mt-tb.cgi/%d" % item.id

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def mtpy(self, *arguments, timeout=600):
        """Run the `mtpy` command on this site; the finished process."""
        return subprocess.run([sys.executable, "-m", "mtpy.cli", "--config", self.site.config_path]
                              + list(arguments), cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib")))

    def mtpy_process(self, *arguments):
        return subprocess.Popen([sys.executable, "-m", "mtpy.cli", "--config", self.site.config_path]
                                + list(arguments), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib")))


def rebuild_in_process(site):
    from mtpy.publish.rebuild import Publisher
    store = site.store()
    try:
        with store.rebuild_lock():
            Publisher(store, site.config, store.get(Blog, site.blog.id)).rebuild_all()
    finally:
        store.close()


# --- pinging ----------------------------------------------------------------

class Answer:
    __slots__ = ("url", "item_id", "status", "body", "error")

    def __init__(self, url, item_id, status=None, body=b"", error=None):
        self.url, self.item_id, self.status, self.body, self.error = url, item_id, status, body, error

    @property
    def success(self):
        return self.status == 200 and b"<error>0</error>" in self.body


def send_ping(port, path, fields, timeout=120):
    body = urllib.parse.urlencode(fields).encode("ascii")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def ping_load(stress, total, clients, tag="load", on_answer=None):
    """`total` pings from `clients` threads, spread over the entries; the
    answers (an Answer per ping; a connection cut by a kill has its error)."""
    answers = [None] * total
    counter = iter(range(total))
    lock = threading.Lock()

    def client():
        while True:
            with lock:
                number = next(counter, None)
            if number is None:
                return
            item = stress.items[number % len(stress.items)]
            url = "http://%s.example/%d" % (tag, number)
            fields = {"url": url, "title": "%s ping %d" % (tag, number), "excerpt": "Excerpt %d" % number,
                      "blog_name": "Stress"}
            try:
                status, body = send_ping(stress.site.port, stress.ping_path(item), fields)
                answers[number] = Answer(url, item.id, status, body)
            except (OSError, http.client.HTTPException) as error:
                answers[number] = Answer(url, item.id, error=error)
            if on_answer:
                on_answer()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers, time.perf_counter() - started


def check_answers(answers, allow_failures=False):
    """Every answer a well-formed TrackBack response (<response> with <error>
    0 or 1, and a <message> with 1); no 5xx. With `allow_failures` (a kill cut
    the request), a 5xx or a cut connection is allowed, a malformed 200 never."""
    counts = {}
    for answer in answers:
        if answer.error is not None or answer.status >= 500:
            expect(allow_failures, "ping %s: %s %r", answer.url, answer.status or answer.error, answer.body[:300])
            key = "cut" if answer.error is not None else answer.status
            counts[key] = counts.get(key, 0) + 1
            continue
        try:
            root = ET.fromstring(answer.body)
        except ET.ParseError as error:
            raise StressFailure("ping %s: answer %d is not XML (%s): %r" % (
                answer.url, answer.status, error, answer.body[:300]))
        code = root.findtext("error")
        expect(root.tag == "response" and code in ("0", "1"), "ping %s: not a TrackBack response: %r",
               answer.url, answer.body[:300])
        expect(code == "0" or (root.findtext("message") or "").strip(), "ping %s: an error without a message",
               answer.url)
        key = "success" if code == "0" else "error %d" % answer.status
        counts[key] = counts.get(key, 0) + 1
    return counts


# --- the store, the queue, the pages ------------------------------------------

def stored_pings(stress):
    """{item id: [pings, hidden ones too]}: opening the store is itself a check."""
    store = stress.site.store()
    try:
        return {item.id: store.list_pings(tb_id=item.id, visible_only=False) for item in stress.items}
    finally:
        store.close()


def check_stored(stress, answers):
    """Every ping answered with success is stored exactly once, on its item;
    no source URL is stored twice. Returns the pings by item."""
    pings = stored_pings(stress)
    where = {}
    for item_id, found in pings.items():
        for ping in found:
            expect((item_id, ping.source_url) not in where, "%s stored twice on item %d", ping.source_url, item_id)
            where[(item_id, ping.source_url)] = ping
    for answer in answers:
        if answer.success:
            expect((answer.item_id, answer.url) in where, "ping %s was answered with success but is not stored",
                   answer.url)
    return pings


def check_jobs_and_mail(stress, mailbox, pings):
    """`mtpy work --list` is empty; each visible ping mailed exactly once, and
    no mail names a ping that is not stored."""
    listed = stress.mtpy("work", "--list")
    expect(listed.returncode == 0 and listed.stdout == "", "jobs left in the queue: %s%s",
           listed.stdout[:2000], listed.stderr[-2000:])
    mailed = mailbox.urls()
    expect(len(mailed) == len(mailbox.messages), "%d mails but %d URLs in them", len(mailbox.messages), len(mailed))
    expect(len(set(mailed)) == len(mailed), "a ping was mailed twice: %s",
           sorted(url for url in set(mailed) if mailed.count(url) > 1)[:10])
    stored = {ping.source_url for found in pings.values() for ping in found}
    visible = {ping.source_url for found in pings.values() for ping in found if ping.visible}
    expect(set(mailed) <= stored, "mails about pings not stored: %s", sorted(set(mailed) - stored)[:10])
    expect(visible <= set(mailed), "%d visible pings never mailed: %s", len(visible - set(mailed)),
           sorted(visible - set(mailed))[:10])
    return len(mailed)


def check_files_whole(stress):
    """Every published page ends with </html>; every XML file (ID.xml feeds,
    index.rdf, index.xml, atom.xml) parses; no temporary file is left visible
    under its final name. Returns the number of files checked."""
    archives = stress.site.archives
    checked = 0
    for path in sorted(glob.glob(os.path.join(archives, "*.html"))):
        with open(path, "rb") as handle:
            text = handle.read()
        expect(text.rstrip().endswith(b"</html>"), "%s is cut short: ...%r", path, text[-200:])
        checked += 1
    for pattern in ("*.xml", "*.rdf"):
        for path in sorted(glob.glob(os.path.join(archives, pattern))):
            try:
                ET.parse(path)
            except ET.ParseError as error:
                raise StressFailure("%s is not well-formed: %s" % (path, error))
            checked += 1
    return checked


def check_pages_show_pings(stress, pings):
    """Each entry's page shows its visible count and its newest visible pings;
    each ID.xml lists the item's newest visible pings, newest first."""
    store = stress.site.store()
    try:
        entries = {item.id: store.get(Entry, store.get(Trackback, item.id).entry_id) for item in stress.items}
    finally:
        store.close()
    for item in stress.items:
        visible = sorted((ping for ping in pings[item.id] if ping.visible), key=lambda ping: ping.id)
        entry = entries[item.id]
        path = os.path.join(stress.site.archives, "%06d.html" % entry.id)
        with open(path, encoding="utf-8") as handle:
            page = handle.read()
        expect("TrackBack (%d)" % len(visible) in page, "%s does not show TrackBack (%d) but %s (written %s, "
               "newest ping stored %s)", path, len(visible), re.findall(r"TrackBack \(\d+\)", page),
               time.strftime("%H:%M:%S", time.gmtime(os.path.getmtime(path))),
               visible[-1].created_on if visible else None, failure=StalePage)
        for ping in visible[-PAGE_PINGS:]:
            expect('href="%s"' % ping.source_url in page, "%s does not show ping %s", path, ping.source_url,
                   failure=StalePage)
        feed = os.path.join(stress.site.archives, "%d.xml" % item.id)
        if not visible and not os.path.exists(feed):
            continue
        listed = [element.findtext("link") for element in ET.parse(feed).getroot().iter("item")]
        newest = [ping.source_url for ping in reversed(visible[-FEED_PINGS:])]
        expect(listed == newest, "%s lists %s, the newest stored are %s", feed, listed, newest, failure=StaleFeed)


# --- killing ------------------------------------------------------------------

def processes_running(script):
    """Ids of the processes whose command line names `script` (a path): an
    installed site's CGI scripts (and their deferred work, forked from them)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % name, "rb") as handle:
                arguments = handle.read().split(b"\0")
        except OSError:
            continue
        if script.encode() in arguments:
            found.append(int(name))
    return found


class Killer:
    """A thread that, until stopped, watches for processes running `script`
    and SIGKILLs a `share` of them, each at a random moment within `within`
    seconds of being seen: the choices come from the seeded `rng`, so a run
    can be repeated (the processes' timing cannot)."""

    POLL = 0.02

    def __init__(self, script, rng, share=0.2, within=0.1):
        self.script, self.rng, self.share, self.within = script, rng, share, within
        self.killed = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        seen, doomed = set(), {}        # doomed: pid -> when to kill it
        while not self.stopping.wait(self.POLL):
            now = time.monotonic()
            for pid in processes_running(self.script):
                if pid not in seen:
                    seen.add(pid)
                    if self.rng.random() < self.share:
                        doomed[pid] = now + self.rng.uniform(0, self.within)
            for pid, when in sorted(doomed.items()):
                if when <= now:
                    del doomed[pid]
                    try:
                        os.kill(pid, signal.SIGKILL)
                        self.killed += 1
                    except ProcessLookupError:
                        pass        # it finished first

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


def kill_while_pinging(stress, rng, total, clients):
    """Pings while mt-tb.cgi processes are killed; returns (answers, killed)."""
    script = os.path.join(stress.folder, "cgi-bin", "mt-tb.cgi")
    with Killer(script, rng) as killer:
        answers, _ = ping_load(stress, total, clients, tag="kill")
    return answers, killer.killed


def kill_while_rebuilding(stress, rng, times):
    """`mtpy rebuild` killed at a random moment of its run (timed once
    whole), `times` times; after each, every file is whole. Returns how many
    were killed before they finished."""
    started = time.monotonic()
    stress.mtpy_process("rebuild", "--blog", str(stress.site.blog.id)).wait()
    whole = time.monotonic() - started
    killed = 0
    for _ in range(times):
        process = stress.mtpy_process("rebuild", "--blog", str(stress.site.blog.id))
        time.sleep(rng.uniform(0.3, 1.0) * whole)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait()
        check_files_whole(stress)
    return killed


def kill_while_saving(stress, rng, times):
    """mt.cgi saves published entries (each save republishes, after its
    answer) while its processes are killed; returns ({title: saved?}, killed)."""
    from support.client import CMSClient
    client = CMSClient(stress.site.base)
    client.log_in(stress.site.author.name, PASSWORD)
    client.get("entry_edit", blog_id=stress.site.blog.id)
    token = client.token()
    script = os.path.join(stress.folder, "cgi-bin", "mt.cgi")
    saved = {}
    with Killer(script, rng, share=0.5, within=0.3) as killer:
        for number in range(times):
            title = "Saved under fire %d" % number
            fields = [("title", title), ("body", "Body %d" % number), ("extended", ""), ("excerpt", ""),
                      ("keywords", ""), ("category_id", ""), ("status", "Publish"),
                      ("created_on", "2026-11-25 %02d:%02d:00" % (number // 60 % 24, number % 60)),
                      ("convert_breaks", "1"), ("allow_pings", "1"), ("to_ping_urls", "")]
            try:
                result = client.post("entry_edit", fields, token=token, follow=False, blog_id=stress.site.blog.id)
                saved[title] = result.status in (302, 303) and "entry_id=" in (result.headers.get("Location") or "")
                if not saved[title]:
                    expect(result.status >= 500 or result.status == 200, "save %d answered %d", number,
                           result.status)
            except (OSError, http.client.HTTPException):
                saved[title] = False
    return saved, killer.killed


def check_saved_entries(stress, saved):
    """Every save answered with its redirect is in the store, as published,
    and after the repair its page exists and shows its title."""
    store = stress.site.store()
    try:
        entries = {entry.title: entry for entry in store.find(Entry, blog_id=stress.site.blog.id)}
    finally:
        store.close()
    for title, answered in saved.items():
        if answered:
            expect(title in entries and entries[title].status == "Publish", "entry %r was saved but is not stored",
                   title)
    return entries


def check_entry_pages(stress, entries):
    from mtpy.text import escape_html
    for entry in entries.values():
        if entry.status != "Publish":
            continue
        path = os.path.join(stress.site.archives, "%06d.html" % entry.id)
        expect(os.path.exists(path), "entry %d (%r) has no page after the rebuild", entry.id, entry.title)
        with open(path, encoding="utf-8") as handle:
            expect(escape_html(entry.title) in handle.read(), "%s does not show its title", path)


def repair(stress):
    """What an owner does after a crash: `mtpy work`, then `mtpy rebuild`.
    Jobs a killed process had claimed wait for their lease (5 minutes) and
    are not counted here."""
    stress.mtpy("work")
    done = stress.mtpy("rebuild", "--blog", str(stress.site.blog.id))
    expect(done.returncode == 0 and "Traceback" not in done.stderr, "mtpy rebuild failed: %s", done.stderr[-3000:])


# --- the runs -------------------------------------------------------------------

def tail(path, size=1500):
    try:
        with open(path, "rb") as handle:
            return handle.read()[-size:].decode("utf-8", "replace")
    except OSError:
        return ""


def run_load(folder, backend, pings, clients, mailbox):
    """(a): returns a dict of figures."""
    mailbox.clear()
    stress = StressSite(os.path.join(folder, "load-" + backend), backend, mailbox)
    try:
        answers, elapsed = ping_load(stress, pings, clients)
        try:
            counts = check_answers(answers)
        except StressFailure as failure:
            raise StressFailure("%s\n    the site's log: %s\n    lighttpd's: %s" % (
                failure, stress.site.log()[-1500:], tail(os.path.join(stress.folder, "lighttpd-error.log"))))
        expect(counts.get("success", 0) > 0, "no ping was accepted: %s", counts)
        accepted = [answer for answer in answers if answer.success]
        stored = check_stored(stress, answers)
        total_stored = sum(len(found) for found in stored.values())
        visible = sum(1 for found in stored.values() for ping in found if ping.visible)
        wait_until_idle(stress.site, mailbox, visible, quiet=15, bound=900)
    finally:
        stress.stop()
    stored = check_stored(stress, answers)
    mails = check_jobs_and_mail(stress, mailbox, stored)
    files = check_files_whole(stress)
    log = stress.site.log()
    expect("Traceback" not in log, "the log has a traceback: %s", log[-3000:])
    try:    # last: the other figures stand whatever it finds
        check_pages_show_pings(stress, stored)
        pages = None
    except StressFailure as failure:
        pages = str(failure)
    return {"backend": backend, "pings": pings, "clients": clients, "seconds": elapsed,
            "rate": len(accepted) / elapsed, "answers": counts, "stored": total_stored, "visible": visible,
            "mails": mails, "files": files, "stale page": pages}


def run_kills(folder, backend, seed, pings, clients, rebuilds, saves):
    """(b): returns a dict of figures."""
    rng = random.Random(seed)
    stress = StressSite(os.path.join(folder, "kills-" + backend), backend)
    try:
        answers, killed_pings = kill_while_pinging(stress, rng, pings, clients)
        counts = check_answers(answers, allow_failures=True)
        check_stored(stress, answers)
        killed_rebuilds = kill_while_rebuilding(stress, rng, rebuilds)
        saved, killed_saves = kill_while_saving(stress, rng, saves)
        time.sleep(1.0)     # deferred work of the last answers
    finally:
        stress.stop()
    # Right after the kills: the store opens, nothing answered is lost, every file is whole.
    stored = check_stored(stress, answers)
    check_saved_entries(stress, saved)
    files = check_files_whole(stress)
    repair(stress)
    stored = check_stored(stress, answers)
    check_files_whole(stress)
    check_pages_show_pings(stress, stored)
    check_entry_pages(stress, check_saved_entries(stress, saved))
    return {"backend": backend, "seed": seed, "answers": counts, "killed pings": killed_pings,
            "stored": sum(len(found) for found in stored.values()), "killed rebuilds": killed_rebuilds,
            "rebuilds": rebuilds, "saves": saves, "saved": sum(saved.values()), "killed saves": killed_saves,
            "files": files}


class Postgres:
    """The test suite's PostgreSQL server, started for a run that needs it."""

    def __init__(self):
        self.server = None

    def __enter__(self):
        self.server = PostgresServer()
        self.server.start()
        return self

    def __exit__(self, *exc):
        if self.server is not None:
            try:
                self.server.drop_databases()
            finally:
                self.server.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pings", type=int, default=10000, help="pings of the load run, per backend")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--kill-pings", type=int, default=400, help="pings sent while killing mt-tb.cgi")
    parser.add_argument("--kill-rebuilds", type=int, default=10, help="`mtpy rebuild` runs killed")
    parser.add_argument("--kill-saves", type=int, default=20, help="mt.cgi entry saves while killing mt.cgi")
    parser.add_argument("--seed", type=int, default=None, help="the kills' random seed (default: a new one)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 10 ** 6)
    backends = [name for name in args.backends.split(",") if name]
    print("Stress run (Python %s, %d cores): %d pings from %d clients per backend; kills with seed %d"
          % (sys.version.split()[0], os.cpu_count() or 1, args.pings, args.clients, seed), flush=True)
    folder = tempfile.mkdtemp(prefix="mtpy-stress-")
    mailbox = Mailbox()
    failed = False
    postgres = Postgres() if "postgres" in backends else None
    try:
        if postgres:
            try:
                postgres.__enter__()
            except BaseException as error:     # conftest's pytest.skip, or the server's own failure
                print("  postgres: not run (%s)" % error, flush=True)
                backends.remove("postgres")
                postgres = None
        for backend in backends:
            try:
                if args.pings:
                    figures = run_load(folder, backend, args.pings, args.clients, mailbox)
                    print("  load  %-8s %6d pings in %6.1f s: %5.1f stored/s; answers %s; stored %d (visible %d); "
                          "mails %d; %d files whole; queue empty" % (
                              backend, figures["pings"], figures["seconds"], figures["rate"],
                              figures["answers"], figures["stored"], figures["visible"], figures["mails"],
                              figures["files"]), flush=True)
                    if figures["stale page"]:
                        failed = True
                        print("  FAILED %s: a page is stale once every job is done: %s" % (
                            backend, figures["stale page"]), flush=True)
            except StressFailure as failure:
                failed = True
                print("  FAILED load %s: %s" % (backend, failure), flush=True)
            try:
                figures = run_kills(folder, backend, seed, args.kill_pings, args.clients, args.kill_rebuilds,
                                    args.kill_saves)
                print("  kills %-8s seed %d: %d mt-tb.cgi processes killed over %d pings (answers %s), all answered "
                      "pings stored (%d); %d of %d rebuilds killed; %d mt.cgi processes killed over %d saves (%d "
                      "answered as saved, all stored); %d files whole; repaired by mtpy rebuild" % (
                          backend, seed, figures["killed pings"], args.kill_pings, figures["answers"],
                          figures["stored"], figures["killed rebuilds"], figures["rebuilds"], figures["killed saves"],
                          figures["saves"], figures["saved"], figures["files"]), flush=True)
            except StressFailure as failure:
                failed = True
                print("  FAILED kills %s (seed %d): %s" % (backend, seed, failure), flush=True)
            finally:
                if postgres:
                    postgres.server.drop_databases()
    finally:
        mailbox.stop()
        if postgres:
            postgres.__exit__()
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
