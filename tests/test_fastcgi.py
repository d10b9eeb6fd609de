"""The `.fcgi` scripts: the applications kept in a persistent FastCGI process
(lighttpd's mod_fastcgi spawning them, as mod_fcgid does: the listening socket
as fd 0), mtpy.hosting.fastcgi's responder against malformed records, the scripts run
as plain CGI, and passenger_wsgi.py's routing."""

import contextlib
import glob
import importlib.util
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading

import pytest

from conftest import IN_CI, ROOT, Site, http, install_script, lighttpd_config, need, stop, wait_for, wait_for_port
from support.servers import DOCS, docs_file, run_apache
from support.http import SUCCESS, error_doc, post
from support.sites import pings_of
from support.publishing import rebuild, wait_for_text

from mtpy.hosting import fastcgi


def read_doc(name):
    """A configuration the README shows (docs/), as the tests add it to a server's."""
    with open(os.path.join(DOCS, name)) as handle:
        return "\n" + handle.read()


FCGI_SCRIPTS = ("mt.fcgi", "mt-tb.fcgi", "mt-check.fcgi", "mt-pingback.fcgi", "mt-webmention.fcgi")
LIGHTTPD_FASTCGI = read_doc("lighttpd-fastcgi.conf")
APACHE_FCGID = read_doc("apache-fcgid.conf")
APACHE_PASSENGER = read_doc("apache-passenger.conf")


def install_fcgi_scripts(site, python=sys.executable):
    for name in FCGI_SCRIPTS:
        install_script(os.path.join(ROOT, "cgi-bin", name), os.path.join(site.folder, "cgi-bin", name), python)
    os.makedirs(os.path.join(site.folder, "run"), exist_ok=True)


def start_lighttpd_fastcgi(site):
    """lighttpd serving the site's .cgi scripts (mod_cgi) and its .fcgi ones
    (mod_fastcgi, one persistent process each)."""
    binary = need("lighttpd")
    install_fcgi_scripts(site)
    path = os.path.join(site.folder, "lighttpd-fastcgi.conf")
    with open(path, "w") as handle:
        handle.write(lighttpd_config(site) + LIGHTTPD_FASTCGI)
    process = subprocess.Popen([binary, "-D", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    for name in FCGI_SCRIPTS:        # spawned, and past their exec
        wait_for(lambda: script_pids(site, name))
    return process


def script_pids(site, name):
    """The processes the web server started to run this installation's `name`:
    in this test's session (those doing a response's deferred work leave it),
    their parent not running it too (nor a fork on its way out of it)."""
    script = os.path.join(site.folder, "cgi-bin", name).encode()
    running = {}
    for entry in glob.glob("/proc/[0-9]*/cmdline"):
        pid = int(entry.split("/")[2])
        try:
            with open(entry, "rb") as handle:
                if script not in handle.read().split(b"\0"):
                    continue
            with open("/proc/%d/stat" % pid, "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            running[pid] = (int(fields[1]), int(fields[3]))
        except (OSError, ValueError, IndexError):
            continue
    session = os.getsid(0)
    return sorted(pid for pid, (parent, its_session) in running.items()
                  if its_session == session and parent not in running)


def open_files(pid):
    names = []
    for link in glob.glob("/proc/%d/fd/*" % pid):
        try:
            names.append(os.readlink(link))
        except OSError:
            pass
    return names


# -- a FastCGI client, as a web server talks --------------------------------------

def record(kind, request_id, content=b""):
    return struct.pack("!BBHHBx", 1, kind, request_id, len(content), 0) + content


def params(pairs):
    return b"".join(fastcgi._pair(name.encode(), value.encode()) for name, value in pairs.items())


def request_records(environ, body=b"", request_id=1, keep_conn=False, role=fastcgi.RESPONDER):
    begin = struct.pack("!HB5x", role, fastcgi.KEEP_CONN if keep_conn else 0)
    records = [record(fastcgi.BEGIN_REQUEST, request_id, begin), record(fastcgi.PARAMS, request_id, params(environ)),
               record(fastcgi.PARAMS, request_id)]
    records += [record(fastcgi.STDIN, request_id, body[at:at + 60000]) for at in range(0, len(body), 60000)]
    return b"".join(records + [record(fastcgi.STDIN, request_id)])


def read_answer(sock):
    """(STDOUT bytes, [(request id, protocol status)] of END_REQUESTs, other
    records) until the server closes the connection or ends the request."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return split_records(data)


def split_records(data):
    stdout, ends, others, at = b"", [], [], 0
    while at + 8 <= len(data):
        _, kind, request_id, length, padding = struct.unpack("!BBHHBx", data[at:at + 8])
        content = data[at + 8:at + 8 + length]
        at += 8 + length + padding
        if kind == fastcgi.STDOUT:
            stdout += content
        elif kind == fastcgi.END_REQUEST:
            ends.append((request_id, content[4]))
        else:
            others.append((kind, content))
    return stdout, ends, others


def ping_environ(site, body):
    return {"REQUEST_METHOD": "POST", "SCRIPT_NAME": "/cgi-bin/mt-tb.fcgi", "PATH_INFO": "/%d" % site.item.id,
            "QUERY_STRING": "", "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture(scope="module")
def fcgi_site(tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("fastcgi") / "site", "sqlite")
    rebuild(site)
    process = start_lighttpd_fastcgi(site)
    yield site
    stop(process)


def test_one_process_stores_pings_and_shows_the_popup(fcgi_site):
    site = fcgi_site
    [pid] = script_pids(site, "mt-tb.fcgi")
    url = site.base + "cgi-bin/mt-tb.fcgi/%d" % site.item.id
    assert post(url, {"url": "http://f.example/1", "title": "Fast <b>ping</b>"}).text == SUCCESS
    assert "Fast <b>ping</b>" in [ping.title for ping in pings_of(site)]
    popup = http(site.base + "cgi-bin/mt-tb.fcgi?__mode=view&entry_id=%d" % site.entry.id).text
    assert "Fast ping" in popup and "<b>" not in popup
    # The republish ran after the answer, in a process of its own.
    assert wait_for_text(site.base, "TrackBack (1)")
    assert post(url, {"url": "http://f.example/2"}).text == SUCCESS
    assert http(site.base + "cgi-bin/mt-tb.fcgi?__mode=view&entry_id=%d" % site.entry.id).status == 200
    # The same process answered all of it, and keeps its store open.
    assert script_pids(site, "mt-tb.fcgi") == [pid]
    assert any(name.endswith("mtpy.db") for name in open_files(pid))
    assert "mtpy System Check" in http(site.base + "cgi-bin/mt-check.fcgi").text
    login = http(site.base + "cgi-bin/mt.fcgi")
    assert login.status == 200, login.text
    assert "mt.fcgi" in login.text and "Traceback" not in login.text
    assert_pingback_and_webmention_answer(site, "fcgi")


def assert_pingback_and_webmention_answer(site, suffix):
    """mt-pingback.SUFFIX and mt-webmention.SUFFIX (kept running, or under
    Passenger by their .cgi names) register a notification each."""
    import xmlrpc.client
    from mtpy.urls import entry_permalink
    page = entry_permalink(site.blog, site.entry)
    call = xmlrpc.client.dumps(("http://f.example/pingback", page), "pingback.ping").encode()
    answer = http(site.base + "cgi-bin/mt-pingback." + suffix, data=call, headers={"Content-Type": "text/xml"})
    assert "registered" in xmlrpc.client.loads(answer.body)[0][0]
    answer = post(site.base + "cgi-bin/mt-webmention." + suffix, {"source": "http://f.example/mention", "target": page})
    assert answer.status == 202, answer.text
    assert {(ping.protocol, ping.source_url) for ping in pings_of(site)} >= {
        ("pingback", "http://f.example/pingback"), ("webmention", "http://f.example/mention")}


def test_malformed_records_close_their_connection_only(fcgi_site):
    site = fcgi_site
    [pid] = script_pids(site, "mt-tb.fcgi")
    [path] = glob.glob(os.path.join(site.folder, "run", "mt-tb.socket*"))

    def exchange(data, shut=True):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(20)
            sock.connect(path)
            sock.sendall(data)
            if shut:
                sock.shutdown(socket.SHUT_WR)
            return read_answer(sock)

    assert exchange(b"\x09" * 8 + b"not FastCGI") == (b"", [], [])                  # version 9: dropped
    assert exchange(record(fastcgi.BEGIN_REQUEST, 1, b"\0\1\0")) == (b"", [], [])   # cut short
    bad_params = record(fastcgi.BEGIN_REQUEST, 1, struct.pack("!HB5x", 1, 0)) + record(
        fastcgi.PARAMS, 1, b"\x7f\x01abc") + record(fastcgi.PARAMS, 1)
    stdout, ends, _ = exchange(bad_params)
    assert stdout.startswith(b"Status: 400 ") and ends == [(1, fastcgi.REQUEST_COMPLETE)]
    _, ends, _ = exchange(request_records({}, role=2))                               # an authorizer
    assert ends == [(1, fastcgi.UNKNOWN_ROLE)]
    _, _, others = exchange(record(fastcgi.GET_VALUES, 0, params({"FCGI_MAX_CONNS": "", "FCGI_MPXS_CONNS": ""})))
    assert others == [(fastcgi.GET_VALUES_RESULT, params({"FCGI_MAX_CONNS": "1", "FCGI_MPXS_CONNS": "0"}))]
    # Two requests on one kept connection, a body over MaxRequestBytes between them.
    big = b"url=http://f.example/big&excerpt=" + b"x" * 200000
    first = b"url=http%3A%2F%2Ff.example%2Fkept"
    data = request_records(ping_environ(site, big), big, keep_conn=True) + request_records(
        ping_environ(site, first), first, request_id=2)
    stdout, ends, _ = exchange(data)
    assert ends == [(1, 0), (2, 0)]
    assert b"Status: 413 " in stdout and stdout.endswith(SUCCESS.encode())
    assert "http://f.example/kept" in [ping.source_url for ping in pings_of(site)]
    # And through the web server, the same process again.
    assert post(site.ping_url().replace(".cgi", ".fcgi"), {"url": "http://f.example/3"}).text == SUCCESS
    assert script_pids(site, "mt-tb.fcgi") == [pid]
    assert "Traceback" not in http(site.base + "cgi-bin/mt-tb.fcgi/x", method="PUT").text


def test_config_edits_apply_without_a_restart(fcgi_site):
    site = fcgi_site
    [pid] = script_pids(site, "mt-tb.fcgi")
    query = site.base + "cgi-bin/mt-tb.fcgi?tb_id=%d&url=http://f.example/get" % site.item.id
    with open(site.config_path) as handle:
        original = handle.read()
    try:
        site.update_config("AllowGetPings 0\n")
        assert http(query).text == error_doc("Trackback pings must use HTTP POST")
        site.update_config("OneHourMaxPings lots\n")
        broken = http(query)
        assert broken.status == 500 and "misconfigured" in broken.text and "Traceback" not in broken.text
    finally:
        with open(site.config_path, "w") as handle:
            handle.write(original)
    assert http(query).text == SUCCESS
    assert script_pids(site, "mt-tb.fcgi") == [pid]


def test_an_uploaded_release_is_loaded_by_the_same_process(fcgi_site):
    site = fcgi_site
    [pid] = script_pids(site, "mt-check.fcgi")
    script = os.path.join(site.folder, "cgi-bin", "mt-check.fcgi")
    with open(script) as handle:
        original = handle.read()
    rss = site.base + "cgi-bin/mt-check.fcgi/%d?__mode=rss" % site.item.id
    try:
        with open(script, "w") as handle:      # a "release" whose mt-check.fcgi answers as mt-tb.cgi
            handle.write(original.replace('ScriptApplication("mt-check.cgi"', 'ScriptApplication("mt-tb.cgi"'))
        assert "mtpy System Check" in http(rss).text       # the old code answers, then starts again
        assert "<rss" in http(rss).text
    finally:
        with open(script, "w") as handle:
            handle.write(original)
    http(rss)                                           # answered as mt-tb.cgi, then the original again
    assert "mtpy System Check" in http(rss).text
    assert script_pids(site, "mt-check.fcgi") == [pid]


MODULES = "/usr/lib/apache2/modules"


def need_apache_module(name, package):
    """Apache started as root (its scripts run as www-data) with a module that CI
    must have (make test installs it); elsewhere a missing one skips."""
    if os.geteuid() != 0:
        pytest.skip("Apache is started as root here, its scripts run as www-data")
    need("apache2")
    if not os.path.exists(os.path.join(MODULES, name)):
        message = "%s is not installed (Debian package %s)" % (name, package)
        pytest.fail(message) if IN_CI else pytest.skip(message)


@contextlib.contextmanager
def apache_serving(prefix, mtpy, prepare=lambda site, run: None):
    """An installation www-data can read, run by Debian's python3 and handed to
    www-data, served by Apache with `mtpy(site, run)` (its part of the config);
    removed afterwards."""
    folder = tempfile.mkdtemp(prefix=prefix)
    os.chmod(folder, 0o755)
    site = Site(os.path.join(folder, "site"), "sqlite", python="/usr/bin/python3", copy_lib=True)
    run = os.path.join(folder, "run")
    prepare(site, run)
    subprocess.run(["chown", "-R", "www-data:www-data", site.folder], check=True)
    process = run_apache(run, site.port, mtpy(site, run))
    try:
        site.error_log = os.path.join(run, "error.log")
        yield site
    finally:
        process.terminate()
        process.wait(timeout=20)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fcgid_site():
    """Apache with mod_fcgid running the .fcgi scripts as www-data (as
    test_servers.start_apache runs the CGIs)."""
    need_apache_module("mod_fcgid.so", "libapache2-mod-fcgid")

    def config(site, run):
        return (docs_file("apache.conf", ("Define MTPY /home/you/mtpy", "Define MTPY %s" % site.folder))
                + "LoadModule fcgid_module %s/mod_fcgid.so\nFcgidIPCDir %s/fcgid\nFcgidProcessTableFile %s/fcgid-shm\n"
                  "FcgidMaxProcessesPerClass 1\n" % (MODULES, run, run) + APACHE_FCGID)
    with apache_serving("mtpy-fcgid-", config, lambda site, run: install_fcgi_scripts(site, "/usr/bin/python3")) \
            as site:
        yield site


@pytest.fixture
def passenger_site():
    """Apache with Passenger running passenger_wsgi.py as www-data."""
    need_apache_module("mod_passenger.so", "libapache2-mod-passenger")
    locations = "/usr/lib/ruby/vendor_ruby/phusion_passenger/locations.ini"

    def prepare(site, run):
        shutil.copy(os.path.join(ROOT, "passenger_wsgi.py"), site.folder)
        os.makedirs(os.path.join(run, "passenger"))

    def config(site, run):
        return ("Define MTPY %s\nDefine MTPY_CGI_URL %scgi-bin/\nLoadModule passenger_module %s/mod_passenger.so\n"
                "PassengerRoot %s\nPassengerDefaultRuby /usr/bin/ruby\nPassengerInstanceRegistryDir %s/passenger\n"
                % (site.folder, site.base, MODULES, locations, run) + APACHE_PASSENGER)
    with apache_serving("mtpy-passenger-", config, prepare) as site:
        yield site


def test_apache_passenger_serves_the_scripts(passenger_site):
    site = passenger_site
    result = post(site.ping_url(), {"url": "http://p.example/1", "title": "Via Passenger"})
    assert result.text == SUCCESS, open(site.error_log).read()[-2000:]
    assert [ping.title for ping in pings_of(site)] == ["Via Passenger"]
    assert wait_for(lambda: "Via Passenger" in http(site.base + "%d.xml" % site.item.id).text)
    assert "mtpy System Check" in http(site.base + "cgi-bin/mt-check.cgi").text
    assert_pingback_and_webmention_answer(site, "cgi")
    with open(os.path.join(site.archives, "page.html"), "w") as handle:
        handle.write("<p>A page</p>")
    page = http(site.base + "page.html", method="HEAD")
    assert (page.headers["X-Pingback"], page.headers["Link"]) == (
        site.base + "cgi-bin/mt-pingback.cgi", '<%scgi-bin/mt-webmention.cgi>; rel="webmention"' % site.base)
    for path in ("cgi-bin/mt.cfg", "data/mtpy.db", "passenger_wsgi.py", "lib/mtpy/config.py"):
        assert http(site.base + path).status == 404, path


def test_apache_mod_fcgid_keeps_one_process(fcgid_site):
    site = fcgid_site
    url = site.base + "cgi-bin/mt-tb.fcgi/%d" % site.item.id
    assert post(url, {"url": "http://a.example/1", "title": "Via mod_fcgid"}).text == SUCCESS, open(
        site.error_log).read()
    [pid] = script_pids(site, "mt-tb.fcgi")
    assert post(url, {"url": "http://a.example/2"}).text == SUCCESS
    assert [ping.title for ping in pings_of(site)][:1] == ["Via mod_fcgid"] and len(pings_of(site)) == 2
    assert wait_for(lambda: "Via mod_fcgid" in http(site.base + "%d.xml" % site.item.id).text)
    assert script_pids(site, "mt-tb.fcgi") == [pid]
    for path in ("cgi-bin/mt.cfg", "cgi-bin/../data/mtpy.db", "data/mtpy.db"):
        assert http(site.base + path).status in (403, 404), path
    assert_pingback_and_webmention_answer(site, "fcgi")


def test_a_fcgi_script_started_as_cgi_answers_once(tmp_path):
    site = Site(tmp_path / "site", "sqlite")
    install_fcgi_scripts(site)
    body = b"url=http%3A%2F%2Ff.example%2Fcgi&title=As+CGI"
    script = os.path.join(site.folder, "cgi-bin", "mt-tb.fcgi")
    environ = dict(os.environ, **ping_environ(site, body), SCRIPT_FILENAME=script, GATEWAY_INTERFACE="CGI/1.1")
    done = subprocess.run([script], input=body, env=environ, capture_output=True, timeout=60)
    assert done.stdout.startswith(b"Status: 200 OK\r\n") and done.stdout.endswith(SUCCESS.encode())
    assert [ping.title for ping in pings_of(site)] == ["As CGI"]


def serve_in_thread(application):
    """A Connection of the responder on one end of a socket pair; the other
    end is the web server's."""
    server, client = socket.socketpair()
    listener = socket.socket(socket.AF_UNIX)

    def serve():
        try:
            fastcgi.Connection(server, listener).serve(application, {"busy": False, "stop": False})
        finally:
            server.close()     # as fastcgi.serve does

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return client, thread, listener


def test_responder_bounds_bodies_and_hides_failures(capsys):
    seen = []

    def application(environ, start_response):
        if environ["PATH_INFO"] == "/fail":
            raise RuntimeError("secret detail")
        seen.append(environ["wsgi.input"].read(10))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read %d" % len(seen[-1])]

    client, thread, listener = serve_in_thread(application)
    # CONTENT_LENGTH says 10: the other bytes are dropped, never handed on.
    data = (request_records({"PATH_INFO": "/", "CONTENT_LENGTH": "10"}, b"y" * 300000, keep_conn=True)
            + request_records({"PATH_INFO": "/fail"}, request_id=2, keep_conn=True)
            + record(fastcgi.BEGIN_REQUEST, 3, struct.pack("!HB5x", 1, fastcgi.KEEP_CONN))
            + record(fastcgi.ABORT_REQUEST, 3)
            + request_records({"PATH_INFO": "/"}, request_id=4))
    client.settimeout(20)
    client.sendall(data)
    stdout, ends, _ = read_answer(client)
    thread.join(20)
    assert seen == [b"y" * 10, b""]
    assert ends == [(1, 0), (2, 0), (3, 0), (4, 0)]
    assert b"read 10" in stdout and stdout.endswith(b"read 0")
    assert b"Status: 500 Internal Server Error" in stdout and b"secret" not in stdout
    assert "secret detail" in capsys.readouterr().err       # the log has it
    client.close()
    listener.close()


def test_passenger_routes_the_three_scripts(tmp_path, monkeypatch):
    monkeypatch.delenv("MT_CONFIG", raising=False)
    site = Site(tmp_path / "site", "sqlite")
    shutil.copy(os.path.join(ROOT, "passenger_wsgi.py"), site.folder)
    spec = importlib.util.spec_from_file_location("passenger_wsgi_site",
                                                  os.path.join(site.folder, "passenger_wsgi.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.CGI_BIN == os.path.join(site.folder, "cgi-bin")

    def call(method, path, body=b""):
        import io
        started = []
        environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "/mtpy", "PATH_INFO": path, "QUERY_STRING": "",
                   "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
                   "REMOTE_ADDR": "127.0.0.1", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
                   "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
                   "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": True,
                   "wsgi.run_once": False}
        result = module.application(environ, lambda status, headers: started.extend([status, dict(headers)]))
        try:
            return started[0], started[1], b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()

    status, _, body = call("POST", "/cgi-bin/mt-tb.cgi/%d" % site.item.id, b"url=http%3A%2F%2Fp.example%2F")
    assert (status, body) == ("200 OK", SUCCESS.encode())
    assert [ping.source_url for ping in pings_of(site)] == ["http://p.example/"]
    status, _, body = call("GET", "/cgi-bin/mt-check.cgi")
    assert status == "200 OK" and b"mtpy System Check" in body
    status, headers, _ = call("GET", "/cgi-bin/mt.cgi")
    assert status.startswith("30") and headers["Location"].startswith("/mtpy/cgi-bin/mt.cgi?")
    assert call("GET", "/cgi-bin/mt.cfg")[0] == "404 Not Found"
    assert call("GET", "/lib/mtpy/config.py")[0] == "404 Not Found"


def test_a_variable_passed_twice_is_seen():
    """lighttpd passes X.Forwarded.For and X-Forwarded-For both as
    HTTP_X_FORWARDED_FOR; the environ keeps one, and says the name came twice,
    so that a trusted proxy's forwarded address is not taken from it."""
    from mtpy import web
    seen = []

    def application(environ, start_response):
        seen.append(environ[web.REPEATED_VARIABLES])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    client, thread, listener = serve_in_thread(application)
    pairs = [("REMOTE_ADDR", "127.0.0.1"), ("HTTP_X_FORWARDED_FOR", "198.51.100.50"),
             ("HTTP_X_FORWARDED_FOR", "10.9.9.9"), ("PATH_INFO", "/")]
    begin = struct.pack("!HB5x", fastcgi.RESPONDER, 0)
    client.settimeout(20)
    client.sendall(record(fastcgi.BEGIN_REQUEST, 1, begin)
                   + record(fastcgi.PARAMS, 1, b"".join(fastcgi._pair(n.encode(), v.encode()) for n, v in pairs))
                   + record(fastcgi.PARAMS, 1) + record(fastcgi.STDIN, 1))
    stdout, ends, _ = read_answer(client)
    thread.join(20)
    assert stdout.endswith(b"ok") and seen == [frozenset(["HTTP_X_FORWARDED_FOR"])]
    client.close()
    listener.close()


def test_a_failed_request_lets_go_of_the_kept_store(tmp_path, monkeypatch):
    import io
    monkeypatch.delenv("MT_CONFIG", raising=False)
    site = Site(tmp_path / "site", "sqlite")
    from mtpy.hosting.scripts import ScriptApplication
    app = ScriptApplication("mt-tb.cgi", os.path.join(site.folder, "cgi-bin"))

    def ping(number):
        body = ("url=http%%3A%%2F%%2Fs.example%%2F%d" % number).encode()
        environ = dict(ping_environ(site, body), **{"wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr})
        started = []
        result = app(environ, lambda status, headers, exc_info=None: started.append(status))
        return started[0], b"".join(result)

    assert ping(1) == ("200 OK", SUCCESS.encode())
    [store] = app.app.stores.values()

    def broken(*args, **kwargs):
        raise RuntimeError("the database server went away")

    monkeypatch.setattr(store, "transaction", broken)
    assert ping(2)[0].startswith("500")
    assert app.app.stores == {}                  # a new store for the next request
    assert ping(3) == ("200 OK", SUCCESS.encode())
    assert len(pings_of(site)) == 2
    assert "went away" in site.log()
