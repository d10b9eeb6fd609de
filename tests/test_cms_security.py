"""Hostile text stored everywhere a weblog keeps text (ping fields, entry and
category fields, weblog settings, author names, the activity log), then every
mt.cgi screen opened in headless Chromium: no script runs (no dialog, no marker
set) and the text is shown as text."""

import pytest

from cms_client import CMSClient
from conftest import ADMIN_PASSWORD, admin_password_hash
from local_web import LocalWeb

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
