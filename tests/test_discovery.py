"""TrackBack auto-discovery (the RDF block, `<link rel="trackback">`): reading the ping URLs pages
announce (captured Movable Type 5.2 and WordPress 6.1 pages, mtpy's own, MT
2.2's older form, broken and hostile pages), and adding those of an entry's
links to its URLs to ping, fetched from a local server."""

import os
import threading

import pytest

from conftest import SAMPLES, Site
from support.local_web import SILENT, LocalWeb
from mtpy import outbound
from mtpy.actions.discovery import MAX_LINKS, add_discovered, discover, links_of
from mtpy.config import Config
from mtpy.models import Blog, Entry
from mtpy.publish.rebuild import Publisher
from mtpy.trackback.discover import MAX_ITEMS, MAX_PAGE_CHARS, Item, ping_url_for, trackback_items
from mtpy.trackback.rdf import rdf_block

MT_PERMALINK = "http://127.0.0.1:8052/site/themed/2026/11/its-deja-vu.html"
MT_SJIS_PERMALINK = "http://127.0.0.1:8052/site/themed/2026/11/post.html"
MT_PING = "http://127.0.0.1:8052/cgi-bin/mt/mt-tb.cgi/3"
WP_NONASCII = "http://127.0.0.1:8090/2026/11/24/its-deja-vu-%e6%97%a5%e6%9c%ac/"


def sample_bytes(name):
    with open(os.path.join(SAMPLES, name), "rb") as handle:
        return handle.read()


def sample_text(name):
    return sample_bytes(name).decode("utf-8")


def block(ping=None, identifier=None, title="", about=None, wrap=True):
    """An auto-discovery block with only the attributes given."""
    attributes = "".join('\n    %s="%s"' % (name, value) for name, value in (
        ("rdf:about", about), ("trackback:ping", ping), ("dc:title", title), ("dc:identifier", identifier))
        if value is not None)
    text = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
            '         xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/"\n'
            '         xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
            "<rdf:Description%s />\n</rdf:RDF>" % attributes)
    return "<!--\n%s\n-->" % text if wrap else text


def page(*parts, head=""):
    return "<!DOCTYPE html>\n<html><head><title>A page</title>%s</head><body>\n%s\n</body></html>" % (
        head, "\n<p>Some text between.</p>\n".join(parts))


# -- captured pages ----------------------------------------------------------------

def test_movable_type_52_entry_page():
    text = sample_text("movabletype-5.2-entry-page.html")
    assert trackback_items(text, MT_PERMALINK) == [Item(MT_PING, MT_PERMALINK, "It's déjà vu — 日本")]
    assert ping_url_for(text, MT_PERMALINK) == MT_PING
    assert ping_url_for(text, "http://127.0.0.1:8052/site/themed/2026/11/another.html") is None
    # The block cut out of the page reads the same.
    assert trackback_items(sample_text("movabletype-5.2-rdf.txt")) == trackback_items(text)


def test_movable_type_52_shift_jis_page_read_in_its_declared_charset():
    body = sample_bytes("movabletype-5.2-shift_jis-entry-page.html")
    # No charset in the header: the page's <meta> says Shift_JIS.
    text = outbound.decode_body(body, "text/html", "utf-8")
    [item] = trackback_items(text, MT_SJIS_PERMALINK)
    assert item == Item(MT_PING, MT_SJIS_PERMALINK, "日本語のトラックバック表示テスト")
    assert ping_url_for(text, MT_SJIS_PERMALINK) == MT_PING
    rdf = outbound.decode_body(sample_bytes("movabletype-5.2-shift_jis-rdf.txt"), "text/plain; charset=Shift_JIS")
    assert trackback_items(rdf) == [item]


def test_wordpress_61_blocks():
    text = sample_text("wordpress-6.1-rdf.txt")
    permalink = "http://127.0.0.1:8090/2026/11/24/trackback-harness-target/"
    assert trackback_items(text) == [Item(permalink + "trackback/", permalink, "TrackBack harness target")]
    assert ping_url_for(text, permalink) == permalink + "trackback/"

    nonascii = sample_text("wordpress-6.1-rdf-nonascii.txt")
    [item] = trackback_items(nonascii)
    assert item.title == "It\u2019s déjà vu — 日本"       # &#8217; decoded
    assert item.identifier == WP_NONASCII and item.ping_url == WP_NONASCII + "trackback/"
    # The same address however it is written in the entry: raw characters,
    # capital %-escapes, the scheme and host in capitals, the default port.
    for link in ("http://127.0.0.1:8090/2026/11/24/its-deja-vu-日本/",
                 "http://127.0.0.1:8090/2026/11/24/its-deja-vu-%E6%97%A5%E6%9C%AC/",
                 "HTTP://127.0.0.1:8090/2026/11/24/its-deja-vu-%e6%97%a5%e6%9c%ac/"):
        assert ping_url_for(nonascii, link) == WP_NONASCII + "trackback/"
    assert ping_url_for(nonascii, "http://127.0.0.1:8090/2026/11/24/its-deja-vu/") is None


# -- pages mtpy publishes ----------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_pages_mtpy_publishes(tmp_path, backend):
    site = Site(tmp_path / "site", backend)
    second, second_item = site.add_entry(title="Second & <last>", body="<p>Two</p>",
                                         created_on="2026-11-24 12:00:00")
    store = site.store()
    try:
        with store.rebuild_lock():
            Publisher(store, Config(site.config_path), store.get(Blog, site.blog.id),
                      now="2026-11-25 09:00:00").rebuild_all()
    finally:
        store.close()

    def published(name):
        with open(os.path.join(site.archives, name), encoding="utf-8") as handle:
            return handle.read()

    first_url = site.base + "000001.html"
    second_url = site.base + "%06d.html" % second.id
    assert trackback_items(published("000001.html"), first_url) == [
        Item(site.ping_url(), first_url, "Hello <World> & Co")]
    assert ping_url_for(published("000001.html"), first_url) == site.ping_url()
    # The main index: one block per entry, each standing for its permalink.
    index = published("index.html")
    assert sorted(item.ping_url for item in trackback_items(index, site.base)) == sorted(
        [site.ping_url(), site.ping_url(second_item)])
    assert ping_url_for(index, site.base) is None
    # The monthly archive: each entry is page#id; the link names which one.
    monthly_url = site.base + "2026_11.html"
    monthly = published("2026_11.html")
    identifiers = {item.identifier: item.ping_url for item in trackback_items(monthly, monthly_url)}
    assert len(identifiers) == 2 and all(key.startswith(monthly_url + "#") for key in identifiers)
    for identifier, ping_url in identifiers.items():
        assert ping_url_for(monthly, identifier) == ping_url
    assert ping_url_for(monthly, monthly_url) is None      # which of the two: not said


def test_a_block_rendered_by_mtpy_trackback_rdf():
    text = page(rdf_block("http://blog.example/a.html", "http://blog.example/mt-tb.cgi/7",
                          "Fish -- & <chips> \"quoted\" 'too'", "http://blog.example/a.html",
                          "Food", "An excerpt", "Melody", "2026-11-24T10:00:00+00:00"))
    assert trackback_items(text) == [Item("http://blog.example/mt-tb.cgi/7", "http://blog.example/a.html",
                                          "Fish - & <chips> \"quoted\" 'too'")]
    bare = rdf_block("http://blog.example/b.html", "http://blog.example/mt-tb.cgi/8", "B",
                     "http://blog.example/b.html", "", "", "", "", comment_wrap=False)
    assert ping_url_for(page(bare), "http://blog.example/b.html") == "http://blog.example/mt-tb.cgi/8"


# -- matching ----------------------------------------------------------------------

def test_fragments_either_side():
    # The entry links the page with a fragment; the block names the page.
    text = page(block("http://a.example/tb/1", "http://a.example/post.html"))
    assert ping_url_for(text, "http://a.example/post.html#comments") == "http://a.example/tb/1"
    # The block names page#entry; the entry links the page.
    text = page(block("http://a.example/tb/2", "http://a.example/post.html#000002"))
    assert ping_url_for(text, "http://a.example/post.html") == "http://a.example/tb/2"
    assert ping_url_for(text, "http://a.example/post.html#000002") == "http://a.example/tb/2"
    # Two different fragments are two different things.
    assert ping_url_for(text, "http://a.example/post.html#000003") is None


def test_three_blocks_and_a_match_on_the_second():
    text = page(*[block("http://a.example/tb/%d" % number, "http://a.example/2026_11.html#%06d" % number,
                        "Entry %d" % number) for number in (1, 2, 3)])
    items = trackback_items(text)
    assert [item.title for item in items] == ["Entry 1", "Entry 2", "Entry 3"]
    assert ping_url_for(text, "http://a.example/2026_11.html#000002") == "http://a.example/tb/2"
    assert ping_url_for(text, "http://a.example/2026_11.html") is None


def test_several_blocks_and_no_match():
    text = page(block("http://a.example/tb/1", "http://a.example/one.html"),
                block("http://a.example/tb/2", "http://a.example/two.html"),
                head='<link rel="trackback" href="http://a.example/tb/page">')
    assert len(trackback_items(text)) == 2
    assert ping_url_for(text, "http://a.example/index.html") is None


def test_movable_type_22_form():
    """MT 2.2's blocks had no trackback:ping: rdf:about was the ping URL."""
    text = page(block(about="http://old.example/mt/mt-tb.cgi/5", identifier="http://old.example/archives/000005.html",
                      title="Old times"))
    assert trackback_items(text) == [Item("http://old.example/mt/mt-tb.cgi/5",
                                          "http://old.example/archives/000005.html", "Old times")]
    assert ping_url_for(text, "http://old.example/archives/000005.html") == "http://old.example/mt/mt-tb.cgi/5"
    # A block with trackback:ping and no dc:identifier stands for its rdf:about.
    text = page(block("http://new.example/tb/9", about="http://new.example/9.html"))
    assert trackback_items(text) == [Item("http://new.example/tb/9", "http://new.example/9.html", "")]
    # An empty trackback:ping announces nothing (its rdf:about is the page, not a ping URL).
    assert trackback_items(page(block("", "http://new.example/9.html", about="http://new.example/9.html"))) == []
    # An rdf:about alone (a licence's block) announces nothing.
    assert trackback_items(page(block(about="http://creativecommons.org/licenses/by/1.0/"))) == []


def test_other_prefixes_relative_urls_and_single_quotes():
    text = ("<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#' "
            "xmlns:tb='http://madskills.com/public/xml/rss/module/trackback/' "
            "xmlns:meta='http://purl.org/dc/elements/1.1/'>"
            "<rdf:Description tb:ping='/tb.cgi?id=4&amp;x=1' meta:identifier='post4.html' "
            "meta:title='Four &#x26; &lt;more&gt;'/></rdf:RDF>")
    assert trackback_items(text, "http://c.example/blog/index.html") == [
        Item("http://c.example/tb.cgi?id=4&x=1", "http://c.example/blog/post4.html", "Four & <more>")]
    assert ping_url_for(text, "http://c.example/blog/post4.html") == "http://c.example/tb.cgi?id=4&x=1"


def test_link_rel_trackback():
    text = page("<p>no RDF here</p>", head='<LINK REL="alternate trackback" HREF="/trackback/?p=1&amp;a=b">')
    assert trackback_items(text, "http://d.example/post/") == [
        Item("http://d.example/trackback/?p=1&a=b", "http://d.example/post/", "")]
    assert ping_url_for(text, "http://d.example/post/") == "http://d.example/trackback/?p=1&a=b"
    assert trackback_items(page("<p>nothing</p>", head='<link rel="stylesheet" href="/s.css">'), "http://d.example/") == []


# -- hostile and broken pages ------------------------------------------------------

JUNK = [None, b"<rdf:RDF>", "", "<", "<!--", "<rdf:RDF", "<rdf:RDF></rdf:RDF>", "<rdf:RDF><rdf:Description",
        "<rdf:RDF><rdf:Description trackback:ping=\"http://x/</rdf:RDF>",
        "<rdf:RDF><rdf:Description trackback:ping=http://x/ /></rdf:RDF>",
        "<rdf:RDF><rdf:Description trackback:ping=\"\" dc:identifier=\"\"/></rdf:RDF>",
        '<rdf:RDF><rdf:Description trackback:ping="http://[::1/" dc:identifier="http://[x"/></rdf:RDF>',
        "<link rel=trackback", '<link rel="trackback" href="">', "\x00\ud800\uffff" * 1000,
        "".join(chr(code) for code in range(1, 0x3000))]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_gives_nothing(junk):
    assert trackback_items(junk, "http://[::1") == []
    assert trackback_items(junk) == []
    assert ping_url_for(junk, "http://x/") is None


def test_a_dtd_declares_nothing():
    laughs = "".join('<!ENTITY lol%d "%s">' % (number, "&lol%d;" % (number - 1) * 10) for number in range(1, 10))
    text = ('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [<!ENTITY lol0 "lol">%s'
            '<!ENTITY ping "http://evil.example/tb">]>\n' % laughs + page(
                block("http://e.example/tb/1", "http://e.example/1.html", "&lol9;"),
                block("&ping;", "http://e.example/2.html", "Two")))
    # The entity is never expanded: the title stays as written, and a ping URL
    # that only a DTD could make sense of is no ping URL.
    assert trackback_items(text) == [Item("http://e.example/tb/1", "http://e.example/1.html", "&lol9;")]
    assert ping_url_for(text, "http://e.example/2.html") is None


def test_a_huge_page_is_read_within_bounds():
    filler = "<p>" + "word " * 200 + "</p>\n"
    early = block("http://f.example/tb/1", "http://f.example/big.html")
    late = block("http://f.example/tb/2", "http://f.example/big.html#late")
    text = page(early, filler * (5 * 1024 * 1024 // len(filler)), late)
    assert len(text) > 5 * 1024 * 1024 > MAX_PAGE_CHARS
    # What lies past the first MAX_PAGE_CHARS is not read.
    assert trackback_items(text) == [Item("http://f.example/tb/1", "http://f.example/big.html", "")]
    assert ping_url_for(text, "http://f.example/big.html") == "http://f.example/tb/1"
    assert ping_url_for(text, "http://f.example/big.html#late") == "http://f.example/tb/1"


@pytest.mark.parametrize("unit", ["<rdf:RDF ", "<rdf:RDFx ", "<rdf:Description a=\"", "<rdf:Description ",
                                  " a=", "<link ", "<link rel=x>", "&amp;", "<!--"])
def test_pathological_pages_end(unit):
    """Repeated openings that never close: every scan moves forward only."""
    head = "<rdf:RDF><rdf:Description" if unit in (" a=", "&amp;") else ""
    tail = "</rdf:RDF>"
    text = head + unit * ((MAX_PAGE_CHARS - len(head) - len(tail)) // len(unit)) + tail
    assert trackback_items(text, "http://g.example/") == []
    assert ping_url_for(text, "http://g.example/") is None


def test_many_items_are_bounded():
    text = "<rdf:RDF>%s</rdf:RDF>" % (
        '<rdf:Description trackback:ping="http://h.example/tb" dc:identifier="http://h.example/"/>' * 5000)
    assert len(trackback_items(text)) == MAX_ITEMS


# -- the links of an entry ---------------------------------------------------------

def sender_blog(**values):
    values.setdefault("site_url", "http://sender.example/blog/")
    values.setdefault("archive_url", "https://archives.sender.example/")
    return Blog(id=1, name="Sender", autodiscover_links=True, **values)


def test_links_of_an_entry():
    blog = sender_blog()
    entry = Entry(id=5, blog_id=1, body=(
        '<p><a href="http://one.example/a.html">one</a> <A HREF=" http://two.example/b?x=1&amp;y=2 ">two</A>'
        ' <a href="/relative.html">relative</a> <a href="mailto:me@example.com">mail</a>'
        ' <a href="javascript:alert(1)">js</a> <a name="anchor">no href</a>'
        ' <a href="http://one.example/a.html">one again</a>'
        ' <a href="http://SENDER.example:80/blog/2026/11/own.html">own</a>'
        ' <a href="https://sender.example/blog">own, https, no slash</a>'
        ' <a href="http://sender.example/blogroll.html">not under /blog/</a>'
        ' <a href="http://archives.sender.example/000001.html">own archive</a>'
        ' <a href="ftp://files.example/x">ftp</a> <a href="http://bad host.example/">space</a>'
        ' <a href="http://[::1/">broken</a> <a title="x > y" href=http://bare.example/?a=b&amp;c>bare</a>'),
        extended='<p>More: <a href="https://three.example/c#part">three</a> <b>unclosed <a href="http://four.example/">')
    assert links_of(blog, entry) == [
        "http://one.example/a.html", "http://two.example/b?x=1&y=2", "http://sender.example/blogroll.html",
        "http://bare.example/?a=b&c", "https://three.example/c#part", "http://four.example/"]
    many = Entry(body="".join('<a href="http://many.example/%d">%d</a>' % (number, number) for number in range(50)))
    assert links_of(blog, many) == ["http://many.example/%d" % number for number in range(MAX_LINKS)]


# -- fetching the linked pages -----------------------------------------------------

class Pages(LocalWeb):
    """The pages an entry links to, served on 127.0.0.1."""

    def rdf_page(self, path, ping_path):
        """A page whose block names it and the ping URL at ping_path."""
        return self.html(path, page(block(self.base + ping_path, self.base + path, "Page " + path)))


@pytest.fixture
def pages():
    with Pages() as running:
        yield running


@pytest.fixture
def config(tmp_path):
    return Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\nLogFile %s\n" % (tmp_path / "mtpy.log"))


def linking_entry(*links, **values):
    values.setdefault("title", "Links")
    body = "".join('<p><a href="%s">a link</a></p>\n' % link.replace("&", "&amp;") for link in links)
    return Entry(body=body, **values)


def trackback_urls(found):
    """discover()'s answer as {link: the TrackBack ping URL announced, or None}."""
    return {link: announced and announced.trackback for link, announced in found.items()}


def test_discover_maps_each_link_to_its_ping_url(pages, config):
    rdf = pages.rdf_page("/rdf.html", "/tb/rdf")
    # The captured Shift_JIS page, moved to a Japanese address: only read in
    # the charset its <meta> declares (the header names none) does its block
    # name the page linked.
    sjis = pages.base + "/日本.html"
    sjis_body = (sample_bytes("movabletype-5.2-shift_jis-entry-page.html")
                 .replace(MT_SJIS_PERMALINK.encode(), sjis.encode("shift_jis"))
                 .replace(MT_PING.encode(), (pages.base + "/tb/sjis").encode()))
    pages.url("/%E6%97%A5%E6%9C%AC.html", (200, {"Content-Type": "text/html"}, sjis_body))
    link_rel = pages.html("/link-rel.html", page("<p>no RDF</p>", head='<link rel="trackback" href="/tb/link">'))
    plain = pages.html("/plain.html", page("<p>no TrackBack at all</p>"))
    missing = pages.base + "/missing.html"
    moved = pages.url("/moved", (302, {"Location": "/moved-here.html"}, b""))
    pages.rdf_page("/moved-here.html", "/tb/moved")
    picture = pages.url("/picture.png", (200, {"Content-Type": "image/png"}, page(block(
        pages.base + "/tb/png", pages.base + "/picture.png")).encode()))
    huge = pages.html("/huge.html", page(block(pages.base + "/tb/huge", pages.base + "/huge.html"), "x" * 600 * 1024))
    refused = "http://10.0.0.1/private.html"       # not allowed by OutboundAllowAddresses
    entry = linking_entry(rdf, sjis, link_rel, plain, missing, moved, picture, huge, refused, id=3, blog_id=1)
    assert trackback_urls(discover(config, sender_blog(), entry, deadline_seconds=20)) == {
        rdf: pages.base + "/tb/rdf", sjis: pages.base + "/tb/sjis", link_rel: pages.base + "/tb/link",
        plain: None, missing: None, moved: pages.base + "/tb/moved", picture: None, huge: None, refused: None}
    assert discover(config, sender_blog(), Entry(body="<p>no links</p>")) == {}


def test_discover_returns_by_its_deadline_whatever_a_fetch_does(monkeypatch, config):
    """A fetch that outlives the deadline (a name lookup cannot be
    interrupted) is left behind: its link gives None."""
    released, finished = threading.Event(), []
    real_fetch = outbound.fetch

    def fetch(config, url, **options):
        if "stuck" in url:
            released.wait(30)
            finished.append(url)
            raise outbound.OutboundError("released")
        return real_fetch(config, url, **options)

    with Pages() as pages:
        found = pages.rdf_page("/found.html", "/tb/found")
        monkeypatch.setattr(outbound, "fetch", fetch)
        try:
            entry = linking_entry("http://stuck.example/", found, id=4, blog_id=1)
            assert trackback_urls(discover(config, sender_blog(), entry, deadline_seconds=1)) == {
                "http://stuck.example/": None, found: pages.base + "/tb/found"}
            assert finished == []       # returned while that fetch was still stuck
        finally:
            released.set()


@pytest.fixture
def blog(store, pages):
    sender = Blog(name="Sender", site_url=pages.base + "/blog/", archive_url=pages.base + "/blog/archives/",
                  autodiscover_links=True)
    store.save(sender)
    return sender


def test_add_discovered_adds_the_new_ping_urls_within_the_deadline(store, config, blog, pages):
    found = pages.rdf_page("/found.html", "/tb/found")
    link_rel = pages.html("/link-rel.html", page(head='<link rel="trackback" href="%s/tb/link">' % pages.base))
    plain = pages.html("/plain.html", page("<p>nothing</p>"))
    missing = pages.base + "/missing.html"
    to_ping = pages.rdf_page("/to-ping.html", "/tb/to-ping")
    pinged = pages.rdf_page("/pinged.html", "/tb/pinged")
    twice = pages.rdf_page("/twice.html", "/tb/found")      # a second page announcing the same ping URL
    silent = pages.url("/silent.html", SILENT)
    own = pages.rdf_page("/blog/archives/000001.html", "/tb/own")
    entry = linking_entry(found, own, link_rel, plain, missing, to_ping, pinged, twice, silent,
                          blog_id=blog.id, to_ping_urls=["http://typed.example/tb", pages.base + "/tb/to-ping"],
                          pinged_urls=[pages.base + "/tb/pinged"])
    store.save(entry)

    added = add_discovered(store, config, blog, entry.id, deadline_seconds=3)
    assert added == [pages.base + "/tb/found", pages.base + "/tb/link"]
    saved = store.get(Entry, entry.id)
    assert saved.to_ping_urls == ["http://typed.example/tb", pages.base + "/tb/to-ping"] + added
    assert saved.pinged_urls == [pages.base + "/tb/pinged"]
    assert "/blog/archives/000001.html" not in pages.paths()     # the weblog's own page: never fetched
    assert "/silent.html" in pages.paths()                        # asked, and given up at the deadline
    # Found again on the next save: nothing twice.
    pages.release()
    assert add_discovered(store, config, blog, entry.id, deadline_seconds=3) == []
    assert store.get(Entry, entry.id).to_ping_urls == saved.to_ping_urls


def test_add_discovered_only_when_asked_and_published(store, config, blog, pages):
    found = pages.rdf_page("/found.html", "/tb/found")
    draft = linking_entry(found, blog_id=blog.id, status="Draft")
    store.save(draft)
    assert add_discovered(store, config, blog, draft.id, deadline_seconds=5) == []
    published = linking_entry(found, blog_id=blog.id)
    store.save(published)
    blog.autodiscover_links = False
    assert add_discovered(store, config, blog, published.id, deadline_seconds=5) == []
    assert pages.paths() == []
    assert store.get(Entry, published.id).to_ping_urls == []
    blog.autodiscover_links = True
    assert add_discovered(store, config, blog, published.id, deadline_seconds=5) == [pages.base + "/tb/found"]
    assert add_discovered(store, config, blog, 9999, deadline_seconds=5) == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_saving_in_mt_cgi_discovers_pings_a_remote_mtpy_and_notifies_the_services(tmp_path, cms):
    """The whole chain, as a weblog owner meets it: mt.cgi saves an entry that
    links to another mtpy weblog's entry page and to a page without TrackBack;
    after the answer, the remote entry gets the ping and the weblog's update
    service its weblogUpdates.ping."""
    from conftest import start_lighttpd, wait_for
    from support.client import entry_fields
    from support.local_web import Directory
    site, client = cms
    remote = Site(tmp_path / "remote", "sqlite")
    store = remote.store()
    try:
        with store.rebuild_lock():
            Publisher(store, remote.config, store.get(Blog, remote.blog.id)).rebuild_all()
    finally:
        store.close()
    with open(os.path.join(remote.archives, "plain.html"), "w") as handle:
        handle.write("<html><head><title>No TrackBack here</title></head><body>Hi</body></html>")
    directory = Directory()
    server = start_lighttpd(remote)
    try:
        site.update_config("OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\n")
        client.get("blog_settings", blog_id=site.blog.id)
        settings = {"name": site.blog.name, "site_url": site.blog.site_url, "site_path": site.blog.site_path,
                    "archive_url": site.blog.archive_url, "archive_path": site.blog.archive_path,
                    "timezone": "0.0", "autodiscover_links": "1", "update_ping_urls": directory.url}
        assert client.post("blog_settings", settings, blog_id=site.blog.id).status == 200
        remote_page = remote.base + "000001.html"
        body = '<p>Read <a href="%s">their entry</a> and <a href="%splain.html">this</a>.</p>' % (
            remote_page, remote.base)
        client.get("entry_edit", blog_id=site.blog.id)
        saved = client.post("entry_edit", entry_fields(status="Publish", title="About theirs", body=body),
                            blog_id=site.blog.id)
        assert saved.status == 200

        def remote_pings():
            remote_store = remote.store()
            try:
                return remote_store.list_pings(tb_id=remote.item.id)
            finally:
                remote_store.close()
        [ping] = wait_for(remote_pings)
        assert ping.title == "About theirs" and ping.blog_name == site.blog.name
        [entry] = wait_for(lambda: [entry for entry in site.entries() if entry.pinged_urls])
        assert entry.pinged_urls == [remote.ping_url()]
        # The remote's server announces its Webmention endpoint on every page
        # (docs/lighttpd.conf): the plain page is told, and answers that it
        # takes none; said once, final.
        [(page, failure)] = entry.ping_failures.items()
        assert page == remote.base + "plain.html" and failure["final"] and failure["protocol"] == "webmention"
        assert failure["error"].startswith("HTTP 400 Bad Request: The specified target URL does not exist")
        assert wait_for(lambda: directory.calls) == [(site.blog.name, site.blog.site_url)]
        # The activity log shows the service's outcome.
        assert wait_for(lambda: "Update ping to %s: sent" % directory.url
                        in client.get("activity", blog_id=site.blog.id).text)
    finally:
        directory.close()
        server.terminate()
        server.wait(timeout=10)


def test_a_retried_job_pings_again_without_fetching_the_pages_again(store, pages, config):
    from mtpy.actions.entries import save_entry
    from mtpy.models import Job
    from mtpy.work import run_jobs
    from support.local_web import ACCEPTED as SUCCESS, HTML_500
    from support.stores import make_due
    with LocalWeb() as receivers:
        ping = receivers.url("/tb/1", HTML_500)
        link = pages.html("/post.html", page(block(ping, pages.base + "/post.html", "Their post")))
        blog = sender_blog().copy(id=None)
        store.save(blog)
        entry = save_entry(store, config, blog, None, {"title": "Mine", "status": "Publish",
                                                       "body": '<p><a href="%s">theirs</a></p>' % link}).record
        [job] = store.find(Job, kind="send_pings")
        assert job.payload == {"entry_id": entry.id, "discover": 1}
        assert run_jobs(store, config, [job.id]) == (0, 1)
        assert store.get(Job, job.id).payload == {"entry_id": entry.id}
        receivers.answers["/tb/1"] = SUCCESS
        make_due(store)
        assert run_jobs(store, config, [job.id]) == (1, 0)
        assert store.get(Entry, entry.id).pinged_urls == [ping]
        assert len(receivers.posts_to("/tb/1")) == 2
        assert pages.paths() == ["/post.html"]
