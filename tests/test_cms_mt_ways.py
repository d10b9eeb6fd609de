"""Entries and weblogs as Movable Type users knew them: the Entries screen
searches titles and text alike on every backend; "Create a weblog" proposes
its URL and folder as set-up does; IP Banning says who banned an address,
when and why."""

import os

import pytest

from mtpy.models import Blog, Entry

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


# -- searching entries ----------------------------------------------------------

def test_entries_are_found_by_any_words_of_their_title_or_text(store):
    blog, other = Blog(name="One"), Blog(name="Two")
    store.save(blog)
    store.save(other)
    rows = [("Walking", "Over the <em>HILLS</em> and far", "", "", ""),
            ("Cooking", "Bread", "The 50% rye_loaf, at length", "", ""),
            ("Reading", "", "", "An excerpt about hills", ""),
            ("Gardening", None, None, None, "hills roses"),
            ("Hills of home", "", "", "", "")]
    for number, (title, body, extended, excerpt, keywords) in enumerate(rows):
        store.save(Entry(blog_id=blog.id, title=title, body=body, extended=extended, excerpt=excerpt,
                         keywords=keywords, created_on="2026-03-%02d 10:00:00" % (number + 1)))
    store.save(Entry(blog_id=other.id, title="Hills elsewhere", created_on="2026-03-09 10:00:00"))

    def found(text, **page):
        return [entry.title for entry in store.list_entries(blog.id, text_contains=text, **page)]
    assert found("hills") == ["Hills of home", "Gardening", "Reading", "Walking"]    # newest first, any field
    assert store.count_entries(blog.id, text_contains="HILLS") == 4
    assert found("hills", limit=2, offset=1) == ["Gardening", "Reading"]
    assert found("0% r") == ["Cooking"] and found("e_l") == ["Cooking"] and found("_") == ["Cooking"]
    assert found("<em>") == ["Walking"]                              # the text as written, tags too
    assert found("nowhere") == [] and store.count_entries(blog.id, text_contains="nowhere") == 0
    assert len(found("")) == 5                                      # no filter
    # With a title search too, both must hold.
    assert [entry.title for entry in store.list_entries(blog.id, title_contains="ing", text_contains="hills")] == [
        "Gardening", "Reading", "Walking"]


@SQLITE
def test_the_entries_screen_searches_title_and_text(cms):
    site, client = cms
    site.add_entry(title="About bicycles", body="Nothing here")
    site.add_entry(title="Sunday", body="We rode our <b>bicycles</b> by the sea", extended="")
    site.add_entry(title="Monday", body="Work", extended="More bicycles after work")
    page = client.get("entries", blog_id=site.blog.id, q="Bicycles")
    assert page.status == 200 and "3 entries with &ldquo;Bicycles&rdquo; in the title or text." in page.text
    for title in ("About bicycles", "Sunday", "Monday"):
        assert ">%s</a>" % title in page.text
    assert 'placeholder="Words in the title or text"' in page.text and 'value="Bicycles"' in page.text
    assert "1 entry with" in client.get("entries", blog_id=site.blog.id, q="by the sea").text


# -- IP Banning: who, when, why ---------------------------------------------------------

def test_a_ban_keeps_its_note_its_moment_and_its_author(store):
    from mtpy.actions import ActionError
    from mtpy.actions.bans import add_ban
    from mtpy.models import Author, IPBan
    blog, author = Blog(name="B"), Author(name="Melody")
    store.save(blog)
    store.save(author)
    done = add_ban(store, blog, " 203.0.113.0/24 ", author=author, note="  casino spam\non three entries ",
                   now="2026-05-04 03:02:01")
    ban = store.get(IPBan, done.record.id)
    assert (ban.ip, ban.note, ban.created_on, ban.author_id) == (
        "203.0.113.0/24", "casino spam on three entries", "2026-05-04 03:02:01", author.id)
    assert add_ban(store, blog, "203.0.113.0/24", note="again").changed == []     # the first stays
    assert store.get(IPBan, ban.id).note == "casino spam on three entries"
    with pytest.raises(ActionError) as refused:
        add_ban(store, blog, "198.51.100.7", note="x" * 501)
    assert refused.value.field == "note" and len(store.find(IPBan, blog_id=blog.id)) == 1
    plain = store.get(IPBan, add_ban(store, blog, "198.51.100.7").record.id)
    assert plain.note == "" and plain.author_id is None and len(plain.created_on) == 19


@SQLITE
def test_the_ip_banning_screen_says_who_banned_when_and_why(cms):
    from mtpy.models import IPBan
    site, client = cms
    store = site.store()
    store.insert(IPBan(blog_id=site.blog.id, ip="192.0.2.1"))          # kept by an older version
    client.get("bans", blog_id=site.blog.id)
    page = client.post("ban_add", {"address": "198.51.100.7", "note": "Pharmacy <spam>"}, blog_id=site.blog.id)
    assert page.status == 200 and "The address is banned" in page.text
    ban = [ban for ban in site.store().find(IPBan, blog_id=site.blog.id) if ban.ip == "198.51.100.7"][0]
    assert ban.note == "Pharmacy <spam>" and ban.author_id == site.author.id
    from mtpy.dates import format_date
    assert format_date(ban.created_on, site.blog.timezone, "%Y-%m-%d %H:%M") in page.text
    assert "by %s</span>" % site.author.name in page.text and "Pharmacy &lt;spam&gt;" in page.text
    assert "before this version" in page.text                             # the older ban
    assert 'id="note"' in page.text and "Remove the ban<span class=\"sr-only\"> on 198.51.100.7" in page.text
    refused = client.post("ban_add", {"address": "not an address", "note": "kept as typed"}, blog_id=site.blog.id)
    assert 'value="kept as typed"' in refused.text


@SQLITE
def test_mtpy_ipban_add_takes_a_note_and_a_backup_keeps_it(site, tmp_path):
    from support.cli import mtpy
    from mtpy.models import IPBan
    mtpy(site, "ipban", "add", "--blog", site.blog.id, "--note", "from the shell", "10.0.0.0/8")
    ban, = site.store().find(IPBan, blog_id=site.blog.id)
    assert ban.note == "from the shell" and ban.author_id is None and ban.created_on
    mtpy(site, "backup", str(tmp_path / "b.zip"))
    mtpy(site, "ipban", "remove", "--blog", site.blog.id, "10.0.0.0/8")
    mtpy(site, "restore", "--yes", str(tmp_path / "b.zip"))
    again, = site.store().find(IPBan, blog_id=site.blog.id)
    assert (again.note, again.created_on, again.author_id) == (ban.note, ban.created_on, None)


# -- "Create a weblog" -------------------------------------------------------------

@SQLITE
def test_create_a_weblog_proposes_a_folder_and_url_as_set_up_does(cms):
    from support.client import forms
    site, client = cms
    root = os.path.dirname(site.config.folder)
    page = client.get("blog_new")
    assert page.status == 200 and "Proposed as set-up does" in page.text
    [proposed] = [{name: values[0] for name, values in form.items()} for _, form in forms(page.text)
                  if "site_path" in form]
    # archives/ is the first weblog's: the next free folder beside cgi-bin/, served beside it.
    assert proposed["site_path"] == os.path.join(root, "weblog-2")
    assert proposed["site_url"] == site.base + "weblog-2/"
    fields = dict(proposed, name="Second weblog", timezone="0")
    made = client.post("blog_new", [(name, value) for name, value in fields.items() if name != "magic_token"])
    assert made.status == 200 and "Created." in made.text
    second = [blog for blog in site.store().find(Blog) if blog.name == "Second weblog"][0]
    assert (second.site_path, second.site_url) == (os.path.join(root, "weblog-2"), site.base + "weblog-2/")
    os.makedirs(os.path.join(root, "weblog-3"))
    with open(os.path.join(root, "weblog-3", "index.html"), "w") as handle:
        handle.write("someone's files")                     # a folder in use is never proposed
    [again] = [form for _, form in forms(client.get("blog_new").text) if "site_path" in form]
    assert again["site_path"] == [os.path.join(root, "weblog-4")]


# -- seen in Chromium ------------------------------------------------------------------

@SQLITE
def test_the_changed_screens_in_chromium_at_1280_and_360_pixels(cms, browser):
    """A new index template made and published through the browser; the
    Templates, new template, Entries search, Create a weblog and IP Banning
    screens fit a phone's width. With $MTPY_SCREENSHOTS (a folder), each is
    photographed there to be looked at."""
    from support.browsing import log_in
    from support.sites import ADMIN_PASSWORD
    from mtpy.actions.bans import add_ban
    site, _ = cms
    store = site.store()
    add_ban(store, site.blog, "198.51.100.7", author=site.author, note="Casino spam on three entries, every hour")
    site.add_entry(title="Walking the hills", body="A long walk over the hills and far away")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    script = log_in(page, site)
    page.goto(script + "?__mode=templates&blog_id=%d" % site.blog.id)
    page.get_by_role("link", name="New index template").click()
    page.get_by_label("Template name").fill("About page")
    page.get_by_label("Output file").fill("about.html")
    page.get_by_label("Template text").fill("<p>About <$MTBlogName$></p>\n")
    page.get_by_label("Your password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Create template").click()
    assert page.get_by_role("heading", name="Edit template: About page").is_visible()
    page.get_by_label("Your password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Save and rebuild").click()
    page.wait_for_selector("text=Rebuilt", timeout=20000)
    with open(os.path.join(site.archives, "about.html")) as handle:
        assert handle.read() == "<p>About Test Weblog</p>\n"
    shots = os.environ.get("MTPY_SCREENSHOTS")
    b = site.blog.id
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for name, query in (("templates", "__mode=templates&blog_id=%d" % b),
                            ("template-new", "__mode=template_new&blog_id=%d&kind=index" % b),
                            ("entries-search", "__mode=entries&blog_id=%d&q=hills" % b),
                            ("blog-new", "__mode=blog_new"),
                            ("bans", "__mode=bans&blog_id=%d" % b)):
            page.goto(script + "?" + query)
            if shots:
                page.screenshot(path=os.path.join(shots, "%s-%d.png" % (name, width)), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
