"""Requests answered by a WSGI application in this process, as a web server
would answer them, in the manner of Werkzeug's test client: a request costs
milliseconds, not a process. The work an application leaves for after its
answer (the body iterable's close(): republishing, sending pings, mail) runs
before the answer is returned, so a test sees its effects at once.

`serving(site)` (or serve_in_process/stop_serving) answers the whole
installation at the site's URL, each request as a CGI process answers it
(CGIInProcess): from then on `support.http.http`, `raw_request`, `post` and a
`support.client.CMSClient` of that URL reach it without a network or a server
process; every other URL is real HTTP as before."""

import contextlib
import http.client
import io
import os
import socket
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import urllib.response

from mtpy import web

# Applications answering in this process, by "host:port".
_ANSWERING = {}


def call(app, method, url, body=b"", headers=(), remote_address="127.0.0.1"):
    """Ask `app` for `url`: (status line, [(header, value)], body bytes), the
    deferred work done. The path is PATH_INFO, decoded as PEP 3333 says."""
    parts = urllib.parse.urlsplit(url)
    environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "",
               "PATH_INFO": urllib.parse.unquote_to_bytes(parts.path or "/").decode("latin-1"),
               "QUERY_STRING": parts.query, "CONTENT_LENGTH": str(len(body)) if body else "",
               "CONTENT_TYPE": "", "REMOTE_ADDR": remote_address, "REMOTE_PORT": "40000",
               "SERVER_NAME": parts.hostname, "SERVER_PORT": str(parts.port or 80),
               "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_SOFTWARE": "mtpy-tests-in-process",
               "wsgi.version": (1, 0), "wsgi.url_scheme": parts.scheme, "wsgi.input": io.BytesIO(body),
               "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": False,
               "wsgi.run_once": False}
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        else:
            environ["HTTP_" + key] = value
    return respond(app, environ)


def respond(app, environ):
    """`app`'s answer to `environ`: (status line, [(header, value)], body
    bytes), the work after the answer done (the body's close(), as a web server
    calls it)."""
    started = []
    result = app(environ, lambda status, headers, exc_info=None: started.append((status, headers)))
    try:
        data = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    status, headers = started[-1]
    return status, headers, data


def at_script(app):
    """`app` (one script's application) answering at the URL's path, as a CGI
    script there: the path is its SCRIPT_NAME."""
    def answer(environ, start_response):
        environ = dict(environ, SCRIPT_NAME=environ["PATH_INFO"], PATH_INFO="")
        return app(environ, start_response)
    return answer


class CGIInProcess:
    """The WSGI application of a Site's URLs (mtpy.hosting.site.SiteApp: the
    scripts at /cgi-bin/, each weblog's files at their URLs' paths), each
    request answered as by a CGI process of its own (mtpy.hosting.run_cgi): the
    application built afresh from mt.cfg, so nothing is kept from one request
    to the next; the answer read whole; the store let go of and the work after
    the answer run, here before the answer reaches the test; then the store
    closed. The weblogs' folders are mounted when it starts, as `mtpy serve`
    mounts them."""

    def __init__(self, site):
        from mtpy.cli import serve_mounts
        from mtpy.models import Blog
        store = site.store()
        try:
            self.mounts = serve_mounts(store.find(Blog))
        finally:
            store.close()
        self.config_path = site.config_path
        self.cgi_dir = os.path.join(site.folder, "cgi-bin")

    def __call__(self, environ, start_response):
        from mtpy.hosting.site import SiteApp
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


def answering(netloc):
    """The application answering "host:port" in this process, if one does."""
    return _ANSWERING.get(netloc)


def serves(port):
    """Whether a site on 127.0.0.1:`port` is answered in this process."""
    return answering("127.0.0.1:%d" % port) is not None


def serve_in_process(site):
    """Answer the site's URL with its whole installation in this process
    (CGIInProcess) until stop_serving(site). A ping's republishing runs before
    its answer returns here, so it does not wait RepublishDelay for other pings
    to share it (mt.cfg gets `RepublishDelay 0` unless it says otherwise):
    there are none meanwhile."""
    with open(site.config_path) as handle:
        if not any(line.split()[:1] == ["RepublishDelay"] for line in handle):
            site.update_config("RepublishDelay 0\n")
    app = CGIInProcess(site)
    _ANSWERING[urllib.parse.urlsplit(site.base).netloc] = app
    site.server = "in-process"
    return app


def stop_serving(site):
    """Stop answering the site's URL."""
    _ANSWERING.pop(urllib.parse.urlsplit(site.base).netloc, None)


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
    """The site answered in this process while the block runs."""
    serve_in_process(site)
    try:
        with compiling_once():
            yield site
    finally:
        stop_serving(site)


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


class InProcessHandler(urllib.request.HTTPHandler):
    """urllib's http:// handler, answering from an application in this process:
    `app` for every URL, else the one answering the URL's host and port
    (serve_in_process), else the network; as from `remote_address` (a client
    socket bound to another loopback address), within the request's timeout.
    Cookies and redirects work as over HTTP."""

    def __init__(self, app=None, remote_address="127.0.0.1"):
        urllib.request.HTTPHandler.__init__(self)
        self.app = app
        self.remote_address = remote_address

    def http_open(self, request):
        app = self.app or answering(urllib.parse.urlsplit(request.full_url).netloc)
        if app is None:
            return urllib.request.HTTPHandler.http_open(self, request)

        def answer():
            return call(app, request.get_method(), request.full_url, request.data or b"",
                        request.header_items(), self.remote_address)

        status, headers, data = within_time(answer, request.timeout)
        message = http.client.HTTPMessage()
        for name, value in headers:
            message[name] = value
        response = urllib.response.addinfourl(io.BytesIO(data), message, request.full_url, int(status[:3]))
        response.msg = status[4:]
        return response


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def answer(request, remote_address="127.0.0.1", timeout=30):
    """A urllib Request to a site served in this process, answered as from
    `remote_address`, no redirect followed: (status, headers, body)."""
    opener = urllib.request.build_opener(InProcessHandler(remote_address=remote_address), _NoRedirect())
    try:
        response = opener.open(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        response = error
    with response:
        return response.code, response.headers, response.read()


def raw_request(port, data, timeout=30):
    """support.http.raw_request's answer from a site served in this process:
    the request's bytes parsed as a server would (request line, headers as
    latin-1, the body after the blank line), (status, head text, body bytes) back."""
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
