"""What the SQL backends (SQLite, PostgreSQL) share: one table per record kind,
a column per field, lists and dicts as JSON text, and the queries the ping and
publishing paths need.

A backend sets the placeholder its driver takes (`PARAM`), how a boolean is
written in SQL (`TRUE`) and stored (`_bool`), and how NULLs sort; it provides
the connection (`self.db`), `transaction()`, `insert()`, `find_in()` and
`find_ping()`, where the two databases differ.
"""

from mtpy.models import Blog, Author, Entry, Category, Trackback, Ping, IPBan, Job, Permission, Session, Activity
from mtpy.store import PING_STATES, SEARCHED_FIELDS, Store, ascii_lower

TABLES = {Blog: "blog", Author: "author", Entry: "entry", Category: "category",
          Trackback: "trackback", Ping: "tbping", IPBan: "ipban", Job: "job",
          Permission: "permission", Session: "session", Activity: "activity"}

# What a ping's source_host column holds at most: a valid host name has 253
# characters, and an imported ping's odd URL must not overflow an index row.
HOST_COLUMN_LIMIT = 255


def _ping_source_host(ping):
    from mtpy.junk import source_host
    return source_host(ping.source_url)[:HOST_COLUMN_LIMIT]


# Columns a table keeps beside its kind's fields, derived from them at every
# write: a ping's source host (mtpy.junk.source_host), so that judging a new
# ping counts the host's recent pings from an index (tbping_blog_host_time)
# instead of reading the hour's pings and parsing each URL.
DERIVED_COLUMNS = {Ping: (("source_host", _ping_source_host),)}


def _dump_json(value):
    """The JSON text of a list or dict column. A flat list of integers and
    strings, or a flat dict of them keyed by strings (an entry's category ids, a
    job's payload, a ping's junk reasons and link-back check) is written here,
    exactly as json.dumps writes it: importing json (and re, which it imports)
    costs a CGI ping about 7 ms of CPU, a quarter of the whole ping."""
    if type(value) is list and all(type(item) in _FLAT for item in value):
        return "[%s]" % ", ".join(_FLAT[type(item)](item) for item in value)
    if type(value) is dict and all(type(key) is str and type(item) in _FLAT for key, item in value.items()):
        return "{%s}" % ", ".join("%s: %s" % (_json_string(key), _FLAT[type(item)](item))
                                  for key, item in value.items())
    import json
    return json.dumps(value, ensure_ascii=False)


# str.translate's table for a JSON string as json.dumps writes it (with
# ensure_ascii=False, as the columns have always been written): quote,
# backslash and the ASCII control characters escaped, everything else as it is.
_STRING_ESCAPES = {code: "\\u%04x" % code for code in range(0x20)}
_STRING_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r",
                        ord("\t"): "\\t", ord("\b"): "\\b", ord("\f"): "\\f"})


def _json_string(text):
    return '"%s"' % text.translate(_STRING_ESCAPES)


_FLAT = {int: str, str: _json_string}     # what _dump_json writes itself, and how


def _load_json(text):
    """The value of a list or dict column: a flat list or dict of integers and
    strings (what _dump_json writes, or json.dumps wrote) is read without json;
    anything else (nested values, numbers that are not integers) with it."""
    try:
        return _FlatReader(text).value()
    except (ValueError, IndexError, KeyError):
        pass
    import json
    return json.loads(text)


class _FlatReader:
    """Reads `[...]` or `{...}` whose values are JSON strings or integers;
    ValueError for anything else (json.loads then decides)."""

    def __init__(self, text):
        self.text = text
        self.at = 0

    def value(self):
        opening = self._next()
        closing = {"[": "]", "{": "}"}.get(opening)
        if closing is None:
            raise ValueError(opening)
        found = [] if opening == "[" else {}
        self.at += 1
        if self._next() == closing:
            self.at += 1
        else:
            while True:
                if closing == "}":
                    key = self._string()
                    self._expect(":")
                    found[key] = self._item()
                else:
                    found.append(self._item())
                if self._next() == closing:
                    self.at += 1
                    break
                self._expect(",")
        if self._next() != "":
            raise ValueError("text after the value")
        return found

    def _next(self):
        """The next character that is not JSON white space ("" at the end)."""
        text, at = self.text, self.at
        while at < len(text) and text[at] in " \t\n\r":
            at += 1
        self.at = at
        return text[at:at + 1]

    def _expect(self, char):
        if self._next() != char:
            raise ValueError(char)
        self.at += 1

    def _item(self):
        if self._next() == '"':
            return self._string()
        text, start = self.text, self.at
        end = start
        while end < len(text) and text[end] not in ",]} \t\n\r":
            end += 1
        self.at = end
        return _integer(text[start:end])

    def _string(self):
        text = self.text
        if self._next() != '"':
            raise ValueError("not a string")
        at, parts = self.at + 1, []
        while True:
            quote, backslash = text.find('"', at), text.find("\\", at)
            if quote < 0:
                raise ValueError("unterminated string")
            if backslash < 0 or quote < backslash:
                parts.append(text[at:quote])
                self.at = quote + 1
                return "".join(parts)
            parts.append(text[at:backslash])
            escape = text[backslash + 1]
            if escape == "u":
                code, at = _hex4(text, backslash + 2), backslash + 6
                if 0xD800 <= code < 0xDC00 and text[at:at + 2] == "\\u":
                    low = _hex4(text, at + 2)
                    if 0xDC00 <= low < 0xE000:     # a pair: one character beyond U+FFFF
                        code, at = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), at + 6
                parts.append(chr(code))
            else:
                parts.append(_SIMPLE_ESCAPES[escape])   # KeyError: not JSON
                at = backslash + 2


_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _hex4(text, at):
    digits = text[at:at + 4]
    if len(digits) != 4 or not all(char in "0123456789abcdefABCDEF" for char in digits):
        raise ValueError(digits)
    return int(digits, 16)


def _integer(text):
    """A JSON integer's value; ValueError for anything else (int() would take
    "1_0" or "+1", and JSON has no leading zeros)."""
    text = text.strip()
    digits = text[1:] if text[:1] == "-" else text
    if not (digits.isascii() and digits.isdigit()) or (len(digits) > 1 and digits[0] == "0"):
        raise ValueError(text)
    return int(text)


def _like_escaped(text):
    """Text that LIKE ... ESCAPE '\\' matches literally: its %, _ and \\ escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _json_reader(empty):
    def read(value):
        return _load_json(value) if value else type(empty)()
    return read


class SQLStore(Store):
    PARAM = "?"
    NO_LIMIT = "-1"
    TRUE = "1"
    # How ORDER BY puts NULLs where SQLite does by default (first going up).
    NULLS_ASCENDING = NULLS_DESCENDING = ""

    _readers = {}      # kind -> one converter (or None) per column, made once

    def _bool(self, value):
        """A boolean as the database stores it."""
        raise NotImplementedError

    def _check_text(self, record, name, value):
        """Refuse text the database cannot hold (PostgreSQL: NUL)."""

    # -- generic records ----------------------------------------------------

    def _row_to_record(self, kind, row):
        readers = SQLStore._readers.get(kind)
        if readers is None:
            readers = SQLStore._readers[kind] = [
                bool if isinstance(default, bool) else
                _json_reader(default) if isinstance(default, (list, dict)) else None
                for default in kind.FIELDS.values()]
        record = kind.__new__(kind)
        for name, read, value in zip(kind.FIELDS, readers, row):
            setattr(record, name, read(value) if read is not None else value)
        return record

    def _rows(self, kind, sql, args=()):
        return [self._row_to_record(kind, row) for row in self.db.execute(sql, args)]

    def _record_values(self, record):
        values = []
        for name, default in record.FIELDS.items():
            value = getattr(record, name)
            if isinstance(default, bool):
                value = self._bool(value)
            elif isinstance(default, (list, dict)):
                value = _dump_json(value)
            elif isinstance(value, str):
                self._check_text(record, name, value)
            values.append(value)
        return values

    _selects = {}      # kind -> its SELECT ... FROM, made once

    def _select(self, kind):
        sql = SQLStore._selects.get(kind)
        if sql is None:
            sql = SQLStore._selects[kind] = "SELECT %s FROM %s" % (
                ", ".join('"%s"' % name for name in kind.FIELDS), TABLES[kind])
        return sql

    def _columns(self, record):
        """(column names, values) of a record as written: its fields, then the
        columns derived from them (DERIVED_COLUMNS)."""
        names, values = list(record.FIELDS), self._record_values(record)
        for name, derive in DERIVED_COLUMNS.get(type(record), ()):
            names.append(name)
            values.append(derive(record))
        return names, values

    def get(self, kind, record_id):
        row = self.db.execute(self._select(kind) + " WHERE id = " + self.PARAM, (record_id,)).fetchone()
        return self._row_to_record(kind, row) if row else None

    def find(self, kind, /, order_by="id", desc=False, limit=None, offset=0, **equals):
        where, args = self._where(kind, equals)
        if order_by not in kind.FIELDS:
            raise KeyError(order_by)
        way = "DESC" if desc else "ASC"
        sql = self._select(kind) + where
        if order_by == "id":
            sql += " ORDER BY id " + way
        else:
            sql += ' ORDER BY "%s" %s%s, id %s' % (
                order_by, way, self.NULLS_DESCENDING if desc else self.NULLS_ASCENDING, way)
        return self._rows(kind, sql + self._page(limit, offset), args)

    def count(self, kind, /, **equals):
        where, args = self._where(kind, equals)
        return self.db.execute("SELECT COUNT(*) FROM %s%s" % (TABLES[kind], where), args).fetchone()[0]

    def _where(self, kind, equals):
        """The WHERE clause of fields equal to values, and its arguments."""
        if not equals:
            return "", []
        clauses, args = [], []
        for name, value in equals.items():
            if name not in kind.FIELDS:
                raise KeyError(name)
            if value is None:
                clauses.append('"%s" IS NULL' % name)
            else:
                clauses.append('"%s" = %s' % (name, self.PARAM))
                # 0 and 1 given for a boolean field mean False and True.
                args.append(self._bool(value) if isinstance(kind.FIELDS[name], bool) else value)
        return " WHERE " + " AND ".join(clauses), args

    def update(self, record):
        kind = type(record)
        names, values = self._columns(record)
        names, values = names[1:], values[1:]
        self.db.execute("UPDATE %s SET %s WHERE id = %s" % (
            TABLES[kind], ", ".join('"%s" = %s' % (name, self.PARAM) for name in names), self.PARAM),
            values + [record.id])

    def delete(self, kind, record_id):
        cursor = self.db.execute("DELETE FROM %s WHERE id = %s" % (TABLES[kind], self.PARAM), (record_id,))
        return cursor.rowcount > 0

    def _insert_sql(self, kind, names):
        return "INSERT INTO %s (%s) VALUES (%s)" % (
            TABLES[kind], ", ".join('"%s"' % name for name in names), ", ".join([self.PARAM] * len(names)))

    # -- pings --------------------------------------------------------------

    def list_pings(self, tb_id=None, blog_id=None, visible_only=True,
                   newest_first=False, limit=None, offset=0):
        clauses, args = [], []
        if tb_id is not None:
            clauses.append("tb_id = " + self.PARAM)
            args.append(tb_id)
        if blog_id is not None:
            clauses.append("blog_id = " + self.PARAM)
            args.append(blog_id)
        if visible_only:
            clauses.append("visible = " + self.TRUE)
        sql = self._select(Ping)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY id " + ("DESC" if newest_first else "ASC") + self._page(limit, offset)
        return self._rows(Ping, sql, args)

    def _page(self, limit, offset):
        """The LIMIT and OFFSET clauses of a page of rows."""
        if limit is None and not offset:
            return ""
        # SQLite wants a LIMIT before an OFFSET (-1: none); PostgreSQL takes ALL.
        sql = " LIMIT %s" % (int(limit) if limit is not None else self.NO_LIMIT)
        return sql + (" OFFSET %d" % int(offset) if offset else "")

    def _pings_where(self, blog_id, tb_id, protocol, kind, contains, state=None):
        """find_pings' and count_pings_by_state's WHERE clause, and its arguments."""
        equals = {"blog_id": blog_id, "tb_id": tb_id, "protocol": protocol, "kind": kind}
        equals = dict({name: value for name, value in equals.items() if value is not None},
                      **PING_STATES.get(state, {}))
        where, args = self._where(Ping, equals)
        if contains:
            # lower() of both sides: ASCII only, as _entries_where matches titles.
            like = [("lower(%s) LIKE " % column) + self.PARAM + " ESCAPE '\\'"
                    for column in ("ip", "source_url", "blog_name", "title")]
            clause = "(%s OR tb_id IN (SELECT id FROM trackback WHERE %s))" % (" OR ".join(like[:3]), like[3])
            where += (" AND " if where else " WHERE ") + clause
            args += ["%" + _like_escaped(ascii_lower(contains)) + "%"] * 4
        return where, args

    def find_pings(self, blog_id=None, tb_id=None, state=None, protocol=None, kind=None, contains=None,
                   limit=None, offset=0):
        where, args = self._pings_where(blog_id, tb_id, protocol, kind, contains, state)
        return self._rows(Ping, self._select(Ping) + where + " ORDER BY id DESC" + self._page(limit, offset), args)

    def count_pings_by_state(self, blog_id=None, tb_id=None, protocol=None, kind=None, contains=None):
        where, args = self._pings_where(blog_id, tb_id, protocol, kind, contains)
        sql = "SELECT visible, junk, withdrawn, COUNT(*) FROM tbping" + where
        published = junk = hidden = withdrawn = 0
        for visible, is_junk, is_withdrawn, count in self.db.execute(
                sql + " GROUP BY visible, junk, withdrawn", args).fetchall():
            if visible:
                published += count
            else:
                hidden += count
                junk += count if is_junk else 0
                withdrawn += count if is_withdrawn and not is_junk else 0
        return self._by_state(published, junk, hidden, withdrawn)

    def count_pings(self, tb_id, visible_only=True):
        sql = "SELECT COUNT(*) FROM tbping WHERE tb_id = " + self.PARAM
        if visible_only:
            sql += " AND visible = " + self.TRUE
        return self.db.execute(sql, (tb_id,)).fetchone()[0]

    def pings_fingerprint(self, tb_id):
        ids = self.db.execute("SELECT COUNT(*), COALESCE(SUM(id), 0), COALESCE(MAX(id), 0) FROM tbping "
                              "WHERE tb_id = %s AND visible = %s" % (self.PARAM, self.TRUE), (tb_id,)).fetchone()
        updated = self.db.execute("SELECT MAX(updated_on) FROM tbping WHERE tb_id = %s AND updated_on <> ''"
                                  % self.PARAM, (tb_id,)).fetchone()     # tbping_item_updated
        return tuple(ids) + (updated[0] or "",)

    def ping_counts(self, blog_id, tb_ids=None):
        sql = "SELECT tb_id, COUNT(*) FROM tbping WHERE blog_id = %s AND visible = %s" % (self.PARAM, self.TRUE)
        if tb_ids is None:
            return dict(self.db.execute(sql + " GROUP BY tb_id", (blog_id,)).fetchall())
        # By item only (the items are the blog's): a blog_id test here led SQLite
        # to scan every ping of the blog instead of the items' own.
        sql = "SELECT tb_id, COUNT(*) FROM tbping WHERE visible = %s" % self.TRUE
        counts, tb_ids = {}, list(tb_ids)
        for start in range(0, len(tb_ids), 500):     # SQLite's limit on parameters
            chunk = tb_ids[start:start + 500]
            counts.update(self.db.execute(sql + " AND tb_id IN (%s) GROUP BY tb_id" % ", ".join(
                [self.PARAM] * len(chunk)), chunk).fetchall())
        return counts

    def count_pings_since(self, blog_id, since, ip=None, junk=None, at_most=None):
        from mtpy.addresses import from_sender, network_text_prefix, sender_network
        where, args = " FROM tbping WHERE blog_id = %s AND created_on >= %s" % (self.PARAM, self.PARAM), [blog_id, since]
        if junk is not None:
            where += " AND junk %s %s" % ("=" if junk else "<>", self.TRUE)
        network = sender_network(ip) if ip is not None else None
        if network is None:
            if ip is not None:
                where, args = where + " AND ip = " + self.PARAM, args + [ip]
            return self._count(where, args, at_most)
        # An IPv6 sender is its /64: the rows whose text starts as the network's
        # do, each tested here (no SQL of the three backends compares networks).
        rows = self.db.execute("SELECT ip" + where + " AND ip LIKE " + self.PARAM,
                               args + [network_text_prefix(network) + "%"])
        found = 0
        for (row_ip,) in rows:
            if from_sender(row_ip, network):
                found += 1
                if found == at_most:
                    break
        return found

    def count_pings_from_host_since(self, blog_id, host, since, at_most=None):
        # The source_host column, written with each ping by the one rule
        # (mtpy.junk.source_host), counted through tbping_blog_host_time.
        # Pings stored before the column (schema 9) have none: not counted.
        return self._count(" FROM tbping WHERE blog_id = %s AND source_host = %s AND created_on >= %s"
                           % (self.PARAM, self.PARAM, self.PARAM), [blog_id, host[:HOST_COLUMN_LIMIT], since], at_most)

    def _count(self, where, args, at_most):
        """COUNT(*) of `where` (" FROM ... WHERE ..."), read no further than
        `at_most` rows when given (a LIMIT in a subquery: COUNT alone reads every
        row an index gives)."""
        if at_most is None:
            return self.db.execute("SELECT COUNT(*)" + where, args).fetchone()[0]
        return self.db.execute("SELECT COUNT(*) FROM (SELECT 1%s LIMIT %s) AS counted" % (where, self.PARAM),
                               args + [at_most]).fetchone()[0]

    def junk_source_seen(self, blog_id, source_url):
        return self.db.execute("SELECT 1 FROM tbping WHERE blog_id = %s AND junk = %s AND source_url = %s LIMIT 1"
                               % (self.PARAM, self.TRUE, self.PARAM), (blog_id, source_url)).fetchone() is not None

    # -- mt.cgi ---------------------------------------------------------------

    def _entries_where(self, blog_id, title_contains, text_contains=None):
        sql, args = " WHERE blog_id = " + self.PARAM, [blog_id]
        for wanted, fields in ((title_contains, ("title",)), (text_contains, SEARCHED_FIELDS)):
            if wanted:
                # lower() of both sides: ASCII only in SQLite, and in PostgreSQL under
                # the "C" collation, as ascii_lower does for the pattern.
                sql += " AND (%s)" % " OR ".join("lower(%s) LIKE %s ESCAPE '\\'" % (field, self.PARAM)
                                                for field in fields)
                args += ["%" + _like_escaped(ascii_lower(wanted)) + "%"] * len(fields)
        return sql, args

    def list_entries(self, blog_id, title_contains=None, limit=None, offset=0, text_contains=None):
        where, args = self._entries_where(blog_id, title_contains, text_contains)
        return self._rows(Entry, self._select(Entry) + where + " ORDER BY created_on DESC%s, id DESC%s"
                          % (self.NULLS_DESCENDING, self._page(limit, offset)), args)

    def count_entries(self, blog_id, title_contains=None, text_contains=None):
        where, args = self._entries_where(blog_id, title_contains, text_contains)
        return self.db.execute("SELECT COUNT(*) FROM entry" + where, args).fetchone()[0]

    def _activity_where(self, blog_ids):
        if blog_ids is None:
            return "", []
        blog_ids = list(blog_ids)
        if not blog_ids:
            return " WHERE 1 = 0", []
        return " WHERE blog_id IN (%s)" % ", ".join([self.PARAM] * len(blog_ids)), blog_ids

    def list_activity(self, blog_ids=None, limit=None, offset=0):
        where, args = self._activity_where(blog_ids)
        return self._rows(Activity, self._select(Activity) + where + " ORDER BY id DESC"
                          + self._page(limit, offset), args)

    def count_activity(self, blog_ids=None):
        where, args = self._activity_where(blog_ids)
        return self.db.execute("SELECT COUNT(*) FROM activity" + where, args).fetchone()[0]

    def count_activity_since(self, kind, since, ip=None, author_name=None):
        sql = "SELECT COUNT(*) FROM activity WHERE kind = %s AND created_on >= %s" % (self.PARAM, self.PARAM)
        args = [kind, since]
        for name, value in (("ip", ip), ("author_name", author_name)):
            if value is not None:
                sql += " AND %s = %s" % (name, self.PARAM)
                args.append(value)
        return self.db.execute(sql, args).fetchone()[0]

    def delete_sessions(self, author_id, keep_id=None):
        sql, args = "DELETE FROM session WHERE author_id = " + self.PARAM, [author_id]
        if keep_id is not None:
            sql += " AND id <> " + self.PARAM
            args.append(keep_id)
        return self.db.execute(sql, args).rowcount

    # -- publishing ---------------------------------------------------------

    def entries_version(self, blog_id):
        row = self.db.execute("SELECT version FROM entry_version WHERE blog_id = " + self.PARAM,
                              (blog_id,)).fetchone()
        return row[0] if row else 0

    def published_entries(self, blog_id):
        rows = self.db.execute("SELECT id, created_on, category_ids FROM entry WHERE blog_id = %s AND "
                               "status = 'Publish' ORDER BY created_on DESC%s, id DESC"
                               % (self.PARAM, self.NULLS_DESCENDING), (blog_id,))
        return [(entry_id, created, _load_json(ids) if ids else []) for entry_id, created, ids in rows]

    # -- jobs ---------------------------------------------------------------

    def next_job(self, now):
        row = self.db.execute(self._select(Job) + " WHERE not_before <= %s ORDER BY id LIMIT 1" % self.PARAM,
                              (now,)).fetchone()
        return self._row_to_record(Job, row) if row else None
