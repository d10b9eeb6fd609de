"""Logging in returns you where you were (issue 23): a GET of a screen without
a session comes back to it after the login; a save that meets an ended session
or an expired form keeps what was typed, says why, and shows it again after the
login to be saved with a new token. In this process (the `cms` fixture), and once
in Chromium through lighttpd."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from support.client import CMSClient
from support.sites import ADMIN_PASSWORD

from mtpy.apps.cms import screen as cms_screen
from mtpy.models import Session
from mtpy.urls import held_pings_url

# Long, not ASCII, with markup and line breaks: what an owner loses most
# (about 80,000 characters; a fifth of it typed in Chromium).
LONG_TEXT = "\n\n".join("Grüße aus Köln, 第%d段 — “quoted” & <em>kept</em> ☃ 🙂" % n for n in range(1500))
TYPED_IN_CHROMIUM = LONG_TEXT[:16000]
SCRIPT = '<script>alert("x")</script>'
# The mechanics of the login are the same on every backend; what is saved is tried on each.
ONE_BACKEND = pytest.mark.parametrize("backend", ["sqlite"])


def end_sessions(site):
    """Every session ends, as after SessionTimeout: the browser still sends its cookie."""
    store = site.store()
    try:
        for session in store.find(Session):
            store.delete(Session, session.id)
    finally:
        store.close()


def stored_entries(site):
    return {entry.id: entry for entry in site.entries()}


def hidden(page, name):
    found = re.findall(r'<input type="hidden" name="%s" value="([^"]*)">' % re.escape(name), page.text)
    return [html.unescape(value) for value in found]


def textarea(page, name):
    found = re.search(r'<textarea id="%s" name="%s"[^>]*>(.*?)</textarea>' % (name, name), page.text, re.S)
    assert found, page.text[:3000]
    text = html.unescape(found.group(1))
    return text[1:] if text.startswith("\n") else text       # as HTML reads a textarea


def log_in_on(client, page, name, password=ADMIN_PASSWORD, **headers):
    """Fill in the login form `page` shows and send it."""
    return client.submit(page, {"username": name, "password": password}, having="username",
                         headers=headers or None)


# -- a GET comes back to its page -------------------------------------------------------

@ONE_BACKEND
def test_a_get_without_a_session_comes_back_to_its_page_after_the_login(cms):
    site, _ = cms
    quickpost = ("quickpost", {"blog_id": site.blog.id, "bm_show": "trackback", "link_title": "Ein Tag in Köln",
                               "link_href": "http://page.example/köln?a=1&b=2", "text": "Zitat: „schön“"})
    pages = [quickpost, ("entry_edit", {"blog_id": site.blog.id, "entry_id": site.entry.id})]
    for mode, params in pages:
        visitor = CMSClient(site.base)
        asked = visitor.url(mode, **params)
        redirect = visitor.request(asked, follow=False)
        assert redirect.status == 303
        location = urlsplit(redirect.headers["Location"])
        assert parse_qs(location.query)["__mode"] == ["login"]
        return_to = parse_qs(location.query)["return_to"][0]
        assert return_to.startswith("/cgi-bin/mt.cgi?") and parse_qs(urlsplit(return_to).query) == {
            name: [str(value)] for name, value in dict(params, __mode=mode).items()}
        login = visitor.request(asked)
        assert "Log in to mtpy" in login.text and hidden(login, "return_to") == [return_to]
        back = log_in_on(visitor, login, site.author.name)
        assert back.status == 200 and back.url == site.base.rstrip("/") + return_to, (mode, back.url)
        assert "Log in to mtpy" not in back.text and 'name="title"' in back.text


@ONE_BACKEND
def test_the_held_pings_link_of_the_mail_comes_back_after_a_session_ended(cms):
    site, client = cms
    link = held_pings_url(site.config, site.blog)
    assert client.request(link).status == 200
    end_sessions(site)
    login = client.request(link)
    assert "Log in to mtpy" in login.text
    assert "Your session has ended. Log in to go back to the page you were on." in login.text
    back = log_in_on(client, login, site.author.name)
    assert back.url == link and back.status == 200 and "Log out" in back.text


@ONE_BACKEND
def test_quickpost_comes_back_filled_in_from_the_visited_page(cms):
    site, _ = cms
    visitor = CMSClient(site.base)
    login = visitor.get("quickpost", blog_id=site.blog.id, bm_show="", link_title="Ein Tag in Köln",
                        link_href="http://page.example/k", text="Zitat: „schön“ <b>")
    back = log_in_on(visitor, login, site.author.name)
    assert '<input type="text" id="title" name="title" value="Ein Tag in Köln"' in back.text
    assert textarea(back, "body") == '<a href="http://page.example/k">Ein Tag in Köln</a>\nZitat: „schön“ &lt;b&gt;'


@pytest.mark.parametrize("return_to", ["http://evil.example/", "//evil.example/x", "/elsewhere/mt.cgi?__mode=x",
                                       "https:evil.example", "/cgi-bin/mt.cgi#x", "\\\\evil.example",
                                       "/cgi-bin/mt.cgi\n?x", "javascript:alert(1)"])
@ONE_BACKEND
def test_the_login_never_sends_the_browser_to_another_site(cms, return_to):
    site, _ = cms
    visitor = CMSClient(site.base)
    login = visitor.get("login", return_to=return_to)
    assert hidden(login, "return_to") == [] and "evil.example" not in login.text
    answer = visitor.submit(login, {"username": site.author.name, "password": ADMIN_PASSWORD,
                                    "return_to": return_to}, having="username")
    assert answer.status == 200 and answer.url == visitor.url("dashboard")


@ONE_BACKEND
def test_a_screen_too_long_for_a_redirect_shows_the_login_at_its_own_address(cms):
    site, _ = cms
    visitor = CMSClient(site.base)
    text = "ü" * 1500            # 13,500 characters once encoded twice
    asked = visitor.url("quickpost", blog_id=site.blog.id, bm_show="", link_title="T", text=text)
    login = visitor.request(asked, follow=False)
    assert login.status == 200 and "Log in to mtpy" in login.text
    back = log_in_on(visitor, login, site.author.name)
    assert back.url == asked and textarea(back, "body") == "T\n" + text


# -- a POST that meets an ended session -----------------------------------------------

def test_a_new_entry_saved_after_the_session_ended_is_shown_again_then_saved(cms):
    site, client = cms
    form = client.get("entry_edit", blog_id=site.blog.id)
    category, _ = site.add_category(label="Reisen")
    before = stored_entries(site)
    end_sessions(site)
    typed = {"title": "Köln " + SCRIPT, "body": LONG_TEXT, "extended": "Mehr…", "keywords": "köln, reise",
             "status": "Publish", "category_id": str(category.id), "created_on": "2026-11-20 09:30:00"}
    login = client.submit(form, typed)
    assert login.status == 403 and "Log in to mtpy" in login.text
    assert "Your session had ended, so nothing was saved yet." in login.text
    assert SCRIPT not in login.text and "&lt;script&gt;" in login.text          # escaped in the hidden fields
    assert hidden(login, "typed.body") == [LONG_TEXT.replace("\r\n", "\n")]
    assert not [name for name in re.findall(r'name="([^"]+)"', login.text) if "magic_token" in name[1:]]
    assert stored_entries(site) == before                                      # nothing saved

    shown = log_in_on(client, login, site.author.name)
    assert shown.status == 200 and "New entry" in shown.text and "Log out" in shown.text
    assert "Your session had ended; nothing was saved yet. Check and save again." in shown.text
    assert textarea(shown, "body") == LONG_TEXT and 'value="Köln &lt;script&gt;' in shown.text
    assert '<option value="%d" selected>Reisen</option>' % category.id in shown.text
    assert stored_entries(site) == before

    saved = client.submit(shown)                    # the form as shown, with the new session's token
    assert saved.status == 200 and '<p class="notice" role="status">Created.</p>' in saved.text
    [entry] = [entry for entry_id, entry in stored_entries(site).items() if entry_id not in before]
    assert entry.title == "Köln " + SCRIPT and entry.body.replace("\r\n", "\n") == LONG_TEXT
    assert entry.extended == "Mehr…" and entry.status == "Publish" and entry.category_ids == [category.id]


def test_an_edit_saved_after_the_session_ended_is_kept(cms):
    site, client = cms
    form = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id)
    old_body = site.entry.body
    end_sessions(site)
    login = client.submit(form, {"body": LONG_TEXT})
    assert hidden(login, "return_to") == ["/cgi-bin/mt.cgi?__mode=entry_edit&blog_id=%d&entry_id=%d"
                                          % (site.blog.id, site.entry.id)]
    shown = log_in_on(client, login, site.author.name)
    assert "Edit entry" in shown.text and textarea(shown, "body") == LONG_TEXT
    assert stored_entries(site)[site.entry.id].body == old_body
    client.submit(shown)
    assert stored_entries(site)[site.entry.id].body.replace("\r\n", "\n") == LONG_TEXT


@ONE_BACKEND
def test_the_typed_fields_survive_a_wrong_password(cms):
    site, client = cms
    form = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id)
    end_sessions(site)
    login = client.submit(form, {"body": "Erst dies."})
    wrong = log_in_on(client, login, site.author.name, password="not it")
    assert wrong.status == 403 and "Invalid login" in wrong.text
    assert hidden(wrong, "typed.body") == ["Erst dies."] and hidden(wrong, "return_to") == hidden(login, "return_to")
    shown = log_in_on(client, wrong, site.author.name)
    assert textarea(shown, "body") == "Erst dies."


def test_quickpost_after_the_session_ended_keeps_its_text(cms):
    site, client = cms
    form = client.get("quickpost", blog_id=site.blog.id, bm_show="excerpt,keywords", link_title="Seite",
                      link_href="http://page.example/s", text="Ausgewählt")
    before = stored_entries(site)
    end_sessions(site)
    login = client.submit(form, {"title": "Über die Seite", "body": LONG_TEXT, "excerpt": "Kurz ☃"})
    assert "Your session had ended, so nothing was saved yet." in login.text and stored_entries(site) == before
    shown = log_in_on(client, login, site.author.name)
    assert '<p class="warning" role="status">%s</p>' % cms_screen.RESUMED in shown.text
    assert textarea(shown, "body") == LONG_TEXT and textarea(shown, "excerpt") == "Kurz ☃"
    assert 'value="Über die Seite"' in shown.text and hidden(shown, "bm_show") == ["keywords,excerpt"]
    done = client.submit(shown)
    assert "was posted to Test Weblog" in done.text
    [entry] = [entry for entry_id, entry in stored_entries(site).items() if entry_id not in before]
    assert entry.title == "Über die Seite" and entry.body.replace("\r\n", "\n") == LONG_TEXT


def test_the_template_editor_keeps_its_text_but_never_the_password(cms):
    site, client = cms
    form = client.get("template_edit", blog_id=site.blog.id, name="Main Index")
    text = "<html><body>Neu: Grüße ☃ <$MTBlogName$></body></html>\n"
    end_sessions(site)
    login = client.submit(form, {"text": text, "confirm_password": ADMIN_PASSWORD})
    assert ADMIN_PASSWORD not in login.text and hidden(login, "typed.text") == [text]
    assert "confirm_password" not in login.text
    shown = log_in_on(client, login, site.author.name)
    assert textarea(shown, "text") == text and "Check and save again." in shown.text
    saved = client.submit(shown, {"confirm_password": ADMIN_PASSWORD})
    assert "Your changes have been saved." in saved.text
    assert textarea(client.get("template_edit", blog_id=site.blog.id, name="Main Index"), "text") == text


@ONE_BACKEND
def test_a_new_template_typed_while_the_session_ended_is_kept(cms):
    site, client = cms
    form = client.get("template_new", blog_id=site.blog.id, kind="module")
    text = "<p>Ein Modul: Grüße ☃</p>\n"
    end_sessions(site)
    login = client.submit(form, {"name": "Greeting", "text": text, "confirm_password": ADMIN_PASSWORD})
    assert hidden(login, "typed.text") == [text] and ADMIN_PASSWORD not in login.text
    shown = log_in_on(client, login, site.author.name)
    assert textarea(shown, "text") == text and "New template module" in shown.text
    created = client.submit(shown, {"confirm_password": ADMIN_PASSWORD})
    assert "Edit template: Greeting" in created.text, created.text[:2000]

@ONE_BACKEND
def test_a_form_of_an_earlier_session_is_shown_again_not_saved(cms):
    """Logged in again in another tab: the old tab's form token is of the
    session that ended. Its save is refused and shown again, with the token of
    the session now open."""
    site, client = cms
    form = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id)
    old_body = site.entry.body
    end_sessions(site)
    client.log_in(site.author.name, ADMIN_PASSWORD)
    again = client.submit(form, {"body": "Im alten Tab geschrieben."})
    assert again.status == 403 and "This form had expired" in again.text
    assert textarea(again, "body") == "Im alten Tab geschrieben."
    assert stored_entries(site)[site.entry.id].body == old_body
    client.submit(again)
    assert stored_entries(site)[site.entry.id].body == "Im alten Tab geschrieben."


@ONE_BACKEND
def test_what_another_site_posts_is_never_carried(cms):
    site, client = cms
    form = client.get("entry_edit", blog_id=site.blog.id)
    end_sessions(site)
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}):
        login = client.submit(form, {"title": "Mallory's"}, headers=headers)
        assert login.status == 403 and "Log in to mtpy" in login.text
        assert "Mallory" not in login.text and not hidden(login, "typed.title")
        assert "Your session had ended, so nothing was changed." in login.text
    client.log_in(site.author.name, ADMIN_PASSWORD)
    refused = client.submit(form, {"title": "Mallory's"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status == 403 and "Mallory" not in refused.text and "nothing was changed" in refused.text


@ONE_BACKEND
def test_what_is_too_long_to_carry_is_said(cms, monkeypatch):
    site, client = cms
    monkeypatch.setattr(cms_screen, "KEPT_MAX_CHARACTERS", 5000)
    form = client.get("entry_edit", blog_id=site.blog.id)
    end_sessions(site)
    login = client.submit(form, {"body": "x" * 6000})
    assert "what you typed is too long to keep here. Go back in your browser" in login.text
    assert not hidden(login, "typed.body")
    back = log_in_on(client, login, site.author.name)
    assert back.url == client.url("entry_edit", blog_id=site.blog.id) and "New entry" in back.text


@ONE_BACKEND
def test_a_post_of_another_screen_says_nothing_was_changed_and_comes_back(cms):
    site, client = cms
    form = client.get("blog_settings", blog_id=site.blog.id)
    end_sessions(site)
    login = client.submit(form, {"name": "Changed"})
    assert "Your session had ended, so nothing was changed. Log in to go on." in login.text
    assert not [name for name in re.findall(r'name="(typed\.[^"]+)"', login.text)]
    back = log_in_on(client, login, site.author.name)
    assert back.url == client.url("blog_settings", blog_id=site.blog.id) and 'value="Test Weblog"' in back.text
    # A POST-only screen: back to the page it was sent from (the Referer this site's pages send).
    end_sessions(site)
    pings = client.url("pings", blog_id=site.blog.id)
    login = client.request(client.url("entry_ping_retry", blog_id=site.blog.id, entry_id=site.entry.id),
                           data=b"magic_token=x", headers={"Referer": pings,
                                                          "Content-Type": "application/x-www-form-urlencoded"})
    assert hidden(login, "return_to") == ["/cgi-bin/mt.cgi?__mode=pings&blog_id=%d" % site.blog.id]


# -- in Chromium, through lighttpd ------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"])      # about the browser: one backend
def test_a_save_that_meets_an_ended_session_in_chromium(cms, browser):
    """The owner writes a long entry; the session ends (its row deleted, as
    SessionTimeout does); "Save entry" meets the login page, which says why;
    after the login the text is back in the form, and "Save entry" saves it."""
    from support.browsing import log_in
    site, _ = cms
    before = stored_entries(site)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30000)
    try:
        page = context.new_page()
        script = log_in(page, site)
        page.wait_for_url("**__mode=dashboard**")
        page.goto(script + "?__mode=entry_edit&blog_id=%d" % site.blog.id)
        page.locator("#title").fill("Köln im Winter")
        page.locator("#body").fill(TYPED_IN_CHROMIUM)
        end_sessions(site)
        page.get_by_role("button", name="Save entry").click()
        page.get_by_role("heading", name="Log in to mtpy").wait_for()
        assert "Your session had ended, so nothing was saved yet." in page.locator("main").inner_text()
        assert stored_entries(site) == before
        page.locator("#username").fill(site.author.name)
        page.locator("#password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="New entry").wait_for()
        assert "Check and save again." in page.locator("main").inner_text()
        assert page.locator("#title").input_value() == "Köln im Winter"
        assert page.locator("#body").input_value() == TYPED_IN_CHROMIUM
        page.get_by_role("button", name="Save entry").click()
        page.wait_for_url("**__mode=entry_edit**saved=created**")
        [entry] = [entry for entry_id, entry in stored_entries(site).items() if entry_id not in before]
        assert entry.title == "Köln im Winter" and entry.body.replace("\r\n", "\n") == TYPED_IN_CHROMIUM
    finally:
        context.close()
