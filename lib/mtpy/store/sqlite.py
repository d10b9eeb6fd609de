"""SQLite backend (the default): one file `mtpy.db` in the DataSource folder.

WAL mode so readers never wait for the ping writer; schema versions kept in
`PRAGMA user_version`: a new store gets every migration; an older one is
upgraded only when asked (Store.upgrade, after a copy made with SQLite's backup
API), and a store newer than this code is refused. Each record kind is a table
whose columns are its fields; lists and dicts are stored as JSON text.
"""

import _thread
import os

try:
    # The sqlite3 package's Python half adds to its C module only the
    # adapters of datetime values (deprecated since Python 3.12), which the
    # store never passes (its times are text): importing `datetime` for them
    # cost a CGI ping about 1 ms of CPU. The classes and functions are the
    # same objects as sqlite3's (sqlite3.dbapi2 imports them from here).
    import _sqlite3 as sqlite3
except ImportError:     # a Python whose sqlite3 is built otherwise
    import sqlite3

try:
    import fcntl
except ImportError:     # not on Windows: SQLite's own waiting alone
    fcntl = None

from mtpy.models import Ping
from mtpy.store import StoreError, NoStoreError, check_schema
from mtpy.store.sql import SQLStore

DB_NAME = "mtpy.db"
# Writers queue on this file's lock before SQLite's own (SQLiteStore._queue_for_writing).
WRITERS_LOCK_NAME = DB_NAME + "-writers"
# (database path, thread) of the writers' locks this process holds.
_WRITING = set()


# Each migration takes the schema from version N to N+1: literal statements, so
# that a change to the models never changes what an old step creates. Append,
# never edit (tests/test_migrations.py checks that every field has its column).
MIGRATIONS = [
    # 1: a table per record kind, a column per field.
    ["CREATE TABLE blog (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, description TEXT, site_path TEXT, "
     "site_url TEXT, archive_path TEXT, archive_url TEXT, timezone REAL, email_new_pings INTEGER, "
     "allow_pings_default INTEGER)",
     "CREATE TABLE author (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, email TEXT, password_hash TEXT)",
     "CREATE TABLE entry (id INTEGER PRIMARY KEY AUTOINCREMENT, blog_id INTEGER, author_id INTEGER, title TEXT, "
     "body TEXT, extended TEXT, excerpt TEXT, keywords TEXT, basename TEXT, status TEXT, created_on TEXT, "
     "allow_pings INTEGER, allow_comments INTEGER, convert_breaks TEXT, to_ping_urls TEXT, pinged_urls TEXT, "
     "category_ids TEXT, comments TEXT)",
     "CREATE TABLE category (id INTEGER PRIMARY KEY AUTOINCREMENT, blog_id INTEGER, author_id INTEGER, "
     "label TEXT, description TEXT, allow_pings INTEGER, passphrase TEXT, ping_urls TEXT)",
     "CREATE TABLE trackback (id INTEGER PRIMARY KEY AUTOINCREMENT, blog_id INTEGER, entry_id INTEGER, "
     "category_id INTEGER, title TEXT, description TEXT, url TEXT, passphrase TEXT, is_disabled INTEGER)",
     "CREATE TABLE tbping (id INTEGER PRIMARY KEY AUTOINCREMENT, blog_id INTEGER, tb_id INTEGER, title TEXT, "
     "excerpt TEXT, source_url TEXT, ip TEXT, blog_name TEXT, created_on TEXT, visible INTEGER)",
     "CREATE TABLE ipban (id INTEGER PRIMARY KEY AUTOINCREMENT, blog_id INTEGER, ip TEXT)",
     "CREATE TABLE job (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, payload TEXT, created_on TEXT, "
     "attempts INTEGER, not_before TEXT, last_error TEXT)",
     "CREATE INDEX tbping_item ON tbping (tb_id, id)",
     "CREATE INDEX tbping_source ON tbping (tb_id, source_url)",
     "CREATE INDEX tbping_blog_time ON tbping (blog_id, created_on)",
     "CREATE INDEX entry_blog ON entry (blog_id, status, created_on)",
     "CREATE INDEX trackback_entry ON trackback (entry_id)",
     "CREATE INDEX trackback_category ON trackback (category_id)",
     "CREATE INDEX category_blog ON category (blog_id)",
     "CREATE INDEX ipban_blog ON ipban (blog_id)",
     "CREATE INDEX job_due ON job (not_before, id)"],
    # 2: a version per blog that every change to its entries bumps (publishing
    # caches what it reads of every entry, keyed by it). INSERT OR IGNORE +
    # UPDATE rather than an upsert: old hosts' SQLite lacks it.
    ["CREATE TABLE entry_version (blog_id INTEGER PRIMARY KEY, version INTEGER NOT NULL)",
     "CREATE TRIGGER entry_version_insert AFTER INSERT ON entry BEGIN "
     "INSERT OR IGNORE INTO entry_version (blog_id, version) VALUES (NEW.blog_id, 0); "
     "UPDATE entry_version SET version = version + 1 WHERE blog_id = NEW.blog_id; END",
     "CREATE TRIGGER entry_version_update AFTER UPDATE ON entry BEGIN "
     "INSERT OR IGNORE INTO entry_version (blog_id, version) VALUES (NEW.blog_id, 0); "
     "UPDATE entry_version SET version = version + 1 WHERE blog_id = NEW.blog_id; END",
     "CREATE TRIGGER entry_version_delete AFTER DELETE ON entry BEGIN "
     "INSERT OR IGNORE INTO entry_version (blog_id, version) VALUES (OLD.blog_id, 0); "
     "UPDATE entry_version SET version = version + 1 WHERE blog_id = OLD.blog_id; END"],
    # 3: a weblog may hold pings beyond its limits for approval; the limits per
    # sender address count a blog's recent pings from one address.
    ["ALTER TABLE blog ADD COLUMN hold_over_limit INTEGER NOT NULL DEFAULT 0",
     "CREATE INDEX tbping_blog_ip_time ON tbping (blog_id, ip, created_on)"],
    # 4: an item's visible pings counted (and fingerprinted) from the index
    # alone: with 100,000 pings on an entry, each count read every row.
    ["CREATE INDEX tbping_item_visible ON tbping (tb_id, visible, id)"],
    # 5: mt.cgi's authors, permissions, sessions and activity log; the authors
    # made by `mtpy init` before it were its system administrators. Indexes for
    # its pages: a weblog's entries and pings newest first, the activity log by
    # weblog, failed logins counted by address and by name.
    ["ALTER TABLE author ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0",
     "UPDATE author SET is_admin = 1",
     "CREATE TABLE permission (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id INTEGER, blog_id INTEGER, "
     "can TEXT)",
     "CREATE TABLE session (id INTEGER PRIMARY KEY AUTOINCREMENT, author_id INTEGER, token_hash TEXT, "
     "created_on TEXT, seen_on TEXT)",
     "CREATE TABLE activity (id INTEGER PRIMARY KEY AUTOINCREMENT, blog_id INTEGER, author_id INTEGER, "
     "kind TEXT, author_name TEXT, ip TEXT, message TEXT, created_on TEXT)",
     "CREATE INDEX permission_author ON permission (author_id, blog_id)",
     "CREATE INDEX permission_blog ON permission (blog_id)",
     "CREATE INDEX session_token ON session (token_hash)",
     "CREATE INDEX session_author ON session (author_id)",
     "CREATE INDEX activity_blog ON activity (blog_id, id)",
     "CREATE INDEX activity_kind_ip_time ON activity (kind, ip, created_on)",
     "CREATE INDEX activity_kind_name_time ON activity (kind, author_name, created_on)",
     "CREATE INDEX entry_blog_time ON entry (blog_id, created_on, id)",
     "CREATE INDEX tbping_blog ON tbping (blog_id, id)"],
    # 6: what went wrong with each outbound ping of an entry not yet delivered.
    ["ALTER TABLE entry ADD COLUMN ping_failures TEXT"],
    # 7: a weblog's auto-discovery of ping URLs and the update-ping services it notifies.
    ["ALTER TABLE blog ADD COLUMN autodiscover_links INTEGER NOT NULL DEFAULT 0",
     "ALTER TABLE blog ADD COLUMN update_ping_urls TEXT"],
    # 8: spam defences: a weblog's moderation, link-back check, block list and
    # closing of pings; each ping's junk verdict with its reasons and its link-back
    # check. Junk pings are listed per weblog and source URL.
    ["ALTER TABLE blog ADD COLUMN moderate_pings TEXT NOT NULL DEFAULT 'none'",
     "ALTER TABLE blog ADD COLUMN linkback_check TEXT NOT NULL DEFAULT 'off'",
     "ALTER TABLE blog ADD COLUMN junk_words TEXT",
     "ALTER TABLE blog ADD COLUMN accept_pings INTEGER NOT NULL DEFAULT 1",
     "ALTER TABLE blog ADD COLUMN close_pings_after_days INTEGER NOT NULL DEFAULT 0",
     "ALTER TABLE tbping ADD COLUMN junk INTEGER NOT NULL DEFAULT 0",
     "ALTER TABLE tbping ADD COLUMN junk_score REAL NOT NULL DEFAULT 0",
     "ALTER TABLE tbping ADD COLUMN junk_reasons TEXT",
     "ALTER TABLE tbping ADD COLUMN linkback TEXT",
     "CREATE INDEX tbping_blog_junk ON tbping (blog_id, junk, source_url)"],
    # 9: each ping's source host (store/sql.py's DERIVED_COLUMNS), so that a
    # host's pings of the last hour are counted from an index when a ping is
    # judged. Pings stored before have none (they are not counted).
    ["ALTER TABLE tbping ADD COLUMN source_host TEXT",
     "CREATE INDEX tbping_blog_host_time ON tbping (blog_id, source_host, created_on)"],
    # 10: Pingback and Webmention (mtpy.models: Ping's protocol..withdrawn,
    # Blog's accept_* and own_links, Entry's notified_links).
    ["ALTER TABLE tbping ADD COLUMN protocol TEXT NOT NULL DEFAULT 'trackback'",
     "ALTER TABLE tbping ADD COLUMN kind TEXT NOT NULL DEFAULT 'mention'",
     "ALTER TABLE tbping ADD COLUMN target_url TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE tbping ADD COLUMN author_name TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE tbping ADD COLUMN author_url TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE tbping ADD COLUMN author_photo TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE tbping ADD COLUMN updated_on TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE tbping ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0",
     "ALTER TABLE blog ADD COLUMN accept_trackback INTEGER NOT NULL DEFAULT 1",
     "ALTER TABLE blog ADD COLUMN accept_pingback INTEGER NOT NULL DEFAULT 1",
     "ALTER TABLE blog ADD COLUMN accept_webmention INTEGER NOT NULL DEFAULT 1",
     "ALTER TABLE blog ADD COLUMN own_links TEXT NOT NULL DEFAULT 'quiet'",
     "ALTER TABLE entry ADD COLUMN notified_links TEXT",
     # The pings updated in place (a Webmention sent again): few, so the
     # listing's fingerprint reads their newest change from this index.
     "CREATE INDEX tbping_item_updated ON tbping (tb_id, updated_on) WHERE updated_on <> ''"],
    # 11: password resets by e-mail; when, why and by whom an IP ban was added.
    ["ALTER TABLE author ADD COLUMN reset_hash TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE author ADD COLUMN reset_expires TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE ipban ADD COLUMN note TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE ipban ADD COLUMN created_on TEXT NOT NULL DEFAULT ''",
     "ALTER TABLE ipban ADD COLUMN author_id INTEGER"],
]


class SQLiteStore(SQLStore):

    def __init__(self, folder, create=False, upgrade=False):
        self.folder = folder
        self.path = os.path.join(folder, DB_NAME)
        exists = os.path.exists(self.path)
        if create and exists:
            raise StoreError("A store already exists at %s" % self.path)
        if not create and not exists:
            raise NoStoreError("No store at %s (run `mtpy init` first)" % self.path)
        if create:
            # Made here with its mode: SQLite would make it 0644, and its -wal and
            # -shm files take the database's mode.
            from mtpy import fileutil
            fileutil.make_data_folder(folder)
            fileutil.create_file(self.path, fileutil.DATA)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.pid = os.getpid()   # SQLite forbids using a connection across a fork
        self.writers_lock = None   # the descriptor of WRITERS_LOCK_NAME, opened by the first write
        self.writing = None        # its key in _WRITING while this connection holds it
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._open_schema(create, upgrade)
        except sqlite3.DatabaseError as error:
            self.db.close()
            raise StoreError("Cannot open the store %s: %s" % (self.path, error))
        except BaseException:
            self.db.close()
            raise

    def _open_schema(self, create, upgrade):
        if create:
            with self.transaction():
                self._migrate_from(self._stored_schema_version())
            return
        self.schema_version = self._stored_schema_version()
        check_schema(self.path, self.schema_version, upgrade)

    def _stored_schema_version(self):
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate_from(self, version):
        for number in range(version, len(MIGRATIONS)):
            for statement in MIGRATIONS[number]:
                self.db.execute(statement)
            self.db.execute("PRAGMA user_version = %d" % (number + 1))

    def copy_as_is(self):
        """SQLite's online backup into backups/mtpy-DATE-TIME-schemaN.db, read
        through a connection of its own: SQLite refuses to back up through one
        that holds a write transaction (the caller's), which here keeps every
        other writer out until the copy is made."""
        path = self.backup_path(".db")
        source, target = sqlite3.connect(self.path, timeout=30), sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        return path

    def close(self):
        if os.getpid() != self.pid:
            return  # a forked child's copy: closing it would checkpoint and drop the parent's WAL
        self.db.close()
        if self.writers_lock is not None:
            _WRITING.discard(self.writing)      # closed inside a transaction: the lock goes with its file
            self.writing = None
            os.close(self.writers_lock)
            self.writers_lock = None

    def location(self):
        return self.path

    # -- transactions -------------------------------------------------------

    def _begin(self):
        """BEGIN IMMEDIATE: the write lock is taken at once, so checks made inside
        (duplicates, throttles) cannot race with another process's insert."""
        if os.getpid() != self.pid:
            raise StoreError("The store %s was opened before a fork: open it again in this process" % self.path)
        self._queue_for_writing()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._leave_writers()
            raise

    def _end(self, commit):
        try:
            self.db.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self._leave_writers()

    # A busy SQLite sleeps 1, 2, 5, 10 ms... before it tries again: long beside
    # a ping's transaction (a few tenths of a ms), and two gunicorn workers
    # spent a third of their time asleep so. mtpy's writers first queue on the
    # lock of a file beside the database (flock: the next in line wakes as soon
    # as it is let go, and a process that dies lets go of it), then BEGIN
    # IMMEDIATE finds the database free. Another program's writer still meets
    # SQLite's own waiting and timeout.

    def _queue_for_writing(self):
        """Wait for the writers' lock. Not taken (SQLite's locking decides alone)
        without fcntl, when the lock file cannot be opened, or when this thread
        holds it already through another connection: it would wait for itself."""
        if fcntl is None or (self.path, _thread.get_ident()) in _WRITING:
            return
        if self.writers_lock is None:
            path = os.path.join(self.folder, WRITERS_LOCK_NAME)
            try:
                from mtpy import fileutil
                fileutil.create_file(path, fileutil.DATA)
                self.writers_lock = os.open(path, os.O_RDONLY)   # flock needs no write access
            except OSError:
                return
        fcntl.flock(self.writers_lock, fcntl.LOCK_EX)
        self.writing = (self.path, _thread.get_ident())
        _WRITING.add(self.writing)

    def _leave_writers(self):
        if self.writing is not None:
            _WRITING.discard(self.writing)
            self.writing = None
            fcntl.flock(self.writers_lock, fcntl.LOCK_UN)

    # -- where SQLite differs ------------------------------------------------

    def _bool(self, value):
        return 1 if value else 0

    def insert(self, record):
        kind = type(record)
        names, values = self._columns(record)
        if record.id is None:
            names, values = names[1:], values[1:]
        record.id = self.db.execute(self._insert_sql(kind, names), values).lastrowid
        return record.id

    def find_in(self, kind, field, values):
        if field not in kind.FIELDS:
            raise KeyError(field)
        values, found = list(values), []
        for start in range(0, len(values), 500):   # SQLite's limit on parameters
            chunk = values[start:start + 500]
            sql = self._select(kind) + ' WHERE "%s" IN (%s)' % (field, ", ".join("?" * len(chunk)))
            found += self._rows(kind, sql, chunk)
        return found

    def find_ping(self, tb_id, source_url):
        row = self.db.execute(self._select(Ping) + " WHERE tb_id = ? AND source_url = ? LIMIT 1",
                              (tb_id, source_url)).fetchone()
        return self._row_to_record(Ping, row) if row else None
