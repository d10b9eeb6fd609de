"""mt-check.cgi's application called in this process, and a web server that
records the requests its probes make."""

import html
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.local_web import POLL_SECONDS
from support.wsgi import respond

class Recorder:
    """A web server on 127.0.0.1 that records each request (method, path, Host)
    and answers with `answer(path)`: (status, headers, body)."""

    def __init__(self, answer):
        recorder = self
        self.requests = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.requests.append(("GET", self.path, self.headers.get("Host")))
                status, headers, body = answer(self.path)
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()



def environ_for(site, port, script_name="/cgi-bin/mt-check.cgi", **extra):
    """A CGI environment of a GET of the site's mt-check.cgi on `port`."""
    environ = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": script_name, "PATH_INFO": "", "QUERY_STRING": "",
               "SCRIPT_FILENAME": os.path.join(site.folder, "cgi-bin", "mt-check.cgi"),
               "SERVER_NAME": "127.0.0.1", "SERVER_ADDR": "127.0.0.1", "SERVER_PORT": str(port),
               "HTTP_HOST": "127.0.0.1:%d" % port}
    environ.update(extra)
    return environ


def call(environ):
    """(status, unescaped page) of mt-check.cgi's application."""
    from mtpy.apps.check import application
    status, _, body = respond(application, environ)
    return status, html.unescape(body.decode("utf-8"))
