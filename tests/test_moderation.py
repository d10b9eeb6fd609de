"""Moderation and spam controls: approving, junking (the block list learns the
source's domain) and its undo, deleting one, many and old junk, on every
backend; held and junk pings shown nowhere public until approved; mt.cgi's
TrackBacks screen filtered by state, its bulk actions, the weblog's spam
settings; export and import keeping each ping's state; a walk in Chromium."""

import io
import os
import re
import urllib.parse

import pytest

from conftest import http, wait_for
from support.browsing import log_in
from support.client import forms
from mtpy import dates
from mtpy.actions import ActionError, pings
from mtpy.actions import weblogs
from mtpy.actions.rebuild import rebuild_all
from mtpy.actions.importing import store_entries
from mtpy.importexport import ImportFormatError, export_entries
from mtpy.models import Activity, Blog, Entry, Ping
from mtpy.work import run_jobs
from support.http import SUCCESS, post

SCREEN = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def add_ping(store, blog, item, url, title, state="published", **values):
    """A ping stored straight away, in one of the three states."""
    values.setdefault("created_on", "2026-11-25 08:00:00")
    ping = Ping(blog_id=blog.id, tb_id=item.id, source_url=url, title=title, visible=state == "published",
                junk=state == "junk", **values)
    store.insert(ping)
    return ping


def state_of(store, ping):
    stored = store.get(Ping, ping.id)
    return "published" if stored.visible else ("junk" if stored.junk else "held")


def log_lines(store, kind=None):
    return [line.message for line in store.find(Activity) if kind is None or line.kind == kind]


def refused(field, call, *args, **kwargs):
    with pytest.raises(ActionError) as raised:
        call(*args, **kwargs)
    assert raised.value.field == field, raised.value.message


@pytest.fixture
def weblog(store, store_config, tmp_path):
    """(store, config, blog, item): a weblog without pages, whose entry's
    ID.xml is written to its archive folder."""
    archives = tmp_path / "archives"
    archives.mkdir()
    blog = Blog(name="W", archive_path=str(archives), archive_url="http://w.example/",
                junk_words=["casino", "listed.example"])
    store.save(blog)
    entry = Entry(blog_id=blog.id, title="E", created_on="2026-11-24 10:00:00")
    store.save(entry)
    return store, store_config, blog, store.trackback_for(entry=entry)


def feed_of(blog, item):
    path = os.path.join(blog.archive_path, "%d.xml" % item.id)
    return open(path, encoding="utf-8").read() if os.path.exists(path) else ""


# -- the actions, on every backend -------------------------------------------------------

def test_approve_publishes_held_and_junk_pings_all_or_none(weblog):
    store, config, blog, item = weblog
    held = add_ping(store, blog, item, "http://held.example/1", "Held title", "held")
    junk = add_ping(store, blog, item, "http://junk.example/2", "Junk title", "junk", junk_score=3.0)
    shown = add_ping(store, blog, item, "http://shown.example/3", "Shown title")
    refused("ping_ids", pings.approve_pings, store, config, blog, [held.id, shown.id])
    refused("ping_ids", pings.approve_pings, store, config, blog, [held.id, 99999])
    assert (state_of(store, held), state_of(store, junk)) == ("held", "junk") and log_lines(store) == []

    done = pings.approve_pings(store, config, blog, [held.id, junk.id])
    assert done.changed == [held.id, junk.id]
    assert [state_of(store, ping) for ping in (held, junk, shown)] == ["published"] * 3
    assert not store.get(Ping, junk.id).junk and store.get(Ping, junk.id).junk_score == 3.0   # the verdict stays
    assert "Held title" in feed_of(blog, item) and "Junk title" in feed_of(blog, item)
    assert log_lines(store, "release") == ["Approved 2 pings: http://held.example/1, http://junk.example/2"]


def test_junking_teaches_the_block_list_and_not_junk_undoes_it(weblog):
    store, config, blog, item = weblog
    shown = add_ping(store, blog, item, "http://Spam.Example:8080/post", "Shown spam")
    held = add_ping(store, blog, item, "http://www.spam.example/other", "Held spam", "held")
    under_listed = add_ping(store, blog, item, "https://deep.listed.example/", "Under a listed domain")
    local = add_ping(store, blog, item, "http://localhost/x", "No dot")
    pings.pings_changed(store, config, blog, [item.id])
    assert "Shown spam" in feed_of(blog, item)

    done = pings.junk_pings(store, config, blog, [shown.id, held.id, under_listed.id, local.id])
    # One new domain: www.spam.example is under it, deep.listed.example under a listed one,
    # and a name without a dot would be a word matched in any text.
    assert done.record == ["spam.example"]
    assert store.get(Blog, blog.id).junk_words == ["casino", "listed.example", "spam.example"]
    assert {state_of(store, ping) for ping in (shown, held, under_listed, local)} == {"junk"}
    assert "Shown spam" not in feed_of(blog, item)              # hidden at once
    message, = [line for line in log_lines(store) if line.startswith("Marked 4 pings as junk")]
    assert message.endswith("; block list learnt: spam.example")
    refused("ping_ids", pings.junk_pings, store, config, blog, [shown.id])

    refused("ping_ids", pings.unjunk_pings, store, config, blog, [shown.id, 99999])
    undone = pings.unjunk_pings(store, config, blog, [shown.id, held.id])
    assert undone.record == ["spam.example"] and undone.job_ids == []
    assert store.get(Blog, blog.id).junk_words == ["casino", "listed.example"]
    assert (state_of(store, shown), state_of(store, held)) == ("held", "held")
    refused("ping_ids", pings.unjunk_pings, store, config, blog, [shown.id])      # not junk any more
    published = pings.unjunk_pings(store, config, blog, [under_listed.id], publish=True)
    assert published.record == [] and state_of(store, under_listed) == "published"
    assert store.get(Blog, blog.id).junk_words == ["casino", "listed.example"]    # the owner's own entry stays
    assert "Under a listed domain" in feed_of(blog, item)


def test_deleting_one_many_and_old_junk(weblog):
    store, config, blog, item = weblog
    one, two, three = (add_ping(store, blog, item, "http://d.example/%d" % n, "Doomed %d" % n) for n in range(3))
    pings.delete_pings(store, config, blog, [one.id])
    pings.delete_pings(store, config, blog, [two.id, three.id])
    assert store.list_pings(blog_id=blog.id, visible_only=False) == []
    assert log_lines(store, "delete") == ["Deleted 1 ping: http://d.example/0",
                                          "Deleted 2 pings: http://d.example/1, http://d.example/2"]
    old_junk = add_ping(store, blog, item, "http://old.example/", "Old junk", "junk",
                        created_on=dates.utc_now(-40 * 86400))
    new_junk = add_ping(store, blog, item, "http://new.example/", "New junk", "junk",
                        created_on=dates.utc_now(-86400))
    old_held = add_ping(store, blog, item, "http://held.example/", "Old held", "held",
                        created_on=dates.utc_now(-40 * 86400))
    for days in ("0", "many", "-3", ""):
        refused("days", pings.delete_junk_older_than, store, config, blog, days)
    assert pings.delete_junk_older_than(store, config, blog, 30) == 1
    assert sorted(ping.id for ping in store.list_pings(blog_id=blog.id, visible_only=False)) == [
        new_junk.id, old_held.id]
    assert store.get(Ping, old_junk.id) is None
    assert log_lines(store, "delete")[-1] == "Deleted 1 junk ping older than 30 days"
    assert pings.delete_junk_older_than(store, config, blog, "30") == 0


# -- nowhere public until approved ---------------------------------------------------

def trackback_get(site, query):
    from mtpy.apps.trackback import TrackbackApp
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": query, "PATH_INFO": "", "REMOTE_ADDR": "127.0.0.1",
               "wsgi.input": io.BytesIO(b""), "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80"}
    return b"".join(TrackbackApp(site.config)(environ, lambda status, headers, info=None: None)).decode("utf-8")


def public_texts(site):
    """Every public place that shows the entry's pings."""
    def read(path):
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    return {"popup": trackback_get(site, "__mode=view&entry_id=%d" % site.entry.id),
            "rss": trackback_get(site, "__mode=rss&tb_id=%d" % site.item.id),
            "ID.xml": read(os.path.join(site.archives, "%d.xml" % site.item.id)),
            "page": read(os.path.join(site.archives, "%06d.html" % site.entry.id))}


def test_held_and_junk_pings_appear_nowhere_public_until_approved(site):
    store = site.store()
    try:
        rebuild_all(store, site.config, site.blog)
        shown = add_ping(store, site.blog, site.item, "http://shown.example/", "Plainly shown")
        held = add_ping(store, site.blog, site.item, "http://held.example/", "Quietly held", "held")
        junk = add_ping(store, site.blog, site.item, "http://junk.example/", "Surely junk", "junk")
        run_jobs(store, site.config, pings.pings_changed(store, site.config, site.blog, [site.item.id]))
        for where, text in public_texts(site).items():
            assert "Plainly shown" in text and "Quietly held" not in text and "Surely junk" not in text, where
        run_jobs(store, site.config, pings.approve_pings(store, site.config, site.blog, [held.id, junk.id]))
        for where, text in public_texts(site).items():
            assert "Quietly held" in text and "Surely junk" in text, where
        run_jobs(store, site.config, pings.junk_pings(store, site.config, site.blog, [shown.id, junk.id]))
        for where, text in public_texts(site).items():
            assert "Plainly shown" not in text and "Surely junk" not in text and "Quietly held" in text, where
    finally:
        store.close()


# -- export and import ----------------------------------------------------------------------

def test_export_and_import_keep_each_pings_state_and_verdict(weblog, backend):
    store, config, blog, item = weblog
    add_ping(store, blog, item, "http://p.example/", "Published one")
    add_ping(store, blog, item, "http://h.example/", "Held one", "held", junk_score=1.5,
             junk_reasons=["2 links in the excerpt", "STATUS: Draft"],
             linkback={"state": "unreachable", "reason": "the source page did not answer",
                       "when": "2026-11-25 08:01:00"})
    add_ping(store, blog, item, "http://j.example/", "Junk one", "junk", junk_score=4.0,
             junk_reasons=["the block list holds casino"],
             linkback={"state": "missing", "reason": "the source page does not link to this entry",
                       "when": "2026-11-25 08:02:00"})
    text = export_entries(store, blog)
    assert "PING STATE:\nMODERATION: junk\nJUNK SCORE: 4\n" in text
    assert "\nSTATUS: Draft" not in text                # no line another importer reads as the entry's status
    copy = Blog(name="Copy", archive_path=blog.archive_path)
    store.save(copy)
    store_entries(store, copy, text)

    def verdicts(of):
        return sorted((ping.title, ping.visible, ping.junk, ping.junk_score, ping.junk_reasons, ping.linkback)
                      for ping in store.list_pings(blog_id=of.id, visible_only=False))
    assert verdicts(copy) == verdicts(blog)
    assert [ping.title for ping in store.list_pings(blog_id=copy.id)] == ["Published one"]
    assert export_entries(store, copy) == text

    # A file without the section (MT's own): every ping published, as before.
    plain = re.sub(r"PING STATE:\n.*?-----\n", "", text, flags=re.S)
    assert "PING STATE" not in plain
    other = Blog(name="Other")
    store.save(other)
    store_entries(store, other, plain)
    assert len(store.list_pings(blog_id=other.id)) == 3
    for bad in ("MODERATION: spam\n", "JUNK SCORE: lots\n", "JUNK SCORE: nan\n", "LINK BACK: maybe\n"):
        with pytest.raises(ImportFormatError):
            store_entries(store, other, text.replace("MODERATION: junk\n", bad))
    with pytest.raises(ImportFormatError):
        store_entries(store, other, "TITLE: x\n-----\nPING STATE:\nMODERATION: held\n-----\n--------\n")
    assert len(store.find(Entry, blog_id=other.id)) == 1            # the refused files added nothing


# -- mt.cgi's TrackBacks screen ----------------------------------------------------------

def stored(site):
    store = site.store()
    try:
        return {ping.title: ping for ping in store.list_pings(blog_id=site.blog.id, visible_only=False)}
    finally:
        store.close()


def put(site, url, title, state="published", **values):
    store = site.store()
    try:
        return add_ping(store, site.blog, site.item, url, title, state, **values)
    finally:
        store.close()


def titles_listed(page):
    return re.findall(r'class="ping-title"[^>]*>([^<]*)<', page)


@SCREEN
def test_the_list_shows_each_state_with_counts_and_the_mailed_held_url_opens_the_held_list(cms):
    site, client = cms
    put(site, "http://p.example/", "Published one", created_on="2026-11-25 08:00:00")
    put(site, "http://h.example/", "Held one", "held", junk_score=1.5, junk_reasons=["2 links in the excerpt"],
        created_on="2026-11-25 09:00:00")
    put(site, "http://j.example/", "Junk one", "junk", junk_score=4, junk_reasons=["the block list holds casino"],
        linkback={"state": "missing", "reason": "the source page does not link to this entry",
                  "when": "2026-11-25 10:00:00"}, created_on="2026-11-25 10:00:00")
    every = client.get("pings", blog_id=site.blog.id).text
    assert titles_listed(every) == ["Junk one", "Held one", "Published one"]
    for label in ("All (3)", "Published (1)", "Held (1)", "Junk (1)"):
        assert label in every
    assert '<span class="status junk">Junk</span>' in every and '<span class="status published">Published</span>' in every
    assert "Link back: not checked" in every
    assert "Link back: missing (the source page does not link to this entry), 2026-11-25 10:00" in every
    assert "Junk score 1.5" in every and "<li>2 links in the excerpt</li>" in every

    # The URL the notification mail links to.
    held = client.request(site.base + "cgi-bin/mt.cgi?__mode=pings&blog_id=%d&show=held" % site.blog.id)
    assert held.status == 200 and titles_listed(held.text) == ["Held one"]
    assert "1 held ping, newest first." in held.text
    assert re.search(r'show=held" aria-current="page"><strong>Held \(1\)</strong>', held.text)
    assert titles_listed(client.get("pings", blog_id=site.blog.id, show="junk").text) == ["Junk one"]
    assert titles_listed(client.get("pings", blog_id=site.blog.id, show="published").text) == ["Published one"]
    assert titles_listed(client.get("pings", blog_id=site.blog.id, show="<b>").text) == titles_listed(every)
    by_entry = client.get("pings", blog_id=site.blog.id, entry_id=site.entry.id, show="held").text
    assert titles_listed(by_entry) == ["Held one"] and "Held (1)" in by_entry


def form_posting_to(page, mode):
    (action, fields), = [form for form in forms(page) if "__mode=%s&" % mode in form[0]]
    return urllib.parse.unquote(action.replace("&amp;", "&")), fields


@SCREEN
def test_bulk_approve_junk_with_undo_not_junk_and_delete(cms):
    site, client = cms
    held = put(site, "http://held.example/1", "Held one", "held")
    junk = put(site, "http://junk.example/2", "Junk one", "junk")
    shown = put(site, "http://Spam.example/3", "Shown one")
    client.get("pings", blog_id=site.blog.id, show="held")
    assert client.request(client.url("ping_approve", blog_id=site.blog.id)).status == 405   # never on GET
    assert client.post("ping_approve", [("id", held.id)], token="forged", blog_id=site.blog.id).status == 403
    answer = client.post("ping_approve", [("id", held.id), ("id", junk.id)], follow=False, blog_id=site.blog.id,
                         show="held")
    assert answer.status == 303 and "saved=released" in answer.headers["Location"]
    assert "show=held" in answer.headers["Location"]
    page = client.request(urllib.parse.urljoin(client.url(), answer.headers["Location"]))
    assert "The pings are visible now." in page.text and titles_listed(page.text) == []
    assert all(ping.visible and not ping.junk for ping in stored(site).values())
    nothing = client.post("ping_approve", [("id", held.id)], blog_id=site.blog.id)
    assert "None of the selected pings is held or junk" in nothing.text

    # Junk: the block list learns the domain, and the list offers to undo it.
    junked = client.post("ping_junk", [("id", shown.id)], blog_id=site.blog.id)
    assert junked.status == 200 and "Marked 1 ping as junk" in junked.text
    assert "(spam.example): new pings from there are junk at once." in junked.text
    store = site.store()
    assert store.get(Blog, site.blog.id).junk_words == ["spam.example"]
    store.close()
    assert stored(site)["Shown one"].junk
    action, fields = form_posting_to(junked.text, "ping_unjunk")
    assert fields["id"] == [str(shown.id)] and fields["publish"] == ["1"]
    undone = client.post("ping_unjunk", [(name, value) for name, values in fields.items() for value in values
                                         if name != "magic_token"], blog_id=site.blog.id)
    assert undone.status == 200 and "Marked as not junk." in undone.text
    assert stored(site)["Shown one"].visible
    store = site.store()
    assert store.get(Blog, site.blog.id).junk_words == []
    store.close()

    # Not junk from the junk list: held for approval.
    client.post("ping_junk", [("id", held.id), ("id", junk.id)], blog_id=site.blog.id)
    junk_list = client.get("pings", blog_id=site.blog.id, show="junk").text
    assert titles_listed(junk_list) == ["Junk one", "Held one"] and "Not junk</button>" in junk_list
    client.post("ping_unjunk", [("id", junk.id)], blog_id=site.blog.id, show="junk")
    assert not stored(site)["Junk one"].visible and not stored(site)["Junk one"].junk
    assert client.post("ping_unjunk", [("id", junk.id)], blog_id=site.blog.id).text.count(
        "None of the selected pings is junk.") == 1

    # Delete many, after the confirmation.
    confirm = client.post("ping_delete", [("id", held.id), ("id", junk.id)], blog_id=site.blog.id)
    assert "Delete 2 pings? This cannot be undone." in confirm.text
    client.post("ping_delete", [("id", held.id), ("id", junk.id), ("confirmed", "1")], blog_id=site.blog.id)
    assert sorted(stored(site)) == ["Shown one"]
    log = client.get("activity").text
    assert "Approved 2 pings: http://held.example/1, http://junk.example/2" in log
    assert "Marked 1 ping as junk: http://Spam.example/3; block list learnt: spam.example" in log
    assert "Marked 1 ping as not junk, published: http://Spam.example/3; block list forgot: spam.example" in log


@SCREEN
def test_deleting_old_junk_from_the_screen(cms):
    site, client = cms
    put(site, "http://old.example/", "Old junk", "junk", created_on=dates.utc_now(-40 * 86400))
    put(site, "http://new.example/", "New junk", "junk", created_on=dates.utc_now(-3600))
    page = client.get("pings", blog_id=site.blog.id, show="junk").text
    action, fields = form_posting_to(page, "ping_delete_junk")
    assert fields["days"] == ["30"]
    for days, message in (("0", "A number of days from 1 to 36500"), ("<b>x</b>", "A number of days, 1 or more")):
        refused_page = client.post("ping_delete_junk", {"days": days}, blog_id=site.blog.id)
        assert refused_page.status == 200 and '<p class="field-error" id="days-error">%s' % message in refused_page.text
        assert "<b>x</b>" not in refused_page.text
    assert len(stored(site)) == 2
    done = client.post("ping_delete_junk", {"days": "30"}, blog_id=site.blog.id)
    assert done.status == 200 and "1 junk ping older than 30 days deleted." in done.text
    assert sorted(stored(site)) == ["New junk"] and titles_listed(done.text) == ["New junk"]


@SCREEN
def test_ping_text_reasons_and_checks_come_back_escaped(cms):
    site, client = cms
    evil = put(site, 'http://evil.example/"><script>alert(1)</script>', "<script>alert(2)</script>Title", "junk",
               junk_reasons=['<img src=x onerror="alert(3)">reason'], blog_name="<svg onload=alert(4)>",
               linkback={"state": "<b>missing</b>", "reason": "<script>alert(5)</script>",
                         "when": "2026-11-25 10:00:00"})
    page = client.get("pings", blog_id=site.blog.id, show="junk").text
    for raw in ("<script", "<img", "<svg", "<b>"):
        assert raw not in page
    assert "&lt;img src=x onerror=&#34;alert(3)&#34;&gt;reason" in page
    assert "&lt;script&gt;alert(5)&lt;/script&gt;" in page and "alert(2)Title" in page
    client.post("ping_unjunk", [("id", evil.id)], blog_id=site.blog.id)
    undo = client.post("ping_junk", [("id", evil.id)], blog_id=site.blog.id).text
    assert "<script" not in undo and "(evil.example)" in undo


# -- the weblog's spam settings -------------------------------------------------------------

def settings_fields(client, blog_id):
    (_, fields), = [form for form in forms(client.get("blog_settings", blog_id=blog_id).text)
                    if "moderate_pings" in form[1]]
    return {name: values[0] for name, values in fields.items() if name != "magic_token"}


@SCREEN
def test_spam_settings_are_saved_and_refused_with_errors(cms):
    site, client = cms
    page = client.get("blog_settings", blog_id=site.blog.id).text
    for label in list(weblogs.MODERATION.values()) + list(weblogs.LINKBACK_CHECKS.values()):
        assert ">%s</option>" % label in page
    assert "Accept pings on this weblog" in page
    fields = settings_fields(client, site.blog.id)
    assert (fields["moderate_pings"], fields["linkback_check"], fields["accept_pings"]) == ("none", "off", "1")
    fields.update(moderate_pings="all", linkback_check="junk", junk_words="Casino\r\nspam.example\r\n\r\ncasino",
                  close_pings_after_days="30")
    del fields["accept_pings"]                              # the box unchecked
    saved = client.post("blog_settings", fields, blog_id=site.blog.id)
    assert saved.status == 200 and "Your changes have been saved." in saved.text
    store = site.store()
    blog = store.get(Blog, site.blog.id)
    store.close()
    assert (blog.moderate_pings, blog.linkback_check, blog.junk_words, blog.accept_pings,
            blog.close_pings_after_days) == ("all", "junk", ["casino", "spam.example"], False, 30)
    again = settings_fields(client, site.blog.id)
    assert (again["moderate_pings"], again["junk_words"], "accept_pings" in again) == (
        "all", "casino\nspam.example", False)

    for field, value, message in (("moderate_pings", "<b>sometimes</b>", "Choose one of: none, suspicious, all"),
                                  ("linkback_check", "maybe", "Choose one of: off, hold, junk"),
                                  ("close_pings_after_days", "-1", "A number of days from 0 (never) to 36500"),
                                  ("close_pings_after_days", "<i>soon</i>", "A number of days, 0 for never")):
        typed = dict(fields, **{field: value})
        refused = client.post("blog_settings", typed, blog_id=site.blog.id)
        assert refused.status == 200
        assert '<p class="field-error" id="%s-error">%s' % (field, message) in refused.text
        assert "<b>" not in refused.text and "<i>" not in refused.text
    assert 'value="&lt;i&gt;soon&lt;/i&gt;"' in refused.text                 # what was typed is kept
    assert 'aria-describedby="close_pings_after_days-error"' in refused.text
    store = site.store()
    assert store.get(Blog, site.blog.id) == blog                            # nothing changed
    store.close()


# -- a walk in Chromium ------------------------------------------------------------------

@SCREEN
def test_an_owner_moderates_every_ping_and_approves_one_in_chromium(cms, browser):
    site, _ = cms
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    script = log_in(page, site)

    page.goto(script + "?__mode=blog_settings&blog_id=%d" % site.blog.id)
    page.get_by_label("New pings").select_option("all")
    page.get_by_role("button", name="Save changes").click()
    assert "Your changes have been saved." in page.content()

    assert post(site.ping_url(), {"url": "http://friend.example/post", "title": "A friendly reply",
                                  "blog_name": "Friend"}).text == SUCCESS
    popup = site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id
    assert "A friendly reply" not in http(popup).text

    page.goto(script + "?__mode=pings&blog_id=%d&show=held" % site.blog.id)
    row = page.locator("tr", has_text="A friendly reply")
    assert row.locator(".status").inner_text() == "Held"
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="Approve selected").first.click()
    assert "The pings are visible now." in page.content()
    assert "Held (0)" in page.locator("nav.tabs").inner_text()
    assert wait_for(lambda: "A friendly reply" in http(popup).text)
