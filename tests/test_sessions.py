"""mt.cgi's logins: session cookies, their expiry, CSRF tokens, slowed password guessing."""

import io
import os
import shutil
import pathlib
import stat
import subprocess
import sys
import tempfile

import pytest

from conftest import ROOT
from mtpy import sessions
from mtpy.actions import activity
from mtpy.config import Config
from mtpy.models import Activity, Author, Session
from mtpy.request import Request
from mtpy.web import Response

LOGIN = "2026-03-01 10:00:00"


def at(stored, seconds):
    from datetime import timedelta
    from mtpy.dates import STORED_FORMAT, local_time
    return (local_time(stored, 0.0) + timedelta(seconds=seconds)).strftime(STORED_FORMAT)


@pytest.fixture
def config(tmp_path, store):
    return Config(text="DataSource %s\nSessionTimeout 600\n" % (tmp_path / "data"))


@pytest.fixture
def author(store):
    melody = Author(name="Melody", email="melody@example.com")
    store.insert(melody)
    return melody


def request_with(cookie=None, https=False):
    environ = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/cgi-bin/mt.cgi", "PATH_INFO": "", "QUERY_STRING": "",
               "HTTP_HOST": "blog.example", "wsgi.input": io.BytesIO(b""),
               "wsgi.url_scheme": "https" if https else "http"}
    if cookie is not None:
        environ["HTTP_COOKIE"] = "other=1; %s=%s" % (sessions.COOKIE, cookie)
    return Request(environ)


def test_start_current_end(store, config, author):
    session, cookie = sessions.start(store, config, author, request_with(), now=LOGIN)
    token = cookie.partition(".")[0]
    stored = store.get(Session, session.id)
    assert stored.token_hash != token and token not in repr(stored)        # only its hash is kept
    assert (stored.created_on, stored.seen_on) == (LOGIN, LOGIN)
    found, who = sessions.current(store, config, request_with(cookie), now=at(LOGIN, 30))
    assert found.id == session.id and who.name == "Melody"
    assert store.get(Session, session.id).seen_on == LOGIN                  # not rewritten within a minute
    sessions.current(store, config, request_with(cookie), now=at(LOGIN, 120))
    assert store.get(Session, session.id).seen_on == at(LOGIN, 120)
    assert sessions.current(store, config, request_with(), now=LOGIN) == (None, None)
    sessions.end(store, found)
    assert sessions.current(store, config, request_with(cookie), now=at(LOGIN, 130)) == (None, None)


def test_tampered_cookie_and_wrong_token(store, config, author):
    _, cookie = sessions.start(store, config, author, request_with(), now=LOGIN)
    token, _, signature = cookie.partition(".")
    flipped = signature[:-1] + ("0" if signature[-1] != "0" else "1")
    other = Config(text="DataSource %s\n" % os.path.join(config.get("DataSource"), "other"))
    forged_token = "A" * len(token)
    for bad in (token + "." + flipped, token, "." + signature, "junk", "é." + signature,
                forged_token + "." + sessions._sign(other, b"session", forged_token)):
        assert sessions.current(store, config, request_with(bad), now=LOGIN) == (None, None), bad
    # Correctly signed, but no session has this token: the store decides.
    unknown = forged_token + "." + sessions._sign(config, b"session", forged_token)
    assert sessions.current(store, config, request_with(unknown), now=LOGIN) == (None, None)
    assert sessions.current(store, config, request_with(cookie), now=LOGIN)[1].id == author.id


def test_idle_and_absolute_expiry(store, config, author):
    session, cookie = sessions.start(store, config, author, request_with(), now=LOGIN)
    assert sessions.current(store, config, request_with(cookie), now=at(LOGIN, 600))[0] is not None
    assert sessions.current(store, config, request_with(cookie), now=at(LOGIN, 1201)) == (None, None)
    assert store.get(Session, session.id) is None                           # an expired session is deleted
    # Used every day with a day's SessionTimeout, it still ends 7 days after the login.
    config.set("SessionTimeout", 86400)
    _, cookie = sessions.start(store, config, author, request_with(), now=LOGIN)
    for day in range(1, 8):
        assert sessions.current(store, config, request_with(cookie), now=at(LOGIN, day * 86000))[0] is not None
    assert sessions.current(store, config, request_with(cookie), now=at(LOGIN, sessions.MAX_AGE + 1)) == (None, None)


def test_session_timeout_defaults_to_four_hours():
    assert Config(text="").get("SessionTimeout") == 14400


def test_cookie_attributes_follow_the_script_and_https(store, config, author):
    _, cookie = sessions.start(store, config, author, request_with(), now=LOGIN)
    response = Response("ok")
    sessions.set_cookie(response, request_with(https=True), config, cookie)
    sessions.clear_cookie(response, request_with(), config)
    set_cookies = [value for name, value in response.headers if name == "Set-Cookie"]
    assert set_cookies[0] == "%s=%s; Path=/cgi-bin/mt.cgi; HttpOnly; SameSite=Lax; Secure" % (sessions.COOKIE, cookie)
    assert set_cookies[1].startswith("%s=; Path=/cgi-bin/mt.cgi; Max-Age=0;" % sessions.COOKIE)
    assert "Secure" not in set_cookies[1]


def proxied(remote, proto, trusted=("10.0.0.2",)):
    environ = {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/cgi-bin/mt.cgi", "HTTP_HOST": "blog.example",
               "REMOTE_ADDR": remote, "HTTP_X_FORWARDED_PROTO": proto, "wsgi.url_scheme": "http"}
    return Request(environ, trusted_proxies=list(trusted))


def test_secure_cookies_behind_a_proxy_that_terminates_tls(config):
    """X-Forwarded-Proto counts from a TransparentProxyIPs address only (its
    right-most value); `SecureCookies 1` makes every cookie Secure."""
    assert proxied("10.0.0.2", "https").is_secure
    assert proxied("10.0.0.2", "https").host_url == "https://blog.example"
    assert proxied("::ffff:10.0.0.2", "http, https").is_secure
    for request in (proxied("198.51.100.7", "https"),            # the client's own claim
                    proxied("10.0.0.2", "https, http"), proxied("10.0.0.2", "https", trusted=()),
                    proxied("10.0.0.2", "ftp")):
        assert not request.is_secure
    assert sessions.cookie_attributes(proxied("10.0.0.2", "https"), config)["secure"]
    assert not sessions.cookie_attributes(proxied("198.51.100.7", "https"), config)["secure"]
    assert config.get("SecureCookies") == "auto"
    config.set("SecureCookies", "1")
    assert sessions.cookie_attributes(proxied("198.51.100.7", "http"), config)["secure"]
    response = Response("ok")
    sessions.set_cookie(response, request_with(), config, "value")
    assert response.headers[-1] == ("Set-Cookie", "%s=value; Path=/cgi-bin/mt.cgi; HttpOnly; SameSite=Lax; Secure"
                                    % sessions.COOKIE)


def test_secret_is_made_once_with_mode_0600(tmp_path):
    data = tmp_path / "data"
    probe = ("import sys; sys.path.insert(0, %r); from mtpy.config import Config; from mtpy import sessions;"
             "sys.stdout.write(sessions.secret(Config(text='DataSource %s')).hex())" % (os.path.join(ROOT, "lib"), data))
    racers = [subprocess.Popen([sys.executable, "-c", probe], stdout=subprocess.PIPE) for _ in range(6)]
    made = set(racer.communicate(timeout=60)[0] for racer in racers)
    assert len(made) == 1 and len(made.pop()) == 64
    assert sorted(os.listdir(str(data))) == [".htaccess", "session-secret"]  # no candidate left behind
    assert stat.S_IMODE(os.stat(str(data / "session-secret")).st_mode) == 0o600
    before = (data / "session-secret").read_bytes()
    sessions._secrets.clear()
    assert sessions.secret(Config(text="DataSource %s" % data)) == before


def test_a_secret_others_could_read_or_choose_is_replaced(tmp_path):
    """An earlier release's 0666 secret (www-data mode), or a link: replaced by
    a new 0600 one (everyone logs in again, once)."""
    data = tmp_path / "data"
    data.mkdir()
    path = data / "session-secret"
    for plant in ("shared", "link"):
        sessions._secrets.clear()
        if plant == "shared":
            path.write_bytes(b"k" * 32)
            os.chmod(str(path), 0o666)
        else:
            os.unlink(str(path))
            (tmp_path / "elsewhere").write_bytes(b"k" * 32)
            os.chmod(str(tmp_path / "elsewhere"), 0o600)
            os.symlink(str(tmp_path / "elsewhere"), str(path))
        made = sessions.secret(Config(text="DataSource %s" % data))
        assert len(made) == 32 and made != b"k" * 32, plant
        assert not os.path.islink(str(path)) and stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
        assert (tmp_path / "elsewhere").read_bytes() == b"k" * 32 if plant == "link" else True
    sessions._secrets.clear()
    assert sessions.secret(Config(text="DataSource %s" % data)) == made     # a private one is kept


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")
def test_the_secret_stays_private_where_the_scripts_run_as_www_data():
    """The owner's data folder opened to the web server (chmod 777): mt.cgi as
    www-data makes the secret 0600 and its own; the owner's account, and so
    any other account but the web server's, cannot read it."""
    folder = tempfile.mkdtemp(prefix="mtpy-secret-")      # tmp_path's parents are root's alone
    try:
        os.chmod(folder, 0o755)
        check_secret_as_www_data(pathlib.Path(folder) / "data")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check_secret_as_www_data(data):
    data.mkdir()
    os.chown(str(data), 4321, 4321)
    os.chmod(str(data), 0o777)
    probe = ("import sys; sys.path.insert(0, %r); from mtpy.config import Config; from mtpy import sessions;"
             "sys.stdout.write(sessions.secret(Config(text='DataSource %s')).hex())" % (os.path.join(ROOT, "lib"), data))

    def run_as(uid):
        return subprocess.run(["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups",
                               sys.executable, "-c", probe], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=60)
    made = run_as(33)
    assert made.returncode == 0 and len(made.stdout) == 64, made.stderr
    status = os.stat(str(data / "session-secret"))
    assert (status.st_uid, stat.S_IMODE(status.st_mode)) == (33, 0o600)
    assert run_as(33).stdout == made.stdout                                # kept
    refused = subprocess.run(["setpriv", "--reuid", "4321", "--regid", "4321", "--clear-groups", sys.executable,
                              "-c", "open(%r, 'rb')" % str(data / "session-secret")], stderr=subprocess.PIPE,
                             timeout=60)
    assert refused.returncode != 0 and b"PermissionError" in refused.stderr


def test_csrf_tokens_differ_between_sessions_and_die_with_them(store, config, author):
    first, _ = sessions.start(store, config, author, request_with(), now=LOGIN)
    second, _ = sessions.start(store, config, author, request_with(), now=LOGIN)
    token = sessions.csrf_token(config, first)
    assert token != sessions.csrf_token(config, second)
    assert sessions.check_csrf(config, first, token)
    assert not sessions.check_csrf(config, second, token)
    for bad in ("", token[:-1], token + "0", "é" * 64, None):
        assert not sessions.check_csrf(config, first, bad)
    sessions.end(store, first)
    again, _ = sessions.start(store, config, author, request_with(), now=LOGIN)
    assert not sessions.check_csrf(config, again, token)
    assert not sessions.check_csrf(config, None, token)


def with_activity_count(store):
    """The store's count_activity_since, or one built on find() where the
    backend does not have it yet."""
    if hasattr(store, "count_activity_since"):
        return store

    def count_activity_since(kind, since, ip=None, author_name=None):
        wanted = {"kind": kind}
        if ip is not None:
            wanted["ip"] = ip
        if author_name is not None:
            wanted["author_name"] = author_name
        return len([line for line in store.find(Activity, **wanted) if line.created_on >= since])
    store.count_activity_since = count_activity_since
    return store


def fail_login(store, when, ip, name):
    line = activity.record(store, "login_failed", "Invalid login", ip=ip, author_name=name)
    line.created_on = when
    store.update(line)


def test_login_wait_grows_per_name_and_address_and_per_address(store):
    store = with_activity_count(store)
    start = "2026-03-01 12:00:00"
    for n in range(4):
        fail_login(store, at(start, n), "192.0.2.7", "Melody")
    assert sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 10)) == 0
    fail_login(store, at(start, 10), "192.0.2.7", "Melody")
    # Five for this name from this address: 15 s after the newest, then 30, 60...
    assert sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 11)) == 14
    assert sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 25)) == 0
    waits = []
    for n in range(1, 8):
        fail_login(store, at(start, 100 * n), "192.0.2.7", "Melody")
        waits.append(sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 100 * n)))
    assert waits == [30, 60, 120, 240, 480, 900, 900]       # a quarter of an hour at most
    # Another name from that address: its 12 failures are 2 over the address's 10.
    assert sessions.login_wait(store, "192.0.2.7", "Other", now=at(start, 701)) == 60 - 1
    # Everything is forgotten an hour after it happened.
    assert sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 700 + 3600)) == 0


def test_nobody_keeps_the_owner_out_by_failing_on_purpose(store):
    """Sixty failures for one name from thirty addresses: a fresh address is
    not held at all, a failed one a minute at most."""
    store = with_activity_count(store)
    start = "2026-03-01 12:00:00"
    for n in range(60):
        fail_login(store, at(start, n), "203.0.113.%d" % (n % 30), "Melody")
    assert sessions.login_wait(store, "198.51.100.1", "Melody", now=at(start, 60)) == 0
    assert sessions.login_wait(store, "203.0.113.1", "Melody", now=at(start, 60)) == 60 - 1
    assert sessions.login_wait(store, "203.0.113.1", "Melody", now=at(start, 59 + 60)) == 0
    assert sessions.login_wait(store, "203.0.113.1", "Other", now=at(start, 60)) == 0


def test_a_long_name_is_counted_as_it_is_logged(store):
    """Names over 80 characters count by their first 80, where they are
    logged and where they are counted."""
    store = with_activity_count(store)
    start = "2026-03-01 12:00:00"
    long_name = "M" * 200
    for n in range(5):
        line = sessions.record_failed_login(store, "192.0.2.%d" % n, long_name + " ")
        line.created_on = at(start, n)
        store.update(line)
    assert store.find(Activity, kind="login_failed")[0].author_name == "M" * 80
    assert sessions.login_wait(store, "192.0.2.1", long_name, now=at(start, 10)) == 15 - 6
    assert sessions.login_wait(store, "192.0.2.1", "M" * 80 + "other", now=at(start, 10)) == 15 - 6


def test_an_ipv6_host_fails_logins_as_its_64(store):
    """Five failures from five addresses of one /64 count as five from one
    address: the sixth address of that /64 waits, another /64 does not."""
    store = with_activity_count(store)
    start = "2026-03-01 12:00:00"
    for n in range(5):
        line = sessions.record_failed_login(store, "2001:db8:0:1::%x" % (n + 1), "Melody")
        line.created_on = at(start, n)
        store.update(line)
    assert sessions.login_wait(store, "2001:db8:0:1:ffff::9", "Melody", now=at(start, 5)) == 15 - 1
    assert sessions.login_wait(store, "2001:db8:0:2::1", "Melody", now=at(start, 5)) == 0
