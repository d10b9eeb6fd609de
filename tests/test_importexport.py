"""Movable Type import/export format, as its Export wrote and its Import read it."""

import os
from datetime import datetime

import pytest

from mtpy.config import Config
from mtpy.actions.importing import store_entries
from mtpy.importexport import ImportFormatError, export_entries, parse
from mtpy.models import Author, Blog, Category, Entry, Ping, Trackback
from mtpy.store import open_store

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mt-export-sample.txt")


def sample_text():
    with open(SAMPLE, encoding="utf-8") as handle:
        return handle.read()


def make_blog(store, timezone=0.0, name="B"):
    blog = Blog(name=name, site_url="http://h/", archive_url="http://h/arch/", timezone=timezone)
    store.save(blog)
    return blog


def entry_text(header="", sections=""):
    """One entry; `header` lines and `sections` text are put in MT's frame."""
    return "%s-----\n%s--------\n" % (header, sections)


# -- parse ------------------------------------------------------------------

def test_parse_sample():
    entries = parse(sample_text())
    assert [e["title"] for e in entries] == [
        "TrackBack is live", "Notes for the redesign", "A quiet week"]
    first, draft, third = entries
    assert first["author"] == "Melody" and first["status"] == "Publish"
    assert first["allow_comments"] is True and first["allow_pings"] is True
    assert first["categories"] == ["Movable Type", "Weblogs"]
    assert first["date"] == datetime(2003, 5, 27, 23, 2, 15)
    assert first["body"].startswith("We just turned on <a href=")
    assert first["body"].endswith("\n\nPing away.")
    assert first["excerpt"] == "" and first["keywords"] == "trackback, movable type"
    assert first["comments"] == [{
        "author": "Ben", "email": "ben@example.com", "url": "http://www.example.com/ben/",
        "ip": "192.0.2.10", "date": datetime(2003, 5, 28, 0, 15, 33),
        "text": "Congratulations!\nIt works here too."}]
    assert [p["title"] for p in first["pings"]] == ["Trying TrackBack", "Re: TrackBack is live"]
    assert first["pings"][1] == {
        "title": "Re: TrackBack is live", "url": "http://blog.example.net/2003/05/28/trackback",
        "ip": "203.0.113.99", "blog_name": "Net Notes", "date": datetime(2003, 5, 28, 13, 5, 9),
        "excerpt": "Another <b>TrackBack</b> test &amp; a few words."}
    assert draft["status"] == "Draft" and draft["allow_pings"] is False
    assert draft["convert_breaks"] == "0" and draft["categories"] == ["Weblogs"]
    assert third["categories"] == [] and third["date"] == datetime(2003, 6, 5, 18, 20)
    assert third["excerpt"] == "Nothing much happened."


def test_parse_accepts_crlf_and_cr_like_lf():
    text = sample_text()
    assert parse(text.replace("\n", "\r\n")) == parse(text)
    assert parse(text.replace("\n", "\r")) == parse(text)


def test_parse_is_tolerant():
    text = (
        "\ufeffTITLE: Odd\nNO SUCH KEY: whatever\na line without a colon\nstatus: future\n"
        "DATE: 1/2/2003 12:00 AM\n-----\n"
        "\nKEYWORDS: on the key line\n-----\n"
        "SOMETHING ELSE:\nignored\n-----\n"
        "--------\n\n\n"
        "TITLE: Bare\n"          # no sections, no final separator
    )
    odd, bare = parse(text)
    assert odd["title"] == "Odd" and odd["status"] == "Draft"   # Future -> Draft
    assert odd["date"] == datetime(2003, 1, 2, 0, 0, 0)         # 12 AM is midnight
    assert odd["keywords"] == "on the key line" and odd["body"] == ""
    assert bare["title"] == "Bare" and bare["number"] == 2 and bare["line"] == 16
    assert bare["status"] is None and bare["allow_pings"] is None and bare["date"] is None
    assert parse("") == [] and parse("\n--------\n\n") == []


def test_parse_dates():
    def date_of(value):
        return parse(entry_text("DATE: %s\n" % value))[0]["date"]
    assert date_of("05/28/2003 07:48:00 AM") == datetime(2003, 5, 28, 7, 48)
    assert date_of("05/28/2003 12:01:02 PM") == datetime(2003, 5, 28, 12, 1, 2)
    assert date_of("05/28/2003 11:59:59 pm") == datetime(2003, 5, 28, 23, 59, 59)
    assert date_of("05/28/2003 19:48:00") == datetime(2003, 5, 28, 19, 48)


@pytest.mark.parametrize("text, entry_number, line_number, words", [
    (entry_text("TITLE: a\n") + entry_text("TITLE: b\nDATE: 13/45/2003 10:00:00 AM\n"),
     2, 5, "DATE"),
    (entry_text("DATE: yesterday\n"), 1, 1, "DATE"),
    (entry_text("DATE: 05/28/2003 13:00:00 PM\n"), 1, 1, "DATE"),
    (entry_text("TITLE: a\nSTATUS: Published\n"), 1, 2, "STATUS"),
    (entry_text("ALLOW PINGS: yes\n"), 1, 1, "ALLOW PINGS"),
    (entry_text("ALLOW PINGS: 2\n"), 1, 1, "ALLOW PINGS"),
    (entry_text("ALLOW COMMENTS: 3\n"), 1, 1, "ALLOW COMMENTS"),
    (entry_text("TITLE: a\n", "BODY:\nb\n-----\nPING:\nURL: http://x/\nDATE: 02/30/2003 01:00:00 AM\n"
                              "hi\n-----\n"), 1, 8, "DATE"),
])
def test_parse_errors_name_entry_and_line(text, entry_number, line_number, words):
    with pytest.raises(ImportFormatError) as caught:
        parse(text)
    error = caught.value
    assert (error.entry_number, error.line_number) == (entry_number, line_number)
    message = str(error)
    assert "Entry %d" % entry_number in message and "line %d" % line_number in message
    assert words in message


def test_allow_comments_2_is_mt2_closed():
    assert parse(entry_text("ALLOW COMMENTS: 2\n"))[0]["allow_comments"] is False


def test_record_fields_only_at_the_top_of_the_section():
    text = entry_text("TITLE: t\n", "COMMENT:\nAUTHOR: A\n\nURL: is text here\n-----\n"
                                    "PING:\nURL: http://a/\nMy excerpt\nIP: also text\n-----\n")
    entry = parse(text)[0]
    assert entry["comments"][0]["author"] == "A" and entry["comments"][0]["url"] == ""
    assert entry["comments"][0]["text"] == "URL: is text here"
    assert entry["pings"][0]["excerpt"] == "My excerpt\nIP: also text"


# -- import -----------------------------------------------------------------

def test_import_sample(store):
    blog = make_blog(store, timezone=9)
    result = store_entries(store, blog, sample_text())
    assert result.as_dict() == {"entries": 3, "pings": 2, "comments": 1,
                                "authors_created": 2, "categories_created": 2}
    entries = store.find(Entry, blog_id=blog.id)
    live, draft, quiet = entries
    assert live.created_on == "2003-05-27 14:02:15"       # 11:02:15 PM at +9
    assert quiet.created_on == "2003-06-05 09:20:00"      # 24-hour clock
    assert store.get(Author, live.author_id).name == "Melody"
    assert store.get(Author, quiet.author_id).name == "Ben"
    assert draft.author_id == live.author_id
    labels = [store.get(Category, cid).label for cid in live.category_ids]
    assert labels == ["Movable Type", "Weblogs"]
    assert draft.category_ids == live.category_ids[1:] and quiet.category_ids == []
    assert draft.status == "Draft" and draft.convert_breaks == "0"
    assert live.allow_comments and not draft.allow_comments
    assert live.comments == [{"author": "Ben", "email": "ben@example.com",
                              "url": "http://www.example.com/ben/", "ip": "192.0.2.10",
                              "date": "2003-05-27 15:15:33",
                              "text": "Congratulations!\nIt works here too."}]

    item = store.trackback_for(entry=live)
    assert item is not None and not item.is_disabled and item.title == "TrackBack is live"
    pings = store.list_pings(tb_id=item.id)
    assert [p.created_on for p in pings] == ["2003-05-27 22:48:00", "2003-05-28 04:05:09"]
    first = pings[0]
    assert (first.blog_id, first.tb_id, first.visible) == (blog.id, item.id, True)
    assert first.source_url == "http://www.example.org/archives/000042.html"
    assert first.ip == "198.51.100.7" and first.blog_name == "Example Org"
    assert first.excerpt == "I just pinged Melody's entry to see what happens..."
    # ALLOW PINGS 0 without pings: no item at all, as when saved in the editor.
    assert not draft.allow_pings and store.trackback_for(entry=draft) is None


def test_import_reuses_authors_and_categories(store):
    blog = make_blog(store, timezone=9)
    store.save(Author(name="Melody"))
    store.save(Category(blog_id=blog.id, label="Weblogs"))
    other = make_blog(store, name="Other")
    store.save(Category(blog_id=other.id, label="Movable Type"))  # another blog's: not reused
    result = store_entries(store, blog, sample_text())
    assert (result.authors_created, result.categories_created) == (1, 1)
    assert len(store.find(Author, name="Melody")) == 1
    assert len(store.find(Category, blog_id=blog.id)) == 2


def test_import_default_author_and_defaults(store):
    blog = make_blog(store, timezone=-3.5)
    blog.allow_pings_default = False
    store.update(blog)
    text = entry_text("TITLE: no author\nDATE: 01/01/2004 12:00:00 AM\n", "BODY:\nx\n-----\n")
    importer = Author(name="Importer", is_admin=True)
    store.save(importer)
    store_entries(store, blog, text, importer=importer)
    entry = store.find(Entry, blog_id=blog.id)[0]
    assert entry.author_id == importer.id
    assert entry.created_on == "2004-01-01 03:30:00"     # fractional offset
    assert entry.status == "Publish" and entry.convert_breaks == "1"
    assert entry.allow_pings is False                      # the blog's default
    store_entries(store, blog, entry_text("TITLE: nobody\n"))
    nobody = store.find(Entry, blog_id=blog.id, title="nobody")[0]
    assert nobody.author_id is None and nobody.created_on  # time of import


def test_an_import_by_an_author_who_is_not_an_administrator_is_theirs(store):
    blog = make_blog(store)
    admin = Author(name="Admin", is_admin=True)
    writer = Author(name="Writer", is_admin=False)
    store.save(admin)
    store.save(writer)
    text = (entry_text("AUTHOR: Admin\nTITLE: posted by admin?\n") + entry_text("AUTHOR: Admln\nTITLE: new account?\n")
            + entry_text("TITLE: nobody named\n"))
    result = store_entries(store, blog, text, importer=writer)
    assert result.authors_created == 0 and sorted(a.name for a in store.find(Author)) == ["Admin", "Writer"]
    assert {entry.author_id for entry in store.find(Entry, blog_id=blog.id)} == {writer.id}
    # An administrator's import keeps the file's authors, as Movable Type's did.
    other = make_blog(store, name="Other")
    result = store_entries(store, other, text, importer=admin)
    assert result.authors_created == 1
    assert [store.get(Author, entry.author_id).name for entry in store.find(Entry, blog_id=other.id)] == [
        "Admin", "Admln", "Admin"]


def ping_text(url):
    return entry_text("TITLE: t\n", "PING:\nTITLE: p\nURL: %s\nIP: 192.0.2.1\nexcerpt\n-----\n" % url)


@pytest.mark.parametrize("url", ["javascript:alert(document.cookie)", "data:text/html,<script>x</script>",
                                 "JavaScript://example.com/%0aalert(1)", "http://user:pass@example.com/",
                                 "", "http://example.com/" + "x" * 4096])
def test_an_imported_ping_passes_the_url_rules_of_a_received_one(url):
    with pytest.raises(ImportFormatError) as caught:
        parse(ping_text(url))
    assert (caught.value.entry_number, caught.value.line_number) == (1, 5)       # the URL line
    assert "a PING needs an http or https URL" in str(caught.value)


def test_a_ping_without_a_url_names_its_section():
    with pytest.raises(ImportFormatError) as caught:
        parse(entry_text("TITLE: t\n", "PING:\nTITLE: p\n\nexcerpt\n-----\n"))
    assert caught.value.line_number == 3 and "not ''" in str(caught.value)


def test_an_imported_ping_url_is_stored_as_a_received_one_would_be(store):
    blog = make_blog(store)
    with pytest.raises(ImportFormatError):
        store_entries(store, blog, ping_text("javascript:alert(document.cookie)"))
    assert store.find(Entry) == [] and store.find(Ping) == []
    store_entries(store, blog, entry_text("TITLE: t\n", "PING:\nURL: http;//Example.com/a\nx\n-----\n"
                                                          "PING:\nURL: www.example.org/b\ny\n-----\n"))
    assert sorted(ping.source_url for ping in store.find(Ping)) == ["http://Example.com/a", "http://www.example.org/b"]


def test_a_ping_url_an_older_import_stored_is_never_linked(store):
    """Before imports checked ping URLs, a `javascript:` one could be stored:
    `__mode=rss`, `ID.xml` and the weblog's pages show it nowhere as a link."""
    from mtpy.publish.tags import ping_url
    from mtpy.trackback import envelope
    blog = make_blog(store)
    store_entries(store, blog, entry_text("TITLE: t\n", "PING:\nURL: http://ok.example/\nx\n-----\n"))
    [ping] = store.find(Ping)
    ping.source_url = "JavaScript:alert(document.cookie)"
    store.update(ping)
    item = store.get(Trackback, ping.tb_id)
    for for_readers in (False, True):
        feed = envelope.rss(item, store.list_pings(tb_id=item.id), for_readers=for_readers)
        assert "<link></link>" in feed and "alert" not in feed.lower()
    assert ping_url(ping.source_url) == "" and ping_url("http://ok.example/") == "http://ok.example/"


def test_pings_kept_on_entry_that_does_not_allow_pings(store):
    blog = make_blog(store)
    text = entry_text("TITLE: closed\nALLOW PINGS: 0\nDATE: 05/28/2003 07:48:00 AM\n",
                      "PING:\nTITLE: old\nURL: http://a/\nIP: 192.0.2.1\n"
                      "DATE: 05/28/2003 08:00:00 AM\nold ping\n-----\n")
    result = store_entries(store, blog, text)
    assert result.pings == 1
    entry = store.find(Entry, blog_id=blog.id)[0]
    assert entry.allow_pings is False
    item = store.trackback_for(entry=entry)
    assert item.is_disabled
    assert [p.excerpt for p in store.list_pings(tb_id=item.id)] == ["old ping"]
    assert "ALLOW PINGS: 0\n" in export_entries(store, blog)


def test_bad_file_imports_nothing(store):
    blog = make_blog(store)
    text = sample_text() + entry_text("AUTHOR: Newcomer\nCATEGORY: New\nSTATUS: Maybe\n")
    with pytest.raises(ImportFormatError) as caught:
        store_entries(store, blog, text)
    assert caught.value.entry_number == 4
    assert store.find(Entry) == [] and store.find(Author) == []
    assert store.find(Category) == [] and store.list_pings(blog_id=blog.id) == []


def test_an_import_is_one_transaction_that_a_failure_undoes(store, monkeypatch):
    """The import action (`mtpy import`, mt.cgi's Import) writes the entries,
    the activity line and its jobs in one transaction: one commit, and a
    failure after the entries were written (here the activity log) leaves
    nothing of them stored."""
    import mtpy.actions.importing
    from mtpy.actions.importing import import_entries
    blog = make_blog(store, timezone=9)
    commits = []
    real_end = store._end
    monkeypatch.setattr(store, "_end", lambda commit: (commits.append(commit), real_end(commit)))

    def failing_record(*args, **kwargs):
        raise OSError("the activity log cannot be written")
    monkeypatch.setattr(mtpy.actions.importing, "record", failing_record)
    with pytest.raises(OSError):
        import_entries(store, Config(text=""), blog, sample_text())
    assert commits == [False]
    assert store.find(Entry) == [] and store.find(Author) == [] and store.find(Category) == []
    assert store.list_pings(blog_id=blog.id, visible_only=False) == []
    monkeypatch.undo()

    commits = []
    monkeypatch.setattr(store, "_end", lambda commit: (commits.append(commit), real_end(commit)))
    done = import_entries(store, Config(text=""), blog, sample_text())
    assert commits == [True] and done.record.entries == 3 and len(store.find(Entry)) == 3


# -- export -----------------------------------------------------------------

def test_export_format_exactly(store):
    blog = make_blog(store, timezone=9)
    author = Author(name="Melody")
    store.save(author)
    news = Category(blog_id=blog.id, label="News")
    store.save(news)
    entry = Entry(blog_id=blog.id, author_id=author.id, title="Hello", basename="hello",
                  body="Line one\nLine two", keywords="k", created_on="2003-05-27 22:48:00",
                  category_ids=[news.id], allow_comments=True,
                  comments=[{"author": "Ben", "email": "", "url": "http://b/", "ip": "192.0.2.1",
                             "date": "2003-05-28 03:00:00", "text": "Nice."}])
    store.save(entry)
    store.save(Ping(blog_id=blog.id, tb_id=store.trackback_for(entry=entry).id, title="T",
                    source_url="http://p/", ip="192.0.2.2", blog_name="P",
                    excerpt="a <b>b</b> & c", created_on="2003-05-28 15:00:00", visible=False))
    assert export_entries(store, blog) == (
        "AUTHOR: Melody\n"
        "TITLE: Hello\n"
        "BASENAME: hello\n"
        "STATUS: Publish\n"
        "ALLOW COMMENTS: 1\n"
        "ALLOW PINGS: 1\n"
        "CONVERT BREAKS: 1\n"
        "PRIMARY CATEGORY: News\n"
        "CATEGORY: News\n"
        "DATE: 05/28/2003 07:48:00 AM\n"
        "-----\n"
        "BODY:\nLine one\nLine two\n-----\n"
        "EXTENDED BODY:\n\n-----\n"
        "EXCERPT:\n\n-----\n"
        "KEYWORDS:\nk\n-----\n"
        "COMMENT:\nAUTHOR: Ben\nURL: http://b/\nIP: 192.0.2.1\nDATE: 05/28/2003 12:00:00 PM\n"
        "Nice.\n-----\n"
        "PING:\nTITLE: T\nURL: http://p/\nIP: 192.0.2.2\nBLOG NAME: P\n"
        "DATE: 05/29/2003 12:00:00 AM\na <b>b</b> & c\n-----\n"
        "PING STATE:\nMODERATION: held\n-----\n"
        "--------\n")


def test_export_orders_by_date_then_id(store):
    blog = make_blog(store)
    for title, created in (("c", "2004-01-02 00:00:00"), ("a", "2004-01-01 00:00:00"),
                           ("b", "2004-01-01 00:00:00")):
        store.save(Entry(blog_id=blog.id, title=title, created_on=created))
    store.save(Entry(blog_id=make_blog(store).id, title="elsewhere", created_on="2004-01-01 00:00:00"))
    titles = [e["title"] for e in parse(export_entries(store, blog))]
    assert titles == ["a", "b", "c"]


def test_dash_lines_in_text_do_not_break_the_file():
    from mtpy.importexport import _protect, _text
    body = "above\n-----\n--------\n----- \nbelow ---------\n-----x"
    written = _protect(body)
    assert "\n-----\n" not in "\n" + written + "\n"
    assert "\n--------\n" not in "\n" + written + "\n"
    lines = [(n, line) for n, line in enumerate(written.split("\n"))]
    assert _text(lines) == body


# -- round trip -------------------------------------------------------------

def fill_blog(store, blog):
    """A blog with the awkward cases; returns nothing, everything is in the store."""
    mel = Author(name="Mélodie")
    store.save(mel)
    ken = Author(name="健")
    store.save(ken)
    news = Category(blog_id=blog.id, label="News")
    store.save(news)
    nihongo = Category(blog_id=blog.id, label="日本語")
    store.save(nihongo)
    first = Entry(
        blog_id=blog.id, author_id=mel.id, title="Café & <crème>", basename="cafe",
        body="First paragraph.\n\n  Indented line, é.\n-----\nafter five dashes\n--------\nend",
        extended="More\nand more", excerpt="Short é", keywords="café, 日本語",
        created_on="2003-05-28 11:18:00", allow_comments=True, convert_breaks="markdown",
        category_ids=[nihongo.id, news.id],
        comments=[{"author": "Ben", "email": "ben@example.com", "url": "http://b/",
                   "ip": "192.0.2.9", "date": "2003-05-28 12:00:01",
                   "text": "Two lines\nof comment"},
                  {"author": "", "email": "", "url": "", "ip": "",
                   "date": "2003-05-29 00:00:00", "text": "URL: looks like a field"}],
        pinged_urls=["http://told.example/tb/7"],
        notified_links={"http://told.example/post": {"protocol": "webmention", "endpoint": "http://told.example/wm",
                                                      "when": "2003-05-28 11:20:00"},
                        "https://wp.example/?p=1": {"protocol": "pingback", "endpoint": "https://wp.example/xmlrpc.php",
                                                    "when": "2003-05-28 11:20:01"}})
    store.save(first)
    item = store.trackback_for(entry=first)
    for n, (title, excerpt, visible) in enumerate((
            ("日本語のタイトル", "本文 <b>bold</b> & more\nsecond line", True),
            ("Held", "moderated <i>spam</i>?", False))):
        store.save(Ping(blog_id=blog.id, tb_id=item.id, title=title, excerpt=excerpt,
                        source_url="http://ping%d.example.jp/?a=1&b=2" % n, ip="203.0.113.%d" % n,
                        blog_name="ブログ %d" % n, created_on="2003-05-30 0%d:30:00" % n,
                        visible=visible))
    draft = Entry(blog_id=blog.id, author_id=ken.id, title="下書き", body="未完成",
                  status="Draft", allow_pings=False, convert_breaks="0",
                  created_on="2003-05-28 11:18:00")   # same time: ordered by id
    store.save(draft)
    closed = Entry(blog_id=blog.id, author_id=mel.id, title="Closed", body="b",
                   created_on="2002-12-31 23:59:59", category_ids=[news.id])
    store.save(closed)
    store.save(Ping(blog_id=blog.id, tb_id=store.trackback_for(entry=closed).id, title="late",
                    source_url="http://late/", created_on="2003-01-01 00:00:00"))
    closed.allow_pings = False
    store.save(closed)


def snapshot(store, blog):
    """What the format carries, with ids replaced by names."""
    result = []
    for entry in sorted(store.find(Entry, blog_id=blog.id), key=lambda e: (e.created_on, e.id)):
        item = store.trackback_for(entry=entry)
        pings = store.list_pings(tb_id=item.id, visible_only=False) if item else []
        result.append({
            "author": store.get(Author, entry.author_id).name,
            "categories": [store.get(Category, cid).label for cid in entry.category_ids],
            "entry": {name: getattr(entry, name) for name in (
                "title", "basename", "body", "extended", "excerpt", "keywords", "status",
                "allow_comments", "allow_pings", "convert_breaks", "created_on", "comments",
                "pinged_urls", "notified_links")},
            "pings": [(p.title, p.source_url, p.ip, p.blog_name, p.excerpt, p.created_on)
                      for p in pings],
            "item_disabled": item.is_disabled if item else None,
        })
    return result


def open_other_store(tmp_path, backend):
    config = Config(text="ObjectDriver %s\nDataSource %s\n" % (backend, tmp_path / "other"))
    return open_store(config, create=True)


def test_the_pages_an_entry_told_are_exported_in_sections_of_their_own(store):
    """An imported entry neither pings a TrackBack URL again nor forgets whom to
    tell by Pingback or Webmention when it is edited or deleted."""
    blog = make_blog(store)
    fill_blog(store, blog)
    text = export_entries(store, blog)
    assert ("LINK TOLD:\nPAGE: http://told.example/tb/7\nPROTOCOL: trackback\n-----\n"
            "LINK TOLD:\nPAGE: http://told.example/post\nPROTOCOL: webmention\nENDPOINT: http://told.example/wm\n"
            "WHEN: 2003-05-28 11:20:00\n-----\n") in text
    [entry] = [item for item in parse(text) if item["title"] == "Café & <crème>"]
    assert entry["pinged_urls"] == ["http://told.example/tb/7"]
    assert entry["notified_links"]["https://wp.example/?p=1"] == {
        "protocol": "pingback", "endpoint": "https://wp.example/xmlrpc.php", "when": "2003-05-28 11:20:01"}


@pytest.mark.parametrize("section, words", [
    ("LINK TOLD:\nPAGE: javascript:alert(1)\n", "PAGE that is an http or https URL"),
    ("LINK TOLD:\nPROTOCOL: webmention\n", "PAGE that is an http or https URL"),
    ("LINK TOLD:\nPAGE: http://a/\nPROTOCOL: carrier-pigeon\n", "unknown PROTOCOL"),
    ("LINK TOLD:\nPAGE: http://a/\nPROTOCOL: pingback\nENDPOINT: file:///etc/passwd\n", "ENDPOINT must be"),
    ("LINK TOLD:\nPAGE: http://a/\nPROTOCOL: pingback\nWHEN: yesterday\n", "bad WHEN"),
])
def test_a_bad_link_told_section_names_its_entry_and_line(section, words):
    with pytest.raises(ImportFormatError) as raised:
        parse("TITLE: t\n-----\nBODY:\nb\n-----\n" + section + "-----\n--------\n")
    assert words in str(raised.value) and raised.value.entry_number == 1 and raised.value.line_number >= 6


def test_round_trip(store, tmp_path, backend):
    blog = make_blog(store, timezone=-3.5)
    fill_blog(store, blog)
    text = export_entries(store, blog)
    assert "\r" not in text and text.endswith("-----\n--------\n")

    # Into a new blog of the same store: authors are found again, categories are new.
    copy = make_blog(store, timezone=-3.5, name="Copy")
    result = store_entries(store, copy, text)
    assert result.as_dict() == {"entries": 3, "pings": 3, "comments": 2,
                                "authors_created": 0, "categories_created": 2}
    expected = snapshot(store, blog)
    assert snapshot(store, copy) == expected
    assert export_entries(store, copy) == text

    # Into an empty store: everything is created.
    other = open_other_store(tmp_path, backend)
    try:
        fresh = make_blog(other, timezone=-3.5)
        result = store_entries(other, fresh, text.replace("\n", "\r\n"))
        assert (result.authors_created, result.categories_created) == (2, 2)
        assert snapshot(other, fresh) == expected
        assert export_entries(other, fresh) == text
        # Each ping keeps its state: the held one stays held.
        assert len(other.list_pings(blog_id=fresh.id)) == 2
    finally:
        other.close()
