"""Pings of the three protocols (TrackBack, Pingback, Webmention) outside the
screens, on every backend: `mtpy ping list` and its filters, `mtpy blog set`'s
switches, export and import keeping each ping's protocol, kind, author and
withdrawal, and the notification mail saying which protocol and kind came."""

import re

import pytest

from support.cli import mtpy
from support.linkbacks import add_mixed_pings, mixed_pings
from mtpy.actions.importing import store_entries
from mtpy.importexport import ImportFormatError, export_entries
from mtpy.mail import ping_notification
from mtpy.models import Blog, Entry, Ping

# What a round trip keeps of a ping.
KEPT = ("title", "source_url", "excerpt", "protocol", "kind", "target_url", "author_name", "author_url",
        "author_photo", "updated_on", "withdrawn", "visible", "junk", "junk_score")


def test_ping_list_shows_and_filters_protocol_kind_and_state(site):
    pings = add_mixed_pings(site)
    blog = str(site.blog.id)

    def listed(*options):
        lines = mtpy(site, "ping", "list", "--blog", blog, *options).stdout.splitlines()
        return [line.split("\t") for line in lines]

    every = listed()
    assert [row[0] for row in every] == [str(ping.id) for ping in pings]
    assert [row[4] for row in every] == [ping.source_url for ping in pings]      # the columns it had stay put
    assert [row[6:] for row in every] == [
        ["trackback", "mention", "published"], ["pingback", "mention", "published"],
        ["webmention", "reply", "published"], ["webmention", "like", "held"],
        ["webmention", "mention", "withdrawn"], ["pingback", "mention", "junk"]]
    assert [row[5] for row in listed("--protocol", "webmention")] == ["Ana replies", "Bo likes it",
                                                                      "A page since deleted"]
    assert [row[5] for row in listed("--protocol", "webmention", "--kind", "like")] == ["Bo likes it"]
    assert [row[5] for row in listed("--state", "withdrawn")] == ["A page since deleted"]
    assert [row[5] for row in listed("--state", "held")] == ["Bo likes it"]
    assert [row[5] for row in listed("--entry", str(site.entry.id), "--kind", "reply")] == ["Ana replies"]
    assert [row[5] for row in listed("--protocol", "pingback", "--state", "junk")] == ["Casino pingback"]
    refused = mtpy(site, "ping", "list", "--blog", blog, "--protocol", "gopher", check=False)
    assert refused.returncode == 2 and "invalid choice: 'gopher'" in refused.stderr


def test_blog_set_switches_each_protocol_and_the_own_links_rule(site):
    blog = str(site.blog.id)
    mtpy(site, "blog", "set", "--blog", blog, "--accept-pingback", "0", "--accept-webmention", "0",
         "--own-links", "ignore")
    store = site.store()
    try:
        stored = store.get(Blog, site.blog.id)
        assert (stored.accept_trackback, stored.accept_pingback, stored.accept_webmention, stored.own_links) == (
            True, False, False, "ignore")
    finally:
        store.close()
    refused = mtpy(site, "blog", "set", "--blog", blog, "--own-links", "sometimes", check=False)
    assert refused.returncode == 1 and "Choose one of: quiet, normal, ignore" in refused.stderr


def entry_with_mixed_pings(store, name="B"):
    blog = Blog(name=name, site_url="http://h/", archive_url="http://h/arch/", timezone=-3.5)
    store.save(blog)
    entry = Entry(blog_id=blog.id, title="Linked", created_on="2026-11-20 08:00:00")
    store.save(entry)
    for ping in mixed_pings(blog.id, store.trackback_for(entry=entry).id, "http://h/arch/000001.html"):
        store.insert(ping)
    return blog


def kept(store, blog):
    return sorted(tuple(getattr(ping, name) for name in KEPT)
                  for ping in store.list_pings(blog_id=blog.id, visible_only=False))


def test_export_and_import_keep_protocol_kind_author_and_withdrawal(store):
    blog = entry_with_mixed_pings(store)
    text = export_entries(store, blog)
    assert ("PROTOCOL: webmention\nKIND: reply\nTARGET URL: http://h/arch/000001.html\n"
            "AUTHOR NAME: Ana <script>alert(1)</script> & Co\nAUTHOR URL: http://ana.example/\n"
            "AUTHOR PHOTO: http://ana.example/me.jpg\nUPDATED: 2026-11-26 09:00:00\n-----\n") in text
    assert "MODERATION: held\nPROTOCOL: webmention\nTARGET URL: " in text and "WITHDRAWN: 1\n" in text
    assert "PROTOCOL: trackback" not in text and "KIND: mention" not in text      # what a ping is unless told
    assert text.count("PING STATE:") == 5               # the TrackBack ping's mention needs none
    copy = Blog(name="Copy", timezone=-3.5)
    store.save(copy)
    assert store_entries(store, copy, text).pings == 6
    assert kept(store, copy) == kept(store, blog)
    assert export_entries(store, copy) == text
    assert store.count_pings_by_state(blog_id=copy.id) == {"all": 6, "published": 3, "held": 1, "junk": 1,
                                                           "withdrawn": 1}

    # An export without them (MT's own, or mtpy's before Pingback and Webmention): TrackBack mentions
    older = re.sub(r"(PROTOCOL|KIND|TARGET URL|AUTHOR NAME|AUTHOR URL|AUTHOR PHOTO|UPDATED|WITHDRAWN): .*\n", "",
                   text)
    assert "PING STATE:\nMODERATION: held\n" in older
    other = Blog(name="Older")
    store.save(other)
    store_entries(store, other, older)
    pings = store.list_pings(blog_id=other.id, visible_only=False)
    assert {(ping.protocol, ping.kind, ping.author_name, ping.withdrawn) for ping in pings} == {
        ("trackback", "mention", "", False)}
    assert sorted(ping.title for ping in pings if ping.visible) == ["A TrackBack ping", "A WordPress post",
                                                                    "Ana replies"]


@pytest.mark.parametrize("bad", ["PROTOCOL: gopher", "KIND: hug", "AUTHOR URL: javascript:alert(1)",
                                 "AUTHOR PHOTO: data:image/png;base64,AAAA", "TARGET URL: ftp://h/",
                                 "UPDATED: yesterday", "WITHDRAWN: yes"])
def test_an_import_refuses_a_bad_protocol_field_and_imports_nothing(store, bad):
    blog = entry_with_mixed_pings(store)
    text = export_entries(store, blog).replace("KIND: reply", bad)
    copy = Blog(name="Copy")
    store.save(copy)
    with pytest.raises(ImportFormatError) as refused:
        store_entries(store, copy, text)
    assert "line" in str(refused.value) and bad.split(":")[0] in str(refused.value)
    assert store.find(Entry, blog_id=copy.id) == []


def notification(site, title, whole=False):
    """(subject, body) of the mail of the ping of this title (the message with `whole`), or None."""
    store = site.store()
    try:
        store.update(store.get(Blog, site.blog.id).copy(email_new_pings=True))
        ping, = store.find(Ping, title=title)
        message = ping_notification(store, site.config, ping)
        return message if whole or message is None else (message["Subject"], message.get_content())
    finally:
        store.close()


def test_the_mail_says_which_protocol_and_kind_and_who(site):
    add_mixed_pings(site)
    entry = "Entry %d (Hello <World> & Co)" % site.entry.id
    subject, body = notification(site, "Ana replies")
    assert subject == "[Test Weblog] New Webmention (a reply) to %s" % entry
    assert body.startswith("A Webmention (a reply) from Ana alert(1) & Co links to your weblog, on the entry %d"
                           % site.entry.id)
    assert "Author: Ana alert(1) & Co <http://ana.example/>\n" in body and "<script>" not in body
    subject, body = notification(site, "A WordPress post")
    assert subject == "[Test Weblog] New Pingback to %s" % entry
    assert body.startswith("A Pingback from Weblog 1 links to your weblog") and "Author:" not in body
    subject, body = notification(site, "Bo likes it")
    assert subject == "[Test Weblog] New Webmention (a like) to %s awaiting approval" % entry
    assert "A Webmention (a like) from Bo links" in body
    subject, body = notification(site, "A TrackBack ping")       # as Movable Type said it
    assert subject == "[Test Weblog] New TrackBack Ping to %s" % entry
    assert body.startswith("A new TrackBack ping has been sent to your weblog")
    assert notification(site, "A page since deleted") is None            # withdrawn: nothing to tell
    assert notification(site, "Casino pingback") is None


def test_the_mail_headers_of_a_webmention_stay_one_line(site):
    store = site.store()
    try:
        store.insert(Ping(blog_id=site.blog.id, tb_id=site.item.id, title="t", protocol="webmention",
                          kind="reply", source_url="http://evil.example/", author_name="x\r\nBcc: v@example.net",
                          author_url="http://a.example/\r\nBcc: v@example.net"))
    finally:
        store.close()
    message = notification(site, "t", whole=True)
    assert message["Bcc"] is None and message.get_all("To") == ["melody@example.com"]
    body = message.get_content()
    assert body.startswith("A Webmention (a reply) from x Bcc: v@example.net links to your weblog")
    assert "Author: x Bcc: v@example.net <http://a.example/ Bcc: v@example.net>\n" in body


def test_a_ping_its_source_withdrew_is_never_published_again(site):
    from mtpy.actions import ActionError
    from mtpy.actions.pings import approve_pings, junk_pings, listed_state, unjunk_pings
    withdrawn = [ping for ping in add_mixed_pings(site) if ping.withdrawn][0]
    store = site.store()
    try:
        blog = store.get(Blog, site.blog.id)
        with pytest.raises(ActionError) as refused:
            approve_pings(store, site.config, blog, [withdrawn.id])
        assert "is withdrawn: the source is gone or no longer links here" in str(refused.value)
        junk_pings(store, site.config, blog, [withdrawn.id])
        assert listed_state(store.get(Ping, withdrawn.id)) == "junk"
        unjunk_pings(store, site.config, blog, [withdrawn.id], publish=True)
        assert listed_state(store.get(Ping, withdrawn.id)) == "withdrawn"
    finally:
        store.close()
