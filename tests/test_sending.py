"""Sending TrackBack pings when an entry is published: real receivers on
127.0.0.1 (mtpy's own mt-tb.cgi under lighttpd, and small local servers), each
outcome kept on the entry."""

import threading

import pytest

from conftest import Site, start_lighttpd, wait_for
from support.local_web import ENDLESS, SILENT, LocalWeb
from mtpy.actions import ActionError
from mtpy.actions.entries import save_entry
from mtpy.actions.sending import MAX_ATTEMPTS, OUT_OF_TIME, WORKERS, PingsFailed, retry_pings, send_pings, urls_to_ping
from mtpy.config import Config
from mtpy.models import Blog, Category, Entry, Job
from mtpy.work import run_jobs
from support.local_web import ACCEPTED as SUCCESS, HTML_500
from support.stores import make_due

REFUSED = (200, "text/xml; charset=utf-8",
           '<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>1</error>\n'
           '<message>Pings are closed &amp; locked here</message>\n</response>\n')
NOT_FOUND = (404, "text/html", "<html><head><title>Not Found</title></head><body>No</body></html>")
HTML_PAGE = (200, "text/html", "<!DOCTYPE html><html><body><h1>Welcome to my weblog</h1></body></html>")
GARBAGE = (200, "application/octet-stream", "\x00\x01<<<not a response>>>\ufffd")
ENTITY_BOMB = (200, "text/xml", '<?xml version="1.0"?>\n<!DOCTYPE response [<!ENTITY a "aaaaaaaaaa">'
               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
               '\n<response><error>0</error><message>&c;</message></response>')
TO_PRIVATE = (302, {"Content-Type": "text/html", "Location": "http://10.1.2.3/tb/1"}, "moved")


@pytest.fixture
def receivers():
    with LocalWeb() as running:
        yield running


@pytest.fixture
def config(tmp_path):
    return Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\nLogFile %s\n"
                  % (tmp_path / "sender.log"))


@pytest.fixture
def blog(store):
    sender = Blog(name="Sender & Sons", site_url="http://sender.example/",
                  archive_url="http://sender.example/archives/")
    store.save(sender)
    return sender


def publish(store, config, blog, urls, entry=None, **values):
    values.setdefault("title", "A title to announce")
    values.setdefault("body", "<p>Some <b>bold</b> words</p>")
    values.setdefault("status", "Publish")
    values["to_ping_urls"] = urls
    return save_entry(store, config, blog, entry, values)


def ping_jobs(store):
    return [job for job in store.find(Job) if job.kind == "send_pings"]


# -- against mtpy's own receiver ---------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite", "flat", "postgres"], indirect=True)
def test_publishing_pings_a_remote_mtpy_and_keeps_each_failure(tmp_path, store, backend, config, blog, receivers):
    remote = Site(tmp_path / "remote", backend)
    server = start_lighttpd(remote)
    try:
        urls = [remote.ping_url(), receivers.url("/refuses", REFUSED), receivers.url("/broken", HTML_500),
                receivers.url("/missing", NOT_FOUND)]
        done = publish(store, config, blog, "\n".join(urls))
        entry = done.record
        assert [job.id for job in ping_jobs(store)] == done.job_ids
        assert run_jobs(store, config, done.job_ids) == (0, 1)     # failures: the job will retry

        saved = store.get(Entry, entry.id)
        assert saved.pinged_urls == [remote.ping_url()]
        assert saved.to_ping_urls == urls[1:]
        failures = saved.ping_failures
        assert sorted(failures) == sorted(urls[1:])
        assert failures[urls[1]]["error"] == "Pings are closed & locked here"
        assert failures[urls[2]]["error"] == "HTTP 500 Internal Server Error"
        assert failures[urls[3]]["error"] == "HTTP 404 Not Found"
        for failure in failures.values():
            assert failure["attempts"] == 1
            assert len(failure["when"]) == 19 and failure["when"][4] == "-"

        remote_store = remote.store()
        try:
            [ping] = remote_store.list_pings(tb_id=remote.item.id)
        finally:
            remote_store.close()
        assert ping.title == "A title to announce"
        assert ping.source_url == "http://sender.example/archives/%06d.html" % entry.id
        assert ping.blog_name == "Sender & Sons"
        assert ping.excerpt == "Some bold words"     # all of it: no "..."

        [(_, fields, content_type, agent)] = [post for post in receivers.received if post[0] == "/refuses"]
        assert content_type == "application/x-www-form-urlencoded; charset=utf-8"
        assert agent.startswith("mtpy/") and "http://sender.example/" in agent
        assert list(fields) == ["title", "url", "excerpt", "blog_name"]

        # Saved again: the remote weblog is not pinged twice, the failed ones are tried again.
        done = publish(store, config, blog, "\n".join(urls), entry=saved, title="A title changed")
        run_jobs(store, config, done.job_ids)
        remote_store = remote.store()
        try:
            assert len(remote_store.list_pings(tb_id=remote.item.id)) == 1
        finally:
            remote_store.close()
        assert len(receivers.posts_to("/refuses")) == 2
        assert store.get(Entry, entry.id).ping_failures[urls[1]]["attempts"] == 2
    finally:
        server.terminate()
        server.wait(timeout=10)


# -- the rules, on every backend ---------------------------------------------

def test_a_draft_pings_nothing(store, config, blog, receivers):
    url = receivers.url("/ok", SUCCESS)
    done = publish(store, config, blog, url, status="Draft")
    assert ping_jobs(store) == []
    assert done.job_ids == []
    run_jobs(store, config)
    assert receivers.received == []
    entry = store.get(Entry, done.record.id)
    assert entry.to_ping_urls == [url] and entry.pinged_urls == []


def test_publishing_a_draft_later_pings_then_never_again(store, config, blog, receivers):
    url = receivers.url("/ok", SUCCESS)
    draft = publish(store, config, blog, url, status="Draft").record
    published = publish(store, config, blog, url, entry=draft).record
    assert run_jobs(store, config) == (1, 0)
    entry = store.get(Entry, published.id)
    assert entry.pinged_urls == [url] and entry.to_ping_urls == [] and entry.ping_failures == {}
    # The owner types the URL again: it was pinged, so no job and no second ping.
    done = publish(store, config, blog, url, entry=entry)
    assert ping_jobs(store) == []
    run_jobs(store, config)
    assert len(receivers.posts_to("/ok")) == 1
    entry = store.get(Entry, entry.id)
    assert entry.pinged_urls == [url] and entry.to_ping_urls == []


def test_category_fan_out_pings_both_once_and_a_fixed_receiver_on_retry(store, config, blog, receivers):
    good = receivers.url("/good", SUCCESS)
    flaky = receivers.url("/flaky", HTML_500)
    category = Category(blog_id=blog.id, label="News", ping_urls=[good, flaky])
    store.save(category)
    entry = publish(store, config, blog, "", category_ids=[category.id]).record
    assert run_jobs(store, config) == (0, 1)
    saved = store.get(Entry, entry.id)
    assert saved.pinged_urls == [good]
    assert saved.ping_failures[flaky]["error"] == "HTTP 500 Internal Server Error"

    receivers.answers["/flaky"] = SUCCESS
    make_due(store)
    assert run_jobs(store, config) == (1, 0)     # the job's own retry
    saved = store.get(Entry, entry.id)
    assert saved.pinged_urls == [good, flaky]
    assert saved.ping_failures == {}
    assert len(receivers.posts_to("/good")) == 1
    assert len(receivers.posts_to("/flaky")) == 2

    publish(store, config, blog, "", entry=saved, title="Edited")
    assert ping_jobs(store) == []
    assert len(receivers.posts_to("/good")) == 1


def test_a_url_failing_every_attempt_waits_for_the_owner(store, config, blog, receivers):
    url = receivers.url("/down", NOT_FOUND)
    entry = publish(store, config, blog, url).record
    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(PingsFailed):
            send_pings(store, config, {"entry_id": entry.id})
    send_pings(store, config, {"entry_id": entry.id})       # the last attempt: no retry asked
    saved = store.get(Entry, entry.id)
    assert saved.ping_failures[url]["attempts"] == MAX_ATTEMPTS
    assert saved.to_ping_urls == [url] and saved.pinged_urls == []
    assert urls_to_ping(store, saved) == []
    send_pings(store, config, {"entry_id": entry.id})           # given up: nothing sent, no retry
    assert len(receivers.posts_to("/down")) == MAX_ATTEMPTS
    for job in store.find(Job):
        store.delete(Job, job.id)
    publish(store, config, blog, url, entry=saved, title="Saved again")
    assert ping_jobs(store) == []

    receivers.answers["/down"] = SUCCESS
    done = retry_pings(store, config, blog, store.get(Entry, entry.id))
    assert run_jobs(store, config, done.job_ids) == (1, 0)
    saved = store.get(Entry, entry.id)
    assert saved.pinged_urls == [url] and saved.to_ping_urls == [] and saved.ping_failures == {}
    with pytest.raises(ActionError):
        retry_pings(store, config, blog, saved)             # nothing left to ping


def test_silent_receivers_time_out_within_the_jobs_deadline(store, blog, receivers, tmp_path):
    config = Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 30\nLogFile %s\n" % (tmp_path / "log"))
    silent = [receivers.url("/silent-%d" % number, SILENT) for number in range(WORKERS + 1)]
    entry = publish(store, config, blog, silent).record
    with pytest.raises(PingsFailed):
        send_pings(store, config, {"entry_id": entry.id}, deadline_seconds=2)
    failures = store.get(Entry, entry.id).ping_failures
    errors = sorted(failure["error"] for failure in failures.values())
    assert sorted(failures) == sorted(silent)
    # WORKERS pings at once, each cut at the deadline; the last one never started.
    assert sum(error.startswith("timed out after") for error in errors) == WORKERS
    assert errors.count(OUT_OF_TIME) == 1
    assert len(receivers.received) == WORKERS
    assert store.get(Entry, entry.id).pinged_urls == []


def test_a_refused_address_and_a_removed_url(store, config, blog, receivers):
    closed = Config(text="PingTimeout 10\n")       # 127.0.0.1 not allowed
    url = receivers.url("/ok", SUCCESS)
    entry = publish(store, closed, blog, url).record
    with pytest.raises(PingsFailed):
        send_pings(store, closed, {"entry_id": entry.id})
    saved = store.get(Entry, entry.id)
    assert saved.ping_failures[url]["error"].startswith("refused: 127.0.0.1 is a loopback address")
    assert saved.pinged_urls == [] and receivers.received == []
    # The owner removes the URL: its failure goes with it.
    publish(store, config, blog, "", entry=saved)
    assert store.get(Entry, entry.id).ping_failures == {}


def test_each_bad_answer_is_a_failure_in_words(store, config, blog, receivers):
    """Receivers that answer anything but a TrackBack success: each URL stays
    to ping, with a reason a weblog owner can read."""
    answers = {"/html": HTML_PAGE, "/garbage": GARBAGE, "/entities": ENTITY_BOMB, "/private": TO_PRIVATE,
               "/endless": ENDLESS}
    urls = {path: receivers.url(path, answer) for path, answer in answers.items()}
    entry = publish(store, config, blog, list(urls.values())).record
    with pytest.raises(PingsFailed):
        send_pings(store, config, {"entry_id": entry.id}, deadline_seconds=20)
    saved = store.get(Entry, entry.id)
    errors = {path: saved.ping_failures[url]["error"] for path, url in urls.items()}
    assert errors == {
        "/html": "the answer is not a TrackBack response: an HTML page",
        "/garbage": "the answer is not a TrackBack response: it begins '<<<not a response>>>\ufffd'",
        "/entities": "the answer declares a DTD",
        "/private": "refused: 10.1.2.3 is a private address",
        "/endless": "the answer is larger than 1048576 bytes"}
    assert saved.pinged_urls == [] and saved.to_ping_urls == list(urls.values())
    assert all(failure["attempts"] == 1 and "sending_since" not in failure for failure in saved.ping_failures.values())


def test_two_jobs_of_one_entry_never_ping_a_url_twice(store, store_config, config, blog, receivers):
    """A second save (or `mtpy work` beside mt.cgi) runs another send_pings job
    while the first is still sending: it leaves the first one's URLs alone."""
    from mtpy.store import open_store
    url = receivers.url("/slow", SILENT)
    entry = publish(store, config, blog, url).record
    outcome = []

    def first_job():        # its own connection, as another process would have
        own = open_store(store_config)
        try:
            send_pings(own, config, {"entry_id": entry.id})
        except PingsFailed:
            outcome.append("failed")
        finally:
            own.close()

    first = threading.Thread(target=first_job)
    first.start()
    try:
        wait_for(lambda: receivers.posts_to("/slow"), seconds=20)
        other = open_store(store_config)
        try:
            claimed = other.get(Entry, entry.id)
            assert claimed.ping_failures[url]["sending_since"]
            assert urls_to_ping(other, claimed) == []
            send_pings(other, config, {"entry_id": entry.id})      # nothing due: sends nothing
            with pytest.raises(ActionError, match="being sent now"):
                retry_pings(other, config, blog, claimed)
        finally:
            other.close()
    finally:
        receivers.release()
        first.join(30)
    assert len(receivers.posts_to("/slow")) == 1
    assert outcome == ["failed"]        # the silent receiver's ping failed...
    failure = store.get(Entry, entry.id).ping_failures[url]
    assert failure["attempts"] == 1 and "sending_since" not in failure      # ...and its claim is gone


# -- mt.cgi's entry screen ---------------------------------------------------

def stored_entry(site, entry_id):
    store = site.store()
    try:
        return store.get(Entry, entry_id)
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_entry_screen_shows_each_outcome_and_retries(cms, receivers):
    from support.client import entry_fields
    site, client = cms
    site.update_config("OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\n")
    good = receivers.url("/good", SUCCESS)
    hostile = (200, "text/xml", "<response><error>1</error><message>&lt;script&gt;alert(1)&lt;/script&gt; "
                                "no &lt;img src=x onerror=alert(2)&gt;</message></response>")
    bad = receivers.url("/hostile", hostile)
    result = client.post("entry_edit", entry_fields(status="Publish", to_ping_urls="%s\n%s" % (good, bad)),
                         blog_id=site.blog.id)
    assert result.status == 200
    assert "Created." in result.text        # the weblog is not built: only the pings were queued
    [entry] = [entry for entry in site.entries() if entry.title == "A new entry"]
    def sent():
        """The entry once its pings have an outcome (a URL being sent is marked too)."""
        found = stored_entry(site, entry.id)
        failures = found.ping_failures.values()
        return found if failures and all("error" in failure for failure in failures) else None
    saved = wait_for(sent)
    assert saved.pinged_urls == [good] and saved.to_ping_urls == [bad]

    page = client.get("entry_edit", blog_id=site.blog.id, entry_id=entry.id).text
    assert "Pinged" in page and "Not yet sent" in page
    pinged, waiting = page.split("Not yet sent", 1)
    assert good in pinged.split("Pinged", 1)[1] and bad in waiting
    assert "<script>" not in page and "<img src=x" not in page
    assert "alert(1)" in waiting      # the receiver's words, tags removed, escaped
    assert "Retry now" in page

    receivers.answers["/hostile"] = SUCCESS
    result = client.post("entry_ping_retry", {}, blog_id=site.blog.id, entry_id=entry.id)
    assert result.status == 200
    saved = wait_for(lambda: (lambda found: found if not found.ping_failures else None)(stored_entry(site, entry.id)))
    assert saved.pinged_urls == [good, bad] and saved.to_ping_urls == []
    assert len(receivers.posts_to("/good")) == 1 and len(receivers.posts_to("/hostile")) == 2
    page = client.get("entry_edit", blog_id=site.blog.id, entry_id=entry.id).text
    assert "Not yet sent" not in page and "Retry now" not in page

    # Retrying when nothing is left, or on GET, changes nothing.
    assert client.get("entry_ping_retry", blog_id=site.blog.id, entry_id=entry.id).status == 405
    assert client.post("entry_ping_retry", {}, blog_id=site.blog.id, entry_id=entry.id).status == 409
    assert len(receivers.posts_to("/hostile")) == 2


# -- `mtpy entry ping` and `mtpy entry set --status Publish` -------------------

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_command_line_sends_and_says_what_happened(tmp_path, backend, receivers):
    from support.cli import mtpy
    sender = Site(tmp_path / "sender", backend, extra_config="OutboundAllowAddresses 127.0.0.1\n")
    good, bad = receivers.url("/good", SUCCESS), receivers.url("/missing", NOT_FOUND)
    store = sender.store()
    try:
        draft = store.get(Entry, sender.entry.id)
        draft.status, draft.to_ping_urls = "Draft", [good, bad]
        store.save(draft)
    finally:
        store.close()
    refused = mtpy("entry", "ping", "--blog", str(sender.blog.id), "--entry", str(draft.id),
                   config=sender.config_path, check=False)
    assert refused.returncode == 1 and "draft" in refused.stderr and receivers.received == []

    # Published from the command line: the pings go before the command ends.
    published = mtpy("entry", "set", "--blog", str(sender.blog.id), "--entry", str(draft.id), "--status", "Publish",
                     config=sender.config_path, check=False)
    assert published.returncode == 0, published.stderr
    assert "1 job failed and stays queued" in published.stderr
    entry = stored_entry(sender, draft.id)
    assert entry.pinged_urls == [good] and entry.ping_failures[bad]["error"] == "HTTP 404 Not Found"
    [fields] = receivers.posts_to("/good")
    assert fields["title"] == "Hello <World> & Co" and fields["blog_name"] == "Test Weblog"
    assert fields["url"] == "%s%06d.html" % (sender.base, draft.id)

    receivers.answers["/missing"] = REFUSED
    again = mtpy("entry", "ping", "--blog", str(sender.blog.id), "--entry", str(draft.id),
                 config=sender.config_path, check=False)
    assert again.returncode == 1
    assert again.stdout == "failed\t%s\tPings are closed & locked here\n" % bad
    receivers.answers["/missing"] = SUCCESS
    done = mtpy("entry", "ping", "--blog", str(sender.blog.id), "--entry", str(draft.id), config=sender.config_path)
    assert done.stdout == "pinged\t%s\n" % bad
    assert stored_entry(sender, draft.id).pinged_urls == [good, bad]
    assert len(receivers.posts_to("/good")) == 1


def test_a_save_from_a_copy_read_before_the_pings_keeps_what_was_sent(store, config, blog, receivers):
    url = receivers.url("/ok", SUCCESS)
    entry = publish(store, config, blog, url).record        # the form's copy, read before the ping
    assert run_jobs(store, config) == (1, 0)
    done = publish(store, config, blog, url, entry=entry, title="Edited in a form opened earlier")
    saved = store.get(Entry, entry.id)
    assert saved.pinged_urls == [url] and saved.to_ping_urls == []
    assert done.job_ids == [] and ping_jobs(store) == []
    assert len(receivers.posts_to("/ok")) == 1


def test_an_import_pings_only_when_asked(store, config, blog, receivers):
    from mtpy.actions.importing import import_entries
    url = receivers.url("/news", SUCCESS)
    store.save(Category(blog_id=blog.id, label="News", ping_urls=[url]))
    export = ("TITLE: Imported and published\nSTATUS: Publish\nPRIMARY CATEGORY: News\n"
              "DATE: 01/31/2004 11:30:00 PM\n-----\nBODY:\nOld words\n-----\n--------\n"
              "TITLE: Imported draft\nSTATUS: Draft\nPRIMARY CATEGORY: News\n"
              "DATE: 02/01/2004 09:00:00 AM\n-----\nBODY:\nUnfinished\n-----\n--------\n")
    done = import_entries(store, config, blog, export)
    assert done.job_ids == [] and ping_jobs(store) == []

    done = import_entries(store, config, blog, export, send_pings=True)
    [job] = ping_jobs(store)
    assert done.job_ids == [job.id]
    assert run_jobs(store, config, done.job_ids) == (1, 0)
    [ping] = receivers.posts_to("/news")
    assert ping["title"] == "Imported and published"
    published = [entry for entry in store.find(Entry, blog_id=blog.id) if entry.pinged_urls]
    assert [entry.id for entry in published] == [done.record.entry_ids[0]]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_import_screen_sends_pings_when_its_box_is_ticked(cms, receivers):
    site, client = cms
    site.update_config("OutboundAllowAddresses 127.0.0.1\nPingTimeout 10\n")
    url = receivers.url("/news", SUCCESS)
    store = site.store()
    try:
        store.save(Category(blog_id=site.blog.id, label="News", ping_urls=[url]))
    finally:
        store.close()
    export = (b"TITLE: Imported and published\nSTATUS: Publish\nPRIMARY CATEGORY: News\n"
              b"DATE: 01/31/2004 11:30:00 PM\n-----\nBODY:\nOld words\n-----\n--------\n")
    page = client.get("transfer", blog_id=site.blog.id)
    assert 'name="send_pings"' in page.text and "Send the TrackBack pings of the imported" in page.text
    client.post("transfer", files={"file": ("export.txt", export, "text/plain")}, blog_id=site.blog.id)
    client.post("transfer", {"send_pings": "1"}, files={"file": ("export.txt", export, "text/plain")},
                blog_id=site.blog.id)
    [ping] = wait_for(lambda: receivers.posts_to("/news"))
    assert ping["title"] == "Imported and published"
    entries = wait_for(lambda: [entry for entry in site.entries() if entry.pinged_urls])
    assert len(site.entries()) == 3       # the site's own entry and the two imports
    assert [entry.pinged_urls for entry in entries] == [[url]]     # the second import's only
    assert len(receivers.posts_to("/news")) == 1


def test_without_requests_the_entry_keeps_its_urls_and_the_screens_say_why(store, config, blog, receivers,
                                                                            monkeypatch, tmp_path):
    import sys
    from types import SimpleNamespace
    from mtpy.apps.cms.pages import environment
    monkeypatch.setitem(sys.modules, "requests", None)
    url = receivers.url("/ok", SUCCESS)
    entry = publish(store, config, blog, url).record
    with pytest.raises(PingsFailed):
        send_pings(store, config, {"entry_id": entry.id})
    saved = store.get(Entry, entry.id)
    assert saved.ping_failures[url]["error"] == "sending needs the requests module: see mt-check.cgi"
    assert saved.to_ping_urls == [url] and receivers.received == []

    screen_config = Config(text="DataSource %s\n" % (tmp_path / "screens"))
    macros = environment(screen_config).get_template("macros.html").module
    for can_send in (False, True):
        screen = SimpleNamespace(can_send=can_send, check_url="/cgi-bin/mt-check.cgi")
        said = str(macros.cannot_send(screen))
        if can_send:
            assert said == ""
        else:
            assert "the Python package <code>requests</code> is missing" in said
            assert '<a href="/cgi-bin/mt-check.cgi">mt-check.cgi</a>' in said


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_entry_screen_names_the_protocol_of_each_page_told(cms):
    """Pages told by Pingback or Webmention, and those waiting or refused, are
    on the entry screen with their protocol, the receiver's words as text."""
    from support.linkbacks import REFUSED_PAGE, TOLD_PAGE, tell_and_be_refused
    site, client = cms
    tell_and_be_refused(site)
    page = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id).text
    told, waiting = page.split("Pages told of this entry", 1)[1].split("Not yet sent", 1)
    assert TOLD_PAGE in told and "by Webmention" in told
    assert REFUSED_PAGE.replace("&", "&amp;") in waiting and "Pingback" in waiting
    assert "final: only Retry now sends it again" in waiting and "<b>no</b>" not in page
