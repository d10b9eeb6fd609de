"""The whole installation as one WSGI application, for a persistent WSGI server
(`mtpy serve --wsgi`): the scripts at /cgi-bin/ and each weblog's files at the
paths of their URLs, the same URLs as `mtpy serve`, with the applications kept in
memory (mtpy.hosting.scripts) instead of a process per request."""

import os

from mtpy import web

# The scripts whose name mt.cfg may change: the directive, the script.
RENAMED = (("TrackbackScript", "mt-tb.cgi"), ("PingbackScript", "mt-pingback.cgi"),
           ("WebmentionScript", "mt-webmention.cgi"))


class SiteApp:
    def __init__(self, config_path, mounts, cgi_dir):
        from mtpy.hosting.scripts import ScriptApplication
        from mtpy.hosting.devserver import normalize_mounts
        self.mounts = normalize_mounts(mounts)
        self.cgi_dir = cgi_dir
        self.scripts = {name: ScriptApplication(name, cgi_dir, config_path) for name in ScriptApplication.SCRIPTS}

    def script(self, name):
        """The application of /cgi-bin/NAME: one of the scripts, or one that
        mt.cfg names otherwise (TrackbackScript, PingbackScript, WebmentionScript)."""
        if name in self.scripts:
            return self.scripts[name]
        pings = self.scripts["mt-tb.cgi"]
        try:
            config = getattr(pings.current(), "config", None)
        except Exception:           # a broken mt.cfg: mt-tb.cgi's own answer says so
            return None
        if config is None:
            return None
        for directive, script in RENAMED:
            if name == config.get(directive):
                return self.scripts[script]
        return None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        if path.startswith("/cgi-bin/"):
            name, slash, rest = path[len("/cgi-bin/"):].partition("/")
            application = self.script(name)
            if application is None:
                return _plain(404, "Not found.")(environ, start_response)
            environ = dict(environ, SCRIPT_NAME=environ.get("SCRIPT_NAME", "") + "/cgi-bin/" + name,
                           PATH_INFO=slash + rest, SCRIPT_FILENAME=os.path.join(self.cgi_dir, name))
            return application(environ, start_response)
        return self.static(environ, start_response, path)

    def static(self, environ, start_response, path):
        from mtpy.hosting.devserver import find_static_file, guess_type, linkback_headers
        if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
            return _plain(405, "Method not allowed.")(environ, start_response)
        found, target = find_static_file(self.mounts, path)
        if found == "redirect":
            start_response("301 Moved Permanently", [("Location", path + "/"), ("Content-Length", "0")])
            return [b""]
        if found != "file":
            return _plain(404, "Not found.")(environ, start_response)
        with open(target, "rb") as handle:
            body = handle.read()
        start_response("200 OK", [("Content-Type", guess_type(target)), ("Content-Length", str(len(body))),
                                  ("Cache-Control", "no-cache")] + linkback_headers(target, environ.get("HTTP_HOST")))
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]


def _plain(code, text):
    return web.Response(text + "\n", "text/plain; charset=utf-8", web.STATUS_TEXT[code])


def serve(app, host, port, workers, urls_message=None):
    """Run the application in gunicorn's pre-forked workers."""
    try:
        from gunicorn.app.base import BaseApplication
    except ImportError:
        raise RuntimeError("mtpy serve --wsgi needs gunicorn: pip install gunicorn")

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", "%s:%d" % (host, port))
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "warning")

        def load(self):
            return app

    print("mtpy serve --wsgi: %d workers on http://%s:%d/" % (workers, host, port))
    if urls_message:
        print(urls_message)
    Server().run()
