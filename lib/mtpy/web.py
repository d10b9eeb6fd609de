"""WSGI helpers shared by the applications: responses, cookies, the request
body, the client's address, the error log.

The applications are plain WSGI callables; mtpy.hosting serves them (under CGI,
FastCGI, Passenger or `mtpy serve`). No `cgi` module: it is gone from Python 3.13.
"""

import os
import sys

STATUS_TEXT = {200: "200 OK", 301: "301 Moved Permanently", 302: "302 Found", 303: "303 See Other",
               304: "304 Not Modified", 400: "400 Bad Request", 401: "401 Unauthorized",
               403: "403 Forbidden", 404: "404 Not Found", 405: "405 Method Not Allowed",
               409: "409 Conflict", 413: "413 Request Entity Too Large", 429: "429 Too Many Requests",
               500: "500 Internal Server Error", 503: "503 Service Unavailable"}

# Every HTML answer: no MIME sniffing, never inside a frame (clickjacking).
HTML_SECURITY_HEADERS = [("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY")]
SAME_SITE = ("Strict", "Lax", "None")
# RFC 6265's cookie-octet: printable ASCII but space, DQUOTE, comma, semicolon, backslash.
_COOKIE_OCTETS = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset('",;\\')
_TOKEN_SEPARATORS = frozenset('()<>@,;:\\"/[]?={} \t')
# Every page's icon, inline (a blue square with an "m" in mt.cgi's accent
# colour): browsers then never ask for /favicon.ico, which is no file of
# mtpy's (a 404 in the web server's log on every screen). A page's
# Content-Security-Policy allows it with img-src data:.
ICON_LINK = ('<link rel="icon" href="data:image/svg+xml,%3Csvg%20xmlns=\'http://www.w3.org/2000/svg\'%20'
             "viewBox='0%200%2016%2016'%3E%3Crect%20width='16'%20height='16'%20rx='3'%20fill='%232452c9'/%3E"
             "%3Cpath%20d='M4%2012.5V4h1.5L8%208l2.5-4H12v8.5'%20fill='none'%20stroke='white'%20"
             "stroke-width='1.6'/%3E%3C/svg%3E\">")
# Set in the CGI runner's environ (mtpy.hosting.run_cgi): its strings are os.environ's, not PEP 3333's.
ENVIRON_FROM_OS = "mtpy.environ_from_os"


def status_line(status):
    """`404` -> "404 Not Found"; a status line given as text stays as it is."""
    if isinstance(status, int):
        return STATUS_TEXT.get(status, "%d Status" % status)
    return status


class Response:
    """A complete response; `after` holds callables run once it has been sent,
    `before_fork` those that let go of what no forked process may share (the
    store's connection or lock: the CGI runner calls them before it splits off the
    work in `after`, which opens its own)."""

    def __init__(self, body, content_type="text/html; charset=utf-8", status="200 OK", headers=(), csp=None):
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status_line(status)
        self.headers = [("Content-Type", content_type),
                        ("Content-Length", str(len(self.body)))] + list(headers)
        if content_type.lower().startswith("text/html"):
            self.headers += HTML_SECURITY_HEADERS
        if csp:
            self.headers.append(("Content-Security-Policy", _header_value(csp)))
        self.after = []
        self.before_fork = []

    @property
    def status_code(self):
        return int(self.status.split(" ", 1)[0])

    def set_cookie(self, name, value, path, max_age=None, http_only=True, same_site="Lax", secure=False):
        """Add a Set-Cookie header. The value must be cookie-safe already (no
        `;`, `,`, spaces, quotes or control characters: ValueError): encode it
        (base64, hex) rather than quoting it. max_age None: the browser forgets
        the cookie when it closes."""
        if not name or any(c in _TOKEN_SEPARATORS or not " " < c < "\x7f" for c in name):
            raise ValueError("not a cookie name: %r" % name)
        if any(c not in _COOKIE_OCTETS for c in value):
            raise ValueError("a cookie value may not hold %r" % value)
        if not path.startswith("/") or any(c == ";" or not " " <= c < "\x7f" for c in path):
            raise ValueError("not a cookie path: %r" % path)
        if same_site not in SAME_SITE:
            raise ValueError("SameSite is one of %s" % ", ".join(SAME_SITE))
        parts = ["%s=%s" % (name, value), "Path=" + path]
        if max_age is not None:
            parts.append("Max-Age=%d" % max_age)
            if max_age <= 0:
                parts.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        if http_only:
            parts.append("HttpOnly")
        parts.append("SameSite=" + same_site)
        if secure or same_site == "None":   # browsers drop SameSite=None without Secure
            parts.append("Secure")
        self.headers.append(("Set-Cookie", "; ".join(parts)))

    def delete_cookie(self, name, path, secure=False):
        """Make the browser forget a cookie set with this name and path."""
        self.set_cookie(name, "", path, max_age=0, secure=secure)

    def __call__(self, environ, start_response):
        start_response(self.status, self.headers)
        return _BodyThenWork(self.body, self.after, self.before_fork)


def redirect(location, status=303):
    """A redirection (303: the browser follows it with a GET, as after a form's
    POST); the body is a link for clients that do not follow it."""
    from mtpy.text import escape_html
    # Headers are latin-1: other characters go %XX-encoded, as browsers send them.
    location = "".join(c if c < "\x80" else "".join("%%%02X" % b for b in c.encode("utf-8", "replace"))
                       for c in _header_value(location))
    return Response('<!DOCTYPE html>\n<title>Moved</title>\n<p><a href="%s">Continue</a></p>\n'
                    % escape_html(location), status=status, headers=[("Location", location)])


def _header_value(value):
    """A header value as given; CR, LF or another control character in it would
    let it write headers of its own (ValueError)."""
    if any(c < " " or c == "\x7f" for c in value):
        raise ValueError("a header value may not hold control characters: %r" % value)
    return value


class _BodyThenWork:
    """The WSGI body iterable. Servers call close() after the last byte is sent:
    that is where work the answer does not need runs (PEP 3333)."""

    def __init__(self, body, after, before_fork=()):
        self.body = body
        self.after = after
        self.before_fork = before_fork

    def __iter__(self):
        yield self.body

    def release(self):
        """Let go of the handles no forked child may inherit (mtpy.hosting.run_cgi)."""
        for release in self.before_fork:
            release()

    def close(self):
        for work in self.after:
            work()


def environ_bytes(environ, name):
    """An environ value as the bytes the client sent: PEP 3333 gives them as
    latin-1 text; run_cgi passes os.environ's strings on."""
    value = environ.get(name) or ""
    if environ.get(ENVIRON_FROM_OS):
        return os.fsencode(value)
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:   # a server that decoded them as UTF-8
        return value.encode("utf-8", "surrogateescape")


def environ_text(environ, name):
    """An environ value (PATH_INFO) as UTF-8 text, whichever way the host
    handed its bytes over; bytes that are not UTF-8 read as U+FFFD (as
    surrogates they would fail every answer and log line that quotes them)."""
    return environ_bytes(environ, name).decode("utf-8", "replace")


def request_body(environ, limit):
    """The body, or None when it is longer than `limit` bytes."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None
    return environ["wsgi.input"].read(length) if length > 0 else b""


# Set by a runner that saw which variables the web server passed more than once
# (mtpy.hosting.fastcgi): a frozenset of their names.
REPEATED_VARIABLES = "mtpy.repeated_variables"


class AmbiguousAddress(Exception):
    """A trusted proxy's request whose forwarded address cannot be told apart
    from what the client wrote: answered 400, never guessed."""


def repeated_variables(environ):
    """The names of the variables the web server passed more than once.
    lighttpd names X.Forwarded.For and X-Forwarded-For both HTTP_X_FORWARDED_FOR
    and passes both; os.environ keeps the first, FastCGI's params the last, so
    which one the script sees depends on the client's order. Under CGI the
    process's first environment (/proc/self/environ, where the system has it)
    still holds both; a FastCGI runner says what it saw (REPEATED_VARIABLES)."""
    if REPEATED_VARIABLES in environ:
        return environ[REPEATED_VARIABLES]
    if not environ.get(ENVIRON_FROM_OS):
        return frozenset()      # a WSGI server's dict: one value a name
    try:
        with open("/proc/self/environ", "rb") as handle:
            return repeated_names(os.fsdecode(entry.partition(b"=")[0]) for entry in handle.read().split(b"\0"))
    except OSError:
        return frozenset()


def repeated_names(names):
    """The names that come more than once among `names`."""
    seen, repeated = set(), set()
    for name in names:
        (repeated if name in seen else seen).add(name)
    return frozenset(repeated)


def remote_address(environ, trusted_proxies):
    """The client's address, normalised once (addresses.normalize_address: an
    IPv4-mapped address is IPv4; ports and brackets go) for bans, throttles, the
    store and display. REMOTE_ADDR, or, from a trusted proxy, the right-most
    X-Forwarded-For hop that is not itself a trusted proxy: the one the trusted
    proxy appended (earlier hops are whatever the client claimed). Raises
    AmbiguousAddress when that hop is not an address, or when the server passed
    HTTP_X_FORWARDED_FOR twice (a client's header spelled with other
    punctuation beside the proxy's): trusting either could let a banned sender
    in under an address of its choosing."""
    from mtpy.addresses import is_address, normalize_address
    address = normalize_address(environ.get("REMOTE_ADDR", ""))
    trusted = _proxies_if_trusted(address, trusted_proxies)
    if trusted is None:
        return address
    if "HTTP_X_FORWARDED_FOR" in repeated_variables(environ):
        raise AmbiguousAddress("The request carries more than one X-Forwarded-For header (some spelled "
                               "with other punctuation); the client's address is uncertain.")
    hops = [normalize_address(hop) for hop in environ.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted:
            if not is_address(hop):
                raise AmbiguousAddress("The trusted proxy forwarded %r, which is not an address."
                                       % "".join(c if " " <= c < "\x7f" else "?" for c in hop[:64]))
            return hop
    return address



def forwarded_scheme(environ, trusted_proxies):
    """"http" or "https" as X-Forwarded-Proto gives it when the request came
    from one of `trusted_proxies` (TransparentProxyIPs), else None: from anyone
    else, or spelled twice (see remote_address), the header is only the client's
    claim. Of a list, the right-most value is the one the nearest proxy wrote."""
    from mtpy.addresses import normalize_address
    if _proxies_if_trusted(normalize_address(environ.get("REMOTE_ADDR", "")), trusted_proxies) is None:
        return None
    if "HTTP_X_FORWARDED_PROTO" in repeated_variables(environ):
        return None
    scheme = environ.get("HTTP_X_FORWARDED_PROTO", "").rsplit(",", 1)[-1].strip().lower()
    return scheme if scheme in ("http", "https") else None


def _proxies_if_trusted(address, trusted_proxies):
    """The normalised TransparentProxyIPs when `address` is one of them, else None."""
    from mtpy.addresses import normalize_address
    if not trusted_proxies:
        return None
    trusted = set(normalize_address(proxy) for proxy in trusted_proxies)
    return trusted if address in trusted else None

def log_error(log_file, message):
    """Append a message (and the current traceback, if any) to the log file, or
    to stderr, which ends in the web server's error log."""
    import traceback
    from mtpy.dates import utc_now
    text = "[%s +0000] %s\n" % (utc_now(), message)    # the zone said: UTC, as times are stored
    if sys.exc_info()[0] is not None:
        text += traceback.format_exc()
    if log_file:
        try:
            from mtpy import fileutil     # the log's mode lets the other user append too
            fileutil.create_file(log_file, fileutil.DATA)
            with open(log_file, "a", encoding="utf-8") as handle:
                handle.write(text)
            return
        except OSError:
            pass
    sys.stderr.write(text)
    sys.stderr.flush()
