"""Spam checks on the ping path: the judge and its reasons, the store queries
it makes on every backend, the verdict a received ping gets (published, held,
junk), closed items, the held ping's mail, and the JSON codec that keeps the
ping path free of `json`."""

import json
import os
import sys
import xml.etree.ElementTree as ET

import pytest

from conftest import http, start_lighttpd
from mtpy import dates
from mtpy.config import Config
from mtpy.models import Activity, Blog, Entry, Category, Job, Ping
from mtpy.store.flat import FlatStore
from mtpy import junk
from mtpy.junk import JUNK_SCORE, domain_listed, judge, ping_state, source_host
from mtpy.actions.receive import PingRejected, pings_closed, receive
from mtpy.apps.trackback import incoming_ping
from support.http import SUCCESS, error_doc, post
from support.stores import weblog
from support.waiting import no_jobs_left, wait_for

NOW = "2026-06-15 12:00:00"
DISABLED = "This TrackBack item is disabled."


def stored_ping(store, blog, item, url, created_on=NOW, **values):
    ping = Ping(blog_id=blog.id, tb_id=item.id, source_url=url, created_on=created_on, **values)
    store.insert(ping)
    return ping


# -- helpers ----------------------------------------------------------------

def test_ping_state():
    assert ping_state(Ping(visible=True)) == "published"
    assert ping_state(Ping(visible=False)) == "held"
    assert ping_state(Ping(visible=False, junk=True)) == "junk"


@pytest.mark.parametrize("url, host", [
    ("http://Www.Spam.Example/x?y#z", "www.spam.example"), ("https://spam.example:8080/", "spam.example"),
    ("http://spam.example.", "spam.example"), ("http://[2001:DB8::1]:80/p", "2001:db8::1"),
    ("http://user@spam.example/", "spam.example"), ("http://203.0.113.9/", "203.0.113.9"), ("", ""),
    ("http://h.example?q=http://other.example/", "h.example"),
])
def test_source_host(url, host):
    assert source_host(url) == host


def test_a_listed_domain_matches_its_host_and_subdomains_only():
    words = ["casino", "spam.example", "*.wild.example", "203.0.113.9"]
    assert domain_listed("spam.example", words) == "spam.example"
    assert domain_listed("www.spam.example", words) == "spam.example"
    assert domain_listed("a.b.wild.example", words) == "*.wild.example"
    assert domain_listed("notspam.example", words) is None
    assert domain_listed("spam.example.org", words) is None
    assert domain_listed("casino", words) is None           # a word, not a domain
    assert domain_listed("203.0.113.9", words) == "203.0.113.9"
    assert domain_listed("1.203.0.113.9", ["0.113.9"]) is None  # addresses only as themselves
    assert domain_listed("", words) is None


def test_links_are_counted_once_each():
    assert junk.excerpt_links('<a href="http://x.example/">http://x.example/</a>') == {"x.example/"}
    assert len(junk.excerpt_links("see http://a.example/ and https://b.example/p, [url=www.c.example]c[/url]"
                                  " HTTP://D.EXAMPLE")) == 4
    assert junk.excerpt_links("no links, just words.") == set()


# -- the judge ------------------------------------------------------------------

def test_judge_scores_each_check_with_its_reason(store):
    blog, item = weblog(store, junk_words=["casino", "spam.example"])
    clean = stored_ping(store, blog, item, "http://fine.example/post", title="A reply", excerpt="I agree.",
                        ip="198.51.100.1")
    assert judge(store, blog, clean, now=NOW) == (0.0, [])
    links = stored_ping(store, blog, item, "http://fine2.example/2", ip="198.51.100.2",
                        excerpt="http://a.example/ http://b.example/ http://c.example/")
    assert judge(store, blog, links, now=NOW) == (2.0, ["3 links in the excerpt"])
    word = stored_ping(store, blog, item, "http://fine3.example/3", ip="198.51.100.3", blog_name="Online CASINO")
    assert judge(store, blog, word, now=NOW) == (JUNK_SCORE, ["the block list has 'casino'"])
    in_url = stored_ping(store, blog, item, "http://fine4.example/casino-night", ip="198.51.100.3")
    assert judge(store, blog, in_url, now=NOW)[1] == ["the block list has 'casino'"]
    domain = stored_ping(store, blog, item, "http://www.spam.example/", ip="198.51.100.4")
    assert judge(store, blog, domain, now=NOW) == (JUNK_SCORE, ["the block list has the domain spam.example"])
    near = stored_ping(store, blog, item, "http://notspam.example/", ip="198.51.100.5")
    assert judge(store, blog, near, now=NOW) == (0.0, [])


def test_judge_counts_an_hour_of_pings_from_one_address_and_one_host(store):
    blog, item = weblog(store)
    earlier = dates.days_before(NOW, 2 / 24.0)
    stored_ping(store, blog, item, "http://flood.example/old", created_on=earlier, ip="203.0.113.9")
    for n in range(3):
        stored_ping(store, blog, item, "http://flood.example/%d" % n, ip="203.0.113.9")
    fourth = stored_ping(store, blog, item, "http://other.example/", ip="203.0.113.9")
    assert judge(store, blog, fourth, now=NOW) == (1.0, ["4 pings from 203.0.113.9 in the last hour"])
    from_host = stored_ping(store, blog, item, "https://FLOOD.example:444/4", ip="198.51.100.7")
    assert judge(store, blog, from_host, now=NOW) == (1.0, ["4 pings from flood.example in the last hour"])


def test_a_flood_is_counted_up_to_a_hundred(store, monkeypatch):
    blog, item = weblog(store)
    monkeypatch.setattr(junk, "FLOOD_COUNTED", 6)
    for n in range(8):
        stored_ping(store, blog, item, "http://flood.example/%d" % n, ip="203.0.113.9")
    last = stored_ping(store, blog, item, "http://flood.example/last", ip="203.0.113.9")
    assert judge(store, blog, last, now=NOW) == (2.0, ["6 or more pings from 203.0.113.9 in the last hour",
                                                        "6 or more pings from flood.example in the last hour"])


def test_judge_knows_a_source_already_junked_here(store):
    blog, item = weblog(store)
    other_blog, other_item = weblog(store)
    stored_ping(store, blog, item, "http://junked.example/", visible=False, junk=True)
    second = Entry(blog_id=blog.id, title="F", created_on=NOW)
    store.save(second)
    again = stored_ping(store, blog, store.trackback_for(entry=second), "http://junked.example/")
    assert judge(store, blog, again, now=NOW) == (JUNK_SCORE, ["a source already marked junk on this weblog"])
    elsewhere = stored_ping(store, other_blog, other_item, "http://junked.example/")
    assert judge(store, other_blog, elsewhere, now=NOW) == (0.0, [])


# -- the store queries, on every backend ---------------------------------------

def test_count_pings_from_host_since(store):
    blog, item = weblog(store)
    other, other_item = weblog(store)
    since = "2026-06-15 11:00:00"
    for url, created in [("http://h.example/1", "2026-06-15 11:00:00"), ("https://H.Example:8443/2", NOW),
                         ("http://h.example./3", NOW), ("http://h.example/old", "2026-06-15 10:59:59"),
                         ("http://x.h.example/", NOW), ("http://h.example.org/", NOW)]:
        stored_ping(store, blog, item, url, created_on=created)
    stored_ping(store, other, other_item, "http://h.example/other", created_on=NOW)
    assert store.count_pings_from_host_since(blog.id, "h.example", since) == 3
    assert store.count_pings_from_host_since(blog.id, "x.h.example", since) == 1
    assert store.count_pings_from_host_since(other.id, "h.example", since) == 1
    assert store.count_pings_from_host_since(blog.id, "nowhere.example", since) == 0
    store.HOST_SCAN_LIMIT = 2
    if isinstance(store, FlatStore):
        # Flat files read only the newest pings: a ping's cost stays bounded in a long flood.
        assert store.count_pings_from_host_since(blog.id, "h.example", since) == 0  # the newest: x.h, h.example.org
    else:   # SQL counts every ping of the hour, from an index of their hosts
        assert store.count_pings_from_host_since(blog.id, "h.example", since) == 3


def test_junk_source_seen_follows_the_pings(store):
    blog, item = weblog(store)
    other, other_item = weblog(store)
    url = "http://j.example/post"
    assert not store.junk_source_seen(blog.id, url)
    ping = stored_ping(store, blog, item, url, visible=False)
    assert not store.junk_source_seen(blog.id, url)           # held is not junk
    ping.junk = True
    store.update(ping)
    assert store.junk_source_seen(blog.id, url)
    assert not store.junk_source_seen(other.id, url)
    assert not store.junk_source_seen(blog.id, url + "x")
    stored_ping(store, other, other_item, url, visible=False, junk=True)
    ping.junk = False                                          # the owner's "not junk"
    store.update(ping)
    assert not store.junk_source_seen(blog.id, url) and store.junk_source_seen(other.id, url)
    ping.junk = True
    store.update(ping)
    store.delete(Ping, ping.id)
    assert not store.junk_source_seen(blog.id, url)


def test_junk_reasons_and_linkback_round_trip(store):
    blog, item = weblog(store)
    reasons = ['the block list has \'caf\u00e9 "x"\'', "back\\slash", "tab\there\nnew line\x00\x1f\x7f",
               "emoji \U0001F600 \u2028", ""]
    linkback = {"state": "missing", "reason": 'no link to "http://h/1.html" \u2192 \\', "when": NOW}
    ping = stored_ping(store, blog, item, "http://a.example/", junk_reasons=reasons, linkback=linkback,
                       junk_score=2.5)
    back = store.get(Ping, ping.id)
    assert back.junk_reasons == reasons and back.linkback == linkback and back.junk_score == 2.5


def test_a_source_url_of_any_length_can_be_junked(store):
    blog, item = weblog(store)
    url = "http://a.example/" + "".join("%08x" % (n * 2654435761 % 2 ** 32) for n in range(509))
    ping = stored_ping(store, blog, item, url, visible=False, junk=True)
    assert store.find_ping(item.id, url) == ping and store.junk_source_seen(blog.id, url)


# -- the JSON codec of the SQL stores --------------------------------------------

TRICKY = ["", "plain", 'a "quoted" word', "back\\slash\\", '\\"', "\x00\x01\x08\x0c\x1f\x7f",
          "\n\r\t\b\f", "caf\u00e9", "\u00fc\u4e2d\U0001F600", "\u2028\u2029", "\ud800 lone", "\\u0041",
          '"], ["', '"}, {"a": "', "/", "a, b: c"]


def test_the_codec_writes_flat_strings_as_json_does_and_reads_any_json():
    from mtpy.store.sql import _dump_json, _load_json
    values = [TRICKY, {text: text for text in TRICKY}, ["x", 1, -2], {"state": "ok", "n": 3},
              {"state": "ok", "reason": "the source page links here", "when": NOW}]
    for value in values:
        text = _dump_json(value)
        assert text == json.dumps(value, ensure_ascii=False)
        assert _load_json(text) == value
        for written in (json.dumps(value), json.dumps(value, indent=1), json.dumps(value, separators=(",", ":"))):
            assert _load_json(written) == json.loads(written) == value
    assert _load_json('["\\ud83d\\ude00", "\\ud83d", "\\u00E9\\/"]') == ["\U0001F600", "\ud83d", "\u00e9/"]
    for broken in ['["a"', '["a\\x"]', '["a" "b"]', '{"a" 1}', '["a",]', '["\\u12"]', "[01]"]:
        with pytest.raises(ValueError):
            _load_json(broken)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)     # flat files are JSON text
def test_sql_stores_keep_reasons_and_linkback_without_json(store, monkeypatch):
    blog, item = weblog(store)
    storable = [text for text in TRICKY if "\ud800" not in text]   # text columns take no lone surrogate
    monkeypatch.setitem(sys.modules, "json", None)    # `import json` now fails
    ping = stored_ping(store, blog, item, "http://a.example/", junk_reasons=storable, visible=False, junk=True,
                       linkback={"state": "unreachable", "reason": "timed out \u2014 \"x\"", "when": NOW})
    back = store.get(Ping, ping.id)
    assert back.junk_reasons == storable and back.linkback["reason"] == "timed out \u2014 \"x\""
    job = store.enqueue("check_linkback", {"ping_id": ping.id})
    assert store.get(Job, job.id).payload == {"ping_id": ping.id}


# -- receiving: the verdict -----------------------------------------------------

CONFIG = "OneHourMaxPings 0\nOneDayMaxPings 0\nOneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\nGenerateTrackBackRSS 0\n"


def send(store, item, url, **fields):
    ping, jobs = receive(store, Config(text=CONFIG), incoming_ping(str(item.id), "",
                                                                   dict(fields, url=url), "198.51.100.1"))
    return ping, sorted(store.get(Job, job_id).kind for job_id in jobs)


def last_activity(store):
    return store.find(Activity, order_by="id", desc=True, limit=1)[0].message


LINKS = "http://a.example/ http://b.example/ http://c.example/"


def test_verdicts_without_moderation(store):
    blog, item = weblog(store, junk_words=["casino"], site_path="/nonexistent-site", email_new_pings=True)
    ping, jobs = send(store, item, "http://clean.example/", title="Clean")
    assert (ping_state(ping), jobs) == ("published", ["notify_ping", "republish_pings"])
    assert last_activity(store) == "Ping from http://clean.example/: Clean"
    ping, jobs = send(store, item, "http://links.example/", title="Links", excerpt=LINKS)
    assert (ping_state(ping), ping.junk_score, ping.junk_reasons) == ("published", 2.0, ["3 links in the excerpt"])
    assert last_activity(store) == "Ping from http://links.example/: Links (3 links in the excerpt)"
    ping, jobs = send(store, item, "http://spam.example/", title="Best casino")
    assert (ping_state(ping), jobs) == ("junk", [])
    stored = store.get(Ping, ping.id)
    assert stored.junk and not stored.visible and stored.junk_reasons == ["the block list has 'casino'"]
    assert last_activity(store) == "Junk ping from http://spam.example/: the block list has 'casino'"
    assert store.count_pings(item.id) == 2


def test_moderation_holds_suspicious_or_every_ping(store):
    blog, item = weblog(store, moderate_pings="suspicious", email_new_pings=True)
    ping, jobs = send(store, item, "http://clean.example/", title="Clean")
    assert (ping_state(ping), jobs) == ("published", ["notify_ping"])     # no site_path: nothing to republish
    ping, jobs = send(store, item, "http://links.example/", title="Links", excerpt=LINKS)
    assert (ping_state(store.get(Ping, ping.id)), jobs) == ("held", ["notify_ping"])
    assert last_activity(store) == "Held ping from http://links.example/: Links (3 links in the excerpt)"
    blog.moderate_pings = "all"
    store.save(blog)
    ping, jobs = send(store, item, "http://clean2.example/", title="Clean")
    assert (ping_state(store.get(Ping, ping.id)), jobs) == ("held", ["notify_ping"])
    assert last_activity(store) == "Held ping from http://clean2.example/: Clean (every ping awaits approval)"


@pytest.mark.parametrize("policy, score, holds", [
    ("none", 0, False), ("none", 2.5, False), ("suspicious", 0, False), ("suspicious", 0.5, True),
    ("all", 0, True), ("all", 2.5, True)])
def test_one_moderation_rule_for_new_pings_and_link_back_checks(policy, score, holds):
    """The weblog's policy and the checks' score decide: written once, so a
    new ping and one whose link back was found are held alike."""
    from mtpy.actions import linkback
    from mtpy.actions import receive as receiving
    assert junk.moderation_holds(Blog(moderate_pings=policy), score) is holds
    assert linkback.moderation_holds is junk.moderation_holds is receiving.moderation_holds


def test_linkback_checking_holds_the_ping_for_its_check(store):
    blog, item = weblog(store, linkback_check="junk", email_new_pings=True)
    ping, jobs = send(store, item, "http://clean.example/", title="Clean")
    assert (ping_state(store.get(Ping, ping.id)), jobs) == ("held", ["check_linkback"])  # the check mails
    [job] = store.find(Job, kind="check_linkback")
    assert job.payload == {"ping_id": ping.id}
    assert last_activity(store) == "Held ping from http://clean.example/: Clean (awaiting its link-back check)"
    blog.moderate_pings = "all"
    store.save(blog)
    ping, jobs = send(store, item, "http://other.example/", title="Other")
    assert (ping_state(store.get(Ping, ping.id)), jobs) == ("held", ["check_linkback"])    # mailed once, by it
    blog.junk_words = ["other"]
    store.save(blog)
    ping, jobs = send(store, item, "http://other.example/2")
    assert (ping_state(ping), jobs) == ("junk", [])                         # junk is never checked


def test_pings_beyond_the_limits_are_still_held_and_judged(store):
    config = Config(text="OneHourMaxPings 1\nOneDayMaxPings 0\nGenerateTrackBackRSS 0\n")
    blog, item = weblog(store, hold_over_limit=True, email_new_pings=True, linkback_check="hold",
                        junk_words=["casino"])
    receive(store, config, incoming_ping(str(item.id), "", {"url": "http://a.example/"}, "198.51.100.1"))
    ping, jobs = receive(store, config, incoming_ping(str(item.id), "",
                                                      {"url": "http://b.example/", "title": "B"}, "198.51.100.2"))
    assert (ping_state(ping), jobs) == ("held", [])
    assert last_activity(store) == "Held ping from http://b.example/: B (beyond the weblog's limits)"
    ping, jobs = receive(store, config, incoming_ping(str(item.id), "",
                                                      {"url": "http://casino.example/"}, "198.51.100.3"))
    assert (ping_state(ping), jobs) == ("junk", [])


def test_switched_off_weblog_and_old_entries_refuse(store):
    blog, item = weblog(store)
    blog.accept_pings = False
    store.save(blog)
    with pytest.raises(PingRejected) as refused:
        send(store, item, "http://a.example/")
    assert refused.value.message == DISABLED
    blog.accept_pings, blog.close_pings_after_days = True, 2
    store.save(blog)
    old = Entry(blog_id=blog.id, title="Old", created_on=dates.utc_now(-3 * 86400))
    store.save(old)
    with pytest.raises(PingRejected) as refused:
        send(store, store.trackback_for(entry=old), "http://a.example/")
    assert refused.value.message == DISABLED
    assert not store.list_pings(blog_id=blog.id, visible_only=False)
    assert send(store, item, "http://a.example/")[0] is not None        # an hour old: open
    category = Category(blog_id=blog.id, label="C", allow_pings=True)
    store.save(category)
    assert not pings_closed(store, blog, store.trackback_for(category=category))   # days close entries only
    assert pings_closed(store, blog, item, now=dates.days_before(dates.utc_now(), -3))


def test_disabled_comes_after_the_item_and_before_the_passphrase(store):
    blog, item = weblog(store, accept_pings=False)
    category = Category(blog_id=blog.id, label="C", allow_pings=True, passphrase="secret")
    store.save(category)
    with pytest.raises(PingRejected) as refused:
        receive(store, Config(text=CONFIG), incoming_ping(
            str(store.trackback_for(category=category).id), "wrong", {"url": "http://a.example/"}, "198.51.100.1"))
    assert refused.value.message == DISABLED
    with pytest.raises(PingRejected) as refused:
        receive(store, Config(text=CONFIG), incoming_ping("99999", "", {"url": "http://a.example/"}, "198.51.100.1"))
    assert refused.value.message == "Invalid TrackBack ID '99999'"


# -- the held ping's mail ---------------------------------------------------------

def test_held_ping_mail_awaits_approval_and_links_to_mt_cgi(store):
    from mtpy import mail
    config = Config(text="CGIPath http://example.com/cgi-bin/\nEmailAddressMain mt@example.com\n")
    blog, item = weblog(store, email_new_pings=True)
    held = stored_ping(store, blog, item, "http://a.example/", title="T\r\nBcc: victim@example.net",
                       visible=False, junk_score=2.0, junk_reasons=["2 links in\nthe excerpt", "Bcc: x"])
    message = mail.ping_notification(store, config, held)
    assert "awaiting approval" in message["Subject"] and message["Bcc"] is None
    body = message.get_content()
    assert "http://example.com/cgi-bin/mt.cgi?__mode=pings&blog_id=%d&show=held" % blog.id in body
    assert "  - 2 links in the excerpt\n" in body and "not shown on your weblog until you approve it" in body
    published = stored_ping(store, blog, item, "http://b.example/", title="T")
    message = mail.ping_notification(store, config, published)
    assert "awaiting" not in message["Subject"] and "show=held" not in message.get_content()
    spam = stored_ping(store, blog, item, "http://c.example/", visible=False, junk=True)
    assert mail.ping_notification(store, config, spam) is None


# -- end to end: lighttpd running mt-tb.cgi ------------------------------------------

def test_spam_held_and_clean_pings_through_lighttpd(site):
    store = site.store()
    blog = site.blog
    blog.moderate_pings, blog.junk_words, blog.email_new_pings = "suspicious", ["casino"], True
    store.save(blog)
    old = Entry(blog_id=blog.id, author_id=site.author.id, title="Old", created_on=dates.utc_now(-3 * 86400))
    store.save(old)
    old_item = store.trackback_for(entry=old)
    fresh = Entry(blog_id=blog.id, author_id=site.author.id, title="Fresh", created_on=dates.utc_now(-60))
    store.save(fresh)
    fresh_item = store.trackback_for(entry=fresh)
    store.close()
    process = start_lighttpd(site)
    try:
        answers = [post(site.ping_url(), fields).text for fields in (
            {"url": "http://spam.example/", "title": "Casino bonus", "excerpt": "Win big"},
            {"url": "http://links.example/", "title": "Links", "excerpt": LINKS},
            {"url": "http://clean.example/", "title": "Clean", "excerpt": "A thoughtful reply"})]
        assert answers == [SUCCESS] * 3
        store = site.store()
        states = {ping.source_url: ping_state(ping) for ping in store.list_pings(tb_id=site.item.id,
                                                                                 visible_only=False)}
        store.close()
        assert states == {"http://spam.example/": "junk", "http://links.example/": "held",
                          "http://clean.example/": "published"}
        rss = ET.fromstring(http(site.ping_url() + "?__mode=rss").body)
        assert [item.findtext("link") for item in rss.findall("rss/channel/item")] == ["http://clean.example/"]
        feed = ET.parse(os.path.join(site.archives, "%d.xml" % site.item.id)).getroot()
        assert [item.findtext("link") for item in feed.findall("channel/item")] == ["http://clean.example/"]
        assert wait_for(no_jobs_left(site), 30)   # the mail and republishing, after the answers
        # Closed: the weblog switched off, an entry older than the weblog's days.
        store = site.store()
        blog.close_pings_after_days = 1
        store.save(blog)
        store.close()
        assert post(site.ping_url(old_item), {"url": "http://late.example/"}).text == error_doc(DISABLED)
        assert post(site.ping_url(fresh_item), {"url": "http://fresh.example/"}).text == SUCCESS
        store = site.store()
        blog.accept_pings = False
        store.save(blog)
        store.close()
        assert post(site.ping_url(), {"url": "http://off.example/"}).text == error_doc(DISABLED)
        store = site.store()
        urls = [ping.source_url for ping in store.list_pings(blog_id=blog.id, visible_only=False)]
        store.close()
        assert "http://late.example/" not in urls and "http://off.example/" not in urls
    finally:
        process.terminate()
        # MailTransfer debug: the mail goes to the CGI's stderr, which lighttpd passes on as its own.
        errors = process.communicate(timeout=20)[1].decode("utf-8", "replace")
    # The owner hears of the clean ping and of the held one (with the way to approve it); not of junk.
    entry = "[Test Weblog] New TrackBack Ping to Entry %d (Hello <World> & Co)" % site.entry.id
    mails = {mail["Subject"]: mail.get_content() for mail in debug_mails(errors) if entry in mail["Subject"]}
    assert sorted(mails) == [entry, entry + " awaiting approval"], errors
    assert "URL: http://clean.example/" in mails[entry]
    held = mails[entry + " awaiting approval"]
    assert "URL: http://links.example/" in held and "  - 3 links in the excerpt\n" in held
    assert "%scgi-bin/mt.cgi?__mode=pings&blog_id=%d&show=held\n" % (site.base, blog.id) in held
    assert "spam.example" not in errors


def debug_mails(text):
    """The messages MailTransfer debug wrote, among whatever else the text holds."""
    import email
    import email.policy
    return [email.message_from_string("From: " + chunk, policy=email.policy.default)
            for chunk in ("\n" + text).split("\nFrom: ")[1:]]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_closed_entries_and_a_weblog_taking_no_pings_are_not_offered_on_pages(tmp_path, backend):
    """The pages stop offering what the receiver refuses: no ping URL, no
    auto-discovery block."""
    from conftest import Site
    from mtpy.actions.weblogs import change_weblog
    from mtpy.publish.rebuild import Publisher
    site = Site(tmp_path / "site", backend)
    recent, _ = site.add_entry(title="Recent", created_on="2026-11-30 10:00:00")
    page = {entry_id: os.path.join(site.archives, "%06d.html" % entry_id) for entry_id in (site.entry.id, recent.id)}

    def offered(values, now="2026-12-01 12:00:00"):
        store = site.store()
        try:
            change_weblog(store, site.config, store.get(Blog, site.blog.id), values)
            with store.rebuild_lock():
                Publisher(store, site.config, store.get(Blog, site.blog.id), now=now).rebuild_all()
        finally:
            store.close()
        shown = {}
        for entry_id, path in page.items():
            with open(path, encoding="utf-8") as handle:
                shown[entry_id] = "trackback:ping=" in handle.read()
        return shown

    assert offered({}) == {site.entry.id: True, recent.id: True}
    # The site's entry is from 2026-11-24: more than 5 days before the rebuild.
    assert offered({"close_pings_after_days": "5"}) == {site.entry.id: False, recent.id: True}
    assert offered({"close_pings_after_days": "0", "accept_pings": "0"}) == {site.entry.id: False, recent.id: False}
