"""Issue 10, sections 2, 3 and 6: addresses, bans and throttles that cannot be
dodged or turned against others, and requests and URLs mt-tb.cgi refuses.
Through real servers (lighttpd running docs/lighttpd.conf, `mtpy serve`) where
the point is what a client can send; in process where a clock is injected."""

import http.client as http_client
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import (FAKE_CLOCK, ROOT, Site, http, lighttpd_config, need, raw_request, start_lighttpd,
                      stop, wait_for_port, with_fake_clock)
from mtpy import dates
from mtpy.config import Config
from mtpy.models import Blog, IPBan, Ping
from mtpy.actions.receive import PingRejected, receive
from mtpy.apps.trackback import incoming_ping
from mtpy.addresses import ip_is_banned, normalize_address
from mtpy.trackback.rules import normalize_url
from mtpy.web import remote_address
from support.cli import mtpy
from support.stores import weblog
from support.http import SUCCESS, error_doc, post
from support.sites import pings_of
from support.http import SPOOFED_SPELLINGS, spoofed_ping
from support import wsgi

NOT_ALLOWED = error_doc("You are not allowed to send TrackBack pings.")
TOO_QUICKLY = error_doc("You are pinging trackbacks too quickly. Please try again later.")


# `served` on SQLite alone: for what does not depend on the store.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


def ban(site, *addresses):
    store = site.store()
    for address in addresses:
        store.save(IPBan(blog_id=site.blog.id, ip=address))
    store.close()


def post_from(site, source, url, fields):
    """A ping from another loopback address (the client socket bound to it;
    in-process, the REMOTE_ADDR a server would give)."""
    import urllib.parse
    body = urllib.parse.urlencode(fields)
    if wsgi.serves(site.port):
        import urllib.request
        status, headers, answer = wsgi.answer(urllib.request.Request(
            url, body.encode("ascii"), {"Content-Type": "application/x-www-form-urlencoded"}), source)
        return status, headers, answer.decode()
    connection = http_client.HTTPConnection("127.0.0.1", site.port, timeout=30, source_address=(source, 0))
    try:
        connection.request("POST", url[len(site.base) - 1:], body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


# -- 2. addresses are normalised once, before bans, throttles, storage, display --

@pytest.mark.parametrize("given, address", [
    ("127.0.0.1", "127.0.0.1"), ("::ffff:127.0.0.1", "127.0.0.1"), ("::FFFF:7f00:1", "127.0.0.1"),
    ("198.51.100.99:1234", "198.51.100.99"), ("[198.51.100.99]", "198.51.100.99"),
    ("[198.51.100.99]:80", "198.51.100.99"), ("[::ffff:198.51.100.99]:8080", "198.51.100.99"),
    (" 2001:DB8:0:0::7 ", "2001:db8::7"), ("[2001:db8::7]:443", "2001:db8::7"), ("::1", "::1"),
    ("not an address", "not an address"), ("", ""), ("[2001:db8::7", "[2001:db8::7"),
])
def test_normalize_address(given, address):
    assert normalize_address(given) == address


@pytest.mark.parametrize("ip", ["::ffff:127.0.0.1", "127.0.0.1:5555", "[127.0.0.1]", "[::ffff:127.0.0.1]:1"])
@pytest.mark.parametrize("bans", [["127.0.0.1"], ["127.0.0.0/8"], ["127.0."], ["::ffff:127.0.0.1"],
                                  ["::ffff:127.0.0.0/104"]])
def test_every_spelling_of_a_banned_address_is_banned(ip, bans):
    assert ip_is_banned(ip, bans)
    assert not ip_is_banned(ip, ["127.0.0.2", "10.0.0.0/8", "128."])


def test_remote_address_from_a_trusted_proxy():
    def address(remote, forwarded=None, trusted=("127.0.0.1",)):
        environ = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            environ["HTTP_X_FORWARDED_FOR"] = forwarded
        return remote_address(environ, list(trusted))
    assert address("::ffff:127.0.0.1") == "127.0.0.1"
    assert address("::ffff:203.0.113.5", "198.51.100.99") == "203.0.113.5"     # not a trusted proxy
    assert address("::ffff:127.0.0.1", "::ffff:198.51.100.99") == "198.51.100.99"
    assert address("127.0.0.1", "203.0.113.1, [198.51.100.99]:1234") == "198.51.100.99"   # right-most
    assert address("127.0.0.1", "198.51.100.99, ::ffff:127.0.0.1") == "198.51.100.99"     # proxies skipped
    assert address("127.0.0.1", "198.51.100.99", trusted=["::ffff:127.0.0.1"]) == "198.51.100.99"
    assert address("127.0.0.1", " , ") == "127.0.0.1"


def test_an_ambiguous_forwarded_address_is_refused():
    """From a trusted proxy, X-Forwarded-For passed twice (lighttpd names
    X.Forwarded.For so too, and the first or the last wins, as the client
    orders them) or a hop that is not an address is refused, never guessed."""
    import mtpy.web as web
    environ = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.50",
               web.REPEATED_VARIABLES: frozenset(["HTTP_X_FORWARDED_FOR"])}
    with pytest.raises(web.AmbiguousAddress):
        remote_address(environ, ["127.0.0.1"])
    assert remote_address(dict(environ, REMOTE_ADDR="203.0.113.5"), ["127.0.0.1"]) == "203.0.113.5"  # not trusted
    for hop in ("unknown", "10.9.9.9, _hidden", "198.51.100.50 10.9.9.9"):
        with pytest.raises(web.AmbiguousAddress):
            remote_address({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": hop}, ["127.0.0.1"])
    assert remote_address({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "unknown, 10.9.9.9"},
                          ["127.0.0.1"]) == "10.9.9.9"        # what the client claimed is never read
    assert web.repeated_names(["A", "B", "A", "C", "A"]) == frozenset(["A"])


def test_both_applications_answer_400_to_an_ambiguous_address():
    """mt-tb.cgi and mt.cgi refuse such a request before anything else reads
    the address (no ping, no login, no log line under a guessed one)."""
    import io
    from mtpy import web
    from mtpy.apps.cms.base import Application
    from mtpy.apps.trackback import TrackbackApp
    config = Config(text="TransparentProxyIPs 127.0.0.1\n")

    class Screen(Application):
        def mode_default(self, request):
            return web.Response("from %s" % request.remote_addr)

    def call(application, method, body=b""):
        answer = []
        environ = {"REQUEST_METHOD": method, "PATH_INFO": "/1", "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
                   "HTTP_X_FORWARDED_FOR": "198.51.100.50", web.REPEATED_VARIABLES: frozenset(["HTTP_X_FORWARDED_FOR"]),
                   "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
                   "wsgi.input": io.BytesIO(body)}
        text = b"".join(application(environ, lambda status, headers, exc_info=None: answer.append(status)))
        return answer[0], text.decode()

    status, text = call(TrackbackApp(config), "POST", b"url=http%3A%2F%2Fa.example%2F")
    assert status.startswith("400") and "more than one X-Forwarded-For" in text
    status, text = call(Screen(config), "GET")
    assert status.startswith("400") and "more than one X-Forwarded-For" in text and "198.51.100.50" not in text


def start_mtpy_serve_on(site, host):
    cli = ["-m", "mtpy.cli"]
    if FAKE_CLOCK:
        cli = ["-c", "import sys; sys.executable = %r; from mtpy.cli import main; sys.exit(main())"
               % with_fake_clock(sys.executable, site.folder)]
    process = subprocess.Popen(
        [sys.executable] + cli + ["--config", site.config_path, "serve", "--host", host, "--port", str(site.port)],
        cwd=site.folder, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib")),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_for_port(site.port, process)
    return process


@pytest.mark.parametrize("banned", ["127.0.0.1", "127.0.0.0/8", "127.0."])
def test_ipv4_mapped_client_is_banned(tmp_path, banned):
    """`mtpy serve --host ::ffff:127.0.0.1` hands the script REMOTE_ADDR
    ::ffff:127.0.0.1 for a client on 127.0.0.1."""
    site = Site(tmp_path / "site", "sqlite")
    process = start_mtpy_serve_on(site, "::ffff:127.0.0.1")
    try:
        assert post(site.ping_url(), {"url": "http://a.example/1"}).text == SUCCESS
        assert pings_of(site)[0].ip == "127.0.0.1"        # stored (and shown) as IPv4
        ban(site, banned)
        assert post(site.ping_url(), {"url": "http://a.example/2"}).text == NOT_ALLOWED
        assert len(pings_of(site)) == 1
    finally:
        stop(process)


@SQLITE_ONLY
def test_decorated_forwarded_addresses_are_banned(served):
    site = served
    site.update_config("TransparentProxyIPs 127.0.0.1\n")
    ban(site, "198.51.100.99")
    for n, hop in enumerate(["::ffff:198.51.100.99", "198.51.100.99:1234", "[198.51.100.99]",
                             "[::ffff:198.51.100.99]:80", "203.0.113.9, 198.51.100.99"]):
        result = post(site.ping_url(), {"url": "http://a.example/%d" % n}, headers={"X-Forwarded-For": hop})
        assert result.text == NOT_ALLOWED, hop
    assert pings_of(site) == []
    result = post(site.ping_url(), {"url": "http://a.example/ok"}, headers={"X-Forwarded-For": "[::ffff:198.51.100.98]:1"})
    assert result.text == SUCCESS
    assert [ping.ip for ping in pings_of(site)] == ["198.51.100.98"]
    listed = mtpy("ping", "list", "--blog", str(site.blog.id), config=site.config_path).stdout
    assert "\t198.51.100.98\t" in listed


@SQLITE_ONLY
@pytest.mark.smoke(servers_only=True)
def test_no_spelling_of_the_header_poses_as_the_proxys(served):
    """Behind a trusted proxy, a client's `X.Forwarded.For`, `X_Forwarded_For`...
    reaches the server beside the proxy's `X-Forwarded-For`; CGI would name
    both HTTP_X_FORWARDED_FOR, and lighttpd let the first win: a ban on the
    proxy's 10.9.9.9 was bypassed, the ping stored under the client's claim."""
    site = served
    site.update_config("TransparentProxyIPs 127.0.0.1\n")
    ban(site, "10.9.9.9")
    path = b"/cgi-bin/mt-tb.cgi/%d" % site.item.id
    for n, spelling in enumerate(SPOOFED_SPELLINGS):
        for proxy_first in (False, True):
            url = b"http://a.example/%d/%d" % (n, proxy_first)
            assert spoofed_ping(site.port, path, url, spelling, proxy_first) == (200, NOT_ALLOWED), spelling
    assert pings_of(site) == []
    status, answer = spoofed_ping(site.port, path, b"http://a.example/x", b"X-Forwarded-For")   # both the proxy's
    assert (status, answer) == (200, NOT_ALLOWED)      # joined: the right-most hop, the proxy's own, decides


def test_mtpy_refuses_what_lighttpd_would_pass_twice(tmp_path):
    """Under a lighttpd without docs/lighttpd.conf's list, mtpy sees the name
    passed twice in its first environment and refuses: 400, nothing stored."""
    if FAKE_CLOCK:
        pytest.skip("the fake clock's shell wrapper passes the script one of the two")
    site = Site(tmp_path / "site", "sqlite")
    site.update_config("TransparentProxyIPs 127.0.0.1\n")
    config = lighttpd_config(site)
    without_list = "\n".join(line for line in config.splitlines() if not line.startswith("include_shell"))
    assert without_list != config
    path = os.path.join(site.folder, "lighttpd.conf")
    with open(path, "w") as handle:
        handle.write(without_list)
    process = subprocess.Popen([need("lighttpd"), "-D", "-f", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(site.port, process)
        for proxy_first in (False, True):
            status, answer = spoofed_ping(site.port, b"/cgi-bin/mt-tb.cgi/%d" % site.item.id, b"http://a.example/1",
                                          b"X.Forwarded.For", proxy_first)
            assert status == 400 and "more than one X-Forwarded-For" in answer
        assert pings_of(site) == []
    finally:
        stop(process)


# -- 3. throttles: per address first, then the weblog's; holding beyond them --

def default_limits(site):
    """Site's mt.cfg without its throttle lines: the shipped defaults apply."""
    with open(site.config_path) as handle:
        lines = [line for line in handle if not line.startswith(("OneHourMaxPings", "OneDayMaxPings"))]
    with open(site.config_path, "w") as handle:
        handle.writelines(lines)


def test_limit_defaults():
    config = Config(text="")
    assert (config.get("OneHourMaxPings"), config.get("OneDayMaxPings")) == (10, 50)
    assert (config.get("OneHourMaxPingsPerIP"), config.get("OneDayMaxPingsPerIP")) == (5, 20)


@pytest.mark.smoke
def test_one_address_cannot_use_up_the_weblogs_allowance(served):
    """With the defaults, ten pings from 127.0.0.1 used to lock 127.0.0.2 out
    for an hour. Now 127.0.0.1 is held to its own share."""
    site = served
    default_limits(site)
    url = site.ping_url()
    for n in range(5):
        assert post_from(site, "127.0.0.1", url, {"url": "http://one.example/%d" % n})[2] == SUCCESS
    status, headers, text = post_from(site, "127.0.0.1", url, {"url": "http://one.example/5"})
    assert (status, headers["Retry-After"], text) == (403, "3600", TOO_QUICKLY)
    for n in range(5):
        assert post_from(site, "127.0.0.2", url, {"url": "http://two.example/%d" % n})[2] == SUCCESS
    # The weblog's own limit (10 an hour) still holds, with MT's answer.
    status, headers, text = post_from(site, "127.0.0.3", url, {"url": "http://three.example/"})
    assert (status, headers["Retry-After"], text) == (403, "3600", TOO_QUICKLY)
    assert sorted(set(ping.ip for ping in pings_of(site))) == ["127.0.0.1", "127.0.0.2"]
    assert len(pings_of(site)) == 10


def test_address_limits_count_within_their_windows(store, monkeypatch):
    """In process with the clock moved on: the hourly limit per address frees
    up after an hour, the daily one after a day; other addresses are apart."""
    config = Config(text="OneHourMaxPings 0\nOneDayMaxPings 0\nOneHourMaxPingsPerIP 2\nOneDayMaxPingsPerIP 3\n"
                         "GenerateTrackBackRSS 0\n")
    blog, item = weblog(store)
    start = dates.utc_now()
    real = dates.utc_now
    shift = [0]
    monkeypatch.setattr(dates, "utc_now", lambda offset=0: real(offset + shift[0]))

    def ping(n, ip="198.51.100.1"):
        try:
            receive(store, config, incoming_ping(str(item.id), "", {"url": "http://a.example/%d" % n}, ip))
            return "ok"
        except PingRejected as rejected:
            return dict(rejected.headers).get("Retry-After")

    assert [ping(0), ping(1), ping(2)] == ["ok", "ok", "3600"]
    assert ping(3, "::ffff:198.51.100.2") == "ok"
    assert ping(4, "198.51.100.2:99") == "ok"            # the same address, spelled twice
    assert ping(5, "198.51.100.2") == "3600"
    shift[0] = 3601
    assert [ping(6), ping(7)] == ["ok", "86400"]         # 3 in the last day
    shift[0] = 86400 + 3602
    assert ping(8) == "ok"
    assert start < dates.utc_now()
    assert [p.ip for p in store.list_pings(tb_id=item.id)].count("198.51.100.2") == 2


def pinger(store, config, item):
    """ping(url, ip, **fields): "ok", or the Retry-After of a throttle's 403."""
    def ping(url, ip, **fields):
        try:
            receive(store, config, incoming_ping(str(item.id), "", dict(fields, url=url), ip))
            return "ok"
        except PingRejected as rejected:
            return dict(rejected.headers).get("Retry-After") or rejected.message
    return ping


def test_junk_does_not_use_up_the_weblogs_allowance(store):
    """Two addresses sending junk used to make a clean ping from a third get
    403 for an hour. Junk is counted apart: it never counts against the
    weblog's limit, and junk beyond that limit is answered but not kept."""
    config = Config(text="OneHourMaxPings 3\nOneDayMaxPings 0\nGenerateTrackBackRSS 0\n")
    blog, item = weblog(store, junk_words=["casino"])
    ping = pinger(store, config, item)
    assert [ping("http://spam.example/%d" % n, "198.51.100.%d" % (1 + n % 2), title="casino")
            for n in range(5)] == ["ok"] * 5
    kept = store.list_pings(tb_id=item.id, visible_only=False)
    assert [p.junk for p in kept] == [True] * 3               # the weblog's limit, for junk
    assert [ping("http://clean.example/%d" % n, "198.51.100.3") for n in range(3)] == ["ok"] * 3
    assert ping("http://clean.example/3", "198.51.100.4") == "3600"    # clean pings keep theirs
    assert len(store.list_pings(tb_id=item.id)) == 3


def test_an_ipv6_sender_is_its_64(store):
    """A host picks any address of its /64: each used to get the limits of an
    address of its own."""
    config = Config(text="OneHourMaxPings 0\nOneDayMaxPings 0\nOneHourMaxPingsPerIP 2\nGenerateTrackBackRSS 0\n")
    blog, item = weblog(store)
    ping = pinger(store, config, item)
    assert [ping("http://a.example/%d" % n, "2001:db8:0:1::%x" % (n + 1)) for n in range(3)] == ["ok", "ok", "3600"]
    assert ping("http://a.example/9", "2001:db8:0:1:ffff:ffff:ffff:ffff") == "3600"
    assert ping("http://a.example/10", "2001:db8:0:2::1") == "ok"         # the next /64 is another sender
    assert ping("http://a.example/11", "198.51.100.1") == "ok"


def test_an_ipv6_prefix_ban_is_a_network_or_refused(store):
    """`2001:db8::` was taken as a ban and matched as text: 2001:db8:0:1::5
    passed it. A new IPv6 ban is an address or a CIDR range; one stored the old
    way stands for the network of the hextets it writes."""
    from mtpy.actions import ActionError
    from mtpy.actions.bans import add_ban
    config = Config(text="OneHourMaxPings 0\nOneDayMaxPings 0\nGenerateTrackBackRSS 0\n")
    blog, item = weblog(store)
    ping = pinger(store, config, item)
    for prefix in ("2001:db8::", "2001:db8:"):
        with pytest.raises(ActionError) as refused:
            add_ban(store, blog, prefix)
        assert "CIDR notation: 2001:db8::/32" in str(refused.value)
    assert store.find(IPBan, blog_id=blog.id) == []
    add_ban(store, blog, "10.9.")                             # MT's IPv4 prefixes stay
    assert ping("http://a.example/1", "10.9.9.9") == "You are not allowed to send TrackBack pings."
    store.save(IPBan(blog_id=blog.id, ip="2001:db8::"))       # as an older release accepted it
    assert ping("http://a.example/2", "2001:db8:0:1::5") == "You are not allowed to send TrackBack pings."
    assert ping("http://a.example/3", "2001:db9::5") == "ok"
    add_ban(store, blog, "2001:db9::/64")
    assert ping("http://a.example/4", "2001:db9::6") == "You are not allowed to send TrackBack pings."
    assert ping("http://a.example/5", "2001:db9:0:1::6") == "ok"


def test_weblog_may_hold_pings_beyond_its_limit(served):
    site = served
    site.update_config("OneHourMaxPings 2\n")
    blog = str(site.blog.id)
    mtpy("blog", "set", "--blog", blog, "--hold-over-limit", "1", config=site.config_path)
    for n in range(3):
        assert post(site.ping_url(), {"url": "http://a.example/%d" % n, "title": "T%d" % n}).text == SUCCESS
    pings = pings_of(site)
    assert [ping.visible for ping in pings] == [True, True, False]
    held = pings[2]

    def shown():
        rss = ET.fromstring(http(site.ping_url() + "?__mode=rss").body)
        feed = ET.parse(os.path.join(site.archives, "%d.xml" % site.item.id)).getroot()
        popup = http(site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id).text
        return ([item.findtext("link") for item in rss.findall("rss/channel/item")],
                sorted(item.findtext("link") for item in feed.findall("channel/item")),
                sorted(set(re.findall(r"http://a\.example/\d", popup))))

    two = ["http://a.example/0", "http://a.example/1"]
    assert shown() == (two, two, two)
    listed = mtpy("ping", "held", "--blog", blog, config=site.config_path).stdout
    assert listed.split("\t")[0] == str(held.id) and "http://a.example/2" in listed and listed.count("\n") == 1
    assert "Ping %d is published already" % pings[0].id in mtpy(
        "ping", "release", "--blog", blog, str(pings[0].id), config=site.config_path, check=False).stderr
    assert "Approved 1 ping\n" in mtpy("ping", "release", "--blog", blog, str(held.id),
                                        config=site.config_path).stdout
    three = two + ["http://a.example/2"]
    assert shown() == (three, three, three)
    assert mtpy("ping", "held", "--blog", blog, config=site.config_path).stdout == ""
    # Without the setting, the weblog's limit refuses, as Movable Type did.
    mtpy("blog", "set", "--blog", blog, "--hold-over-limit", "0", config=site.config_path)
    result = post(site.ping_url(), {"url": "http://a.example/9"})
    assert (result.status, result.headers["Retry-After"]) == (403, "3600")


def test_store_of_the_previous_schema_is_upgraded(tmp_path, backend):
    """A store made before hold_over_limit existed is upgraded, gains the column
    (off for its weblogs), and keeps its pings."""
    from conftest import new_store_directives
    from mtpy.store import open_store
    config = Config(text="ObjectDriver %s\nDataSource %s\n%s" % (backend, tmp_path / "data",
                                                                  new_store_directives(backend)))
    if backend == "flat":
        store = open_store(config, create=True)
        store.save(Blog(name="old"))
        store.close()
        path = os.path.join(str(tmp_path / "data"), "blog", "000001.txt")
        with open(path) as handle:
            text = handle.read()
        with open(path, "w") as handle:    # a record file written before the field existed
            handle.write("".join(line for line in text.splitlines(True) if not line.startswith("hold_over_limit")))
    elif backend == "sqlite":
        import sqlite3
        from mtpy.store import sqlite as module
        os.makedirs(str(tmp_path / "data"))
        db = sqlite3.connect(str(tmp_path / "data" / "mtpy.db"), isolation_level=None)
        for statement in module.MIGRATIONS[0] + module.MIGRATIONS[1]:
            db.execute(statement)
        db.execute("PRAGMA user_version = 2")
        db.execute("INSERT INTO blog (name, email_new_pings, allow_pings_default, timezone) VALUES ('old', 1, 1, 0)")
        db.close()
    else:
        import psycopg
        from mtpy.store import postgres as module
        database = config.get("Database")
        db = psycopg.connect(host=config.get("DBHost"), port=config.get("DBPort"), user=config.get("DBUser"),
                             dbname=database, autocommit=True)
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (2)")
        for statement in module.MIGRATIONS[0] + module.MIGRATIONS[1]:
            db.execute(statement)
        db.execute("INSERT INTO blog (name, email_new_pings, allow_pings_default, timezone) "
                   "VALUES ('old', TRUE, TRUE, 0)")
        db.close()
    store = open_store(config, upgrade=True)    # as mt.cgi's upgrade page opens it
    try:
        store.upgrade()
        [blog] = store.find(Blog)
        assert (blog.name, blog.hold_over_limit) == ("old", False)
        blog.hold_over_limit = True
        store.save(blog)
        store.insert(Ping(blog_id=blog.id, tb_id=1, source_url="http://a/", ip="198.51.100.1",
                          created_on=dates.utc_now()))
        assert store.count_pings_since(blog.id, dates.utc_now(-60), ip="198.51.100.1") == 1
        assert store.count_pings_since(blog.id, dates.utc_now(-60), ip="198.51.100.2") == 0
    finally:
        store.close()
    store = open_store(config)
    assert store.get(Blog, blog.id).hold_over_limit is True
    store.close()


# -- 6. requests and URLs ----------------------------------------------------

@pytest.mark.parametrize("method", ["HEAD", "PUT", "DELETE", "OPTIONS", "PATCH"])
@SQLITE_ONLY
@pytest.mark.smoke
def test_only_get_and_post_reach_the_ping(served, method):
    site = served
    body = b"url=http%3A%2F%2Fa.example%2Fbody" if method != "HEAD" else None   # lighttpd: 400 to a HEAD body
    result = http(site.ping_url() + "?url=http%3A%2F%2Fa.example%2Fquery", data=body, method=method,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert result.status == 405, (method, result.status, result.body)
    assert "POST" in result.headers["Allow"]
    assert pings_of(site) == []


@pytest.mark.parametrize("url", [
    "https://[::1:80/", "http://[::1]:99999/", "http://a.example:abc/", "http://user:pass@example.com/",
    "http://user@example.com/", "http://a.example:0/", "http://[1.2.3.4]/", "http://[v1.x]/",
    "http://ex%41mple.com/", "http://a..example/", "http://" + "a" * 64 + ".example/",
    "http://[::1]]/", "http://a.example]/",
])
def test_bad_urls_are_refused(url):
    assert normalize_url(url) is None


@pytest.mark.parametrize("url", [
    "http://a.example:8080/x", "http://[2001:db8::1]:8080/x", "http://[::1]/", "http://bücher.example/",
    "http://my_blog.example.com/", "http://a.example./", "http://a.example:/x", "http://192.0.2.1/",
])
def test_good_urls_are_kept(url):
    assert normalize_url(url) == url


@SQLITE_ONLY
def test_bad_urls_are_refused_through_the_server(served):
    site = served
    for n, url in enumerate(["https://[::1:80/", "http://[::1]:99999/", "http://a.example:abc/",
                             "http://user:pass@example.com/"]):
        result = post(site.ping_url(), {"url": url})
        assert result.text == error_doc("Invalid URL '%s'" % url.replace("&", "&amp;")), url
    junk = b"url=http%3A%2F%2F" + b"%ff" * 1000 + b"%2F"   # a host of 1,000 "ÿ"
    result = post(site.ping_url(), junk)
    assert "Invalid URL" in result.text
    assert pings_of(site) == []


@pytest.mark.parametrize("content_type, extra", [
    ("application/x-www-form-urlencoded; charset=utf-16", b""),
    ("application/x-www-form-urlencoded; charset=UTF-16LE", b""),
    ("application/x-www-form-urlencoded; charset=utf-32", b""),
    ("application/x-www-form-urlencoded", b"&charset=utf-16"),
    ("application/x-www-form-urlencoded", b"&charset=utf-7"),
])
@SQLITE_ONLY
def test_charset_that_is_not_ascii_compatible_is_refused(served, content_type, extra):
    site = served
    body = b"url=http%3A%2F%2Fa.example%2Fpost&title=Hello" + extra
    result = post(site.ping_url(), body, content_type=content_type)
    assert result.status == 200
    assert "<error>1</error>" in result.text and "cannot carry a ping" in result.text, result.text
    assert pings_of(site) == []
    # UTF-8, labelled or not, is read as ever.
    assert post(site.ping_url(), b"url=http%3A%2F%2Fa.example%2Fpost&title=%C3%A9t%C3%A9",
                content_type="application/x-www-form-urlencoded; charset=utf-8").text == SUCCESS
    assert [ping.title for ping in pings_of(site)] == ["été"]


def test_lighttpd_refuses_a_large_body_before_reading_it(tmp_path):
    """docs/lighttpd.conf's server.max-request-size: 413 at once, nothing spooled."""
    site = Site(tmp_path / "site", "sqlite")
    process = start_lighttpd(site)
    try:
        status, _, _ = raw_request(site.port, b"POST /cgi-bin/mt-tb.cgi/%d HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                                   b"Content-Type: application/x-www-form-urlencoded\r\n"
                                   b"Content-Length: 200000000\r\n\r\nurl=http" % site.item.id, timeout=10)
        assert status == 413
        assert pings_of(site) == []
    finally:
        stop(process)


def test_apache_refuses_a_large_body(apache_site):
    status, _, _ = raw_request(apache_site.port, b"POST /cgi-bin/mt-tb.cgi/%d HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                               b"Content-Type: application/x-www-form-urlencoded\r\n"
                               b"Content-Length: 200000000\r\n\r\nurl=http" % apache_site.item.id, timeout=10)
    assert status == 413


def test_one_deny_rule_for_static_files():
    """The endings docs/lighttpd.conf denies are the ones `mtpy serve` denies."""
    from mtpy.hosting.devserver import DENIED_ENDINGS
    with open(os.path.join(ROOT, "docs", "lighttpd.conf")) as handle:
        config = handle.read()
    listed = re.search(r'^url\.access-deny = \(([^)]*)\)', config, re.M).group(1)
    assert tuple(re.findall(r'"([^"]*)"', listed)) == DENIED_ENDINGS


DENIED_FILES = ["index.html~", "backup.cfg", "copy.db", "err.log", ".hidden", "page.html.tmp",
                "sub/.secret", "sub/COPY.DB"]


@SQLITE_ONLY
@pytest.mark.smoke
def test_denied_static_files(served):
    site = served
    for name in DENIED_FILES + ["page.html", "sub/page.html"]:
        path = os.path.join(site.archives, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("private" if name not in ("page.html", "sub/page.html") else "<p>ok</p>")
    assert http(site.base + "page.html").text == "<p>ok</p>"
    assert http(site.base + "sub/page.html").text == "<p>ok</p>"
    for name in DENIED_FILES:
        if site.server == "lighttpd" and name == "sub/COPY.DB":
            continue    # lighttpd compares endings case-sensitively
        result = http(site.base + name)
        assert result.status in (403, 404) and b"private" not in result.body, name


def test_denied_static_files_under_wsgi(tmp_path):
    """`mtpy serve --wsgi` shares the rule (its SiteApp uses find_static_file)."""
    from mtpy.hosting.site import SiteApp
    site = Site(tmp_path / "site", "sqlite")
    for name in DENIED_FILES + ["page.html"]:
        path = os.path.join(site.archives, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write("x")
    app = SiteApp(site.config_path, [("/", site.archives)], os.path.join(site.folder, "cgi-bin"))
    for name in DENIED_FILES + ["page.html"]:
        seen = []
        b"".join(app({"REQUEST_METHOD": "GET", "PATH_INFO": "/" + name}, lambda s, h: seen.append(s)))
        assert seen[0].startswith("200" if name == "page.html" else "404"), name


def test_a_plain_ping_stays_cheap(tmp_path):
    """The careful URL and address checks import urllib.parse and ipaddress only
    for what needs them: a ping from an IPv4 client with an ordinary URL
    imports neither (on SQLite: filelock and psycopg import both themselves)."""
    from support.probe import run_probe
    site = Site(tmp_path / "site", "sqlite")
    output, loaded = run_probe(site)
    assert "<error>0</error>" in output, output
    assert not {"urllib.parse", "ipaddress"} & loaded
    output, loaded = run_probe(site, body=b"url=http://[2001:db8::1]:8/&title=hi")
    assert "<error>0</error>" in output and "urllib.parse" in loaded


def test_flat_recent_file_of_the_previous_formats(tmp_path):
    """Lines of index/blog-N-recent.txt written before the address (`id time`)
    or the verdict (`id time ip`) was logged still count for their ping's
    address and verdict."""
    from mtpy.store import open_store
    config = Config(text="ObjectDriver flat\nDataSource %s\n" % (tmp_path / "data"))
    store = open_store(config, create=True)
    for n, ip in enumerate(["198.51.100.1", "198.51.100.1", "198.51.100.2", "2001:db8::1"]):
        store.insert(Ping(blog_id=1, tb_id=1, source_url="http://a/%d" % n, ip=ip, created_on=dates.utc_now(),
                          junk=n == 0))
    store.close()
    path = tmp_path / "data" / "index" / "blog-000001-recent.txt"
    lines = path.read_text().splitlines()
    assert all(line.count(" ") == 4 for line in lines[1:])            # id, date time, address, verdict
    assert lines[1].endswith(" 198.51.100.1 junk") and lines[2].endswith(" 198.51.100.1 ok")
    older = [line.rsplit(" ", 2)[0] for line in lines[1:3]] + [line.rsplit(" ", 1)[0] for line in lines[3:]]
    path.write_text("\n".join([lines[0]] + older) + "\n")
    store = open_store(config)
    since = dates.utc_now(-60)
    assert [store.count_pings_since(1, since, ip=ip) for ip in ("198.51.100.1", "198.51.100.2", "x")] == [2, 1, 0]
    assert [store.count_pings_since(1, since, junk=junk) for junk in (True, False)] == [1, 3]
    assert store.count_pings_since(1, since, ip="2001:db8::2") == 1
    store.insert(Ping(blog_id=1, tb_id=1, source_url="http://a/9", ip="", created_on=dates.utc_now()))
    assert store.count_pings_since(1, since, ip="") == 1 and store.count_pings_since(1, since) == 5
    store.close()
