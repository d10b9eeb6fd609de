"""Flat-file backend: plain text files a weblog owner can open and read.

The DataSource folder holds:

    mtpy-store.txt                      what this folder is; the format and schema versions
    .lock                               locked by whoever is writing
    journal.json                        only while a commit is being applied
    entry/000123.txt                    one file per record (likewise blog/, author/,
                                        category/, trackback/, ping/, ipban/, job/,
                                        permission/, session/, activity/)
    entry/last-id.txt                   the last id given out: ids are never reused
    index/trackback-000007/counts.txt   how many pings item 7 has, and how many visible
    index/trackback-000007/ids-000012.txt   its pings with ids 12000-12999, in order
    index/trackback-000007/urls/1a2b3c4d.txt   its pings from source URLs with this CRC-32
    index/blog-000001-recent.txt        every ping of blog 1 created since a given time (id, time, address)
    index/blog-000001-junk/1a2b3c4d.txt its junk pings from source URLs with this CRC-32
    index/blog-000001-states.txt        how many of blog 1's pings are in each state (mt.cgi
                                        shows the held count on every screen); made by
                                        the first count of a folder written before it

A record file has one `name: value` line per field, in the model's order. Text is
written as it is, its further lines indented by two spaces. Other values (numbers,
true/false, null, lists, dicts) are one line of JSON. A text field holding
something other than text (None, say) is written `name:= <JSON>`. A field missing
from a file (one written before the field existed) has its default value, or the
value the SQL stores' migration gave the rows already there (WRITTEN_BEFORE).

The index files keep the queries made on every ping (duplicates, counts, the
newest pings, throttles, sources already junked) as fast with 100,000 pings as
with ten; they change in the same transaction as the pings.

A transaction keeps its writes in memory (reads within it see them) and applies
them at commit under an exclusive lock. A commit of several files first writes
them all to journal.json, so one interrupted halfway is completed by the next
writer.
"""

import itertools
import json
import os
import zlib

from mtpy import dates
from mtpy import fileutil
from mtpy.models import Author, Blog, Entry, Ping, Job, Session, Activity, Trackback
from mtpy.store import (PING_STATES, SEARCHED_FIELDS, Store, StoreError, NoStoreError, SCHEMA_VERSION, ascii_lower,
                        check_schema, ping_holds)

MARKER = "mtpy-store.txt"
MARKER_TEXT = """mtpy flat-file store, version 1
schema version: %d

One text file per record in blog/, author/, entry/, category/, trackback/, ping/,
ipban/, job/, permission/, session/ and activity/. index/ holds lookup files that
must stay in step with ping/: read the files freely, but change them through mtpy
only.
""" % SCHEMA_VERSION
SCHEMA_LINE = "schema version: "
# The schema version of a store whose marker has no schema line: the releases
# before schema 8 wrote none (they read the files of every earlier one as they are).
UNMARKED_SCHEMA = 7
JOURNAL = "journal.json"
LOCK_TIMEOUT = 30           # seconds, as long as the SQLite backend waits for its lock
IDS_PER_FILE = 1000         # ping ids per index file: bounds what adding a ping rewrites
RECENT_SECONDS = 24 * 3600  # the throttles look back a day at most
HIDDEN = "hidden"           # the note on an index line of a ping that is not visible
JUNK = "junk"               # the verdict on a line of the recent file of a junk ping
# Fields whose value in a record file written before they existed is not their
# default: the authors made before mt.cgi (by `mtpy init`) administer the site.
WRITTEN_BEFORE = {Author: {"is_admin": True}}


class FlatStore(Store):

    def __init__(self, folder, create=False, upgrade=False):
        self.folder = folder
        marker = os.path.join(folder, MARKER)
        exists = os.path.exists(marker)
        if create and exists:
            raise StoreError("A store already exists at %s" % folder)
        if not create and not exists:
            raise NoStoreError("No store at %s (run `mtpy init` first)" % folder)
        self.pending = {}  # file name in the store -> its new text, or None to delete it
        self.lock = None
        if create:
            fileutil.make_data_folder(folder)
            write_atomic(marker, MARKER_TEXT)
        elif _read_file(marker).split("\n", 1)[0] != MARKER_TEXT.split("\n", 1)[0]:
            raise StoreError("Cannot open the store %s: %s is not in a format this mtpy reads"
                             % (folder, MARKER))
        else:
            self.schema_version = _marker_schema(_read_file(marker))
            check_schema(folder, self.schema_version, upgrade)
        if os.path.exists(self._path(JOURNAL)):
            try:
                with self.transaction():  # taking the lock completes the interrupted commit
                    pass
            except OSError:
                pass  # still no room to apply it: readers see what is applied, writers retry

    # -- schema versions -----------------------------------------------------

    def _stored_schema_version(self):
        return _marker_schema(self._read(MARKER))

    def _migrate_from(self, version):
        """Record files are read whatever version wrote them (a missing field
        has its default, or WRITTEN_BEFORE's value): only the marker changes."""
        self._write(MARKER, MARKER_TEXT)

    def copy_as_is(self):
        """A zip of the folder (but backups/ and the lock) into
        backups/mtpy-DATE-TIME-schemaN.zip, taken under the store's lock."""
        import zipfile
        path = self.backup_path(".zip")
        skipped = {os.path.dirname(path), self._path(".lock")}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for folder, subfolders, files in os.walk(self.folder):
                subfolders[:] = sorted(name for name in subfolders if os.path.join(folder, name) not in skipped)
                for name in sorted(files):
                    full = os.path.join(folder, name)
                    if full not in skipped and not name.endswith(".tmp"):
                        archive.write(full, os.path.relpath(full, self.folder))
        return path

    def close(self):
        """Let go of the lock file (held only inside a transaction): a forked
        process must take its own (web.run_cgi closes the store before forking)."""
        if self.lock is not None and self.depth == 0:
            self.lock = None

    # -- files, as the current transaction sees them ------------------------

    def _path(self, name):
        return os.path.join(self.folder, name)

    def _read(self, name):
        if name in self.pending:
            return self.pending[name]
        return _read_file(self._path(name))

    def _lines(self, name):
        text = self._read(name)
        return text.splitlines() if text else []

    def _write(self, name, text):
        """Change a file (text None: delete it) when the transaction commits."""
        self.pending[name] = text

    def _names(self, folder):
        try:
            names = set(os.listdir(self._path(folder)))
        except FileNotFoundError:
            names = set()
        prefix = folder + "/"
        for name, text in self.pending.items():
            if not name.startswith(prefix) or "/" in name[len(prefix):]:
                continue
            if text is None:
                names.discard(name[len(prefix):])
            else:
                names.add(name[len(prefix):])
        return names

    # -- transactions -------------------------------------------------------

    def _begin(self):
        if self.lock is None:
            self.lock = _file_lock(self._path(".lock"))
        from filelock import Timeout
        try:
            self.lock.acquire()
        except Timeout:  # fail the request rather than hang
            raise StoreError("The store is busy: %s stayed locked for %g seconds"
                             % (self._path(".lock"), LOCK_TIMEOUT))
        try:
            journal = _read_file(self._path(JOURNAL))
            if journal is not None:  # a writer died while applying its commit
                self._apply(json.loads(journal))
                os.unlink(self._path(JOURNAL))
        except BaseException:
            self.lock.release()
            raise

    def _end(self, commit):
        try:
            if commit and self.pending:
                self._commit()
        finally:
            self.pending = {}
            self.lock.release()

    def _commit(self):
        changes = list(self.pending.items())
        if len(changes) == 1:  # replacing one file is atomic already
            self._apply(changes)
            return
        # Once the journal is on disk the transaction is committed: should
        # applying it fail halfway (a full disk), the next writer finishes the
        # job. So that failure is not the transaction's: raising would answer
        # "not stored" for what the next write stores.
        write_atomic(self._path(JOURNAL), json.dumps(changes))
        try:
            self._apply(changes)
            os.unlink(self._path(JOURNAL))
        except OSError as error:
            from mtpy.web import log_error
            log_error(None, "mtpy flat store %s: a committed transaction is kept in %s until it can be "
                            "applied (%s)" % (self.folder, JOURNAL, error))

    def _apply(self, changes):
        for name, text in changes:
            if text is not None:
                write_atomic(self._path(name), text)
                continue
            try:
                os.unlink(self._path(name))
            except FileNotFoundError:  # replaying a journal: done before
                pass

    # -- generic records ----------------------------------------------------

    def get(self, kind, record_id):
        return self._load(kind, _record_file(kind, record_id))

    def _load(self, kind, name):
        text = self._read(name) if name else None
        if text is None:
            return None
        try:
            return _parse(kind, text)
        except (ValueError, KeyError) as error:
            raise StoreError("Cannot read %s: %s" % (self._path(name), error))

    def _all(self, kind):
        """Every record of the kind, by id: a scan, kept off the ping path."""
        return list(self._each(kind))

    def _each(self, kind, newest_first=False):
        """The records of the kind by id, each file read only when reached."""
        for record_id in sorted(_record_ids(self._names(_folder(kind))), reverse=newest_first):
            record = self.get(kind, record_id)
            if record is not None:  # else deleted since the folder was listed
                yield record

    def find(self, kind, /, order_by="id", desc=False, limit=None, offset=0, **equals):
        if order_by not in kind.FIELDS:
            raise KeyError(order_by)
        found = self._matching(kind, equals)
        found.sort(key=lambda record: (_order_key(getattr(record, order_by)), record.id),
                   reverse=desc)
        return _page(found, limit, offset)

    def count(self, kind, /, **equals):
        return len(self._matching(kind, equals))

    def _matching(self, kind, equals):
        for name in equals:
            if name not in kind.FIELDS:
                raise KeyError(name)
        return [record for record in self._all(kind)
                if all(getattr(record, name) == value for name, value in equals.items())]

    def insert(self, record):
        kind = type(record)
        with self.transaction():
            last = self._last_id(kind)
            if record.id is None:
                record.id = last + 1
            elif self._read(_record_file(kind, record.id)) is not None:
                raise StoreError("%s %s already exists" % (kind.__name__, record.id))
            self._write(_folder(kind) + "/last-id.txt", "%d\n" % max(last, record.id))
            self._write(_record_file(kind, record.id), _format(record))
            if kind is Ping:
                self._index_ping(record, add=True)
            elif kind is Blog and self._state_counts(record.id) is None:     # counted from its first ping
                self._write_state_counts(record.id, dict.fromkeys(PING_STATES, 0))
        return record.id

    def _last_id(self, kind):
        text = self._read(_folder(kind) + "/last-id.txt")
        if text is not None:
            return int(text)
        # No counter yet (a new store): start after whatever records are there.
        return max(_record_ids(self._names(_folder(kind))), default=0)

    def update(self, record):
        kind = type(record)
        name = _record_file(kind, record.id)
        with self.transaction():
            if name is None or self._read(name) is None:
                return  # as SQL's UPDATE of a missing row: nothing changes
            if kind is Ping:
                self._index_ping(self._load(kind, name), add=False)
                self._index_ping(record, add=True)
            self._write(name, _format(record))

    def delete(self, kind, record_id):
        name = _record_file(kind, record_id)
        with self.transaction():
            if name is None or self._read(name) is None:
                return False
            if kind is Ping:
                self._index_ping(self._load(kind, name), add=False)
            self._write(name, None)
        return True

    # -- pings --------------------------------------------------------------

    def _index_ping(self, ping, add):
        """Enter the ping in the index files, or (add False) take it out."""
        folder = _item_folder(ping.tb_id)
        if folder is not None:
            line = "%d%s" % (ping.id, "" if ping.visible else " " + HIDDEN)
            self._put_id(folder + "/ids-%06d.txt" % (ping.id // IDS_PER_FILE),
                         ping.id, line if add else None)
            self._put_id(_url_file(folder, ping.source_url), ping.id,
                         str(ping.id) if add else None)
            counts = self._counts(folder)
            step = 1 if add else -1
            counts["pings"] += step
            if ping.visible:
                counts["visible"] += step
            self._write(folder + "/counts.txt", "pings: %(pings)d\nvisible: %(visible)d\n" % counts
                        if counts["pings"] else None)
        blog = _number(ping.blog_id)
        if blog is not None:
            self._log_recent(blog, ping, add)
            self._count_state(blog, ping, add)
            if ping.junk:
                self._put_id(_junk_file(blog, ping.source_url), ping.id, str(ping.id) if add else None)

    def _put_id(self, name, ping_id, line):
        """The file lists ping ids in order, one a line, maybe with a note after
        it: put `line` in the place of `ping_id`, or (line None) drop the id."""
        lines = self._lines(name)
        at = len(lines)
        while at and _leading_id(lines[at - 1]) >= ping_id:  # new pings go last: search from there
            at -= 1
        if at < len(lines) and _leading_id(lines[at]) == ping_id:
            del lines[at]
        if line is not None:
            lines.insert(at, line)
        self._write(name, "".join(text + "\n" for text in lines) if lines else None)

    def _count_state(self, blog, ping, add):
        """Add the ping to its blog's counts by state, or take it out; a blog
        whose counts were never made is left for count_pings_by_state to count."""
        counts = self._state_counts(blog)
        if counts is not None:
            counts[_state_of(ping)] += 1 if add else -1
            self._write_state_counts(blog, counts)

    def _state_counts(self, blog):
        """The blog's counts by state (a dict), or None when never made."""
        lines = self._lines(_states_file(blog))
        if not lines:
            return None
        counts = dict.fromkeys(PING_STATES, 0)
        for line in lines:
            state, _, value = line.partition(": ")
            counts[state] = int(value)
        return counts

    def _write_state_counts(self, blog, counts):
        self._write(_states_file(blog), "".join("%s: %d\n" % (state, counts[state]) for state in PING_STATES))

    def _counts(self, folder):
        counts = {"pings": 0, "visible": 0}
        for line in self._lines(folder + "/counts.txt") if folder else []:
            key, _, value = line.partition(": ")
            counts[key] = int(value)
        return counts

    def _recent(self, blog):
        """(since, [(ping id, created_on, ip, junk)]): every ping of the blog
        created at or after `since`. No file: the blog never had a ping, so
        since is "". A line is `id created_on ip junk|ok`; lines written before
        the address or the verdict was logged have None there."""
        lines = self._lines(_recent_file(blog)) if blog is not None else []
        if not lines:
            return "", []
        since = lines[0].partition(": ")[2]
        pings = []
        for line in lines[1:]:
            words = line.split(" ")
            verdict = words[4] if len(words) > 4 else None
            pings.append((int(words[0]), " ".join(words[1:3]), _logged_ip(words[3:4]),
                          None if verdict is None else verdict == JUNK))
        return since, pings

    def _log_recent(self, blog, ping, add):
        since, pings = self._recent(blog)
        # Forget what the throttles never ask about, so the file stays small.
        since = max(since, dates.utc_now(-RECENT_SECONDS))
        pings = [logged for logged in pings if logged[1] >= since and logged[0] != ping.id]
        if add and ping.created_on >= since:
            pings.append((ping.id, ping.created_on, ping.ip, bool(ping.junk)))
        self._write(_recent_file(blog), "since: %s\n" % since + "".join(
            "%d %s%s%s\n" % (ping_id, created, "" if ip is None else " " + (ip or "-"),
                             "" if ip is None or junk is None else " " + (JUNK if junk else "ok"))
            for ping_id, created, ip, junk in pings))

    def list_pings(self, tb_id=None, blog_id=None, visible_only=True,
                   newest_first=False, limit=None, offset=0):
        if tb_id is None:  # a blog's or all pings: only admin pages ask, so scan
            candidates = self._each(Ping, newest_first)
        else:
            candidates = self._item_pings(tb_id, visible_only, newest_first, offset)
            offset = 0
        found = []
        for ping in candidates:
            if offset:
                if ((blog_id is None or ping.blog_id == _number(blog_id))
                        and (ping.visible or not visible_only)):
                    offset -= 1
                continue
            if limit is not None and len(found) >= int(limit):
                break
            if ((tb_id is None or ping.tb_id == _number(tb_id))
                    and (blog_id is None or ping.blog_id == _number(blog_id))
                    and (ping.visible or not visible_only)):
                found.append(ping)
        return found

    def _item_pings(self, tb_id, visible_only, newest_first, skip=0):
        """The item's pings in id order, read through its index files; hidden
        ones, and the first `skip` shown ones, are passed without opening them."""
        folder = _item_folder(tb_id)
        if folder is None:
            return
        chunks = sorted((name for name in self._names(folder) if name.startswith("ids-")),
                        key=lambda name: int(name[4:-4]), reverse=newest_first)
        for chunk in chunks:
            lines = self._lines(folder + "/" + chunk)
            for line in reversed(lines) if newest_first else lines:
                ping_id, _, note = line.partition(" ")
                if visible_only and note == HIDDEN:
                    continue
                if skip:
                    skip -= 1
                    continue
                ping = self.get(Ping, int(ping_id))
                if ping is not None:  # else deleted since we read the index: readers take no lock
                    yield ping

    def _pings_matching(self, blog_id, tb_id, protocol, kind, contains, state=None, newest_first=False):
        """find_pings' pings, in id order (newest first if asked): an item's
        through its index; a blog's: only admin pages ask, so scan."""
        pings = self._item_pings(tb_id, False, newest_first) if tb_id is not None else self._each(Ping, newest_first)
        blog_id = _number(blog_id) if blog_id is not None else None
        fields = dict({name: value for name, value in (("protocol", protocol), ("kind", kind)) if value is not None},
                      **PING_STATES.get(state, {}))
        wanted = ascii_lower(contains) if contains else None
        titles = None
        for ping in pings:
            if ((blog_id is not None and ping.blog_id != blog_id)
                    or any(getattr(ping, name) != value for name, value in fields.items())):
                continue
            if wanted is not None:
                if titles is None:      # read once, when a ping needs them
                    titles = {item.id: item.title for item in self._each(Trackback)}
                if not ping_holds(ping, wanted, titles):
                    continue
            yield ping

    def find_pings(self, blog_id=None, tb_id=None, state=None, protocol=None, kind=None, contains=None,
                   limit=None, offset=0):
        found = self._pings_matching(blog_id, tb_id, protocol, kind, contains, state, newest_first=True)
        end = None if limit is None else int(offset) + int(limit)
        return list(itertools.islice(found, int(offset), end))

    def count_pings_by_state(self, blog_id=None, tb_id=None, protocol=None, kind=None, contains=None):
        blog = _number(blog_id) if blog_id is not None else None
        if blog is not None and all(value is None for value in (tb_id, protocol, kind, contains)):
            counts = self._state_counts(blog)
            if counts is None:      # a folder written before the counts were kept
                with self.transaction():    # the lock: no ping changes while they are counted
                    counts = self._state_counts(blog) or self._count_states(blog)
                    if self.get(Blog, blog) is not None:
                        self._write_state_counts(blog, counts)
        else:
            counts = self._count_states(blog_id, tb_id, protocol, kind, contains)
        hidden = counts["held"] + counts["junk"] + counts["withdrawn"]
        return self._by_state(counts["published"], counts["junk"], hidden, counts["withdrawn"])

    def _count_states(self, blog_id, tb_id=None, protocol=None, kind=None, contains=None):
        """{state: how many} of the pings find_pings would find, read one by one."""
        counts = dict.fromkeys(PING_STATES, 0)
        for ping in self._pings_matching(blog_id, tb_id, protocol, kind, contains):
            counts[_state_of(ping)] += 1
        return counts

    def count_pings(self, tb_id, visible_only=True):
        return self._counts(_item_folder(tb_id))["visible" if visible_only else "pings"]

    def find_ping(self, tb_id, source_url):
        folder = _item_folder(tb_id)
        if folder is None:
            return None
        for line in self._lines(_url_file(folder, source_url)):
            ping = self.get(Ping, int(line))
            if ping is not None and ping.source_url == source_url:  # CRC-32s can collide
                return ping
        return None

    def count_pings_since(self, blog_id, since, ip=None, junk=None, at_most=None):
        from mtpy.addresses import from_sender, sender_network
        network = sender_network(ip) if ip is not None else None

        def counted(ping_ip, ping_junk):
            if junk is not None and bool(ping_junk) != junk:
                return False
            if network is not None:
                return from_sender(ping_ip or "", network)
            return ip is None or ping_ip == ip

        logged_since, pings = self._recent(_number(blog_id))
        if since >= logged_since:
            found = 0
            for ping_id, created, logged_ip, logged_junk in pings:
                if created < since:
                    continue
                if (logged_ip is None and ip is not None) or (logged_junk is None and junk is not None):
                    ping = self.get(Ping, ping_id)    # a line older than what it lacks
                    if ping is None:
                        continue
                    logged_ip, logged_junk = ping.ip, ping.junk
                found += counted(logged_ip, logged_junk)
                if found == at_most:
                    break
            return found
        # Further back than the log goes: count the slow way.
        found = sum(1 for ping in self._all(Ping)
                    if ping.blog_id == _number(blog_id) and ping.created_on >= since
                    and counted(ping.ip, ping.junk))
        return found if at_most is None else min(found, at_most)

    def count_pings_from_host_since(self, blog_id, host, since, at_most=None):
        from mtpy.junk import source_host
        logged_since, pings = self._recent(_number(blog_id))
        if since >= logged_since:
            recent = sorted((created, ping_id) for ping_id, created, _, _ in pings if created >= since)
            found = [self.get(Ping, ping_id) for _, ping_id in recent[-self.HOST_SCAN_LIMIT:]]
        else:  # further back than the log goes: the slow way
            found = sorted((ping for ping in self._each(Ping)
                            if ping.blog_id == _number(blog_id) and ping.created_on >= since),
                           key=lambda ping: (ping.created_on, ping.id))[-self.HOST_SCAN_LIMIT:]
        found = sum(1 for ping in found if ping is not None and source_host(ping.source_url) == host)
        return found if at_most is None else min(found, at_most)

    def junk_source_seen(self, blog_id, source_url):
        blog = _number(blog_id)
        if blog is None:
            return False
        for line in self._lines(_junk_file(blog, source_url)):
            ping = self.get(Ping, int(line))
            if ping is not None and ping.junk and ping.source_url == source_url:   # CRC-32s can collide
                return True
        return False

    # -- mt.cgi ---------------------------------------------------------------

    def _entries(self, blog_id, title_contains, text_contains=None):
        blog_id = _number(blog_id)
        searches = [(ascii_lower(wanted), fields) for wanted, fields in
                    ((title_contains, ("title",)), (text_contains, SEARCHED_FIELDS)) if wanted]

        def holds(entry, wanted, fields):
            return any(isinstance(getattr(entry, field), str) and wanted in ascii_lower(getattr(entry, field))
                       for field in fields)
        return [entry for entry in self._each(Entry) if entry.blog_id == blog_id
                and all(holds(entry, wanted, fields) for wanted, fields in searches)]

    def list_entries(self, blog_id, title_contains=None, limit=None, offset=0, text_contains=None):
        found = self._entries(blog_id, title_contains, text_contains)
        found.sort(key=lambda entry: (_order_key(entry.created_on), entry.id), reverse=True)
        return _page(found, limit, offset)

    def count_entries(self, blog_id, title_contains=None, text_contains=None):
        return len(self._entries(blog_id, title_contains, text_contains))

    def _activity(self, blog_ids):
        lines = self._each(Activity, newest_first=True)
        if blog_ids is None:
            return lines
        wanted = {_number(blog_id) for blog_id in blog_ids}
        return (line for line in lines if line.blog_id is not None and line.blog_id in wanted)

    def list_activity(self, blog_ids=None, limit=None, offset=0):
        return _page(self._activity(blog_ids), limit, offset)

    def count_activity(self, blog_ids=None):
        if blog_ids is None:
            return len(_record_ids(self._names(_folder(Activity))))
        return sum(1 for line in self._activity(blog_ids))

    def count_activity_since(self, kind, since, ip=None, author_name=None):
        # Newest first, up to the first line older than `since`: lines are
        # logged as things happen, so ids follow times, and a login reads only
        # the recent lines of a log that every ping lengthens.
        count = 0
        for line in self._each(Activity, newest_first=True):
            if not (isinstance(line.created_on, str) and line.created_on >= since):
                break
            if (line.kind == kind and (ip is None or line.ip == ip)
                    and (author_name is None or line.author_name == author_name)):
                count += 1
        return count

    def delete_sessions(self, author_id, keep_id=None):
        keep_id = _number(keep_id)
        with self.transaction():
            ended = [session.id for session in self._each(Session)
                     if session.author_id == _number(author_id) and session.id != keep_id]
            for session_id in ended:
                self.delete(Session, session_id)
        return len(ended)

    # -- jobs ---------------------------------------------------------------

    def next_job(self, now):
        for job in self._all(Job):  # few jobs wait at any time
            if job.not_before <= now:
                return job
        return None


def write_atomic(path, text):
    """fileutil.write_atomic with the modes of the data folder's files."""
    return fileutil.write_atomic(path, text, kind=fileutil.DATA)


def _file_lock(path):
    """An exclusive lock on the file across processes and threads: filelock
    (fcntl on Unix, msvcrt on Windows), bounded like SQLite's busy timeout."""
    from filelock import FileLock
    # Made with the store's mode first: filelock makes it 0644, and before
    # version 3.10 takes no mode.
    fileutil.create_file(path, fileutil.DATA)
    try:
        return FileLock(path, timeout=LOCK_TIMEOUT, mode=os.stat(path).st_mode & 0o777)
    except TypeError:
        return FileLock(path, timeout=LOCK_TIMEOUT)


def _page(records, limit, offset):
    """The records (a list or an iterator) from `offset` on, `limit` of them at most."""
    start = int(offset or 0)
    return list(itertools.islice(records, start, None if limit is None else start + int(limit)))


# -- file names -------------------------------------------------------------

def _number(value):
    """An id as SQLite matches it against an INTEGER column (7 or "7"), or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _folder(kind):
    return kind.__name__.lower()


def _record_file(kind, record_id):
    """The file of the record, or None for an id no record can have."""
    number = _number(record_id)
    return None if number is None else "%s/%06d.txt" % (_folder(kind), number)


def _record_ids(names):
    """The ids of the record files among these names (not counters, nor the
    temporary files of writes under way)."""
    return [int(name[:-4]) for name in names if name.endswith(".txt") and name[:-4].isdigit()]


def _item_folder(tb_id):
    number = _number(tb_id)
    return None if number is None else "index/trackback-%06d" % number


def _url_file(item_folder, source_url):
    return "%s/urls/%08x.txt" % (item_folder, zlib.crc32(str(source_url).encode("utf-8")))


def _logged_ip(words):
    """The address of a line of the recent file: None on lines older than the
    address ("-": none was known)."""
    if not words:
        return None
    ip = " ".join(words)
    return "" if ip == "-" else ip


def _recent_file(blog):
    return "index/blog-%06d-recent.txt" % blog


def _states_file(blog):
    return "index/blog-%06d-states.txt" % blog


def _state_of(ping):
    """The ping's state, as PING_STATES names them."""
    if ping.visible:
        return "published"
    if ping.junk:
        return "junk"
    return "withdrawn" if ping.withdrawn else "held"


def _junk_file(blog, source_url):
    return "index/blog-%06d-junk/%08x.txt" % (blog, zlib.crc32(str(source_url).encode("utf-8")))


def _leading_id(line):
    return int(line.partition(" ")[0])


def _marker_schema(text):
    """The schema version a marker file states (UNMARKED_SCHEMA when none)."""
    for line in (text or "").split("\n")[1:4]:
        if line.startswith(SCHEMA_LINE):
            try:
                return int(line[len(SCHEMA_LINE):])
            except ValueError:
                raise StoreError("%s: not a schema version: %r" % (MARKER, line[:80]))
    return UNMARKED_SCHEMA


def _read_file(path):
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except FileNotFoundError:
        return None


# -- record text ------------------------------------------------------------

def _format(record):
    lines = []
    for name, default in record.FIELDS.items():
        value = getattr(record, name)
        if isinstance(default, str) and isinstance(value, str):
            first, *more = value.split("\n")
            lines.append("%s: %s" % (name, first) if first else name + ":")
            lines.extend("  " + line for line in more)
        else:
            marker = "=" if isinstance(default, str) else ""
            lines.append("%s:%s %s" % (name, marker, json.dumps(value, ensure_ascii=False)))
    return "\n".join(lines) + "\n"


def _parse(kind, text):
    found = {}  # name -> [is JSON, text]
    lines = text.split("\n")  # not splitlines(): text may hold \r and the like
    if lines[-1] == "":
        lines.pop()
    name = None
    for line in lines:
        if line.startswith("  ") or not line:  # a further line (an editor may strip "  ")
            found[name][1] += "\n" + line[2:]
            continue
        name, _, rest = line.partition(":")
        if rest.startswith("="):
            found[name] = [True, rest[1:]]
        else:
            found[name] = [not isinstance(kind.FIELDS.get(name, ""), str),
                           rest[1:] if rest.startswith(" ") else rest]
    values = dict(WRITTEN_BEFORE.get(kind, {}))
    for name, (is_json, value) in found.items():
        if name in kind.FIELDS:  # a field this version no longer has is left out
            values[name] = json.loads(value) if is_json else value
    return kind(**values)


def _order_key(value):
    """Values in SQLite's order: NULL, numbers, text (lists and dicts are JSON text there)."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)):
        return (1, value)
    return (2, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
