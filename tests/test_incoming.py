"""One path for every incoming notification (mtpy.actions.receive): the page a
Pingback or Webmention names found as a TrackBack item, and what each protocol
does with a repeat, a closed page or a weblog that switched it off. Every
backend (the `store` fixture)."""

import pytest

from mtpy.actions.receive import (AlreadyRegistered, Incoming, PingRejected, TargetClosed, TargetNotFound,
                                  find_target, receive)
from mtpy.config import Config
from mtpy.models import Blog, Category, Entry, Job, Ping
from support.stores import weblog

CONFIG = Config(text="OneHourMaxPings 0\nOneDayMaxPings 0\nOneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\n")
SITE = "http://blog.example/weblog/"


def published_weblog(store, **values):
    blog, item = weblog(store, site_url=SITE, archive_url=SITE + "archives/", **values)
    return blog, item, store.get(Entry, item.entry_id)


def test_find_target_knows_an_entry_permalink_in_any_spelling(store):
    blog, item, entry = published_weblog(store)
    page = "http://blog.example/weblog/archives/%06d.html" % entry.id
    for spelling in (page, page + "#comments", page.replace("http://", "https://www."),
                     page.replace("blog.example", "BLOG.example:80")):
        assert find_target(store, spelling) == item.id, spelling
    for elsewhere in ("http://other.example/weblog/archives/%06d.html" % entry.id,
                      "http://blog.example/weblog/archives/%06d.html" % (entry.id + 1),
                      "http://blog.example/weblog/", "not a url", "", "javascript:alert(1)",
                      "http://blog.example/weblog/archives/%d.html" % entry.id):
        with pytest.raises(TargetNotFound):
            find_target(store, elsewhere)


def test_find_target_knows_a_category_page_and_says_when_it_is_closed(store):
    blog, item, entry = published_weblog(store)
    open_category = Category(blog_id=blog.id, label="Open Ideas", allow_pings=True)
    store.save(open_category)
    closed = Category(blog_id=blog.id, label="Closed", allow_pings=False)
    store.save(closed)
    found = find_target(store, SITE + "archives/cat_open_ideas.html")
    assert found == store.trackback_for(category=open_category).id
    with pytest.raises(TargetClosed):
        find_target(store, SITE + "archives/cat_closed.html")
    entry.status = "Draft"
    store.save(entry)
    with pytest.raises(TargetNotFound):    # a draft is not a page of the weblog
        find_target(store, SITE + "archives/%06d.html" % entry.id)
    blog.accept_pings = False
    store.save(blog)
    with pytest.raises(TargetClosed):
        find_target(store, SITE + "archives/cat_open_ideas.html")


def incoming(item, protocol, source="http://elsewhere.example/post", **values):
    return Incoming(str(item.id), source, remote_ip="198.51.100.4", protocol=protocol,
                    target_url=values.pop("target_url", SITE + "archives/x.html"), **values)


def test_a_pingback_or_webmention_waits_for_its_source_to_be_read(store):
    blog, item, entry = published_weblog(store)
    for protocol in ("pingback", "webmention"):
        ping, job_ids = receive(store, CONFIG, incoming(item, protocol, "http://elsewhere.example/" + protocol))
        stored = store.get(Ping, ping.id)
        assert stored.protocol == protocol and stored.target_url == SITE + "archives/x.html"
        assert not stored.visible and not stored.junk          # shown once verified, whatever linkback_check says
        assert [store.get(Job, job_id).kind for job_id in job_ids] == ["check_linkback"]
    trackback, _ = receive(store, CONFIG, incoming(item, "trackback", "http://elsewhere.example/tb", target_url=""))
    assert store.get(Ping, trackback.id).visible and store.get(Ping, trackback.id).protocol == "trackback"


def test_a_repeat_is_nothing_for_trackback_fault_48_for_pingback_an_update_for_webmention(store):
    blog, item, entry = published_weblog(store)
    for protocol in ("trackback", "pingback", "webmention"):
        receive(store, CONFIG, incoming(item, protocol, "http://elsewhere.example/" + protocol))
    assert receive(store, CONFIG, incoming(item, "trackback", "http://elsewhere.example/trackback")) == (None, [])
    with pytest.raises(AlreadyRegistered):
        receive(store, CONFIG, incoming(item, "pingback", "http://elsewhere.example/pingback"))
    again, job_ids = receive(store, CONFIG, incoming(item, "webmention", "http://elsewhere.example/webmention",
                                                     target_url=SITE + "archives/y.html"))
    assert len(store.find(Ping)) == 3                           # an update, never a second record
    assert store.get(Ping, again.id).target_url == SITE + "archives/y.html" and store.get(Ping, again.id).updated_on
    assert [store.get(Job, job_id).kind for job_id in job_ids] == ["check_linkback"]


@pytest.mark.parametrize("protocol, message", [("trackback", "This weblog takes no TrackBack pings."),
                                               ("pingback", "This weblog takes no Pingbacks."),
                                               ("webmention", "This weblog takes no Webmentions.")])
def test_a_weblog_switches_each_protocol_off_on_its_own(store, protocol, message):
    blog, item, entry = published_weblog(store, **{"accept_" + protocol: False})
    with pytest.raises(PingRejected) as refused:
        receive(store, CONFIG, incoming(item, protocol))
    assert refused.value.message == message and store.find(Ping) == []
    others = [name for name in ("trackback", "pingback", "webmention") if name != protocol]
    for other in others:
        receive(store, CONFIG, incoming(item, other, "http://elsewhere.example/" + other))
    assert sorted(ping.protocol for ping in store.find(Ping)) == sorted(others)


def test_the_activity_log_names_the_protocol(store):
    from mtpy.models import Activity
    blog, item, entry = published_weblog(store)
    receive(store, CONFIG, incoming(item, "webmention", "http://elsewhere.example/a", title="A"))
    receive(store, CONFIG, incoming(item, "trackback", "http://elsewhere.example/b", title="B"))
    lines = [line.message for line in store.find(Activity, kind="ping")]
    assert lines[0].startswith("Held ping (Webmention) from http://elsewhere.example/a")
    assert lines[1] == "Ping from http://elsewhere.example/b: B"


def test_the_new_fields_round_trip(store):
    blog, item, entry = published_weblog(store)
    ping = Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s.example/", protocol="webmention", kind="like",
                target_url=SITE + "archives/1.html", author_name="Ana \u00e9", author_url="http://ana.example/",
                author_photo="http://ana.example/p.jpg", updated_on="2026-12-07 10:00:00", withdrawn=True)
    store.insert(ping)
    assert store.get(Ping, ping.id) == ping
    blog.accept_pingback, blog.own_links = False, "ignore"
    store.save(blog)
    assert store.get(Blog, blog.id).accept_pingback is False and store.get(Blog, blog.id).own_links == "ignore"
    entry.notified_links = {"http://there.example/p": {"protocol": "webmention", "endpoint": "http://there.example/wm",
                                                      "when": "2026-12-07 10:00:00"}}
    store.save(entry)
    assert store.get(Entry, entry.id).notified_links == entry.notified_links


def test_the_listing_fingerprint_changes_when_a_mention_is_updated_in_place(store):
    """The popup's kept page is checked against it: a Webmention sent again and
    rewritten by its check keeps its id, and must still be shown anew."""
    blog, item, entry = published_weblog(store)
    ping = Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s.example/", protocol="webmention",
                title="Before", visible=True)
    store.insert(ping)
    before = store.pings_fingerprint(item.id)
    ping.title, ping.updated_on = "After", "2026-12-07 10:00:00"
    store.update(ping)
    assert store.pings_fingerprint(item.id) != before
