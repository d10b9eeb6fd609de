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


# What each schema version brought, in words for the upgrade page and `mtpy
# upgrade`: version N is SCHEMA_CHANGES[N - 1]. Each SQL backend's MIGRATIONS has
# one step per line here (tests/test_migrations.py checks it); a flat store keeps
# the version in its marker file and reads older record files as they are.
SCHEMA_CHANGES = [
    "Weblogs, authors, entries, categories, TrackBack items, pings, IP bans and the queue of deferred work.",
    "A version number per weblog that changes with its entries, so that publishing can cache what it read.",
    "Pings beyond a weblog's limits can be held for approval; limits per sender address.",
    "Faster counts of an entry's visible pings.",
    "mt.cgi's authors, permissions, sessions and activity log (the existing authors become system "
    "administrators).",
    "What went wrong with each outbound ping of an entry not yet delivered.",
    "A weblog's auto-discovery of ping URLs and the update-ping services it notifies.",
    "Spam defences: a weblog's moderation, link-back check, block list and closing of old entries to pings; "
    "each ping's junk verdict and link-back check.",
    "Faster junk checks of a new ping: each ping's source host is kept, to count a host's pings of the last "
    "hour (pings received before the upgrade are not counted).",
    "Pingback and Webmention: each ping's protocol, kind (mention, reply, like...), target page and author; "
    "a weblog's switch for each protocol and its rule for links from its own weblogs; the pages each entry "
    "told by Pingback or Webmention.",
    "Password resets by e-mail (an author's single-use reset link); when, why and by whom each IP ban was "
    "added.",
]
SCHEMA_VERSION = len(SCHEMA_CHANGES)


class SchemaError(StoreError):
    """A store whose schema is not this code's: `version` is the store's,
    `current` this code's (SCHEMA_VERSION)."""

    def __init__(self, message, where, version):
        StoreError.__init__(self, message)
        self.where = where
        self.version = version
        self.current = SCHEMA_VERSION


class UpgradeNeeded(SchemaError):
    """A store made by an older mtpy: it is upgraded from mt.cgi's upgrade page
    or by `mtpy upgrade` (open_store(..., upgrade=True), then Store.upgrade())."""

    def __init__(self, where, version):
        SchemaError.__init__(self, (
            "The store %s was made by an older mtpy (schema version %d; this mtpy uses version %d): open mt.cgi "
            "in a browser, or run `mtpy upgrade`, to upgrade it" % (where, version, SCHEMA_VERSION)),
            where, version)


class NewerSchema(SchemaError):
    """A store made by a newer mtpy: never opened (see newer_schema)."""

    def __init__(self, where, version):
        SchemaError.__init__(self, newer_schema(where, version, SCHEMA_VERSION), where, version)


def newer_schema(where, version, known):
    """Why a store whose schema is newer than this code's cannot be opened: its
    tables hold what this mtpy would not keep (and might overwrite)."""
    return ("Cannot open the store %s: it was made by a newer mtpy (schema version %d; this mtpy knows "
            "versions up to %d): upgrade mtpy" % (where, version, known))


def check_schema(where, version, upgrade):
    """Refuse a store of another schema version: newer always, older unless
    the opener means to upgrade it."""
    if version > SCHEMA_VERSION:
        raise NewerSchema(where, version)
    if version < SCHEMA_VERSION and not upgrade:
        raise UpgradeNeeded(where, version)


def upgrade_steps(version):
    """[(version, what it brings)] of the steps from schema `version` to SCHEMA_VERSION."""
    return [(number, SCHEMA_CHANGES[number - 1]) for number in range(version + 1, SCHEMA_VERSION + 1)]


class Upgraded:
    """What Store.upgrade() did: from which schema version to which, through
    which steps, and where the copy made first is (None: nothing was done, as
    another process upgraded the store first)."""

    def __init__(self, from_version, to_version, backup):
        self.from_version = from_version
        self.to_version = to_version
        self.backup = backup
        self.steps = upgrade_steps(from_version) if backup is not None else []

    @property
    def done(self):
        return self.backup is not None


def open_store(config, create=False, upgrade=False):
    """The store named by the config's ObjectDriver and DataSource (and, for
    PostgreSQL, its Database and DB* directives). A new store (`create`) gets
    the current schema. An existing one made by an older mtpy raises
    UpgradeNeeded, unless `upgrade`: then it opens as it is (`schema_version`
    says which), for reading its authors and for `upgrade()`, and nothing else.
    One made by a newer mtpy raises NewerSchema."""
    from mtpy import fileutil
    fileutil.use_config(config)     # the modes of the files this process creates (DBUmask...)
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
                             user=config.get("DBUser"), password=config.get("DBPassword"), upgrade=upgrade)
    else:  # config.py validates the value; this is for callers that bypass it
        raise StoreError("Unknown ObjectDriver %r" % driver)
    return cls(config.get("DataSource"), create=create, upgrade=upgrade)


class Transaction:
    """Store.transaction()'s context manager."""

    def __init__(self, store):
        self.store = store

    def __enter__(self):
        store = self.store
        if store.depth == 0:
            store._begin()
            store._before_commit = {}
        store.depth += 1
        return store

    def __exit__(self, error_type, error, traceback):
        store = self.store
        store.depth -= 1
        if store.depth == 0:
            callbacks, store._before_commit = store._before_commit, {}
            if error_type is not None:
                store._end(commit=False)
                return False
            try:
                for callback, _ in callbacks.values():
                    callback()
            except BaseException:
                store._end(commit=False)
                raise
            try:
                store._end(commit=True)
            except BaseException:
                for _, failed in callbacks.values():
                    if failed is not None:
                        failed()
                raise
        return False


class Store:
    """Base class of the backends. Records are mtpy.models instances."""

    depth = 0               # transactions under way, nested (Transaction)
    _before_commit = None    # key -> (callback, failed), while a transaction is under way

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

    def before_commit(self, key, callback, failed=None):
        """Call `callback()` once, however many times `key` is given, at the end
        of the transaction under way, just before it commits and under its lock
        (at once, in a transaction of its own, outside one): files that copy
        what it stores (an item's ID.xml) are written in the same transaction,
        and concurrent writers write them in the order they commit. Should the
        commit then fail, `failed()` is called: the copy may show what was not
        stored. The callback handles its own errors (one that raises rolls the
        transaction back)."""
        with self.transaction():
            self._before_commit.setdefault(key, (callback, failed))

    def list_pings(self, tb_id=None, blog_id=None, visible_only=True,
                   newest_first=False, limit=None, offset=0):
        """Pings of an item, of a blog, or (both None) of every blog, by id
        (newest first if asked); held ones too unless `visible_only`. `limit`
        and `offset` make pages: `offset` skips that many first, in the order
        asked for.  (backend)"""
        raise NotImplementedError

    def count_pings_by_state(self, blog_id=None, tb_id=None, protocol=None, kind=None, contains=None):
        """{"all", "published", "held", "junk", "withdrawn": how many} pings of
        the blog, of the item, or (both None) of every blog, of one protocol
        and one kind when given, in the states of mtpy.actions.pings.listed_state
        (published when visible, whatever its junk flag; else junk, withdrawn or
        held): the one count behind the dashboard, the pings and entry screens
        and the command line. `contains`: only the pings find_pings finds by
        that text.  (backend)"""
        raise NotImplementedError

    def find_pings(self, blog_id=None, tb_id=None, state=None, protocol=None, kind=None, contains=None,
                   limit=None, offset=0):
        """Pings of the blog, of the item, or (both None) of every blog, newest
        first (by id): in one state of PING_STATES, of one protocol and of one
        kind, when given; with `contains`, only those whose sender address,
        source URL, weblog name or pinged entry's (or category's) title holds
        that text, ASCII letters in either case and every other character as
        it is (% and _ too), as list_entries matches titles. `limit` and
        `offset` make pages.  (backend)"""
        raise NotImplementedError

    @classmethod
    def _by_state(cls, published, junk, hidden, withdrawn=0):
        """The counts' dict from the visible pings, the hidden junk ones, every
        hidden one and the hidden withdrawn ones that are not junk."""
        return {"all": published + hidden, "published": published, "held": hidden - junk - withdrawn,
                "junk": junk, "withdrawn": withdrawn}

    def list_entries(self, blog_id, title_contains=None, limit=None, offset=0, text_contains=None):
        """The blog's entries, drafts included, newest first (created_on, then
        id, descending); `title_contains`: only those whose title holds this
        text, ASCII letters in either case, every other character as it is
        (% and _ too); `text_contains` likewise in any of SEARCHED_FIELDS
        (title, body, extended entry, excerpt, keywords). `limit` and `offset`
        make pages.  (backend)"""
        raise NotImplementedError

    def count_entries(self, blog_id, title_contains=None, text_contains=None):
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

    def count_pings_since(self, blog_id, since, ip=None, junk=None, at_most=None):
        """Pings the blog accepted at or after the UTC time `since`: from the
        sender of the address `ip`, when given (the address; for IPv6 its /64:
        mtpy.addresses.sender_network); only junk ones (junk True) or
        only the others (junk False), when given. Counting stops at `at_most`,
        when given: a limit is passed or not, and a flood of a hour's pings
        costs the next ping no more than the limit does.  (backend)"""
        raise NotImplementedError

    # How many of the newest pings a backend without an index of source hosts
    # (flat files) reads in count_pings_from_host_since: a flood shows in them,
    # and a ping's cost stays bounded however many came in the hour.
    HOST_SCAN_LIMIT = 500

    def count_pings_from_host_since(self, blog_id, host, since, at_most=None):
        """Pings the blog accepted at or after the UTC time `since` whose source
        URL's host is `host` (as mtpy.junk.source_host gives it: lower case, no
        port); flat files count among the newest HOST_SCAN_LIMIT. Counting
        stops at `at_most`, when given.  (backend)"""
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
        """A value that changes whenever the item's visible pings change: their
        ids tell when pings are added, hidden, shown again or deleted, and the
        newest `updated_on` when one is changed in place (a Webmention sent
        again)."""
        pings = self.list_pings(tb_id=tb_id, visible_only=False)
        ids = [ping.id for ping in pings if ping.visible]
        return (len(ids), sum(ids), max(ids, default=0), max((ping.updated_on for ping in pings), default=""))

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

    # -- schema versions and upgrades ---------------------------------------

    schema_version = SCHEMA_VERSION     # the opened store's; less only when opened to upgrade it

    def _stored_schema_version(self):
        """The schema version the store holds now, read inside a transaction.  (backend)"""
        raise NotImplementedError

    def _migrate_from(self, version):
        """Take the schema from `version` to SCHEMA_VERSION, inside a transaction.  (backend)"""
        raise NotImplementedError

    def copy_as_is(self):
        """Copy the store, as it is, beside it (a file or a folder in the data
        folder's backups/, or what the backend can hold): the copy an upgrade or
        a restore makes first. Returns where it is, in words.  (backend)"""
        raise NotImplementedError

    def backup_path(self, extension, version=None):
        """A new empty file in the data folder's backups/ (with the modes of
        the data folder's files), named for now and the schema version:
        mtpy-YYYYMMDD-HHMMSS-schemaN.EXT (-2, -3... when taken)."""
        from mtpy.dates import utc_now
        from mtpy.fileutil import DATA, create_file
        folder = os.path.join(self.folder, "backups")
        stamp = utc_now().replace("-", "").replace(":", "").replace(" ", "-")
        base = "mtpy-%s-schema%d" % (stamp, self.schema_version if version is None else version)
        path, number = os.path.join(folder, base + extension), 1
        while not create_file(path, DATA):     # makes the folder too
            number += 1
            path = os.path.join(folder, "%s-%d%s" % (base, number, extension))
        return path

    def upgrade(self, backup=True):
        """Bring a store opened with `upgrade=True` to SCHEMA_VERSION: under the
        store's exclusive lock, read its version again (a concurrent upgrade may
        have done it: then nothing is done), copy it as it is (copy_as_is,
        unless `backup` is False), then migrate. Returns an Upgraded."""
        with self.transaction():
            version = self._stored_schema_version()
            if version >= SCHEMA_VERSION:
                self.schema_version = version
                return Upgraded(version, version, None)
            self.schema_version = version
            where = self.copy_as_is() if backup else ""
            self._migrate_from(version)
        self.schema_version = SCHEMA_VERSION
        return Upgraded(version, SCHEMA_VERSION, where)

    def author_as_is(self, name):
        """The author of this name (or None) in a store opened to upgrade it:
        every schema since version 5 has the Author columns of today's, and
        before it every author was a system administrator."""
        if self.schema_version >= 5:
            found = self.find(Author, name=name)
            return found[0] if found else None
        row = self.db.execute("SELECT id, password_hash FROM author WHERE name = %s ORDER BY id LIMIT 1"
                              % self.PARAM, (name,)).fetchone()
        return Author(id=row[0], name=name, password_hash=row[1], is_admin=True) if row else None

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
        """Create, update or disable the owner's TrackBack item (each entry and
        category has one; its id is the ping URL's).

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
        blog = self.get(Blog, owner.blog_id)
        if is_entry:
            item.title = owner.title
            item.description = entry_excerpt(owner)
            from mtpy.urls import entry_permalink
            item.url = entry_permalink(blog, owner) if blog else ""
            item.passphrase = ""
        else:
            item.title = owner.label
            item.description = owner.description
            from mtpy.urls import category_archive_url
            item.url = category_archive_url(blog, owner) if blog else ""   # its feeds' <link>
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


# A ping's states in its owner's lists (mtpy.actions.pings.listed_state), as
# count_pings_by_state counts them: the stored fields that select each one.
PING_STATES = {
    "published": {"visible": True},
    "held": {"visible": False, "junk": False, "withdrawn": False},
    "junk": {"visible": False, "junk": True},
    "withdrawn": {"visible": False, "junk": False, "withdrawn": True},
}


def ping_holds(ping, wanted, item_titles):
    """Whether find_pings' `contains` finds a ping: `wanted` lowered by
    ascii_lower; `item_titles`: {TrackBack item id: its title}."""
    return any(isinstance(text, str) and wanted in ascii_lower(text)
               for text in (ping.ip, ping.source_url, ping.blog_name, item_titles.get(ping.tb_id)))


_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}


# The entry fields mt.cgi's Entries search looks in (store.list_entries' text_contains).
SEARCHED_FIELDS = ("title", "body", "extended", "excerpt", "keywords")


def ascii_lower(text):
    """The text with A-Z lowered and nothing else: what SQL's lower() does in
    SQLite (without ICU) and under PostgreSQL's "C" collation, so that every
    backend matches titles alike."""
    return text.translate(_ASCII_LOWER)


EXCERPT_WORDS = 40


def entry_excerpt(entry):
    """The entry's excerpt, or Movable Type's automatic one: the first 40 words of
    the body as plain text, followed by `...` when the body had more (a body
    that fits whole is not marked as cut: "notes." never becomes "notes....")."""
    if entry.excerpt:
        return entry.excerpt
    from mtpy.text import plain_text
    words = plain_text(entry.body).split()
    return " ".join(words[:EXCERPT_WORDS]) + ("..." if len(words) > EXCERPT_WORDS else "")


class _FileLock:
    """An exclusive flock on a file, waited for."""

    def __init__(self, path):
        self.path = path
        self.handle = None

    def __enter__(self):
        import fcntl
        from mtpy.fileutil import create_file
        create_file(self.path)      # with the data folder's mode: other users take it too
        self.handle = open(self.path, "a")
        fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *error):
        self.handle.close()     # releases the lock
        return False
