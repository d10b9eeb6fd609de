"""mt.cgi's web layer: Request over real WSGI environs, Response through run_cgi,
`__mode` dispatch, error pages, redirects that stay on the script."""

import io
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from mtpy import web
from mtpy.apps.cms.base import Application, HTTPError
from mtpy.config import Config
from mtpy.request import Request, RequestError
from support.wsgi import respond


class Unreadable(io.BytesIO):
    def read(self, *args):
        raise AssertionError("the body was read")


def environ(method="GET", query="", body=b"", content_type="application/x-www-form-urlencoded", **extra):
    values = {"REQUEST_METHOD": method, "SCRIPT_NAME": "/cgi-bin/mt.cgi", "PATH_INFO": "", "QUERY_STRING": query,
              "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "192.0.2.1",
              "SERVER_NAME": "blog.example", "SERVER_PORT": "80", "wsgi.input": io.BytesIO(body),
              "wsgi.url_scheme": "http"}
    values.update(extra)
    return values


def test_query_keeps_repeated_fields_and_decodes_utf8():
    request = Request(environ(query="tag=a&tag=b&name=%C3%A9t%C3%A9+x&bad=%FF%41&empty=&odd=100%"))
    assert request.query.getlist("tag") == ["a", "b"] and request.query.get("tag") == "a"
    assert request.query.get("name") == "été x"
    assert request.query.get("bad") == "\ufffdA" and request.query.get("odd") == "100%"
    assert "empty" in request.query and request.query.get("missing", "?") == "?"
    assert request.query.keys() == ["tag", "name", "bad", "empty", "odd"] and len(request.query) == 5
    assert request.query.items()[0] == ("tag", "a")
    assert len(request.form) == 0 and request.files == {}     # GET: no body
    # Raw bytes: as PEP 3333 servers pass them (latin-1), and as run_cgi does (os.environ).
    raw = "q=\u00c3\u00a9"
    assert Request(environ(query=raw)).query.get("q") == "é"
    assert Request(environ(query=os.fsdecode(b"q=\xc3\xa9\xff"), **{web.ENVIRON_FROM_OS: True})).query.get("q") == "é\ufffd"


def test_urlencoded_form_and_param():
    body = b"__mode=save&title=Caf%C3%A9&cat=1&cat=2"
    request = Request(environ("POST", query="__mode=view&id=7", body=body))
    assert request.form.getlist("cat") == ["1", "2"] and request.form.get("title") == "Café"
    assert request.param("__mode") == "save" and request.param("id") == "7" and request.param("no", "-") == "-"


def multipart(boundary, parts):
    out = b""
    for headers, data in parts:
        out += b"--" + boundary + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + data + b"\r\n"
    return out + b"--" + boundary + b"--\r\n"


def test_multipart_with_a_file_and_fields():
    boundary = b"----form7MA4YWxk"
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) + b"\r\n--" + boundary + b"X not a delimiter\r\n"
    body = multipart(boundary, [
        ([b'Content-Disposition: form-data; name="title"'], "Été".encode("utf-8")),
        ([b'Content-Disposition: form-data; name="tag"'], b"a"),
        ([b'Content-Disposition: form-data; name="tag"'], b"b\r\n--" + boundary[:-1] + b" inside a line"),
        ([b'Content-Disposition: form-data; name="file"; filename="C:\\Users\\me\\..\\pic 1.png"',
          b"Content-Type: image/png"], picture),
        ([b'Content-Disposition: form-data; name="other"; filename="../../etc/passwd"'], b"root"),
        ([b'Content-Disposition: form-data; name="none"; filename=""', b"Content-Type: application/octet-stream"], b""),
    ])
    request = Request(environ("POST", body=body, content_type='multipart/form-data; boundary="%s"' % boundary.decode()),
                      max_body=len(body))
    assert request.form.get("title") == "Été"
    assert request.form.getlist("tag") == ["a", "b\r\n--" + boundary[:-1].decode() + " inside a line"]
    upload = request.files["file"]
    assert (upload.filename, upload.content_type, upload.data) == ("pic 1.png", "image/png", picture)
    assert request.files["other"].filename == "passwd"
    assert "none" not in request.files and "none" not in request.form      # no file chosen
    assert "file" not in request.form


@pytest.mark.parametrize("body", [b"no parts at all", b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\nunfinished"])
def test_malformed_multipart_is_400(body):
    request = Request(environ("POST", body=body, content_type="multipart/form-data; boundary=b"))
    with pytest.raises(RequestError) as raised:
        request.form
    assert raised.value.status == 400


def test_oversize_body_is_413_without_reading_it():
    values = environ("POST", body=b"x" * 11)
    values["wsgi.input"] = Unreadable()
    with pytest.raises(RequestError) as raised:
        Request(values, max_body=10).form
    assert raised.value.status == 413
    # Through an application: the 413 page, the body still unread.
    values["wsgi.input"] = Unreadable()
    answer = call(Demo(Config(text="MaxUploadBytes 10\n")), values)
    assert answer[0] == "413 Request Entity Too Large"


def test_cookies_tolerate_junk():
    request = Request(environ(HTTP_COOKIE='junk; =nameless; a=1; b="quoted"; a=2; c=x=y; ;; \xff=\xfe; d'))
    assert request.cookies["a"] == "1" and request.cookies["b"] == "quoted" and request.cookies["c"] == "x=y"
    assert "junk" not in request.cookies and "d" not in request.cookies and "" not in request.cookies


def test_addresses_and_urls():
    request = Request(environ(HTTP_HOST="Blog.Example:8080", REMOTE_ADDR="10.0.0.1",
                              HTTP_X_FORWARDED_FOR="198.51.100.9"), trusted_proxies=["10.0.0.1"])
    assert request.remote_addr == "198.51.100.9"
    assert request.script_url == "http://blog.example:8080/cgi-bin/mt.cgi" and not request.is_secure
    secure = Request(environ(HTTP_HOST="evil.example/<x>", HTTPS="on", SERVER_PORT="8443"))
    assert secure.is_secure and secure.host_url == "https://blog.example:8443"   # a bad Host header is not used
    assert Request(environ(method="post")).method == "POST"


# -- Response through run_cgi -------------------------------------------------------

CGI_PROBE = r"""
import sys
sys.path.insert(0, %(lib)r)
from mtpy import web
from mtpy.hosting import run_cgi
def application(environ, start_response):
    response = web.redirect("?__mode=list&blog_id=1") if %(redirect)r else web.Response(
        "<p>hi</p>", status=403, csp="default-src 'self'")
    response.set_cookie("one", "1", "/cgi-bin/mt.cgi", max_age=60)
    response.set_cookie("two", "a.b-c", "/cgi-bin/mt.cgi", secure=True, same_site="Strict")
    response.delete_cookie("old", "/cgi-bin/mt.cgi")
    return response(environ, start_response)
run_cgi(application)
"""


@pytest.mark.parametrize("redirect", [False, True])
def test_run_cgi_carries_status_and_every_header(redirect):
    done = subprocess.run([sys.executable, "-c", CGI_PROBE % {"lib": os.path.join(ROOT, "lib"), "redirect": redirect}],
                          capture_output=True, timeout=60, env=dict(os.environ, REQUEST_METHOD="GET"))
    head, _, body = done.stdout.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == ("Status: 303 See Other" if redirect else "Status: 403 Forbidden")
    cookies = [line for line in lines if line.startswith("Set-Cookie: ")]
    assert cookies == ["Set-Cookie: one=1; Path=/cgi-bin/mt.cgi; Max-Age=60; HttpOnly; SameSite=Lax",
                       "Set-Cookie: two=a.b-c; Path=/cgi-bin/mt.cgi; HttpOnly; SameSite=Strict; Secure",
                       "Set-Cookie: old=; Path=/cgi-bin/mt.cgi; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                       "HttpOnly; SameSite=Lax"]
    assert "X-Content-Type-Options: nosniff" in lines and "X-Frame-Options: DENY" in lines
    if redirect:
        assert "Location: ?__mode=list&blog_id=1" in lines
        assert b'href="?__mode=list&amp;blog_id=1"' in body
    else:
        assert "Content-Security-Policy: default-src 'self'" in lines and body == b"<p>hi</p>"


@pytest.mark.parametrize("value", ["a;b", "a,b", "a b", "a\r\nSet-Cookie: x=1", 'a"', "\x00", "é"])
def test_cookie_values_are_checked(value):
    with pytest.raises(ValueError):
        web.Response("").set_cookie("name", value, "/")


def test_no_header_injection_through_a_redirect():
    with pytest.raises(ValueError):
        web.redirect("/ok\r\nSet-Cookie: x=1")
    assert dict(web.redirect("?title=\u20ac&x=\u00e9").headers)["Location"] == "?title=%E2%82%AC&x=%C3%A9"
    assert web.Response("x", status=429).status == "429 Too Many Requests"
    assert web.Response("x", content_type="text/plain").headers == [("Content-Type", "text/plain"),
                                                                   ("Content-Length", "1")]


# -- Application --------------------------------------------------------------------

class Demo(Application):
    default_mode = "menu"

    def mode_menu(self, request):
        return web.Response("menu")

    def mode_echo(self, request):
        return web.Response("echo " + request.param("text"))

    def mode_secret(self, request):
        raise HTTPError(403, "<b>not yours</b>")

    def mode_crash(self, request):
        raise RuntimeError("boom at /srv/secret/path")

    def helper(self, request):
        return web.Response("not a screen")


def config_for(log=None):
    return Config(text="LogFile %s\n" % log if log else "")


def call(app, values):
    status, headers, body = respond(app, values)
    return status, dict(headers), body.decode()


def test_dispatch_by_mode():
    app = Demo(config_for())
    assert call(app, environ())[2] == "menu"
    assert call(app, environ(query="__mode=echo&text=q"))[2] == "echo q"
    assert call(app, environ("POST", query="__mode=menu", body=b"__mode=echo&text=f"))[2] == "echo f"
    status, headers, body = call(app, environ(query="__mode=secret"))
    assert status == "403 Forbidden" and "&lt;b&gt;not yours&lt;/b&gt;" in body and "<b>" not in body
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"] == "default-src 'none'; img-src data:"     # the inline icon


@pytest.mark.parametrize("mode", ["nothing", "helper", "__init__", "echo.x", "../menu", "<script>", "a" * 300])
def test_unknown_modes_are_404(mode):
    from urllib.parse import quote
    status, _, body = call(Demo(config_for()), environ(query="__mode=" + quote(mode)))
    assert status == "404 Not Found" and "Unknown action" in body and "<script>" not in body


def test_an_exception_gives_a_500_page_and_a_log_line(tmp_path):
    log = tmp_path / "mt.log"
    status, _, body = call(Demo(config_for(log)), environ(query="__mode=crash", PATH_INFO="/x\nforged line"))
    assert status == "500 Internal Server Error"
    assert "boom" not in body and "Traceback" not in body and "/srv/" not in body
    logged = log.read_text()
    assert "Traceback" in logged and "RuntimeError: boom at /srv/secret/path" in logged
    assert "failed on GET /cgi-bin/mt.cgi/x?forged line (__mode=crash)" in logged


def test_a_failing_error_page_falls_back_to_the_plain_one(tmp_path):
    class Broken(Demo):
        def error_page(self, request, status, message):
            raise RuntimeError("template missing")
    status, _, body = call(Broken(config_for(tmp_path / "mt.log")), environ(query="__mode=crash"))
    assert status == "500 Internal Server Error" and "</html>" in body


def test_max_upload_bytes_directive():
    assert Config(text="").get("MaxUploadBytes") == 20 * 1024 * 1024
    app = Demo(Config(text="MaxUploadBytes 5\n"))
    assert call(app, environ("POST", body=b"text=123456"))[0] == "413 Request Entity Too Large"
    assert call(app, environ("POST", body=b"text="))[0] == "200 OK"


@pytest.mark.parametrize("target,safe", [
    ("?__mode=list&blog_id=1", True), ("/cgi-bin/mt.cgi?__mode=view", True), ("mt.cgi?__mode=menu", True),
    ("//evil.example", False), ("//evil.example/cgi-bin/mt.cgi", False), ("https://evil.example", False),
    ("/\\evil.example", False), ("\\\\evil.example", False), ("javascript:alert(1)", False),
    ("/cgi-bin/mt.cgi/../../evil", False), ("/other.cgi?x", False), ("?a\r\nLocation: //evil", False),
    (" //evil.example", False), ("", False), ("http:?x", False)])
def test_safe_redirect_target(target, safe):
    request = Request(environ())
    assert Demo(config_for()).safe_redirect_target(request, target, "?__mode=menu") == (
        target if safe else "?__mode=menu")


# -- Each script's application made one way (mtpy.hosting.load) ---------------------

def test_each_script_says_its_mt_cfg_is_broken_without_details(tmp_path, monkeypatch, capsys):
    """mt.cgi's and mt-tb.cgi's applications are made by mtpy.hosting.load from
    the mt.cfg that MT_CONFIG names: while it does not parse, each answers in
    its own terms, 500, without the reason (that goes to the error log); once
    mended, the application is built."""
    from mtpy.apps.cms import CMSApp
    from mtpy.apps.trackback import TrackbackApp
    from mtpy.hosting import load
    config = tmp_path / "mt.cfg"
    config.write_text("OneHourMaxPings lots\nDataSource %s\n" % (tmp_path / "data"))
    monkeypatch.setenv("MT_CONFIG", str(config))
    answers = {}
    for app_class in (CMSApp, TrackbackApp):
        started = []
        body = b"".join(load(app_class)(environ(), lambda status, headers, exc_info=None: started.append(status)))
        answers[app_class] = (started[0], body.decode())
    assert answers[CMSApp][0].startswith("500") and "mtpy is not configured" in answers[CMSApp][1]
    assert answers[TrackbackApp][0].startswith("500") and "<error>1</error>" in answers[TrackbackApp][1]
    assert "misconfigured" in answers[TrackbackApp][1]
    assert not [text for _, text in answers.values() if "OneHourMaxPings" in text or "lots" in text]
    logged = capsys.readouterr().err
    assert "mt.cgi cannot start" in logged and "mt-tb.cgi cannot start" in logged and "OneHourMaxPings" in logged
    config.write_text("DataSource %s\n" % (tmp_path / "data"))
    assert isinstance(load(TrackbackApp), TrackbackApp) and isinstance(load(CMSApp), CMSApp)
