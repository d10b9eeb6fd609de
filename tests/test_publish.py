"""Published pages carry TrackBack (the RDF block, the popup link): a client finds each entry's
ping URL from the page through lighttpd, pings it, and the count on the pages
follows, after the ping's answer and without a full rebuild."""

import os
import re
import xml.etree.ElementTree as ET

import pytest

from mtpy.config import Config
from support.http import SUCCESS, http, post
from support.publishing import rebuild, wait_for_text
from support.servers import start_lighttpd
from support.waiting import wait_for

RDF_NS = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
TB_NS = "{http://madskills.com/public/xml/rss/module/trackback/}"
DC_NS = "{http://purl.org/dc/elements/1.1/}"


def discover(page, page_url):
    """A TrackBack client's discovery, written independently of mtpy: every
    <rdf:RDF> block, parsed as XML; the block whose dc:identifier is the page URL
    (with or without #fragment) gives trackback:ping."""
    found = {}
    for block in re.findall(r"<rdf:RDF\b.*?</rdf:RDF>", page, re.S):
        description = ET.fromstring(block).find(RDF_NS + "Description")
        identifier = description.get(DC_NS + "identifier")
        if identifier.split("#")[0] == page_url:
            found[identifier] = description.get(TB_NS + "ping")
    return found


@pytest.fixture
def weblog(site):
    site.add_entry(title='Quotes "and" it\'s -- dashes', body="<p>Second <b>entry</b> body</p>",
                   created_on="2026-11-24 12:00:00")
    site.add_entry(title="No pings here", body="<p>closed</p>", allow_pings=False,
                   created_on="2026-11-24 13:00:00")
    site.add_entry(title="A draft", status="Draft", created_on="2026-11-24 14:00:00")
    rebuild(site)
    return site


def test_rebuild_writes_index_and_entry_pages(weblog):
    names = sorted(os.listdir(weblog.archives))
    assert names == ["%06d.html" % n for n in (1, 2, 3)] + [
        "2026_11.html", "atom.xml", "index.html", "index.rdf", "index.xml", "styles-site.css"]  # no draft page
    index = open(os.path.join(weblog.archives, "index.html"), encoding="utf-8").read()
    assert index.count("<rdf:RDF") == 2 and "No pings here" in index
    closed = open(os.path.join(weblog.archives, "000003.html"), encoding="utf-8").read()
    assert "<rdf:RDF" not in closed and "TrackBack (" not in closed and "OpenTrackback(this.href)" not in closed
    page = open(os.path.join(weblog.archives, "000002.html"), encoding="utf-8").read()
    assert "function OpenTrackback (c) {" in page and "'width=480,height=480,scrollbars=yes" in page
    assert ('<a href="%scgi-bin/mt-tb.cgi?__mode=view&amp;entry_id=2" '
            'onclick="OpenTrackback(this.href); return false">TrackBack (0)</a>' % weblog.base) in page
    assert "TrackBack URL for this entry:" in page
    block = re.search(r"<!--\n(<rdf:RDF.*?</rdf:RDF>)\n-->", page, re.S).group(1)
    assert block == (
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"\n'
        '         xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/"\n'
        '         xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        "<rdf:Description\n"
        '    rdf:about="%(base)s000002.html"\n'
        '    trackback:ping="%(base)scgi-bin/mt-tb.cgi/2"\n'
        '    dc:title="Quotes &quot;and&quot; it&apos;s - dashes"\n'
        '    dc:identifier="%(base)s000002.html"\n'
        '    dc:subject=""\n'
        '    dc:description="Second entry body"\n'
        '    dc:creator="Melody"\n'
        '    dc:date="2026-11-24T12:00:00+00:00" />\n'
        "</rdf:RDF>" % {"base": weblog.base})


def test_unchanged_pages_are_not_rewritten(weblog):
    path = os.path.join(weblog.archives, "000001.html")
    before = os.stat(path)
    again = rebuild(weblog)
    assert again.written == [] and again.unchanged == 9
    assert os.stat(path).st_ino == before.st_ino


def test_timezone_shows_in_dates(weblog):
    store = weblog.store()
    weblog.blog.timezone = -3.5
    store.save(weblog.blog)
    store.close()
    rebuild(weblog)
    page = open(os.path.join(weblog.archives, "000002.html"), encoding="utf-8").read()
    assert 'dc:date="2026-11-24T08:30:00-03:30"' in page and "November 24, 2026 08:30 AM" in page


def test_client_discovers_pings_and_sees_the_count(weblog):
    process = start_lighttpd(weblog)
    try:
        pages = {weblog.base: http(weblog.base).text}
        for number in (1, 2, 3):
            url = "%s%06d.html" % (weblog.base, number)
            pages[url] = http(url).text
        # Each entry page names its own ping URL; the index carries one block per pingable entry.
        assert discover(pages[weblog.base + "000001.html"], weblog.base + "000001.html") == {
            weblog.base + "000001.html": weblog.ping_url()}
        assert discover(pages[weblog.base + "000003.html"], weblog.base + "000003.html") == {}
        second = discover(pages[weblog.base + "000002.html"], weblog.base + "000002.html")
        [ping_url] = second.values()
        assert post(ping_url, {"url": "http://remote.example/a", "title": "Remote"}).text == SUCCESS
        # The answer came first; the count on both pages follows without a full rebuild.
        assert wait_for_text(weblog.base + "000002.html", "TrackBack (1)</a>")
        assert wait_for_text(weblog.base, "TrackBack (1)</a>")
        assert "TrackBack (0)</a>" in http(weblog.base + "000001.html").text
        assert post(ping_url, {"url": "http://remote.example/b"}).text == SUCCESS
        assert wait_for_text(weblog.base + "000002.html", "TrackBack (2)</a>")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_popup_is_rendered_ahead_after_a_ping(weblog):
    """A ping's deferred work renders the entry's listing popup too, so the next
    visitor's popup is served as it was kept (without importing jinja2:
    test_config.py)."""
    kept = os.path.join(weblog.config.get("DataSource"), "cache", "listings", "blog-1-entry-1.html")
    process = start_lighttpd(weblog)
    try:
        assert post(weblog.ping_url(), {"url": "http://remote.example/a", "title": "Ahead & away"}).text == SUCCESS
        wait_for(lambda: "Ahead &amp; away" in _read(kept), 20)
        page = _read(kept).partition("\n")[2]
        assert "Ahead &amp; away" in page
        assert http(weblog.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=1").text == page
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_burst_of_pings_republishes_only_what_is_not_shown_yet(weblog):
    """Jobs run one at a time and each republish reads the newest pings: a ping
    stored while a republish of its entry waits, unclaimed, queues none of its
    own, and a job whose ping an earlier republish already showed renders nothing."""
    from mtpy.models import Job
    from mtpy.actions.receive import receive
    from mtpy.apps.trackback import incoming_ping
    from mtpy.work import run_jobs
    store, config = weblog.store(), Config(weblog.config_path)
    page = os.path.join(weblog.archives, "000001.html")

    def ping(number):
        _, job_ids = receive(store, config, incoming_ping(str(weblog.item.id), "",
                                                          {"url": "http://burst.example/%d" % number}, "127.0.0.1"))
        return job_ids

    config.set("RepublishDelay", 0)
    first, second = ping(1), ping(2)              # both stored before either job runs
    assert len(first) == 1 and second == []       # the first's republish, still waiting, covers both
    assert run_jobs(store, config, first) == (1, 0)
    assert "TrackBack (2)</a>" in _read(page)
    os.remove(page)
    shown = store.list_pings(tb_id=weblog.item.id)[-1].id
    with store.transaction():                     # a job for a ping already shown (from another host, say)
        again = [store.enqueue("republish_pings", {"entry_id": weblog.entry.id, "ping_id": shown}).id]
    assert run_jobs(store, config, again) == (1, 0)
    assert not os.path.exists(page)               # its ping was already on the page
    assert run_jobs(store, config, ping(3)) == (1, 0)
    assert "TrackBack (3)</a>" in _read(page)     # a newer ping: republished
    assert store.find(Job) == []
    store.close()


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError:
        return ""


def test_turning_pings_off_removes_the_block(weblog):
    from mtpy.cli import main
    assert main(["--config", weblog.config_path, "entry", "set", "--blog", "1", "--entry", "1",
                 "--allow-pings", "0"]) == 0
    page = open(os.path.join(weblog.archives, "000001.html"), encoding="utf-8").read()
    assert "<rdf:RDF" not in page and "TrackBack (" not in page
    index = open(os.path.join(weblog.archives, "index.html"), encoding="utf-8").read()
    assert index.count("<rdf:RDF") == 1
