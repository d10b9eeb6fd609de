"""Pingback and Webmention under load (make stress): `--each` Webmentions and
as many Pingbacks from CLIENTS concurrent clients, through lighttpd running
mt-webmention.cgi and mt-pingback.cgi as CGI, to a weblog that publishes; each
source a page of its own on a local web server (127.0.0.1) that links to the
entry it names. Then, once the queue is empty: every one answered (202 and a
Pingback success), every source fetched exactly once by its check (naming who
asked in X-Pingback-Forwarded-For), every notification stored once with its
protocol, verified and shown, none left in the queue, the pages whole.

    python bench/mention_stress.py [--each 1000] [--clients 8] [--backends sqlite,flat]
"""

import argparse
import http.client
import http.server
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.parse
import xmlrpc.client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for _path in (os.path.join(ROOT, "bench"), os.path.join(ROOT, "tests"), os.path.join(ROOT, "lib")):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from stress import StressFailure, StressSite, check_files_whole, expect, tail  # noqa: E402
from support.sites import queued_jobs  # noqa: E402
from mtpy.models import Blog, Entry, Ping  # noqa: E402
from mtpy.urls import entry_permalink  # noqa: E402

SOURCE_PAGE = """<!DOCTYPE html><html><head><title>Source %(number)d</title></head><body>
<article class="h-entry"><h1 class="p-name">Source %(number)d</h1>
<p class="e-content">I read <a href="%(target)s">this entry</a> with interest.</p>
<a class="p-author h-card" href="http://127.0.0.1:%(port)d/">Writer %(number)d</a></article></body></html>
"""


class Sources:
    """Source pages on 127.0.0.1: /source/N.html links to targets[N]; counts
    the fetches of each and whether they named who asked."""

    def __init__(self, targets):
        self.targets, self.fetches, self.unnamed, self.lock = targets, {}, 0, threading.Lock()
        sources = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                number = int(self.path.rsplit("/", 1)[-1].split(".")[0]) if self.path.startswith("/source/") else -1
                if number not in sources.targets:
                    self.send_error(404)
                    return
                with sources.lock:
                    sources.fetches[number] = sources.fetches.get(number, 0) + 1
                    sources.unnamed += not self.headers.get("X-Pingback-Forwarded-For")
                body = (SOURCE_PAGE % {"number": number, "target": sources.targets[number],
                                       "port": sources.port}).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def url(self, number):
        return "http://127.0.0.1:%d/source/%d.html" % (self.port, number)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def send(port, protocol, source, target, timeout=120):
    """(HTTP status, body) of one Webmention or Pingback."""
    if protocol == "webmention":
        path, kind = "/cgi-bin/mt-webmention.cgi", "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode({"source": source, "target": target}).encode("ascii")
    else:
        path, kind = "/cgi-bin/mt-pingback.cgi", "text/xml"
        body = xmlrpc.client.dumps((source, target), "pingback.ping").encode("utf-8")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("POST", path, body, {"Content-Type": kind})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def answered(protocol, status, body):
    if protocol == "webmention":
        return status in (201, 202)
    return status == 200 and b"<fault>" not in body and b"registered" in body


def run(folder, backend, each, clients):
    stress = StressSite(os.path.join(folder, "mentions-" + backend), backend)
    site = stress.site
    site.update_config("OutboundAllowAddresses 127.0.0.1\n")
    store = site.store()
    blog = store.get(Blog, site.blog.id)
    permalinks = [entry_permalink(blog, store.get(Entry, item.entry_id)) for item in stress.items]
    store.close()
    total = 2 * each
    targets = {number: permalinks[number % len(permalinks)] for number in range(total)}
    sources = Sources(targets)
    failures, lock = [], threading.Lock()
    started = time.time()

    def client(first):
        for number in range(first, total, clients):
            protocol = "webmention" if number % 2 else "pingback"
            try:
                status, body = send(site.port, protocol, sources.url(number), targets[number])
            except OSError as error:
                status, body = None, str(error).encode()
            if not answered(protocol, status, body):
                with lock:
                    failures.append((number, protocol, status, body[:200]))

    try:
        threads = [threading.Thread(target=client, args=(first,)) for first in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.time() - started
        expect(not failures, "%d of %d not answered as accepted, e.g. %s\n    the site's log: %s\n    lighttpd's: %s",
               len(failures), total, failures[:3], site.log()[-2000:],
               tail(os.path.join(stress.folder, "lighttpd-error.log")))
        deadline, last, quiet_since = time.time() + 900, None, time.time()
        while time.time() < deadline:        # every check done, nothing changing for 5 s
            state = (len(queued_jobs(site)), sum(sources.fetches.values()))
            if state[0] == 0 and state == last and time.time() - quiet_since > 5:
                break
            if state != last:
                last, quiet_since = state, time.time()
            time.sleep(0.5)
        drained = time.time() - started
    finally:
        sources.stop()
        stress.stop()
    expect(queued_jobs(site) == [], "jobs left in the queue: %s", queued_jobs(site)[:5])
    store = site.store()
    try:
        pings = store.find(Ping)
    finally:
        store.close()
    by_source = {}
    for ping in pings:
        by_source.setdefault(ping.source_url, []).append(ping)
    expect(len(pings) == total and len(by_source) == total, "%d stored for %d sources (%d sent)",
           len(pings), len(by_source), total)
    protocols = {protocol: sum(1 for ping in pings if ping.protocol == protocol) for protocol in ("pingback", "webmention")}
    expect(protocols == {"pingback": each, "webmention": each}, "protocols stored: %s", protocols)
    fetched_once = sum(1 for number in range(total) if sources.fetches.get(number) == 1)
    expect(fetched_once == total, "%d of %d sources fetched exactly once (%s)", fetched_once, total,
           sorted(set(sources.fetches.values())))
    expect(sources.unnamed == 0, "%d fetches did not name who asked", sources.unnamed)
    shown = [ping for ping in pings if ping.visible]
    unverified = [ping for ping in pings if (ping.linkback or {}).get("state") != "ok"]
    expect(not unverified, "%d not verified, e.g. %s", len(unverified), [p.linkback for p in unverified[:3]])
    expect(len(shown) == total, "%d of %d shown (held or junk: %s)", len(shown), total,
           [(ping.junk, ping.junk_reasons) for ping in pings if not ping.visible][:3])
    expect(all(ping.author_name.startswith("Writer ") for ping in pings), "an author not read from its h-card")
    files = check_files_whole(stress)
    log = site.log()
    expect("Traceback" not in log, "the log has a traceback: %s", log[-3000:])
    return {"backend": backend, "sent": total, "seconds": elapsed, "drained": drained, "shown": len(shown),
            "files": files}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--each", type=int, default=1000, help="Webmentions, and as many Pingbacks, per backend")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,flat")
    args = parser.parse_args(argv)
    print("Mention stress (Python %s, %d cores): %d Webmentions and %d Pingbacks from %d clients per backend"
          % (sys.version.split()[0], os.cpu_count() or 1, args.each, args.each, args.clients), flush=True)
    folder = tempfile.mkdtemp(prefix="mtpy-mention-stress-")
    failed = False
    try:
        for backend in [name for name in args.backends.split(",") if name]:
            try:
                figures = run(folder, backend, args.each, args.clients)
                print("  %-8s %d sent in %.1f s (%.1f answered/s), all checked and shown once in %.1f s; "
                      "queue empty; %d files whole" % (
                          backend, figures["sent"], figures["seconds"], figures["sent"] / figures["seconds"],
                          figures["drained"], figures["files"]), flush=True)
            except StressFailure as failure:
                failed = True
                print("  FAILED %s: %s" % (backend, failure), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
