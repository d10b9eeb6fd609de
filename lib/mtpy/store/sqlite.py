"""SQLite backend (the default): one file `mtpy.db` in the DataSource folder.

WAL mode so readers never wait for the ping writer; schema versions kept in
`PRAGMA user_version` and migrated forward on open. Each record kind is a table
whose columns are its fields; lists and dicts are stored as JSON text.
"""

import os
import sqlite3

from mtpy.models import Ping
from mtpy.store import StoreError, KINDS
from mtpy.store.sql import SQLStore, TABLES

DB_NAME = "mtpy.db"


def _column_type(default):
    if isinstance(default, int) or default is None:  # bool is an int too
        return "INTEGER"
    if isinstance(default, float):
        return "REAL"
    return "TEXT"


def _create_table(kind):
    """The table as the first migration made it: without the columns that later
    migrations add (ADDED_LATER), so that every store, new or old, reaches the
    current schema through the same steps."""
    columns = ["id INTEGER PRIMARY KEY AUTOINCREMENT"]
    for name, default in kind.FIELDS.items():
        if name != "id" and name not in ADDED_LATER.get(TABLES[kind], ()):
            columns.append("%s %s" % (name, _column_type(default)))
    return "CREATE TABLE %s (%s)" % (TABLES[kind], ", ".join(columns))


# Columns added by a migration after the first: table -> names.
ADDED_LATER = {"blog": ("hold_over_limit",), "author": ("is_admin",)}

# Each migration takes the schema from version N to N+1. Append, never edit.
MIGRATIONS = [
    [_create_table(kind) for kind in KINDS[:8]] + [
        "CREATE INDEX tbping_item ON tbping (tb_id, id)",
        "CREATE INDEX tbping_source ON tbping (tb_id, source_url)",
        "CREATE INDEX tbping_blog_time ON tbping (blog_id, created_on)",
        "CREATE INDEX entry_blog ON entry (blog_id, status, created_on)",
        "CREATE INDEX trackback_entry ON trackback (entry_id)",
        "CREATE INDEX trackback_category ON trackback (category_id)",
        "CREATE INDEX category_blog ON category (blog_id)",
        "CREATE INDEX ipban_blog ON ipban (blog_id)",
        "CREATE INDEX job_due ON job (not_before, id)",
    ],
    # 2: a version per blog that every change to its entries bumps (publishing
    # caches what it reads of every entry, keyed by it).
    ["CREATE TABLE entry_version (blog_id INTEGER PRIMARY KEY, version INTEGER NOT NULL)"] + [
        # INSERT OR IGNORE + UPDATE rather than an upsert: old hosts' SQLite lacks it.
        "CREATE TRIGGER entry_version_%s AFTER %s ON entry BEGIN "
        "INSERT OR IGNORE INTO entry_version (blog_id, version) VALUES (%s.blog_id, 0); "
        "UPDATE entry_version SET version = version + 1 WHERE blog_id = %s.blog_id; END"
        % (event.lower(), event, row, row)
        for event, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD"))],
    # 3: a weblog may hold pings beyond its limits for approval; the limits per
    # sender address count a blog's recent pings from one address.
    ["ALTER TABLE blog ADD COLUMN hold_over_limit INTEGER NOT NULL DEFAULT 0",
     "CREATE INDEX tbping_blog_ip_time ON tbping (blog_id, ip, created_on)"],
    # 4: an item's visible pings counted (and fingerprinted) from the index
    # alone: with 100,000 pings on an entry, each count read every row.
    ["CREATE INDEX tbping_item_visible ON tbping (tb_id, visible, id)"],
    # 5: mt.cgi's authors, permissions, sessions and activity log; the authors
    # made by `mtpy init` before it were its system administrators.
    ["ALTER TABLE author ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0",
     "UPDATE author SET is_admin = 1"] + [_create_table(kind) for kind in KINDS[8:]],
]


class SQLiteStore(SQLStore):

    def __init__(self, folder, create=False):
        self.folder = folder
        self.path = os.path.join(folder, DB_NAME)
        exists = os.path.exists(self.path)
        if create and exists:
            raise StoreError("A store already exists at %s" % self.path)
        if not create and not exists:
            raise StoreError("No store at %s (run `mtpy init` first)" % self.path)
        if create:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves.
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.pid = os.getpid()   # SQLite forbids using a connection across a fork
        self.depth = 0
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise StoreError("Cannot open the store %s: %s" % (self.path, error))

    def _migrate(self):
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version >= len(MIGRATIONS):
            return
        with self.transaction():
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[number]:
                    self.db.execute(statement)
                self.db.execute("PRAGMA user_version = %d" % (number + 1))

    def close(self):
        if os.getpid() != self.pid:
            return  # a forked child's copy: closing it would checkpoint and drop the parent's WAL
        self.db.close()

    def location(self):
        return self.path

    # -- transactions -------------------------------------------------------

    def transaction(self):
        return _Transaction(self)

    # -- where SQLite differs ------------------------------------------------

    def _bool(self, value):
        return 1 if value else 0

    def insert(self, record):
        kind = type(record)
        names = list(kind.FIELDS)
        values = self._record_values(record)
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


class _Transaction:
    """BEGIN IMMEDIATE: the write lock is taken at once, so checks made inside
    (duplicates, throttles) cannot race with another process's insert."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        if self.store.depth == 0:
            if os.getpid() != self.store.pid:
                raise StoreError("The store %s was opened before a fork: open it again in this process"
                                 % self.store.path)
            self.store.db.execute("BEGIN IMMEDIATE")
        self.store.depth += 1
        return self.store

    def __exit__(self, error_type, error, traceback):
        self.store.depth -= 1
        if self.store.depth == 0:
            self.store.db.execute("ROLLBACK" if error_type else "COMMIT")
        return False
