"""Requests answered by a WSGI application in this process, as a web server
would answer them, in the manner of Werkzeug's test client: a request costs
milliseconds, not a process. The work an application leaves for after its
answer (the body iterable's close(): republishing, sending pings, mail) runs
before the answer is returned, so a test sees its effects at once.

`serve_in_process(site)` answers the whole installation (mtpy.hosting.site:
the scripts at /cgi-bin/ and the weblogs' files) at the site's URL: from then
on `support.http.http`, `post` and a `support.client.CMSClient` of that URL
reach it without a network or a server process."""

import http.client
import io
import sys
import urllib.parse
import urllib.request
import urllib.response

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


def answering(netloc):
    """The application answering "host:port" in this process, if one does."""
    return _ANSWERING.get(netloc)


def serve_in_process(site):
    """Answer the site's URL with its whole installation in this process; the
    application (mtpy.hosting.site.SiteApp). stop_serving(site) ends it.
    A ping's republishing runs before its answer returns here, so it does not
    wait RepublishDelay for other pings to share it (mt.cfg gets
    `RepublishDelay 0` unless it says otherwise): there are none meanwhile."""
    with open(site.config_path) as handle:
        if not any(line.split()[:1] == ["RepublishDelay"] for line in handle):
            site.update_config("RepublishDelay 0\n")
    from mtpy.cli import serve_mounts
    from mtpy.hosting.site import SiteApp
    from mtpy.models import Blog
    store = site.store()
    try:
        mounts = serve_mounts(store.find(Blog))
    finally:
        store.close()
    app = SiteApp(site.config_path, mounts, site.folder + "/cgi-bin")
    _ANSWERING[urllib.parse.urlsplit(site.base).netloc] = app
    site.server = "in-process"
    return app


def stop_serving(site):
    """Stop answering the site's URL; close the stores its scripts hold."""
    app = _ANSWERING.pop(urllib.parse.urlsplit(site.base).netloc, None)
    for script in getattr(app, "scripts", {}).values():
        script.retire()


class InProcessHandler(urllib.request.HTTPHandler):
    """urllib's http:// handler, answering from an application in this process:
    `app` for every URL, else the one answering the URL's host and port
    (serve_in_process), else the network. Cookies and redirects work as over HTTP."""

    def __init__(self, app=None):
        urllib.request.HTTPHandler.__init__(self)
        self.app = app

    def http_open(self, request):
        app = self.app or answering(urllib.parse.urlsplit(request.full_url).netloc)
        if app is None:
            return urllib.request.HTTPHandler.http_open(self, request)
        status, headers, data = call(app, request.get_method(), request.full_url, request.data or b"",
                                     request.header_items())
        message = http.client.HTTPMessage()
        for name, value in headers:
            message[name] = value
        response = urllib.response.addinfourl(io.BytesIO(data), message, request.full_url, int(status[:3]))
        response.msg = status[4:]
        return response
