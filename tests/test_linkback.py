"""Link-back verification (mtpy.actions.linkback): which links count, and the
check_linkback job against pages served on 127.0.0.1, on every backend: a
held ping ends published, junk or still held, with its check recorded."""

import pytest

import mtpy.publish.republish
import mtpy.work
from support.local_web import SILENT, LocalWeb
from mtpy import dates
from mtpy.actions.linkback import MISSING_CATEGORY, MISSING_ENTRY, address_mismatch, check_linkback, targets_for
from mtpy.config import Config
from mtpy.models import Activity, Blog, Category, Entry, Job, Ping
from mtpy.sources import links_back
from mtpy.urls import category_archive_url, entry_permalink

PERMALINK = "http://blog.example/archives/000007.html"
ELSEWHERE = "http://source.example/2026/12/a-post.html"


# -- which links count ----------------------------------------------------------

@pytest.mark.parametrize("anchor, page_url", [
    ('<a href="http://blog.example/archives/000007.html">it</a>', ELSEWHERE),
    ('<a href="https://blog.example/archives/000007.html">https</a>', ELSEWHERE),
    ('<a href="http://www.blog.example/archives/000007.html">www.</a>', ELSEWHERE),
    ('<a href="http://BLOG.Example/archives/000007.html">host case</a>', ELSEWHERE),
    ('<a href="http://blog.example./archives/000007.html">a rooted name</a>', ELSEWHERE),
    ('<a href="http://blog.example:80/archives/000007.html">default port</a>', ELSEWHERE),
    ('<a href="https://www.blog.example:443/archives/000007.html">https default port</a>', ELSEWHERE),
    ('<a href="http://blog.example/archives/000007.html/">trailing slash</a>', ELSEWHERE),
    ('<a href="http://blog.example/archives/000007.html#comments">fragment</a>', ELSEWHERE),
    ("<A class=x HREF='http://blog.example/archives/000007.html'>upper case, apostrophes</A>", ELSEWHERE),
    ('<a href=http://blog.example/archives/000007.html>bare</a>', ELSEWHERE),
    ('<a href="  http://blog.example/archives/\n000007.html  ">spaces, a line break</a>', ELSEWHERE),
    ('<a title="x &amp; y" href="http&#58;//blog.example/archives/000007.html">a reference</a>', ELSEWHERE),
    ('<a href="//blog.example/archives/000007.html">scheme-relative</a>', ELSEWHERE),
    ('<a href="/archives/000007.html">root-relative</a>', "http://blog.example/2026/post.html"),
    ('<a href="000007.html">relative</a>', "https://blog.example/archives/000006.html"),
    ('<a href="../archives/000007.html">dot-dot</a>', "http://www.blog.example/x/post.html"),
    ('<base href="http://blog.example/archives/"><a href="000007.html">under a base</a>', ELSEWHERE),
    # One rule for all three protocols: a page's media count as its links do.
    ('<img alt="" src="http://blog.example/archives/000007.html">', ELSEWHERE),
    ('<video src="https://blog.example/archives/000007.html"></video>', ELSEWHERE),
    ('<audio controls src="http://blog.example/archives/000007.html"></audio>', ELSEWHERE),
    ('<video><source src="http://blog.example/archives/000007.html"></video>', ELSEWHERE),
])
def test_links_that_count(anchor, page_url):
    page = "<html><body><p>Read <b>this</b>:</p>\n%s\n</body></html>" % anchor
    assert links_back(page, page_url, [PERMALINK])


@pytest.mark.parametrize("anchor", [
    '<a href="http://blog.example/archives/000008.html">another entry</a>',
    '<a href="http://blog.example/archives/000007.html.evil">longer path</a>',
    '<a href="http://blog.example/archives/">the archive folder</a>',
    '<a href="http://evil-blog.example/archives/000007.html">another host</a>',
    '<a href="http://m.blog.example/archives/000007.html">another subdomain than www</a>',
    '<a href="http://blog.example.evil.example/archives/000007.html">a longer host</a>',
    '<a href="http://blog.example:8080/archives/000007.html">another port</a>',
    '<a href="http://blog.example/archives/000007.html?p=2">another query</a>',
    '<a href="ftp://blog.example/archives/000007.html">not the web</a>',
    '<a href="000007.html">relative to the source, not to the weblog</a>',
    # The address only as text, or in something that is not a link.
    "See http://blog.example/archives/000007.html for more.",
    '<img alt="http://blog.example/archives/000007.html" src="/x.png">',
    '<a name="http://blog.example/archives/000007.html">no href</a>',
    '<link rel="canonical" href="http://blog.example/archives/000007.html">',
    '<iframe src="http://blog.example/archives/000007.html"></iframe>',
    '<script>document.write(\'<a href="http://blog.example/archives/000007.html">x</a>\')</script>',
    # A comment shows nothing to readers, so its links do not count.
    '<!-- <a href="http://blog.example/archives/000007.html">hidden</a> -->',
    '<!-- left open <a href="http://blog.example/archives/000007.html">hidden</a>',
])
def test_links_that_do_not_count(anchor):
    page = "<html><body>\n%s\n<a href='http://other.example/'>other</a></body></html>" % anchor
    assert not links_back(page, ELSEWHERE, [PERMALINK])


def test_any_target_counts_and_none_means_no_link():
    page = '<a href="https://www.blog.example">my friend\'s weblog</a>'
    assert links_back(page, ELSEWHERE, [PERMALINK, "http://blog.example/"])
    assert not links_back(page, ELSEWHERE, [PERMALINK])
    assert not links_back(page, ELSEWHERE, [])
    assert not links_back(page, ELSEWHERE, ["", "not a url"])
    # A link after the comment still counts: the comment ends where it says.
    assert links_back("<!-- a -->\n<a href=%s>x</a><!-- b -->" % PERMALINK, ELSEWHERE, [PERMALINK])


def test_address_mismatch():
    assert address_mismatch("http://127.0.0.1:8000/post", "127.0.0.1") is None
    assert address_mismatch("http://127.0.0.1:8000/post", "::ffff:127.0.0.1") is None
    reason = address_mismatch("http://127.0.0.1:8000/post", "192.0.2.7")
    assert "127.0.0.1" in reason and "192.0.2.7" in reason
    # Nothing to tell: no sender address, or a name that is never looked up.
    assert address_mismatch("http://127.0.0.1/post", "") is None
    assert address_mismatch("http://source.example/post", "192.0.2.7") is None


# -- the job --------------------------------------------------------------------

@pytest.fixture
def pages():
    """The sources' pages; a path answers whatever its query string."""
    with LocalWeb() as running:
        yield running


@pytest.fixture
def config(tmp_path):
    return Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 5\nLogFile %s\n" % (tmp_path / "mt.log"))


def make_blog(store, tmp_path, check, **values):
    blog = Blog(name="Checks %s" % check, site_url="http://blog.example/", archive_url="http://blog.example/archives/",
                site_path=str(tmp_path / ("site-" + check)), linkback_check=check, email_new_pings=False, **values)
    store.save(blog)
    return blog


def make_entry(store, blog):
    entry = Entry(blog_id=blog.id, title="Pinged", body="Words", created_on=dates.utc_now())
    store.save(entry)
    return entry, store.trackback_for(entry=entry)


def held_ping(store, blog, item, source_url, ip="127.0.0.1", **values):
    """A ping as the receiver keeps one waiting for its check."""
    ping = Ping(blog_id=blog.id, tb_id=item.id, source_url=source_url, ip=ip, title="A post",
                created_on=dates.utc_now(), visible=False, linkback={}, **values)
    store.insert(ping)
    return ping


def linking_page(target):
    return (200, "text/html; charset=utf-8",
            '<html><body><p>As <a href="%s">they said</a>.</p></body></html>' % target)


NOT_LINKING = (200, "text/html", '<html><body><a href="http://blog.example/archives/000999.html">x</a></body></html>')


def lines(store, blog):
    return [line.message for line in store.find(Activity, blog_id=blog.id)]


@pytest.mark.parametrize("check", ["junk", "hold"])
def test_a_page_that_links_back_publishes_the_ping(store, config, pages, tmp_path, check):
    blog = make_blog(store, tmp_path, check)
    entry, item = make_entry(store, blog)
    blog.email_new_pings = True
    store.save(blog)
    ping = held_ping(store, blog, item, pages.url("/post", linking_page(
        "https://www.blog.example/archives/%06d.html#comments" % entry.id)))
    queued = check_linkback(store, config, {"ping_id": ping.id})
    after = store.get(Ping, ping.id)
    assert after.visible and not after.junk
    assert after.linkback["state"] == "ok" and after.linkback["when"][:4].isdigit()
    assert after.junk_reasons == [] and after.junk_score == 0
    jobs = {job.kind: job for job in store.find(Job)}
    assert jobs["republish_pings"].payload == {"entry_id": entry.id, "ping_id": ping.id}
    assert jobs["notify_ping"].payload == {"ping_id": ping.id}
    assert queued == [jobs["republish_pings"].id, jobs["notify_ping"].id]      # for the worker to run next
    assert lines(store, blog) == ["Link back checked for ping %d from %s: ok (published)" % (ping.id, ping.source_url)]


@pytest.mark.parametrize("check, ends_junk", [("junk", True), ("hold", False)])
def test_a_page_without_the_link(store, config, pages, tmp_path, check, ends_junk):
    blog = make_blog(store, tmp_path, check)
    _, item = make_entry(store, blog)
    ping = held_ping(store, blog, item, pages.url("/post", NOT_LINKING))
    check_linkback(store, config, {"ping_id": ping.id})
    after = store.get(Ping, ping.id)
    assert not after.visible and after.junk is ends_junk
    assert after.linkback["state"] == "missing" and after.linkback["reason"] == MISSING_ENTRY
    assert after.junk_reasons == ([MISSING_ENTRY] if ends_junk else [])
    assert store.find(Job) == []
    assert lines(store, blog) == ["Link back checked for ping %d from %s: %s (%s)" % (
        ping.id, ping.source_url, MISSING_ENTRY, "junk" if ends_junk else "held")]


@pytest.mark.parametrize("check", ["junk", "hold"])
def test_an_unreachable_source_keeps_the_ping_held(store, tmp_path, pages, check):
    quick = Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 2\nLogFile %s\n" % (tmp_path / "mt.log"))
    blog = make_blog(store, tmp_path, check)
    _, item = make_entry(store, blog)
    missing = held_ping(store, blog, item, pages.url("/gone", (404, "text/html", "<p>Gone</p>")))
    silent = held_ping(store, blog, item, pages.url("/silent", SILENT))
    # The time said is what was left of the 2 s when the request began: on a
    # busy machine a tenth may already be gone.
    for ping, reasons in ((missing, ["HTTP 404 Not Found"]),
                          (silent, ["timed out after 2 s", "timed out after 1.9 s"])):
        check_linkback(store, quick, {"ping_id": ping.id})     # a remote failure raises nothing
        after = store.get(Ping, ping.id)
        assert not after.visible and not after.junk
        assert after.linkback["state"] == "unreachable" and after.linkback["reason"] in reasons
        reason = after.linkback["reason"]
        assert "Link back checked for ping %d from %s: unreachable: %s (held)" % (
            ping.id, ping.source_url, reason) in lines(store, blog)
    assert store.find(Job) == []


def test_moderation_holds_a_ping_that_links_back(store, config, pages, tmp_path):
    everything = make_blog(store, tmp_path, "junk", moderate_pings="all")
    entry, item = make_entry(store, everything)
    page = pages.url("/all", linking_page(entry_permalink(everything, entry)))
    ping = held_ping(store, everything, item, page)
    check_linkback(store, config, {"ping_id": ping.id})
    assert not store.get(Ping, ping.id).visible and store.get(Ping, ping.id).linkback["state"] == "ok"

    suspicious = make_blog(store, tmp_path, "hold", moderate_pings="suspicious")
    entry, item = make_entry(store, suspicious)
    page = pages.url("/suspicious", linking_page(entry_permalink(suspicious, entry)))
    scored = held_ping(store, suspicious, item, page, junk_score=1.0, junk_reasons=["two links"])
    clean = held_ping(store, suspicious, item, page + "?clean")
    queued = [check_linkback(store, config, {"ping_id": ping.id}) for ping in (scored, clean)]
    assert not store.get(Ping, scored.id).visible and store.get(Ping, scored.id).linkback["state"] == "ok"
    assert store.get(Ping, clean.id).visible
    assert [len(jobs) for jobs in queued] == [0, 1]


def test_a_sender_elsewhere_than_the_source_is_a_reason_not_a_verdict(store, config, pages, tmp_path):
    blog = make_blog(store, tmp_path, "junk")
    entry, item = make_entry(store, blog)
    ping = held_ping(store, blog, item, pages.url("/post", linking_page(entry_permalink(blog, entry))),
                     ip="192.0.2.7")
    check_linkback(store, config, {"ping_id": ping.id})
    after = store.get(Ping, ping.id)
    assert after.visible and after.junk_score == 1
    assert after.junk_reasons == ["the source's host 127.0.0.1 is not at the sender's address 192.0.2.7"]
    # Checked again (a job run twice): the reason is not counted twice.
    store.update(after.copy(visible=False))
    check_linkback(store, config, {"ping_id": ping.id})
    assert store.get(Ping, ping.id).junk_score == 1


def test_the_owners_decision_stands(store, config, pages, tmp_path):
    blog = make_blog(store, tmp_path, "junk")
    _, item = make_entry(store, blog)
    source = pages.url("/post", NOT_LINKING)
    approved = held_ping(store, blog, item, source)
    store.update(approved.copy(visible=True))
    junked = held_ping(store, blog, item, source + "?2", ip="192.0.2.7")
    store.update(junked.copy(junk=True, junk_reasons=["the owner said so"]))
    deleted = held_ping(store, blog, item, source + "?3")
    store.delete(Ping, deleted.id)
    for ping in (approved, junked, deleted):
        check_linkback(store, config, {"ping_id": ping.id})
    after = store.get(Ping, approved.id)
    assert after.visible and not after.junk and after.linkback["state"] == "missing"
    after = store.get(Ping, junked.id)
    assert after.junk and not after.visible and after.junk_reasons == ["the owner said so"]
    assert after.linkback["state"] == "missing"
    assert store.get(Ping, deleted.id) is None
    assert store.find(Job) == []
    assert len(lines(store, blog)) == 2


def test_a_category_ping_may_link_to_the_category_or_the_weblog(store, config, pages, tmp_path):
    blog = make_blog(store, tmp_path, "junk")
    category = Category(blog_id=blog.id, label="Café Talk", allow_pings=True)
    store.save(category)
    item = store.trackback_for(category=category)
    assert category_archive_url(blog, category) == "http://blog.example/archives/cat_cafe_talk.html"
    assert targets_for(store, blog, Ping(tb_id=item.id)) == [
        "http://blog.example/archives/cat_cafe_talk.html", "http://blog.example/"]
    to_archive = held_ping(store, blog, item, pages.url("/a", linking_page(
        "https://blog.example/archives/cat_cafe_talk.html")))
    to_weblog = held_ping(store, blog, item, pages.url("/w", linking_page("http://www.blog.example")))
    # relative to the source page, so not the weblog's
    relative = held_ping(store, blog, item, pages.url("/r", linking_page("/archives/cat_cafe_talk.html")))
    for ping in (to_archive, to_weblog, relative):
        check_linkback(store, config, {"ping_id": ping.id})
    assert store.get(Ping, to_archive.id).visible and store.get(Ping, to_weblog.id).visible
    after = store.get(Ping, relative.id)
    assert after.junk and not after.visible and after.junk_reasons == [MISSING_CATEGORY]
    # The second published ping needs no republish of its own: the first one's, unclaimed, will show it.
    assert [job.payload for job in store.find(Job)] == [{"category_id": category.id, "ping_id": to_archive.id}]


def test_an_entry_pings_targets(store, tmp_path):
    blog = make_blog(store, tmp_path, "hold")
    entry, item = make_entry(store, blog)
    assert targets_for(store, blog, Ping(tb_id=item.id)) == ["http://blog.example/archives/%06d.html" % entry.id]
    # An item stored under an older archive URL: both count.
    store.update(item.copy(url="http://old.example/000001.html"))
    assert targets_for(store, blog, Ping(tb_id=item.id)) == [
        "http://blog.example/archives/%06d.html" % entry.id, "http://old.example/000001.html"]
    assert targets_for(store, blog, Ping(tb_id=item.id + 100)) == []


def test_not_a_page(store, config, pages, tmp_path):
    blog = make_blog(store, tmp_path, "hold")
    entry, item = make_entry(store, blog)
    ping = held_ping(store, blog, item, pages.url("/file", (200, "application/pdf", entry_permalink(blog, entry))))
    check_linkback(store, config, {"ping_id": ping.id})
    after = store.get(Ping, ping.id)
    assert after.linkback["state"] == "missing" and "not a web page (application/pdf)" in after.linkback["reason"]
    assert not after.visible and not after.junk


def test_the_jobs_of_a_published_ping_run(store, config, pages, tmp_path, monkeypatch):
    """Run by the worker (as after a ping's answer), the check is followed by
    the republish it queued, and both leave the queue."""
    blog = make_blog(store, tmp_path, "junk")
    entry, item = make_entry(store, blog)
    ping = held_ping(store, blog, item, pages.url("/post", linking_page(entry_permalink(blog, entry))))
    republished = []
    monkeypatch.setattr(mtpy.publish.republish, "republish_pings",
                        lambda store, config, payload: republished.append(payload))
    check = store.enqueue("check_linkback", {"ping_id": ping.id})
    assert mtpy.work.run_jobs(store, config, [check.id]) == (2, 0)
    assert republished == [{"entry_id": entry.id, "ping_id": ping.id}]
    assert store.find(Job) == []


@pytest.mark.parametrize("check", ["junk", "hold"])
def test_the_owner_hears_of_a_ping_once_after_its_check(store, config, pages, tmp_path, check):
    """Mail is the check's to send: for a ping published or left for approval,
    never for junk (the receiver sends none while a check is due)."""
    blog = make_blog(store, tmp_path, check).copy(email_new_pings=True)
    store.save(blog)
    entry, item = make_entry(store, blog)
    linking = held_ping(store, blog, item, pages.url("/links", linking_page(entry_permalink(blog, entry))))
    other = held_ping(store, blog, item, pages.url("/not", NOT_LINKING))
    for ping in (linking, other):
        check_linkback(store, config, {"ping_id": ping.id})
    notified = [job.payload["ping_id"] for job in store.find(Job, kind="notify_ping")]
    assert notified == ([linking.id] if check == "junk" else [linking.id, other.id])
