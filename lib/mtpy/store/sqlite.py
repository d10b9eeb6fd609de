"""SQLite backend (the default): one file `mtpy.db` in the DataSource folder.

WAL mode so readers never wait for the ping writer; schema versions kept in
`PRAGMA user_version` and migrated forward on open. Each record kind is a table
whose columns are its fields; lists and dicts are stored as JSON text.
"""

import os
import sqlite3

from mtpy.models import Blog, Author, Entry, Category, Trackback, Ping, IPBan, Job
from mtpy.store import Store, StoreError, KINDS

TABLES = {Blog: "blog", Author: "author", Entry: "entry", Category: "category",
          Trackback: "trackback", Ping: "tbping", IPBan: "ipban", Job: "job"}
DB_NAME = "mtpy.db"


def _column_type(default):
    if isinstance(default, int) or default is None:  # bool is an int too
        return "INTEGER"
    if isinstance(default, float):
        return "REAL"
    return "TEXT"


def _create_table(kind):
    columns = ["id INTEGER PRIMARY KEY AUTOINCREMENT"]
    for name, default in kind.FIELDS.items():
        if name != "id":
            columns.append("%s %s" % (name, _column_type(default)))
    return "CREATE TABLE %s (%s)" % (TABLES[kind], ", ".join(columns))


# Each migration takes the schema from version N to N+1. Append, never edit.
MIGRATIONS = [
    [_create_table(kind) for kind in KINDS] + [
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
]


class SQLiteStore(Store):

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
        self.db.close()

    # -- transactions -------------------------------------------------------

    def transaction(self):
        return _Transaction(self)

    # -- generic records ----------------------------------------------------

    def _row_to_record(self, kind, row):
        values = {}
        for (name, default), value in zip(kind.FIELDS.items(), row):
            if isinstance(default, bool):
                value = bool(value)
            elif isinstance(default, (list, dict)):
                import json
                value = json.loads(value) if value else type(default)()
            values[name] = value
        return kind(**values)

    def _record_values(self, record):
        values = []
        for name, default in record.FIELDS.items():
            value = getattr(record, name)
            if isinstance(default, bool):
                value = 1 if value else 0
            elif isinstance(default, (list, dict)):
                import json
                value = json.dumps(value, ensure_ascii=False)
            values.append(value)
        return values

    def _select(self, kind):
        return "SELECT %s FROM %s" % (", ".join(kind.FIELDS), TABLES[kind])

    def get(self, kind, record_id):
        row = self.db.execute(self._select(kind) + " WHERE id = ?", (record_id,)).fetchone()
        return self._row_to_record(kind, row) if row else None

    def find(self, kind, order_by="id", desc=False, limit=None, **equals):
        sql = self._select(kind)
        args = []
        if equals:
            clauses = []
            for name, value in equals.items():
                if name not in kind.FIELDS:
                    raise KeyError(name)
                if value is None:
                    clauses.append("%s IS NULL" % name)
                else:
                    clauses.append("%s = ?" % name)
                    args.append(int(value) if isinstance(value, bool) else value)
            sql += " WHERE " + " AND ".join(clauses)
        if order_by not in kind.FIELDS:
            raise KeyError(order_by)
        sql += " ORDER BY %s %s, id %s" % (order_by, "DESC" if desc else "ASC", "DESC" if desc else "ASC")
        if limit is not None:
            sql += " LIMIT %d" % int(limit)
        return [self._row_to_record(kind, row) for row in self.db.execute(sql, args)]

    def insert(self, record):
        kind = type(record)
        names = list(kind.FIELDS)
        values = self._record_values(record)
        if record.id is None:
            names, values = names[1:], values[1:]
        cursor = self.db.execute("INSERT INTO %s (%s) VALUES (%s)" % (
            TABLES[kind], ", ".join(names), ", ".join("?" * len(names))), values)
        record.id = cursor.lastrowid
        return record.id

    def update(self, record):
        kind = type(record)
        names = list(kind.FIELDS)[1:]
        values = self._record_values(record)[1:]
        self.db.execute("UPDATE %s SET %s WHERE id = ?" % (
            TABLES[kind], ", ".join("%s = ?" % name for name in names)), values + [record.id])

    def delete(self, kind, record_id):
        cursor = self.db.execute("DELETE FROM %s WHERE id = ?" % TABLES[kind], (record_id,))
        return cursor.rowcount > 0

    # -- pings --------------------------------------------------------------

    def list_pings(self, tb_id=None, blog_id=None, visible_only=True,
                   newest_first=False, limit=None):
        clauses, args = [], []
        if tb_id is not None:
            clauses.append("tb_id = ?")
            args.append(tb_id)
        if blog_id is not None:
            clauses.append("blog_id = ?")
            args.append(blog_id)
        if visible_only:
            clauses.append("visible = 1")
        sql = self._select(Ping)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id " + ("DESC" if newest_first else "ASC")
        if limit is not None:
            sql += " LIMIT %d" % int(limit)
        return [self._row_to_record(Ping, row) for row in self.db.execute(sql, args)]

    def count_pings(self, tb_id, visible_only=True):
        sql = "SELECT COUNT(*) FROM tbping WHERE tb_id = ?" + (" AND visible = 1" if visible_only else "")
        return self.db.execute(sql, (tb_id,)).fetchone()[0]

    def find_in(self, kind, field, values):
        if field not in kind.FIELDS:
            raise KeyError(field)
        values, found = list(values), []
        for start in range(0, len(values), 500):   # SQLite's limit on parameters
            chunk = values[start:start + 500]
            sql = self._select(kind) + " WHERE %s IN (%s)" % (field, ", ".join("?" * len(chunk)))
            found += [self._row_to_record(kind, row) for row in self.db.execute(sql, chunk)]
        return found

    def entries_version(self, blog_id):
        row = self.db.execute("SELECT version FROM entry_version WHERE blog_id = ?", (blog_id,)).fetchone()
        return row[0] if row else 0

    def published_entries(self, blog_id):
        rows = self.db.execute("SELECT id, created_on, category_ids FROM entry WHERE blog_id = ? AND "
                               "status = 'Publish' ORDER BY created_on DESC, id DESC", (blog_id,))
        # category_ids is a JSON list of integers: read it without json for speed.
        return [(entry_id, created, [int(n) for n in (ids or "").strip("[]").split(",") if n.strip()])
                for entry_id, created, ids in rows]

    def ping_counts(self, blog_id):
        rows = self.db.execute("SELECT tb_id, COUNT(*) FROM tbping WHERE blog_id = ? AND visible = 1 "
                               "GROUP BY tb_id", (blog_id,))
        return dict(rows.fetchall())

    def find_ping(self, tb_id, source_url):
        row = self.db.execute(self._select(Ping) + " WHERE tb_id = ? AND source_url = ? LIMIT 1",
                              (tb_id, source_url)).fetchone()
        return self._row_to_record(Ping, row) if row else None

    def count_pings_since(self, blog_id, since):
        return self.db.execute("SELECT COUNT(*) FROM tbping WHERE blog_id = ? AND created_on >= ?",
                               (blog_id, since)).fetchone()[0]

    # -- jobs ---------------------------------------------------------------

    def next_job(self, now):
        row = self.db.execute(self._select(Job) + " WHERE not_before <= ? ORDER BY id LIMIT 1",
                              (now,)).fetchone()
        return self._row_to_record(Job, row) if row else None


class _Transaction:
    """BEGIN IMMEDIATE: the write lock is taken at once, so checks made inside
    (duplicates, throttles) cannot race with another process's insert."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        if self.store.depth == 0:
            self.store.db.execute("BEGIN IMMEDIATE")
        self.store.depth += 1
        return self.store

    def __exit__(self, error_type, error, traceback):
        self.store.depth -= 1
        if self.store.depth == 0:
            self.store.db.execute("ROLLBACK" if error_type else "COMMIT")
        return False
