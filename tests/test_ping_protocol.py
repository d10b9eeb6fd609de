"""Reference §2 to §6 on every backend: each test with mt-tb.cgi answered in
this process (the `served` fixture), the `smoke` ones also through real web
servers running it as CGI (lighttpd and `mtpy serve`): what a server adds (the
CGI environment, PATH_INFO, status lines and headers, body limits, the
client's address, the work after the answer in a process of its own, what is
never served)."""

import os
import urllib.parse
import xml.etree.ElementTree as ET

import pytest

from support.http import SUCCESS, error_doc, http, post
from support.sites import pings_of
from mtpy.dates import format_date
from mtpy.models import IPBan

@pytest.mark.smoke
def test_accepted_ping_is_stored_and_answered(served):
    result = post(served.ping_url(), {"title": "Their post", "url": "http://other.example/post",
                                      "excerpt": "They wrote", "blog_name": "Other"})
    assert result.status == 200
    assert result.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert result.text == SUCCESS
    [ping] = pings_of(served)
    assert (ping.title, ping.source_url, ping.excerpt, ping.blog_name, ping.ip) == (
        "Their post", "http://other.example/post", "They wrote", "Other", "127.0.0.1")


@pytest.mark.parametrize("path, fields, message", [
    ("cgi-bin/mt-tb.cgi", {"url": "http://a.example/"}, "Need a TrackBack ID (tb_id)."),
    ("ITEM", {"title": "no url"}, "Need a Source URL (url)."),
    ("ITEM", {"url": "   "}, "Need a Source URL (url)."),
    ("ITEM", {"url": "javascript:alert(1)"}, "Invalid URL 'javascript:alert(1)'"),
    ("ITEM", {"url": "ftp://a.example/x"}, "Invalid URL 'ftp://a.example/x'"),
    ("ITEM", {"url": 'http://a.example/"><script>'}, "Invalid URL 'http://a.example/&quot;&gt;&lt;script&gt;'"),
    ("cgi-bin/mt-tb.cgi/9999", {"url": "http://a.example/"}, "Invalid TrackBack ID '9999'"),
    ("cgi-bin/mt-tb.cgi?tb_id=%3C9%3E", {"url": "http://a.example/"}, "Invalid TrackBack ID '&lt;9&gt;'"),
])
def test_rejections_store_nothing(served, path, fields, message):
    url = served.ping_url() if path == "ITEM" else served.base + path
    result = post(url, fields)
    assert result.status == 200
    assert result.text == error_doc(message)
    assert pings_of(served) == []


@pytest.mark.smoke
def test_path_traversal_is_an_invalid_id(served):
    """Servers may normalise the path away (404); what reaches the script is an id error."""
    result = post(served.base + "cgi-bin/mt-tb.cgi/..%2F..%2Fetc%2Fpasswd", {"url": "http://a.example/"})
    assert result.status == 404 or "Invalid TrackBack ID" in result.text
    assert "root:" not in result.text and pings_of(served) == []


def test_path_info_that_is_not_an_id(site):
    """The application itself, given the PATH_INFO a lax server would pass."""
    import io
    from mtpy.apps.trackback import TrackbackApp
    body = b"url=http://a.example/"
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/../../etc/passwd", "QUERY_STRING": "",
               "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
               "REMOTE_ADDR": "127.0.0.1", "wsgi.input": io.BytesIO(body)}
    seen = []
    answer = b"".join(TrackbackApp(site.config)(environ, lambda status, headers: seen.append(status)))
    assert seen == ["200 OK"]
    assert answer.decode() == error_doc("Invalid TrackBack ID '../../etc/passwd'")


def test_check_order_item_before_disabled_before_ban(served):
    """MT 2.6 order: the url is checked before the item; the item before the ban."""
    store = served.store()
    store.save(IPBan(blog_id=served.blog.id, ip="127.0.0.1"))
    store.close()
    assert "Invalid URL" in post(served.base + "cgi-bin/mt-tb.cgi/9999", {"url": "mailto:x"}).text
    assert "Invalid TrackBack ID" in post(served.base + "cgi-bin/mt-tb.cgi/9999", {"url": "http://a/"}).text
    assert post(served.ping_url(), {"url": "http://a/"}).text == error_doc(
        "You are not allowed to send TrackBack pings.")


def test_draft_entry_and_disabled_item(served):
    _, draft_item = served.add_entry(title="draft", status="Draft")
    assert post(served.ping_url(draft_item), {"url": "http://a/"}).text == error_doc(
        "Invalid TrackBack ID '%d'" % draft_item.id)
    store = served.store()
    served.entry.allow_pings = False
    store.save(served.entry)
    store.close()
    assert post(served.ping_url(), {"url": "http://a/"}).text == error_doc("This TrackBack item is disabled.")
    assert pings_of(served) == []


def test_category_passphrase_in_path_and_field(served):
    _, item = served.add_category(label="Perl", allow_pings=True, passphrase="s3cret")
    protected = error_doc("This TrackBack item is protected by a passphrase.")
    assert post(served.ping_url(item), {"url": "http://a/1"}).text == protected
    assert post(served.ping_url(item) + "/wrong", {"url": "http://a/1"}).text == protected
    assert post(served.ping_url(item) + "/s3cret", {"url": "http://a/1"}).text == SUCCESS
    assert post(served.base + "cgi-bin/mt-tb.cgi?tb_id=%d&pass=s3cret" % item.id, {"url": "http://a/2"}).text == SUCCESS
    assert [p.source_url for p in pings_of(served, item)] == ["http://a/1", "http://a/2"]


@pytest.mark.smoke
def test_passphrase_of_other_letters_in_the_path(served):
    """The path's bytes are UTF-8, however the host hands them over: as
    os.environ's text under CGI, as PEP 3333's latin-1 text under WSGI
    (FastCGI, Passenger, `mtpy serve --wsgi`, here in-process), where a
    passphrase of other letters never matched and one spelled in latin-1 did;
    bytes that are not UTF-8 are an invalid id (they were a 500 under CGI)."""
    _, item = served.add_category(label="Perl", allow_pings=True, passphrase="pässwört")
    assert post(served.ping_url(item) + "/p%C3%A4ssw%C3%B6rt", {"url": "http://a/1"}).text == SUCCESS
    latin1 = post(served.ping_url(item) + "/p%E4ssw%F6rt", {"url": "http://a/2"})   # lighttpd: 400, not UTF-8
    assert latin1.status == 400 or latin1.text == error_doc("This TrackBack item is protected by a passphrase.")
    assert post(served.base + "cgi-bin/mt-tb.cgi/%C3%A9t%C3%A9", {"url": "http://a/3"}).text == error_doc(
        "Invalid TrackBack ID 'été'")
    not_utf8 = post(served.base + "cgi-bin/mt-tb.cgi/%FF%E9", {"url": "http://a/4"})   # was a 500
    assert not_utf8.status == 400 or not_utf8.text == error_doc("Invalid TrackBack ID '\ufffd\ufffd'")
    assert [p.source_url for p in pings_of(served, item)] == ["http://a/1"]


@pytest.mark.parametrize("ban, banned", [
    ("127.0.0.1", True), ("127.0.", True), ("127.0.0.0/8", True), ("127.0.0.10", False),
    ("127.0.0.1.", False), ("12", False), ("10.0.0.0/8", False), ("::1/128", False),
])
def test_ip_bans_match_exactly(served, ban, banned):
    store = served.store()
    store.save(IPBan(blog_id=served.blog.id, ip=ban))
    store.close()
    result = post(served.ping_url(), {"url": "http://a/"})
    if banned:
        assert result.text == error_doc("You are not allowed to send TrackBack pings.")
        assert pings_of(served) == []
    else:
        assert result.text == SUCCESS


def test_forwarded_address_only_from_trusted_proxies(served):
    store = served.store()
    store.save(IPBan(blog_id=served.blog.id, ip="203.0.113.7"))
    store.close()
    forwarded = {"X-Forwarded-For": "203.0.113.7"}
    assert post(served.ping_url(), {"url": "http://a/1"}, headers=forwarded).text == SUCCESS
    assert pings_of(served)[0].ip == "127.0.0.1"   # the header of an untrusted client is ignored
    served.update_config("TransparentProxyIPs 127.0.0.1\n")
    result = post(served.ping_url(), {"url": "http://a/2"}, headers=forwarded)
    assert result.text == error_doc("You are not allowed to send TrackBack pings.")


def test_throttle_answers_403_with_retry_after(served):
    served.update_config("OneHourMaxPings 3\n")
    for n in range(3):
        assert post(served.ping_url(), {"url": "http://a/%d" % n}).text == SUCCESS
    result = post(served.ping_url(), {"url": "http://a/9"})
    assert result.status == 403
    assert result.headers["Retry-After"] == "3600"
    assert result.text == error_doc("You are pinging trackbacks too quickly. Please try again later.")
    assert len(pings_of(served)) == 3


def test_daily_throttle(served):
    served.update_config("OneHourMaxPings 0\nOneDayMaxPings 2\n")
    for n in range(2):
        assert post(served.ping_url(), {"url": "http://a/%d" % n}).text == SUCCESS
    result = post(served.ping_url(), {"url": "http://a/3"})
    assert result.status == 403 and result.headers["Retry-After"] == "86400"


def test_repeated_source_url_answers_success_and_stores_once(served):
    for _ in range(3):
        assert post(served.ping_url(), {"url": "http://a/same", "title": "t"}).text == SUCCESS
    assert len(pings_of(served)) == 1


def test_field_rules(served):
    long_excerpt = "日本語" * 100                                   # 300 characters
    post(served.ping_url(), {"url": "http://a/1", "excerpt": long_excerpt})
    post(served.ping_url(), {"url": "http://a/2", "title": "", "excerpt": "x"})
    post(served.ping_url(), {"url": "http://a/3"})
    post(served.ping_url(), {"url": "http://a/4", "excerpt": "<b>one</b>  two\nthree four five six"})
    post(served.ping_url(), {"url": "  http;//a.example/5  ", "title": "ctl\x00\x07\x1bchars\tok\r\nnext"})
    post(served.ping_url(), {"url": "www.example.com/6"})
    first, second, third, fourth, fifth, sixth = pings_of(served)
    assert first.excerpt == long_excerpt[:252] + "..." and len(first.excerpt) == 255
    assert first.title == ("日本語" * 100)[:252] + "..."            # one "word": the cropped excerpt
    assert second.title == "http://a/2"                               # present but empty: the url
    assert third.title == "http://a/3" and third.excerpt == ""        # nothing: the url
    assert fourth.title == "one two three four five"                  # 5 words, tags removed
    assert fifth.source_url == "http://a.example/5"
    assert fifth.title == "ctlchars\tok\nnext"
    assert sixth.source_url == "http://www.example.com/6"


def test_get_pings_allowed_then_refused(served):
    query = urllib.parse.urlencode({"tb_id": served.item.id, "url": "http://a/get", "title": "By GET"})
    assert http(served.base + "cgi-bin/mt-tb.cgi?" + query).text == SUCCESS
    assert pings_of(served)[0].title == "By GET"
    served.update_config("AllowGetPings 0\n")
    query = urllib.parse.urlencode({"tb_id": served.item.id, "url": "http://a/get2"})
    result = http(served.base + "cgi-bin/mt-tb.cgi?" + query)
    assert result.text == error_doc("Trackback pings must use HTTP POST")
    assert len(pings_of(served)) == 1


def test_post_merges_query_string_and_body(served):
    result = post(served.base + "cgi-bin/mt-tb.cgi?tb_id=%d&title=fromquery" % served.item.id,
                  {"url": "http://a/merged", "title": "frombody"})
    assert result.text == SUCCESS
    assert pings_of(served)[0].title == "frombody"


@pytest.mark.smoke
def test_oversized_body_is_refused(served):
    served.update_config("MaxRequestBytes 1000\n")
    result = post(served.ping_url(), {"url": "http://a/big", "excerpt": "x" * 2000})
    assert "<error>1</error>" in result.text and "larger than 1000 bytes" in result.text
    assert pings_of(served) == []
    assert post(served.ping_url(), {"url": "http://a/small"}).text == SUCCESS


@pytest.mark.smoke
def test_rss_mode_and_feed_file(served):
    for n in range(12):
        post(served.ping_url(), {"url": "http://a/%d" % n, "title": "T%d <&>" % n, "excerpt": "E%d" % n if n else ""})
    store = served.store()
    hidden = store.list_pings(tb_id=served.item.id)[3]
    hidden.visible = False              # moderated: must not show anywhere
    store.update(hidden)
    store.close()
    result = http(served.ping_url() + "?__mode=rss")
    assert result.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert result.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n<rss version="0.91"><channel>\n')
    root = ET.fromstring(result.body)
    channel = root.find("rss/channel")
    assert channel.findtext("title") == "Hello <World> & Co"
    assert channel.findtext("link") == served.base + "%06d.html" % served.entry.id
    assert channel.findtext("language") == "en-us"
    titles = [item.findtext("title") for item in channel.findall("item")]
    assert titles == ["T%d <&>" % n for n in range(12) if n != 3]      # oldest first
    assert channel.findall("item")[0].find("description") is None    # empty excerpt: none
    same = http(served.base + "cgi-bin/mt-tb.cgi?__mode=rss&tb_id=%d" % served.item.id)
    assert same.body == result.body
    assert http(served.base + "cgi-bin/mt-tb.cgi/777?__mode=rss").text == error_doc("Invalid TrackBack ID '777'")
    # The static feed: written after the pings; the hidden one went before the last write.
    post(served.ping_url(), {"url": "http://a/last", "title": "Last"})
    feed_path = os.path.join(served.archives, "%d.xml" % served.item.id)
    feed = open(feed_path, "rb").read()
    assert not feed.startswith(b"<?xml")
    channel = ET.fromstring(feed).find("channel")
    # ID.xml is read by feed readers: the plain-text view (`<&>` reads as a tag, removed)
    assert [i.findtext("title") for i in channel.findall("item")] == \
        ["Last"] + ["T%d " % n for n in range(11, 1, -1) if n != 3]
    assert http(served.base + "%d.xml" % served.item.id).body == feed


def test_feed_file_can_be_turned_off(served):
    served.update_config("GenerateTrackBackRSS 0\n")
    post(served.ping_url(), {"url": "http://a/1"})
    assert not os.path.exists(os.path.join(served.archives, "%d.xml" % served.item.id))


@pytest.mark.smoke
def test_listing_popup(served):
    post(served.ping_url(), {"url": "http://other.example/p", "title": "It&#8217;s <b>bold</b>",
                             "excerpt": "<script>alert(1)</script>Hello & bye", "blog_name": "Other <Blog>"})
    post(served.ping_url(), {"url": "http://evil.example/", "title": '"><img src=x onerror=alert(1)>'})
    result = http(served.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % served.entry.id)
    assert result.status == 200 and result.headers["Content-Type"] == "text/html; charset=utf-8"
    page = result.text
    assert "<title>Test Weblog: Discussion on Hello &lt;World&gt; &amp; Co</title>" in page
    assert "TrackBack URL for this entry:" in page and served.ping_url() in page
    assert "Listed below are links to weblogs that reference 'Hello &lt;World&gt; &amp; Co' from Test Weblog." in page
    assert '<a href="http://other.example/p" rel="nofollow">It’s bold</a>' in page
    assert "alert(1)Hello &amp; bye" in page and "<script>" not in page
    assert "from Other" in page and "<Blog>" not in page    # a tag-like name: removed
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" not in page  # tags removed
    # MT's default date format, from the time each ping was stored (%e pads day 1-9: "March  1, 2027")
    for ping in pings_of(served):
        assert 'class="trackback-post">Tracked: %s from ' % format_date(ping.created_on, served.blog.timezone) in page
    for css in ("trackback-url", "trackback-body", "trackback-post"):
        assert 'class="%s"' % css in page
    missing = http(served.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=777")
    assert "Invalid entry ID &#39;777&#39;" in missing.text and "<html" in missing.text
    unknown = http(served.base + "cgi-bin/mt-tb.cgi?__mode=bogus<x>")
    assert "Unknown action bogus&lt;x&gt;" in unknown.text


@pytest.mark.smoke
def test_no_traceback_reaches_the_client(served):
    """A broken store: the client gets the XML error, the log gets the traceback."""
    import shutil
    data = served.config.get("DataSource")
    shutil.rmtree(data)
    with open(data, "w") as handle:
        handle.write("not a data folder")
    result = post(served.ping_url(), {"url": "http://a/"})
    assert "Traceback" not in result.text and 'File "' not in result.text
    assert "<error>1</error>" in result.text
    assert "Traceback" in served.log()


def test_unknown_directive_is_a_logged_warning(served):
    served.update_config("Frobnicate 1\n")
    assert post(served.ping_url(), {"url": "http://a/"}).text == SUCCESS
    assert "unknown directive Frobnicate" in served.log()


@pytest.mark.smoke
def test_bad_config_value_answers_an_error_document(served):
    served.update_config("OneHourMaxPings lots\n")
    result = post(served.ping_url(), {"url": "http://a/"})
    assert "<error>1</error>" in result.text and "misconfigured" in result.text
    assert "Traceback" not in result.text


@pytest.mark.smoke
def test_config_is_never_served(served):
    for path in ("cgi-bin/mt.cfg", "cgi-bin/mt.cfg~", "data/mtpy.db", "cgi-bin/../cgi-bin/mt.cfg"):
        result = http(served.base + path)
        assert result.status in (403, 404), path
        assert b"CGIPath" not in result.body


@pytest.mark.smoke
def test_every_script_answers(served):
    """The smoke matrix's other scripts: mt.cgi's login page and mt-check.cgi's
    report, through each server on each backend (mt-tb.cgi: the tests above)."""
    login = http(served.base + "cgi-bin/mt.cgi?__mode=login")
    assert login.status == 200 and login.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'name="password"' in login.text
    check = http(served.base + "cgi-bin/mt-check.cgi")
    assert check.status == 200 and "mt.cfg" in check.text and "Traceback" not in check.text
