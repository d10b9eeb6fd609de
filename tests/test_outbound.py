"""mtpy.outbound: every request mtpy sends, against real servers on 127.0.0.x.

Each server records what it received; the tests check both what fetch returned
(or why it refused) and that a refused address never saw a request."""

import gzip
import http.server
import os
import queue
import shutil
import ssl
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs

import pytest

import mtpy
from mtpy import outbound
from mtpy.config import Config, ConfigError
from mtpy.outbound import AddressPolicy, OutboundError, fetch, post_form

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "tests", "data", "samples")
SUCCESS = b'<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>\n'


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers by path; records each request (path, headers, body) on its server."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.answer()

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, self.headers, body))
        route = self.path.split("/")[1]
        getattr(self, "route_" + route.replace("-", "_"), self.route_ok)()

    def send(self, status, body=b"", content_type="text/plain; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def route_ok(self):
        self.send(200, b"hello from " + self.path.encode())

    def route_missing(self):
        self.send(404, b"<html><title>Not here</title></html>", "text/html")

    def route_broken(self):
        self.send(500, b"it broke")

    def route_ping(self):
        self.send(200, SUCCESS, "text/xml; charset=utf-8")

    def route_chain(self):
        """/chain/N redirects N more times, then answers."""
        left = int(self.path.split("/")[2])
        if left:
            self.send(302, headers=[("Location", "/chain/%d" % (left - 1))])
        else:
            self.route_ok()

    def route_loop(self):
        self.send(302, headers=[("Location", "/loop")])

    def route_to(self):
        """/to/TARGET...: a redirect to whatever follows /to/ (a 307 keeps a POST)."""
        target = self.path[len("/to/"):]
        self.send(307 if self.command == "POST" else 302, headers=[("Location", target)])

    def route_utf8_location(self):
        # what servers send: UTF-8 bytes, which http.client reads as Latin-1
        self.send(302, headers=[("Location", "/ok/日本".encode("utf-8").decode("latin-1"))])

    def route_see_other(self):
        self.send(303, headers=[("Location", "/ok")])

    def route_endless(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        self.write_until_stopped(b"x" * 65536, pause=0)

    def route_trickle(self):
        """A byte at a time, never quite slow enough for a read to time out."""
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        self.write_until_stopped(b"x", pause=0.05)

    def route_silent(self):
        self.server.stopping.wait(10)

    def route_huge(self):
        self.send_response(200)
        self.send_header("Content-Length", str(50 * 1024 * 1024))
        self.end_headers()
        self.wfile.write(b"x" * 1024)

    def route_gzip_bomb(self):
        self.send(200, gzip.compress(b"\0" * (20 * 1024 * 1024)), headers=[("Content-Encoding", "gzip")])

    def route_gzip(self):
        self.send(200, gzip.compress(b"small and squeezed"), headers=[("Content-Encoding", "gzip")])

    def route_brotli(self):
        self.send(200, b"\x1b\x00", headers=[("Content-Encoding", "br")])

    def route_sjis(self):
        with open(os.path.join(SAMPLES, "movabletype-5.2-shift_jis-entry-page.html"), "rb") as page:
            self.send(200, page.read(), "text/html")

    def write_until_stopped(self, piece, pause, most=200):
        """Writes `piece` until the client hangs up, or `most` times: a client
        that failed to stop gets an answer, and its test fails instead of hanging."""
        written = 0
        try:
            for _ in range(most):
                if self.server.stopping.is_set():
                    break
                self.wfile.write(piece)
                self.wfile.flush()
                written += 1
                if pause:
                    self.server.stopping.wait(pause)
        except OSError:
            pass        # the client hung up: what these tests expect
        self.close_connection = True
        self.server.written.put(written)


class Server:
    def __init__(self, host="127.0.0.1"):
        self.httpd = http.server.ThreadingHTTPServer((host, 0), Recorder)
        self.httpd.daemon_threads = True
        self.httpd.seen = []
        self.httpd.stopping = threading.Event()
        self.httpd.written = queue.Queue()      # how many pieces each endless answer wrote
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05})
        self.thread.start()

    def url(self, path="/ok", host=None):
        return "http://%s:%d%s" % (host or self.host, self.port, path)

    @property
    def seen(self):
        return self.httpd.seen

    def stop(self):
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    running = Server()
    yield running
    running.stop()


@pytest.fixture
def other_server():
    """A second server, on 127.0.0.2."""
    running = Server("127.0.0.2")
    yield running
    running.stop()


def config(allowed="127.0.0.1", timeout=5):
    return Config(text="PingTimeout %s\n%s" % (
        timeout, "OutboundAllowAddresses %s\n" % allowed if allowed else ""))


def refusal(url, cfg=None, **options):
    with pytest.raises(OutboundError) as caught:
        fetch(cfg or config(), url, **options)
    return caught.value.reason


# ---- answers ----------------------------------------------------------------

def test_a_page_is_fetched_with_mtpy_user_agent_and_no_compression(server):
    response = fetch(config(), server.url("/ok/page"), site_url="http://weblog.example/")
    assert (response.status, response.reason, response.body) == (200, "OK", b"hello from /ok/page")
    assert response.url == server.url("/ok/page")
    assert response.headers["content-type"] == response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text() == "hello from /ok/page"
    (_, _, headers, _), = server.seen
    assert headers["User-Agent"] == "mtpy/%s (+http://weblog.example/)" % mtpy.__version__
    assert headers["Accept-Encoding"] == "identity"


def test_user_agent_without_a_weblog_names_mtpy_and_its_version(server):
    fetch(config(), server.url())
    assert server.seen[0][2]["User-Agent"] == "mtpy/" + mtpy.__version__


def test_user_agent_with_a_non_ascii_weblog_url(server):
    fetch(config(), server.url(), site_url="http://例え.example/ブログ/")
    assert server.seen[0][2]["User-Agent"] == "mtpy/%s (+http://%%E4%%BE%%8B%%E3%%81%%88.example/" \
        "%%E3%%83%%96%%E3%%83%%AD%%E3%%82%%B0/)" % mtpy.__version__


def test_a_header_that_http_cannot_carry_is_refused(server):
    assert refusal(server.url(), headers={"X-Note": "日本"}).startswith("not a valid request: ")
    assert refusal(server.url(), headers={"X-Note": "a\r\nInjected: 1"}).startswith("not a valid request: ")
    assert server.seen == []


@pytest.mark.parametrize("path, reason", [("/missing", "HTTP 404 Not Found"),
                                          ("/broken", "HTTP 500 Internal Server Error")])
def test_an_error_status_is_an_outbound_error_carrying_the_answer(server, path, reason):
    with pytest.raises(OutboundError) as caught:
        fetch(config(), server.url(path))
    assert caught.value.reason == str(caught.value) == reason
    assert caught.value.response.status == int(reason.split()[1])
    answer = fetch(config(), server.url(path), any_status=True)
    assert answer.status == int(reason.split()[1]) and answer.body == caught.value.response.body


def test_text_uses_the_charset_the_page_declares(server):
    page = fetch(config(), server.url("/sjis"))
    assert page.charset is None
    assert "日本語のトラックバック表示テスト" in page.text()


def test_fetch_page_reads_a_page_for_its_links(server):
    """The one fetch of a page to read (auto-discovery, the bookmarklet,
    link-back checks): its text decoded, where it ended after redirects, the
    Accept of a reader of pages, and READ_PAGE_MAX_BYTES at most."""
    page = outbound.fetch_page(config(), server.url("/to/" + server.url("/sjis")), site_url="http://blog.example/")
    assert "日本語のトラックバック表示テスト" in page.text and page.url == server.url("/sjis")
    assert page.is_page and page.charset is None
    method, _, headers, _ = server.seen[-1]
    assert (method, headers["Accept"]) == ("GET", outbound.PAGE_ACCEPT)
    assert "+http://blog.example/" in headers["User-Agent"]
    with pytest.raises(OutboundError) as refused:
        outbound.fetch_page(config(), server.url("/endless"))
    assert refused.value.reason == "the answer is larger than %d bytes" % outbound.READ_PAGE_MAX_BYTES


# ---- post_form: the TrackBack request ----------------------------------------

def test_post_form_sends_a_utf8_form_that_the_receiver_reads(server):
    fields = [("title", "It's déjà vu — 日本"), ("url", "http://weblog.example/a b.html"),
              ("excerpt", "<b>markup</b> & more"), ("blog_name", "My Weblog")]
    response = post_form(config(), server.url("/ping/5"), fields, site_url="http://weblog.example/")
    assert response.status == 200 and response.body == SUCCESS
    (method, path, headers, body), = server.seen
    assert (method, path) == ("POST", "/ping/5")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert headers["User-Agent"] == "mtpy/%s (+http://weblog.example/)" % mtpy.__version__
    assert b"+" not in body and b"%20" in body
    assert parse_qs(body.decode("ascii"), encoding="utf-8") == {name: [value] for name, value in fields}


def test_post_form_in_another_charset(server):
    post_form(config(), server.url("/ping/5"), {"title": "日本語", "excerpt": "😀"}, charset="shift_jis")
    (_, _, headers, body), = server.seen
    assert headers["Content-Type"] == "application/x-www-form-urlencoded; charset=shift_jis"
    # what Shift_JIS cannot hold goes as a character reference, as browsers send it
    assert parse_qs(body.decode("ascii"), encoding="shift_jis") == {
        "title": ["日本語"], "excerpt": ["&#128512;"]}


def test_post_form_returns_an_error_status_for_the_answer_reader(server):
    response = post_form(config(), server.url("/broken"), {"title": "x"})
    assert response.status == 500 and response.body == b"it broke"


# ---- redirects ----------------------------------------------------------------

def test_five_redirects_are_followed(server):
    response = fetch(config(), server.url("/chain/5"))
    assert response.body == b"hello from /chain/0"
    assert response.url == server.url("/chain/0")
    assert [path for _, path, _, _ in server.seen] == ["/chain/%d" % n for n in range(5, -1, -1)]


def test_a_sixth_redirect_is_refused(server):
    assert refusal(server.url("/loop")) == "too many redirects"
    assert len(server.seen) == 6


def test_a_redirect_to_another_allowed_server(server, other_server):
    allowed = config("127.0.0.1 127.0.0.2")
    response = fetch(allowed, server.url("/to/" + other_server.url("/ok/there")))
    assert response.body == b"hello from /ok/there" and response.url == other_server.url("/ok/there")


def test_a_redirect_to_a_private_address_is_refused_before_connecting(server):
    assert refusal(server.url("/to/http://10.0.0.1/admin")) == "refused: 10.0.0.1 is a private address"


def test_a_redirect_to_a_name_of_a_refused_address_is_refused_at_connect(server, other_server):
    """The origin is allowed (127.0.0.2); the redirect names localhost, which
    connects to 127.0.0.1: refused on the socket, before any request is sent."""
    origin = other_server.url("/to/" + server.url("/ok/secret", host="localhost"))
    assert refusal(origin, config("127.0.0.2")) == "refused: 127.0.0.1 is a loopback address"
    assert len(other_server.seen) == 1 and server.seen == []


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/file", "file:///etc/passwd", "javascript:alert(1)"])
def test_a_redirect_to_another_scheme_is_refused(server, target):
    assert refusal(server.url("/to/" + target)) == "not an http or https URL"


def test_a_redirect_from_https_to_http_is_refused():
    # No TLS server here: the rule itself, as fetch applies it to each redirect.
    with pytest.raises(OutboundError) as caught:
        outbound._redirected("https://weblog.example/a", "http://weblog.example/b", 302, "GET", None, {})
    assert caught.value.reason == "refused: a redirect from https to http"


def test_a_posted_ping_keeps_its_body_through_a_307(server):
    response = post_form(config(), server.url("/to/" + server.url("/ping/7")), {"title": "T"})
    assert response.status == 200
    assert [(method, path, body) for method, path, _, body in server.seen] == [
        ("POST", "/to/" + server.url("/ping/7"), b"title=T"), ("POST", "/ping/7", b"title=T")]
    assert server.seen[1][2]["Content-Type"].startswith("application/x-www-form-urlencoded")


def test_a_utf8_location_is_followed(server):
    response = fetch(config(), server.url("/utf8-location"))
    assert server.seen[1][1] == "/ok/%E6%97%A5%E6%9C%AC"
    assert response.url == server.url("/ok/%E6%97%A5%E6%9C%AC")


def test_a_303_continues_as_a_get_without_the_body(server):
    fetch(config(), server.url("/see-other"), method="POST", data=b"a=1",
          headers={"Content-Type": "application/x-www-form-urlencoded"})
    (_, _, _, _), (method, path, headers, body) = server.seen
    assert (method, path, body) == ("GET", "/ok", b"")
    assert "Content-Type" not in headers


# ---- bounds -----------------------------------------------------------------

def test_an_endless_body_is_cut_at_max_bytes(server):
    assert refusal(server.url("/endless"), max_bytes=100000) == "the answer is larger than 100000 bytes"
    assert server.httpd.written.get(timeout=30) < 200


def test_a_declared_length_past_the_limit_is_refused_unread(server):
    assert refusal(server.url("/huge"), max_bytes=4096) == "the answer is larger than 4096 bytes"


def test_a_silent_server_times_out(server):
    assert refusal(server.url("/silent"), timeout=0.5) == "timed out after 0.5 s"


def test_a_trickling_body_ends_at_the_deadline(server):
    """Each byte arrives well within the read timeout: only the whole call's
    deadline ends it."""
    reason = refusal(server.url("/trickle"), timeout=5, deadline=time.monotonic() + 0.6)
    assert reason.startswith("timed out after ")
    # the connection was cut, not left to run out its 200 bytes
    assert server.httpd.written.get(timeout=30) < 200


def test_a_gzip_bomb_is_cut_while_inflating(server):
    assert refusal(server.url("/gzip-bomb")) == "the answer is larger than 1048576 bytes"
    assert server.seen[0][2]["Accept-Encoding"] == "identity"


def test_a_gzipped_answer_sent_anyway_is_inflated(server):
    assert fetch(config(), server.url("/gzip")).body == b"small and squeezed"


def test_an_unknown_content_encoding_is_refused(server):
    assert refusal(server.url("/brotli")) == "the answer uses an unsupported Content-Encoding: br"


# ---- addresses and URLs -----------------------------------------------------

def test_loopback_is_refused_without_the_directive(server):
    assert refusal(server.url(), config(None)) == "refused: 127.0.0.1 is a loopback address"
    assert server.seen == []


@pytest.mark.parametrize("host, reason", [
    ("[::ffff:127.0.0.1]", "refused: ::ffff:127.0.0.1 is an IPv4-mapped form of a loopback address"),
    ("[::1]", "refused: ::1 is a loopback address"),
    ("0.0.0.0", "refused: 0.0.0.0 is an unspecified address"),
    # not address literals: resolved, and refused before connecting
    ("127.1", "refused: 127.0.0.1 is a loopback address"),
    ("2130706433", "refused: 127.0.0.1 is a loopback address"),
    ("localhost", "refused: 127.0.0.1 is a loopback address"),
])
def test_other_spellings_of_the_host_are_refused(server, host, reason):
    assert refusal(server.url(host=host), config("127.0.0.2")) == reason
    assert server.seen == []


def test_the_socket_connected_is_checked_on_its_peer_address(server):
    """What fetch's connections do once connected, whatever the name resolved to
    before: the socket's own peer address decides, and a refused one is closed."""
    import socket
    call = outbound._Call(AddressPolicy(["127.0.0.2"]), 5, time.monotonic() + 5)
    sock = socket.create_connection(("127.0.0.1", server.port))
    try:
        with pytest.raises(OutboundError) as caught:
            call._watch(sock)
    finally:
        call.close()
    assert caught.value.reason == "refused: 127.0.0.1 is a loopback address"
    assert sock.fileno() == -1


def test_a_name_is_checked_on_the_address_it_connected_to(server):
    """localhost is refused when only 127.0.0.2 is allowed and allowed when
    127.0.0.1 is: what counts is the socket's peer, not the name."""
    assert refusal(server.url(host="localhost"), config("127.0.0.2")) == \
        "refused: 127.0.0.1 is a loopback address"
    assert fetch(config("127.0.0.0/30"), server.url(host="localhost")).status == 200


@pytest.mark.parametrize("url, reason", [
    ("ftp://127.0.0.1/file", "not an http or https URL"),
    ("gopher://127.0.0.1/", "not an http or https URL"),
    ("http:///nohost", "not an http or https URL"),
    ("http://user:pass@127.0.0.1/", "refused: the URL carries a user name or password"),
    ("http://user@127.0.0.1/", "refused: the URL carries a user name or password"),
    ("http://127.0.0.1:99999/", "not a valid URL"),
    ("http://127.0.0.1/a\r\nX-Injected: 1", "not a valid URL"),
])
def test_urls_that_are_refused(url, reason):
    assert refusal(url) == reason


def test_https_connections_are_checked_too(server):
    """Refused on the socket, before the TLS handshake: the server sees nothing."""
    assert refusal("https://localhost:%d/" % server.port, config("127.0.0.2")) == \
        "refused: 127.0.0.1 is a loopback address"
    assert server.seen == []


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")
def test_https_still_verifies_the_certificate(tmp_path):
    """An allowed address does not switch TLS checks off: a self-signed
    certificate is refused."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem"),
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tmp_path / "cert.pem"), str(tmp_path / "key.pem"))
    secure = Server()
    secure.httpd.handle_error = lambda request, address: None     # the refused handshake
    secure.httpd.socket = context.wrap_socket(secure.httpd.socket, server_side=True,
                                              do_handshake_on_connect=False)
    try:
        reason = refusal("https://localhost:%d/ok" % secure.port)
    finally:
        secure.stop()
    assert reason.startswith("cannot connect: the secure connection failed: ")
    assert "certificate verify failed" in reason and secure.seen == []


def test_a_closed_port_cannot_connect(server):
    server.stop()
    assert refusal(server.url()).startswith("cannot connect: Connection refused (127.0.0.1 port ")


@pytest.mark.parametrize("address, kind", [
    ("10.0.0.5", "a private address"),
    ("192.168.1.1", "a private address"),
    ("172.16.0.1", "a private address"),
    ("169.254.169.254", "a link-local address"),
    ("224.0.0.1", "a multicast address"),
    ("240.0.0.1", "a reserved address"),
    ("100.64.0.1", "not a public address"),
    ("fe80::1", "a link-local address"),
    ("fc00::1", "a private address"),
    ("ff02::1", "a multicast address"),
    ("::", "an unspecified address"),
    ("::ffff:10.0.0.1", "an IPv4-mapped form of a private address"),
    ("64:ff9b::a9fe:a9fe", "a NAT64 form of a link-local address"),
    ("2002:7f00:1::", "a 6to4 form of a loopback address"),
])
def test_addresses_of_the_hosts_own_networks_are_refused(address, kind):
    assert AddressPolicy().refusal(address).endswith(" is " + kind)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111",
                                     "::ffff:93.184.216.34"])
def test_public_addresses_are_allowed(address):
    assert AddressPolicy().refusal(address) is None


def test_allowed_networks():
    policy = AddressPolicy(["10.0.0.0/8", "::1"])
    assert policy.refusal("10.1.2.3") is None and policy.refusal("::1") is None
    assert policy.refusal("11.0.0.1") is None                   # public anyway
    assert policy.refusal("192.168.0.1") == "refused: 192.168.0.1 is a private address"
    # an IPv4 network never allows an IPv6 address that holds the same number
    assert AddressPolicy(["127.0.0.1"]).refusal("::7f00:1") is not None


def test_the_directives():
    cfg = Config(text="PingTimeout 2.5\nOutboundAllowAddresses 127.0.0.1, 10.0.0.0/8 ::1\n")
    assert cfg.get("PingTimeout") == 2.5
    assert cfg.get("OutboundAllowAddresses") == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    default = Config(text="")
    assert default.get("PingTimeout") == 15 and default.get("OutboundAllowAddresses") == []
    for bad in ("PingTimeout 0", "PingTimeout 61", "OutboundAllowAddresses localhost"):
        with pytest.raises(ConfigError):
            Config(text=bad)


# ---- without requests ---------------------------------------------------------

def test_without_requests_fetch_says_what_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "requests", None)
    with pytest.raises(OutboundError) as caught:
        fetch(config(), "http://127.0.0.1/")
    assert caught.value.reason == "sending needs the requests module: see mt-check.cgi"


def test_the_module_imports_without_requests():
    done = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, %r); "
         "sys.modules['requests'] = sys.modules['urllib3'] = None; "
         "import mtpy.outbound; print('imported')" % os.path.join(ROOT, "lib")],
        capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "imported", done.stderr


def test_reserved_names_are_not_looked_up(monkeypatch):
    from mtpy import outbound
    from mtpy.config import Config

    def no_lookup(*args, **kwargs):
        raise AssertionError("looked up %r" % (args,))
    monkeypatch.setattr("socket.getaddrinfo", no_lookup)
    for url in ("http://a.example/tb", "http://weblog.invalid/", "https://x.test./ping"):
        with pytest.raises(outbound.OutboundError) as refused:
            outbound.fetch(Config(text=""), url, timeout=1)
        assert "reserved name" in refused.value.reason

