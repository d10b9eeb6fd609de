"""Templates as an MT 2.x user has them: the weblog's own copies, replaced from
the shell, pasted MT-syntax templates, the popup from the weblog's template, and
what rebuilds write (every archive type, incrementally after a ping)."""

import os
import time

from mtpy.models import Entry, Ping
from mtpy.trackback.rdf import rdf_block
from support.cli import mtpy
from support.wsgi import serving
from support.environment import SAMPLES
from support.http import SUCCESS, http, post
from support.publishing import publisher, rebuild

# A Main Index as an MT 2.x weblog had it after the manual's TrackBack steps 3 and
# 4, comment and search tags included (mtpy renders those as nothing).
CUSTOM_MAIN_INDEX = """\
<html><head><title><$MTBlogName encode_html="1"$></title>
<script type="text/javascript">
function OpenComments (c) { window.open(c, 'comments', 'width=480,height=480,scrollbars=yes,status=yes'); }
function OpenTrackback (c) { window.open(c, 'trackback', 'width=480,height=480,scrollbars=yes,status=yes'); }
</script></head>
<body>
<h1><$MTBlogName$></h1>
<form method="get" action="<$MTCGIPath$><$MTSearchScript$>"><input name="search" /></form>
<MTEntries lastn="3">
<$MTEntryTrackbackData$>
<MTDateHeader><h2><$MTEntryDate format="%A, %B %d, %Y"$></h2></MTDateHeader>
<h3 id="a<$MTEntryID pad="1"$>"><$MTEntryTitle$></h3>
<$MTEntryBody$>
<MTEntryIfExtended><a href="<$MTEntryPermalink$>#more">Continue reading</a></MTEntryIfExtended>
<div class="posted">Posted by <$MTEntryAuthor$> at <a href="<$MTEntryPermalink$>"><$MTEntryDate format="%I:%M %p"$></a>
<MTEntryIfAllowComments>| <a href="<$MTCGIPath$><$MTCommentScript$>?entry_id=<$MTEntryID$>">Comments (<$MTEntryCommentCount$>)</a></MTEntryIfAllowComments>
<MTEntryIfAllowPings>| <a href="<$MTCGIPath$>mt-tb.cgi?__mode=view&amp;entry_id=<$MTEntryID$>" onclick="OpenTrackback(this.href); return false">TrackBack (<$MTEntryTrackbackCount$>)</a></MTEntryIfAllowPings>
</div>
</MTEntries>
</body></html>
"""


def read(site, name):
    with open(os.path.join(site.archives, name), encoding="utf-8") as handle:
        return handle.read()


def test_template_list_names_every_template(site):
    lines = [line.split("\t") for line in mtpy(site, "template", "list", "--blog", "1").stdout.splitlines()]
    names = [line[0] for line in lines]
    assert names == ["Main Index", "RSS 1.0 Index", "RSS 2.0 Index", "Atom Index", "Stylesheet",
                     "Individual Entry Archive", "Category Archive", "Date-Based Archive",
                     "TrackBack Listing", "Sidebar"]
    main = lines[0]
    assert main[1:3] == ["index", "index.html"] and os.path.isfile(main[3])
    assert main[3].startswith(os.path.join(site.config.get("DataSource"), "templates", "blog-1"))


def test_broken_template_is_refused_and_the_old_one_stays(site, tmp_path):
    path = mtpy(site, "template", "list", "--blog", "1").stdout.splitlines()[0].split("\t")[3]
    before = open(path).read()
    for text, message in (
            ("<p>\n<MTEntries>\n<$MTEntryTitle$>\n</p>\n", "line 2"),               # never closed
            ("<p>\n\n<$MTEntryFrobnicate$>\n", "MTEntryFrobnicate"),                # unknown tag
            ("<MTEntries><MTEntryIfExtended></MTEntries></MTEntryIfExtended>", "MTEntries")):
        broken = tmp_path / "broken.mtml"
        broken.write_text(text)
        done = mtpy(site, "template", "set", "--blog", "1", "--name", "Main Index", str(broken), check=False)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert message in done.stderr and "Main Index" in done.stderr and "nothing changed" in done.stderr
        assert open(path).read() == before


def test_pasted_mt2_main_index_publishes(site, tmp_path):
    site.add_entry(title="Older & wiser", body="<p>older</p>", extended="more", created_on="2026-11-23 09:30:00")
    custom = tmp_path / "main.mtml"
    custom.write_text(CUSTOM_MAIN_INDEX)
    done = mtpy(site, "template", "set", "--blog", "1", "--name", "main index", str(custom))
    assert done.stdout.startswith("Replaced Main Index (")
    warned = done.stderr.splitlines()
    for tag in ("MTSearchScript", "MTEntryIfAllowComments", "MTCommentScript", "MTEntryCommentCount"):
        assert sum(tag in line for line in warned) == 1, (tag, warned)
    mtpy(site, "rebuild", "--blog", "1")
    page = read(site, "index.html")
    assert "<title>Test Weblog</title>" in page and "<h1>Test Weblog</h1>" in page
    assert page.count("<rdf:RDF") == 2
    assert '<h3 id="a000001">Hello <World> & Co</h3>' in page        # titles are the author's HTML
    # Back to the default, on the same rule as mt.cgi's Restore: logged, then rebuilt.
    assert mtpy(site, "template", "restore", "--blog", "1", "--name", "Main Index").stdout.startswith(
        "Restored Main Index (")
    mtpy(site, "rebuild", "--blog", "1")
    assert "MTSearchScript" not in read(site, "index.html") and "<h1>Test Weblog</h1>" not in read(site, "index.html")
    assert "<h2>Tuesday, November 24, 2026</h2>" in page and "<h2>Monday, November 23, 2026</h2>" in page
    assert ('| <a href="%scgi-bin/mt-tb.cgi?__mode=view&amp;entry_id=1" onclick="OpenTrackback(this.href); '
            'return false">TrackBack (0)</a>' % site.base) in page
    assert ">Comments (" not in page and 'action="%scgi-bin/"' % site.base in page
    assert '<a href="%s000002.html#more">Continue reading</a>' % site.base in page


def test_rdf_block_matches_movable_type_byte_for_byte():
    """The auto-discovery RDF block, as Movable Type 5.2 published it for the entry."""
    with open(os.path.join(SAMPLES, "movabletype-5.2-rdf.txt"), encoding="utf-8") as handle:
        expected = handle.read()
    permalink = "http://127.0.0.1:8052/site/themed/2026/11/its-deja-vu.html"
    block = rdf_block(permalink, "http://127.0.0.1:8052/cgi-bin/mt/mt-tb.cgi/3", "It's déjà vu — 日本",
                      permalink, "", "Excerpt with markup & an ampersand: café, 日本語....", "Admin",
                      "2026-11-24T10:13:28+00:00", comment_wrap=False)
    assert block + "\n" == expected


def test_every_archive_type_is_written(site):
    category, _ = site.add_category(label="Perl Things", allow_pings=True)
    site.add_entry(title="In October", body="<p>october body</p>", created_on="2026-10-05 10:00:00",
                   category_ids=[category.id])
    rebuild(site)
    names = set(os.listdir(site.archives))
    assert {"000001.html", "000002.html", "2026_11.html", "2026_10.html", "cat_perl_things.html",
            "index.html", "index.rdf", "index.xml", "atom.xml", "styles-site.css"} <= names
    assert "october body" in read(site, "cat_perl_things.html") and "october body" in read(site, "2026_10.html")
    assert "october body" not in read(site, "2026_11.html")
    assert ".trackback-url" in read(site, "styles-site.css")


def test_custom_listing_template_and_category_listing(site, tmp_path):
    category, item = site.add_category(label="Perl", allow_pings=True, passphrase="pw")
    custom = tmp_path / "listing.mtml"
    custom.write_text('<html><body><h1>Pings for <$MTEntryTitle encode_html="1"$></h1>\n'
                      '<MTPings><p class="ping"><$MTPingTitle$> / <$MTPingBlogName$></p></MTPings>\n</body></html>\n')
    mtpy(site, "template", "set", "--blog", "1", "--name", "TrackBack Listing", str(custom))
    with serving(site):
        assert post(site.ping_url(), {"url": "http://a.example/", "title": "<b>Entry</b> ping",
                                      "blog_name": "A"}).text == SUCCESS
        assert post(site.ping_url(item) + "/pw", {"url": "http://b.example/", "title": "Category ping",
                                                  "blog_name": "B"}).text == SUCCESS
        page = http(site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id).text
        assert "<h1>Pings for Hello &lt;World&gt; &amp; Co</h1>" in page
        assert '<p class="ping">Entry ping / A</p>' in page and "Category ping" not in page
        listing = http(site.base + "cgi-bin/mt-tb.cgi?__mode=view&category_id=%d" % category.id).text
        assert "<h1>Pings for Perl</h1>" in listing and '<p class="ping">Category ping / B</p>' in listing
        missing = http(site.base + "cgi-bin/mt-tb.cgi?__mode=view&category_id=999")
        assert "Invalid category ID" in missing.text


def modification_times(folder):
    """mtime of each published file; a writer's temporary .*.tmp file (renamed
    away at any moment) is not one."""
    times = {}
    for name in os.listdir(folder):
        if not name.startswith("."):
            try:
                times[name] = os.stat(os.path.join(folder, name)).st_mtime_ns
            except FileNotFoundError:
                pass
    return times


def test_a_ping_rewrites_only_the_pages_that_show_it(site):
    category, _ = site.add_category(label="Perl")
    old, _ = site.add_entry(title="Old entry", body="x", created_on="2025-01-10 10:00:00",
                            category_ids=[category.id])
    for day in range(1, 20):      # push the old entry off the main index
        site.add_entry(title="Filler %d" % day, body="y", created_on="2026-11-%02d 08:00:00" % day)
    rebuild(site)
    before = modification_times(site.archives)
    time.sleep(0.05)
    with serving(site):     # the republishing runs before the answer returns
        store = site.store()
        item = store.trackback_for(entry=store.get(Entry, old.id))
        store.close()
        assert post(site.ping_url(item), {"url": "http://c.example/"}).text == SUCCESS
    changed = {name for name, mtime in modification_times(site.archives).items() if before.get(name) != mtime}
    assert changed == {"%06d.html" % old.id, "2025_01.html", "cat_perl.html", "%d.xml" % item.id}
    assert "TrackBack (1)" in read(site, "%06d.html" % old.id)


def test_an_edit_writes_only_changed_pages(site):
    for day in range(1, 5):
        site.add_entry(title="Day %d" % day, body="z", created_on="2026-11-%02d 08:00:00" % day)
    rebuild(site)
    store = site.store()
    entry = store.get(Entry, 3)
    entry.body = "<p>Edited body</p>"
    store.save(entry)
    store.close()
    store = site.store()
    edited = publisher(site, store).rebuild_entry(3)
    store.close()
    written = sorted(os.path.basename(path) for path in edited.written)
    # Its page, the index and feeds listing it, its month; not its neighbours (titles unchanged).
    assert "000003.html" in written and "000002.html" not in written and "000004.html" not in written
    assert {"index.html", "2026_11.html"} <= set(written)
    assert edited.unchanged >= 2 and "Edited body" in read(site, "000003.html")


def test_large_rebuild_in_workers_matches_one_process(site):
    """Over 400 pages the rebuild forks workers; the result is the same."""
    store = site.store()
    with store.transaction():
        for number in range(420):
            store.save(Entry(blog_id=site.blog.id, author_id=site.author.id, title="Entry %d" % number,
                             body="b", created_on="2026-%02d-%02d 10:00:00" % (1 + number % 10, 1 + number % 27)))
    store.close()
    rebuilt = rebuild(site)
    assert len(rebuilt.written) == 421 + 11 + 5     # entries, months (Jan-Oct and Nov), indexes
    assert len(rebuilt.notes) == 421 + 11 + 5
    text = read(site, "000200.html")
    assert "Entry 198" in text and "TrackBack (0)" in text    # its neighbour and its count
    store = site.store()
    item = store.trackback_for(entry=store.get(Entry, 200))
    store.insert(Ping(blog_id=site.blog.id, tb_id=item.id, source_url="http://x.example/", title="x"))
    after = publisher(site, store).rebuild_pings_of(200)
    store.close()
    assert sorted(os.path.basename(p) for p in after.written) == ["000200.html", "2026_09.html"]  # number 198


def test_a_weblogs_own_templates_stay_as_they_are_until_the_owner_restores_one(site):
    """New default templates (the phone layout of issue 23) reach new weblogs
    only: a weblog's own copies, edited or older, are never rewritten by a
    rebuild; `mtpy template restore` (mt.cgi's "Restore the default") puts
    the new default in place of one."""
    from mtpy.publish.templates import SHIPPED_FOLDER
    rebuild(site)                                   # the weblog's own copies are made
    folder = os.path.join(site.config.get("DataSource"), "templates", "blog-%d" % site.blog.id)
    older = {"styles-site.css": "body { font-size: small; }\n",
             "main-index.mtml": "<html><head><title><$MTBlogName$></title></head><body>Mine</body></html>\n"}
    for name, text in older.items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
            handle.write(text)
    rebuild(site)
    for name, text in older.items():
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            assert handle.read() == text, name
    assert read(site, "styles-site.css") == older["styles-site.css"]
    assert read(site, "index.html") == "<html><head><title>Test Weblog</title></head><body>Mine</body></html>\n"
    mtpy(site, "template", "restore", "--blog", "1", "--name", "Stylesheet")
    rebuild(site)
    with open(os.path.join(SHIPPED_FOLDER, "styles-site.css"), encoding="utf-8") as handle:
        assert read(site, "styles-site.css") == handle.read()
    assert "@media (max-width: 640px)" in read(site, "styles-site.css")
    assert "Mine" in read(site, "index.html")
