"""How mtpy's applications are hosted, and the CGI runner every .cgi script uses.

The applications (mtpy.apps) are WSGI callables, all made from mt.cfg one way:
`build`, which `load` uses for a .cgi script and mtpy.hosting.scripts for the
persistent processes. `run_cgi` serves one request under CGI/1.1, as
cgi-bin/*.cgi do. They live in the package's face: the ping path (mt-tb.cgi)
pays for every module it imports. The rest is loaded only by what uses it: `fastcgi` (the .fcgi scripts), `scripts` (the applications kept in
memory: FastCGI, Passenger, `mtpy serve --wsgi`), `site` (the whole installation
as one WSGI application) and `devserver` (`mtpy serve`).
"""

import os
import sys

from mtpy import web
from mtpy.config import find_config_path, load as load_config


def build(app_class, config_path):
    """The one way an application is made: `app_class(config)` with the mt.cfg
    at `config_path` (the defaults where there is no file), its warnings logged
    when the class says so (`log_config_warnings`). Raises what reading a broken
    mt.cfg raises."""
    config = load_config(config_path)
    if app_class.log_config_warnings:
        for warning in config.warnings:
            web.log_error(config.get("LogFile"), "warning: " + warning)
    return app_class(config)


def load(app_class):
    """A .cgi script's application (`run_cgi(load(TrackbackApp))`): built
    (build) from mt.cfg found as the script finds it, MT_CONFIG, else beside
    the script. While mt.cfg cannot be read, app_class.misconfigured(error)
    answers: no details, they go to the web server's error log."""
    try:
        return build(app_class, find_config_path(script_dir()))
    except Exception as error:     # a broken mt.cfg: say so without details
        return app_class.misconfigured(error)


def script_dir():
    """The running script's folder: SCRIPT_FILENAME's (CGI), else argv[0]'s."""
    script = os.environ.get("SCRIPT_FILENAME") or (sys.argv[0] if sys.argv else "")
    return os.path.dirname(os.path.realpath(script)) if script else None


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
