"""The spam run (make stress): pings from a generator that mixes real replies,
whose source pages (served on 127.0.0.1) link back to the entry they ping, with
spam: pages that do not link back, blocked words, one address flooding. The
weblog checks link-backs (no link back = junk) and has a block list; it holds
nothing for approval, so that what shows is what the checks let through. Afterwards no spam may show on any public page, popup or feed, and
every real reply must be shown or held, never junked. Prints the figures.

    python bench/spam_run.py [--pings 1000] [--backend sqlite] [--in-process]

Through lighttpd by default: every ping is a CGI process, each link-back check
runs after its answer, as on a host. `--in-process` calls the WSGI application
directly and then runs the queued work (what tests/test_spam_run.py does at full
size within make test's time).
"""

import argparse
import http.client
import io
import os
import random
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[0:0] = [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tests")]

from conftest import Site, start_lighttpd  # noqa: E402
from support.local_web import LocalWeb  # noqa: E402
from mtpy.models import Blog, Entry, Job, Ping  # noqa: E402

ENTRIES = 5
BLOCKED_WORD = "casino"
FLOOD_ADDRESS = "127.0.0.66"
# Of every 10 pings: 3 real replies, 3 without a link back, 2 with a blocked word,
# 2 from the flooding address.
MIX = ["reply"] * 3 + ["no-link-back"] * 3 + ["blocked"] * 2 + ["flood"] * 2
SPAM = ("no-link-back", "blocked", "flood")
SETTINGS = "linkback_check junk, junk_words %s, no moderation" % BLOCKED_WORD


def make_weblog(folder, backend):
    """An installed, built weblog of ENTRIES entries with the defences on."""
    from mtpy.actions.weblogs import change_weblog
    from mtpy.publish.rebuild import Publisher
    site = Site(folder, backend, extra_config="OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\n")
    site.items = [site.item] + [site.add_entry(title="Entry %d" % number, body="<p>Words %d</p>" % number)[1]
                                for number in range(2, ENTRIES + 1)]
    store = site.store()
    try:
        change_weblog(store, site.config, store.get(Blog, site.blog.id), {
            "moderate_pings": "none", "linkback_check": "junk", "junk_words": BLOCKED_WORD})
        with store.rebuild_lock():
            Publisher(store, site.config, store.get(Blog, site.blog.id)).rebuild_all()
        site.permalinks = {item.id: entry_url(store, site, item) for item in site.items}
    finally:
        store.close()
    return site


def entry_url(store, site, item):
    from mtpy.urls import entry_permalink
    return entry_permalink(store.get(Blog, site.blog.id), store.get(Entry, item.entry_id))


def plan(site, pages, total, seed):
    """The pings to send, in a random order: (kind, sender address, item, fields)."""
    rng = random.Random(seed)
    pings = []
    for number in range(total):
        kind = MIX[number % len(MIX)]
        item = rng.choice(site.items)
        permalink = site.permalinks[item.id]
        path = "/%s/%d.html" % (kind, number)
        if kind == "reply":
            address = "127.0.1.%d" % (number % 250 + 1)
            html = '<p>I read <a href="%s">this entry</a> and agree.</p>' % permalink
            excerpt = "A real reply, number %d, about what you wrote." % number
        elif kind == "no-link-back":
            address = "127.0.2.%d" % (number % 250 + 1)
            html = "<p>Cheap watches, no link to you.</p>"
            excerpt = "Great post! Visit my site for cheap watches."
        elif kind == "blocked":
            address = "127.0.3.%d" % (number % 250 + 1)
            html = '<p>Even links back: <a href="%s">you</a></p>' % permalink   # the block list still catches it
            excerpt = "Best online %s bonus today" % BLOCKED_WORD
        else:
            address = FLOOD_ADDRESS
            html = "<p>Flood</p>"
            excerpt = "Buy now http://a.example/ http://b.example/ http://c.example/"
        url = pages.html(path, "<html><head><title>%s</title></head><body>%s</body></html>" % (kind, html))
        pings.append((kind, address, item, {"url": url, "title": "%s %d" % (kind, number), "excerpt": excerpt,
                                            "blog_name": "Sender %d" % number}))
    rng.shuffle(pings)
    return pings


def send_over_http(site, pings, clients=8):
    """POST each ping to mt-tb.cgi from its sender's address; the answers."""
    port = int(site.base.rsplit(":", 1)[1].strip("/"))

    def send(ping):
        _, address, item, fields = ping
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(address, 0))
        try:
            connection.request("POST", "/cgi-bin/mt-tb.cgi/%d" % item.id, urlencode(fields),
                               {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            return connection.getresponse().read().decode("utf-8")
        finally:
            connection.close()

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(send, pings))


def send_in_process(site, pings):
    """The same pings through mt-tb.cgi's WSGI application, in this process."""
    from mtpy.apps.trackback import TrackbackApp
    app = TrackbackApp(site.config)
    answers = []
    for _, address, item, fields in pings:
        body = urlencode(fields).encode("ascii")
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/%d" % item.id, "QUERY_STRING": "",
                   "CONTENT_TYPE": "application/x-www-form-urlencoded; charset=utf-8",
                   "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "REMOTE_ADDR": address,
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "wsgi.url_scheme": "http"}
        answers.append(b"".join(app(environ, lambda status, headers, exc_info=None: None)).decode("utf-8"))
    app.close_store()
    return answers


def drain(site, bound=600):
    """Run what is queued until nothing is left (in-process: the checks and
    republishing the pings queued; over HTTP they run after each answer too)."""
    from mtpy.work import run_jobs
    started = time.monotonic()
    store = site.store()
    try:
        while time.monotonic() - started < bound:
            if not store.find(Job):
                return
            run_jobs(store, site.config)
            time.sleep(0.1)
    finally:
        store.close()
    raise AssertionError("work still queued after %d s" % bound)


def public_text(site):
    """Everything a visitor or a feed reader can get: the published pages and
    ID.xml files, and each item's popup and RSS from the application."""
    from mtpy.apps.trackback import TrackbackApp
    texts = []
    for folder, _, files in os.walk(site.archives):
        for name in files:
            if name.endswith((".html", ".xml", ".rdf")):
                with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                    texts.append(handle.read())
    app = TrackbackApp(site.config)
    for item in site.items:
        for query in ("__mode=rss&tb_id=%d" % item.id, "__mode=view&entry_id=%d" % item.entry_id):
            environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "", "QUERY_STRING": query, "wsgi.input": io.BytesIO(),
                       "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
                       "wsgi.url_scheme": "http"}
            texts.append(b"".join(app(environ, lambda status, headers, exc_info=None: None)).decode("utf-8"))
    app.close_store()
    return "\n".join(texts)


def outcome(site, pings, answers):
    """{kind: {state: count}}, and the pings that break the run's promises."""
    store = site.store()
    try:
        stored = {ping.source_url: ping for ping in store.list_pings(blog_id=site.blog.id, visible_only=False)}
    finally:
        store.close()
    shown = public_text(site)
    figures, broken = {}, []
    for (kind, _, _, fields), answer in zip(pings, answers):
        ping = stored.get(fields["url"])
        state = "missing" if ping is None else "published" if ping.visible else "junk" if ping.junk else "held"
        figures.setdefault(kind, {}).setdefault(state, 0)
        figures[kind][state] += 1
        if "<error>0</error>" not in answer:
            broken.append((kind, fields["url"], "answered: %s" % answer[:200]))
        elif kind in SPAM and (state == "published" or fields["url"] in shown):
            broken.append((kind, fields["url"], "spam shown in public"))
        elif kind == "reply" and state not in ("published", "held"):
            broken.append((kind, fields["url"], "a real reply ended %s" % state))
    return figures, broken


def run(folder, backend="sqlite", total=1000, seed=2026, in_process=False):
    """The whole run; returns (figures, broken, seconds sending, seconds in all)."""
    site = make_weblog(os.path.join(folder, "spam-%s" % backend), backend)
    pages = LocalWeb()      # the pages pings name as their source
    server = None if in_process else start_lighttpd(site)
    try:
        started = time.monotonic()
        pings = plan(site, pages, total, seed)
        answers = send_in_process(site, pings) if in_process else send_over_http(site, pings)
        sent = time.monotonic() - started
        drain(site)
        figures, broken = outcome(site, pings, answers)
        return figures, broken, sent, time.monotonic() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        pages.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pings", type=int, default=1000)
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "flat"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--in-process", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures, broken, sent, total = run(folder, args.backend, args.pings, args.seed, args.in_process)
    print("Spam run: %d pings (%s, %s), seed %d; weblog: %s" % (
        args.pings, args.backend, "in process" if args.in_process else "lighttpd, CGI", args.seed, SETTINGS))
    print("  sent in %.1f s (%.0f pings/s); all work done after %.1f s" % (sent, args.pings / sent, total))
    for kind in ("reply",) + SPAM:
        states = figures.get(kind, {})
        print("  %-13s %s" % (kind, ", ".join("%s %d" % (state, states[state]) for state in sorted(states))))
    print("  broken promises: %d" % len(broken))
    for kind, url, why in broken[:20]:
        print("    %s %s: %s" % (kind, url, why))
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
