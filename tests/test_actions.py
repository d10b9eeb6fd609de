"""The rules of changing a weblog (mtpy.actions), on every backend: refusals
change nothing, each save queues the republishing it needs, a change of pings
reaches every place that shows them, permissions, sessions, the activity log."""

import io
import os

import pytest

from mtpy.actions import ActionError
from mtpy.actions import authors, bans, categories, entries, pings, weblogs
from mtpy.actions.rebuild import rebuild_all
from mtpy.config import Config
from mtpy import urls
from mtpy.models import Activity, Author, Blog, Category, Entry, IPBan, Job, Ping, Session, Trackback
from mtpy.work import run_jobs


def activity(store, kind):
    return [line.message for line in store.find(Activity, kind=kind)]


def queued(store):
    return sorted((job.kind, tuple(sorted(job.payload.items()))) for job in store.find(Job))


def refused(field, call, *args, **kwargs):
    with pytest.raises(ActionError) as raised:
        call(*args, **kwargs)
    assert raised.value.field == field, raised.value.message
    return raised.value.message


@pytest.fixture
def config(tmp_path):
    return Config(text="CGIPath http://example.com/cgi-bin/\n")


@pytest.fixture
def published(site):
    """The installed weblog, built once: changes republish it."""
    store = site.store()
    rebuild_all(store, site.config, site.blog)
    assert os.path.exists(os.path.join(site.archives, "index.html"))
    yield site, store
    store.close()


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


# -- weblogs ----------------------------------------------------------------------

def test_create_weblog_normalises_and_refuses_bad_values(store, config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for field, values in (("timezone", {"timezone": 14.5}), ("timezone", {"timezone": "east"}),
                          ("site_url", {"site_url": "ftp://example.com/"}),
                          ("archive_url", {"archive_url": "http:///nohost"}), ("colour", {"colour": "red"}),
                          ("site_url", {"site_url": 'http://x.example/"><script>alert(1)</script>'}),
                          ("archive_url", {"archive_url": "http://x.example/'onmouseover='alert(1)"})):
        refused(field, weblogs.create_weblog, store, config, dict(values, name="Bad"))
    assert store.find(Blog) == [] and store.find(Activity) == []
    done = weblogs.create_weblog(store, config, {"name": " Mine ", "site_url": "http://example.com/~me",
                                                 "site_path": "site", "timezone": "-3.5"})
    blog = store.get(Blog, done.record.id)
    assert (blog.name, blog.site_url, blog.archive_url) == ("Mine", "http://example.com/~me/", "http://example.com/~me/")
    assert blog.site_path == blog.archive_path == str(tmp_path / "site") and blog.timezone == -3.5
    assert done.job_ids == [] and activity(store, "settings") == ["Created weblog %d: Mine" % blog.id]


def test_a_new_weblog_tells_the_pages_it_links_to_unless_asked_not(store, config, tmp_path, monkeypatch):
    """As WordPress pings every page a post links to: on for a new weblog
    (a weblog made before keeps its setting: the model's default is off)."""
    monkeypatch.chdir(tmp_path)
    told = weblogs.create_weblog(store, config, {"name": "Told", "site_url": "http://example.com/a/",
                                                 "site_path": "a"}).record
    quiet = weblogs.create_weblog(store, config, {"name": "Quiet", "site_url": "http://example.com/b/", "site_path": "b",
                                                  "autodiscover_links": False}).record
    assert store.get(Blog, told.id).autodiscover_links is True
    assert store.get(Blog, quiet.id).autodiscover_links is False and Blog().autodiscover_links is False


def test_create_weblog_without_templates_is_refused(store, tmp_path):
    config = Config(text="TemplatePath %s\n" % (tmp_path / "missing"))
    with pytest.raises(ActionError) as raised:
        weblogs.create_weblog(store, config, {"name": "Never"})
    assert "TemplatePath" in raised.value.message and store.find(Blog) == []


def test_change_weblog_items_follow_and_rebuild_is_queued(published):
    site, store = published
    refused("timezone", weblogs.change_weblog, store, site.config, site.blog, {"timezone": -13})
    assert store.get(Blog, site.blog.id) == site.blog and store.find(Job) == []
    quiet = weblogs.change_weblog(store, site.config, site.blog, {"email_new_pings": True})
    assert quiet.changed == ["email_new_pings"] and quiet.job_ids == []   # no page shows it
    moved = weblogs.change_weblog(store, site.config, store.get(Blog, site.blog.id),
                                  {"archive_url": "http://moved.example/a", "name": "Renamed"})
    assert moved.changed == ["archive_url", "name"]
    assert store.trackback_for(entry=site.entry).url == "http://moved.example/a/%06d.html" % site.entry.id
    assert queued(store) == [("rebuild_weblog", (("blog_id", site.blog.id),))]
    assert run_jobs(store, site.config, moved.job_ids) == (1, 0)
    assert "Renamed" in read(os.path.join(site.archives, "index.html"))
    assert activity(store, "settings") == ["E-mail me when a new ping arrives: on",
                                           "Weblog name: Renamed; Archive URL: http://moved.example/a/"]


def test_weblog_folders_are_an_administrators_and_apart_from_every_other(store, tmp_path):
    config = Config(str(tmp_path / "cgi-bin" / "mt.cfg"), text="")
    first = weblogs.create_weblog(store, config, {"name": "One", "site_path": str(tmp_path / "one")}).record
    writer = Author(name="Writer", is_admin=False)
    store.save(writer)
    message = refused("site_path", weblogs.change_weblog, store, config, first, {"site_path": str(tmp_path / "two")},
                      author=writer)
    assert message == "Only a system administrator chooses where a weblog is published."
    assert weblogs.change_weblog(store, config, first, {"site_path": str(tmp_path / "one"), "name": "Same"},
                                 author=writer).changed == ["name"]          # the folder as it was: no change
    # The owner's `mtpy` (no author) and administrators: never another weblog's folder, nor mtpy's.
    for folder in (tmp_path / "one", tmp_path / "one" / "archives", tmp_path, tmp_path / "data" / "x",
                   tmp_path / "cgi-bin", tmp_path / "tmpl"):
        refused("site_path", weblogs.create_weblog, store, config, {"name": "Two", "site_path": str(folder)})
    assert [blog.name for blog in store.find(Blog)] == ["Same"]
    refused("site_path", weblogs.check_folders, None, config, {"site_path": str(tmp_path / "data")})  # set-up
    second = weblogs.create_weblog(store, config, {"name": "Two", "site_path": str(tmp_path / "two")}).record
    refused("archive_path", weblogs.change_weblog, store, config, second, {"archive_path": str(tmp_path / "one")})
    assert store.get(Blog, second.id).archive_path == str(tmp_path / "two")


# -- entries ----------------------------------------------------------------------

def test_entry_refusals_change_nothing(published):
    site, store = published
    other = Category(blog_id=site.blog.id + 1, label="Elsewhere")
    store.save(other)
    before = store.get(Entry, site.entry.id)
    for field, values in (("title", {"title": "  "}), ("status", {"status": "Published"}),
                          ("created_on", {"created_on": "24/11/2026 10:00"}),
                          ("category_ids", {"category_ids": [other.id]}),
                          ("to_ping_urls", {"to_ping_urls": "http://ok.example/\nftp://no.example/"}),
                          ("author_id", {"author_id": 9})):
        refused(field, entries.save_entry, store, site.config, site.blog, before, values)
        refused(field, entries.save_entry, store, site.config, site.blog, None, dict({"title": "New"}, **values))
    assert store.get(Entry, site.entry.id) == before and len(store.find(Entry)) == 1
    assert store.find(Job) == []


def test_what_each_entry_save_queues(published):
    site, store = published
    blog = store.get(Blog, site.blog.id)
    blog.timezone = 9.0
    store.save(blog)
    mine = Category(blog_id=blog.id, label="Mine")
    store.save(mine)
    new = entries.save_entry(store, site.config, blog, None, {
        "title": "Brand new", "body": "<p>x</p>", "created_on": "2026-11-25 18:00:00",
        "category_ids": [str(mine.id)]}, author=site.author)
    entry = store.get(Entry, new.record.id)
    assert entry.created_on == "2026-11-25 09:00:00" and entry.category_ids == [mine.id]   # local time to UTC
    assert entry.author_id == site.author.id
    assert queued(store) == [("rebuild_weblog", (("blog_id", blog.id),))]
    assert run_jobs(store, site.config, new.job_ids) == (1, 0)
    assert "Brand new" in read(os.path.join(site.archives, "index.html"))

    edit = entries.save_entry(store, site.config, blog, entry, {"body": "<p>Changed words</p>"})
    assert edit.changed == ["body"] and queued(store) == [("republish_entry", (("entry_id", entry.id),))]
    run_jobs(store, site.config, edit.job_ids)
    assert "Changed words" in read(os.path.join(site.archives, "%06d.html" % entry.id))
    for values in ({"title": "Retitled"}, {"created_on": "2026-11-26 10:00:00"}, {"category_ids": []},
                   {"status": "Draft"}):
        entry = store.get(Entry, entry.id)
        done = entries.save_entry(store, site.config, blog, entry, values)
        assert [store.get(Job, job_id).kind for job_id in done.job_ids] == ["rebuild_weblog"], values
        run_jobs(store, site.config, done.job_ids)
    assert "Retitled" not in read(os.path.join(site.archives, "index.html"))      # a draft leaves the index
    assert entries.save_entry(store, site.config, blog, store.get(Entry, entry.id), {"title": "Retitled"}).job_ids == []
    # A draft is on no page: changing it, or saving a new one, republishes nothing.
    assert entries.save_entry(store, site.config, blog, store.get(Entry, entry.id),
                              {"title": "Draft again", "category_ids": [str(mine.id)]}).job_ids == []
    assert entries.save_entry(store, site.config, blog, None, {"title": "New draft", "status": "Draft"}).job_ids == []


def test_urls_to_ping_are_one_a_line(site):
    store = site.store()
    done = entries.save_entry(store, site.config, site.blog, None, {
        "title": "Kept", "status": "Draft", "to_ping_urls": "http://a.example/tb\n\n https://b.example/tb \n"})
    assert store.get(Entry, done.record.id).to_ping_urls == ["http://a.example/tb", "https://b.example/tb"]
    assert done.job_ids == []       # a draft pings nothing (sending: test_sending.py)
    store.close()


def test_an_unbuilt_weblog_is_not_republished(site):
    store = site.store()
    done = entries.save_entry(store, site.config, site.blog, None, {"title": "Quiet"})
    assert done.job_ids == [] and store.find(Job) == []
    assert store.get(Entry, done.record.id).allow_pings == site.blog.allow_pings_default
    store.close()


def test_delete_entry_logs_and_rebuilds(published):
    site, store = published
    done = entries.delete_entry(store, site.config, site.blog, site.entry, author=site.author, ip="192.0.2.1")
    assert store.get(Entry, site.entry.id) is None and store.find(Trackback, entry_id=site.entry.id) == []
    [line] = store.find(Activity, kind="delete")
    assert (line.author_id, line.ip, line.blog_id) == (site.author.id, "192.0.2.1", site.blog.id)
    assert "Hello <World> & Co" in line.message
    run_jobs(store, site.config, done.job_ids)
    assert "Hello &lt;World&gt;" not in read(os.path.join(site.archives, "index.html"))


# -- categories ---------------------------------------------------------------------

def test_category_rules_and_ping_url(store, config):
    blog = Blog(name="B")
    store.save(blog)
    refused("label", categories.save_category, store, config, blog, None, {"label": " "})
    first = categories.save_category(store, config, blog, None, {
        "label": "Perl", "allow_pings": "1", "passphrase": "s3", "ping_urls": "http://agg.example/tb"}).record
    refused("label", categories.save_category, store, config, blog, None, {"label": "Perl"})
    refused("ping_urls", categories.save_category, store, config, blog, first, {"ping_urls": ["mailto:x@y"]})
    assert [c.label for c in store.find(Category)] == ["Perl"]
    assert store.get(Category, first.id).ping_urls == ["http://agg.example/tb"]
    item = store.trackback_for(category=first)
    assert urls.category_ping_url(config, item, first, blog) == \
        "http://example.com/cgi-bin/mt-tb.cgi/%d/s3" % item.id
    refused("passphrase", categories.save_category, store, config, blog, first, {"passphrase": "a/b"})
    spaced = categories.save_category(store, config, blog, first, {"passphrase": "open sesame%"}).record
    assert urls.category_ping_url(config, item, spaced, blog).endswith("/%d/open%%20sesame%%25" % item.id)
    first = categories.save_category(store, config, blog, spaced, {"passphrase": "s3"}).record
    entry = Entry(blog_id=blog.id, title="Filed", category_ids=[first.id])
    store.save(entry)
    categories.delete_category(store, config, blog, first)
    assert store.find(Category) == [] and store.get(Entry, entry.id).category_ids == []
    assert store.find(Trackback, category_id=first.id) == []
    assert activity(store, "delete") == ["Deleted category %d: Perl" % first.id]


def test_a_long_category_label_is_refused_and_a_stored_one_still_publishes(published):
    """A label is 100 characters at most; a longer one that an import or an
    older release stored gets a file name cut to fit, so the rebuild still
    writes every page (300 characters gave a name too long for the disk)."""
    site, store = published
    refused("label", categories.save_category, store, site.config, site.blog, None, {"label": "x" * 101})
    assert categories.save_category(store, site.config, site.blog, None, {"label": "y" * 100}).record.id
    long = Category(blog_id=site.blog.id, label="Zed " * 75)
    store.save(long)
    store.save(Entry(blog_id=site.blog.id, title="Filed", status="Publish", category_ids=[long.id],
                     created_on="2026-03-01 12:00:00"))
    rebuild_all(store, site.config, site.blog)
    name = "cat_" + "_".join(["zed"] * 25) + ".html"
    assert os.path.exists(os.path.join(site.archives, name)) and len(name) < 255



def test_a_passphrase_or_the_pings_switch_of_a_category_republishes_its_pages(published):
    """The sidebar and the archive show a category's ping URL only while it takes
    pings without a passphrase: changing either queues a rebuild, as a new label does."""
    site, store = published
    category = categories.save_category(store, site.config, site.blog, None,
                                        {"label": "Links", "allow_pings": "1"}).record
    for values in ({"passphrase": "sesame"}, {"passphrase": ""}, {"allow_pings": "0"}):
        done = categories.save_category(store, site.config, site.blog, store.get(Category, category.id), values)
        assert [store.get(Job, job_id).kind for job_id in done.job_ids] == ["rebuild_weblog"], values
    unchanged = categories.save_category(store, site.config, site.blog, store.get(Category, category.id),
                                         {"allow_pings": "0"})
    assert unchanged.job_ids == []

# -- bans ---------------------------------------------------------------------------

def test_bans_are_checked_and_logged(store):
    blog = Blog(name="B")
    store.save(blog)
    refused("address", bans.add_ban, store, blog, "192.168.*")
    refused("address", bans.remove_ban, store, blog, "10.0.0.1")
    assert store.find(IPBan) == [] and store.find(Activity) == []
    author = Author(name="Melody")
    store.save(author)
    bans.add_ban(store, blog, " 10.0.0.0/8 ", author=author, ip="192.0.2.9")
    assert bans.add_ban(store, blog, "10.0.0.0/8").changed == []     # already banned
    assert [ban.ip for ban in store.find(IPBan)] == ["10.0.0.0/8"]
    bans.remove_ban(store, blog, "10.0.0.0/8")
    assert store.find(IPBan) == []
    assert [(line.kind, line.author_name, line.ip) for line in store.find(Activity)] == [
        ("ban", "Melody", "192.0.2.9"), ("unban", "", "")]


# -- pings ---------------------------------------------------------------------------

def add_ping(store, site, title, visible=True, ip="198.51.100.7"):
    ping = Ping(blog_id=site.blog.id, tb_id=site.item.id, title=title, source_url="http://%s.example/" % title,
                ip=ip, created_on="2026-11-25 10:00:00", visible=visible)
    store.insert(ping)
    return ping


def trackback_get(site, query):
    from mtpy.apps.trackback import TrackbackApp
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": query, "PATH_INFO": "", "REMOTE_ADDR": "127.0.0.1",
               "wsgi.input": io.BytesIO(b""), "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80"}
    return b"".join(TrackbackApp(site.config)(environ, lambda status, headers, info=None: None)).decode("utf-8")


def test_deleted_ping_is_gone_from_every_place_that_showed_it(published):
    site, store = published
    kept = add_ping(store, site, "keeper")
    gone = add_ping(store, site, "victim")
    shown = pings.pings_changed(store, site.config, site.blog, [site.item.id])
    run_jobs(store, site.config, shown)
    page = os.path.join(site.archives, "%06d.html" % site.entry.id)
    feed = os.path.join(site.archives, "%d.xml" % site.item.id)
    popup = os.path.join(site.config.get("DataSource"), "cache", "listings", "blog-1-entry-1.html")
    for text in (read(page), read(feed), read(popup)):
        assert "victim" in text and "keeper" in text
    refused("ping_ids", pings.delete_pings, store, site.config, site.blog, [gone.id, 99999])
    assert store.get(Ping, gone.id) is not None and store.find(Job) == []

    done = pings.delete_pings(store, site.config, site.blog, [gone.id], author=site.author)
    assert "victim" not in read(feed) and "keeper" in read(feed)          # in the action's transaction
    assert queued(store) == [("republish_pings", (("entry_id", site.entry.id),))]
    assert run_jobs(store, site.config, done.job_ids) == (1, 0)
    for text in (read(page), read(popup), trackback_get(site, "__mode=rss&tb_id=%d" % site.item.id),
                 trackback_get(site, "__mode=view&entry_id=%d" % site.entry.id)):
        assert "victim" not in text and "keeper" in text
    assert activity(store, "delete") == ["Deleted 1 ping: http://victim.example/"]


def test_release_and_ban_sender(published):
    site, store = published
    held = add_ping(store, site, "held", visible=False)
    shown = add_ping(store, site, "shown")
    refused("ping_ids", pings.approve_pings, store, site.config, site.blog, [held.id, shown.id])
    assert not store.get(Ping, held.id).visible
    done = pings.approve_pings(store, site.config, site.blog, [held.id])
    assert store.get(Ping, held.id).visible and done.changed == [held.id]
    run_jobs(store, site.config, done.job_ids)
    assert "held" in read(os.path.join(site.archives, "%06d.html" % site.entry.id))
    pings.ban_sender(store, site.blog, held)
    assert [(ban.ip, ban.note) for ban in store.find(IPBan, blog_id=site.blog.id)] == [
        ("198.51.100.7", "Sent the ping \u201cheld\u201d")]
    assert [line.kind for line in store.find(Activity)] == ["rebuild", "release", "ban"]


def test_received_pings_and_bounded_refusals_are_logged(site):
    from mtpy.actions.receive import PingRejected, receive
    from mtpy.apps.trackback import incoming_ping
    site.update_config("OneHourMaxPingsPerIP 1\n")
    store = site.store()
    ping, _ = receive(store, site.config, incoming_ping(str(site.item.id), "",
                                                        {"url": "http://a.example/", "title": "Hi"}, "203.0.113.5"))
    for number in range(5):      # a flood over the throttle: one line
        with pytest.raises(PingRejected):
            receive(store, site.config, incoming_ping(str(site.item.id), "",
                                                      {"url": "http://b%d.example/" % number}, "203.0.113.5"))
    with pytest.raises(PingRejected):
        receive(store, site.config, incoming_ping("nonsense", "", {"url": "http://c.example/"}, "203.0.113.6"))
    assert [(line.kind, line.ip, line.blog_id) for line in store.find(Activity)] == [
        ("ping", "203.0.113.5", site.blog.id), ("ping_refused", "203.0.113.5", site.blog.id),
        ("ping_refused", "203.0.113.6", None)]
    messages = [line.message for line in store.find(Activity)]
    assert messages[0] == "Ping from http://a.example/: Hi"
    assert "too quickly" in messages[1] and "http://b0.example/" in messages[1]
    assert "Invalid TrackBack ID" in messages[2]
    store.close()


def test_a_waiting_republish_takes_new_pings_along(site):
    store = site.store()
    first = add_ping(store, site, "one")
    [job_id] = pings.pings_changed(store, site.config, site.blog, [site.item.id], new_ping=first)
    assert store.get(Job, job_id).payload == {"entry_id": site.entry.id, "ping_id": first.id}
    second = add_ping(store, site, "two")
    assert pings.pings_changed(store, site.config, site.blog, [site.item.id], new_ping=second) == []
    assert len(pings.pings_changed(store, site.config, site.blog, [site.item.id])) == 1   # an owner's change
    store.close()


# -- authors ---------------------------------------------------------------------------

def test_create_author_and_authenticate(store):
    for field, args in (("name", ("", "a@example.com", "long enough")),
                        ("email", ("Ann", "not-an-address", "long enough")),
                        ("password", ("Ann", "a@example.com", "short"))):
        refused(field, authors.create_author, store, *args)
    assert store.find(Author) == []
    ann = authors.create_author(store, "Ann", "a@example.com", "long enough").record
    refused("name", authors.create_author, store, "Ann", "b@example.com", "long enough")
    assert authors.authenticate(store, "Ann", "long enough") == store.get(Author, ann.id)
    assert authors.authenticate(store, "Ann", "wrong one!") is None
    assert authors.authenticate(store, "Nobody", "long enough") is None
    assert activity(store, "author") == ["Created author Ann"]


def test_permissions(store):
    blog, other = Blog(name="B"), Blog(name="O")
    store.save(blog)
    store.save(other)
    admin = authors.create_author(store, "Root", "r@example.com", "long enough", is_admin=True).record
    ann = authors.create_author(store, "Ann", "a@example.com", "long enough").record
    assert [name for name, _ in authors.PERMISSIONS] == ["post", "edit_all", "categories", "templates",
                                                         "settings", "bans", "unfiltered_html"]
    refused("can", authors.set_permissions, store, ann, blog, ["post", "fly"])
    assert not authors.may(store, ann, blog, "post") and authors.weblogs_of(store, ann) == []
    authors.set_permissions(store, ann, blog, ["bans", "post"], by=admin)
    assert authors.may(store, ann, blog, "post") and authors.may(store, ann, blog, "bans")
    assert not authors.may(store, ann, blog, "settings") and not authors.may(store, ann, other, "post")
    assert [b.id for b in authors.weblogs_of(store, ann)] == [blog.id]
    assert authors.may(store, admin, other, "templates") and len(authors.weblogs_of(store, admin)) == 2
    authors.set_permissions(store, ann, blog, [])
    assert authors.weblogs_of(store, ann) == [] and not authors.may(store, ann, blog, "post")
    assert activity(store, "author")[-2:] == ["Ann may in this weblog: post entries and edit their own; ip bans", "Ann may in this weblog: nothing"]
    refused("is_admin", authors.set_admin, store, admin, False, by=admin)
    authors.set_admin(store, ann, True, by=admin)
    assert store.get(Author, ann.id).is_admin and authors.may(store, store.get(Author, ann.id), other, "bans")
    authors.set_admin(store, admin, False, by=store.get(Author, ann.id))
    assert not store.get(Author, admin.id).is_admin
    assert activity(store, "author")[-2:] == ["Ann is now a system administrator",
                                              "Root is no longer a system administrator"]


def test_password_change_ends_other_sessions(store):
    ann = authors.create_author(store, "Ann", "a@example.com", "long enough").record
    here, there = Session(author_id=ann.id, token_hash="a"), Session(author_id=ann.id, token_hash="b")
    store.insert(here)
    store.insert(there)
    refused("old_password", authors.change_password, store, ann, "wrong", "a new password", here.id)
    refused("password", authors.change_password, store, ann, "long enough", "short", here.id)
    assert len(store.find(Session, author_id=ann.id)) == 2
    done = authors.change_password(store, ann, "long enough", "a new password", keep_session_id=here.id)
    assert [session.id for session in store.find(Session, author_id=ann.id)] == [here.id]
    assert authors.authenticate(store, "Ann", "a new password") == done.record
    assert authors.authenticate(store, "Ann", "long enough") is None
