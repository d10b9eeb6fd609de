"""The TrackBack bookmarklet: mt.cgi's "Set Up Bookmarklets" screen gives a
`javascript:` link; run on a page, it opens the QuickPost window, which offers
the TrackBack entries the page's RDF announces and pings the chosen one once the
entry is posted. mt.cgi in this process on every backend (the `cms` fixture);
the visited pages and the receiving weblog are a small local server; one test
in Chromium (mt.cgi under lighttpd)."""

import html
import re
import sys
from urllib.parse import unquote, urlencode

import pytest

from support.client import CMSClient, forms
from support.sites import ADMIN_PASSWORD, free_port
from support.waiting import wait_for
from support.local_web import ACCEPTED, LocalWeb
from mtpy import outbound
from mtpy.config import Config
from mtpy.models import Entry
from mtpy.urls import entry_permalink

SITE_CONFIG = "OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\n"
SELECTED = "TrackBack lets weblogs talk"


class Web(LocalWeb):
    """The web the author reads, on 127.0.0.1: weblogs' pages (GET) and their
    TrackBack receivers (POST)."""

    def page(self, path, entries, title="A weblog elsewhere"):
        """A weblog's page announcing `entries` [(entry title, receiver path)]
        in RDF blocks, each receiver answering success; its URL."""
        blocks = "".join(rdf_block(self.base + path + "#entry-%d" % number, self.base + ping, entry_title)
                         for number, (entry_title, ping) in enumerate(entries, 1))
        for _, ping in entries:
            self.url(ping, ACCEPTED)
        return self.html(path, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n"
                         "<body><h1>%s</h1><p id=\"quote\">%s, and this page says so.</p>\n%s</body></html>\n"
                         % (html.escape(title), html.escape(title), SELECTED, blocks))


def rdf_block(identifier, ping_url, title):
    return ("<!--\n<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"\n"
            "         xmlns:trackback=\"http://madskills.com/public/xml/rss/module/trackback/\"\n"
            "         xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
            "<rdf:Description rdf:about=\"%s\" trackback:ping=\"%s\" dc:title=\"%s\" dc:identifier=\"%s\" />\n"
            "</rdf:RDF>\n-->\n" % tuple(html.escape(value) for value in (identifier, ping_url, title, identifier)))


@pytest.fixture
def web():
    with Web() as running:
        yield running


@pytest.fixture
def quickpost_site(cms):
    """The `cms` site, allowed to fetch pages from 127.0.0.1 (the visited pages)."""
    site, client = cms
    site.update_config(SITE_CONFIG)
    return site, client


def quickpost(client, site, link_href, bm_show="trackback", link_title="A weblog elsewhere", text=SELECTED):
    return client.get("quickpost", blog_id=site.blog.id, bm_show=bm_show, link_title=link_title,
                      link_href=link_href, text=text)


def quickpost_form(page):
    """The QuickPost form's fields as a browser would submit them."""
    found = [fields for action, fields in forms(page) if "__mode=quickpost" in html.unescape(action)]
    assert len(found) == 1, page
    return found[0]


def submit(client, site, fields, token=True):
    """POST the QuickPost form's fields (with the page's token, or `token`)."""
    return client.post("quickpost", [(name, value) for name, values in fields.items() for value in values
                                      if name != "magic_token"], token=token, blog_id=site.blog.id)


def bookmarklet_href(page):
    found = re.search(r'<a class="button bookmarklet-link" href="([^"]*)">([^<]*)</a>', page)
    assert found, page
    return html.unescape(found.group(1)), html.unescape(found.group(2))


# -- the set-up screen --------------------------------------------------------

def test_setup_screen_gives_the_weblogs_quickpost_link(cms):
    site, client = cms
    first = client.get("bookmarklets")
    assert first.status == 200 and "Set Up Bookmarklets" in first.text
    assert 'value="trackback" checked' in first.text          # TrackBack items, by default
    assert "bookmarklet-link" not in first.text                 # nothing made before the form is sent
    made = client.request(client.url("bookmarklets") + "&" + urlencode(
        [("make", "1"), ("blog_id", site.blog.id), ("show", "trackback"), ("show", "category"), ("show", "excerpt")]))
    assert made.status == 200
    href, label = bookmarklet_href(made.text)
    assert label == "QuickPost to Test Weblog"
    assert href.startswith("javascript:(function(){")
    code = unquote(href[len("javascript:"):])
    assert ("'%scgi-bin/mt.cgi?__mode=quickpost&blog_id=%d&bm_show=trackback,category,excerpt'"
            % (site.base, site.blog.id)) in code
    for part in ("'&link_title='+e(d.title)", "'&link_href='+e(location.href)", "'&text='+e(t.slice(0,2000))",
                 "e=encodeURIComponent", "w.open(", "'width=420,height=600,resizable=yes,scrollbars=yes'"):
        assert part in code
    assert "drag the button above to your browser's bookmarks bar" in made.text
    # the attribute is escaped: the page holds no bare quote or ampersand inside it
    raw = re.search(r'class="button bookmarklet-link" href="([^"]*)"', made.text).group(1)
    assert "'" not in raw and "&amp;blog_id=" in raw and "&#39;" in raw


def test_setup_screen_refuses_a_weblog_the_author_may_not_post_to(cms):
    site, client = cms
    made = client.get("bookmarklets", make=1, blog_id=999, show="trackback")
    assert made.status == 200
    assert "Choose one of the weblogs you may post to." in made.text
    assert "bookmarklet-link" not in made.text


def test_an_author_gets_bookmarklets_only_for_weblogs_they_may_post_to(cms):
    from mtpy.actions.authors import create_author, set_permissions
    from mtpy.models import Blog
    site, _ = cms
    store = site.store()
    jo = create_author(store, "Jo", "jo@example.com", "jo-password-1").record
    set_permissions(store, jo, site.blog, ["post"])
    categories_only = Blog(name="Jo sorts here", site_url=site.base + "sorted/")
    elsewhere = Blog(name="Not Jo's", site_url=site.base + "other/")
    store.save(categories_only)
    store.save(elsewhere)
    set_permissions(store, jo, categories_only, ["categories"])
    store.close()
    client = CMSClient(site.base)
    client.log_in("Jo", "jo-password-1")
    setup = client.get("bookmarklets")
    assert '<option value="%d" selected>Test Weblog</option>' % site.blog.id in setup.text
    assert "Jo sorts here" not in setup.text and "Not Jo's" not in setup.text
    for blog in (categories_only, elsewhere):
        assert "bookmarklet-link" not in client.get("bookmarklets", make=1, blog_id=blog.id).text
    assert bookmarklet_href(client.get("bookmarklets", make=1, blog_id=site.blog.id).text)[1] == \
        "QuickPost to Test Weblog"
    assert client.get("quickpost", blog_id=categories_only.id).status == 403
    assert client.get("quickpost", blog_id=elsewhere.id).status == 404
    # the QuickPost result of an entry of someone else's is not Jo's to see
    assert client.get("quickpost_done", blog_id=site.blog.id, entry_id=site.entry.id).status == 403


# -- the QuickPost window -----------------------------------------------------

def test_one_announced_entry_gives_a_checked_box(quickpost_site, web):
    site, client = quickpost_site
    url = web.page("/one", [("The only entry", "/tb/only")])
    shown = quickpost(client, site, url)
    assert shown.status == 200, shown.text
    assert "Ping TrackBack URL: <code class=\"url\">%s/tb/only</code>" % web.base in shown.text
    assert re.search(r'<input type="checkbox" id="ping_url" name="ping_url" value="%s/tb/only" checked>'
                     % re.escape(web.base), shown.text)
    fields = quickpost_form(shown.text)
    assert fields["title"] == ["A weblog elsewhere"]
    assert fields["body"] == ['<a href="%s">A weblog elsewhere</a>\n%s' % (url, SELECTED)]
    assert fields["status"] == ["Publish"]
    assert "Select a TrackBack entry to ping:" not in shown.text


def test_three_announced_entries_give_a_pull_down(quickpost_site, web):
    site, client = quickpost_site
    url = web.page("/three", [("First", "/tb/1"), ("Second", "/tb/2"), ("Third", "/tb/3")])
    shown = quickpost(client, site, url)
    assert '<label for="ping_url">Select a TrackBack entry to ping:</label>' in shown.text
    select = re.search(r'<select id="ping_url" name="ping_url">(.*?)</select>', shown.text, re.S).group(1)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select)
    assert [(value, html.unescape(text)) for value, _, text in options] == [
        ("", "None: ping no entry"), (web.base + "/tb/1", "First (%s/tb/1)" % web.base),
        (web.base + "/tb/2", "Second (%s/tb/2)" % web.base), (web.base + "/tb/3", "Third (%s/tb/3)" % web.base)]
    assert options[0][1] == " selected"                        # nothing pinged unless chosen
    assert 'type="checkbox" id="ping_url"' not in shown.text


def test_a_page_without_rdf_announces_no_entry(quickpost_site, web):
    site, client = quickpost_site
    url = web.page("/plain", [])
    shown = quickpost(client, site, url)
    assert shown.status == 200
    assert "The page announces no TrackBack entry to ping." in shown.text
    assert 'name="ping_url"' not in shown.text
    assert quickpost_form(shown.text)["title"] == ["A weblog elsewhere"]    # the form still works


def test_an_unreachable_page_says_why(quickpost_site, web):
    site, client = quickpost_site
    nowhere = "http://127.0.0.1:%d/gone" % free_port()
    reason = reason_for(nowhere)
    shown = quickpost(client, site, nowhere)
    assert shown.status == 200
    assert "The page's TrackBack entries could not be read: %s." % html.escape(reason) in shown.text
    missing = quickpost(client, site, web.base + "/missing")
    assert "could not be read: HTTP 404 Not Found." in missing.text
    assert quickpost_form(missing.text)["body"][0].startswith('<a href="%s/missing">' % web.base)


def reason_for(url):
    with pytest.raises(outbound.OutboundError) as failed:
        outbound.fetch(Config(text=SITE_CONFIG), url)
    return failed.value.reason


def test_page_text_comes_back_escaped(quickpost_site, web):
    site, client = quickpost_site
    url = web.page("/xss", [("<script>window.pwned=1</script>", "/tb/a"), ("<img src=x onerror=alert(1)>", "/tb/b")],
                   title="Page")
    shown = quickpost(client, site, url + '?"><script>alert(2)</script>', link_title="<script>alert(3)</script>",
                      text="<img src=x onerror=alert(4)> & more")
    page = shown.text
    assert shown.status == 200
    for raw in ("<script>", "<img src=x", '"><script>alert(2)'):
        assert raw not in page.split("<body", 1)[1]
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt; (" in page            # the RDF titles, in the pull-down
    assert "&lt;img src=x onerror=alert(1)&gt; (" in page
    fields = quickpost_form(page)
    assert fields["title"] == ["<script>alert(3)</script>"]                  # as typed, in the value
    # the body is HTML the author edits: the link's address and the texts escaped within it
    assert fields["body"] == ['<a href="%s?&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;">'
                              '&lt;script&gt;alert(3)&lt;/script&gt;</a>\n'
                              '&lt;img src=x onerror=alert(4)&gt; &amp; more' % url]


def test_a_link_that_is_no_web_page_is_not_linked_or_fetched(quickpost_site):
    site, client = quickpost_site
    shown = quickpost(client, site, "javascript:alert(1)", link_title="Odd")
    assert "This window was not opened from a web page" in shown.text
    assert quickpost_form(shown.text)["body"] == ["Odd\n" + SELECTED]


def test_the_optional_fields_follow_bm_show(quickpost_site, web):
    site, client = quickpost_site
    site.add_category(label="Links")
    url = web.page("/fields", [])
    bare = quickpost(client, site, url, bm_show="")
    for name in ("extended", "excerpt", "keywords", "category_id", "allow_pings"):
        assert 'name="%s"' % name not in bare.text
    assert "TrackBack entry" not in bare.text                          # not fetched
    full = quickpost(client, site, url, bm_show="category,allow_pings,extended,keywords,excerpt,bogus")
    fields = quickpost_form(full.text)
    for name in ("extended", "excerpt", "keywords", "category_id", "allow_pings", "title", "body", "status"):
        assert name in fields, name
    assert ">Links</option>" in full.text
    assert fields["bm_show"] == ["category,allow_pings,extended,keywords,excerpt"]


def test_posting_saves_the_entry_and_pings_the_chosen_entry(quickpost_site, web):
    site, client = quickpost_site
    category, _ = site.add_category(label="Links")
    url = web.page("/three", [("First", "/tb/1"), ("Second", "/tb/2"), ("Third", "/tb/3")])
    shown = quickpost(client, site, url, bm_show="trackback,category,keywords")
    fields = quickpost_form(shown.text)
    fields.update(ping_url=[web.base + "/tb/2"], title=["Re: Second"], keywords=["talk"],
                  category_id=[str(category.id)])
    posted = submit(client, site, fields)
    assert posted.status == 200 and "__mode=quickpost_done" in posted.url
    entries = [entry for entry in site.entries() if entry.title == "Re: Second"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.status == "Publish" and entry.keywords == "talk" and entry.category_ids == [category.id]
    assert entry.author_id == site.author.id
    assert entry.body == '<a href="%s">A weblog elsewhere</a>\n%s' % (url, SELECTED)
    assert "was posted to Test Weblog" in posted.text
    assert "__mode=entry_edit&amp;blog_id=%d&amp;entry_id=%d" % (site.blog.id, entry.id) in posted.text
    permalink = entry_permalink(site.blog, entry)
    assert 'href="%s"' % html.escape(permalink) in posted.text
    pings = wait_for(lambda: web.posts_to("/tb/2"))
    assert len(pings) == 1 and pings[0]["url"] == permalink and pings[0]["title"] == "Re: Second"
    assert wait_for(lambda: web.base + "/tb/2" in stored(site, entry.id).pinged_urls)
    assert web.posts_to("/tb/1") == [] and web.posts_to("/tb/3") == []


def stored(site, entry_id):
    store = site.store()
    try:
        return store.get(Entry, entry_id)
    finally:
        store.close()


def test_refused_input_is_shown_again_and_saves_nothing(quickpost_site, web):
    site, client = quickpost_site
    url = web.page("/three", [("First", "/tb/1"), ("Second", "/tb/2"), ("Third", "/tb/3")])
    fields = quickpost_form(quickpost(client, site, url).text)
    before = len(site.entries())
    fields.update(title=["  "], body=["kept <b>as typed</b>"], ping_url=[web.base + "/tb/3"])
    refused = submit(client, site, fields)
    assert refused.status == 200 and "An entry needs a title" in refused.text
    again = quickpost_form(refused.text)
    assert again["body"] == ["kept <b>as typed</b>"] and again["ping_url"] == [web.base + "/tb/3"]
    assert "Select a TrackBack entry to ping:" in refused.text          # the page's entries, still offered
    fields.update(title=["A title"], ping_url=["http://elsewhere.example/tb/9"])
    foreign = submit(client, site, fields)
    assert "Choose one of the TrackBack entries the page announces." in foreign.text
    assert len(site.entries()) == before


def test_a_draft_is_saved_and_pings_nothing_yet(quickpost_site, web):
    site, client = quickpost_site
    url = web.page("/one", [("Only", "/tb/only")])
    fields = quickpost_form(quickpost(client, site, url, bm_show="trackback,allow_pings").text)
    assert fields["ping_url"] == [web.base + "/tb/only"]
    fields.update(status=["Draft"], title=["Later"])
    del fields["allow_pings"]
    posted = submit(client, site, fields)
    assert "was saved as a draft" in posted.text and "View the entry" not in posted.text
    assert "is pinged once the entry is published" in posted.text
    entry = [entry for entry in site.entries() if entry.title == "Later"][0]
    assert entry.status == "Draft" and not entry.allow_pings
    assert entry.to_ping_urls == [web.base + "/tb/only"] and entry.pinged_urls == []
    assert web.received == []


def test_a_ping_url_without_the_trackback_items_is_refused(quickpost_site):
    site, client = quickpost_site
    fields = quickpost_form(quickpost(client, site, "http://page.example/", bm_show="").text)
    before = len(site.entries())
    fields.update(ping_url=["http://page.example/tb/1"])
    refused = submit(client, site, fields)
    assert refused.status == 200
    assert '<p class="form-error" role="alert">Choose one of the TrackBack entries the page announces.</p>' \
        in refused.text
    assert len(site.entries()) == before


def test_quickpost_needs_the_post_permission_and_the_form_token(quickpost_site, web):
    site, client = quickpost_site
    outsider = CMSClient(site.base)
    assert "__mode=login" in outsider.get("quickpost", follow=False, blog_id=site.blog.id).headers["Location"]
    url = web.page("/one", [("Only", "/tb/only")])
    fields = quickpost_form(quickpost(client, site, url).text)
    before = len(site.entries())
    forged = submit(client, site, fields, token="forged")
    assert forged.status == 403 and len(site.entries()) == before


def test_without_requests_the_window_says_so_and_still_posts(quickpost_site, web, monkeypatch):
    """A Python without `requests`, as on a host that lacks it: importing it fails."""
    monkeypatch.setitem(sys.modules, "requests", None)
    site, client = quickpost_site
    url = web.page("/one", [("Only", "/tb/only")])
    shown = quickpost(client, site, url)
    assert shown.status == 200, shown.text
    assert "it needs the Python module\n    requests." in shown.text
    assert '<a href="/cgi-bin/mt-check.cgi">mt-check.cgi</a>' in shown.text
    fields = quickpost_form(shown.text)
    posted = submit(client, site, fields)
    assert "was posted to Test Weblog" in posted.text
    assert [entry.title for entry in site.entries()].count("A weblog elsewhere") == 1


# -- in Chromium --------------------------------------------------------------

WAIT_MS = 30000


@pytest.mark.parametrize("backend", ["sqlite"])      # about the browser: one backend
def test_the_bookmarklet_in_chromium_pings_the_entry_chosen(quickpost_site, web, browser):
    site, _ = quickpost_site
    three = web.page("/three", [("First entry", "/tb/1"), ("Second entry", "/tb/2"), ("Third entry", "/tb/3")],
                     title="Three entries")
    one = web.page("/one", [("The only entry", "/tb/only")], title="One entry")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(site.base + "cgi-bin/mt.cgi?__mode=login")
        page.locator("#username").fill(site.author.name)
        page.locator("#password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/mt.cgi?__mode=dashboard**")
        page.get_by_role("link", name="Set Up Bookmarklets").click()
        page.get_by_role("button", name="Create the bookmarklet").click()
        link = page.get_by_role("link", name="QuickPost to Test Weblog")
        href = link.get_attribute("href")
        assert href.startswith("javascript:")
        link.click()                                    # does nothing on mt.cgi's own page (no script runs here)
        assert page.url.startswith(site.base + "cgi-bin/mt.cgi?__mode=bookmarklets")
        code = unquote(href[len("javascript:"):])       # as the browser decodes a javascript: URL

        popup = run_bookmarklet(page, three, code)
        assert popup.url.startswith(site.base + "cgi-bin/mt.cgi?__mode=quickpost&blog_id=%d&bm_show=trackback&"
                                    % site.blog.id)
        assert "link_title=Three%20entries" in popup.url and "link_href=" + "http%3A%2F%2F127.0.0.1" in popup.url
        assert popup.evaluate("window.innerWidth") <= 480
        assert popup.locator("#title").input_value() == "Three entries"
        assert popup.locator("#body").input_value() == '<a href="%s">Three entries</a>\n%s' % (three, SELECTED)
        choices = popup.locator("#ping_url option")
        assert choices.count() == 4
        assert choices.nth(2).inner_text() == "Second entry (%s/tb/2)" % web.base
        popup.locator("#ping_url").select_option(web.base + "/tb/2")
        popup.get_by_role("button", name="Post").click()
        popup.wait_for_url("**__mode=quickpost_done**")
        assert "was posted to Test Weblog" in popup.locator("main").inner_text()
        pings = wait_for(lambda: web.posts_to("/tb/2"))
        entry = [entry for entry in site.entries() if entry.title == "Three entries"][0]
        assert pings[0]["url"] == entry_permalink(site.blog, entry)
        popup.close()

        popup = run_bookmarklet(page, one, code)
        assert popup.locator("#ping_url").is_checked()
        assert popup.locator("label[for=ping_url]").inner_text() == "Ping TrackBack URL: %s/tb/only" % web.base
        popup.close()
        assert len(web.posts_to("/tb/2")) == 1                 # exactly one ping, for the entry chosen
        assert web.posts_to("/tb/1") == [] and web.posts_to("/tb/3") == [] and web.posts_to("/tb/only") == []
    finally:
        context.close()


def run_bookmarklet(page, url, code):
    """On the page at `url`, select the quoted text and run the bookmarklet;
    its QuickPost window, loaded."""
    page.goto(url)
    page.evaluate("""() => { const range = document.createRange();
        range.selectNodeContents(document.getElementById('quote').firstChild);
        range.setEnd(range.endContainer, %d);
        window.getSelection().removeAllRanges(); window.getSelection().addRange(range); }""" % len(SELECTED))
    with page.expect_popup(timeout=WAIT_MS) as opened:
        page.evaluate(code)
    popup = opened.value
    popup.wait_for_load_state(timeout=WAIT_MS)
    return popup
