"""What mt.cgi's screens stand on: the request, Movable Type's `__mode`
dispatch, error pages, and redirects that stay on the script.

A screen is a method `mode_<name>(request)` returning a web.Response;
`?__mode=<name>` (or a form field of that name) chooses it.
"""

from mtpy import web
from mtpy.request import Request, RequestError

_MODE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


class HTTPError(Exception):
    """Raised by a screen: answered with the application's error page."""

    def __init__(self, status, message, headers=()):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.headers = list(headers)


class Application:
    """A WSGI application built of `mode_<name>` methods. Subclasses set
    `default_mode` and override `error_page` with their own template."""

    default_mode = "default"
    name = "mt.cgi"              # in the log's lines

    def __init__(self, config):
        self.config = config

    def __call__(self, environ, start_response):
        request = self.request_for(environ)
        try:
            response = self.dispatch(request)
        except (HTTPError, RequestError) as error:
            response = self._error_response(request, error.status, error.message)
            response.headers += getattr(error, "headers", [])
        except Exception:
            where = "%s %s%s (__mode=%s)" % (request.method, request.script_name, request.path_info,
                                             self._mode_for_log(request))
            # What the client sent cannot start log lines of its own.
            web.log_error(self.config.get("LogFile"), "%s failed on %s" % (
                self.name, "".join(c if c >= " " else "?" for c in where)))
            response = self._error_response(request, 500, "Something went wrong on the server; "
                                                           "the site's log has the details.")
        return response(environ, start_response)

    def request_for(self, environ):
        return Request(environ, trusted_proxies=self.config.get("TransparentProxyIPs"),
                       max_body=self.config.get("MaxUploadBytes"))

    @staticmethod
    def _mode_for_log(request):
        try:
            return request.param("__mode")[:64]
        except RequestError:
            return request.query.get("__mode")[:64]

    def _error_response(self, request, status, message):
        """The application's error page; the plain one when that fails too."""
        try:
            return self.error_page(request, status, message)
        except Exception:
            web.log_error(self.config.get("LogFile"), "%s: the error page failed" % self.name)
            return Application.error_page(self, request, status, message)

    def dispatch(self, request):
        """MT's dispatch: `__mode` (form, then query string), else default_mode,
        names the method `mode_<name>` that answers."""
        mode = request.param("__mode") or self.default_mode
        handler = None
        if len(mode) <= 64 and all(c in _MODE_CHARACTERS for c in mode):
            handler = getattr(self, "mode_" + mode, None)
        if not callable(handler):
            raise HTTPError(404, "Unknown action %s" % mode[:64])
        return handler(request)

    def error_page(self, request, status, message):
        """A small page saying what went wrong (escaped); never a traceback."""
        from mtpy.text import escape_html
        title = escape_html(web.status_line(status))
        return web.Response(
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>%s</title>%s</head>\n'
            "<body><h1>%s</h1>\n<p>%s</p></body></html>\n" % (title, web.ICON_LINK, title, escape_html(message)),
            status=status, csp="default-src 'none'; img-src data:")

    def safe_redirect_target(self, request, target, fallback):
        """`target` when it leads back to this script (`?query`, the script's
        name or its path, each with a query string), else `fallback`: a return
        address taken from a form never sends anyone to another site."""
        if not target or any(c <= " " or c in "\\\x7f" for c in target):
            return fallback
        path = target.split("?", 1)[0]
        if "#" in path:
            return fallback
        script = request.script_name
        if path == "" or (script and path in (script, script.rsplit("/", 1)[-1])):
            return target
        return fallback
