"""Schema versions: every store, new or made by an older mtpy, reaches the same
schema through the same literal steps, keeps its records on the way; an older
store is upgraded only when asked (after a copy of it is made), and a store
newer than the code is refused."""

import os
import shutil
import sqlite3

import pytest

from mtpy.config import Config
from mtpy.models import Author, Blog, Entry, Ping, Trackback, IPBan, Job, Permission, Session, Activity
from mtpy.store import KINDS, SCHEMA_CHANGES, SCHEMA_VERSION, NewerSchema, StoreError, UpgradeNeeded, open_store
from mtpy.store.sql import DERIVED_COLUMNS, TABLES

STORES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "stores")
# Tables that hold no record kind: the entries' versions, and the counters of
# each database (SQLite's AUTOINCREMENT, PostgreSQL's schema version).
BOOKKEEPING = {"entry_version", "sqlite_sequence", "schema_version"}


def sqlite_config(folder):
    return Config(text="ObjectDriver sqlite\nDataSource %s\n" % folder)


def postgres_config(folder, directives):
    return Config(text="ObjectDriver postgres\nDataSource %s\n%s" % (folder, directives))


def connect_postgres(config):
    import psycopg
    return psycopg.connect(host=config.get("DBHost"), port=config.get("DBPort"), user=config.get("DBUser"),
                           dbname=config.get("Database"), autocommit=True)


def sqlite_columns(path):
    db = sqlite3.connect(path)
    try:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: [row[1] for row in db.execute("PRAGMA table_info(%s)" % table)] for table in tables}
    finally:
        db.close()


def sqlite_schema(path):
    """Every table, index and trigger of the database, with its SQL."""
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        db.close()


def postgres_columns(db):
    columns = {}
    for table, column in db.execute("SELECT table_name, column_name FROM information_schema.columns "
                                    "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"):
        columns.setdefault(table, []).append(column)
    return columns


def postgres_schema(db):
    """The columns (types, collations, defaults, identities), indexes, triggers
    and functions of the database's public schema."""
    columns = db.execute(
        "SELECT table_name, column_name, ordinal_position, data_type, collation_name, column_default, "
        "is_nullable, is_identity, identity_generation FROM information_schema.columns "
        "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position").fetchall()
    indexes = db.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                         "ORDER BY indexname").fetchall()
    triggers = db.execute("SELECT event_object_table, trigger_name, event_manipulation, action_statement "
                          "FROM information_schema.triggers ORDER BY trigger_name, event_manipulation").fetchall()
    functions = db.execute("SELECT proname, prosrc FROM pg_proc JOIN pg_namespace ON pronamespace = pg_namespace.oid "
                           "WHERE nspname = 'public' ORDER BY proname").fetchall()
    return columns, indexes, triggers, functions


def assert_columns_are_the_fields(columns):
    """Every field of every kind is a column of its table, and every column a
    field: what fails when a model gains a field that no migration creates.
    (In any order: the stores name the columns they read and write.)"""
    for kind in KINDS:
        derived = [name for name, _ in DERIVED_COLUMNS.get(kind, ())]     # kept by the store beside them
        found = columns.get(TABLES[kind])
        assert sorted(found) == sorted(list(kind.FIELDS) + derived) and len(set(found)) == len(found), kind.__name__
    assert set(columns) - set(TABLES.values()) <= BOOKKEEPING


# -- new stores -----------------------------------------------------------------

def test_a_new_sqlite_store_has_a_column_for_every_field(tmp_path):
    open_store(sqlite_config(tmp_path / "data"), create=True).close()
    assert_columns_are_the_fields(sqlite_columns(str(tmp_path / "data" / "mtpy.db")))


def test_a_new_postgres_store_has_a_column_for_every_field(tmp_path, postgres_database):
    config = postgres_config(tmp_path / "data", postgres_database)
    open_store(config, create=True).close()
    with connect_postgres(config) as db:
        assert_columns_are_the_fields(postgres_columns(db))


def test_the_field_check_notices_a_field_without_a_column():
    columns = {TABLES[kind]: list(kind.FIELDS) for kind in KINDS}
    columns["author"].remove("is_admin")
    with pytest.raises(AssertionError):
        assert_columns_are_the_fields(columns)


@pytest.mark.parametrize("module_name", ["sqlite", "postgres"])
def test_migrations_are_literal_sql(module_name):
    """Text in the source, not made from the models: a new field never changes
    what an old step creates."""
    module = pytest.importorskip("mtpy.store." + module_name)   # postgres: psycopg may be missing
    assert len(module.MIGRATIONS) == 11 == SCHEMA_VERSION
    for step in module.MIGRATIONS:
        assert step and all(type(statement) is str for statement in step)


def test_every_schema_version_says_what_it_changes():
    """The upgrade page lists one description per step, for every backend."""
    from mtpy.store import sqlite, upgrade_steps
    assert len(SCHEMA_CHANGES) == len(sqlite.MIGRATIONS) == SCHEMA_VERSION
    postgres = pytest.importorskip("mtpy.store.postgres")
    assert len(postgres.MIGRATIONS) == SCHEMA_VERSION
    assert all(type(text) is str and len(text) > 20 and text.endswith(".") for text in SCHEMA_CHANGES)
    assert len(set(SCHEMA_CHANGES)) == SCHEMA_VERSION
    assert upgrade_steps(6) == [(7, SCHEMA_CHANGES[6]), (8, SCHEMA_CHANGES[7]), (9, SCHEMA_CHANGES[8]), (10, SCHEMA_CHANGES[9]),
                                (11, SCHEMA_CHANGES[10])]
    assert upgrade_steps(SCHEMA_VERSION) == []


def open_to_upgrade(config, version):
    """The store refused as it is, then opened to upgrade and upgraded: the
    copy made first is returned."""
    with pytest.raises(UpgradeNeeded) as raised:
        open_store(config)
    assert (raised.value.version, raised.value.current) == (version, SCHEMA_VERSION)
    assert "`mtpy upgrade`" in str(raised.value)
    store = open_store(config, upgrade=True)
    assert store.schema_version == version
    upgraded = store.upgrade()
    assert (upgraded.done, upgraded.from_version, upgraded.to_version) == (True, version, SCHEMA_VERSION)
    assert [number for number, _ in upgraded.steps] == list(range(version + 1, SCHEMA_VERSION + 1))
    assert store.schema_version == SCHEMA_VERSION
    return store, upgraded.backup


# -- stores of schema version 4 -------------------------------------------------

def check_v4_records(store):
    """The records of the fixtures in tests/data/stores, as the v4 code saved
    them, then the new kinds at work."""
    [author] = store.find(Author)
    assert (author.name, author.email, author.password_hash) == ("Melody", "melody@example.com", "old-hash")
    assert author.is_admin is True        # made by `mtpy init` before there were other authors
    [blog] = store.find(Blog)
    assert (blog.name, blog.site_url, blog.hold_over_limit, blog.email_new_pings, blog.autodiscover_links,
            blog.update_ping_urls) == (
        "Old Weblog", "http://old.example/", True, True, False, [])
    entries = store.list_entries(blog.id)
    assert [(entry.title, entry.status) for entry in entries] == [("A draft", "Draft"), ("Before mt.cgi", "Publish")]
    assert entries[1].category_ids == [1]
    item = store.trackback_for(entry=entries[1])
    pings = store.list_pings(tb_id=item.id, visible_only=False)
    assert [(ping.title, ping.visible, ping.ip) for ping in pings] == [
        ("Shown", True, "198.51.100.1"), ("Held", False, "198.51.100.2")]
    assert store.count_pings(item.id) == 1
    assert store.find_ping(item.id, "http://b.example/2").title == "Held"
    assert store.count_pings_by_state(blog_id=blog.id)["all"] == 2
    assert [ban.ip for ban in store.find(IPBan, blog_id=blog.id)] == ["203.0.113."]
    [job] = store.find(Job)
    assert (job.kind, job.payload) == ("mail", {"ping_id": 1})
    assert len(store.find(Trackback)) == 3

    # Ids go on after the old ones; the new kinds are stored and found.
    ping = Ping(blog_id=blog.id, tb_id=item.id, source_url="http://c.example/3", created_on="2026-11-23 10:00:00")
    store.insert(ping)
    assert ping.id == 3 and store.count_pings(item.id) == 2
    version = store.entries_version(blog.id)     # the SQL stores' triggers still count
    store.save(Entry(blog_id=blog.id, title="After", created_on="2026-11-24 10:00:00"))
    assert version is None or store.entries_version(blog.id) != version
    store.save(Permission(author_id=author.id, blog_id=blog.id, can=["post"]))
    store.save(Session(author_id=author.id, token_hash="ab", created_on="2026-11-24 10:00:00"))
    store.save(Activity(blog_id=blog.id, kind="login", author_name="Melody", created_on="2026-11-24 10:00:00"))
    assert store.find(Permission, author_id=author.id)[0].can == ["post"]
    assert store.find(Session, token_hash="ab")[0].author_id == author.id
    assert [line.kind for line in store.list_activity([blog.id])] == ["login"]
    newcomer = Author(name="New")
    store.save(newcomer)
    assert store.get(Author, newcomer.id).is_admin is False


def test_a_version_4_sqlite_store_is_upgraded(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(os.path.join(STORES, "sqlite-v4.db"), str(folder / "mtpy.db"))
    from mtpy.store import sqlite
    path = str(folder / "mtpy.db")
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == 4
    db.close()
    store, backup = open_to_upgrade(sqlite_config(folder), 4)
    try:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == len(sqlite.MIGRATIONS)
        check_v4_records(store)
    finally:
        store.close()
    copy = sqlite3.connect(backup)     # the store as it was
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 4
    assert copy.execute("SELECT COUNT(*) FROM tbping").fetchone()[0] == 2
    copy.close()
    open_store(sqlite_config(tmp_path / "new"), create=True).close()
    assert sqlite_schema(path) == sqlite_schema(str(tmp_path / "new" / "mtpy.db"))
    assert_columns_are_the_fields(sqlite_columns(path))


def test_a_version_4_postgres_store_is_upgraded(tmp_path, postgres_server):
    from mtpy.store import postgres
    old = postgres_config(tmp_path / "old", postgres_server.directives(postgres_server.new_database()))
    with open(os.path.join(STORES, "postgres-v4.sql")) as handle:
        script = handle.read()
    with connect_postgres(old) as db:
        db.execute(script)      # no parameters: the statements go as one script
    try:
        store, backup = open_to_upgrade(old, 4)
        assert backup.startswith('the schema "mtpy_backup_') and backup.endswith("_schema4\" of the %s" % store.where)
        try:
            assert store.db.execute("SELECT version FROM schema_version").fetchone()[0] == len(postgres.MIGRATIONS)
            check_v4_records(store)
        finally:
            store.close()
        new = postgres_config(tmp_path / "new", postgres_server.directives(postgres_server.new_database()))
        open_store(new, create=True).close()
        with connect_postgres(old) as upgraded, connect_postgres(new) as made:
            assert postgres_schema(upgraded) == postgres_schema(made)
            assert_columns_are_the_fields(postgres_columns(upgraded))
            schema = backup.split('"')[1]     # the tables as they were, beside the store's
            assert upgraded.execute('SELECT version FROM "%s".schema_version' % schema).fetchone()[0] == 4
            assert upgraded.execute('SELECT COUNT(*) FROM "%s".tbping' % schema).fetchone()[0] == 2
    finally:
        postgres_server.drop_databases()


def test_a_version_4_flat_store_opens_and_keeps_the_new_kinds(tmp_path):
    folder = tmp_path / "old"
    shutil.copytree(os.path.join(STORES, "flat-v4"), str(folder))
    config = Config(text="ObjectDriver flat\nDataSource %s\n" % folder)
    # Its marker states no schema version: the releases before schema 8 wrote none.
    store, backup = open_to_upgrade(config, 7)
    try:
        check_v4_records(store)
    finally:
        store.close()
    import zipfile
    with zipfile.ZipFile(backup) as copy:
        assert "schema version" not in copy.read("mtpy-store.txt").decode()
        assert "ping/000002.txt" in copy.namelist() and not any(name.startswith("backups/") for name in copy.namelist())
    store = open_store(config)
    try:    # written in the new format, read back alike
        assert store.get(Author, 1).is_admin is True and store.get(Author, 2).is_admin is False
        assert [line.author_name for line in store.list_activity()] == ["Melody"]
    finally:
        store.close()
    with open(str(folder / "author" / "000002.txt")) as handle:
        assert "is_admin: false\n" in handle.read()


# -- stores newer than the code ---------------------------------------------------

def test_a_sqlite_store_made_by_a_newer_mtpy_is_refused(tmp_path):
    from mtpy.store import sqlite
    config = sqlite_config(tmp_path / "data")
    open_store(config, create=True).close()
    db = sqlite3.connect(str(tmp_path / "data" / "mtpy.db"))
    db.execute("PRAGMA user_version = %d" % (len(sqlite.MIGRATIONS) + 1))
    db.close()
    for upgrade in (False, True):
        with pytest.raises(NewerSchema) as raised:
            open_store(config, upgrade=upgrade)
    message = str(raised.value)
    assert "made by a newer mtpy" in message and message.endswith("upgrade mtpy")
    assert "schema version %d" % (len(sqlite.MIGRATIONS) + 1) in message
    db = sqlite3.connect(str(tmp_path / "data" / "mtpy.db"))
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(sqlite.MIGRATIONS) + 1   # left alone
    db.close()


def test_a_postgres_store_made_by_a_newer_mtpy_is_refused(tmp_path, postgres_database):
    from mtpy.store import postgres
    config = postgres_config(tmp_path / "data", postgres_database)
    open_store(config, create=True).close()
    with connect_postgres(config) as db:
        db.execute("UPDATE schema_version SET version = %s", (len(postgres.MIGRATIONS) + 1,))
    with pytest.raises(NewerSchema) as raised:
        open_store(config)
    message = str(raised.value)
    assert "made by a newer mtpy" in message and message.endswith("upgrade mtpy")
    with connect_postgres(config) as db:
        assert db.execute("SELECT version FROM schema_version").fetchone()[0] == len(postgres.MIGRATIONS) + 1


def test_a_flat_store_made_by_a_newer_mtpy_is_refused(tmp_path):
    config = Config(text="ObjectDriver flat\nDataSource %s\n" % (tmp_path / "data"))
    open_store(config, create=True).close()
    marker = tmp_path / "data" / "mtpy-store.txt"
    assert "schema version: %d\n" % SCHEMA_VERSION in marker.read_text()
    marker.write_text(marker.read_text().replace("schema version: %d" % SCHEMA_VERSION,
                                                 "schema version: %d" % (SCHEMA_VERSION + 1)))
    with pytest.raises(NewerSchema) as raised:
        open_store(config, upgrade=True)
    assert "made by a newer mtpy" in str(raised.value)
    assert isinstance(raised.value, StoreError)
