"""One verification for all three protocols (mtpy.actions.linkback, mtpy.sources):
a Pingback or Webmention received (mtpy.actions.receive) is shown only once
its source, served on 127.0.0.1, links to the page it names; it then says
what its h-entry says (author, title, text, date, kind), hostile text made
plain; a later check updates it in place or withdraws it. Links from this
installation's own weblogs, and the rules every ping obeys (bans, throttles,
closed entries, the block list), for the new protocols. sqlite and flat."""

import sys

import pytest

from support.local_web import SILENT, LocalWeb
from support.stores import weblog
from mtpy import dates
from mtpy.actions.linkback import FORWARDED_FOR, GONE, MISSING_TARGET, check_linkback
from mtpy.actions.receive import Incoming, PingRejected, receive
from mtpy.config import Config
from mtpy.urls import own_weblog
from mtpy.models import Blog, Entry, IPBan, Job, Ping
from mtpy.sources import MICROFORMATS_MAX_TAGS, read_source
from mtpy.urls import entry_permalink

SITE = "http://blog.example/weblog/"
SENDER = "127.0.0.1"        # where the sources are: no mismatch between sender and source


@pytest.fixture(params=["sqlite", "flat"])
def backend(request):
    return request.param


@pytest.fixture
def pages():
    with LocalWeb() as running:
        yield running


def config_with(tmp_path, extra=""):
    return Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 5\nLogFile %s\n"
                       "OneHourMaxPings 0\nOneDayMaxPings 0\nOneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\n%s"
                  % (tmp_path / "mt.log", extra))


@pytest.fixture
def config(tmp_path):
    return config_with(tmp_path)


def published(store, tmp_path, **values):
    """A weblog that publishes (republish jobs are queued) and mails; its entry's page."""
    values.setdefault("email_new_pings", True)
    blog, item = weblog(store, site_url=SITE, archive_url=SITE + "archives/", site_path=str(tmp_path / "site"),
                        **values)
    return blog, item, entry_permalink(blog, store.get(Entry, item.entry_id))


def mention(store, config, item, source, target, protocol="webmention", ip=SENDER):
    """Receive a notification and run its check: the stored ping after it, and
    the kinds of the jobs that followed (the check's, and the receiver's other than the check)."""
    ping, queued = receive(store, config, Incoming(str(item.id), source, remote_ip=ip, protocol=protocol,
                                                   target_url=target))
    assert [store.get(Job, job_id).kind for job_id in queued] == ["check_linkback"]
    for job_id in queued:
        store.delete(Job, job_id)
    followed = check_linkback(store, config, {"ping_id": ping.id})
    kinds = [store.get(Job, job_id).kind for job_id in followed]
    for job_id in followed:
        store.delete(Job, job_id)
    return store.get(Ping, ping.id), kinds


REPLY = """<!doctype html><html><head><title>Ana's notes</title></head><body>
<article class="h-entry">
  <p>In reply to <a class="u-in-reply-to" href="{target}">a post</a></p>
  <div class="p-author h-card"><img class="u-photo" src="/ana.jpg" alt="">
    <a class="p-name u-url" href="https://ana.example/">Ana Lima</a></div>
  <div class="e-content">Well said: I agree with every word of it.</div>
  <time class="dt-published" datetime="2026-12-07T10:30:00+01:00">7 December</time>
</article></body></html>"""

REACTION = """<html><head><title>Bo's site</title></head><body><div class="h-entry">
  <span class="p-author h-card"><a class="p-name u-url" href="https://bo.example/">Bo</a></span>
  <a class="u-{property}" href="{target}">this post</a></div></body></html>"""

MENTION = """<html><head><title>Cy's weblog</title></head><body><article class="h-entry">
  <h1 class="p-name">Things I read this week</h1>
  <div class="e-content">Among others, <a href="{target}">a fine entry</a> on weblogs.</div>
  <a class="p-author h-card" href="https://cy.example/">Cy</a></article></body></html>"""

PLAIN = """<html><head><title>  Dee's
  diary  </title><style>p {{ color: red }}</style></head><body><p>It was a cold and rainy morning in the town.
Yesterday I went to the market and bought some apples, pears and a big loaf of bread, then I read <a href="{target}">this entry</a> about
TrackBack, which reminded me of the old days of weblogs and of the many friends made through them over the
years, and of the rest.</p><script>var x = "<a href='{target}'>";</script></body></html>"""


# -- what the source says (mtpy.sources) ------------------------------------------

def test_a_reply_gives_its_author_text_date_and_kind():
    target = SITE + "archives/000001.html"
    said = read_source(REPLY.format(target=target), "http://ana.example/notes/1", [target])
    assert said.links and said.kind == "reply"
    assert (said.author_name, said.author_url, said.author_photo) == (
        "Ana Lima", "https://ana.example/", "http://ana.example/ana.jpg")
    assert said.excerpt == "Well said: I agree with every word of it."
    assert said.published == "2026-12-07 09:30:00"             # stored UTC
    assert said.title == "Ana's notes"                          # a note has no name of its own: the page's title


@pytest.mark.parametrize("property, kind", [("like-of", "like"), ("repost-of", "repost"),
                                            ("bookmark-of", "bookmark")])
def test_reactions_are_told_apart(property, kind):
    target = SITE + "archives/000001.html"
    said = read_source(REACTION.format(property=property, target=target), "http://bo.example/1", [target])
    assert said.links and said.kind == kind and said.author_name == "Bo"
    # The same reaction to another page of the weblog is no reaction to this one.
    other = SITE + "archives/000002.html"
    page = REACTION.format(property=property, target=other) + '<a href="%s">also</a>' % target
    assert read_source(page, "http://bo.example/1", [target]).kind == "mention"


def test_a_mention_keeps_its_name_and_text():
    target = SITE + "archives/000001.html"
    said = read_source(MENTION.format(target=target), "http://cy.example/w", [target])
    assert said.kind == "mention" and said.title == "Things I read this week"
    assert said.excerpt == "Among others, a fine entry on weblogs."
    assert said.author_name == "Cy" and said.author_url == "https://cy.example/"


def test_without_microformats_the_title_and_the_words_around_the_link(monkeypatch):
    target = SITE + "archives/000001.html"
    said = read_source(PLAIN.format(target=target), "http://dee.example/d", [target])
    assert said.links and said.kind == "mention" and said.title == "Dee's diary"
    assert said.excerpt.startswith("[\u2026] ") and said.excerpt.endswith(" [\u2026]")
    assert "this entry about TrackBack" in said.excerpt and "color" not in said.excerpt
    assert "apples" in said.excerpt and "rainy" not in said.excerpt        # about 100 characters each side
    assert said.author_name == said.author_url == ""
    # Without mf2py installed, an h-entry page reads the same way.
    monkeypatch.setitem(sys.modules, "mf2py", None)
    said = read_source(REPLY.format(target=target), "http://ana.example/notes/1", [target])
    assert said.links and said.kind == "mention" and said.title == "Ana's notes" and said.author_name == ""
    assert said.excerpt == "In reply to a post Ana Lima Well said: I agree with every word of it. 7 December"


def test_hostile_author_data_is_plain_text_and_bounded():
    target = SITE + "archives/000001.html"
    page = """<html><head><title>&lt;img src=x onerror=alert(1)&gt;Eve</title></head><body>
    <article class="h-entry"><h1 class="p-name">&lt;script&gt;alert(1)&lt;/script&gt;Free \x07money</h1>
    <div class="p-author h-card"><a class="p-name u-url" href="javascript:alert(2)">&lt;b onclick=x&gt;Eve</a>
      <img class="u-photo" src="data:image/png;base64,AAAA"></div>
    <div class="e-content"><script>alert(3)</script><a href="%s">x</a> %s</div>
    <time class="dt-published" datetime="not a date">x</time></article></body></html>""" % (
        target, "<b>word</b> " * 2000)
    said = read_source(page, "http://eve.example/", [target])
    assert said.links and said.title == "alert(1)Free money"
    assert said.author_name == "Eve" and said.author_url == "" and said.author_photo == ""
    assert said.published == "" and len(said.excerpt) <= 255 and said.excerpt.endswith("...")
    for text in (said.title, said.excerpt, said.author_name):
        assert "<" not in text and "\x07" not in text


@pytest.mark.parametrize("filler, reads_microformats", [
    ("<b>w</b> " * (MICROFORMATS_MAX_TAGS + 1), False),    # too many elements for mf2py
    ("<b>w " * 5000, False),                                # too deep: html5lib's time grows with its square
    ("<i>w " * 90 + "<p>w" * 2000, True),                   # deep enough, and paragraphs that close themselves
    ("<a " * 40000, False),                                 # unclosed tags: html.parser's time explodes
    ("<!" * 100000 + ">", False),
])
def test_hostile_markup_is_read_in_bounded_time(filler, reads_microformats):
    """Every page is read once by scanners that never look past the next `<`;
    mf2py only reads pages it can read in bounded time (else: the title and
    the words around the link)."""
    target = SITE + "archives/000001.html"
    page = ('<html><head><title>Many</title></head><body><article class="h-entry"><h1 class="p-name">Name</h1>'
            '<div class="e-content">%s <a href="%s">x</a></div></article></body></html>') % (filler, target)
    # No time is asserted (tests hold on any machine): the pages that would be
    # slow for mf2py are read without it (the page's title, not the h-entry's
    # name), and the scanners' single pass is what lets this test end at all.
    said = read_source(page, "http://many.example/", [target])
    assert said.links and said.title == ("Name" if reads_microformats else "Many")


def test_a_page_that_says_410_is_gone():
    target = SITE + "archives/000001.html"
    said = read_source('<meta http-equiv="Status" content="410 Gone"><a href="%s">x</a>' % target, "http://x.example/",
                       [target])
    assert said.gone


# -- the check, after receive() ------------------------------------------------------

@pytest.mark.parametrize("protocol", ["pingback", "webmention"])
def test_a_mention_is_shown_once_its_source_links_and_says_what_its_source_says(store, config, pages, tmp_path,
                                                                             protocol):
    blog, item, target = published(store, tmp_path)
    source = pages.html("/notes/1", REPLY.format(target=target.replace("http://", "https://www.")))
    ping, jobs = mention(store, config, item, source, target, protocol)
    assert ping.visible and not ping.junk and not ping.withdrawn and ping.linkback["state"] == "ok"
    assert (ping.kind, ping.author_name, ping.author_url) == ("reply", "Ana Lima", "https://ana.example/")
    assert ping.author_photo == pages.base + "/ana.jpg" and ping.blog_name == "Ana Lima"
    assert ping.title == "Ana's notes" and ping.excerpt == "Well said: I agree with every word of it."
    assert ping.linkback["published"] == "2026-12-07 09:30:00"
    assert jobs == ["republish_pings", "notify_ping"]          # published, and the owner told once
    # The request named who asked, as WordPress's does.
    assert [headers[FORWARDED_FOR] for headers in pages.headers] == [SENDER]


SHOWN_NEVER = {
    "only in a comment": (200, "text/html", '<p>x</p><!-- <a href="{target}">hidden</a> -->'),
    "only as text": (200, "text/html", "<p>Read {target} today.</p>"),
    "gone": (410, "text/html", '<a href="{target}">x</a>'),
    "not a page": (200, "application/pdf", '<a href="{target}">x</a>'),
}


@pytest.mark.parametrize("case", sorted(SHOWN_NEVER))
def test_a_source_without_the_link_is_junk(store, config, pages, tmp_path, case):
    blog, item, target = published(store, tmp_path)
    status, kind, body = SHOWN_NEVER[case]
    ping, jobs = mention(store, config, item, pages.url("/s", (status, kind, body.format(target=target))), target,
                         "pingback")
    assert not ping.visible and ping.junk and ping.linkback["state"] == "missing" and jobs == []
    expected = {"gone": GONE, "not a page": MISSING_TARGET + ": it is not a web page (application/pdf)"}
    assert ping.junk_reasons[-1] == ping.linkback["reason"] == expected.get(case, MISSING_TARGET)


def test_a_webmention_sent_again_once_its_source_links_is_shown(store, config, pages, tmp_path):
    """A sender may notify before its page carries the link: junked by its
    check, it is checked again when sent again. Junk the owner marked, or the
    score made, stays junk."""
    blog, item, target = published(store, tmp_path)
    source = pages.url("/early", (200, "text/html", "<p>Soon: %s</p>" % target))
    early, _ = mention(store, config, item, source, target)
    assert early.junk and early.junk_reasons == [MISSING_TARGET]
    pages.html("/early", MENTION.format(target=target))
    ping, jobs = mention(store, config, item, source, target)
    assert ping.id == early.id and ping.visible and not ping.junk and ping.junk_reasons == []
    assert jobs == ["republish_pings", "notify_ping"]
    store.update(ping.copy(visible=False, junk=True))            # the owner says junk
    again = receive(store, config, Incoming(str(item.id), source, remote_ip=SENDER, protocol="webmention",
                                            target_url=target))
    assert again == (None, []) and store.get(Ping, ping.id).junk


def test_a_weblog_that_holds_rather_than_junks(store, config, pages, tmp_path):
    blog, item, target = published(store, tmp_path, linkback_check="hold")
    ping, jobs = mention(store, config, item, pages.url("/s", SHOWN_NEVER["only as text"]), target)
    assert not ping.visible and not ping.junk and jobs == []    # nothing verified: no mail


def test_only_in_an_image_is_a_link(store, config, pages, tmp_path):
    blog, item, target = published(store, tmp_path)
    ping, jobs = mention(store, config, item, pages.html("/s", '<p><img src="%s"></p>' % target), target)
    assert ping.visible and ping.kind == "mention" and ping.excerpt == ""


def test_sources_past_the_limits_are_cut_off_in_time(store, tmp_path, pages):
    """50 MB, a megabyte of text, 11 redirects, a server that never answers:
    none is shown, none holds the check past PingTimeout (2 s here)."""
    quick = config_with(tmp_path, "PingTimeout 2\n")
    blog, item, target = published(store, tmp_path)
    link = '<a href="%s">x</a>' % target
    for number in range(1, 12):
        pages.url("/hop%d" % number, (302, {"Location": "/hop%d" % (number + 1)}, ""))
    pages.html("/hop12", link)
    sources = {"/huge": (200, "text/html", link.encode() + b" " * (50 << 20)),
               "/megabyte": (200, "text/html", link + "words " * 200000),
               "/hop1": None, "/silent": SILENT}
    reasons = {}
    for path, answer in sources.items():
        url = pages.url(path, answer) if answer is not None else pages.base + path
        ping, jobs = mention(store, quick, item, url, target)     # each ends at a limit, said below
        assert not ping.visible and not ping.junk and ping.linkback["state"] == "unreachable" and jobs == []
        reasons[path] = ping.linkback["reason"]
    assert reasons["/huge"] == reasons["/megabyte"] == "the answer is larger than 524288 bytes"
    assert reasons["/hop1"] == "too many redirects" and reasons["/silent"].startswith("timed out after")
    assert "/hop12" not in pages.paths()


def test_an_update_changes_it_in_place_and_a_410_or_a_lost_link_withdraws_it(store, config, pages, tmp_path):
    blog, item, target = published(store, tmp_path)
    source = pages.html("/notes/1", REPLY.format(target=target))
    first, jobs = mention(store, config, item, source, target)
    assert first.visible and jobs == ["republish_pings", "notify_ping"]
    # The source now likes the entry instead: the same record, changed, republished, not mailed again.
    pages.html("/notes/1", REACTION.format(property="like-of", target=target))
    ping, jobs = mention(store, config, item, source, target)
    assert ping.id == first.id and len(store.find(Ping)) == 1
    assert ping.visible and ping.kind == "like" and ping.author_name == "Bo" and ping.updated_on
    assert ping.title == "Bo's site" and ping.excerpt == ""     # what the source says now, not what it said
    assert jobs == ["republish_pings"]
    # 410 Gone: withdrawn, kept for the owner, its pages republished without it.
    pages.url("/notes/1", (410, "text/html", "<p>Deleted</p>"))
    ping, jobs = mention(store, config, item, source, target)
    assert ping.withdrawn and not ping.visible and not ping.junk and ping.linkback["reason"] == GONE
    assert jobs == ["republish_pings"]
    # Back, and linking: shown again.
    pages.html("/notes/1", MENTION.format(target=target))
    ping, jobs = mention(store, config, item, source, target)
    assert ping.visible and not ping.withdrawn and ping.kind == "mention" and jobs == ["republish_pings"]
    # No longer linking: withdrawn again.
    pages.html("/notes/1", "<p>Rewritten without the link.</p>")
    ping, jobs = mention(store, config, item, source, target)
    assert ping.withdrawn and not ping.visible and ping.linkback["reason"] == MISSING_TARGET
    assert jobs == ["republish_pings"]
    # Unreachable for a while: left as it was (a failure of the moment withdraws nothing).
    pages.html("/notes/1", REPLY.format(target=target))
    mention(store, config, item, source, target)
    pages.url("/notes/1", (503, "text/html", "busy"))
    ping, jobs = mention(store, config, item, source, target)
    assert ping.visible and not ping.withdrawn and ping.linkback["state"] == "unreachable" and jobs == []


def test_moderation_and_the_block_list_read_what_the_source_says(store, config, pages, tmp_path):
    blog, item, target = published(store, tmp_path, moderate_pings="all")
    held, jobs = mention(store, config, item, pages.html("/a", REPLY.format(target=target)), target)
    assert not held.visible and not held.junk and held.linkback["state"] == "ok"
    assert jobs == ["notify_ping"]                              # awaiting approval: told once
    _, jobs = mention(store, config, item, pages.html("/a", MENTION.format(target=target)), target)
    assert jobs == [] and not store.get(Ping, held.id).visible  # updated, still held, not told again
    blog.moderate_pings, blog.junk_words = "none", ["week"]
    store.save(blog)
    junk, jobs = mention(store, config, item, pages.html("/b", MENTION.format(target=target)), target)
    assert junk.junk and not junk.visible and "the block list has 'week'" in junk.junk_reasons and jobs == []


# -- links from this installation's own weblogs -----------------------------------------

def test_own_weblog():
    blogs = [Blog(id=1, site_url="http://www.Blog.example/weblog/", archive_url="https://blog.example:8443/arch/"),
             Blog(id=2, site_url="http://other.example/")]
    assert own_weblog("https://blog.example/weblog/archives/000001.html#c", blogs).id == 1
    assert own_weblog("http://blog.example:80/weblog", blogs).id == 1
    assert own_weblog("https://blog.example:8443/arch/cat_x.html", blogs).id == 1
    assert own_weblog("http://OTHER.example./2026/x.html?y", blogs).id == 2
    for elsewhere in ("http://blog.example/weblogs/x.html", "http://blog.example/", "http://blog.example:8080/weblog/",
                      "http://evilblog.example/weblog/", "ftp://blog.example/weblog/", "not a url", "", None):
        assert own_weblog(elsewhere, blogs) is None, elsewhere


@pytest.mark.parametrize("own_links", ["quiet", "normal", "ignore"])
@pytest.mark.parametrize("protocol", ["trackback", "webmention"])
def test_a_link_from_an_own_weblog(store, config, pages, tmp_path, own_links, protocol):
    """quiet: shown though every ping awaits approval, and no mail; normal: as
    any other; ignore: nothing kept, success answered. A TrackBack's source is
    verified where the weblog checks link-backs."""
    blog, item, target = published(store, tmp_path, moderate_pings="all", linkback_check="junk",
                                   own_links=own_links)
    store.save(Blog(name="Mine too", site_url=pages.base + "/mine/"))
    source = pages.html("/mine/archives/000003.html", MENTION.format(target=target))
    incoming = Incoming(str(item.id), source, remote_ip=SENDER, protocol=protocol,
                        target_url=target if protocol != "trackback" else "", title="T", excerpt="E")
    ping, queued = receive(store, config, incoming)
    if own_links == "ignore":
        assert (ping, queued) == (None, []) and store.find(Ping) == []
        return
    for job_id in queued:
        store.delete(Job, job_id)
    followed = [store.get(Job, job_id).kind for job_id in check_linkback(store, config, {"ping_id": ping.id})]
    ping = store.get(Ping, ping.id)
    if own_links == "quiet":
        assert ping.visible and followed == ["republish_pings"]
    else:
        assert not ping.visible and followed == ["notify_ping"]
    if protocol == "trackback":
        # A TrackBack's claim alone, unverified, is any other ping's: held, and the owner told.
        blog.linkback_check = "off"
        store.save(blog)
        claimed = receive(store, config, Incoming(str(item.id), source + "?again", remote_ip=SENDER, title="T"))
        assert not claimed[0].visible and [store.get(Job, job_id).kind for job_id in claimed[1]] == ["notify_ping"]
    # Another site's page is no page of ours, whatever the rule.
    other = receive(store, config, Incoming(str(item.id), pages.html("/theirs", MENTION.format(target=target)),
                                            remote_ip=SENDER, protocol=protocol, target_url=incoming.target_url))[0]
    assert other is not None


# -- the rules every ping obeys --------------------------------------------------------

@pytest.mark.parametrize("protocol", ["pingback", "webmention"])
def test_bans_throttles_closed_entries_and_the_block_list_hold_for_every_protocol(store, tmp_path, protocol):
    def send(config, number, ip="198.51.100.4"):
        return receive(store, config, Incoming(str(item.id), "http://src.example/%d" % number, remote_ip=ip,
                                               protocol=protocol, target_url=target))

    blog, item, target = published(store, tmp_path)
    open_config = config_with(tmp_path)
    store.save(IPBan(blog_id=blog.id, ip="203.0.113.9"))
    with pytest.raises(PingRejected, match="not allowed"):
        send(open_config, 1, ip="203.0.113.9")
    per_sender = config_with(tmp_path, "OneHourMaxPingsPerIP 1\n")
    send(per_sender, 2)
    with pytest.raises(PingRejected) as refused:
        send(per_sender, 3)
    assert refused.value.status == "403 Forbidden"
    per_weblog = config_with(tmp_path, "OneHourMaxPings 1\n")
    with pytest.raises(PingRejected) as refused:
        send(per_weblog, 4, ip="198.51.100.5")
    assert refused.value.status == "403 Forbidden"
    blog.junk_words = ["src.example"]
    store.save(blog)
    junk, queued = send(open_config, 5, ip="198.51.100.6")
    assert junk.junk and not junk.visible and queued == []      # junk: never fetched
    blog.close_pings_after_days = 1
    store.save(blog)
    entry = store.get(Entry, item.entry_id)
    entry.created_on = dates.utc_now(-3 * 86400)
    store.save(entry)
    with pytest.raises(PingRejected, match="disabled"):
        send(open_config, 6, ip="198.51.100.7")
    blog.close_pings_after_days, blog.accept_pings = 0, False
    store.save(blog)
    with pytest.raises(PingRejected, match="disabled"):
        send(open_config, 7, ip="198.51.100.8")
    assert len(store.find(Ping)) == 2


def test_a_mention_held_beyond_the_limits_is_checked_when_approved(store, config, pages, tmp_path):
    """Beyond the weblog's limits a Pingback or Webmention is kept unread (no
    check, no mail: a flood costs nothing more); approving it queues its check,
    and it shows once its source links here, with what the source says."""
    from mtpy.actions.pings import approve_pings
    blog, item, target = published(store, tmp_path, hold_over_limit=True)
    first = pages.html("/first", MENTION.format(target=target))
    second = pages.html("/second", REPLY.format(target=target))
    absent = pages.html("/absent", "<html><head><title>No link</title></head><body>Nothing here.</body></html>")
    mention(store, config, item, first, target)                  # under the limit: checked and shown
    over = Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 5\nOneHourMaxPings 1\nOneDayMaxPings 0\n"
                       "OneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\n")
    held = []
    for source in (second, absent):
        ping, queued = receive(store, over, Incoming(str(item.id), source, remote_ip=SENDER, protocol="webmention",
                                                     target_url=target))
        assert queued == [] and not ping.visible and ping.linkback == {}     # no check, no mail
        held.append(ping)
    done = approve_pings(store, config, blog, [ping.id for ping in held])
    checks = [job for job in (store.get(Job, job_id) for job_id in done.job_ids) if job.kind == "check_linkback"]
    assert sorted(job.payload["ping_id"] for job in checks) == sorted(ping.id for ping in held)
    assert not any(store.get(Ping, ping.id).visible for ping in held)   # not before its check
    followed = []
    for job in checks:
        followed += check_linkback(store, config, job.payload)
    replied, unlinked = store.get(Ping, held[0].id), store.get(Ping, held[1].id)
    assert replied.visible and replied.kind == "reply" and replied.author_name == "Ana Lima"
    assert not unlinked.visible and unlinked.linkback["state"] == "missing"
    assert "notify_ping" not in [store.get(Job, job_id).kind for job_id in followed]   # the owner chose: no mail
