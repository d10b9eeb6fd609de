"""mt.cgi's TrackBack pings, IP banning and activity log screens, in this process
on every backend (the `cms` fixture): what the weblog's owner sees, and what the store and the published
pages hold after each button."""

import os
import re

from support.client import CMSClient, forms
from support.moderation import store_ping, stored_pings
from support.http import http
from support.sites import ADMIN_PASSWORD, add_author
from support.waiting import wait_for
from mtpy.models import IPBan
from support.http import SUCCESS, post
from support.publishing import rebuild, wait_for_text


def titles_listed(page):
    return re.findall(r'class="ping-title"[^>]*>([^<]*)<', page)


def test_pings_of_the_weblog_an_entry_and_a_category(cms):
    site, client = cms
    category, category_item = site.add_category(label="Links", allow_pings=True)
    store_ping(site, site.item, source_url="http://c.example/3", title="Held one", ip="198.51.100.9",
               visible=False, created_on="2026-11-20 08:00:00")
    assert post(site.ping_url(), {"url": "http://a.example/1", "title": "To the entry",
                                  "excerpt": "Said <b>something</b>", "blog_name": "A Weblog"}).text == SUCCESS
    assert post(site.ping_url(category_item), {"url": "http://b.example/2", "title": "To the category"}).text == SUCCESS
    page = client.get("pings", blog_id=site.blog.id)
    assert page.status == 200
    assert titles_listed(page.text) == ["To the category", "To the entry", "Held one"]    # newest first
    assert "3 pings, newest first" in page.text
    assert page.text.count('<span class="status held">Held</span>') == 1
    assert '<a class="ping-title" href="http://a.example/1" rel="nofollow ugc">To the entry</a>' in page.text
    assert "Said something" in page.text and "A Weblog" in page.text and "198.51.100.9" in page.text
    assert "127.0.0.1" in page.text
    # What each pinged, linked to its edit screen
    edit_links = re.findall(r'<a href="([^"]*__mode=(?:entry|category)_edit[^"]*)">([^<]*)</a>', page.text)
    entry_title = "Hello &lt;World&gt; &amp; Co"
    assert [label for _, label in edit_links] == ["Links", entry_title, entry_title]
    entry_edit = client.request(site.base.rstrip("/") + edit_links[1][0].replace("&amp;", "&"))
    assert entry_edit.status == 200 and entry_title in entry_edit.text
    assert "entry_id=%d" % site.entry.id in edit_links[1][0] and "category_id=%d" % category.id in edit_links[0][0]
    entry_page = client.get("pings", blog_id=site.blog.id, entry_id=site.entry.id)
    assert titles_listed(entry_page.text) == ["To the entry", "Held one"]
    assert "TrackBacks of the entry “Hello &lt;World&gt; &amp; Co”" in entry_page.text
    category_page = client.get("pings", blog_id=site.blog.id, category_id=category.id)
    assert titles_listed(category_page.text) == ["To the category"]
    assert client.get("pings", blog_id=site.blog.id, entry_id=999).status == 404


def test_pings_are_paged_by_fifty(cms):
    site, client = cms
    for n in range(52):
        store_ping(site, site.item, source_url="http://a.example/%d" % n, title="Ping %d" % n)
    first = client.get("pings", blog_id=site.blog.id)
    assert titles_listed(first.text)[:2] == ["Ping 51", "Ping 50"] and len(titles_listed(first.text)) == 50
    assert "Page 1 of 2" in first.text
    second = client.get("pings", blog_id=site.blog.id, page=2)
    assert titles_listed(second.text) == ["Ping 1", "Ping 0"]


def test_ping_text_comes_back_inert(cms):
    site, client = cms
    store_ping(site, site.item, title="<script>alert(1)</script>Title", excerpt='<img src=x onerror="alert(2)">Excerpt',
               blog_name='"><svg onload=alert(3)>Name', source_url='http://evil.example/?q="><script>alert(4)</script>',
               ip='<b>1.2.3.4</b>')
    store_ping(site, site.item, title="Not a web link", source_url="javascript:alert(5)")
    page = client.get("pings", blog_id=site.blog.id).text
    for raw in ("<script", "<img", "<svg", "<b>", 'href="javascript:'):
        assert raw not in page
    assert "alert(1)Title" in page and "Excerpt" in page and "onerror" not in page
    assert "&#34;&gt;Name" in page or "&quot;&gt;Name" in page
    assert 'href="http://evil.example/?q=&#34;&gt;&lt;script&gt;alert(4)&lt;/script&gt;"' in page
    assert "&lt;b&gt;1.2.3.4&lt;/b&gt;" in page
    assert '<strong class="ping-title">Not a web link</strong>' in page


def test_deleting_pings_after_a_confirmation(cms):
    site, client = cms
    rebuild(site)
    entry_url = site.base + "%06d.html" % site.entry.id
    for n in range(3):
        assert post(site.ping_url(), {"url": "http://a.example/%d" % n, "title": "Reply number %d" % n}).text == SUCCESS
    assert wait_for_text(entry_url, "Reply number 2")
    doomed, kept = [ping.id for ping in stored_pings(site)[:2]], stored_pings(site)[2]
    client.get("pings", blog_id=site.blog.id, entry_id=site.entry.id)
    confirm = client.post("ping_delete", [("id", doomed[0]), ("id", doomed[1])], blog_id=site.blog.id,
                          entry_id=site.entry.id)
    assert confirm.status == 200 and "Delete 2 pings? This cannot be undone." in confirm.text
    assert "Reply number 0" in confirm.text and "Reply number 1" in confirm.text
    assert "Reply number 2" not in confirm.text
    assert len(stored_pings(site)) == 3                     # nothing deleted yet
    (action, fields), = [form for form in forms(confirm.text) if "confirmed" in form[1]]
    assert fields["id"] == [str(ping_id) for ping_id in doomed] and fields["confirmed"] == ["1"]
    assert "__mode=ping_delete" in action and "entry_id=%d" % site.entry.id in action
    done = client.post("ping_delete", [("id", doomed[0]), ("id", doomed[1]), ("confirmed", "1")],
                       blog_id=site.blog.id, entry_id=site.entry.id)
    assert done.status == 200 and "Deleted." in done.text
    assert "entry_id=%d" % site.entry.id in done.url            # back to the list it came from
    assert [ping.id for ping in stored_pings(site)] == [kept.id]
    # What shows the pings follows, after the deferred work
    popup = site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id
    feed = os.path.join(site.archives, "%d.xml" % site.item.id)

    def gone_everywhere():
        pages = [http(entry_url).text, http(popup).text, http(site.ping_url() + "?__mode=rss").text,
                 open(feed).read()]
        return all("Reply number 0" not in text and "Reply number 1" not in text and "Reply number 2" in text
                   for text in pages)
    assert wait_for(gone_everywhere, 10)
    lines = client.get("activity").text
    assert "Deleted 2 pings: http://a.example/0, http://a.example/1" in lines


def test_delete_and_release_refuse_an_empty_or_foreign_selection(cms):
    site, client = cms
    held = store_ping(site, site.item, source_url="http://h.example/", title="Held", visible=False)
    shown = store_ping(site, site.item, source_url="http://s.example/", title="Shown")
    client.get("pings", blog_id=site.blog.id)
    nothing = client.post("ping_delete", [], blog_id=site.blog.id)
    assert nothing.status == 200 and "Select at least one ping first." in nothing.text
    assert client.post("ping_delete", [("id", "9999")], blog_id=site.blog.id).status == 404
    released = client.post("ping_release", [("id", held.id), ("id", shown.id)], blog_id=site.blog.id)
    assert released.status == 200 and "The pings are visible now." in released.text
    assert all(ping.visible for ping in stored_pings(site))
    assert "Held</span>" not in released.text
    again = client.post("ping_release", [("id", held.id)], blog_id=site.blog.id)
    assert "None of the selected pings is held" in again.text


def test_ban_this_ip_refuses_the_next_ping(cms):
    site, client = cms
    assert post(site.ping_url(), {"url": "http://spam.example/1", "title": "Spam"}).text == SUCCESS
    ping, = stored_pings(site)
    assert ping.ip == "127.0.0.1"
    page = client.get("pings", blog_id=site.blog.id)
    assert 'Ban<span class="sr-only"> 127.0.0.1</span>' in page.text
    (ban_form, _), = [form for form in forms(page.text) if "__mode=ping_ban" in form[0]]
    assert "blog_id=%d" % site.blog.id in ban_form
    assert 'form="ban-sender" name="ban_id" value="%d"' % ping.id in page.text
    banned = client.post("ping_ban", {"ban_id": ping.id}, blog_id=site.blog.id)
    assert banned.status == 200 and "The address is banned" in banned.text
    assert "Ban<span" not in banned.text and "Banned</span>" in banned.text
    store = site.store()
    assert [ban.ip for ban in store.find(IPBan, blog_id=site.blog.id)] == ["127.0.0.1"]
    store.close()
    refused = post(site.ping_url(), {"url": "http://spam.example/2", "title": "More spam"})
    assert "<error>1</error>" in refused.text
    assert len(stored_pings(site)) == 1


def test_adding_and_removing_bans(cms):
    site, client = cms
    page = client.get("bans", blog_id=site.blog.id)
    assert page.status == 200 and "No address is banned in this weblog." in page.text
    for address in ("192.168.", "203.0.113.0/24", "198.51.100.7"):
        added = client.post("ban_add", {"address": address}, blog_id=site.blog.id)
        assert added.status == 200 and "The address is banned" in added.text
        assert "<td data-label=\"Banned\"><code>%s</code>" % address in added.text
    refused = client.post("ban_add", {"address": "not <an> address"}, blog_id=site.blog.id)
    assert refused.status == 200
    assert ('<p class="field-error" id="address-error">Not an address, prefix (192.168.) or CIDR range: '
            "&#39;not &lt;an&gt; address&#39;</p>") in refused.text
    assert 'value="not &lt;an&gt; address"' in refused.text              # what was typed is kept
    removed = client.post("ban_remove", {"address": "192.168."}, blog_id=site.blog.id)
    assert "The ban was removed." in removed.text and "<code>192.168.</code></td>" not in removed.text
    unknown = client.post("ban_remove", {"address": "10.0.0.1"}, blog_id=site.blog.id)
    assert unknown.status == 200 and "10.0.0.1 is not banned in weblog %d" % site.blog.id in unknown.text
    store = site.store()
    assert sorted(ban.ip for ban in store.find(IPBan, blog_id=site.blog.id)) == ["198.51.100.7", "203.0.113.0/24"]
    store.close()
    assert client.request(client.url("ban_add", blog_id=site.blog.id)).status == 405     # no change on GET


def test_activity_log_shows_what_happened_to_whom_it_may(cms):
    site, client = cms
    assert post(site.ping_url(), {"url": "http://a.example/1", "title": "One"}).text == SUCCESS
    ping, = stored_pings(site)
    client.get("pings", blog_id=site.blog.id)
    client.post("ping_ban", {"ban_id": ping.id}, blog_id=site.blog.id)
    client.post("ping_delete", [("id", ping.id), ("confirmed", "1")], blog_id=site.blog.id)
    page = client.get("activity")
    assert page.status == 200
    text = page.text
    assert "Melody logged in" in text and ">Logged in<" in text
    assert ">Address banned<" in text and "Banned 127.0.0.1" in text
    assert ">Deleted<" in text and "Deleted 1 ping: http://a.example/1" in text
    assert text.index("Deleted 1 ping") < text.index("Banned 127.0.0.1") < text.index("Melody logged in")
    assert " UTC</td>" in text and ">Test Weblog<" in text
    # Another author: the lines of their weblogs only, never someone's login
    add_author(site, "Writer", {site.blog.id: ["post"]})
    writer = CMSClient(site.base)
    writer.log_in("Writer", ADMIN_PASSWORD)
    theirs = writer.get("activity").text
    assert ">Address banned<" in theirs and "Deleted 1 ping" in theirs
    assert "logged in" not in theirs and ">Logged in<" not in theirs
    assert "127.0.0.1" not in theirs        # whose address: administrators only


def test_an_editor_without_the_bans_permission_cannot_ban(cms):
    site, _ = cms
    assert post(site.ping_url(), {"url": "http://a.example/1", "title": "One"}).text == SUCCESS
    ping, = stored_pings(site)
    add_author(site, "Editor", {site.blog.id: ["edit_all"]})
    editor = CMSClient(site.base)
    editor.log_in("Editor", ADMIN_PASSWORD)
    page = editor.get("pings", blog_id=site.blog.id)
    assert page.status == 200 and "One</a>" in page.text
    assert "Ban<span" not in page.text and "ban-sender" not in page.text
    assert editor.post("ping_ban", {"ban_id": ping.id}, blog_id=site.blog.id).status == 403
    assert editor.get("bans", blog_id=site.blog.id).status == 403
    store = site.store()
    assert store.find(IPBan, blog_id=site.blog.id) == []
    store.close()
