"""Telling the pages an entry links to by the protocol they speak (issue 22
§2): Webmention discovery as the Recommendation says (the 23 webmention.rocks
cases, served on 127.0.0.1), Pingback discovery, and the send_pings job
telling each page once, by TrackBack, else Webmention, else Pingback, against
local receivers: a stdlib XML-RPC Pingback server and small Webmention
endpoints. Edits tell the pages told before again; a deletion leaves a 410
tombstone and tells them too."""

import os

import pytest

from support.environment import SAMPLES
from support.local_web import ACCEPTED, LocalWeb
from support.pingback_peer import PingbackPeer
from support.stores import make_due
from support.webmention_rocks import CASES, RocksServer, case
from mtpy.actions.entries import delete_entry, save_entry
from mtpy.actions.sending import MAX_ATTEMPTS, PingsFailed, retry_pings, send_pings
from mtpy.config import Config
from mtpy.models import Activity, Blog, Entry, Job
from mtpy.pingback.discover import pingback_server
from mtpy.webmention.discover import link_header_values, webmention_endpoint
from mtpy.work import run_jobs

SQLITE_AND_FLAT = pytest.mark.parametrize("backend", ["sqlite", "flat"], indirect=True)


@pytest.fixture
def config(tmp_path):
    return Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\nLogFile %s\n" % (tmp_path / "sender.log"))


@pytest.fixture
def blog(store, tmp_path):
    sender = Blog(name="Sender", site_url="http://sender.example/", archive_url="http://sender.example/archives/",
                  site_path=str(tmp_path / "site"), archive_path=str(tmp_path / "site" / "archives"),
                  autodiscover_links=True)
    store.save(sender)
    return sender


@pytest.fixture
def web():
    with LocalWeb() as running:
        yield running


def publish(store, config, blog, *links, entry=None, **values):
    values.setdefault("title", "Links of the day")
    values.setdefault("status", "Publish")
    values["body"] = "".join('<p><a href="%s">a page</a></p>\n' % link.replace("&", "&amp;") for link in links)
    return save_entry(store, config, blog, entry, values)


def permalink(entry):
    return "http://sender.example/archives/%06d.html" % entry.id


def page(head="", body=""):
    return "<!DOCTYPE html><html><head><title>Theirs</title>%s</head><body>%s</body></html>" % (head, body)


# -- discovery, read from what a page says -------------------------------------

def test_link_headers_are_read_as_rfc_8288_says():
    assert link_header_values('<https://a.example/x,y>; rel="other WebMention"; title="a, b", </b>; rel=webmention'
                              ) == [("https://a.example/x,y", {"other", "webmention"}), ("/b", {"webmention"})]
    assert webmention_endpoint("http://t.example/p/q", [("link", "<e?x=1>; rel=webmention; rel=other")], "") \
        == "http://t.example/p/e?x=1"
    # A rel naming it only as a part of a word, or a title saying it, is not it.
    assert webmention_endpoint("http://t.example/", {"Link": '<x>; rel="not-webmention"; title="webmention"'},
                               "") is None


def test_the_document_order_and_what_is_not_an_element():
    cases = [('<a rel="webmention" href="/a">', "/a"), ('<link rel="WEBMENTION" href="/l"><a rel=webmention href=/a>',
                                                       "/l"),
             ("<script>document.write('<link rel=webmention href=/s>')</script><a rel=webmention href=/a>", "/a"),
             ('<link rel="webmention"><link rel="webmention" href="/second">', "/second"),
             ('<a rel="webmention" href="?q=&amp;x">', "/page?q=&x"), ('<!-- <a rel=webmention href=/c> -->', None),
             ("<p>rel=webmention href=/text</p>", None), ('<area rel="webmention" href="/area">', None)]
    for html_text, expected in cases:
        found = webmention_endpoint("http://t.example/page", {}, page(body=html_text))
        assert found == (expected and "http://t.example" + expected), html_text


@pytest.mark.parametrize("hostile", ["<a" * 250000, "<!" * 250000, "<![CDATA[" * 50000, "<" * 500000,
                                     ('<a x="' + "y" * 60000) * 30, "<a " + "x=1 " * 200000, "<p>x</p>" * 60000])
def test_a_hostile_page_is_read_in_one_pass(hostile):
    """Half a megabyte built to make a parser go back over it (html.parser took
    five minutes on the first) is read in one pass. No time is asserted (tests
    hold on any machine): a scanner that went back would make this test, and
    make test, take minutes."""
    assert webmention_endpoint("http://t.example/", {}, hostile + '<a rel="webmention" href="/e">') in (
        None, "http://t.example/e")
    assert pingback_server("http://t.example/", {}, hostile) is None


def test_pingback_discovery_on_a_stock_wordpress_61_post():
    with open(os.path.join(SAMPLES, "wordpress-6.1-stock-post-head.txt"), encoding="utf-8") as handle:
        head, _, text = handle.read().partition("\n\n")
    headers = [line.split(": ", 1) for line in head.splitlines()]
    url = "http://127.0.0.1:8090/2026/12/07/trackback-harness-target/"
    assert pingback_server(url, headers, text) == "http://127.0.0.1:8090/xmlrpc.php"
    assert webmention_endpoint(url, headers, text) is None      # stock WordPress announces no Webmention
    # The header wins over the link; without it, the first <link rel="pingback"> (never an <a>).
    assert pingback_server(url, [("x-pingback", "http://h.example/rpc")], text) == "http://h.example/rpc"
    assert pingback_server(url, {}, page(head="<!-- <link rel=pingback href=/c> -->",
                                         body='<a rel="pingback" href="/a">')) is None
    assert pingback_server(url, {}, page(head="<link rel='pingback' href='/rpc.php?a=1&amp;b=2'>")) == \
        "http://127.0.0.1:8090/rpc.php?a=1&b=2"


# -- the 23 discovery cases of webmention.rocks ------------------------------------

@pytest.fixture(scope="module")
def rocks():
    with RocksServer() as running:
        yield running


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("number", CASES)
def test_webmention_rocks_discovery_case(number, rocks, store, config, blog):
    """An entry linking to case N's page tells it by Webmention at the right
    endpoint, and no trap endpoint hears of it."""
    target = rocks.page_url(number)
    entry = publish(store, config, blog, target).record
    assert run_jobs(store, config) == (1, 0)
    assert rocks.accepted(number) == [{"source": permalink(entry), "target": target}]
    assert [path for path, _ in rocks.refused() if path.startswith("/test/%d/" % number)] == []
    told = store.get(Entry, entry.id).notified_links[target]
    assert told["protocol"] == "webmention"
    if number != 23:        # 23's endpoint is a fresh URL at each fetch
        assert told["endpoint"] == rocks.base + case(number, rocks.base)[3]
    assert store.get(Entry, entry.id).ping_failures == {}


# -- telling pages: one notification each, by the protocol they speak ------------

@SQLITE_AND_FLAT
def test_pingback_outcomes_done_final_and_retried(store, config, blog, web):
    """A stdlib XML-RPC Pingback server: a success and fault 48 are done; faults
    0/16/17/32/33/49 are final, said in words, never sent again by the job;
    fault 50, WordPress's 429 ("posting too quickly") and a timeout are tried again."""
    with PingbackPeer() as peer:
        answers = {"ok": "ok", "f48": 48, "f0": 0, "f16": 16, "f17": 17, "f32": 32, "f33": 33, "f49": 49,
                   "f50": 50, "f429": 429, "slow": "slow"}
        pages = {}
        for name, answer in answers.items():
            # Half announce their server by header, half by <link> (the header's server wins).
            if len(pages) % 2:
                pages[name] = web.url("/%s.html" % name, (200, {"Content-Type": "text/html", "X-Pingback": peer.url},
                                                          page(head='<link rel="pingback" href="/not-this">')))
            else:
                pages[name] = web.html("/%s.html" % name, page(head='<link rel="pingback" href="%s">' % peer.url))
            peer.answers[pages[name]] = answer
        short = Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 1\n")
        entry = publish(store, short, blog, *pages.values()).record
        assert run_jobs(store, short) == (0, 1)      # some will be tried again: the job's retry
        saved = store.get(Entry, entry.id)
        assert sorted(saved.notified_links) == sorted([pages["ok"], pages["f48"]])
        assert {told["protocol"] for told in saved.notified_links.values()} == {"pingback"}
        assert saved.notified_links[pages["ok"]]["endpoint"] == peer.url
        failures = saved.ping_failures
        assert failures[pages["f17"]]["error"] == ("the receiver found no link to its page on this entry's page "
                                                   "(fault 17: Their words for fault 17 <b>&</b>)")
        assert failures[pages["f33"]]["error"].startswith("the receiver does not take Pingbacks for the linked page")
        finals = ["f0", "f16", "f17", "f32", "f33", "f49"]
        assert all(failures[pages[name]]["final"] and failures[pages[name]]["protocol"] == "pingback"
                   for name in finals)
        assert all("final" not in failures[pages[name]] for name in ("f50", "f429", "slow"))
        assert failures[pages["slow"]]["error"].startswith("timed out after 1 s")
        assert all(source == permalink(entry) for source, _ in peer.calls)
        assert saved.to_ping_urls == [] and saved.pinged_urls == []       # no TrackBack anywhere

        peer.answers[pages["f50"]] = peer.answers[pages["f429"]] = peer.answers[pages["slow"]] = "ok"
        make_due(store)
        assert run_jobs(store, short) == (1, 0)
        saved = store.get(Entry, entry.id)
        assert sorted(saved.notified_links) == sorted(pages[name] for name in ("ok", "f48", "f50", "f429", "slow"))
        assert sorted(saved.ping_failures) == sorted(pages[name] for name in finals)
        for name in answers:
            assert len(peer.calls_to(pages[name])) == (2 if name in ("f50", "f429", "slow") else 1), name
        # An edit tells no page told by Pingback again, nor a final one; the owner's retry does.
        run_jobs(store, short, publish(store, short, blog, *pages.values(), entry=saved, title="Edited").job_ids)
        assert len(peer.calls) == len(answers) + 3
        for name in finals:
            peer.answers[pages[name]] = "ok"
        run_jobs(store, short, retry_pings(store, short, blog, store.get(Entry, entry.id)).job_ids)
        saved = store.get(Entry, entry.id)
        assert saved.ping_failures == {} and len(saved.notified_links) == len(answers)


@SQLITE_AND_FLAT
def test_webmention_outcomes(store, config, blog, web):
    """202 and 201 with a status page are done; a 400 is final with the
    answer's words as plain text; a 500 is tried again."""
    endpoints = {"accepted": (202, "text/plain", "Accepted"),
                 "created": (201, {"Content-Type": "text/plain", "Location": web.base + "/status/1"}, ""),
                 "refused": (400, "text/html", "<html><body><p>Source <b>does not</b> link &amp; "
                                               "<script>x</script></p></body></html>"),
                 "broken": (500, "text/plain", "Oops")}
    pages = {}
    for name, answer in endpoints.items():
        endpoint = web.url("/wm/%s?token=%s" % (name, name), answer)
        pages[name] = web.url("/%s.html" % name, (200, {"Content-Type": "text/html",
                                                        "Link": '<%s>; rel="webmention"' % endpoint}, page()))
    entry = publish(store, config, blog, *pages.values()).record
    assert run_jobs(store, config) == (0, 1)
    saved = store.get(Entry, entry.id)
    assert sorted(saved.notified_links) == sorted([pages["accepted"], pages["created"]])
    assert saved.notified_links[pages["created"]]["endpoint"] == web.base + "/wm/created?token=created"
    refused = saved.ping_failures[pages["refused"]]
    assert refused["error"] == "HTTP 400 Bad Request: Source does not link & x" and refused["final"]
    broken = saved.ping_failures[pages["broken"]]
    assert broken["error"] == "HTTP 500 Internal Server Error: Oops" and "final" not in broken
    [request] = [request for request in web.requests if request.path == "/wm/created?token=created"]
    assert request.fields == {"source": permalink(entry), "target": pages["created"]}
    assert request.content_type.startswith("application/x-www-form-urlencoded")
    assert request.user_agent.startswith("mtpy/") and "Webmention" in request.user_agent

    web.answers["/wm/broken?token=broken"] = (202, "text/plain", "")
    make_due(store)
    assert run_jobs(store, config) == (1, 0)
    saved = store.get(Entry, entry.id)
    assert list(saved.ping_failures) == [pages["refused"]] and len(saved.notified_links) == 3
    assert [len(web.posts_to("/wm/%s?token=%s" % (name, name))) for name in endpoints] == [1, 1, 1, 2]


@SQLITE_AND_FLAT
def test_a_page_offering_trackback_and_webmention_gets_trackback_only(store, config, blog, web):
    from mtpy.trackback.rdf import rdf_block
    with PingbackPeer() as peer:
        endpoint = web.url("/wm", (202, "text/plain", ""))
        ping_url = web.url("/tb/1", ACCEPTED)
        both = web.url("/both.html", (200, {"Content-Type": "text/html", "Link": "<%s>; rel=webmention" % endpoint,
                                            "X-Pingback": peer.url},
                                      page(body=rdf_block(web.base + "/both.html", ping_url, "Both", web.base + "/both.html",
                                                          "", "", "", ""))))
        mention_and_pingback = web.url("/wm-pb.html", (200, {"Content-Type": "text/html", "X-Pingback": peer.url},
                                                       page(head='<link rel="webmention" href="/wm">')))
        entry = publish(store, config, blog, both, mention_and_pingback).record
        assert run_jobs(store, config) == (1, 0)
        saved = store.get(Entry, entry.id)
        assert saved.pinged_urls == [ping_url]
        assert saved.notified_links == {mention_and_pingback: {"protocol": "webmention", "endpoint": endpoint,
                                                               "when": saved.notified_links[mention_and_pingback]["when"]}}
        assert len(web.posts_to("/tb/1")) == 1
        assert [fields["target"] for fields in web.posts_to("/wm")] == [mention_and_pingback]
        assert peer.calls == []


@SQLITE_AND_FLAT
def test_never_home_pages_own_pages_or_private_addresses(store, config, blog, web):
    with PingbackPeer() as peer:
        announcing = page(head='<link rel="pingback" href="%s">' % peer.url)
        web.html("/", announcing)
        web.html("/other-weblog/post.html", announcing)
        store.save(Blog(name="Another weblog here", site_url=web.base + "/other-weblog/"))
        # Endpoints a page announces on the host's own networks: never sent to.
        to_private = web.url("/private.html", (200, {"Content-Type": "text/html", "Link": "<http://10.1.2.3/wm>; "
                                                     "rel=webmention"}, page()))
        to_metadata = web.url("/metadata.html", (200, {"Content-Type": "text/html",
                                                       "X-Pingback": "http://169.254.169.254/xmlrpc"}, page()))
        # The owner typed WordPress's TrackBack URL of a page it links to: told by TrackBack only.
        typed = web.html("/wordpress/post/", announcing)
        web.url("/wordpress/post/trackback/", ACCEPTED)
        links = [web.base + "/", web.base, web.base + "/other-weblog/post.html", "http://10.0.0.1/post.html",
                 web.html("/?p=1", announcing), to_private, to_metadata, typed]
        entry = publish(store, config, blog, *links, to_ping_urls=[typed + "trackback/"]).record
        assert run_jobs(store, config) == (0, 1)
        assert peer.calls == [(permalink(entry), web.base + "/?p=1")]      # a query is not a home page
        assert "/other-weblog/post.html" in web.paths()      # fetched for TrackBack only, as before
        saved = store.get(Entry, entry.id)
        assert {page: failure["error"] for page, failure in saved.ping_failures.items()} == {
            to_private: "refused: 10.1.2.3 is a private address",
            to_metadata: "refused: 169.254.169.254 is a link-local address"}
        assert saved.pinged_urls == [typed + "trackback/"] and list(saved.notified_links) == [web.base + "/?p=1"]


# -- edits and deletions -----------------------------------------------------------

@SQLITE_AND_FLAT
def test_an_edit_tells_every_page_told_before_even_unlinked(store, config, blog, web):
    with PingbackPeer() as peer:
        endpoint = web.url("/wm", (202, "text/plain", ""))
        first = web.html("/first.html", page(head='<link rel="webmention" href="/wm">'))
        second = web.html("/second.html", page(head='<link rel="webmention" href="/wm">'))
        by_pingback = web.html("/pb.html", page(head='<link rel="pingback" href="%s">' % peer.url))
        entry = publish(store, config, blog, first, second, by_pingback).record
        assert run_jobs(store, config) == (1, 0)
        assert sorted(fields["target"] for fields in web.posts_to("/wm")) == sorted([first, second])

        # The second link removed; the second page no longer offers an endpoint at all.
        web.html("/second.html", page())
        done = publish(store, config, blog, first, by_pingback, entry=store.get(Entry, entry.id), title="Changed")
        assert run_jobs(store, config, done.job_ids) == (len(done.job_ids), 0)
        targets = [fields["target"] for fields in web.posts_to("/wm")]
        assert sorted(targets) == sorted([first, second, first, second])
        assert "/second.html" not in web.paths()[3:]        # unlinked: told at its endpoint, not fetched
        saved = store.get(Entry, entry.id)
        assert sorted(saved.notified_links) == sorted([first, second, by_pingback])
        assert saved.notified_links[second]["endpoint"] == endpoint
        assert len(peer.calls) == 1         # Pingback has no update: told once
        # A change of nothing the entry says (its URLs to ping) tells no one again.
        done = save_entry(store, config, blog, saved, {"allow_comments": True})
        run_jobs(store, config, done.job_ids)
        assert len(web.posts_to("/wm")) == 4


@SQLITE_AND_FLAT
def test_a_deletion_leaves_a_410_tombstone_and_tells_the_pages(store, config, blog, web):
    web.url("/wm", (500, "text/plain", "Busy"))
    first = web.html("/first.html", page(head='<link rel="webmention" href="/wm">'))
    told = publish(store, config, blog, first).record
    never_published = publish(store, config, blog, status="Draft").record
    assert run_jobs(store, config) == (0, 1)        # the endpoint failed: retried
    web.answers["/wm"] = (202, "text/plain", "")
    make_due(store)
    assert run_jobs(store, config) == (1, 0)
    assert list(store.get(Entry, told.id).notified_links) == [first]
    page_path = os.path.join(blog.archive_path, "%06d.html" % told.id)
    os.makedirs(blog.archive_path)
    with open(page_path, "w") as handle:
        handle.write("<html>the entry as published</html>")

    web.answers["/wm"] = (503, "text/plain", "Busy again")
    done = delete_entry(store, config, blog, store.get(Entry, told.id))
    with open(page_path, encoding="utf-8") as handle:
        tombstone = handle.read()
    assert '<meta http-equiv="Status" content="410 Gone">' in tombstone and "Sender" in tombstone
    assert os.path.exists(page_path + ".gone")        # the servers' marker (docs/apache.conf, nginx.conf)
    [job] = store.find(Job, kind="tell_deleted")
    assert job.id in done.job_ids
    assert job.payload["targets"] == {first: web.base + "/wm"} and job.payload["source"] == permalink(told)
    assert run_jobs(store, config, [job.id]) == (0, 1)
    web.answers["/wm"] = (202, "text/plain", "")
    make_due(store)
    assert run_jobs(store, config, [job.id]) == (1, 0)
    deleted = web.posts_to("/wm")[-2:]
    assert deleted == [{"source": permalink(told), "target": first}] * 2
    lines = [line.message for line in store.find(Activity, blog_id=blog.id, kind="notified")]
    assert lines == ["Deleted entry %d: Webmention to %s failed: HTTP 503 Service Unavailable: Busy again"
                     % (told.id, first), "Deleted entry %d: Webmention to %s sent" % (told.id, first)]
    # A draft had no page: no tombstone, no job.
    done = delete_entry(store, config, blog, store.get(Entry, never_published.id))
    assert done.job_ids == [] and not os.path.exists(os.path.join(blog.archive_path, "%06d.html" % never_published.id))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_mention_failing_every_attempt_waits_for_the_owner(store, config, blog, web):
    web.url("/wm", (500, "text/plain", "Down"))
    target = web.html("/post.html", page(head='<link rel="webmention" href="/wm">'))
    entry = publish(store, config, blog, target).record
    [job] = store.find(Job, kind="send_pings")
    with pytest.raises(PingsFailed):
        send_pings(store, config, dict(job.payload))       # the first attempt looks at the page
    for _ in range(MAX_ATTEMPTS - 2):
        with pytest.raises(PingsFailed):
            send_pings(store, config, {"entry_id": entry.id})
    send_pings(store, config, {"entry_id": entry.id})       # the last attempt: no retry asked
    assert store.get(Entry, entry.id).ping_failures[target]["attempts"] == MAX_ATTEMPTS
    send_pings(store, config, {"entry_id": entry.id})       # given up: nothing sent
    assert len(web.posts_to("/wm")) == MAX_ATTEMPTS


def test_a_page_written_where_a_tombstone_was_takes_away_its_marker(tmp_path):
    """An entry restored from a backup, its id the deleted one's: its page
    is published again, and the servers stop answering 410 for it."""
    from conftest import Site
    from mtpy.actions.rebuild import rebuild_all
    from mtpy.publish.tombstone import write_tombstone
    site = Site(tmp_path / "site", "sqlite")
    store = site.store()
    try:
        rebuild_all(store, site.config, store.get(Blog, site.blog.id))
        page = os.path.join(site.archives, "%06d.html" % site.entry.id)
        assert write_tombstone(site.blog, site.entry) and os.path.exists(page + ".gone")
        rebuild_all(store, site.config, store.get(Blog, site.blog.id))
        assert not os.path.exists(page + ".gone") and "410 Gone" not in open(page, encoding="utf-8").read()
    finally:
        store.close()
