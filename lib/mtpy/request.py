"""One HTTP request of mt.cgi, read from a WSGI environ.

Standard library only, and only what a request needs: a CGI process pays for
every import, so the multipart parser is a small one of its own (the `email` package
costs more than the rest of a request), and nothing here is loaded on the ping path (mt-tb.cgi reads its own form).
Text is UTF-8; bytes that are not become U+FFFD rather than an error.
"""

from mtpy import web
from mtpy.trackback.form import unquote_bytes


class RequestError(Exception):
    """A body the application will not read: over the limit (413) or malformed (400)."""

    def __init__(self, status, message):
        Exception.__init__(self, message)
        self.status = status
        self.message = message


class MultiDict:
    """Fields in the order they came; a name may repeat (checkboxes, multiple selects)."""

    def __init__(self, pairs=()):
        self._values = {}
        for name, value in pairs:
            self._values.setdefault(name, []).append(value)

    def get(self, name, default=""):
        """The first value given for `name`."""
        values = self._values.get(name)
        return values[0] if values else default

    def getlist(self, name):
        return list(self._values.get(name, ()))

    def __contains__(self, name):
        return name in self._values

    def __iter__(self):
        return iter(self._values)

    def keys(self):
        return list(self._values)

    def items(self):
        """(name, first value) pairs."""
        return [(name, values[0]) for name, values in self._values.items()]

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        return "MultiDict(%r)" % [(name, value) for name, values in self._values.items() for value in values]


class Upload:
    """A file sent in a multipart form: its name (without any folder), type and bytes."""

    def __init__(self, filename, content_type, data):
        self.filename = filename
        self.content_type = content_type
        self.data = data

    def __repr__(self):
        return "Upload(%r, %r, %d bytes)" % (self.filename, self.content_type, len(self.data))


class Request:
    """`trusted_proxies`: TransparentProxyIPs, for `remote_addr` and `is_secure`. `max_body`:
    the most bytes of body read; a longer one is refused (RequestError 413)
    before a byte of it is read. The body is read and parsed on the first use of
    `form` or `files` (which stay empty after that raised RequestError, so that
    an error page may still ask for a parameter)."""

    def __init__(self, environ, trusted_proxies=(), max_body=None):
        self.environ = environ
        self.trusted_proxies = trusted_proxies
        self.max_body = max_body
        self.method = (environ.get("REQUEST_METHOD") or "GET").upper()
        self.path_info = web.environ_text(environ, "PATH_INFO")
        self.script_name = environ.get("SCRIPT_NAME", "")
        self.query = MultiDict(parse_urlencoded(web.environ_bytes(self.environ, "QUERY_STRING")))
        self._body = None
        self._form = None
        self._files = None
        self._cookies = None
        self._remote_addr = None

    # -- the body -----------------------------------------------------------------

    @property
    def form(self):
        if self._form is None:
            self._parse_body()
        return self._form

    @property
    def files(self):
        if self._files is None:
            self._parse_body()
        return self._files

    def _parse_body(self):
        self._form, self._files = MultiDict(), {}
        if self.method in ("GET", "HEAD"):
            return
        kind, params = content_type_params(self.environ.get("CONTENT_TYPE", ""))
        if kind == "application/x-www-form-urlencoded":
            self._form = MultiDict(parse_urlencoded(self.body()))
        elif kind == "multipart/form-data":
            boundary = params.get("boundary", "")
            if not 0 < len(boundary) <= 70:
                raise RequestError(400, "The form's multipart boundary is missing or too long.")
            fields, self._files = parse_multipart(self.body(), boundary.encode("latin-1", "replace"))
            self._form = MultiDict(fields)

    def body(self):
        """The body's bytes (read once): RequestError 413 when CONTENT_LENGTH is
        over max_body, 400 when fewer bytes arrive than it announced."""
        if self._body is not None:
            return self._body
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise RequestError(400, "The request's Content-Length is not a number.")
        if length < 0:
            raise RequestError(400, "The request's Content-Length is negative.")
        if self.max_body is not None and length > self.max_body:
            raise RequestError(413, "The request is larger than %d bytes." % self.max_body)
        stream = self.environ.get("wsgi.input")
        chunks, missing = [], length
        while missing > 0 and stream is not None:
            chunk = stream.read(min(missing, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            missing -= len(chunk)
        if missing > 0:
            raise RequestError(400, "The request ended before its body did.")
        self._body = b"".join(chunks)
        return self._body

    def param(self, name, default=""):
        """A field of the form, else of the query string."""
        if name in self.form:
            return self.form.get(name)
        return self.query.get(name, default)

    # -- about the client and the URL -------------------------------------------

    @property
    def cookies(self):
        """name -> value; the first of a repeated name (the most specific path)
        wins; pieces that are no cookie are skipped."""
        if self._cookies is None:
            self._cookies = parse_cookies(web.environ_bytes(self.environ, "HTTP_COOKIE"))
        return self._cookies

    @property
    def remote_addr(self):
        """web.remote_address; RequestError 400 where a trusted proxy's
        forwarded address is ambiguous."""
        if self._remote_addr is None:
            try:
                self._remote_addr = web.remote_address(self.environ, self.trusted_proxies)
            except web.AmbiguousAddress as error:
                raise RequestError(400, str(error))
        return self._remote_addr

    @property
    def is_secure(self):
        """Whether the client came over HTTPS: to this server, or to a trusted
        proxy in front of it that says so (forwarded_scheme)."""
        return (str(self.environ.get("HTTPS", "")).lower() in ("on", "1")
                or self.environ.get("wsgi.url_scheme") == "https"
                or web.forwarded_scheme(self.environ, self.trusted_proxies) == "https")

    @property
    def host_url(self):
        """"http://host[:port]": from the Host header when it is a plain host
        name or address (with a port), else from SERVER_NAME and SERVER_PORT."""
        scheme = "https" if self.is_secure else "http"
        host = self.environ.get("HTTP_HOST", "")
        if not host or not _is_host(host):
            host = self.environ.get("SERVER_NAME", "") or "localhost"
            port = str(self.environ.get("SERVER_PORT", ""))
            if port and port != {"http": "80", "https": "443"}[scheme]:
                host += ":" + port
        return "%s://%s" % (scheme, host.lower())

    @property
    def script_url(self):
        """The absolute URL of the script (no PATH_INFO, no query)."""
        return self.host_url + quote_path(self.script_name)


_HOST_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
_PATH_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/!$&'()*+,;=:@")


def _is_host(host):
    return len(host) <= 255 and all(c in _HOST_CHARACTERS for c in host)


def quote_path(path):
    """A URL path with every byte outside RFC 3986's path characters %XX-encoded."""
    return "".join(chr(b) if b in _PATH_SAFE else "%%%02X" % b for b in path.encode("utf-8", "surrogateescape"))


def parse_urlencoded(data):
    """[(name, value)] of application/x-www-form-urlencoded bytes (a query
    string or a body), repeated names kept, decoded as UTF-8."""
    pairs = []
    for piece in data.split(b"&"):
        piece = piece.strip(b" \t\r\n")
        if not piece:
            continue
        name, _, value = piece.partition(b"=")
        pairs.append((_text(unquote_bytes(name)), _text(unquote_bytes(value))))
    return pairs


def _text(data):
    return data.decode("utf-8", "replace")


def parse_cookies(data):
    """name -> value of a Cookie header's bytes; junk pieces are skipped."""
    cookies = {}
    for piece in _text(data).split(";"):
        name, equals, value = piece.partition("=")
        name, value = name.strip(), value.strip()
        if not equals or not name or name in cookies:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies[name] = value
    return cookies


def content_type_params(header):
    """("type/subtype" lowercased, {parameter: value}) of a Content-Type (or
    Content-Disposition) header; quoted values may hold `;`, and `\\"`
    for a quote."""
    kind, _, rest = header.partition(";")
    params = {}
    while rest:
        name, equals, rest = rest.partition("=")
        name = name.strip().lower()
        rest = rest.lstrip()
        if rest.startswith('"'):
            value, i = [], 1
            while i < len(rest) and rest[i] != '"':
                if rest[i] == "\\" and rest[i + 1:i + 2] in ('"', "\\"):
                    i += 1     # only these two: old browsers sent C:\dir\name as it is
                value.append(rest[i])
                i += 1
            value = "".join(value)
            rest = rest[i + 1:].partition(";")[2]
        else:
            value, _, rest = rest.partition(";")
            value = value.strip()
        if equals and name and name not in params:
            params[name] = value
    return kind.strip().lower(), params


# -- multipart/form-data (RFC 7578) ---------------------------------------------------

def parse_multipart(body, boundary):
    """([(name, value)] of the text fields, {name: Upload} of the files) of a
    multipart/form-data body. A part with a filename is a file (the first of a
    name is kept; one sent without a file chosen, filename="", is skipped); a
    part without one is a text field. The boundary only counts at the start of
    a line and followed by `--` or the line's end: the same bytes inside a line
    of data are data."""
    delimiter = b"--" + boundary
    if body.startswith(delimiter):
        position = len(delimiter)
    else:
        position = _next_delimiter(body, b"\r\n" + delimiter, 0)
        if position < 0:
            raise RequestError(400, "The multipart form has no parts.")
        position += 2 + len(delimiter)
    fields, files = [], {}
    while True:
        if body.startswith(b"--", position):
            return fields, files               # the closing delimiter
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            raise RequestError(400, "The multipart form ends before its closing boundary.")
        start = line_end + 2
        end = _next_delimiter(body, b"\r\n" + delimiter, start)
        if end < 0:
            raise RequestError(400, "The multipart form ends before its closing boundary.")
        _add_part(body[start:end], fields, files)
        position = end + 2 + len(delimiter)


def _next_delimiter(body, delimiter, start):
    """Where the next real delimiter line begins, or -1: the boundary followed
    by `--`, or by optional spaces and CRLF."""
    while True:
        found = body.find(delimiter, start)
        if found < 0:
            return -1
        after = found + len(delimiter)
        if body.startswith(b"--", after) or body[after:after + 80].lstrip(b" \t").startswith(b"\r\n"):
            return found
        start = found + 1


def _add_part(part, fields, files):
    head, separator, data = part.partition(b"\r\n\r\n")
    if not separator:
        if not part.startswith(b"\r\n"):
            raise RequestError(400, "A part of the multipart form has no header.")
        head, data = b"", part[2:]
    headers = {}
    for line in head.split(b"\r\n"):
        name, colon, value = line.partition(b":")
        if colon:
            headers.setdefault(_text(name).strip().lower(), _text(value).strip())
    disposition, params = content_type_params(headers.get("content-disposition", ""))
    if disposition != "form-data" or "name" not in params:
        return                                 # not a form field (RFC 7578 4.2)
    name = _form_data_name(params["name"])
    filename = params.get("filename")
    if "filename*" in params:                  # RFC 5987: UTF-8''name
        charset, _, encoded = params["filename*"].partition("''")
        filename = _text(unquote_bytes(encoded.encode("utf-8", "replace")))
    if filename is None:
        fields.append((name, _text(data)))
        return
    filename = base_name(_form_data_name(filename))
    if filename and name not in files:
        content_type = headers.get("content-type", "application/octet-stream") or "application/octet-stream"
        files[name] = Upload(filename, content_type, data)


def _form_data_name(value):
    """Browsers send a quote, CR and LF in names as %22, %0D and %0A (HTML's
    form submission rules) and leave every other character as it is."""
    return value.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def base_name(filename):
    """A sent file's name without any folder (Windows browsers once sent the
    whole path) or control characters; "" when nothing is left."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c >= " " and c != "\x7f").strip()
    return "" if name in (".", "..") else name
