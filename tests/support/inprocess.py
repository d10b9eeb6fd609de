"""A Site served in this process: its scripts answered by the WSGI applications
the .cgi scripts run, with no web server and no process per request.

Each request is answered as a CGI process answers it (mtpy.hosting.run_cgi):
the application is built afresh from mt.cfg (so nothing is kept from one
request to the next), the body is read whole, the store is let go of and the
work after the answer runs, then the store is closed. Here that work runs
before the answer reaches the test: a test sees its result at once, with no
polling. The URLs are `mtpy serve`'s (mtpy.hosting.site.SiteApp: the scripts
at /cgi-bin/, each weblog's files at their URLs' paths).

`serving(site)` answers requests to the site's 127.0.0.1 port in this
process: conftest's http() (urllib's default opener, through `_Dispatch`) and
raw_request() reach it unchanged; every other port is real HTTP as before.
"""

import contextlib
import os
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request

from cms_client import _InProcess, _NoRedirect
from mtpy import web
from mtpy.cli import serve_mounts
from mtpy.hosting.site import SiteApp
from mtpy.models import Blog

SITES = {}          # port -> CGIInProcess, while a test serves that site


class CGIInProcess:
    """The WSGI application of a Site's URLs, each request answered as by a
    CGI process of its own (see the module's docstring). The weblogs' folders
    are mounted when it starts, as `mtpy serve` mounts them."""

    def __init__(self, site):
        store = site.store()
        try:
            self.mounts = serve_mounts(store.find(Blog))
        finally:
            store.close()
        self.config_path = site.config_path
        self.cgi_dir = os.path.join(site.folder, "cgi-bin")

    def __call__(self, environ, start_response):
        site = SiteApp(self.config_path, self.mounts, self.cgi_dir)
        started = []

        def keep(status, headers, exc_info=None):
            started[:] = [status, headers]

        result = None
        try:
            result = site(environ, keep)
            body = b"".join(result)
            status, headers = started
        except Exception:       # as run_cgi: a bare 500, the traceback to the log (stderr)
            web.log_error(None, "Unhandled error in %s" % environ.get("PATH_INFO"))
            body = b"Internal Server Error\n"
            status, headers = web.STATUS_TEXT[500], [("Content-Type", "text/plain; charset=utf-8")]
            result = None
        try:
            if result is not None and hasattr(result, "close") and getattr(result, "after", True):
                if hasattr(result, "release"):
                    result.release()
                result.close()          # the after-answer work, before the test reads the answer
        except Exception:
            web.log_error(None, "Deferred work failed")
        finally:
            for script in site.scripts.values():
                script.retire()         # the CGI process's end: its store closed
        start_response(status, headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]


class _Dispatch(urllib.request.HTTPHandler):
    """urllib's HTTP handler, but a port in SITES is answered in this process
    (cms_client's _InProcess builds the request's environment), with the path
    in PATH_INFO as a WSGI server gives it (PEP 3333: %XX decoded, as latin-1),
    from `remote_addr` (a client socket bound to another loopback address)."""

    def __init__(self, remote_addr="127.0.0.1"):
        urllib.request.HTTPHandler.__init__(self)
        self.remote_addr = remote_addr

    def http_open(self, request):
        parts = urllib.parse.urlsplit(request.full_url)
        application = SITES.get(parts.port) if parts.hostname == "127.0.0.1" else None
        if application is None:
            return urllib.request.HTTPHandler.http_open(self, request)
        path = urllib.parse.unquote_to_bytes(parts.path).decode("latin-1")

        def at_path(environ, start_response):
            return application(dict(environ, SCRIPT_NAME="", PATH_INFO=path, REMOTE_ADDR=self.remote_addr),
                               start_response)

        return within_time(lambda: _InProcess(at_path).http_open(request), request.timeout)


def within_time(answer, timeout):
    """answer() in a thread of its own, bounded as a socket's read is: past
    `timeout` seconds (urlopen's), the URLError a server that never answers
    gives (the thread is left to finish)."""
    outcome = {}

    def run():
        try:
            outcome["response"] = answer()
        except BaseException as error:     # raised again in the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name="in-process request", daemon=True)
    worker.start()
    worker.join(timeout if isinstance(timeout, (int, float)) else None)
    if worker.is_alive():
        raise urllib.error.URLError(socket.timeout("no answer in %s s (in-process)" % timeout))
    if "error" in outcome:
        raise outcome["error"]
    return outcome["response"]


_COMPILED = {}     # what jinja2 compiled in this process: see compiling_once


@contextlib.contextmanager
def compiling_once():
    """While the block runs, jinja2 compiles a template text once in this
    process. Each test's site is new, so its disk cache of compiled templates
    (keyed by the file's path) is empty, and the first republish of every test
    compiled the same default templates again (0.3 of the 0.5 s a first ping
    took). The code depends on the text and on what the environment is, never
    on the file: the key holds all of those. A template that does not compile
    raises each time (nothing is kept)."""
    import jinja2
    compile_text = jinja2.Environment.compile
    if getattr(compile_text, "remembers", False):      # a second site in the same test
        yield
        return

    def compile_remembered(self, source, name=None, filename=None, raw=False, defer_init=False):
        if not isinstance(source, str):
            return compile_text(self, source, name, filename, raw, defer_init)
        key = (type(self), source, name, raw, defer_init, self.autoescape, self.optimized, self.finalize,
               tuple(sorted(self.extensions)), frozenset(self.filters), frozenset(self.tests))
        if key not in _COMPILED:
            _COMPILED[key] = compile_text(self, source, name, filename, raw, defer_init)
        return _COMPILED[key]

    compile_remembered.remembers = True
    jinja2.Environment.compile = compile_remembered
    try:
        yield
    finally:
        jinja2.Environment.compile = compile_text


@contextlib.contextmanager
def serving(site):
    """Answer requests to `site`'s port in this process while the block runs."""
    if not any(isinstance(handler, _Dispatch) for handler in getattr(urllib.request._opener, "handlers", ())):
        urllib.request.install_opener(urllib.request.build_opener(_Dispatch()))
    # The delay gathers the pings of concurrent processes into one republish;
    # here the work runs before the answer returns, so each ping would wait it.
    site.update_config("RepublishDelay 0\n")
    SITES[site.port] = CGIInProcess(site)
    try:
        with compiling_once():
            yield site
    finally:
        del SITES[site.port]


def serves(port):
    """Whether a site on 127.0.0.1:`port` is answered in this process."""
    return port in SITES


def answer(request, remote_addr="127.0.0.1", timeout=30):
    """A urllib Request to a site served in this process, answered as from
    `remote_addr`, no redirect followed: (status, headers, body)."""
    opener = urllib.request.build_opener(_Dispatch(remote_addr), _NoRedirect())
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        return response.code, response.headers, response.read()


def raw_request(port, data, timeout=30):
    """conftest.raw_request's answer from a site served in this process: the
    request's bytes parsed as a server would (request line, headers as latin-1,
    the body after the blank line), (status, head text, body bytes) back."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    request = urllib.request.Request("http://127.0.0.1:%d%s" % (port, target), data=body or None, method=method)
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() != "content-length":       # the body's own length: as sent
            request.add_header(name.strip(), value.strip())
    status, headers, body = answer(request, timeout=timeout)
    return status, "HTTP/1.1 %d\r\n" % status + "".join("%s: %s\r\n" % pair for pair in headers.items()), body
