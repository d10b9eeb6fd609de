"""Pingback and Webmention on published pages (issue 22 §1, "Advertised where
senders look" and "Shown like a person expects"): the MT tags that print the
discovery links and a ping's protocol, kind and author, <MTPings kind="...">,
the reactions line; the discovery links inserted into a page whose (older,
edited) template lacks them; what ID.xml and `__mode=rss` show of the new
pings. Pings of the new protocols are put straight into the store, as the
receiver leaves them once their source is checked."""

import os
import re
import xml.etree.ElementTree as ET

import pytest

from mtpy.models import Blog, Ping
from mtpy.publish.tags import advertise
from mtpy.trackback.envelope import rss
from support.http import http
from support.mtml import BASE, CGI, weblog  # noqa: F401  (weblog: the fixture)
from support.publishing import publisher, rebuild
from support.wsgi import serving

PINGBACK = CGI + "mt-pingback.cgi"
WEBMENTION = CGI + "mt-webmention.cgi"
LINKS = ('<link rel="pingback" href="%s" />\n<link rel="webmention" href="%s" />' % (PINGBACK, WEBMENTION))
# How WordPress (and the Pingback specification) find a Pingback server in a page's text.
WORDPRESS = re.compile(r'<link rel="pingback" href="([^"]+)" ?/?>')

HOSTILE = dict(author_name='<script>alert("n")</script>Ann "A" O\'Neil &amp;',
               author_url='http://ann.example/"onmouseover="alert(1)',
               author_photo="javascript:alert(2)")


def linkback(weblog, item, protocol="webmention", kind="mention", **values):
    values.setdefault("source_url", "http://%s.example/%s" % (protocol, kind))
    values.setdefault("created_on", "2026-11-04 20:00:00")
    return weblog.ping(item, protocol=protocol, kind=kind, target_url=BASE + "x.html", ip="10.0.0.9", **values)


def save_blog(weblog, **changes):
    for name, value in changes.items():
        setattr(weblog.blog, name, value)
    weblog.store.save(weblog.blog)


# -- discovery links -----------------------------------------------------------------------------

def test_discovery_links_where_pings_are_taken_and_the_protocol_accepted(weblog):
    entry = dict(page="entry", entry=weblog.second)
    tag = "<$MTEntryLinkbackLinks$>"
    page = weblog.render(tag, **entry)
    assert page == LINKS
    assert WORDPRESS.findall(page) == [PINGBACK]
    assert weblog.render(tag, page="entry", entry=weblog.third) == ""         # takes no pings
    assert weblog.render("<$MTCategoryLinkbackLinks$>", page="category", category=weblog.perl) == LINKS
    assert weblog.render("<$MTCategoryLinkbackLinks$>", page="category", category=weblog.travel) == ""
    assert weblog.render("<$MTPingbackURL$>|<$MTWebmentionURL$>") == PINGBACK + "|" + WEBMENTION
    # Today's, the third (closed) and the second entry's.
    assert weblog.render('<MTEntries lastn="3"><$MTEntryLinkbackLinks$>|</MTEntries>') == LINKS + "||" + LINKS + "|"

    save_blog(weblog, accept_pingback=False)
    assert weblog.render(tag, **entry) == '<link rel="webmention" href="%s" />' % WEBMENTION
    assert weblog.render("<$MTPingbackURL$>|<$MTWebmentionURL$>") == "|" + WEBMENTION
    save_blog(weblog, accept_pingback=True, accept_webmention=False)
    assert weblog.render(tag, **entry) == '<link rel="pingback" href="%s" />' % PINGBACK
    save_blog(weblog, accept_webmention=True, accept_pings=False)                # every protocol closed
    assert weblog.render(tag, **entry) == ""


def test_advertise_inserts_only_what_a_head_lacks():
    page = "<html><head><title>x</title></head><body>rel=\"pingback\"</body></html>"
    assert advertise(page, LINKS) == ("<html><head><title>x</title>\n" + LINKS + "\n</head>"
                                      "<body>rel=\"pingback\"</body></html>")
    own = "<HEAD>\n<LINK REL='pingback' HREF='http://mine.example/xmlrpc'>\n</Head >\n"
    assert advertise(own, LINKS) == own.replace("</Head >", '<link rel="webmention" href="%s" />\n</Head >'
                                                % WEBMENTION)
    assert advertise(advertise(page, LINKS), LINKS) == advertise(page, LINKS)
    assert advertise("<p>no head</p>", LINKS) == "<p>no head</p>"
    assert advertise(page, "") == page


# -- a ping's protocol, kind and author ------------------------------------------------------------

def test_ping_tags_show_protocol_kind_and_author(weblog):
    item = weblog.item(weblog.second)
    linkback(weblog, item, kind="reply", title="Re: Perl", author_name="Ann", author_url="https://ann.example/",
             author_photo="https://ann.example/me.jpg", blog_name="Ann's Notes")
    linkback(weblog, item, protocol="pingback", title="WordPress post")
    source = ('<MTPings lastn="2" sort_order="ascend"><$MTPingProtocol$>/<$MTPingProtocolName$>/<$MTPingKind$>/'
              '<$MTPingAuthorName$>/<$MTPingAuthorURL$>/<$MTPingAuthorPhoto$>/<$MTPingTargetURL$>/'
              '<MTPingIfAuthorName>named<MTElse>anonymous</MTElse></MTPingIfAuthorName>/'
              '<MTPingIfAuthorPhoto>photo</MTPingIfAuthorPhoto>/'
              '<MTPingIfKind kind="reply">reply<MTElse>not a reply</MTElse></MTPingIfKind>/'
              '<MTPingIfProtocol protocol="pingback, webmention">new</MTPingIfProtocol>\n</MTPings>')
    assert weblog.render(source, page="entry", entry=weblog.second) == (
        "webmention/Webmention/reply/Ann/https://ann.example//https://ann.example/me.jpg/%sx.html/named/photo/"
        "reply/new\n"
        "pingback/Pingback/mention////%sx.html/anonymous//not a reply/new\n" % (BASE, BASE))
    # A ping of MT's time is a TrackBack mention with no author.
    assert weblog.render('<MTPings lastn="1" offset="2"><$MTPingProtocolName$> <$MTPingKind$> '
                         '[<$MTPingAuthorName$>]</MTPings>', page="entry", entry=weblog.second) == \
        "TrackBack mention []"


def test_hostile_author_fields_stay_text_and_unsafe_urls_are_dropped(weblog):
    linkback(weblog, weblog.item(weblog.second), kind="reply", title="t", **HOSTILE)
    source = ('<MTPings lastn="1"><a href="<$MTPingAuthorURL$>" title="<$MTPingAuthorName$>">'
              '<img src="<$MTPingAuthorPhoto$>" alt=\'<$MTPingAuthorName encode_js="1"$>\' />'
              '<MTPingIfAuthorPhoto>SHOWN</MTPingIfAuthorPhoto></a></MTPings>')
    page = weblog.render(source, page="entry", entry=weblog.second)
    name = "alert(&quot;n&quot;)Ann &quot;A&quot; O&#39;Neil &amp;"     # tags gone, quotes escaped
    assert page == ('<a href="http://ann.example/&quot;onmouseover=&quot;alert(1)" title="%s">'
                    '<img src="" alt=\'alert(\\x26quot;n\\x26quot;)Ann \\x26quot;A\\x26quot; O\\x26#39;Neil '
                    '\\x26amp;\' /></a>' % name)
    assert "<script" not in page and "javascript:" not in page and "SHOWN" not in page


# -- replies and mentions apart from reactions ------------------------------------------------------

def test_pings_kind_lists_some_kinds_and_a_trackback_era_template_lists_all(weblog):
    item = weblog.item(weblog.second)
    for number, kind in enumerate(("reply", "like", "mention", "repost", "bookmark", "like")):
        linkback(weblog, item, kind=kind, title="%s %d" % (kind, number), author_name="P%d" % number,
                 created_on="2026-11-04 20:%02d:00" % number)
    entry = dict(page="entry", entry=weblog.second)
    line = "<$MTPingTitle$>;"
    assert weblog.render('<MTPings kind="reply,mention">%s</MTPings>' % line, **entry) == \
        "alert(1)Nice &quot;post&quot;;Reply;reply 0;mention 2;"
    assert weblog.render('<MTPings kind="Like, repost, bookmark">%s</MTPings>' % line, **entry) == \
        "like 1;repost 3;bookmark 4;like 5;"
    assert weblog.render('<MTPings kind="like" lastn="1">%s</MTPings>' % line, **entry) == "like 5;"
    assert weblog.render('<MTPings kind="reply,mention" lastn="2" offset="1">%s</MTPings>' % line, **entry) == \
        "reply 0;Reply;"
    # MT's own <MTPings>: every shown ping, each as a ping.
    assert weblog.render("<MTPings>%s</MTPings>" % line, **entry) == (
        "alert(1)Nice &quot;post&quot;;Reply;reply 0;like 1;mention 2;repost 3;bookmark 4;like 5;")
    assert weblog.render("<$MTEntryTrackbackCount$>", **entry) == "8"
    # The weblog's pings (no entry in context) and a category's, by kind too.
    assert weblog.render('<MTPings kind="repost">%s</MTPings>' % line) == "repost 3;"
    assert weblog.render('<MTPings kind="like">x</MTPings>', page="category", category=weblog.perl) == ""
    with pytest.raises(ValueError, match='kind must be one of: mention, reply, like, repost, bookmark'):
        weblog.render('<MTPings kind="love"></MTPings>')
    with pytest.raises(ValueError, match='needs kind="..."'):
        weblog.render("<MTPings><MTPingIfKind>x</MTPingIfKind></MTPings>")


def test_reactions_line(weblog):
    item = weblog.item(weblog.second)
    entry = dict(page="entry", entry=weblog.second)
    assert weblog.render("<MTEntryIfReactions>[<$MTEntryReactions$>]<MTElse>none</MTEntryIfReactions>",
                         **entry) == "none"
    for number, (kind, name) in enumerate((("like", "Ann"), ("repost", "Cy"), ("like", ""), ("bookmark", "Di"),
                                           ("like", HOSTILE["author_name"]))):
        linkback(weblog, item, kind=kind, author_name=name, source_url="http://r%d.example/p?a=1&b=2" % number,
                 created_on="2026-11-04 20:%02d:00" % number)
    linkback(weblog, item, kind="like", author_name="Withdrawn", visible=False, withdrawn=True)
    linkback(weblog, item, kind="like", author_name="Held", visible=False)
    link = '<a href="http://r%d.example/p?a=1&amp;b=2" rel="nofollow">%s</a>'
    ann = link % (0, "Ann")
    hostile = link % (4, "alert(&quot;n&quot;)Ann &quot;A&quot; O&#39;Neil &amp;")
    assert weblog.render("<MTEntryIfReactions>[<$MTEntryReactions$>]</MTEntryIfReactions>", **entry) == (
        "[Liked by %s, %s, %s; reposted by %s; bookmarked by %s]"
        % (ann, link % (2, "r2.example"), hostile, link % (1, "Cy"), link % (3, "Di")))
    assert weblog.render('<$MTEntryReactions names="1"$>', **entry) == (
        "Liked by %s and 2 others; reposted by %s; bookmarked by %s" % (ann, link % (1, "Cy"), link % (3, "Di")))
    assert weblog.render("<$MTEntryReactions$>", page="entry", entry=weblog.first) == ""


# -- published pages ---------------------------------------------------------------------------------

# An Individual Entry Archive as a weblog kept it from before Pingback: its own
# markup, no discovery tags.
EDITED_ENTRY_TEMPLATE = """\
<html>
<head>
<title>My own: <$MTEntryTitle encode_html="1"$></title>
</head>
<body class="mine"><h1><$MTEntryTitle encode_html="1"$></h1>
<MTPings><p class="old-ping"><$MTPingTitle$></p></MTPings>
</body>
</html>
"""


def set_template(site, filename, text):
    folder = os.path.join(site.config.get("DataSource"), "templates", "blog-%d" % site.blog.id)
    with open(os.path.join(folder, filename), "w", encoding="utf-8") as handle:
        handle.write(text)


def read(site, name):
    with open(os.path.join(site.archives, name), encoding="utf-8") as handle:
        return handle.read()


def test_an_edited_old_template_gets_the_links_on_the_next_rebuild(site):
    closed, _ = site.add_entry(title="Closed", body="x", allow_pings=False, created_on="2026-11-24 12:00:00")
    category, _ = site.add_category(label="Talk", allow_pings=True)
    rebuild(site)                                   # the weblog's own copies are made
    set_template(site, "entry-archive.mtml", EDITED_ENTRY_TEMPLATE)
    set_template(site, "category-archive.mtml", "<html><head><link rel='pingback' href='http://own.example/'>"
                 "</head><body>Talk</body></html>")
    store = site.store()
    store.insert(Ping(blog_id=site.blog.id, tb_id=site.item.id, title="A reply", protocol="webmention",
                      kind="reply", source_url="http://r.example/", created_on="2026-11-24 12:00:00"))
    entry = store.get(type(site.entry), site.entry.id)
    entry.category_ids = [category.id]
    store.save(entry)
    store.close()
    rebuild(site)
    page = read(site, "%06d.html" % site.entry.id)
    pingback, webmention = site.base + "cgi-bin/mt-pingback.cgi", site.base + "cgi-bin/mt-webmention.cgi"
    assert page == (
        "<html>\n<head>\n<title>My own: Hello &lt;World&gt; &amp; Co</title>\n"
        '<link rel="pingback" href="%s" />\n<link rel="webmention" href="%s" />\n</head>\n'
        '<body class="mine"><h1>Hello &lt;World&gt; &amp; Co</h1>\n<p class="old-ping">A reply</p>\n'
        "</body>\n</html>\n" % (pingback, webmention))
    assert WORDPRESS.findall(page) == [pingback]
    # The category page had its own Pingback link: kept, and only Webmention's added.
    assert read(site, "cat_talk.html") == ("<html><head><link rel='pingback' href='http://own.example/'>\n"
                                           '<link rel="webmention" href="%s" />\n</head><body>Talk</body></html>'
                                           % webmention)
    assert "rel=\"pingback\"" not in read(site, "%06d.html" % closed.id)      # takes no pings
    assert "rel=\"pingback\"" not in read(site, "2026_11.html")               # not a target
    assert "rel=\"pingback\"" not in read(site, "index.html")
    assert rebuild(site).written == []              # the same text again: nothing rewritten


def test_default_pages_carry_the_links_once(site):
    rebuild(site)
    page = read(site, "%06d.html" % site.entry.id)
    head = page.split("</head>")[0]
    assert head.count('<link rel="pingback" href="%scgi-bin/mt-pingback.cgi" />\n' % site.base) == 1
    assert head.count('<link rel="webmention" href="%scgi-bin/mt-webmention.cgi" />\n' % site.base) == 1
    assert page.count('rel="pingback"') == 1 and page.count('rel="webmention"') == 1
    store = site.store()
    blog = store.get(Blog, site.blog.id)
    blog.accept_pingback = False
    store.save(blog)
    store.close()
    rebuild(site)
    assert 'rel="pingback"' not in read(site, "%06d.html" % site.entry.id)
    assert 'rel="webmention"' in read(site, "%06d.html" % site.entry.id)


# -- feeds ---------------------------------------------------------------------------------------------

def test_id_xml_and_mode_rss_carry_the_new_pings(site):
    store = site.store()
    base = dict(blog_id=site.blog.id, tb_id=site.item.id, protocol="webmention", target_url=site.base)
    store.insert(Ping(title="Re: <b>Hello</b>", kind="reply", source_url="http://r.example/1",
                      excerpt="Good <script>x()</script>point", author_name="Ann", created_on="2026-11-24 11:00:00",
                      **base))
    store.insert(Ping(title="", kind="like", source_url="http://l.example/2", author_name="<i>Bo</i>",
                      created_on="2026-11-24 11:01:00", **base))
    store.insert(Ping(title="Gone", kind="mention", source_url="http://g.example/", visible=False, withdrawn=True,
                      created_on="2026-11-24 11:02:00", **base))
    store.insert(Ping(title="Held", kind="mention", source_url="http://h.example/", visible=False,
                      created_on="2026-11-24 11:03:00", **dict(base, protocol="pingback")))
    item = store.get(type(site.item), site.item.id)
    readers = ET.fromstring(rss(item, store.list_pings(tb_id=item.id, newest_first=True), for_readers=True))
    store.close()
    items = [(one.findtext("title"), one.findtext("link"), one.findtext("description"))
             for one in readers.iter("item")]
    assert items == [("Liked by Bo", "http://l.example/2", None),
                     ("Re: Hello", "http://r.example/1", "Good x()point")]
    with serving(site):
        answer = ET.fromstring(http(site.ping_url() + "?__mode=rss").body)
    items = [(one.findtext("title"), one.findtext("link")) for one in answer.iter("item")]
    assert items == [("Re: <b>Hello</b>", "http://r.example/1"), ("", "http://l.example/2")]


# -- what a visitor sees -------------------------------------------------------------------------------

def photo_png(size=32):
    """A small square PNG (blue), standing for an author's photo."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x33\x66\x99" * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def serve_from_disk(site, photo):
    """A Playwright route handler: the weblog's files from its folder, an
    author's photo from `photo`, nothing from anywhere else (no network)."""
    def handle(route):
        url = route.request.url
        if url.startswith(site.base):
            path = os.path.join(site.archives, url[len(site.base):].split("?")[0] or "index.html")
            if os.path.isfile(path):
                with open(path, "rb") as handle:
                    body = handle.read()
                kind = "text/css" if path.endswith(".css") else "text/html; charset=utf-8"
                return route.fulfill(status=200, body=body, headers={"Content-Type": kind})
        elif url.endswith(".png"):
            return route.fulfill(status=200, body=photo, headers={"Content-Type": "image/png"})
        return route.fulfill(status=404, body=b"")
    return handle


@pytest.mark.parametrize("backend", ["sqlite"])
def test_entry_page_with_replies_mention_and_likes_in_chromium(site, browser, tmp_path):
    """Two replies (one with a photo), a mention and three likes on a published
    entry page at 1280 and 360 pixels wide (screenshots in the test's folder)."""
    store = site.store()
    common = dict(blog_id=site.blog.id, tb_id=site.item.id, protocol="webmention", target_url=site.base)
    store.insert(Ping(kind="reply", title="Re: Hello", excerpt="A thoughtful reply, long enough to wrap on a "
                      "narrow screen: " + "words " * 30, source_url="https://ann.example/2026/11/re-hello",
                      author_name="Ann Example", author_url="https://ann.example/",
                      author_photo="https://ann.example/photo.png", created_on="2026-11-24 11:00:00", **common))
    store.insert(Ping(kind="reply", title="Another view", excerpt="Short.", source_url="https://bo.example/view",
                      author_name="Bo", created_on="2026-11-24 11:30:00", **common))
    store.insert(Ping(kind="mention", title="Links of the week", excerpt="...Hello World &amp; Co...",
                      source_url="http://wp.example/?p=12", blog_name="WP Weekly", created_on="2026-11-24 12:00:00",
                      **dict(common, protocol="pingback")))
    for number, name in enumerate(("Cy", "Di", "Ed")):
        store.insert(Ping(kind="like", source_url="https://like%d.example/" % number, author_name=name,
                          created_on="2026-11-24 12:3%d:00" % number, **common))
    store.close()
    rebuild(site)
    page = browser.new_page()
    page.route("**/*", serve_from_disk(site, photo_png()))
    page.goto(site.base + "%06d.html" % site.entry.id, timeout=30000)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        page.locator(".trackback").scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / ("entry-%d.png" % width)), full_page=True)
        bodies = page.locator(".trackback-body")
        assert bodies.count() == 3
        photo = bodies.first.locator("img.ping-photo")
        assert photo.get_attribute("alt") == "Ann Example"
        assert photo.evaluate("image => [image.naturalWidth, image.width, image.height]") == [32, 32, 32]
        assert bodies.first.locator(".ping-author").inner_text().strip() == "Ann Example"
        assert bodies.nth(2).locator(".trackback-post").inner_text().startswith("Mentioned on ")
        reactions = page.locator("p.reactions")
        assert reactions.inner_text() == "Liked by Cy, Di, Ed"
        assert reactions.locator("a").count() == 3
        # Nothing wider than the window: no sideways scrolling on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
