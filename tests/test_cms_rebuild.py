"""mt.cgi's Rebuild and Import/Export screens, in this process (the `cms` fixture): a rebuild in
signed steps that each publish a slice, and an MT export file uploaded,
refused or downloaded."""

import os
import urllib.parse

import pytest

from support.client import CMSClient, follow_steps, refresh_url
from support.environment import ROOT
from support.publishing import wait_for_text
from support.sites import ADMIN_PASSWORD, activity

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])

SAMPLE = os.path.join(ROOT, "tests", "data", "mt-export-sample.txt")


def add_entries(site, count):
    return [site.add_entry(title="Entry number %d" % number, body="<p>Body %d</p>" % number,
                           created_on="2026-%02d-%02d 09:00:00" % (1 + number % 11, 1 + number % 27))[0]
            for number in range(count)]


def page_paths(site, kind):
    from mtpy.publish.rebuild import Publisher
    store = site.store()
    try:
        publisher = Publisher(store, site.config, site.blog)
        pages = publisher.index_pages() if kind == "index" else publisher.archive_pages(kind)
        return [page.path for page in pages]
    finally:
        store.close()


def start_rebuild(client, site, what="all"):
    form = client.get("rebuild", blog_id=site.blog.id)
    assert form.status == 200 and 'name="what"' in form.text and "Only the index templates" in form.text
    return client.post("rebuild", {"what": what}, blog_id=site.blog.id)


@sqlite_only
def test_a_rebuild_proceeds_in_steps_and_publishes_every_page(cms):
    site, client = cms
    add_entries(site, 40)
    first = start_rebuild(client, site)
    assert first.status == 200 and "Rebuilding Test Weblog" in first.text
    assert first.headers["Content-Security-Policy"].startswith("default-src 'none'")   # still no script
    done, urls = follow_steps(client, first)
    assert len(urls) >= 3                          # 10 pages, then 20, then the rest...
    assert "Rebuilt Test Weblog" in done.text and "Everything: all" in done.text
    index = os.path.join(site.archives, "index.html")
    assert "Entry number 39" in open(index, encoding="utf-8").read()
    entry_pages = page_paths(site, "Individual")
    assert len(entry_pages) == 41 and all(os.path.exists(path) for path in entry_pages)
    assert all(os.path.exists(path) for path in page_paths(site, "Monthly") + page_paths(site, "index"))
    [line] = activity(site, "rebuild")
    assert line.message.startswith("Rebuilt everything: ") and line.author_name == "Melody"
    # The last step asked again (a reload) publishes again but logs no second line.
    again = client.request(urls[-1])
    assert again.status == 200 and "Rebuilt Test Weblog" in again.text
    assert len(activity(site, "rebuild")) == 1


@sqlite_only
def test_only_the_index_templates(cms):
    site, client = cms
    done, _ = follow_steps(client, start_rebuild(client, site, "index"))
    assert "Only the index templates: all" in done.text
    assert all(os.path.exists(path) for path in page_paths(site, "index"))
    assert not any(os.path.exists(path) for path in page_paths(site, "Individual"))


@sqlite_only
def test_a_step_of_another_session_or_altered_is_refused(cms):
    site, client = cms
    add_entries(site, 12)
    first = start_rebuild(client, site)
    following = refresh_url(first)
    other = CMSClient(site.base)
    other.log_in(site.author.name, ADMIN_PASSWORD)     # the same author, another session
    refused = other.request(following)
    assert refused.status == 403 and "another session" in refused.text
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(following).query))
    what, offset, rest = query["step"].split(".", 2)
    for step in ("%s.%d.%s" % (what, int(offset) - 5, rest),     # moved back
                 "index.%s.%s" % (offset, rest),                  # another kind
                 query["step"] + "0", "", "a.b"):
        assert client.get("rebuild_step", blog_id=site.blog.id, step=step).status == 403
    # Valid for its own weblog only.
    assert client.get("rebuild_step", blog_id=site.blog.id + 1, step=query["step"]).status == 404
    stranger = CMSClient(site.base).request(following)
    assert "Log in to mtpy" in stranger.text
    assert not os.path.exists(os.path.join(site.archives, "index.html"))
    assert client.request(following).status == 200     # its own session goes on


@sqlite_only
def test_rebuild_refuses_an_unknown_choice(cms):
    site, client = cms
    client.get("rebuild", blog_id=site.blog.id)
    page = client.post("rebuild", {"what": "../etc"}, blog_id=site.blog.id)
    assert page.status == 200 and "Choose what to rebuild from the list." in page.text
    assert client.get("rebuild_step", blog_id=site.blog.id).status == 403


@sqlite_only
def test_publish_step_slices_cover_the_full_rebuild(site):
    """The steps' slices together publish exactly the pages of a full rebuild."""
    from mtpy.actions.rebuild import publish_step
    from mtpy.publish.rebuild import Publisher
    add_entries(site, 9)
    site.add_category(label="Cats")
    store = site.store()
    try:
        keys = [page.key for page in Publisher(store, site.config, site.blog).all_pages()]
        offset, steps, written = 0, 0, 0
        while True:
            step = publish_step(store, site.config, site.blog, "all", offset, 4)
            assert step.offset - offset <= 4 and step.total == len(keys)
            written += step.written
            offset, steps = step.offset, steps + 1
            if step.done:
                break
        assert steps == -(-len(keys) // 4) and written == len(keys)
        # Slices do not overlap: a second pass over them writes nothing new.
        assert publish_step(store, site.config, site.blog, "all", 0, 1000).unchanged == len(keys)
    finally:
        store.close()


# -- import and export --------------------------------------------------------------

def upload(client, site, data, filename="export.txt"):
    client.get("transfer", blog_id=site.blog.id)
    return client.post("transfer", files={"file": (filename, data, "text/plain")}, blog_id=site.blog.id)


def titles(site):
    from mtpy.models import Entry
    store = site.store()
    try:
        return sorted(entry.title for entry in store.find(Entry, blog_id=site.blog.id))
    finally:
        store.close()


@sqlite_only
def test_import_an_export_file_through_the_upload(cms):
    site, client = cms
    follow_steps(client, start_rebuild(client, site))          # published: an import republishes it
    with open(SAMPLE, "rb") as handle:
        done = upload(client, site, handle.read())
    assert done.status == 200 and "Imported." in done.text
    assert "Last import: Imported 3 entries" in done.text
    assert "TrackBack is live" in titles(site) and len(titles(site)) == 4
    [line] = activity(site, "import")
    assert line.author_name == "Melody"
    # The rebuild it queued runs after the answer.
    assert wait_for_text(site.base, "TrackBack is live")
    assert all(os.path.exists(path) for path in page_paths(site, "Individual"))


@sqlite_only
def test_a_garbage_file_is_refused_and_nothing_imported(cms):
    site, client = cms
    before = titles(site)
    for data in (b"TITLE: Half an entry\nSTATUS: Maybe\n-----\nBODY:\nx\n--------\n",
                 b"\x89PNG\r\n\x1a\n\x00\x00binary", b""):
        page = upload(client, site, data)
        assert page.status == 200 and 'class="field-error"' in page.text, data
        assert "Imported." not in page.text
    assert "nothing imported" in upload(client, site, b"TITLE: x\nSTATUS: Maybe\n--------\n").text
    assert titles(site) == before and activity(site, "import") == []


@sqlite_only
def test_export_downloads_a_file_that_imports_again(cms):
    site, client = cms
    site.add_entry(title="Caf\u00e9 <b>bold</b>", body="<p>Line one\n-----\nline two</p>")
    download = client.get("export", blog_id=site.blog.id)
    assert download.status == 200
    assert download.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert download.headers["Content-Disposition"] == 'attachment; filename="Test-Weblog-export.txt"'
    assert "TITLE: Caf\u00e9 <b>bold</b>" in download.text
    before = titles(site)
    assert upload(client, site, download.body).status == 200
    assert titles(site) == sorted(before * 2)


def test_export_file_name_is_safe():
    from mtpy.apps.cms.transfer import file_name
    assert file_name('My "Weblog"; x\r\n', 3) == "My-Weblog-x"
    assert file_name("../../", 3) == "weblog-3"
    assert file_name("\u65e5\u8a18", 7) == "weblog-7"
