"""The storage interface: one API, several backends with the same behaviour.

A backend implements the primitives marked "backend" below (generic get / find /
insert / update / delete per kind of record, the few ping and job queries that must
stay fast with many rows, and an exclusive `transaction()`); the behaviour that
does not depend on the backend (TrackBack items following their entry or category,
the deferred-work queue) lives here once.

Kinds are the record classes of mtpy.models.
"""

import os

from mtpy.models import Blog, Author, Entry, Category, Trackback, Ping, IPBan, Job, Permission, Session, Activity
from mtpy import dates

KINDS = (Blog, Author, Entry, Category, Trackback, Ping, IPBan, Job, Permission, Session, Activity)


class StoreError(Exception):
    """A store that cannot be opened or created (missing, already there, corrupt)."""


class NoStoreError(StoreError):
    """No store has been created yet (mt.cgi then offers its set-up)."""


def newer_schema(where, version, known):
    """Why a store whose schema is newer than this code's cannot be opened: its
    tables hold what this mtpy would not keep (and might overwrite)."""
    return ("Cannot open the store %s: it was made by a newer mtpy (schema version %d; this mtpy knows "
            "versions up to %d): upgrade mtpy" % (where, version, known))


def open_store(config, create=False):
    """The store named by the config's ObjectDriver and DataSource (and, for
    PostgreSQL, its Database and DB* directives)."""
    driver = config.get("ObjectDriver")
    if driver == "sqlite":
        from mtpy.store.sqlite import SQLiteStore as cls
    elif driver == "flat":
        from mtpy.store.flat import FlatStore as cls
    elif driver == "postgres":
        # Imported here only: psycopg is an optional extra, and costly to import.
        try:
            from mtpy.store.postgres import PostgresStore
        except ImportError as error:
            if not (error.name or "").startswith("psycopg"):
                raise
            raise StoreError("ObjectDriver postgres needs psycopg 3: pip install 'psycopg[binary]'")
        return PostgresStore(config.get("DataSource"), create=create, database=config.get("Database"),
                             host=config.get("DBHost"), port=config.get("DBPort"),
                             user=config.get("DBUser"), password=config.get("DBPassword"))
    else:  # config.py validates the value; this is for callers that bypass it
        raise StoreError("Unknown ObjectDriver %r" % driver)
    return cls(config.get("DataSource"), create=create)


class Transaction:
    """Store.transaction()'s context manager."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        store = self.store
        if store.depth == 0:
            store._begin()
            store._after_commit = []
        store.depth += 1
        return store

    def __exit__(self, error_type, error, traceback):
        store = self.store
        store.depth -= 1
        if store.depth == 0:
            callbacks, store._after_commit = store._after_commit, []
            store._end(commit=error_type is None)
            if error_type is None:
                for callback in callbacks:
                    callback()
        return False


class Store:
    """Base class of the backends. Records are mtpy.models instances."""

    depth = 0               # transactions under way, nested (Transaction)
    _after_commit = ()

    # -- backend primitives -------------------------------------------------

    def get(self, kind, record_id):
        """The record of `kind` with this id, or None.  (backend)"""
        raise NotImplementedError

    def find(self, kind, /, order_by="id", desc=False, limit=None, offset=0, **equals):
        """Records of `kind` whose fields equal `equals`, ordered, `limit` of
        them after the first `offset`. `kind` is positional only, so that a
        field named kind (Activity's, Job's) can be one of `equals`.  (backend)"""
        raise NotImplementedError

    def count(self, kind, /, **equals):
        """How many records of `kind` have fields equal to `equals`.  (backend)"""
        raise NotImplementedError

    def insert(self, record):
        """Store a new record; sets and returns its id.  (backend)"""
        raise NotImplementedError

    def update(self, record):
        """Replace a stored record (by id).  (backend)"""
        raise NotImplementedError

    def delete(self, kind, record_id):
        """Remove a record; True when it existed.  (backend)"""
        raise NotImplementedError

    def transaction(self):
        """Context manager: exclusive and atomic; re-entrant: the outermost one
        commits, or rolls back when an exception leaves it. The backend's
        `_begin()` and `_end(commit)` do the work; `depth` counts the nesting."""
        return Transaction(self)

    def after_commit(self, callback):
        """Call `callback()` once the transaction under way has committed (at
        once outside one): files that copy the store (an item's ID.xml) are
        written after what they copy is stored, never before. What is committed
        stays so: the callback handles its own errors."""
        if self.depth:
            self._after_commit.append(callback)
        else:
            callback()

    def list_pings(self, tb_id=None, blog_id=None, visible_only=True,
                   newest_first=False, limit=None, offset=0):
        """Pings of an item, of a blog, or (both None) of every blog, by id
        (newest first if asked); held ones too unless `visible_only`. `limit`
        and `offset` make pages: `offset` skips that many first, in the order
        asked for.  (backend)"""
        raise NotImplementedError

    def count_blog_pings(self, blog_id, visible_only=True):
        """How many pings the blog has (held ones too unless `visible_only`):
        the pages of list_pings(blog_id=...).  (backend)"""
        raise NotImplementedError

    def list_entries(self, blog_id, title_contains=None, limit=None, offset=0):
        """The blog's entries, drafts included, newest first (created_on, then
        id, descending); `title_contains`: only those whose title holds this
        text, ASCII letters in either case, every other character as it is
        (% and _ too). `limit` and `offset` make pages.  (backend)"""
        raise NotImplementedError

    def count_entries(self, blog_id, title_contains=None):
        """How many entries list_entries would list without a limit.  (backend)"""
        raise NotImplementedError

    def list_activity(self, blog_ids=None, limit=None, offset=0):
        """Lines of the activity log, newest first (by id): every line when
        `blog_ids` is None, else only the lines of those blogs (not the lines
        of no blog, such as logins). `limit` and `offset` make pages.  (backend)"""
        raise NotImplementedError

    def count_activity(self, blog_ids=None):
        """How many lines list_activity would list without a limit.  (backend)"""
        raise NotImplementedError

    def count_activity_since(self, kind, since, ip=None, author_name=None):
        """Lines of this kind logged at or after the UTC time `since`, from the
        address `ip` and by the name `author_name` when given: how failed
        logins are slowed down.  (backend)"""
        raise NotImplementedError

    def delete_sessions(self, author_id, keep_id=None):
        """End every session of the author but the one `keep_id` (a password
        change keeps the browser that made it); returns how many ended.  (backend)"""
        raise NotImplementedError

    def count_pings(self, tb_id, visible_only=True):
        """(backend)"""
        raise NotImplementedError

    def find_ping(self, tb_id, source_url):
        """The item's ping from this source URL, or None.  (backend)"""
        raise NotImplementedError

    def count_pings_since(self, blog_id, since, ip=None):
        """Pings the blog accepted at or after the UTC time `since` (from the
        address `ip`, when given).  (backend)"""
        raise NotImplementedError

    # How many of the newest pings count_pings_from_host_since reads: a flood
    # shows in them, and a ping's cost stays bounded however many came in the hour.
    HOST_SCAN_LIMIT = 500

    def count_pings_from_host_since(self, blog_id, host, since):
        """Pings the blog accepted at or after the UTC time `since` whose source
        URL's host is `host` (as mtpy.trackback.junk.source_host gives it:
        lower case, no port), among the newest HOST_SCAN_LIMIT.  (backend)"""
        raise NotImplementedError

    def junk_source_seen(self, blog_id, source_url):
        """True when a ping of the blog from this source URL is junk.  (backend)"""
        raise NotImplementedError

    def find_in(self, kind, field, values):
        """Records of `kind` whose `field` is one of `values` (a backend may do it
        in one query)."""
        found = []
        for value in values:
            found += self.find(kind, **{field: value})
        return found

    def entries_version(self, blog_id):
        """A value that changes whenever one of the blog's entries is added,
        changed or deleted (so publishing may cache what it read of them), or None
        when the backend cannot tell."""
        return None

    def published_entries(self, blog_id):
        """(id, created_on, category ids) of the blog's published entries, newest
        first: what publishing needs to know of every entry up front."""
        entries = self.find(Entry, blog_id=blog_id, status="Publish", order_by="created_on", desc=True)
        return [(entry.id, entry.created_on, entry.category_ids) for entry in entries]

    def pings_fingerprint(self, tb_id):
        """A value that changes whenever the item's visible pings change: pings
        are added, hidden, shown again or deleted, never edited, so their ids
        tell (a backend may do it in one query)."""
        ids = [ping.id for ping in self.list_pings(tb_id=tb_id)]
        return (len(ids), sum(ids), max(ids, default=0))

    def ping_counts(self, blog_id, tb_ids=None):
        """{item id: visible ping count} for a blog's items, or for those of
        `tb_ids` (a backend may do it in one query)."""
        if tb_ids is None:
            tb_ids = [item.id for item in self.find(Trackback, blog_id=blog_id)]
        return {tb_id: self.count_pings(tb_id) for tb_id in tb_ids}

    def next_job(self, now):
        """The oldest job due at `now` (its not_before <= now), or None.  (backend)"""
        raise NotImplementedError

    def close(self):
        pass

    def location(self):
        """Where the records are, in words for messages (a folder, a file, a
        database)."""
        return self.folder

    def rebuild_lock(self):
        """A context manager held while publishing: one rebuild at a time among
        the processes that share this store, so the last to run reads the newest
        counts and concurrent pings cannot leave a stale page behind. Here a lock
        file in the data folder (one host); a store shared by hosts overrides it."""
        return _FileLock(os.path.join(self.folder, "rebuild.lock"))

    # -- behaviour shared by all backends ---------------------------------

    def save(self, record):
        """Insert or update; entries and categories bring their TrackBack item along."""
        with self.transaction():
            if record.id is None:
                self.insert(record)
            else:
                self.update(record)
            if isinstance(record, (Entry, Category)):
                self._sync_trackback(record)
        return record.id

    def _sync_trackback(self, owner):
        """Create, update or disable the owner's TrackBack item (reference §1).

        Items are never deleted while pings may point at them; an owner that no
        longer accepts pings disables its item.
        """
        is_entry = isinstance(owner, Entry)
        key = "entry_id" if is_entry else "category_id"
        found = self.find(Trackback, **{key: owner.id})
        item = found[0] if found else None
        if item is None and not owner.allow_pings:
            return None
        if item is None:
            item = Trackback(blog_id=owner.blog_id, **{key: owner.id})
        before = item.as_dict()
        item.is_disabled = not owner.allow_pings
        if is_entry:
            blog = self.get(Blog, owner.blog_id)
            item.title = owner.title
            item.description = entry_excerpt(owner)
            item.url = entry_permalink(blog, owner) if blog else ""
            item.passphrase = ""
        else:
            item.title = owner.label
            item.description = owner.description
            item.passphrase = owner.passphrase
        if item.id is None:
            self.insert(item)
        elif item.as_dict() != before:
            self.update(item)
        return item

    def trackback_for(self, entry=None, category=None):
        """The TrackBack item of an entry or category (enabled or not), or None."""
        if entry is not None:
            found = self.find(Trackback, entry_id=entry.id)
        else:
            found = self.find(Trackback, category_id=category.id)
        return found[0] if found else None

    def delete_entry(self, entry_id):
        """Delete an entry with its TrackBack item and pings."""
        with self.transaction():
            for item in self.find(Trackback, entry_id=entry_id):
                for ping in self.list_pings(tb_id=item.id, visible_only=False):
                    self.delete(Ping, ping.id)
                self.delete(Trackback, item.id)
            return self.delete(Entry, entry_id)

    # -- the queue of deferred work ---------------------------------------

    def enqueue(self, kind, payload):
        """Keep work for after the response; it survives a process that dies."""
        job = Job(kind=kind, payload=payload, created_on=dates.utc_now(),
                  not_before=dates.utc_now())
        self.insert(job)
        return job

    def claim_job(self, job_id=None, lease_seconds=300):
        """Take the next due job (or this one, if due), hiding it from other
        workers for the lease."""
        with self.transaction():
            now = dates.utc_now()
            if job_id is None:
                job = self.next_job(now)
            else:
                job = self.get(Job, job_id)
                if job is not None and job.not_before > now:
                    job = None
            if job is None:
                return None
            job.attempts += 1
            job.not_before = dates.utc_now(lease_seconds)
            self.update(job)
            return job

    def retry_job(self, job, error, delay_seconds):
        job.last_error = error
        job.not_before = dates.utc_now(delay_seconds)
        self.update(job)


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


def ascii_lower(text):
    """The text with A-Z lowered and nothing else: what SQL's lower() does in
    SQLite (without ICU) and under PostgreSQL's "C" collation, so that every
    backend matches titles alike."""
    return text.translate(_ASCII_LOWER)


def entry_permalink(blog, entry):
    """The entry's archive page URL: MT 2.x's default `000123.html` names."""
    base = blog.archive_url or blog.site_url
    if base and not base.endswith("/"):
        base += "/"
    return "%s%06d.html" % (base, entry.id)


def entry_excerpt(entry):
    """The entry's excerpt, or Movable Type's automatic one: the first 40 words of
    the body as plain text, followed by `...`."""
    if entry.excerpt:
        return entry.excerpt
    from mtpy.text import plain_text
    words = plain_text(entry.body).split()
    return " ".join(words[:40]) + "..." if words else ""


class _FileLock:
    """An exclusive flock on a file, waited for."""

    def __init__(self, path):
        self.path = path
        self.handle = None

    def __enter__(self):
        import fcntl
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *error):
        self.handle.close()     # releases the lock
        return False
