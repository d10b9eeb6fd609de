"""What one ping costs the store: a regression guard counting SQL statements
and transactions (not time, which the machine decides), and the ID.xml feed
written in the ping's own transaction (docs/performance.md, Pings)."""

import io
import os

import pytest

from mtpy.apps.trackback import TrackbackApp
from mtpy.models import Activity
from mtpy.publish import feeds

# A ping on a weblog that does not publish: BEGIN, the item, its entry, the
# weblog, its bans, the duplicate, the three counts of the verdict, the ping,
# its activity line, COMMIT. (17 statements in two transactions before the
# ping was judged before its INSERT and its host counted from an index.)
PING_STATEMENTS = 12
# Where the weblog publishes: its feed's newest pings, and the republish job
# (is one waiting? the job) besides.
PUBLISHING_PING_STATEMENTS = 15


@pytest.fixture
def backend():
    return "sqlite"


def ping_in_process(app, site, number):
    """(the answer, the SQL statements the ping ran) of one ping through the
    application, in this process."""
    body = ("url=http%%3A%%2F%%2Fsender.example%%2F%d&title=Post+%d&excerpt=Said&blog_name=Sender"
            % (number, number)).encode("ascii")
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/%d" % site.item.id, "QUERY_STRING": "",
               "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
               "REMOTE_ADDR": "192.0.2.%d" % number, "wsgi.input": io.BytesIO(body)}
    statements = []
    app.store().db.set_trace_callback(statements.append)
    try:
        result = app(environ, lambda status, headers: None)
        answer = b"".join(result)
    finally:
        app.store().db.set_trace_callback(None)
    return answer, statements


def quiet_weblog(site):
    """The site's weblog with no pages to publish (no feed, no republish)."""
    store = site.store()
    site.blog.site_path = site.blog.archive_path = ""
    store.save(site.blog)
    store.close()


def test_a_ping_costs_twelve_statements_in_one_transaction(site):
    quiet_weblog(site)
    app = TrackbackApp(site.config)
    for number in range(1, 4):      # the first, and pings with others already stored
        answer, statements = ping_in_process(app, site, number)
        assert b"<error>0</error>" in answer
        assert len(statements) <= PING_STATEMENTS, statements
        assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]
    store = app.store()
    assert [ping.title for ping in store.list_pings(tb_id=site.item.id)] == ["Post 1", "Post 2", "Post 3"]
    assert len(store.find(Activity, kind="ping")) == 3      # the activity line of each
    app.close_store()


def test_a_publishing_ping_writes_its_feed_in_its_own_transaction(site):
    app = TrackbackApp(site.config)
    answer, statements = ping_in_process(app, site, 1)
    assert b"<error>0</error>" in answer
    assert len(statements) <= PUBLISHING_PING_STATEMENTS, statements
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == ["BEGIN IMMEDIATE", "COMMIT"]
    assert statements.index("COMMIT") == len(statements) - 1
    feed = open(os.path.join(site.archives, "%d.xml" % site.item.id), encoding="utf-8").read()
    assert "<title>Post 1</title>" in feed
    app.close_store()


def test_a_feed_written_before_a_commit_that_fails_is_written_again(site):
    """The feed is renamed into place just before COMMIT, under the store's
    lock. Should the commit fail, the feed may list a ping never stored: it is
    listed in unwritten-feeds.txt, which the next ping (or a rebuild) writes again."""
    app = TrackbackApp(site.config)
    store = app.store()
    real_end = store._end

    def failing_commit(commit):
        if commit:
            real_end(False)
            raise OSError("disk I/O error")
        real_end(commit)

    store._end = failing_commit
    answer, _ = ping_in_process(app, site, 1)
    assert b"<error>1</error>" in answer and b"not stored" in answer
    assert [entry[0] for entry in feeds.unwritten(site.config)] == [site.item.id]
    assert store.list_pings(tb_id=site.item.id, visible_only=False) == []
    store._end = real_end
    answer, _ = ping_in_process(app, site, 2)        # the next ping's feed clears the list
    assert b"<error>0</error>" in answer
    assert feeds.unwritten(site.config) == []
    feed = open(os.path.join(site.archives, "%d.xml" % site.item.id), encoding="utf-8").read()
    assert "Post 2" in feed and "Post 1" not in feed
    app.close_store()


# mtpy's own modules a CGI ping loads, 25 (apps.trackback, hosting, config, web,
# work, the store's three, models, dates, text, addresses, junk, the receive
# and pings actions and the activity log, the protocol's form, rules and
# envelope, fileutil, publish's face (whether a republish is already waiting,
# asked by a ping and by the republish job alike), and their packages). A new
# one must be worth its import: each costs a CGI ping some 0.2 ms of CPU.
PING_PATH_MTPY_MODULES = 25


def test_a_cgi_ping_loads_no_more_of_mtpy_than_it_did(site):
    from support.probe import run_probe
    quiet_weblog(site)
    output, loaded = run_probe(site)
    assert "<error>0</error>" in output, output
    ours = sorted(name for name in loaded if name == "mtpy" or name.startswith("mtpy."))
    assert len(ours) <= PING_PATH_MTPY_MODULES, " ".join(ours)
    assert "datetime" not in loaded
