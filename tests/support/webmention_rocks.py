"""The 23 discovery cases of webmention.rocks, written from their list
(the Webmention Recommendation §3.1.2 and the public webmention.rocks test list) and served on 127.0.0.1.

Case N's page is /test/N. Its right endpoint answers 202 to a POST; every
trap endpoint (the one a sender finds by a wrong rule) answers 400. Each POST
is recorded as (path with query, fields). Case 23's page redirects to a page
of a fresh one-time URL, whose relative endpoint is one-time too: a second
use of either answers 410 (as if expired).

    with RocksServer() as rocks:
        page = rocks.page_url(5)
        ... send a Webmention ...
        rocks.accepted(5), rocks.trapped(5)
"""

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from support.local_web import Served

CASES = range(1, 24)
PAGE = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Discovery Test #%d</title>%s</head>'
        '<body class="h-entry"><p class="e-content">%s</p></body></html>')


def case(number, base):
    """(headers [(name, value)], head HTML, body HTML, the right endpoint's
    path with query) of case `number`; `base` is the server's origin."""
    right = "/test/%d/webmention" % number
    trap = "/test/%d/webmention/error" % number
    absolute = base + right
    cases = {
        1: ([("Link", "<%s?head=true>; rel=webmention" % right)], "", "", right + "?head=true"),
        2: ([("Link", "<%s?head=true>; rel=webmention" % absolute)], "", "", right + "?head=true"),
        3: ([], '<link rel="webmention" href="%s">' % right, "", right),
        4: ([], '<link rel="webmention" href="%s">' % absolute, "", right),
        5: ([], "", '<a rel="webmention" href="%s">endpoint</a>' % right, right),
        6: ([], "", '<a href="%s" rel="webmention">endpoint</a>' % absolute, right),
        7: ([("LinK", "<%s?head=true>; rel=webmention" % absolute)], "", "", right + "?head=true"),
        8: ([("Link", '<%s?head=true>; rel="webmention"' % absolute)], "", "", right + "?head=true"),
        9: ([], '<link rel="webmention somethingelse" href="%s">' % absolute, "", right),
        10: ([("Link", '<%s?head=true>; rel="webmention somethingelse"' % absolute)], "", "",
             right + "?head=true"),
        11: ([("Link", "<%s?head=true>; rel=webmention" % absolute)],
             '<link rel="webmention" href="%s?link=true">' % trap,
             '<a rel="webmention" href="%s?a=true">endpoint</a>' % trap, right + "?head=true"),
        12: ([], '<link rel="not-webmention" href="%s"><link rel="webmention" href="%s">' % (trap, right),
             "", right),
        13: ([], '<!-- <link rel="webmention" href="%s"> -->' % trap,
             '<a rel="webmention" href="%s">endpoint</a>' % right, right),
        14: ([], "", '<code>&lt;a href="%s" rel="webmention"&gt;&lt;/a&gt;</code> '
                     '<a rel="webmention" href="%s">endpoint</a>' % (trap, right), right),
        15: ([], '<link rel="webmention" href="">', "", "/test/15"),
        16: ([], "", '<a href="%s" rel="webmention">endpoint</a> <link rel="webmention" href="%s">'
             % (right, trap), right),
        17: ([], '<link rel="webmention" href="%s">' % right,
             '<a href="%s" rel="webmention">endpoint</a>' % trap, right),
        18: ([("Link", '<%s?other=true>; rel="other"' % trap), ("Link", "<%s>; rel=webmention" % absolute)],
             "", "", right),
        19: ([("Link", '<%s?other=true>; rel="other", <%s>; rel="webmention"' % (trap, absolute))],
             "", "", right),
        20: ([], '<link rel="webmention">', '<a rel="webmention" href="%s">endpoint</a>' % right, right),
        21: ([], '<link rel="webmention" href="%s?query=yes">' % right, "", right + "?query=yes"),
        # Relative to the page's path: a sender resolving against the host
        # root posts to the trap /22/webmention.
        22: ([], '<link rel="webmention" href="22/webmention">', "", right),
    }
    return cases[number]


class RocksServer(Served):
    """The cases on a ThreadingHTTPServer on 127.0.0.1."""

    def __init__(self):
        self.posts = []             # (path, fields)
        self.fetched = []           # paths GET or HEAD
        self.lock = threading.Lock()
        self.used = set()           # case 23's one-time paths already served
        self.tokens = itertools.count(1000)
        self.serve(ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self)))
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]

    def page_url(self, number):
        return self.base + ("/test/23/page" if number == 23 else "/test/%d" % number)

    def accepted(self, number):
        """The POSTs case `number`'s right endpoint took."""
        return [fields for path, fields, status in self.posts if status == 202 and _case_of(path) == number]

    def refused(self):
        """Every POST that went to a trap or an endpoint used up."""
        return [(path, fields) for path, fields, status in self.posts if status != 202]

    def once(self, path):
        """True the first time `path` is used."""
        with self.lock:
            if path in self.used:
                return False
            self.used.add(path)
            return True



def _case_of(path):
    parts = path.split("?")[0].split("/")
    return int(parts[2]) if len(parts) > 2 and parts[1] == "test" and parts[2].isdigit() else None


def _handler_for(rocks):
    class Handler(BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.do_GET(body=False)

        def do_GET(self, body=True):
            rocks.fetched.append(self.path)
            number = _case_of(self.path)
            if number == 23:
                return self.case_23_page(body)
            if number is None or self.path != "/test/%d" % number:
                return self.answer(404, "Not here", body=body)
            headers, head, text, _ = case(number, rocks.base)
            self.answer(200, PAGE % (number, head, text), headers, body)

        def case_23_page(self, body):
            if self.path == "/test/23/page":
                return self.answer(302, "", [("Location", "/test/23/page/%d" % next(rocks.tokens))], body)
            if not rocks.once(self.path):
                return self.answer(410, "This URL was used already", body=body)
            head = '<link rel="webmention" href="webmention-endpoint/%d">' % next(rocks.tokens)
            self.answer(200, PAGE % (23, head, ""), body=body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            fields = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
            number = _case_of(self.path)
            status = 400
            if number == 23:
                if self.path.startswith("/test/23/page/webmention-endpoint/") and rocks.once(self.path):
                    status = 202
            elif number is not None and self.path == case(number, rocks.base)[3]:
                status = 202
            with rocks.lock:
                rocks.posts.append((self.path, fields, status))
            self.answer(status, "Accepted" if status == 202 else "This is not the endpoint the page announces")

        def answer(self, status, text, headers=(), body=True):
            data = text.encode("utf-8")
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if body:
                self.wfile.write(data)

        def log_message(self, *args):
            pass

    return Handler
