"""Small web servers on 127.0.0.1 for tests (Directory: an XML-RPC update
service). LocalWeb: its paths answer GETs and POSTs
as told, and it records every request. It stands for the pages a sender
fetches and the TrackBack receivers it pings (tests, and bench/spam_run.py).

    with LocalWeb() as web:
        url = web.url("/tb/1", (200, "text/xml", "<response>...</response>"))
        ...
        web.posts_to("/tb/1")           # the fields of each POST to it

An answer is (status, headers, body): headers a dict, or a content type alone;
body text (sent as UTF-8) or bytes. Or one of:
  SILENT   reads the request and answers nothing until release() or close();
  ENDLESS  a 200 whose body never ends (until the client hangs up).
A path not in the table answers NOT_FOUND.
"""

import threading
from collections import namedtuple
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

SILENT = "silent"
ENDLESS = "endless"
NOT_FOUND = (404, "text/html; charset=utf-8", "<p>Not here</p>")
# A TrackBack receiver's answers: the ping accepted; a server's error page.
ACCEPTED = (200, "text/xml; charset=utf-8",
            '<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>\n')
HTML_500 = (500, "text/html", "<html><head><title>Oops</title></head><body>It broke</body></html>")
SILENT_AT_MOST = 30        # seconds a silent answer waits for release()
# How often a server looks for shutdown(): close() waits up to this (0.5 s by default).
POLL_SECONDS = 0.02

# One request as the server got it: fields are a POST's form fields ({} for a GET).
Request = namedtuple("Request", "method path fields content_type user_agent")


class Served:
    """A server run in a thread (serve()) until close(), or the end of a
    `with` block."""

    def serve(self, server):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()


class LocalWeb(Served):
    """A ThreadingHTTPServer on 127.0.0.1 answering from `answers`, {path:
    answer}. A path is looked up as requested (with its query string), then
    without the query: `url("/post", ...)` also answers "/post?2"."""

    def __init__(self):
        self.answers = {}
        self.requests = []
        self.headers = []           # each request's headers (an email.message.Message), in order
        self.released = threading.Event()
        self.serve(ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self)))
        self.base = "http://127.0.0.1:%d" % self.server.server_address[1]

    def url(self, path, answer):
        """Answer `path` with `answer` from now on; its full URL."""
        self.answers[path] = answer
        return self.base + path

    def html(self, path, text, content_type="text/html; charset=utf-8", encoding="utf-8"):
        """Serve `text` as a page at `path`, encoded as told; its URL."""
        return self.url(path, (200, content_type, text.encode(encoding)))

    def answer_for(self, path):
        if path in self.answers:
            return self.answers[path]
        return self.answers.get(path.split("?", 1)[0], NOT_FOUND)

    def paths(self, method=None):
        """The paths requested (by `method` only, if given), in order."""
        return [request.path for request in self.requests if method in (None, request.method)]

    def posts_to(self, path):
        """The fields of each POST to `path`, in order."""
        return [request.fields for request in self.requests if request.method == "POST" and request.path == path]

    @property
    def received(self):
        """What the POSTs brought: (path, fields, content type, user agent) each."""
        return [request[1:] for request in self.requests if request.method == "POST"]

    def release(self):
        """Let the SILENT answers go (they end without a response)."""
        self.released.set()

    def close(self):
        self.release()
        super().close()


def _handler_for(web):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.answer(self.record("GET", {}))

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.answer(self.record("POST", dict(parse_qsl(self.rfile.read(length).decode("utf-8")))))

        def record(self, method, fields):
            web.requests.append(Request(method, self.path, fields, self.headers.get("Content-Type"),
                                        self.headers.get("User-Agent")))
            web.headers.append(self.headers)
            return web.answer_for(self.path)

        def answer(self, answer):
            if answer == SILENT:
                web.released.wait(SILENT_AT_MOST)
            elif answer == ENDLESS:
                self.answer_endlessly()
            else:
                status, headers, body = answer
                if isinstance(headers, str):
                    headers = {"Content-Type": headers}
                data = body.encode("utf-8") if isinstance(body, str) else body
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        def answer_endlessly(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.end_headers()
            chunk = b"<response>" * 6554
            for _ in range(3000):      # 200 MB at most, if the client never hangs up
                try:
                    self.wfile.write(chunk)
                except OSError:
                    return

        def log_message(self, *args):
            pass

    return Handler


class Directory(Served):
    """weblogUpdates.ping as a real XML-RPC server: records its arguments and
    answers as weblogs.com did."""

    def __init__(self, answer=None):
        self.calls = []
        self.answer = answer or {"flerror": False, "message": "Thanks for the ping."}

        class Quiet(SimpleXMLRPCRequestHandler):
            rpc_paths = ("/RPC2",)

            def log_message(self, *args):
                pass

        server = SimpleXMLRPCServer(("127.0.0.1", 0), requestHandler=Quiet, logRequests=False, allow_none=True)
        server.register_function(self.ping, "weblogUpdates.ping")
        self.serve(server)
        self.url = "http://127.0.0.1:%d/RPC2" % self.server.server_address[1]

    def ping(self, name, url):
        self.calls.append((name, url))
        return self.answer
