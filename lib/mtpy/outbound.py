"""Every request mtpy sends: TrackBack pings, pages fetched for auto-discovery and
for the bookmarklet, link-back checks.

The URLs come from strangers (a ping's source, a link in an entry, a redirect), so
each request is held to the same rules: http or https only; no address of the
host's own networks (loopback, private, link-local...) unless the
`OutboundAllowAddresses` directive allows it: a name is resolved once, each of its
addresses checked before it is connected to, and the peer address of the socket
connected checked again, so that DNS answering differently later changes nothing; a
few redirects, each checked again; a time limit per read and for the whole call;
a bounded answer, compressed or not.

Built on `requests`, imported only when something is sent: mt-tb.cgi never loads
this module's dependencies, and a host without `requests` still imports it.
"""

import ipaddress
import socket
import threading
import time

import mtpy

MAX_REDIRECTS = 5
PAGE_MAX_BYTES = 1024 * 1024
# A web page read for what it links to or announces (fetch_page): enough for
# any weblog page's links and RDF, little for a hostile one to fill.
READ_PAGE_MAX_BYTES = 512 * 1024
PAGE_ACCEPT = "text/html, application/xhtml+xml, */*;q=0.1"
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
_CHUNK = 16384
_DEFLATE_ENCODINGS = ("gzip", "x-gzip", "deflate")
# NAT64's well-known prefix carries an IPv4 address in its last 32 bits.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundError(Exception):
    """A request that could not be made or whose answer was refused; `.reason`
    says why in words fit for the user. `.response` is the answer when there
    was one (a non-2xx status)."""

    def __init__(self, reason, response=None):
        super().__init__(reason)
        self.reason = reason
        self.response = response


class Response:
    """A final (non-redirect) answer: `.status`, `.reason`, `.headers` (looked up
    whatever the case), `.body` (bytes, decompressed, at most the limit) and
    `.url` (where it came from after redirects)."""

    def __init__(self, status, reason, headers, body, url):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.url = url

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def is_page(self):
        """Text worth reading for links or RDF: HTML, XHTML, XML, any text, or unnamed."""
        content_type = self.content_type
        return (not content_type or content_type.startswith("text/")
                or content_type in ("application/xhtml+xml", "application/xml"))

    @property
    def charset(self):
        """The charset the Content-Type header names, or None."""
        return _header_charset(self.headers.get("Content-Type") or "")

    def text(self, default_charset="utf-8"):
        """The body as text (see decode_body)."""
        return decode_body(self.body, self.headers.get("Content-Type") or "", default_charset)


def decode_body(body, content_type="", default_charset="utf-8"):
    """An answer's bytes as text: in the Content-Type's charset, else the one a
    byte-order mark, an XML prolog or an HTML <meta> declares, else
    `default_charset`. Undecodable bytes become U+FFFD; a byte-order mark goes."""
    for charset in (_header_charset(content_type), _declared_charset(body), default_charset):
        if charset and _known_codec(charset):
            return body.decode(charset, "replace").lstrip("\ufeff")
    return body.decode("utf-8", "replace").lstrip("\ufeff")


def default_user_agent(site_url=None):
    """`mtpy/VERSION`, with the weblog's URL when given: the receiver sees who pinged."""
    from urllib.parse import quote
    name = "mtpy/%s" % mtpy.__version__
    if site_url and site_url.isprintable():
        # a header holds Latin-1 at most: an IRI's other characters as %XX
        return "%s (+%s)" % (name, quote(site_url, safe=":/?#[]@!$&'()*+,;=%~"))
    return name


def fetch(config, url, method="GET", data=None, headers=None, timeout=None, max_bytes=None,
          user_agent=None, site_url=None, deadline=None, any_status=False):
    """Send one request (following up to MAX_REDIRECTS redirects) and read its answer.

    `timeout` (default: the PingTimeout directive) bounds the connection and each
    read; the whole call ends by `deadline` (a time.monotonic() value; default
    `timeout` seconds from now). The body is cut with an OutboundError past
    `max_bytes` (default PAGE_MAX_BYTES). `user_agent` replaces the default one,
    which names mtpy and `site_url`. A final status outside 2xx is an
    OutboundError("HTTP 404 Not Found") carrying the Response, unless
    `any_status` asks for the Response whatever its status.
    """
    try:
        import requests
    except ImportError:
        raise OutboundError("sending needs the requests module: see mt-check.cgi") from None
    timeout = float(timeout if timeout is not None else config.get("PingTimeout"))
    max_bytes = PAGE_MAX_BYTES if max_bytes is None else max_bytes
    if deadline is None:
        deadline = time.monotonic() + timeout
    sent_headers = dict(headers or {})
    sent_headers["User-Agent"] = user_agent or default_user_agent(site_url)
    # requests would inflate gzip without a bound: ask for none, and bound it if it comes.
    sent_headers["Accept-Encoding"] = "identity"
    method = method.upper()
    policy = AddressPolicy(config.get("OutboundAllowAddresses"))
    session = requests.Session()
    session.trust_env = False           # no proxy or .netrc from the environment
    call = _Call(policy, timeout, deadline)
    try:
        adapter = _adapter_class()(call)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        redirects = 0
        while True:
            _check_url(url, call.policy)
            answer = _send(session, requests, method, url, data, sent_headers, call)
            try:
                location = answer.headers.get("Location")
                if answer.status_code not in REDIRECT_STATUSES or not location:
                    return _final(answer, max_bytes, call, any_status)
            finally:
                answer.close()
            redirects += 1
            if redirects > MAX_REDIRECTS:
                raise OutboundError("too many redirects")
            url, method, data, sent_headers = _redirected(
                url, location, answer.status_code, method, data, sent_headers)
    finally:
        session.close()
        call.close()


def post_form(config, url, fields, charset="utf-8", **options):
    """POST `fields` (a dict or (name, value) pairs) as
    `application/x-www-form-urlencoded; charset=...`: the TrackBack request, as
    Movable Type sent it. Returns the Response whatever its status (the TrackBack
    answer says more than the status; see mtpy.trackback.replies.read_reply);
    `options` are fetch's."""
    from urllib.parse import quote, urlencode
    # %20 for a space (as MT sent): every decoder reads it, not only form decoders.
    body = urlencode(fields, encoding=charset, errors="xmlcharrefreplace", quote_via=quote)
    headers = dict(options.pop("headers", None) or {})
    headers["Content-Type"] = "application/x-www-form-urlencoded; charset=%s" % charset
    options.setdefault("any_status", True)
    return fetch(config, url, method="POST", data=body.encode("ascii"), headers=headers,
                 **options)


class Page:
    """A web page fetched to be read (fetch_page): `.text` (decoded, see
    decode_body), `.charset` (the Content-Type header's, or None), `.url`
    (where it came from after redirects), `.headers` (the answer's, looked
    up whatever the case: Link, X-Pingback), `.content_type` and `.is_page`
    (text worth reading, see Response.is_page)."""

    def __init__(self, response, url):
        self.url = response.url or url
        self.headers = response.headers
        self.content_type = response.content_type
        self.is_page = response.is_page
        self.charset = response.charset
        self.text = response.text("utf-8")


def fetch_page(config, url, site_url=None, timeout=None, deadline=None, extra_headers=None):
    """GET the web page at `url` to read it (auto-discovery, the bookmarklet,
    link-back checks): fetch's rules, at most READ_PAGE_MAX_BYTES. Returns a
    Page; raises OutboundError as fetch does. `extra_headers` are sent too
    (a link-back check's X-Pingback-Forwarded-For)."""
    response = fetch(config, url, timeout=timeout, deadline=deadline, max_bytes=READ_PAGE_MAX_BYTES,
                     site_url=site_url, headers=dict(extra_headers or {}, Accept=PAGE_ACCEPT))
    return Page(response, url)


class AddressPolicy:
    """Which peer addresses a request may reach: public ones, and those of the
    allowed networks (OutboundAllowAddresses)."""

    def __init__(self, allowed=()):
        self.allowed = [ipaddress.ip_network(str(item), strict=False) for item in allowed or ()]

    def refusal(self, address):
        """None when `address` (text) may be reached, else why not."""
        ip = ipaddress.ip_address(address.split("%")[0])
        if any(ip.version == network.version and ip in network for network in self.allowed):
            return None
        kind = _non_public_kind(ip)
        if not kind:
            return None
        # ::ffff:127.0.0.1 rather than ::ffff:7f00:1, as people write it
        shown = "::ffff:%s" % ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip
        return "refused: %s is %s" % (shown, kind)


def _non_public_kind(ip):
    """What makes an address one of the host's own networks (as words), or None
    for a public address."""
    if ip.version == 6:
        embedded, form = _embedded_ipv4(ip)
        if embedded is not None:
            kind = _non_public_kind(embedded)
            return kind and "%s form of %s" % (form, kind)
    for test, kind in (("is_unspecified", "an unspecified address"),
                       ("is_loopback", "a loopback address"),
                       ("is_link_local", "a link-local address"),
                       ("is_multicast", "a multicast address"),
                       ("is_reserved", "a reserved address"),
                       ("is_private", "a private address")):
        if getattr(ip, test):
            return kind
    return None if ip.is_global else "not a public address"


def _embedded_ipv4(ip):
    """The IPv4 address an IPv6 address stands for, and how, or (None, None)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "an IPv4-mapped"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "a NAT64"
    if ip.sixtofour is not None:
        return ip.sixtofour, "a 6to4"
    if ip.teredo is not None:
        return ip.teredo[1], "a Teredo"
    return None, None


def _check_url(url, policy):
    """Refuse what is not an http(s) URL to a host, carries credentials, or names
    a refused address outright (a name's addresses are checked when connecting)."""
    from urllib.parse import urlsplit
    if not isinstance(url, str) or not url.isprintable() or " " in url:
        raise OutboundError("not a valid URL")
    try:
        parts = urlsplit(url)
        parts.port      # raises ValueError on a bad port
    except ValueError:
        raise OutboundError("not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise OutboundError("not an http or https URL")
    if "@" in parts.netloc:
        raise OutboundError("refused: the URL carries a user name or password")
    try:
        literal = ipaddress.ip_address(parts.hostname.split("%")[0])
    except ValueError:
        return
    refusal = policy.refusal(str(literal))
    if refusal:
        raise OutboundError(refusal)


def _redirected(url, location, status, method, data, headers):
    """The next request of a redirect: its URL, method, body and headers."""
    from urllib.parse import urljoin, urlsplit
    try:    # http.client reads headers as Latin-1; a UTF-8 Location is usual
        location = location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    target = urljoin(url, location.strip())
    target = target.split("#")[0]
    if urlsplit(url).scheme.lower() == "https" and urlsplit(target).scheme.lower() == "http":
        raise OutboundError("refused: a redirect from https to http")
    # As browsers do: 303 always, and 301/302 after a POST, continue as a GET.
    if status == 303 or (status in (301, 302) and method == "POST"):
        headers = {name: value for name, value in headers.items()
                   if name.lower() not in ("content-type", "content-length")}
        return target, ("HEAD" if method == "HEAD" else "GET"), None, headers
    return target, method, data, headers


# Top-level names reserved never to exist (RFC 2606, 6761): no lookup is made
# for them, so a weblog (or a test) naming one sends nothing to any resolver.
RESERVED_NAMES = frozenset(("example", "invalid", "test"))


class _Call:
    """One fetch's rules and clock: the address policy its connections are checked
    against, the timeout of each connect and read, and its deadline, which a
    watchdog enforces by shutting down every socket the call connected (a server
    trickling a byte at a time never times a read out)."""

    def __init__(self, policy, timeout, deadline):
        self.policy = policy
        self.timeout = timeout
        self.deadline = deadline
        self.budget = max(deadline - time.monotonic(), 0)
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._watchdog = threading.Timer(self.budget, self._expire)
        self._watchdog.daemon = True
        self._watchdog.start()

    def next_wait(self):
        """How long the next connect or read may wait; OutboundError once the
        deadline has passed."""
        left = self.deadline - time.monotonic()
        if left <= 0 or self.expired:
            raise self.timed_out()
        return min(self.timeout, left)

    def timed_out(self, waited=None):
        seconds = self.budget if self.expired or waited is None else waited
        return OutboundError("timed out after %s s" % _seconds(seconds))

    def connect(self, host, port, timeout, source_address=None, socket_options=()):
        """A socket connected to `host`: its name resolved once, each address
        checked before it is tried (a refused one is never connected to, so no
        error tells whether a port of the host's own network is open), and the
        peer address of the connected socket checked again."""
        if host.rstrip(".").rsplit(".", 1)[-1].lower() in RESERVED_NAMES:
            raise OutboundError("cannot connect: %s is a reserved name that exists on no network (%s port %s)"
                                % (host[:100], host[:100], port))
        try:
            addresses = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise OutboundError("cannot connect: %s (%s port %s)" % (
                _printable(getattr(error, "strerror", None) or str(error)), host[:100], port)) from None
        refusals, failure = [], None
        for family, kind, protocol, _, address in addresses:
            refusal = self.policy.refusal(address[0])
            if refusal:
                refusals.append(refusal)
                continue
            wait = self.next_wait()
            sock = socket.socket(family, kind, protocol)
            try:
                for option in socket_options or ():
                    sock.setsockopt(*option)
                if source_address:
                    sock.bind(source_address)
                sock.settimeout(min(wait, timeout) if isinstance(timeout, (int, float)) else wait)
                sock.connect(address)
            except socket.timeout:
                sock.close()
                failure = self.timed_out(wait)
                continue
            except OSError as error:
                sock.close()
                failure = OutboundError("cannot connect: %s (%s port %s)" % (
                    _printable(error.strerror or str(error)), host[:100], port))
                continue
            self._watch(sock)
            return sock
        if failure is None:
            failure = OutboundError(refusals[0] if refusals else
                                    "cannot connect: %s has no address" % host[:100])
        raise failure

    def _watch(self, sock):
        """Check the peer address of the socket connected (closed, with an
        OutboundError, when refused); watch it until the call ends."""
        try:
            refusal = self.policy.refusal(sock.getpeername()[0])
        except (OSError, ValueError):
            refusal = "refused: the address connected to is unknown"
        if refusal:
            sock.close()
            raise OutboundError(refusal)
        # A duplicate descriptor of the same connection: shutting it down wakes a
        # read blocked on the original, even once TLS has wrapped it.
        watched = sock.dup()
        with self._lock:
            self._sockets.append(watched)
            if self.expired:
                _shut_down(watched)

    def _expire(self):
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)

    def close(self):
        self._watchdog.cancel()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets = []


def _shut_down(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _send(session, requests, method, url, data, headers, call):
    """One request, its answer's status and headers read (its body not yet)."""
    from urllib.parse import urlsplit
    wait = call.next_wait()
    try:
        prepared = session.prepare_request(requests.Request(method, url, data=data, headers=headers))
    except (ValueError, requests.RequestException) as error:
        raise OutboundError("not a valid request: %s" % _first_line(error)) from None
    try:
        return session.send(prepared, stream=True, allow_redirects=False,
                            timeout=(wait, wait), verify=True, proxies={})
    except ValueError as error:     # a host urllib3 cannot read, a header not in Latin-1
        raise OutboundError("not a valid request: %s" % _first_line(error)) from None
    except requests.RequestException as error:
        if call.expired or isinstance(error, requests.Timeout):
            raise call.timed_out(wait) from None
        parts = urlsplit(url)
        where = "%s port %s" % (parts.hostname, parts.port or {"https": 443}.get(parts.scheme, 80))
        cause = _cause(error)
        if cause is None:
            raise OutboundError("the server closed the connection without answering (%s)" % where) from None
        secure = "the secure connection failed: " if isinstance(
            error, requests.exceptions.SSLError) else ""
        raise OutboundError("cannot connect: %s%s (%s)" % (secure, cause, where)) from None


def _final(answer, max_bytes, call, any_status):
    body = _read_body(answer, max_bytes, call)
    reason = _printable(answer.reason or "") or _standard_reason(answer.status_code)
    response = Response(answer.status_code, reason, answer.headers, body, answer.url)
    if not any_status and not 200 <= answer.status_code < 300:
        raise OutboundError(("HTTP %d %s" % (answer.status_code, reason)).strip(), response)
    return response


def _read_body(answer, max_bytes, call):
    """The body, in chunks; inflated (gzip, deflate) within `max_bytes` when the
    server compressed it anyway; the compressed bytes are bounded too."""
    import urllib3
    too_large = OutboundError("the answer is larger than %d bytes" % max_bytes)
    encoding = (answer.headers.get("Content-Encoding") or "").strip().lower()
    inflate = _inflater(encoding)
    declared = (answer.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    parts, size, received = [], 0, 0
    while True:
        call.next_wait()
        try:
            chunk = answer.raw.read(_CHUNK, decode_content=False)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            if call.expired or isinstance(error, (urllib3.exceptions.ReadTimeoutError, socket.timeout)):
                raise call.timed_out(call.timeout) from None
            raise OutboundError("the connection broke while reading the answer: %s"
                                % (_cause(error) or "the server hung up")) from None
        if not chunk:
            break
        received += len(chunk)
        if received > max_bytes:
            raise too_large
        if inflate is None:
            parts.append(chunk)
        else:
            size = _inflate_into(inflate, chunk, parts, size, max_bytes, too_large)
    if call.expired:        # the watchdog's shutdown looks like the end of the body
        raise call.timed_out()
    return b"".join(parts)


def _inflater(encoding):
    import zlib
    if encoding in ("", "identity"):
        return None
    if encoding in _DEFLATE_ENCODINGS:
        return zlib.decompressobj(32 + zlib.MAX_WBITS)     # a gzip or zlib header
    raise OutboundError("the answer uses an unsupported Content-Encoding: %s"
                        % _printable(encoding)[:40])


def _inflate_into(inflate, chunk, parts, size, max_bytes, too_large):
    """Inflate `chunk` a bounded piece at a time: a small bomb never becomes a
    large string."""
    import zlib
    data = chunk
    while data:
        try:
            piece = inflate.decompress(data, max_bytes - size + 1)
        except zlib.error:
            raise OutboundError("the answer's compressed body is broken") from None
        size += len(piece)
        if size > max_bytes:
            raise too_large
        parts.append(piece)
        data = inflate.unconsumed_tail
    return size


_ADAPTER = []


def _adapter_class():
    """requests' adapter whose connections are made by their call (_Call.connect:
    each address checked before connecting and on the socket connected). Built
    once, on first use: it needs requests and urllib3."""
    if _ADAPTER:
        return _ADAPTER[0]
    import functools
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class PeerChecked:
        call = None

        def _new_conn(self):
            if self.call is None:       # never without its call's rules
                raise OutboundError("refused: a connection outside mtpy.outbound.fetch")
            host = getattr(self, "_dns_host", None) or self.host
            return self.call.connect(host.strip("[]"), self.port, self.timeout,
                                     self.source_address, self.socket_options)

    class CallPool:
        def __init__(self, host, port=None, call=None, **options):
            super().__init__(host, port, **options)
            self.call = call

        def _new_conn(self):
            connection = super()._new_conn()
            connection.call = self.call
            return connection

    class CheckedHTTPConnection(PeerChecked, HTTPConnection):
        pass

    class CheckedHTTPSConnection(PeerChecked, HTTPSConnection):
        pass    # TLS still verifies the certificate and sends SNI for the host name

    class CheckedHTTPPool(CallPool, HTTPConnectionPool):
        ConnectionCls = CheckedHTTPConnection

    class CheckedHTTPSPool(CallPool, HTTPSConnectionPool):
        ConnectionCls = CheckedHTTPSConnection

    class CheckedAdapter(HTTPAdapter):
        def __init__(self, call):
            self.call = call
            super().__init__(max_retries=0)

        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {
                "http": functools.partial(CheckedHTTPPool, call=self.call),
                "https": functools.partial(CheckedHTTPSPool, call=self.call)}

    _ADAPTER.append(CheckedAdapter)
    return CheckedAdapter


def _cause(error):
    """The words of the innermost cause of a requests/urllib3 error: 'Connection
    refused', not the wrapper's repr; None when the server hung up without an answer."""
    from http.client import RemoteDisconnected
    seen = set()
    current = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RemoteDisconnected):
            return None
        if isinstance(current, OSError) and current.strerror:
            return _printable(current.strerror)
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in current.args if isinstance(arg, BaseException)), None)
        current = inner or current.__cause__ or current.__context__
    text = _first_line(error)
    # urllib3 puts its connection object's repr before the words that matter.
    return text.rsplit(": ", 1)[-1] if "object at 0x" in text else text


def _first_line(error):
    return _printable(str(error).splitlines()[0] if str(error) else type(error).__name__)[:200]


def _printable(text):
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def _seconds(number):
    return ("%.1f" % number).rstrip("0").rstrip(".")


def _standard_reason(status):
    from http import HTTPStatus
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _header_charset(content_type):
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def _declared_charset(body):
    """The charset a byte-order mark, an XML prolog or an HTML <meta> declares."""
    import re
    for mark, charset in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if body.startswith(mark):
            return charset
    head = body[:2048]
    found = (re.search(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9._:-]+)", head)
             or re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9._:-]+)", head, re.I))
    return found.group(1).decode("ascii") if found else None


def _known_codec(charset):
    import codecs
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True
