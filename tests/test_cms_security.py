"""Hostile text stored everywhere a weblog keeps text (ping fields, entry and
category fields, weblog settings, author names, the activity log), then every
mt.cgi screen opened in headless Chromium: no script runs (no dialog, no marker
set) and the text is shown as text."""

import pytest

from cms_client import CMSClient
from conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])

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
