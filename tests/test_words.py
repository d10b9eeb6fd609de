"""Words that match what happens (issue 23, §3): the category and entry
screens say where outbound pings go, the activity log speaks the screens'
words with the right plurals, long URLs wrap on a phone, no screen makes the
browser ask for a /favicon.ico that is not there, feeds are served with their
types, and the automatic excerpt says "..." only when it cut the text."""

import re

import pytest

from conftest import start_lighttpd, start_mtpy_serve
from support.browsing import log_in
from support.cli import mtpy
from support.client import logged_in_admin, settings_form
from support.http import http
from support.servers import stop
from support.sites import Site, activity, make_admin
from support.wsgi import serving
from mtpy import web
from mtpy.actions.activity import record
from mtpy.actions.importing import imported_words
from mtpy.actions.rebuild import finish
from mtpy.actions.weblogs import FIELDS, SETTING_LABELS
from mtpy.models import Blog, Entry
from mtpy.store import entry_excerpt
from mtpy.text import counted, escape_html

LONG_URL = ("http://a-very-long-weblog-name.example.org/archives/2026/12/07/"
            "this-is-a-rather-long-entry-title-that-goes-on-and-on.html")


@pytest.fixture
def words_cms(tmp_path):
    """mt.cgi of a SQLite site answered in this process, Melody logged in as
    a system administrator: (site, client). Words do not depend on the store."""
    site = Site(tmp_path / "site", "sqlite")
    with serving(site):
        yield site, logged_in_admin(site)


def _travel_entry(site, own, from_category, pinged):
    """A category Travel whose outbound URLs are `from_category`, the site's
    entry filed in it (a draft: nothing is sent) with its own URLs `own`, and
    `pinged` already pinged."""
    category, _ = site.add_category(label="Travel", ping_urls=from_category)
    store = site.store()
    try:
        entry = store.get(Entry, site.entry.id)
        entry.category_ids = [category.id]
        entry.to_ping_urls = own
        entry.pinged_urls = pinged
        entry.status = "Draft"
        store.save(entry)
    finally:
        store.close()
    return category


def test_the_category_screen_says_its_outbound_urls_are_pinged(words_cms):
    site, client = words_cms
    category = _travel_entry(site, [], ["http://hub.example/tb/1"], [])
    page = client.get("category_edit", blog_id=site.blog.id, category_id=category.id).text
    assert "later release" not in page
    assert ("Each entry filed in this category (first or as one of its others) pings them by TrackBack, "
            "each once, after it is saved with the status Publish") in page
    assert "The entry&#39;s screen shows them under Pings sent, marked with this category&#39;s name" in page


def test_the_entry_screen_names_the_category_an_outbound_url_came_from(words_cms):
    site, client = words_cms
    own, shared = "http://own.example/tb/1", "http://shared.example/tb/2"
    waiting, sent = "http://hub.example/tb/3", "http://hub.example/tb/4"
    _travel_entry(site, [own, shared], [shared, waiting, sent], [sent])
    page = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id).text
    marked = '<code class="url">%s</code> <span class="muted from-category">from category Travel</span>'
    pinged = page[page.index("<h3>Pinged</h3>"):page.index("<h3>Not yet sent</h3>")]
    assert marked % sent in pinged
    rows = page[page.index("<h3>Not yet sent</h3>"):]
    assert marked % waiting in rows
    # The entry's own URLs, one of them listed by the category too: the entry's, unmarked.
    assert '<code class="url">%s</code></td>' % own in rows and '<code class="url">%s</code></td>' % shared in rows
    assert page.count("from category Travel") == 2
    assert "so are the outbound TrackBack URLs of its categories" in page


def test_settings_changes_are_logged_in_the_settings_screens_words(words_cms):
    site, client = words_cms
    page = client.get("blog_settings", blog_id=site.blog.id).text
    assert set(SETTING_LABELS) == set(FIELDS)         # every setting has its label
    for label in SETTING_LABELS.values():      # the log's names are the screen's labels
        assert escape_html(label) in page, label
    fields = settings_form(client, site.blog.id)
    del fields["accept_pingback"]                                   # the box unchecked
    fields.update(name="Renamed", timezone="5.5", email_new_pings="1", close_pings_after_days="30",
                  moderate_pings="all", junk_words="casino\npills", description="New words")
    saved = client.post("blog_settings", fields, blog_id=site.blog.id)
    assert "Your changes have been saved." in saved.text
    [line] = activity(site, "settings")
    assert line.message == (
        "Weblog name: Renamed; Description: changed; Time zone: UTC+05:30; E-mail me when a new ping arrives: on; "
        "Accept Pingbacks: off; Close pings on entries older than this many days: 30; "
        "New pings: hold every ping for approval; Block list: 2 added (2 in all)")
    fields = settings_form(client, site.blog.id)
    fields.update(junk_words="pills", close_pings_after_days="0", linkback_check="junk", site_url="")
    client.post("blog_settings", fields, blog_id=site.blog.id)
    assert activity(site, "settings")[-1].message == (
        "Weblog URL: (empty); Close pings on entries older than this many days: 0 (never); "
        "Link-back check: mark the ping as junk; Block list: 1 removed (1 in all)")
    log = client.get("activity").text
    assert "Changed " not in log and "moderate_pings" not in log


def test_counts_take_the_plural_they_need(words_cms):
    site, client = words_cms
    assert [counted(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert counted(1, "entry", "entries") == "1 entry" and counted(3, "entry", "entries") == "3 entries"
    store = site.store()
    try:
        blog = store.get(Blog, site.blog.id)
        assert finish(store, blog, "all", 1, 3, "2000-01-01 00:00:00").message == (
            "Rebuilt everything: 1 file written, 3 unchanged")
        assert finish(store, blog, "all", 2, 0, "2000-01-01 00:00:00").message == (
            "Rebuilt everything: 2 files written, 0 unchanged")

        class Imported:
            entries, pings, comments = 1, 2, 0
        assert imported_words(Imported) == "1 entry, 2 pings, 0 comments"
        assert mtpy(site, "work").stdout == "0 jobs done, 0 failed\n"
        store.enqueue("update_pings", {"blog_id": blog.id})        # no services: done at once
    finally:
        store.close()
    assert mtpy(site, "work").stdout == "1 job done, 0 failed\n"
    assert "(s)" not in client.get("activity").text


def test_long_urls_wrap_on_a_phone(tmp_path, browser):
    """At 360 px the activity log and the entry's outbound URLs fit the
    screen: a long URL wraps instead of widening the page."""
    site = Site(tmp_path / "site", "sqlite")
    _travel_entry(site, [LONG_URL], [LONG_URL.replace("a-very", "another-very")], [])
    store = site.store()
    try:
        record(store, "ping", "Ping from %s: A title" % LONG_URL, site.blog.id)
    finally:
        store.close()
    make_admin(site)
    process = start_lighttpd(site)
    try:
        page = browser.new_page(viewport={"width": 360, "height": 800})
        script = log_in(page, site)
        for query in ("?__mode=activity", "?__mode=entry_edit&blog_id=%d&entry_id=%d" % (site.blog.id, site.entry.id)):
            page.goto(script + query)
            assert page.get_by_text(LONG_URL).first.is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 360, query
        page.close()
    finally:
        stop(process)


def test_no_screen_sends_the_browser_for_a_favicon(words_cms):
    site, client = words_cms
    assert re.fullmatch(r'<link rel="icon" href="data:image/svg\+xml,[^"<> ]+">', web.ICON_LINK)
    login = http(site.base + "cgi-bin/mt.cgi?__mode=login")
    screen = client.get("activity")
    for answer in (login, screen):
        assert web.ICON_LINK in answer.text
        assert "img-src 'self' data:" in answer.headers["Content-Security-Policy"]    # the icon may load
    unknown = client.get("no_such_mode")
    assert unknown.status == 404 and web.ICON_LINK in unknown.text
    check = http(site.base + "cgi-bin/mt-check.cgi")
    assert check.status == 200 and web.ICON_LINK in check.text


def test_mtpy_serve_answers_favicon_without_a_404(tmp_path):
    site = Site(tmp_path / "site", "sqlite")
    process = start_mtpy_serve(site)
    try:
        missing = http(site.base + "favicon.ico")
        assert missing.status == 204 and missing.text == "" and "max-age" in missing.headers["Cache-Control"]
        assert http(site.base + "nothing.ico").status == 404
        with open(tmp_path / "site" / "archives" / "favicon.ico", "wb") as handle:
            handle.write(b"\0\0\1\0icon")
        own = http(site.base + "favicon.ico")                      # a weblog's own icon wins
        assert own.status == 200 and own.headers["Content-Type"] == "image/vnd.microsoft.icon"
    finally:
        stop(process)


def test_lighttpd_serves_the_feeds_with_their_types(tmp_path):
    """docs/lighttpd.conf: index.rdf (RSS 1.0) as RDF, not as a download."""
    site = Site(tmp_path / "site", "sqlite")
    for name in ("index.rdf", "index.xml", "atom.atom", "logo.png"):
        with open(tmp_path / "site" / "archives" / name, "w") as handle:
            handle.write("<feed/>")
    process = start_lighttpd(site)
    try:
        types = {name: http(site.base + name).headers["Content-Type"]
                 for name in ("index.rdf", "index.xml", "atom.atom", "logo.png")}
    finally:
        stop(process)
    assert types == {"index.rdf": "application/rdf+xml", "index.xml": "text/xml; charset=utf-8",
                     "atom.atom": "application/atom+xml", "logo.png": "image/png"}


@pytest.mark.parametrize("body, excerpt", [
    ("<p>Some notes.</p>", "Some notes."),
    (" ".join(["word"] * 40), " ".join(["word"] * 40)),
    (" ".join(["word"] * 41) + ".", " ".join(["word"] * 40) + "..."),
    ("", ""),
])
def test_the_automatic_excerpt_marks_only_a_cut(body, excerpt):
    assert entry_excerpt(Entry(body=body)) == excerpt
    assert entry_excerpt(Entry(body=body, excerpt="Typed.")) == "Typed."
