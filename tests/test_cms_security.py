"""Hostile text stored everywhere a weblog keeps text (ping fields, entry and
category fields, weblog settings, author names, the activity log), then every
mt.cgi screen opened in headless Chromium: no script runs (no dialog, no marker
set) and the text is shown as text."""

import os

import pytest

from support.client import CMSClient, forms
from support.sites import add_author
from support.sites import ADMIN_PASSWORD, Site, admin_password_hash
from support.local_web import LocalWeb
from mtpy.actions.authors import PERMISSION_NAMES
from mtpy.apps.cms import CMSApp


PAYLOADS = [
    "<script>window.__xss=1;alert('script')</script>",
    "\"><img src=x onerror=\"window.__xss=2;alert('img')\">",
    "'><svg onload=alert('svg')>",
    "</textarea><script>alert('textarea')</script>",
    "{{ 7*7 }}{% raw %}",
]
HOSTILE = " ".join(PAYLOADS)


def plant(site):
    """Hostile text in every kind of record mt.cgi shows; returns ids to visit."""
    from mtpy.actions.activity import record
    from mtpy.models import Author, Category, Entry, Ping, Permission
    store = site.store()
    with store.transaction():
        site.blog.name = "Weblog " + HOSTILE
        site.blog.description = HOSTILE
        store.save(site.blog)
        other = Author(name="Mallory " + PAYLOADS[0], email="mallory@example.com", password_hash="x")
        store.save(other)
        store.save(Permission(author_id=other.id, blog_id=site.blog.id, can=["post"]))
        category = Category(blog_id=site.blog.id, label="Label " + HOSTILE, description=HOSTILE, allow_pings=True,
                            passphrase=PAYLOADS[1])
        store.save(category)
        entry = Entry(blog_id=site.blog.id, author_id=other.id, title="Title " + HOSTILE, body=HOSTILE,
                      extended=HOSTILE, excerpt=HOSTILE, keywords=HOSTILE, status="Publish",
                      created_on="2026-11-24 12:00:00", category_ids=[category.id],
                      to_ping_urls=["http://example.com/?q=" + PAYLOADS[1]])
        store.save(entry)
        for item in (store.trackback_for(entry=entry), store.trackback_for(category=category)):
            store.insert(Ping(blog_id=site.blog.id, tb_id=item.id, title="Ping " + HOSTILE, excerpt=HOSTILE,
                              blog_name=HOSTILE, source_url="javascript:alert('url')", ip="192.0.2.7",
                              created_on="2026-11-25 10:00:00"))
        record(store, "login_failed", "Failed login as " + HOSTILE, ip="192.0.2.8", author_name=HOSTILE[:80])
    store.close()
    return entry, category, other


@pytest.mark.parametrize("backend", ["sqlite"])      # about the browser: one backend
def test_no_screen_runs_stored_script(cms, browser):
    site, client = cms
    entry, category, other = plant(site)
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    script = site.base + "cgi-bin/mt.cgi"
    page.goto(script + "?__mode=login")
    page.locator("#username").fill(site.author.name)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    blog = site.blog.id
    screens = ["dashboard", "profile", "activity", "authors", "author_edit&id=%d" % other.id,
               "entries&blog_id=%d" % blog, "entries&blog_id=%d&q=%s" % (blog, "%3Cscript%3Ealert(9)%3C/script%3E"),
               "entry_edit&blog_id=%d&entry_id=%d" % (blog, entry.id),
               "entry_delete&blog_id=%d&entry_id=%d" % (blog, entry.id),
               "categories&blog_id=%d" % blog, "category_edit&blog_id=%d&category_id=%d" % (blog, category.id),
               "pings&blog_id=%d" % blog, "pings&blog_id=%d&entry_id=%d" % (blog, entry.id),
               "bans&blog_id=%d" % blog, "templates&blog_id=%d" % blog, "rebuild&blog_id=%d" % blog,
               "blog_settings&blog_id=%d" % blog, "transfer&blog_id=%d" % blog,
               "%3Cscript%3Ealert(10)%3C/script%3E"]
    for screen in screens:
        answer = page.goto(script + "?__mode=" + screen)
        assert answer.status in (200, 404), (screen, answer.status)
        assert page.evaluate("window.__xss") is None, screen
        if answer.status == 200 and screen.startswith(("entries&", "pings&", "categories&", "dashboard")):
            assert "<script>" in page.locator("main").inner_text() or "Ping" in page.locator("main").inner_text()
    assert dialogs == []
    # The text is shown as text: the edit screen's fields hold it unchanged.
    page.goto(script + "?__mode=entry_edit&blog_id=%d&entry_id=%d" % (blog, entry.id))
    assert page.locator("#title").input_value() == "Title " + HOSTILE
    assert page.locator("#body").input_value() == HOSTILE
    page.goto(script + "?__mode=pings&blog_id=%d" % blog)
    assert page.locator("a[href^='javascript:']").count() == 0
    assert dialogs == []


def test_a_ping_payload_shows_as_plain_text_in_the_list(cms):
    site, client = cms
    plant(site)
    page = client.get("pings", blog_id=site.blog.id).text
    assert "<script>" not in page and "<img src=x" not in page and "<svg" not in page
    assert 'href="javascript:' not in page
    assert "Ping window.__xss=1;alert(&#39;script&#39;)" in page        # ping text: tags removed, then escaped
    assert "Log in to mtpy" in CMSClient(site.base).get("pings", blog_id=site.blog.id).text


@pytest.mark.parametrize("backend", ["sqlite"])      # about the browser: one backend
def test_a_page_of_another_site_cannot_log_the_browser_into_another_account(cms, browser):
    """Mallory's page (on `localhost`, another site than mt.cgi's 127.0.0.1)
    posts the login form with Mallory's name, password and a token from her own
    visit: the administrator's browser is not logged in as Mallory."""
    from mtpy.models import Author
    site, client = cms
    store = site.store()
    store.save(Author(name="Mallory", email="mallory@example.com", password_hash=admin_password_hash()))
    store.close()
    script = site.base + "cgi-bin/mt.cgi"
    own_visit = CMSClient(site.base)
    own_visit.get("login")
    token = own_visit.token()
    attack = ('<!DOCTYPE html><form method="post" action="%s?__mode=login">'
              '<input name="username" value="Mallory"><input name="password" value="%s">'
              '<input name="magic_token" value="%s"></form><script>document.forms[0].submit()</script>'
              % (script, ADMIN_PASSWORD, token))
    web = LocalWeb()
    try:
        page = browser.new_page()
        page.goto(script + "?__mode=login")           # the browser has its own form cookie
        statuses = []
        page.on("response", lambda response: statuses.append(response.status) if response.url.startswith(script)
                else None)
        page.goto(web.html("/attack", attack).replace("127.0.0.1", "localhost"))
        page.wait_for_url(lambda url: url.startswith(script), timeout=30000)
        page.wait_for_load_state()
        assert statuses == [403] and "did not come from this site" in page.content()
        page.goto(script + "?__mode=dashboard")
        assert "Log in to mtpy" in page.content() and "Mallory" not in page.content()
    finally:
        web.close()

# -- what an author who is not a system administrator can reach (in process) --------

@pytest.fixture
def two_weblogs(tmp_path, backend):
    """mt.cgi in this process on a site with a second, published weblog: (site,
    weblog 2, Melody logged in as a system administrator, Writer logged in with
    every permission in weblog 1 only)."""
    from mtpy.models import Blog
    site = Site(tmp_path / "site", backend)
    second_folder = os.path.join(site.folder, "second")
    os.makedirs(second_folder)
    with open(os.path.join(second_folder, "index.html"), "w") as handle:
        handle.write("weblog 2's own page")
    store = site.store()
    site.author.password_hash, site.author.is_admin = admin_password_hash(), True
    store.save(site.author)
    second = Blog(name="Second", site_url=site.base + "second/", site_path=second_folder,
                  archive_url=site.base + "second/", archive_path=second_folder)
    store.save(second)
    store.close()
    add_author(site, "Writer", {site.blog.id: list(PERMISSION_NAMES)})
    app = CMSApp(site.config)
    admin, writer = CMSClient(site.base, app=app), CMSClient(site.base, app=app)
    admin.log_in(site.author.name, ADMIN_PASSWORD)
    writer.log_in("Writer", ADMIN_PASSWORD)
    return site, second, admin, writer


def settings_form(client, blog_id, **changes):
    [(_, fields)] = [form for form in forms(client.get("blog_settings", blog_id=blog_id).text) if "name" in form[1]]
    values = [(name, value) for name, values in fields.items() for value in values if name not in changes]
    return values + list(changes.items())


def test_only_an_administrator_chooses_a_weblogs_folders(two_weblogs):
    site, second, admin, writer = two_weblogs
    page = writer.get("blog_settings", blog_id=site.blog.id).text
    assert 'name="site_path"' not in page and 'name="archive_path"' not in page
    assert '<output id="site_path" class="url">%s</output>' % site.archives in page
    assert "Only a system administrator changes where a weblog is published." in page
    # The form as shown saves; the folders typed into a forged one are refused.
    saved = writer.post("blog_settings", settings_form(writer, site.blog.id, name="Renamed"), blog_id=site.blog.id)
    assert "Your changes have been saved." in saved.text
    for field in ("site_path", "archive_path"):
        forged = writer.post("blog_settings", settings_form(writer, site.blog.id, **{field: second.site_path}),
                             blog_id=site.blog.id)
        assert "Only a system administrator chooses where a weblog is published." in forged.text
    writer.post("rebuild", {"type": "all"}, blog_id=site.blog.id)
    store = site.store()
    blog = store.get(type(site.blog), site.blog.id)
    store.close()
    assert (blog.name, blog.site_path, blog.archive_path) == ("Renamed", site.archives, site.archives)
    with open(os.path.join(second.site_path, "index.html")) as handle:
        assert handle.read() == "weblog 2's own page"


def test_a_weblog_folder_that_another_weblog_or_mtpy_uses_is_refused(two_weblogs):
    site, second, admin, _ = two_weblogs
    refusals = {second.site_path: "would share files with weblog %d (Second)" % second.id,
                os.path.join(second.site_path, "inside"): "would share files with weblog %d" % second.id,
                site.folder: "would share files with weblog %d" % second.id,      # holds both weblogs
                site.config.get("DataSource"): "is inside mtpy&#39;s data folder",
                os.path.join(site.config.folder, "x"): "is inside the folder of mtpy&#39;s scripts and mt.cfg",
                site.config.get("TemplatePath"): "is inside mtpy&#39;s template folder"}
    for folder, message in refusals.items():
        for field in ("site_path", "archive_path"):
            page = admin.post("blog_settings", settings_form(admin, site.blog.id, **{field: folder}),
                              blog_id=site.blog.id).text
            assert message in page, (folder, field)
    moved = os.path.join(site.folder, "moved")
    assert "Your changes have been saved." in admin.post(
        "blog_settings", settings_form(admin, site.blog.id, site_path=moved, archive_path=moved),
        blog_id=site.blog.id).text
    # With WeblogRoot, only folders inside it.
    site.update_config("WeblogRoot ../weblogs\n")
    confined = CMSClient(site.base, app=CMSApp(site.config))
    confined.log_in(site.author.name, ADMIN_PASSWORD)
    outside = confined.post("blog_settings", settings_form(confined, site.blog.id, site_path=site.archives),
                            blog_id=site.blog.id).text
    assert "Weblogs are published inside %s (WeblogRoot in mt.cfg)" % os.path.join(site.folder, "weblogs") in outside
    inside = os.path.join(site.folder, "weblogs", "one")
    assert "Your changes have been saved." in confined.post(
        "blog_settings", settings_form(confined, site.blog.id, site_path=inside, archive_path=inside),
        blog_id=site.blog.id).text
    store = site.store()
    assert store.get(type(site.blog), site.blog.id).site_path == inside
    store.close()


def test_an_import_by_a_settings_author_is_theirs_and_its_ping_urls_are_checked(two_weblogs):
    from mtpy.models import Author, Entry, Ping
    site, _, _, writer = two_weblogs
    hostile = ("AUTHOR: %s\nAUTHOR: Admln\nTITLE: Posted by Admin?\nSTATUS: Publish\n-----\nBODY:\nb\n-----\n"
               "PING:\nTITLE: p\nURL: %s\nIP: 192.0.2.1\nexcerpt\n-----\n--------\n")
    refused = writer.post("transfer", {}, files={"file": ("export.txt", (hostile % (
        site.author.name, "javascript:alert(document.cookie)")).encode(), "text/plain")}, blog_id=site.blog.id)
    assert "a PING needs an http or https URL" in refused.text and "(nothing imported)" in refused.text
    imported = writer.post("transfer", {}, files={"file": ("export.txt", (hostile % (
        site.author.name, "http://elsewhere.example/")).encode(), "text/plain")}, blog_id=site.blog.id)
    assert "Imported." in imported.text
    store = site.store()
    try:
        entry, = store.find(Entry, title="Posted by Admin?")
        assert store.get(Author, entry.author_id).name == "Writer"
        assert sorted(author.name for author in store.find(Author)) == ["Melody", "Writer"]
        assert [ping.source_url for ping in store.find(Ping)] == ["http://elsewhere.example/"]
    finally:
        store.close()


def test_an_author_reads_the_activity_of_their_weblogs_without_addresses(two_weblogs):
    from mtpy.actions.activity import record
    site, second, admin, _ = two_weblogs
    store = site.store()
    with store.transaction():
        record(store, "settings", "Changed name", site.blog.id, site.author, "198.51.100.20")
        record(store, "ping", "Ping from http://sender.example/: Hi", site.blog.id, ip="192.0.2.7")
        record(store, "ban", "Banned 203.0.113.9", site.blog.id, site.author, "198.51.100.20")
        record(store, "ping", "Ping from http://elsewhere.example/", second.id, ip="192.0.2.8")
    store.close()
    add_author(site, "Poster", {site.blog.id: ["post"]})
    poster = CMSClient(site.base, app=CMSApp(site.config))
    poster.log_in("Poster", ADMIN_PASSWORD)
    theirs = poster.get("activity").text
    assert "Changed name" in theirs and "Ping from http://sender.example/: Hi" in theirs
    assert ">Address banned<" in theirs and "The address is shown to system administrators only." in theirs
    assert "elsewhere.example" not in theirs                               # another weblog's
    for address in ("198.51.100.20", "192.0.2.7", "203.0.113.9", "127.0.0.1"):
        assert address not in theirs, address
    assert "<th>IP</th>" not in theirs
    everything = admin.get("activity").text
    for shown in ("198.51.100.20", "192.0.2.7", "Banned 203.0.113.9", "elsewhere.example", "<th>IP</th>"):
        assert shown in everything, shown

# What an author's script would do with the administrator's session: read the
# form's token from an mt.cgi screen, make its author a system administrator and
# give them every permission, and take over the administrator's e-mail address
# (a change that asks for no password).
ATTACK = ("(async()=>{window.__xss=1;const s='/cgi-bin/mt.cgi',id=%(id)d,blog=%(blog)d;"
          "const page=await(await fetch(s+'?__mode=author_edit&id='+id)).text();"
          "const token=page.match(/name=\"magic_token\" value=\"([^\"]+)\"/)[1];"
          "const form=new URLSearchParams({magic_token:token,is_admin:'1'});"
          "for(const can of ['post','edit_all','categories','templates','settings','bans','unfiltered_html'])"
          "form.append('can_'+blog,can);"
          "await fetch(s+'?__mode=author_edit&id='+id,{method:'POST',body:form});"
          "await fetch(s+'?__mode=profile',{method:'POST',body:new URLSearchParams("
          "{magic_token:token,email:'taken-'+id+'@evil.example'})})})()")


def vectors(author_id, blog_id):
    """The usual ways of running ATTACK from published HTML."""
    attack = ATTACK % {"id": author_id, "blog": blog_id}
    quoted = attack.replace("&", "&amp;").replace('"', "&quot;")
    return ('<script>%s</script><img src="x" onerror="%s"><svg onload="%s"></svg>'
            '<a class="go" href="javascript:%s">Read more</a>'
            '<form action="/cgi-bin/mt.cgi?__mode=author_edit&amp;id=%d" method="post">'
            '<input type="hidden" name="is_admin" value="1"><button class="go">Vote</button></form>'
            % (attack, quoted, quoted, quoted, author_id))


# A Main Index printing the fields raw, as MT 2.x's own default templates did.
RAW_INDEX = ("<html><head><title>Index</title></head><body><h1><$MTBlogName$></h1><p><$MTBlogDescription$></p>"
             "<MTCategories><div><$MTCategoryLabel$> <$MTCategoryDescription$></div></MTCategories>"
             "<MTEntries><h2><$MTEntryTitle$></h2><$MTEntryBody$><$MTEntryMore$><$MTEntryExcerpt$></MTEntries>"
             "</body></html>\n")


def settle(page):
    """Wait until the page's requests are done: when scripts run, dozens of
    requests to mt.cgi are (what they changed by then is checked)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    try:
        page.wait_for_load_state("networkidle", timeout=10000)
    except PlaywrightTimeout:
        pass


@pytest.mark.parametrize("backend", ["sqlite"])      # about the browser: one backend
def test_what_authors_publish_cannot_act_as_the_administrator(cms, browser):
    """A "post" author's entry, a "categories" author's label and a "settings"
    author's weblog name, each carrying a script, an <img onerror>, an <svg
    onload>, a javascript: link and a <form>, opened by the administrator:
    afterwards nobody has gained anything."""
    from mtpy.actions import authors, categories, entries, templates, weblogs
    from mtpy.actions.rebuild import rebuild_all
    from mtpy.models import Author, Permission
    site, _ = cms
    store = site.store()
    blog = site.blog
    attackers = {}
    for name, can in (("Poster", ["post"]), ("Labeller", ["categories"]), ("Settler", ["settings"])):
        attackers[name] = authors.create_author(store, name, name.lower() + "@example.com", "a-long-password").record
        authors.set_permissions(store, attackers[name], blog, can)
    # (a label is a file name too: the whole attack goes in the description)
    label = categories.save_category(store, site.config, blog, None,
                                     {"label": "Tips<svg onload=alert(1)>", "description":
                                      vectors(attackers["Labeller"].id, blog.id)},
                                     author=attackers["Labeller"]).record
    poster = vectors(attackers["Poster"].id, blog.id)
    entries.save_entry(store, site.config, blog, None, {"title": poster, "body": poster, "extended": poster,
                                                        "status": "Publish", "category_ids": [label.id]},
                       author=attackers["Poster"])
    weblogs.change_weblog(store, site.config, blog, {"name": "Weblog" + vectors(attackers["Settler"].id, blog.id),
                                                     "description": vectors(attackers["Settler"].id, blog.id)},
                          author=attackers["Settler"])
    templates.replace_template(store, site.config, store.get(type(blog), blog.id), "Main Index", RAW_INDEX)
    rebuild_all(store, site.config, store.get(type(blog), blog.id))
    before = sorted((permission.author_id, permission.blog_id, tuple(permission.can))
                    for permission in store.find(Permission))
    store.close()

    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(site.base + "cgi-bin/mt.cgi?__mode=login")
    page.locator("#username").fill(site.author.name)
    page.locator("#password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**__mode=dashboard**")
    page.goto(site.base)
    assert page.locator("a:has-text('Read more')").count() >= 6     # entry, category, weblog: all shown
    settle(page)
    scripts_ran = page.evaluate("window.__xss")
    page.locator("a:has-text('Read more')").first.click()
    settle(page)
    if page.locator("button:has-text('Vote')").count():
        page.locator("button:has-text('Vote')").first.click()
        settle(page)

    store = site.store()
    try:
        assert [author.name for author in store.find(Author) if author.is_admin] == ["Melody"]
        assert store.get(Author, site.author.id).email == "melody@example.com"
        assert sorted((permission.author_id, permission.blog_id, tuple(permission.can))
                      for permission in store.find(Permission)) == before
    finally:
        store.close()
    assert scripts_ran is None and dialogs == []
