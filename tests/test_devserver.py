"""The `mtpy serve` web server: CGI/1.1 behaviour and static files, through
real HTTP on 127.0.0.1 against small Python CGI scripts written here."""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from mtpy.hosting.devserver import CGIOutputError, make_server, parse_cgi_output

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TIMEOUT = 15  # every client call is bounded; nothing here should take near this

SCRIPTS = {
    # Reports its CGI environment as JSON.
    "env.cgi": """
        import json, os, sys
        sys.stdin.buffer.read()
        sys.stdout.write("Content-Type: application/json\\n\\n")
        sys.stdout.write(json.dumps(dict(os.environ)))
    """,
    # Sends the request body back unchanged, CRLF headers.
    "echo.cgi": """
        import sys
        data = sys.stdin.buffer.read()
        out = sys.stdout.buffer
        out.write(b"Content-Type: application/octet-stream\\r\\n\\r\\n")
        out.write(data)
    """,
    "forbidden.cgi": """
        import sys
        sys.stdout.write("Status: 403 Forbidden\\r\\nRetry-After: 120\\r\\n"
                         "Content-Type: text/plain\\r\\n\\r\\nno pings today\\n")
    """,
    "redirect.cgi": """
        print("Location: /blog/")
        print("Set-Cookie: a=1")
        print("Set-Cookie: b=2")
        print()
    """,
    # Answers, closes stdout (the descriptor: sys.stdout.close() would leave
    # fd 1 open), then keeps working, as mtpy's scripts do with deferred work:
    # until the test releases it (at most 10 s), then notes that it is done.
    "early.cgi": """
        import os, sys, time
        sys.stdout.write("Content-Type: text/plain\\n\\nanswered early\\n")
        sys.stdout.flush()
        os.close(1)
        for _ in range(100):
            if os.path.exists("early.release"):
                break
            time.sleep(0.1)
        open("early.done", "w").close()
    """,
    "fail.cgi": """
        import sys
        sys.stderr.write("SECRET-DETAIL /home/someone/passwords\\n")
        sys.exit(3)
    """,
    "garbage.cgi": """
        print("this is not a header")
        print()
        print("body")
    """,
    # Outlasts the client's TIMEOUT: only a server that ends it answers at all.
    "slow.cgi": """
        import time
        time.sleep(60)
    """,
    ".hidden.cgi": """
        print("Content-Type: text/plain\\n\\nhidden")
    """,
    "helper.py": """
        print("Content-Type: text/plain\\n\\nnot a cgi")
    """,
}


@pytest.fixture
def site(tmp_path):
    cgi_dir = tmp_path / "cgi-bin"
    cgi_dir.mkdir()
    for name, source in SCRIPTS.items():
        (cgi_dir / name).write_text(textwrap.dedent(source))
    archives = tmp_path / "archives"
    (archives / "sub" / "inner").mkdir(parents=True)
    (archives / "index.html").write_text("<html><body>blog home</body></html>")
    (archives / "index.xml").write_text("<?xml version='1.0'?><rss/>")
    (archives / "sub" / "page.html").write_text("<p>sub page</p>")
    (archives / ".htaccess").write_text("Deny from all")
    (archives / "sub" / "inner" / "index.html").write_text("inner index")
    root = tmp_path / "root"
    root.mkdir()
    (root / "hello.txt").write_text("hello from root")
    (tmp_path / "outside.txt").write_text("TOPSECRET")
    return tmp_path


@pytest.fixture
def server(site, monkeypatch):
    # Must not reach the scripts: their environment is built from scratch.
    monkeypatch.setenv("MTPY_DEVSERVER_LEAK", "leaked")
    httpd = make_server(
        "127.0.0.1", 0, str(site / "cgi-bin"),
        [("/blog/", str(site / "archives")), ("/", str(site / "root"))],
        environ={"MT_CONFIG": "/nowhere/mt.cfg"}, python=sys.executable,
    )
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(TIMEOUT)


def connect(server):
    return http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=TIMEOUT)


def request(server, method, url, body=None, headers=None):
    connection = connect(server)
    try:
        connection.request(method, url, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


def raw_request(server, data):
    """Send bytes http.client would refuse to send; return the raw reply."""
    with socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=TIMEOUT) as sock:
        sock.sendall(data)
        reply = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return reply
            reply += chunk


# --- CGI ------------------------------------------------------------------

def test_cgi_environment(server):
    response, body = request(
        server, "POST", "/cgi-bin/env.cgi/entry%20one/%C3%A9t%C3%A9?__mode=view&q=a%20b",
        body=b"title=x",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Forwarded-For": "203.0.113.9", "User-Agent": "pytest-agent",
                 "Proxy": "http://evil.example/"},
    )
    assert response.status == 200
    assert response.getheader("Content-Type") == "application/json"
    env = json.loads(body)
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == "/cgi-bin/env.cgi"
    assert env["SCRIPT_FILENAME"].endswith(os.path.join("cgi-bin", "env.cgi"))
    assert env["PATH_INFO"] == "/entry one/\u00e9t\u00e9"     # decoded
    assert env["QUERY_STRING"] == "__mode=view&q=a%20b"         # raw
    assert env["CONTENT_TYPE"] == "application/x-www-form-urlencoded"
    assert env["CONTENT_LENGTH"] == "7"
    assert env["HTTP_X_FORWARDED_FOR"] == "203.0.113.9"
    assert env["HTTP_USER_AGENT"] == "pytest-agent"
    assert env["HTTP_HOST"] == "127.0.0.1:%d" % server.server_address[1]
    assert env["SERVER_NAME"] == "127.0.0.1"
    assert env["SERVER_PORT"] == str(server.server_address[1])
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["REMOTE_PORT"].isdigit()
    assert env["MT_CONFIG"] == "/nowhere/mt.cfg"
    assert "PATH" in env
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert "HTTP_PROXY" not in env                    # httpoxy
    assert "MTPY_DEVSERVER_LEAK" not in env


def test_cgi_get_without_body_or_path_info(server):
    response, body = request(server, "GET", "/cgi-bin/env.cgi")
    env = json.loads(body)
    assert env["REQUEST_METHOD"] == "GET"
    assert env["QUERY_STRING"] == ""
    assert "PATH_INFO" not in env
    assert "CONTENT_LENGTH" not in env and "CONTENT_TYPE" not in env


def test_post_body_arrives_byte_for_byte(server):
    payload = bytes(range(256)) * 4 + b"\r\n\x00\xff\xfe caf\xe9 \r\n\r\nend"
    response, body = request(server, "POST", "/cgi-bin/echo.cgi", body=payload,
                             headers={"Content-Type": "application/octet-stream"})
    assert response.status == 200
    assert body == payload
    assert response.getheader("Content-Length") == str(len(payload))


def test_large_post_body(server):
    # Bigger than any pipe buffer: stdin must be fed while stdout is read.
    payload = os.urandom(3 * 1024 * 1024)
    response, body = request(server, "POST", "/cgi-bin/echo.cgi", body=payload)
    assert response.status == 200
    assert body == payload


def test_status_and_headers_pass_through(server):
    response, body = request(server, "GET", "/cgi-bin/forbidden.cgi")
    assert response.status == 403
    assert response.reason == "Forbidden"
    assert response.getheader("Retry-After") == "120"
    assert response.getheader("Content-Type") == "text/plain"
    assert body == b"no pings today\n"


def test_location_alone_means_302(server):
    response, _ = request(server, "GET", "/cgi-bin/redirect.cgi")
    assert response.status == 302
    assert response.getheader("Location") == "/blog/"
    assert response.msg.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_response_sent_when_stdout_closes(server, site):
    response, body = request(server, "GET", "/cgi-bin/early.cgi")
    assert response.status == 200
    assert body == b"answered early\n"
    # The script is still working, waiting for this test: the server did not wait for it to exit.
    assert not (site / "cgi-bin" / "early.done").exists()
    (site / "cgi-bin" / "early.release").touch()


def test_failing_script_is_500_without_stderr(server, capfd):
    response, body = request(server, "GET", "/cgi-bin/fail.cgi")
    assert response.status == 500
    assert response.getheader("Content-Type").startswith("text/plain")
    assert b"SECRET" not in body and b"passwords" not in body
    # ...but the operator sees it in the server's log.
    deadline = time.monotonic() + 5
    logged = ""
    while "SECRET-DETAIL" not in logged and time.monotonic() < deadline:
        time.sleep(0.05)
        logged += capfd.readouterr().err
    assert "SECRET-DETAIL" in logged


def test_access_log_line_says_its_zone(server, capfd):
    request(server, "GET", "/blog/index.html")
    line = r'^\[\d\d:\d\d:\d\d [+-]\d{4}\] 127\.0\.0\.1 "GET /blog/index\.html HTTP/1\.1" 200 \d+ '
    deadline = time.monotonic() + 5      # the line is written after the answer
    logged = ""
    while not re.search(line, logged, re.M) and time.monotonic() < deadline:
        time.sleep(0.05)
        logged += capfd.readouterr().err
    assert re.search(line, logged, re.M), logged


def test_malformed_output_is_500(server):
    response, body = request(server, "GET", "/cgi-bin/garbage.cgi")
    assert response.status == 500
    assert b"not a header" not in body


def test_timeout_is_504(server):
    server.cgi_timeout = 1
    response, _ = request(server, "GET", "/cgi-bin/slow.cgi")
    assert response.status == 504


@pytest.mark.parametrize("url", [
    "/cgi-bin/missing.cgi",
    "/cgi-bin/helper.py",            # exists, but not *.cgi
    "/cgi-bin/.hidden.cgi",
    "/cgi-bin/",
    "/cgi-bin/../cgi-bin/env.cgi",
    "/cgi-bin/%2e%2e/cgi-bin/env.cgi",
    "/cgi-bin/..%2fcgi-bin%2fenv.cgi",
    "/cgi-bin/sub%5cenv.cgi",
])
def test_unknown_script_is_404(server, url):
    response, _ = request(server, "GET", url)
    assert response.status == 404


def test_head_on_script(server):
    response, body = request(server, "HEAD", "/cgi-bin/forbidden.cgi")
    assert response.status == 403
    assert body == b""
    assert response.getheader("Retry-After") == "120"


def test_oversized_body_is_413(server):
    server.max_body = 1000
    reply = raw_request(server, b"POST /cgi-bin/echo.cgi HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Length: 5000\r\n\r\n" + b"x" * 5000)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"Connection: close" in reply


def test_oversized_body_refused_before_100_continue(server):
    reply = raw_request(server, b"POST /cgi-bin/echo.cgi HTTP/1.1\r\nHost: x\r\n"
                                b"Content-Length: 20000000\r\nExpect: 100-continue\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 413 ")


def test_keep_alive_across_requests(server):
    connection = connect(server)
    try:
        for method, url, body, status in [
            ("GET", "/blog/index.xml", None, 200),
            ("POST", "/cgi-bin/echo.cgi", b"one", 200),
            ("GET", "/blog/nothing-here", None, 404),
            ("GET", "/cgi-bin/forbidden.cgi", None, 403),
            ("POST", "/cgi-bin/echo.cgi", b"two", 200),
        ]:
            connection.request(method, url, body=body)
            response = connection.getresponse()
            data = response.read()
            assert response.status == status, url
            assert not response.will_close, url
            if body:
                assert data == body
            sock = connection.sock
            assert sock is not None
    finally:
        connection.close()


@pytest.mark.skipif(os.name != "posix", reason="runs scripts through their #! line")
def test_without_python_scripts_run_by_their_shebang(site):
    cgi_dir = site / "cgi-bin"
    (cgi_dir / "shebang.cgi").write_text(
        "#!%s\nprint('Content-Type: text/plain\\n\\nran directly')\n" % sys.executable)
    os.chmod(str(cgi_dir / "shebang.cgi"), 0o755)
    (cgi_dir / "noexec.cgi").write_text("#!%s\nprint('Content-Type: text/plain\\n')\n" % sys.executable)
    os.chmod(str(cgi_dir / "noexec.cgi"), 0o644)
    httpd = make_server("127.0.0.1", 0, str(cgi_dir), [])
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        response, body = request(httpd, "GET", "/cgi-bin/shebang.cgi")
        assert (response.status, body) == (200, b"ran directly\n")
        response, body = request(httpd, "GET", "/cgi-bin/noexec.cgi")
        assert response.status == 500
        assert b"Permission" not in body
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(TIMEOUT)


def test_connection_close_in_a_token_list(server):
    # Perl's LWP (Movable Type's pinger) sends this and reads until EOF.
    reply = raw_request(server, b"POST /cgi-bin/echo.cgi HTTP/1.1\r\nHost: x\r\n"
                                b"TE: deflate,gzip;q=0.3\r\nConnection: TE, close\r\n"
                                b"Content-Length: 5\r\n\r\nhello")
    assert reply.startswith(b"HTTP/1.1 200 ")
    assert b"Connection: close\r\n" in reply
    assert reply.endswith(b"\r\n\r\nhello")


# --- static files ---------------------------------------------------------

def test_static_files_and_types(server):
    response, body = request(server, "GET", "/blog/index.xml")
    assert response.status == 200
    assert response.getheader("Content-Type").split(";")[0] == "text/xml"
    assert response.getheader("Content-Length") == str(len(body))
    assert body == b"<?xml version='1.0'?><rss/>"

    response, body = request(server, "GET", "/blog/sub/page.html")
    assert response.getheader("Content-Type").split(";")[0] == "text/html"
    assert body == b"<p>sub page</p>"

    # The longest prefix wins; "/" catches the rest.
    response, body = request(server, "GET", "/hello.txt")
    assert response.status == 200 and body == b"hello from root"


def test_pages_announce_pingback_and_webmention_as_the_shipped_configurations_do(server):
    """mtpy serve sends X-Pingback (absolute, as WordPress reads it on a HEAD)
    and Link rel="webmention" with a weblog's pages, and with nothing else; a
    Host that is no host name gets no headers."""
    port = server.server_address[1]
    scripts = "http://127.0.0.1:%d/cgi-bin/" % port
    for method, url in (("GET", "/blog/sub/page.html"), ("HEAD", "/blog/sub/page.html"), ("GET", "/blog/")):
        response, _ = request(server, method, url)
        assert (response.getheader("X-Pingback"), response.getheader("Link")) == (
            scripts + "mt-pingback.cgi", '<%smt-webmention.cgi>; rel="webmention"' % scripts), (method, url)
    response, _ = request(server, "GET", "/blog/index.xml")
    assert response.getheader("X-Pingback") is None and response.getheader("Link") is None
    response, _ = request(server, "GET", "/blog/sub/page.html", headers={"Host": 'evil"><x'})
    assert response.getheader("X-Pingback") is None and response.getheader("Link") is None


def test_directory_index(server):
    response, body = request(server, "GET", "/blog/")
    assert response.status == 200 and b"blog home" in body
    response, body = request(server, "GET", "/blog/sub/inner/")
    assert body == b"inner index"
    # No index.html, and no listing instead.
    response, body = request(server, "GET", "/blog/sub/")
    assert response.status == 404 and b"page.html" not in body
    # Directories without their slash are redirected to it.
    response, _ = request(server, "GET", "/blog/sub/inner?x=1")
    assert response.status == 301
    assert response.getheader("Location") == "/blog/sub/inner/?x=1"
    response, _ = request(server, "GET", "/blog")
    assert response.status == 301 and response.getheader("Location") == "/blog/"


def test_static_head(server):
    response, body = request(server, "HEAD", "/blog/index.html")
    assert response.status == 200
    assert body == b""
    assert response.getheader("Content-Length") == str(len("<html><body>blog home</body></html>"))


def test_post_to_static_is_405(server):
    response, _ = request(server, "POST", "/blog/index.html", body=b"x")
    assert response.status == 405
    assert response.getheader("Allow") == "GET, HEAD"


@pytest.mark.parametrize("url", [
    "/blog/../outside.txt",
    "/blog/../../outside.txt",
    "/blog/%2e%2e/outside.txt",
    "/blog/%2E%2E%2Foutside.txt",
    "/blog/sub/..%2f..%2foutside.txt",
    "/blog/..\\outside.txt",
    "/blog/%5c..%5coutside.txt",
    "/blog/index.html%00.txt",
    "/blog/.htaccess",
    "/blog/%2ehtaccess",
    "/../outside.txt",
    "//outside.txt",
    "/blog/nothing-here",
])
def test_traversal_and_hidden_files_refused(server, url):
    response, body = request(server, "GET", url)
    assert response.status in (403, 404)
    assert b"TOPSECRET" not in body and b"Deny" not in body


def test_raw_nul_and_dotdot_refused(server):
    for target in (b"/blog/index.html\x00", b"/blog/../outside.txt", b"/blog/..%2f..%2foutside.txt"):
        reply = raw_request(server, b"GET " + target + b" HTTP/1.0\r\n\r\n")
        assert reply.split(b" ")[1] in (b"400", b"403", b"404"), target
        assert b"TOPSECRET" not in reply


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_out_of_mount_refused(server, site):
    try:
        os.symlink(str(site / "outside.txt"), str(site / "archives" / "link.txt"))
    except OSError:
        pytest.skip("cannot create symlinks here")
    response, body = request(server, "GET", "/blog/link.txt")
    assert response.status in (403, 404)
    assert b"TOPSECRET" not in body


def test_unmounted_path_is_404(site):
    httpd = make_server("127.0.0.1", 0, str(site / "cgi-bin"), [("/blog/", str(site / "archives"))])
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        response, _ = request(httpd, "GET", "/elsewhere.html")
        assert response.status == 404
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(TIMEOUT)


# --- output parsing -------------------------------------------------------

def test_parse_cgi_output():
    assert parse_cgi_output(b"Content-Type: text/plain\n\nhi\n\nthere") == (
        200, "OK", [("Content-Type", "text/plain")], b"hi\n\nthere")
    assert parse_cgi_output(b"Status: 404\r\nContent-Type: text/plain\r\n\r\n\r\n") == (
        404, "Not Found", [("Content-Type", "text/plain")], b"\r\n")
    # Output may end right after the headers.
    assert parse_cgi_output(b"Location: http://example.com/\n") == (
        302, "Found", [("Location", "http://example.com/")], b"")
    assert parse_cgi_output(b"Status: 200 Fine Thanks\nLocation: /x\n\n")[:2] == (200, "Fine Thanks")
    for bad in (b"", b"\nbody", b"no colon here\n\n", b"Status: abc\n\n", b"Status: 100\n\n",
                b"Bad Name: x\n\n"):
        with pytest.raises(CGIOutputError):
            parse_cgi_output(bad)


# --- serve() --------------------------------------------------------------

@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_serve_prints_url_and_stops_on_ctrl_c(site):
    code = textwrap.dedent("""
        import sys
        from mtpy.hosting.devserver import serve
        serve("127.0.0.1", 0, sys.argv[1], [("/", sys.argv[2])], urls_message="  try /hello.txt")
    """)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"))
    # Ctrl-C as in a terminal, even where the test run itself was started in the
    # background (which ignores SIGINT, and children inherit that).
    process = subprocess.Popen(
        [sys.executable, "-c", code, str(site / "cgi-bin"), str(site / "root")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        first = process.stdout.readline().decode()
        assert first.startswith("mtpy serve: listening on http://127.0.0.1:")
        port = int(first.rstrip().rstrip("/").rsplit(":", 1)[1])
        assert process.stdout.readline().decode().strip() == "try /hello.txt"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        connection.request("GET", "/hello.txt")
        assert connection.getresponse().read() == b"hello from root"
        connection.close()
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
    assert process.returncode == 0
    assert b"Traceback" not in err
    assert b'"GET /hello.txt HTTP/1.1" 200' in err     # the access log
