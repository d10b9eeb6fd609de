"""Faults answered truthfully (issue 10 §7), through lighttpd: a read-only
archive folder, a full disk under the popup's caches, a full disk under the
flat-file store.

The faults are real where the machine allows: as root (who writes through any
permission bits) a read-only bind mount and a small tmpfs that is filled up;
otherwise permission bits stand in for the read-only folder, and the full-disk
tests skip.
"""

import contextlib
import glob
import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, Site, http, start_lighttpd
from support.http import SUCCESS, post
from support.faults import IS_ROOT, full_disk, mount, unmount


@contextlib.contextmanager
def read_only(folder):
    """The folder cannot be written while inside."""
    if not IS_ROOT:
        mode = os.stat(folder).st_mode
        os.chmod(folder, 0o555)
        try:
            yield
        finally:
            os.chmod(folder, mode)
        return
    if not (shutil.which("mount") and mount("--bind", folder, folder)):
        pytest.skip("cannot make a folder read-only here (root, and no bind mount)")
    try:
        if not mount("-o", "remount,bind,ro", folder):
            pytest.skip("cannot remount a bind mount read-only here")
        yield
    finally:
        unmount(folder)


@pytest.fixture(params=["sqlite", "flat"])
def lighttpd_site(request, tmp_path):
    site = Site(tmp_path / "site", request.param)
    process = start_lighttpd(site)
    yield site
    process.terminate()
    process.wait(timeout=10)


def check_report(site):
    """mt-check.cgi's page, and `mtpy check`'s text."""
    page = http(site.base + "cgi-bin/mt-check.cgi").text
    from mtpy.check import Report, render_text
    return page, render_text(Report(site.folder, site.config_path))


def test_read_only_archive_folder_stores_and_answers(lighttpd_site):
    site = lighttpd_site
    feed = os.path.join(site.archives, "%d.xml" % site.item.id)
    with read_only(site.archives):
        result = post(site.ping_url(), {"url": "http://a.example/1", "title": "First"})
        assert (result.status, result.text) == (200, SUCCESS)
        store = site.store()
        assert [ping.title for ping in store.list_pings(tb_id=site.item.id)] == ["First"]
        store.close()
        assert not os.path.exists(feed)
        assert "its feed %s could not be written" % feed in site.log()
        page, text = check_report(site)
        assert 'id="unwritten-feeds"' in page and os.path.relpath(feed, site.folder) in page
        assert feed not in page             # the public page names no absolute path
        assert "NOT WRITTEN: %s (TrackBack item %d)" % (feed, site.item.id) in text
    # Writable again: the next ping writes the feed (with both pings) and clears the report.
    assert post(site.ping_url(), {"url": "http://a.example/2", "title": "Second"}).text == SUCCESS
    with open(feed) as handle:
        written = handle.read()
    assert "First" in written and "Second" in written
    page, text = check_report(site)
    assert 'id="unwritten-feeds"' not in page and 'id="feeds">Every feed was written.' in page
    assert "NOT WRITTEN" not in text


def test_read_only_archive_folder_rewrites_other_items_feeds(lighttpd_site):
    site = lighttpd_site
    entry, other = site.add_entry(title="Other", body="x", status="Publish")
    with read_only(site.archives):
        assert post(site.ping_url(other), {"url": "http://a.example/1"}).text == SUCCESS
    assert post(site.ping_url(), {"url": "http://a.example/2"}).text == SUCCESS
    assert os.path.exists(os.path.join(site.archives, "%d.xml" % other.id))
    assert "NOT WRITTEN" not in check_report(site)[1]


def test_rebuild_writes_the_unwritten_feeds(lighttpd_site):
    """A weblog that gets no more pings: `mtpy rebuild` writes the listed feed
    once its folder is writable; while it is not, it fails with the reason."""
    site = lighttpd_site
    feed = os.path.join(site.archives, "%d.xml" % site.item.id)
    command = [sys.executable, "-m", "mtpy.cli", "--config", site.config_path, "rebuild", "--blog", str(site.blog.id)]
    environment = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"))
    with read_only(site.archives):
        assert post(site.ping_url(), {"url": "http://a.example/1", "title": "First"}).text == SUCCESS
        refused = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment)
        assert refused.returncode == 1 and "Traceback" not in refused.stderr, refused.stderr
        reason = "Read-only file system" if IS_ROOT else "Permission denied"    # bind mount, or chmod
        assert refused.stderr.startswith("mtpy: %s (%s" % (reason, site.archives)), refused.stderr
    assert "NOT WRITTEN" in check_report(site)[1]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=environment)
    assert done.returncode == 0 and "still cannot be written" not in done.stderr, done.stderr
    with open(feed) as handle:
        assert "First" in handle.read()
    assert "NOT WRITTEN" not in check_report(site)[1]


def listing_url(site):
    return site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % site.entry.id


def test_popup_renders_on_a_full_disk(lighttpd_site):
    """Jinja2's bytecode cache (in the data folder's cache/) cannot be written:
    skipped, and the popup renders all the same."""
    site = lighttpd_site
    cache = os.path.join(site.folder, "data", "cache")
    os.makedirs(cache, exist_ok=True)
    with full_disk(cache):
        assert post(site.ping_url(), {"url": "http://a.example/1", "title": "Seen in the popup"}).text == SUCCESS
        result = http(listing_url(site))
        assert result.status == 200, result.text
        assert result.headers["Content-Type"] == "text/html; charset=utf-8"
        assert "Seen in the popup" in result.text
        assert not glob.glob(os.path.join(cache, "jinja-*", "*"))   # nothing half-written left behind


def test_popup_failure_is_an_html_page(tmp_path, monkeypatch):
    """Whatever fails in the popup, the answer is an HTML page (never the ping
    protocol's "not stored" XML) and the details go to the log."""
    import io
    from mtpy.apps.trackback import TrackbackApp
    from mtpy.publish import listing
    site = Site(tmp_path / "site", "sqlite")

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(listing, "listing_page", broken)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "", "REMOTE_ADDR": "127.0.0.1",
               "QUERY_STRING": "__mode=view&entry_id=%d" % site.entry.id, "wsgi.input": io.BytesIO(b"")}
    seen = []
    body = b"".join(TrackbackApp(site.config)(environ, lambda status, headers: seen.append((status, headers))))
    [(status, headers)] = seen
    assert status.startswith("500") and dict(headers)["Content-Type"] == "text/html; charset=utf-8"
    assert b"<html" in body and b"not stored" not in body and b"No space" not in body
    assert "failed to show a listing" in site.log() and "No space left on device" in site.log()



@pytest.mark.parametrize("app_name", ["trackback", "pingback", "webmention"])
def test_a_receiving_script_whose_store_module_cannot_load_answers_in_its_terms(tmp_path, monkeypatch, app_name):
    """A broken install (the store's module fails to import) is still answered
    in the protocol's terms, with the reason in the log and no traceback sent."""
    import importlib
    import io
    import sys
    import urllib.parse
    import xmlrpc.client
    site = Site(tmp_path / "site", "sqlite")
    app_class = {"trackback": "TrackbackApp", "pingback": "PingbackApp", "webmention": "WebmentionApp"}[app_name]
    app = getattr(importlib.import_module("mtpy.apps." + app_name), app_class)(site.config)
    monkeypatch.setitem(sys.modules, "mtpy.store", None)     # any import of it raises ImportError
    source, target = "http://example.com/post", "http://example.org/archives/000001.html"
    body, kind = {
        "trackback": (b"url=" + source.encode(), "application/x-www-form-urlencoded"),
        "pingback": (xmlrpc.client.dumps((source, target), "pingback.ping").encode(), "text/xml"),
        "webmention": (urllib.parse.urlencode({"source": source, "target": target}).encode(),
                       "application/x-www-form-urlencoded")}[app_name]
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/%d" % site.entry.id, "REMOTE_ADDR": "127.0.0.1",
               "QUERY_STRING": "", "CONTENT_TYPE": kind,
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body)}
    seen = []
    body = b"".join(app(environ, lambda status, headers: seen.append((status, headers))))
    [(status, headers)] = seen
    assert status.startswith(("500", "400", "200")) and b"Traceback" not in body and b"ImportError" not in body
    assert "failed on POST" in site.log() and "mtpy.store" in site.log()

@pytest.fixture
def flat_site(tmp_path):
    site = Site(tmp_path / "site", "flat")
    store = site.store()
    site.blog.site_path = ""          # no deferred work writing into the data folder
    store.save(site.blog)
    store.close()
    process = start_lighttpd(site)
    yield site
    process.terminate()
    process.wait(timeout=10)


def test_flat_store_full_disk_answer_matches_the_store(flat_site):
    """Room for the commit's journal but not for applying it: the ping is
    committed (the next write completes it), so the answer is success; a ping
    that finds no room even for its journal is refused and never appears."""
    site = flat_site
    data = os.path.join(site.folder, "data")
    answers = {}
    with full_disk(data, room=4096) as filler:
        answers["journal only"] = post(site.ping_url(), {"url": "http://a.example/journal"})
        answers["no room"] = post(site.ping_url(), {"url": "http://a.example/none"})
        os.unlink(filler)
        answers["room again"] = post(site.ping_url(), {"url": "http://a.example/later"})
    store = site.store()
    stored = {ping.source_url for ping in store.list_pings(tb_id=site.item.id, visible_only=False)}
    store.close()
    for name, url in (("journal only", "http://a.example/journal"), ("no room", "http://a.example/none"),
                      ("room again", "http://a.example/later")):
        said_stored = answers[name].text == SUCCESS
        assert said_stored == (url in stored), (name, answers[name].status, answers[name].text, sorted(stored))
    assert answers["room again"].text == SUCCESS
    assert not os.path.exists(os.path.join(data, "journal.json"))


@pytest.mark.parametrize("backend", ["sqlite", "flat"])
def test_a_ping_that_fails_before_its_commit_never_reaches_its_feed(tmp_path, backend, monkeypatch):
    """ID.xml is written after the ping's commit: a ping whose transaction
    fails (or whose process dies) after its checks is in no feed; and a rebuild
    writes every feed of the weblog again from the store."""
    import mtpy.actions.pings
    from mtpy.actions.rebuild import rebuild_all
    from mtpy.actions.receive import receive
    from mtpy.apps.trackback import incoming_ping
    site = Site(tmp_path / "site", backend)
    store = site.store()
    feed = os.path.join(site.archives, "%d.xml" % site.item.id)
    try:
        receive(store, site.config, incoming_ping(str(site.item.id), "",
                                                  {"url": "http://a.example/stored"}, "192.0.2.1"))

        def broken(store, subject):
            raise OSError("the disk went away")
        monkeypatch.setattr(mtpy.actions.pings, "republish_waiting", broken)
        with pytest.raises(OSError):
            receive(store, site.config, incoming_ping(str(site.item.id), "",
                                                      {"url": "http://a.example/lost"}, "192.0.2.1"))
        monkeypatch.undo()
        with open(feed, encoding="utf-8") as handle:
            written = handle.read()
        assert "http://a.example/stored" in written and "http://a.example/lost" not in written
        assert [ping.source_url for ping in store.list_pings(tb_id=site.item.id)] == ["http://a.example/stored"]

        os.unlink(feed)         # as a process killed after its commit leaves it: not written
        rebuild_all(store, site.config, store.get(type(site.blog), site.blog.id))
        with open(feed, encoding="utf-8") as handle:
            assert "http://a.example/stored" in handle.read()
    finally:
        store.close()
