"""Upgrades without a shell: a store made by the previous release (schema
version 7) is refused as it is, upgraded through mt.cgi's upgrade page (or
`mtpy upgrade`) after a copy of it is made, and keeps every entry and ping;
meanwhile mt-tb.cgi turns pings away. A store newer than the code is refused by
every script, without a 500."""

import io
import json
import os
import sqlite3
import threading
import urllib.parse

from conftest import ADMIN_PASSWORD, Site, http, new_store_directives, start_lighttpd
from mtpy.config import Config
from mtpy.models import Activity, Author, Blog, Entry, Ping, Trackback
from mtpy.store import SCHEMA_CHANGES, SCHEMA_VERSION, open_store

PREVIOUS = 7     # the schema version of the release before this one

# The previous release's rows, as its schema had them (table, columns, rows).
V7_ROWS = [
    ("author", ("id", "name", "email", "password_hash", "is_admin"),
     [(1, "Melody", "melody@example.com", "HASH", True), (2, "Writer", "w@example.com", "HASH", False)]),
    ("blog", ("id", "name", "description", "site_path", "site_url", "archive_path", "archive_url", "timezone",
              "email_new_pings", "allow_pings_default", "hold_over_limit", "autodiscover_links", "update_ping_urls"),
     [(1, "Old Weblog", "", "SITE_PATH", "SITE_URL", "SITE_PATH", "SITE_URL", -5.0, False, True, False, True,
       '["http://rpc.example/"]')]),
    ("entry", ("id", "blog_id", "author_id", "title", "body", "extended", "excerpt", "keywords", "basename",
               "status", "created_on", "allow_pings", "allow_comments", "convert_breaks", "to_ping_urls",
               "pinged_urls", "category_ids", "comments", "ping_failures"),
     [(1, 1, 1, "Written before the upgrade", "<p>One</p>", "", "", "", "", "Publish", "2026-11-01 10:00:00",
       True, False, "1", "[]", '["http://x.example/tb"]', "[]", "[]", "{}"),
      (2, 1, 2, "A draft, née 7", "Two", "", "", "", "", "Draft", "2026-11-02 10:00:00",
       True, False, "1", "[]", "[]", "[]", "[]", "{}")]),
    ("trackback", ("id", "blog_id", "entry_id", "title", "description", "url", "passphrase", "is_disabled"),
     [(1, 1, 1, "Written before the upgrade", "One...", "SITE_URL000001.html", "", False),
      (2, 1, 2, "A draft, née 7", "Two...", "SITE_URL000002.html", "", False)]),
    ("tbping", ("id", "blog_id", "tb_id", "title", "excerpt", "source_url", "ip", "blog_name", "created_on",
                "visible"),
     [(1, 1, 1, "Shown", "An excerpt", "http://a.example/1", "198.51.100.1", "A", "2026-11-03 10:00:00", True),
      (2, 1, 1, "Held", "Held back", "http://b.example/2", "198.51.100.2", "B", "2026-11-03 11:00:00", False),
      (3, 1, 2, "On the draft", "Three", "http://c.example/3", "198.51.100.3", "C", "2026-11-03 12:00:00", True)]),
]


def v7_rows(site_path, site_url, password_hash):
    def value(text):
        if not isinstance(text, str):
            return text
        return password_hash if text == "HASH" else text.replace("SITE_PATH", site_path).replace("SITE_URL", site_url)
    return [(table, columns, [tuple(value(item) for item in row) for row in rows]) for table, columns, rows in V7_ROWS]


def make_v7_store(config, backend, site_path="/tmp/none", site_url="http://127.0.0.1/", password_hash=""):
    """The store the previous release made: its first 7 migrations, then its
    rows in SQL (a flat store: its record files, and its marker without a
    schema version)."""
    rows = v7_rows(site_path, site_url, password_hash)
    if backend == "flat":
        from mtpy.store import flat
        store = open_store(config, create=True)
        kinds = {"author": Author, "blog": Blog, "entry": Entry, "trackback": Trackback, "tbping": Ping}
        for table, columns, values in rows:
            for row in values:
                record = dict(zip(columns, row))
                for name in ("update_ping_urls", "to_ping_urls", "pinged_urls", "category_ids", "comments",
                             "ping_failures"):
                    if name in record:
                        record[name] = json.loads(record[name])
                store.insert(kinds[table](**record))
        store.close()
        marker = os.path.join(config.get("DataSource"), flat.MARKER)
        with open(marker, "w") as handle:
            handle.write(flat.MARKER_TEXT.replace("schema version: %d\n" % SCHEMA_VERSION, ""))
        return
    if backend == "sqlite":
        from mtpy.store import sqlite as module
        os.makedirs(config.get("DataSource"), exist_ok=True)
        db = sqlite3.connect(os.path.join(config.get("DataSource"), "mtpy.db"), isolation_level=None)
        param, version = "?", "PRAGMA user_version = %d" % PREVIOUS
    else:
        import psycopg
        from mtpy.store import postgres as module
        db = psycopg.connect(host=config.get("DBHost"), port=config.get("DBPort"), user=config.get("DBUser"),
                             dbname=config.get("Database"), autocommit=True)
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (0)")
        param, version = "%s", "UPDATE schema_version SET version = %d" % PREVIOUS
    for step in module.MIGRATIONS[:PREVIOUS]:
        for statement in step:
            db.execute(statement)
    db.execute(version)
    for table, columns, values in rows:
        for row in values:
            db.execute("INSERT INTO %s (%s) VALUES (%s)" % (table, ", ".join(columns), ", ".join([param] * len(row))),
                       row)
        if backend == "postgres":
            db.execute("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT max(id) FROM %s))" % (table, table))
    db.close()


def assert_v7_records_kept(store):
    entries = {entry.id: (entry.title, entry.status, entry.pinged_urls) for entry in store.find(Entry)}
    assert entries == {1: ("Written before the upgrade", "Publish", ["http://x.example/tb"]),
                       2: ("A draft, née 7", "Draft", [])}
    pings = [(ping.id, ping.tb_id, ping.title, ping.source_url, ping.visible, ping.junk)
             for ping in store.list_pings(visible_only=False)]
    assert pings == [(1, 1, "Shown", "http://a.example/1", True, False),
                     (2, 1, "Held", "http://b.example/2", False, False),
                     (3, 2, "On the draft", "http://c.example/3", True, False)]
    [blog] = store.find(Blog)
    assert (blog.timezone, blog.update_ping_urls, blog.moderate_pings, blog.accept_pings) == (
        -5.0, ["http://rpc.example/"], "none", True)
    assert [(author.name, author.is_admin) for author in store.find(Author)] == [("Melody", True), ("Writer", False)]


def test_a_store_of_the_previous_release_is_upgraded_through_mt_cgi(tmp_path):
    """The issue's upgrade test, through lighttpd: the upgrade page, mt-tb.cgi
    meanwhile, the upgrade with its copy, then a store made newer refused by
    every script."""
    from support.client import CMSClient
    from markupsafe import escape
    from mtpy.passwords import hash_password
    site = Site(tmp_path / "site", "sqlite")
    data = site.config.get("DataSource")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(os.path.join(data, "mtpy.db" + suffix)):
            os.unlink(os.path.join(data, "mtpy.db" + suffix))
    make_v7_store(site.config, "sqlite", site.archives, site.base, hash_password(ADMIN_PASSWORD))
    ping = urllib.parse.urlencode({"url": "http://new.example/", "title": "Sent during the upgrade"}).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    process = start_lighttpd(site)
    try:
        client = CMSClient(site.base)
        for mode in ("dashboard", "login", "entries"):    # every screen leads to the upgrade page
            page = client.get(mode, blog_id=1)
            assert page.status == 200 and "__mode=upgrade" in page.url, (mode, page.url)
        assert "Time to upgrade" in page.text and "schema version 7" in page.text
        assert str(escape(SCHEMA_CHANGES[7])) in page.text and str(escape(SCHEMA_CHANGES[6])) not in page.text

        answer = http(site.ping_url(), data=ping, headers=form)     # turned away, nothing stored
        assert answer.status == 200 and b"<error>1</error>" in answer.body
        assert b"This weblog is being upgraded; please try again later." in answer.body

        refused = client.post("upgrade", {"username": "Writer", "password": ADMIN_PASSWORD})
        assert refused.status == 403 and "Only a system administrator can upgrade" in refused.text
        refused = client.post("upgrade", {"username": "Melody", "password": "wrong"})
        assert refused.status == 403 and "Invalid login" in refused.text
        db = sqlite3.connect(os.path.join(data, "mtpy.db"))
        assert db.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS
        assert db.execute("SELECT COUNT(*) FROM tbping").fetchone()[0] == 3
        db.close()

        done = client.post("upgrade", {"username": "Melody", "password": ADMIN_PASSWORD})
        assert done.status == 200 and "Upgrade complete" in done.text, done.text[:2000]
        assert "from schema version 7 to %d" % SCHEMA_VERSION in done.text and "Log out" in done.text   # logged in
        [backup] = os.listdir(os.path.join(data, "backups"))
        assert backup.startswith("mtpy-") and backup.endswith("-schema7.db")
        assert os.path.join(data, "backups", backup) in done.text
        assert "Written before the upgrade" in client.get("entries", blog_id=1).text
        assert client.get("upgrade").url.endswith("__mode=dashboard")      # nothing left to do

        store = site.store()
        try:
            assert store.schema_version == SCHEMA_VERSION
            assert_v7_records_kept(store)
            [line] = store.find(Activity, kind="upgrade")        # the activity log says who and when
            assert "from schema version 7 to %d" % SCHEMA_VERSION in line.message and line.author_name == site.author.name
        finally:
            store.close()
        copy = sqlite3.connect(os.path.join(data, "backups", backup))     # the store as it was
        assert copy.execute("PRAGMA user_version").fetchone()[0] == PREVIOUS
        assert copy.execute("SELECT COUNT(*) FROM entry").fetchone()[0] == 2
        assert copy.execute("SELECT COUNT(*) FROM tbping").fetchone()[0] == 3
        copy.close()
        assert b"<error>0</error>" in http(site.ping_url(), data=ping, headers=form).body

        db = sqlite3.connect(os.path.join(data, "mtpy.db"))    # now made newer than this mtpy
        db.execute("PRAGMA user_version = %d" % (SCHEMA_VERSION + 1))
        db.close()
        page = client.get("dashboard")
        assert page.status == 503 and "newer version of mtpy" in page.text and "Traceback" not in page.text
        answer = http(site.ping_url(), data=ping, headers=form)
        assert answer.status == 200 and b"<error>1</error>" in answer.body and b"try again later" in answer.body
        check = http(site.base + "cgi-bin/mt-check.cgi")
        assert check.status == 200 and b"Traceback" not in check.body
        with open(os.path.join(site.folder, "mtpy.log")) as log:
            assert "made by a newer mtpy (schema version %d" % (SCHEMA_VERSION + 1) in log.read()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_upgrades_at_once_upgrade_once(tmp_path, backend):
    config = Config(text="ObjectDriver %s\nDataSource %s\n%s" % (backend, tmp_path / "data",
                                                                  new_store_directives(backend)))
    make_v7_store(config, backend)
    start, results = threading.Barrier(2, timeout=60), []

    def upgrade():      # each opens the old store, then both upgrade at once
        store = open_store(config, upgrade=True)
        try:
            assert store.schema_version == PREVIOUS
            start.wait()
            results.append(store.upgrade())
        finally:
            store.close()

    threads = [threading.Thread(target=upgrade) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(result.done for result in results) == [False, True]
    assert all(result.to_version == SCHEMA_VERSION for result in results)
    store = open_store(config)
    try:
        assert_v7_records_kept(store)
        if backend == "postgres":
            copies = store.db.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'mtpy_backup_%'")
            assert copies.fetchone()[0] == 1
        else:
            assert len(os.listdir(str(tmp_path / "data" / "backups"))) == 1
    finally:
        store.close()


def test_mt_tb_and_the_commands_on_an_older_store(tmp_path, capsys):
    """In-process: mt-tb.cgi's answers while the store waits for its upgrade;
    the commands say how to upgrade; `mtpy upgrade` does it."""
    from mtpy import cli
    from mtpy.apps.trackback import TrackbackApp
    config_path = tmp_path / "mt.cfg"
    config_path.write_text("ObjectDriver sqlite\nDataSource %s\n" % (tmp_path / "data"))
    config = Config(str(config_path))
    make_v7_store(config, "sqlite")
    app = TrackbackApp(config)
    for method, query, body in (("POST", "", b"url=http%3A%2F%2Fnew.example%2F"), ("GET", "__mode=rss", b""),
                                ("GET", "__mode=view&entry_id=1", b"")):
        seen = []
        environ = {"REQUEST_METHOD": method, "PATH_INFO": "/1", "QUERY_STRING": query, "wsgi.input": io.BytesIO(body),
                   "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/x-www-form-urlencoded",
                   "REMOTE_ADDR": "198.51.100.9", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80"}
        answer = b"".join(app(environ, lambda status, headers, exc_info=None: seen.append(status)))
        assert b"This weblog is being upgraded; please try again later." in answer, answer
        if "view" in query:
            assert seen == ["503 Service Unavailable"] and answer.startswith(b"<!DOCTYPE html>")
        else:
            assert seen == ["200 OK"] and b"<error>1</error>" in answer and answer.startswith(b"<?xml")

    assert cli.main(["--config", str(config_path), "entry", "list", "--blog", "1"]) == 1
    assert "run `mtpy upgrade`" in capsys.readouterr().err
    assert cli.main(["--config", str(config_path), "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "from schema version 7 to %d" % SCHEMA_VERSION in out and SCHEMA_CHANGES[7] in out and "-schema7.db" in out
    assert cli.main(["--config", str(config_path), "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    store = open_store(config)
    try:
        assert_v7_records_kept(store)
    finally:
        store.close()
