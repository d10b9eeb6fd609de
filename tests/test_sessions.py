"""mt.cgi's logins: session cookies, their expiry, CSRF tokens, slowed password guessing."""

import io
import os
import stat
import subprocess
import sys

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
    sessions.set_cookie(response, request_with(https=True), cookie)
    sessions.clear_cookie(response, request_with())
    set_cookies = [value for name, value in response.headers if name == "Set-Cookie"]
    assert set_cookies[0] == "%s=%s; Path=/cgi-bin/mt.cgi; HttpOnly; SameSite=Lax; Secure" % (sessions.COOKIE, cookie)
    assert set_cookies[1].startswith("%s=; Path=/cgi-bin/mt.cgi; Max-Age=0;" % sessions.COOKIE)
    assert "Secure" not in set_cookies[1]


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


def test_login_wait_after_failures_by_address_and_by_name(store):
    store = with_activity_count(store)
    start = "2026-03-01 12:00:00"
    for n in range(5):    # one address tries five names: allowed, just
        fail_login(store, at(start, n * 60), "192.0.2.7", "guess%d" % n)
    assert sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 300)) == 0
    fail_login(store, at(start, 300), "192.0.2.7", "guess5")
    # Until the 6th newest failure (at 0 s) is 15 minutes old: 590 s, rounded up.
    assert sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 310)) == 591
    assert sessions.login_wait(store, "198.51.100.1", "Melody", now=at(start, 310)) == 0    # others: allowed
    assert sessions.login_wait(store, "192.0.2.7", "Melody", now=at(start, 961)) == 0       # the window passed

    for n in range(4):    # one name from many addresses
        fail_login(store, at(start, 3600 + n), "203.0.113.%d" % n, "Melody")
    assert sessions.login_wait(store, "198.51.100.1", "Melody", now=at(start, 3610)) == 0
    for n in range(4, 6):
        fail_login(store, at(start, 3600 + n), "203.0.113.%d" % n, "Melody")
    assert sessions.login_wait(store, "198.51.100.1", "Melody", now=at(start, 3610)) > 0
    assert sessions.login_wait(store, "198.51.100.1", "Melody2", now=at(start, 3610)) == 0
    assert sessions.login_wait(store, "198.51.100.1", "Melody", now=at(start, 3600 + 1 + 901)) == 0
