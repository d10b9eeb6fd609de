"""The HTTP side of `mtpy serve`: a threading HTTP/1.1 server whose handler
runs /cgi-bin/NAME.cgi (mtpy.hosting.devserver.scripts) with the environment CGI/1.1
gives it, and serves other URLs from the mounted folders
(mtpy.hosting.devserver.static); requests it cannot take get a short plain answer."""

import os
import re
import shutil
import socket
import socketserver
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_to_bytes, urlsplit

from mtpy import __version__
from mtpy.hosting.devserver.log import log, printable
from mtpy.hosting.devserver.scripts import (
    CGI_TIMEOUT, DEFERRED_TIMEOUT, MAX_OUTPUT, CGIError, CGIOutputTooLarge, CGITimeout, parse_cgi_output, run_cgi)
from mtpy.hosting.devserver.static import find_static_file, guess_type, linkback_headers, normalize_mounts


CGI_PREFIX = "/cgi-bin/"
MAX_BODY = 10 * 1024 * 1024         # largest request body passed to a script

# Request headers that become HTTP_* variables. Names with underscores or other
# characters are dropped, as Apache and nginx do, so "X_Forwarded_For" cannot
# masquerade as HTTP_X_FORWARDED_FOR.
_ENV_HEADER = re.compile(r"^[A-Za-z0-9-]+$")
_FOLDED = re.compile(r"\r?\n[ \t]*")
# Connection-level headers belong to this server, not to the script.
_HOP_BY_HOP = frozenset(
    ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]
)


# --- the HTTP side ----------------------------------------------------------

class DevRequestHandler(BaseHTTPRequestHandler):
    """Routes /cgi-bin/NAME.cgi to scripts and everything else to the mounts."""

    protocol_version = "HTTP/1.1"       # keep-alive; every response has a length
    server_version = "mtpy-devserver/" + __version__
    # Bounds idle keep-alive connections and stalled uploads, so a silent
    # client cannot hold a thread forever.
    timeout = 75

    # Set per request: True while a request body has not been read, so the
    # response must close the connection (the unread bytes would otherwise be
    # taken for the next request).
    _body_unread = False

    def _dispatch(self):
        """GET, HEAD and POST alike: the CGI script sees the method."""
        self._started = time.time()
        self._body_unread = self._has_body()
        target = self._raw_target()
        if target is None:
            return self._send_plain(400, "Bad request target.")
        raw_path, _, raw_query = target.partition(b"?")
        if b"\0" in raw_query:
            return self._send_plain(400, "Bad query string.")
        try:
            # Percent-decoding to bytes, then the filesystem's decoding with
            # surrogateescape: any byte sequence survives into PATH_INFO and
            # file names unchanged.
            path = os.fsdecode(unquote_to_bytes(raw_path))
        except UnicodeError:
            return self._send_plain(404, "Not found.")
        if "\0" in path or ".." in path.split("/"):
            return self._send_plain(404, "Not found.")
        if path.startswith(CGI_PREFIX):
            return self._run_script(path, raw_query, target)
        return self._serve_static(path, raw_path, raw_query)

    # Every method reaches the script, which answers what it does not take
    # (mt-tb.cgi: 405 with Allow), as under lighttpd and Apache; static files
    # take GET and HEAD only.
    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _dispatch

    def parse_request(self):
        if not BaseHTTPRequestHandler.parse_request(self):
            return False
        # The stdlib only understands a Connection header that is exactly
        # "close" or "keep-alive", but it is a list (RFC 7230 6.1): Perl's
        # LWP sends "TE, close" and then waits for the server to hang up.
        tokens = set()
        for value in self.headers.get_all("Connection") or []:
            tokens.update(token.strip().lower() for token in value.split(","))
        if "close" in tokens:
            self.close_connection = True
        elif "keep-alive" in tokens:
            self.close_connection = False
        return True

    def _raw_target(self):
        """The request target as the client sent it (bytes), in origin form."""
        # The stdlib decoded the request line as Latin-1: encoding it back
        # recovers the exact bytes.
        target = self.path.encode("latin-1").partition(b"#")[0]
        if target.startswith(b"/"):
            return target
        # Absolute form ("GET http://host/path"), which proxy-minded clients send.
        parts = urlsplit(target)
        if parts.scheme.lower() in (b"http", b"https") and parts.path.startswith(b"/"):
            return parts.path + (b"?" + parts.query if parts.query else b"")
        return None

    def _has_body(self):
        length = self.headers.get("Content-Length", "").strip()
        return bool(self.headers.get("Transfer-Encoding")) or (length not in ("", "0"))

    def _read_body(self):
        """The request body, or None once an error response has been sent."""
        if self.headers.get("Transfer-Encoding"):
            # CGI needs CONTENT_LENGTH; de-chunking uploads is not worth it here.
            self._send_plain(411, "Send the body with a Content-Length.")
            return None
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return b""
        values = set(value.strip() for value in lengths)
        if len(values) != 1 or not next(iter(values)).isdigit():
            self._send_plain(400, "Bad Content-Length.")
            return None
        length = int(values.pop())
        if length > self.server.max_body:
            self._send_plain(413, "Request body larger than %d bytes." % self.server.max_body)
            return None
        body = self.rfile.read(length)
        if len(body) != length:
            # The client went away mid-upload: nobody to answer.
            self.close_connection = True
            return None
        self._body_unread = False
        return body

    def handle_expect_100(self):
        # Refuse an oversized upload before the client starts sending it.
        length = self.headers.get("Content-Length", "").strip()
        if length.isdigit() and int(length) > self.server.max_body:
            self._started = time.time()
            self._send_plain(413, "Request body larger than %d bytes." % self.server.max_body,
                             close=True)
            return False
        return BaseHTTPRequestHandler.handle_expect_100(self)

    # CGI

    def _run_script(self, path, raw_query, target):
        name, slash, extra = path[len(CGI_PREFIX):].partition("/")
        script = self._find_script(name)
        if script is None:
            return self._send_plain(404, "No such script.")
        body = self._read_body()
        if body is None:
            return
        server = self.server
        try:
            env = self._cgi_environ(name, script, slash + extra, raw_query, target, body)
        except UnicodeError:
            # Only where file names must be valid Unicode (Windows): bytes
            # in the URL that no environment variable can carry.
            return self._send_plain(400, "Undecodable bytes in the request.")
        argv = [server.python, script] if server.python else [script]
        try:
            output = run_cgi(argv, env, server.cgi_dir, body, name, server.cgi_timeout,
                             server.max_output, server.deferred_timeout)
            status, reason, headers, response_body = parse_cgi_output(output)
        except CGITimeout as error:
            log(str(error))
            return self._send_plain(504, "The script %s took too long." % name)
        except CGIError as error:
            log("%s: %s" % (name, error))
            return self._send_plain(502 if isinstance(error, CGIOutputTooLarge) else 500,
                                    "The script %s failed; see the server log." % name)
        except (OSError, ValueError) as error:
            # Not executable, bad #! line, or an environment value the OS refuses.
            log("%s: cannot run: %s" % (name, error))
            return self._send_plain(500, "The script %s could not be run; see the server log." % name)
        self._send_cgi_response(status, reason, headers, response_body)

    def _find_script(self, name):
        """Full path of NAME.cgi directly inside cgi_dir, or None."""
        if not name.endswith(".cgi") or name.startswith(".") or "\\" in name:
            return None
        if os.sep in name or (os.altsep and os.altsep in name):
            return None
        candidate = os.path.join(self.server.cgi_dir, name)
        return candidate if os.path.isfile(candidate) else None

    def _cgi_environ(self, name, script, path_info, raw_query, target, body):
        """The script's whole environment (RFC 3875 section 4.1): nothing of the
        server's own environment leaks in except PATH."""
        server = self.server
        env = {"PATH": os.environ.get("PATH", os.defpath)}
        if os.name == "nt" and "SYSTEMROOT" in os.environ:
            env["SYSTEMROOT"] = os.environ["SYSTEMROOT"]  # Windows Python cannot start without it
        env.update(server.cgi_environ)
        env.update({
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_SOFTWARE": self.version_string(),
            "SERVER_NAME": _host_name(self.headers.get("Host", "")) or server.server_name,
            "SERVER_PORT": str(server.server_port),
            "SERVER_PROTOCOL": self.request_version,
            "REQUEST_METHOD": self.command,
            # Not CGI/1.1, but Apache sets it and scripts rely on it.
            "REQUEST_URI": os.fsdecode(target),
            "SCRIPT_NAME": CGI_PREFIX + name,
            "SCRIPT_FILENAME": script,
            "QUERY_STRING": os.fsdecode(raw_query),
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_HOST": self.client_address[0],   # no reverse DNS, as RFC 3875 allows
            "REMOTE_PORT": str(self.client_address[1]),
        })
        if path_info:
            # Absent rather than empty when there is no extra path, as with Apache.
            env["PATH_INFO"] = path_info
        if self.headers.get("Content-Type") is not None:
            env["CONTENT_TYPE"] = self.headers["Content-Type"]
        if self.headers.get("Content-Length") is not None:
            env["CONTENT_LENGTH"] = str(len(body))
        from_headers = {}
        for header, value in self.headers.items():
            lowered = header.lower()
            # Content-Type/Length have their own variables. "Proxy" would become
            # HTTP_PROXY, which HTTP libraries in the script take as their proxy
            # setting (the "httpoxy" hole), so it is never passed on.
            if lowered in ("content-type", "content-length", "proxy") or not _ENV_HEADER.match(header):
                continue
            value = _FOLDED.sub(" ", str(value))
            if "\0" in value:
                continue  # no environment can hold it
            # The header bytes exactly as sent (the stdlib decoded them as Latin-1).
            value = os.fsdecode(value.encode("latin-1", "replace"))
            key = "HTTP_" + header.upper().replace("-", "_")
            from_headers[key] = from_headers[key] + ", " + value if key in from_headers else value
        env.update(from_headers)
        return env

    def _send_cgi_response(self, status, reason, headers, body):
        passed = []
        declared = None
        for name, value in headers:
            lowered = name.lower()
            if lowered in _HOP_BY_HOP:
                continue
            if lowered == "content-length":
                declared = value
                continue
            passed.append((name, value))
        bodiless = status in (204, 304)
        if not bodiless:
            if self.command == "HEAD" and not body and declared and declared.isdigit():
                # A HEAD-aware script announces the length its GET would have.
                length = declared
            else:
                # Always the real length: a wrong one would desynchronise
                # keep-alive clients.
                length = str(len(body))
                if declared is not None and declared != length:
                    log("%s: Content-Length %s replaced by the actual %s"
                         % (self.path, declared, length))
            passed.append(("Content-Length", length))
        self._send_head(status, passed, len(body), reason)
        if self.command != "HEAD" and not bodiless:
            self.wfile.write(body)

    # static files

    def _serve_static(self, path, raw_path, raw_query):
        if self.command not in ("GET", "HEAD"):
            return self._send_plain(405, "Method not allowed.", headers=[("Allow", "GET, HEAD")])
        location = raw_path.decode("latin-1") + "/" + ("?" + raw_query.decode("latin-1") if raw_query else "")
        found, target = find_static_file(self.server.mounts, path)
        if found == "redirect":
            return self._redirect(location)
        if found != "file" and path == "/favicon.ico":
            # Browsers ask for it on every page of a site that has none: "no
            # icon" (kept a day) rather than a 404 in the log each time. A
            # weblog's own favicon.ico is served as any file.
            return self._send_head(204, [("Cache-Control", "max-age=86400")], 0)
        if found != "file":
            return self._send_plain(404, "Not found.")
        try:
            handle = open(target, "rb")
        except PermissionError:
            return self._send_plain(403, "Forbidden.")
        except OSError:
            return self._send_plain(404, "Not found.")
        with handle:
            size = os.fstat(handle.fileno()).st_size
            self._send_head(200, [
                ("Content-Type", guess_type(target)),
                ("Content-Length", str(size)),
                # Pages change on every rebuild; make browsers always ask.
                ("Cache-Control", "no-cache"),
            ] + linkback_headers(target, self.headers.get("Host")), size)
            if self.command != "HEAD":
                shutil.copyfileobj(handle, self.wfile)

    def _redirect(self, location):
        self._send_plain(301, "Moved to %s\n" % location, headers=[("Location", location)])

    # responses and logging

    def _send_head(self, status, headers, size, reason=None, close=False):
        """Status line and headers, then the access log line. Server and Date
        are added unless the script sent its own."""
        self.send_response_only(status, reason)
        names = set(name.lower() for name, _ in headers)
        if "server" not in names:
            self.send_header("Server", self.version_string())
        if "date" not in names:
            self.send_header("Date", self.date_time_string())
        for name, value in headers:
            self.send_header(name, value)
        if close or self._body_unread or self.close_connection:
            # The last response on this connection says so.
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        # Logged before the body goes out, so the line is never lost to a
        # shutdown racing the client, and log order follows request order.
        self._log_access(status, size)

    def _send_plain(self, status, text, headers=(), close=False):
        """A short text/plain response (errors, redirects)."""
        phrase = self.responses.get(status, ("",))[0]
        body = ("%d %s\n\n%s\n" % (status, phrase, text.rstrip("\n"))).encode("utf-8")
        self._send_head(status, list(headers) + [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ], len(body), close=close)
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_error(self, code, message=None, explain=None):
        """The stdlib calls this for requests it cannot parse (400, 414, 431,
        501); answer them in the same plain style and drop the connection."""
        self._started = getattr(self, "_started", None) or time.time()
        self._send_plain(code, message or explain or "", close=True)

    def _log_access(self, status, size):
        elapsed = time.time() - (getattr(self, "_started", None) or time.time())
        log('[%s] %s "%s" %d %d %.2fs' % (
            time.strftime("%H:%M:%S %z"), self.client_address[0], printable(self.requestline),
            status, size, elapsed))
        self._started = None

    def log_request(self, code="-", size="-"):
        pass  # _send_head writes the access line, with the size

    def log_message(self, format, *args):
        log("%s %s" % (self.client_address[0], printable(format % args)))


def _host_name(host_header):
    """The host part of a Host header ("example.com:8000" -> "example.com"),
    or "" if it looks wrong; SERVER_NAME follows it, as Apache's
    UseCanonicalName Off does."""
    host = host_header.strip()
    if host.startswith("["):
        host = host[:host.find("]") + 1] if "]" in host else ""
    else:
        host = host.partition(":")[0]
    return host if re.match(r"^[A-Za-z0-9.\-\[\]:]+$", host) else ""


class DevServer(ThreadingHTTPServer):
    """One thread per connection; every CGI request is its own subprocess."""

    daemon_threads = True       # Ctrl-C must not wait for open keep-alive connections
    cgi_timeout = CGI_TIMEOUT
    deferred_timeout = DEFERRED_TIMEOUT
    max_body = MAX_BODY
    max_output = MAX_OUTPUT

    def __init__(self, address, cgi_dir, mounts, environ=None, python=None):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.cgi_dir = os.path.abspath(os.fspath(cgi_dir))
        self.mounts = normalize_mounts(mounts)
        self.cgi_environ = {str(key): str(value) for key, value in (environ or {}).items()}
        self.python = os.fspath(python) if python else None
        ThreadingHTTPServer.__init__(self, address, DevRequestHandler)

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's FQDN, which can stall for
        # seconds without working reverse DNS; the name is only SERVER_NAME's
        # fallback when a client sends no Host header.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host if host not in ("", "0.0.0.0", "::") else "localhost"
        self.server_port = port

    def handle_error(self, request, client_address):
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, socket.timeout)):
            log("%s: connection lost (%s)" % (client_address[0], error.__class__.__name__))
            return
        ThreadingHTTPServer.handle_error(self, request, client_address)  # traceback: a bug here


def make_server(host, port, cgi_dir, mounts, environ=None, python=None):
    """A bound, not yet serving DevServer: /cgi-bin/*.cgi from cgi_dir, static
    files from mounts [(url_prefix, folder)]. environ is added to every
    script's environment; python, if given, runs each script as
    [python, script] instead of through its #! line."""
    return DevServer((host, port), cgi_dir, mounts, environ=environ, python=python)


def serve(host, port, cgi_dir, mounts, environ=None, python=None, urls_message=None):
    """Serve until Ctrl-C (the `mtpy serve` command)."""
    server = make_server(host, port, cgi_dir, mounts, environ=environ, python=python)
    bound_host, bound_port = server.server_address[:2]
    shown = "[%s]" % bound_host if ":" in bound_host else bound_host
    print("mtpy serve: listening on http://%s:%d/" % (shown, bound_port), flush=True)
    if urls_message:
        print(urls_message, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("mtpy serve: stopped", flush=True)
    finally:
        server.server_close()
