"""mtpy's scripts as applications that stay in memory and serve many
requests (FastCGI's .fcgi scripts, Passenger's passenger_wsgi.py, `mtpy serve
--wsgi`), each rebuilt when its mt.cfg changes."""

import os

from mtpy import web
from mtpy.config import find_config_path
from mtpy.hosting import build

# Each script's application class ("module:class"), imported when its process
# first builds it. (mt-check.cgi's is a function that reads mt.cfg itself; a
# mt.cfg it cannot read is answered as mt-tb.cgi answers it.)
APP_CLASSES = {"mt.cgi": "mtpy.apps.cms:CMSApp", "mt-tb.cgi": "mtpy.apps.trackback:TrackbackApp",
               "mt-pingback.cgi": "mtpy.apps.pingback:PingbackApp",
               "mt-webmention.cgi": "mtpy.apps.webmention:WebmentionApp"}


class ScriptApplication:
    """One script's application (`mt.cgi`, `mt-tb.cgi`, `mt-pingback.cgi`,
    `mt-webmention.cgi` or `mt-check.cgi`) in a
    process that serves many requests. It is built from mt.cfg found as the
    script finds it (MT_CONFIG, else beside the script) and built again when
    that file changes (its modification time, size or inode: one stat a
    request), so that an edit uploaded by FTP takes effect without a restart,
    as under CGI; the replaced one's store is closed. A mt.cfg that cannot be
    read is answered as the CGI script answers it, and read again next time."""

    SCRIPTS = ("mt.cgi", "mt-tb.cgi", "mt-pingback.cgi", "mt-webmention.cgi", "mt-check.cgi")

    def __init__(self, script, script_dir, config_path=None):
        if script not in self.SCRIPTS:
            raise ValueError("not one of mtpy's scripts: %r" % script)
        self.script = script
        self.script_dir = script_dir
        self.config_path = config_path      # None: found as the script finds it
        self.stamp = None
        self.app = None

    def __call__(self, environ, start_response):
        try:
            app = self.current()
        except Exception as error:
            self.stamp = None
            return self.misconfigured(error)(environ, start_response)
        close_store = getattr(app, "close_store", None)
        if close_store is None:
            return app(environ, start_response)
        failed = []

        def noting_failure(status, headers, exc_info=None):
            failed.append(str(status).startswith("5"))
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        result = app(environ, noting_failure)
        if any(failed):
            # The kept store may be what failed (a PostgreSQL server that
            # restarted): the next request opens it again.
            close_store()
        return result

    def current(self):
        path = self.config_path or find_config_path(self.script_dir)
        try:
            found = os.stat(path)
            stamp = (path, found.st_mtime_ns, found.st_size, found.st_ino)
        except OSError:
            stamp = (path, None)
        if stamp != self.stamp:
            self.retire()
            self.app = self.build(path)
            self.stamp = stamp
        return self.app

    def build(self, path):
        if self.script == "mt-check.cgi":      # reads mt.cfg on each request itself
            from mtpy.apps.check import application
            return application
        return build(self.app_class(), path)

    def app_class(self):
        """The class of the script's application but mt-check.cgi's (imported
        only when asked for: each process serves one script)."""
        module, _, name = APP_CLASSES.get(self.script, APP_CLASSES["mt-tb.cgi"]).partition(":")
        return getattr(__import__(module, fromlist=[name]), name)

    def retire(self):
        close = getattr(self.app, "close_store", None)
        self.app = None
        if close is not None:
            try:
                close()
            except Exception:
                web.log_error(None, "Closing the store of a replaced configuration failed")

    def misconfigured(self, error):
        return self.app_class().misconfigured(error)
