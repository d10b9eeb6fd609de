"""Real senders' requests replayed byte for byte, charsets, XSS and concurrency,
on every backend: in this process (the `served` fixture), the `smoke` ones also
through real web servers (bytes as a server passes them, concurrent CGI
processes)."""

import os
import threading
import urllib.parse

import pytest

from conftest import SAMPLES, http, raw_request
from support.http import SUCCESS, post
from support.sites import pings_of


def replay(site, name):
    """The captured request with only its target changed: the request line's path
    and the Host header point at this site's ping URL; the body is untouched."""
    with open(os.path.join(SAMPLES, name), "rb") as handle:
        data = handle.read()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    method, _, version = lines[0].split(b" ")
    lines[0] = b"%s /cgi-bin/mt-tb.cgi/%d %s" % (method, site.item.id, version)
    lines = [b"Host: 127.0.0.1:%d" % site.port if line.lower().startswith(b"host:") else line
             for line in lines]
    return raw_request(site.port, b"\r\n".join(lines) + b"\r\n\r\n" + body)


@pytest.mark.smoke
def test_wordpress_direct(served):
    status, headers, body = replay(served, "wordpress-6.1-direct.http")
    assert status == 200 and body.decode() == SUCCESS
    [ping] = pings_of(served)
    assert ping.title == "It's déjà vu — 日本"
    assert ping.excerpt == "Excerpt with <b>markup</b> & an ampersand: café, 日本語."
    assert ping.blog_name == "TB Harness WordPress"
    assert ping.source_url == "http://127.0.0.1:8090/2026/11/24/trackback-harness-target/"


def test_wordpress_publish(served):
    status, _, body = replay(served, "wordpress-6.1-publish.http")
    assert body.decode() == SUCCESS
    [ping] = pings_of(served)
    assert ping.title == "It&#8217;s déjà vu — 日本"            # kept as received
    assert "&amp;" in ping.excerpt
    assert ping.source_url == "http://127.0.0.1:8090/2026/11/24/its-deja-vu-%e6%97%a5%e6%9c%ac/"
    page = http(served.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % served.entry.id).text
    assert "It’s déjà vu — 日本" in page                           # shown as plain text


def test_movabletype_utf8(served):
    status, _, body = replay(served, "movabletype-5.2-utf8.http")
    assert body.decode() == SUCCESS
    [ping] = pings_of(served)
    assert ping.title == "It's déjà vu — 日本"
    assert ping.excerpt == "Excerpt with markup & an ampersand: café, 日本語...."
    assert ping.source_url == "http://127.0.0.1:8052/site/themed/2026/11/its-deja-vu.html"


@pytest.mark.smoke
def test_movabletype_shift_jis(served):
    status, _, body = replay(served, "movabletype-5.2-shift_jis.http")
    assert body.decode() == SUCCESS
    [ping] = pings_of(served)
    assert ping.title == "日本語のトラックバック表示テスト"
    # 〜 was sent as 0x81 0x60: Shift_JIS as browsers read it (windows-31j) gives U+FF5E.
    assert ping.excerpt == "これはソフトの表示テストです。記号 & と波\uff5eダッシュ。..."
    assert ping.blog_name == "テーマ・ブログ"
    rss = http(served.ping_url() + "?__mode=rss").text
    assert "日本語のトラックバック表示テスト" in rss


JAPANESE = {"title": "日本語のタイトル", "excerpt": "表示テスト、ソフトです", "blog_name": "ブログ名"}


@pytest.mark.parametrize("charset", ["shift_jis", "euc-jp"])
@pytest.mark.parametrize("labelled_by", ["header", "field", "nothing"])
def test_japanese_charsets(served, charset, labelled_by):
    codec = "cp932" if charset == "shift_jis" else "euc_jp"
    fields = dict(JAPANESE, url="http://jp.example/%s" % labelled_by)
    body = urllib.parse.urlencode({k: v.encode(codec) for k, v in fields.items()})
    content_type = "application/x-www-form-urlencoded"
    if labelled_by == "header":
        content_type += "; charset=" + charset.upper()
    elif labelled_by == "field":
        body += "&charset=" + charset
    assert post(served.ping_url(), body.encode("ascii"), content_type).text == SUCCESS
    [ping] = pings_of(served)
    assert (ping.title, ping.excerpt, ping.blog_name) == (
        JAPANESE["title"], JAPANESE["excerpt"], JAPANESE["blog_name"])


XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>"\'&'


def test_xss_in_every_field_stays_inert(served):
    fields = {"title": XSS, "excerpt": XSS, "blog_name": XSS, "url": "http://x.example/?q=<script>"}
    post(served.ping_url(), fields)
    fields2 = {"title": XSS, "url": "http://x.example/'onmouseover='alert(1)"}
    post(served.ping_url(), fields2)
    pages = [http(served.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % served.entry.id).text]
    feeds = [http(served.ping_url() + "?__mode=rss").text,
             open(os.path.join(served.archives, "%d.xml" % served.item.id), encoding="utf-8").read()]
    for page in pages:
        assert "<script" not in page and "<img" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
        assert "onmouseover='alert" not in page
    import xml.etree.ElementTree as ET
    for feed in feeds:
        ET.fromstring(feed.split("?>", 1)[-1].encode("utf-8"))      # well-formed
        assert "<script>" not in feed
    rss, id_xml = feeds
    assert "&lt;script&gt;" in rss                  # __mode=rss: the text as received, escaped
    assert "&lt;script" not in id_xml and "&lt;img" not in id_xml   # ID.xml: the plain-text view


@pytest.mark.smoke
def test_concurrent_pings_none_lost(served):
    """40 pings from 8 clients at once: every one answered and stored."""
    results = []

    def client(number):
        for k in range(5):
            result = post(served.ping_url(), {"url": "http://c%d.example/%d" % (number, k), "title": "c%d-%d" % (number, k)})
            results.append(result.text)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [SUCCESS] * 40
    pings = pings_of(served)
    assert len(pings) == 40 and len({p.source_url for p in pings}) == 40
    import xml.etree.ElementTree as ET
    feed = ET.parse(os.path.join(served.archives, "%d.xml" % served.item.id)).getroot()
    newest = [p.title for p in sorted(pings, key=lambda p: p.id, reverse=True)[:10]]
    assert [i.findtext("title") for i in feed.find("channel").findall("item")] == newest
