"""The published weblog on a phone (issue 23, §5): the default templates and the
TrackBack listing popup read at 360 px without zooming or scrolling sideways,
and keep Movable Type 2.x's two columns at desktop width; what the pages say
about a category's TrackBack URL (§3): a passphrase-protected category shows
no URL that every ping to it would be refused at, and the popup names a
category as a category; a category's ID.xml feed links to its archive page."""

import os
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest

from support.publishing import rebuild
from support.servers import start_lighttpd, stop

LONG_URL = "https://example.org/" + "a-very-long-path-segment-without-any-break" * 4 + "?q=" + "x" * 80
PRE_LINE = "mtpy rebuild --blog 1 " + "--a-long-option=value " * 12


def wide_png(width=900, height=120):
    """A PNG wider than a phone's screen (blue), standing for an author's photo in an entry."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x33\x66\x99" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def phone_weblog(site):
    """The site's weblog with what makes a page wider than a phone: an entry
    with a wide picture, a line of <pre>, a long URL in its text and in a
    ping; a category that takes pings and one protected by a passphrase.
    Published; returns the long entry."""
    with open(os.path.join(site.archives, "wide.png"), "wb") as handle:
        handle.write(wide_png())
    public, public_item = site.add_category(label="Perl", description="All about Perl", allow_pings=True)
    secret, _ = site.add_category(label="Friends only", allow_pings=True, passphrase="s3cret-words")
    body = ('<p>A picture of the garden:</p>\n<p><img src="%swide.png" alt="The garden" /></p>\n'
            '<p>The command, as typed:</p>\n<pre>%s</pre>\n<p>Read it at %s before it moves.</p>'
            % (site.base, PRE_LINE, LONG_URL))
    entry, item = site.add_entry(title="A long entry with a picture", body=body,
                                 category_ids=[public.id, secret.id], created_on="2026-11-24 12:00:00")
    from mtpy.models import Ping
    store = site.store()
    store.insert(Ping(blog_id=site.blog.id, tb_id=item.id, title="Re: the garden", source_url=LONG_URL,
                      excerpt="A reply from a weblog whose address never ends: " + LONG_URL,
                      blog_name="A weblog with a rather long name indeed", ip="10.0.0.1",
                      created_on="2026-11-24 13:00:00"))
    store.insert(Ping(blog_id=site.blog.id, tb_id=public_item.id, title="Perl news", source_url="http://p.example/",
                      blog_name="Perl Weekly", ip="10.0.0.2", created_on="2026-11-24 14:00:00"))
    store.close()
    rebuild(site)
    return entry, public, secret


# Text a phone reads without zooming: the entries at 16 px, nothing under 14 px.
BODY_TEXT_PX, SMALLEST_TEXT_PX = 16, 14
# WCAG 2.2's minimum target size (2.5.8): links outside a sentence.
TAP_TARGET_PX = 24

# Each element that holds text directly, with its font size and, for links
# outside the entries' own text (sidebar, calendar, navigation, the lines under
# an entry; not the one in the sentence "Powered by mtpy, with TrackBack"),
# their height.
MEASURE = """() => {
    const sizes = [], targets = [];
    for (const element of document.body.querySelectorAll('*')) {
        const own = [...element.childNodes].some(node => node.nodeType === 3 && node.textContent.trim());
        const box = element.getBoundingClientRect();
        if (own && box.width > 0) {
            sizes.push([element.tagName + '.' + element.className, parseFloat(getComputedStyle(element).fontSize)]);
        }
        if (element.tagName === 'A' && box.width > 0 && element.closest('#links, .nav, .posted, .category-pings')
                && !element.closest('.powered')) {
            targets.push([element.textContent.trim(), box.height]);
        }
    }
    return {sizes, targets};
}"""


def columns(page):
    """The boxes of the entries' column and the sidebar."""
    return [page.locator(selector).bounding_box() for selector in ("#content", "#links")]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_main_index_entry_page_and_popup_read_on_a_phone_and_keep_two_columns_on_a_desktop(site, browser):
    """At 360 px (a phone): no sideways scrolling (a wide picture, a line of
    code, long addresses), entries at 16 px and nothing under 14, the sidebar
    below the entries, links a thumb can hit. At 1280 px: Movable Type's two
    columns, entries on the left and links on the right, at MT's small size."""
    entry, _, _ = phone_weblog(site)
    server = start_lighttpd(site)
    try:
        urls = {"main index": site.base + "index.html", "entry page": site.base + "%06d.html" % entry.id,
                "popup": site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % entry.id}
        page = browser.new_page(viewport={"width": 360, "height": 740})
        for name, url in urls.items():
            page.goto(url, timeout=30000)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 360, name
            measured = page.evaluate(MEASURE)
            too_small = [(what, size) for what, size in measured["sizes"] if size < SMALLEST_TEXT_PX]
            assert not too_small, (name, too_small)
            if name == "popup":
                assert "Re: the garden" in page.locator(".trackback-body").inner_text()
                continue
            text = page.locator(".blogbody p").first
            assert float(text.evaluate("p => parseFloat(getComputedStyle(p).fontSize)")) >= BODY_TEXT_PX, name
            picture = page.locator(".blogbody img").first.bounding_box()
            assert 0 < picture["width"] <= 360 and picture["height"] < 120, name      # scaled, not cropped
            content, links = columns(page)
            assert links["y"] >= content["y"] + content["height"], name              # one column
            small = [(what, height) for what, height in measured["targets"] if height < TAP_TARGET_PX]
            assert len(measured["targets"]) > 10 and not small, (name, small)
        page.set_viewport_size({"width": 1280, "height": 900})
        for name, url in urls.items():
            page.goto(url, timeout=30000)
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 1280, name
            if name == "popup":
                continue
            content, links = columns(page)
            assert links["x"] >= content["x"] + content["width"], name              # side by side
            assert abs(links["y"] - content["y"]) < 20 and content["width"] > 2 * links["width"], name
            assert page.locator(".blogbody p").first.evaluate("p => getComputedStyle(p).fontSize") == "13px"
    finally:
        stop(server)


# -- a category's feed ----------------------------------------------------------------------------

def feed_link(site, item):
    with open(os.path.join(site.archives, "%d.xml" % item.id), encoding="utf-8") as handle:
        return ET.fromstring(handle.read()).findtext("channel/link")


def test_a_categorys_feed_links_to_its_archive_page(site):
    """ID.xml and __mode=rss of a category (written by a ping to it) link to the
    category's archive page, as an entry's link to the entry's page; so do those
    of a category saved before the store kept that address (its item's url empty)."""
    from mtpy.models import Trackback
    from mtpy.publish.feeds import write_file
    from support.http import SUCCESS, http, post
    from support.wsgi import serving
    category, item = site.add_category(label="Perl & Friends", allow_pings=True)
    with serving(site):
        assert post(site.ping_url(item), {"url": "http://a.example/", "title": "On Perl"}).text == SUCCESS
        assert post(site.ping_url(), {"url": "http://b.example/", "title": "On hello"}).text == SUCCESS
        assert feed_link(site, item) == site.base + "cat_perl_friends.html"
        assert feed_link(site, site.item) == site.base + "%06d.html" % site.entry.id
        rss = ET.fromstring(http(site.ping_url(item) + "?__mode=rss").body)
        assert rss.findtext("rss/channel/link") == site.base + "cat_perl_friends.html"
    store = site.store()
    older = store.get(Trackback, item.id)
    older.url = ""
    store.update(older)
    write_file(store, store.get(type(site.blog), site.blog.id), store.get(Trackback, item.id))
    store.close()
    assert feed_link(site, item) == site.base + "cat_perl_friends.html"
    with serving(site):         # __mode=rss of that category says the same
        rss = ET.fromstring(http(site.ping_url(item) + "?__mode=rss").body)
        assert rss.findtext("rss/channel/link") == site.base + "cat_perl_friends.html"
