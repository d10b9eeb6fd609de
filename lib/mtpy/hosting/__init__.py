"""How mtpy's applications are hosted, and the CGI runner every .cgi script uses.

The applications (mtpy.apps) are WSGI callables. `run_cgi` serves one request
under CGI/1.1, as cgi-bin/*.cgi do; it lives in the package's face because the
ping path (mt-tb.cgi) pays for every module it imports. The rest is loaded only by
what uses it: `fastcgi` (the .fcgi scripts), `scripts` (the applications kept in
memory: FastCGI, Passenger, `mtpy serve --wsgi`), `site` (the whole installation
as one WSGI application) and `devserver` (`mtpy serve`).
"""

import os
import sys

from mtpy import web


def run_cgi(application):
    """Serve one CGI request with a WSGI application; deferred work (the body
    iterable's close()) runs after the response, in a forked child when possible."""
    environ = dict(os.environ)
    environ.update({
        "wsgi.input": sys.stdin.buffer, "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
        "wsgi.run_once": True,
        "wsgi.url_scheme": "https" if environ.get("HTTPS", "off").lower() in ("on", "1") else "http",
        # os.environ's strings, not PEP 3333's latin-1 ones: raw bytes come back
        # with os.fsencode (mtpy.request).
        web.ENVIRON_FROM_OS: True,
    })
    environ.setdefault("PATH_INFO", "")
    environ.setdefault("QUERY_STRING", "")
    environ.setdefault("SCRIPT_NAME", "")
    out = sys.stdout.buffer
    started = []

    def start_response(status, headers, exc_info=None):
        started[:] = [status, headers]
        return out.write

    result = None
    try:
        result = application(environ, start_response)
        body = b"".join(result)
        status, headers = started
    except Exception:
        web.log_error(None, "Unhandled error in %s" % environ.get("SCRIPT_NAME", "a CGI script"))
        body = b"Internal Server Error\n"
        status, headers = web.STATUS_TEXT[500], [("Content-Type", "text/plain; charset=utf-8")]
        result = None
    deferred = result is not None and hasattr(result, "close") and getattr(result, "after", True)
    if deferred and hasattr(result, "release"):
        # No store handle crosses the fork: SQLite forbids using a connection
        # (or its process-wide lock bookkeeping) in a forked child, whose commits
        # then vanish; a PostgreSQL socket or a held lock file would be shared.
        # The work opens its own. (SQLite: the close checkpoints the WAL.)
        try:
            result.release()
        except Exception:
            web.log_error(None, "Closing the store before the deferred work failed")
    role = _fork_worker() if deferred else "parent"
    if role != "child":
        head = "Status: %s\r\n" % status + "".join("%s: %s\r\n" % pair for pair in headers) + "\r\n"
        try:
            out.write(head.encode("latin-1") + body)
            out.flush()
        except OSError:
            pass  # the client went away
    if role in ("child", "alone"):
        try:
            result.close()
        except Exception:
            web.log_error(None, "Deferred work failed")
    # Leave without the interpreter's teardown. It would close the store's
    # SQLite connection: a WAL checkpoint with fsyncs after every answer that
    # leaves no work (one that does closed it before the fork, above).
    sys.stderr.flush()
    os._exit(0)


def _fork_worker():
    """Split off the deferred work before the response is sent, as MT's
    start_background_task did: web servers end (or kill) a CGI process as soon as
    its response is complete. Returns "child" in the process that leaves the
    server's session and pipes to do the work, "parent" in the one that answers,
    "alone" where there is no fork (answer, then work)."""
    try:
        if os.fork() > 0:
            return "parent"
    except (AttributeError, OSError):
        return "alone"
    os.setsid()
    for stream in (sys.stdin, sys.stdout):
        try:
            os.close(stream.fileno())
        except (OSError, ValueError):
            pass
    return "child"
