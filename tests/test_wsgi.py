"""`mtpy serve --wsgi`: the same URLs as `mtpy serve`, answered by the same WSGI
applications kept in gunicorn's persistent workers."""

import os
import signal
import subprocess

import pytest

from conftest import http, start_wsgi_server
from support.http import SUCCESS, error_doc, post
from support.sites import pings_of
from support.publishing import rebuild, wait_for_text


@pytest.fixture
def wsgi_site(site):
    rebuild(site)
    process = start_wsgi_server(site)
    yield site
    process.send_signal(signal.SIGINT)     # gunicorn's quick shutdown
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def test_pings_feeds_popup_and_pages(wsgi_site):
    site = wsgi_site
    result = post(site.ping_url(), {"url": "http://w.example/", "title": "Persistent <b>ping</b>"})
    assert result.status == 200 and result.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert result.text == SUCCESS
    assert post(site.ping_url(), {"url": "javascript:x"}).text == error_doc("Invalid URL 'javascript:x'")
    assert [p.title for p in pings_of(site)] == ["Persistent <b>ping</b>"]
    assert "<title>Persistent &lt;b&gt;ping&lt;/b&gt;</title>" in http(site.ping_url() + "?__mode=rss").text
    assert "Persistent" in http(site.base + "%d.xml" % site.item.id).text
    popup = http(site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id).text
    assert "Persistent ping" in popup and "<b>" not in popup
    # The deferred republish ran in the worker after the answer.
    assert wait_for_text(site.base, "TrackBack (1)</a>")
    assert "mtpy System Check" in http(site.base + "cgi-bin/mt-check.cgi").text
    page = http(site.base)                  # announces where to send Pingbacks and Webmentions
    assert (page.headers["X-Pingback"], page.headers["Link"]) == (
        site.base + "cgi-bin/mt-pingback.cgi", '<%scgi-bin/mt-webmention.cgi>; rel="webmention"' % site.base)


def test_config_changes_apply_without_restart(wsgi_site):
    site = wsgi_site
    assert post(site.ping_url(), {"url": "http://w.example/1"}).text == SUCCESS
    site.update_config("AllowGetPings 0\n")
    query = "?tb_id=%d&url=http://w.example/2" % site.item.id
    assert http(site.base + "cgi-bin/mt-tb.cgi" + query).text == error_doc("Trackback pings must use HTTP POST")
    site.update_config("OneHourMaxPings lots\n")
    broken = post(site.ping_url(), {"url": "http://w.example/3"})
    assert "misconfigured" in broken.text and "Traceback" not in broken.text


def test_nothing_private_is_served(wsgi_site):
    site = wsgi_site
    for path in ("cgi-bin/mt.cfg", "cgi-bin/../data/mtpy.db", "data/mtpy.db", ".hidden", "cgi-bin/nothing.cgi"):
        assert http(site.base + path).status in (403, 404), path
    assert http(site.base + "index.html").status == 200
    assert http(site.base, method="POST", data=b"x").status == 405
    assert os.path.exists(os.path.join(site.archives, "index.html"))
