"""Rebuilding a weblog: at once (`mtpy rebuild`), or in steps: what mt.cgi
does where a host ends a request after 30 to 60 seconds, as Movable Type's
rebuild pages did.

A rebuild publishes a plan: the keys of the pages it covers, in a fixed order
(Publisher's page keys: each entry's page newest first, then the categories
by label, then the months newest first, then the index templates, so that
the indexes link to pages that exist). A step publishes the keys [offset,
offset + limit) and stops early, between chunks, once STEP_SECONDS have
passed; it returns where the next step starts. Each step reads the weblog
afresh: an entry saved during a rebuild moves the plan by a page, and its own
republishing (queued when it was saved) covers it.

Publishing is idempotent and changes no stored record, so a step may be
repeated. Only the last one does more: it writes the feeds a full folder
left unwritten, and `finish` records the "rebuild" activity line, once per
rebuild however often the last step is asked for.
"""

import time

from mtpy.actions import ActionError
from mtpy.actions.activity import record
from mtpy.text import counted


def rebuild_all(store, config, blog, progress=None, author=None, ip=""):
    """Publish every page of the weblog now, in one go (`mtpy rebuild`;
    `progress(done, total)` is called as entries are done), and write its
    feeds again, and those a folder left unwritten.
    Returns the Publisher: its `written`, `unchanged` and template warnings."""
    if not blog.site_path:
        raise ActionError("Weblog %d has no site path (mtpy blog set --site-path DIR)" % blog.id, "site_path")
    from mtpy.publish.rebuild import Publisher
    from mtpy.publish.feeds import write_unwritten
    with store.rebuild_lock():
        publisher = Publisher(store, config, blog).rebuild_all(progress)
    write_unwritten(store, config, blog)     # the ones still unwritten stay listed for mtpy check
    record(store, "rebuild", "Rebuilt: %s written, %d unchanged" % (
        counted(len(publisher.written), "file"), publisher.unchanged), blog.id, author, ip)
    return publisher


# What a rebuild can cover, in the order a form offers them.
WHAT = (
    ("all", "Everything"),
    ("Individual", "Individual entry archives"),
    ("Category", "Category archives"),
    ("Monthly", "Date-based (monthly) archives"),
    ("index", "Only the index templates"),
)
ARCHIVE_KINDS = ("Individual", "Category", "Monthly")

STEP_SECONDS = 3.0      # publishing time a step aims to stay within
FIRST_STEP = 10         # pages: the first answer comes quickly
LARGEST_STEP = 1000
CHUNK = 25              # pages published between two looks at the clock


def describe(what):
    return dict(WHAT).get(what)


def check(blog, what):
    """ActionError unless `what` names a rebuild and the weblog can be published."""
    if describe(what) is None:
        raise ActionError("Choose what to rebuild from the list.", "what")
    if not blog.site_path:
        raise ActionError("This weblog has no local site path yet: set one in its settings first.", "what")


class Step:
    """What one step did: the plan's size, where the next step starts, the
    files written and left unchanged, and how long publishing took."""

    __slots__ = ("total", "offset", "written", "unchanged", "seconds")

    def __init__(self, total, offset, written, unchanged, seconds):
        self.total = total
        self.offset = offset
        self.written = written
        self.unchanged = unchanged
        self.seconds = seconds

    @property
    def done(self):
        return self.offset >= self.total


def plan(publisher, what):
    """The page keys a rebuild of `what` covers, in publishing order."""
    site = publisher.site
    keys = []
    for kind in (ARCHIVE_KINDS if what == "all" else [what] if what in ARCHIVE_KINDS else []):
        if not publisher.templates.of_kind(kind):
            continue
        if kind == "Individual":
            keys += ["Individual:%d" % entry_id for entry_id in site.all_entries.keys]
        elif kind == "Category":
            keys += ["Category:%d" % archive.category.id for archive in site.archives("Category")]
        else:
            keys += ["Monthly:%04d-%02d" % archive.month for archive in site.archives("Monthly")]
    if what in ("all", "index"):
        keys += [page.key for page in publisher.index_pages()]
    return keys


def publish_step(store, config, blog, what, offset, limit, seconds=STEP_SECONDS, now=None, clock=time.monotonic):
    """Publish the pages [offset, offset + limit) of a rebuild of `what`,
    stopping sooner once `seconds` have passed. The first step of a full
    rebuild forgets what the pages showed before (as Publisher.rebuild_all);
    the last one writes the feeds left unwritten. Returns a Step."""
    from mtpy.publish.rebuild import Publisher
    check(blog, what)
    started = clock()
    with store.rebuild_lock():
        publisher = Publisher(store, config, blog, now=now)
        keys = plan(publisher, what)
        offset = max(0, min(offset, len(keys)))
        end = min(len(keys), offset + max(1, limit))
        if what == "all" and offset == 0:
            publisher.notes.clear()
        position = offset
        while position < end:
            chunk = keys[position:min(end, position + CHUNK)]
            _publish_keys(publisher, chunk)
            position += len(chunk)
            if clock() - started >= seconds:
                break
    if position >= len(keys):
        from mtpy.publish.feeds import write_unwritten
        if what == "all":
            write_unwritten(store, config, blog)
        else:
            write_unwritten(store, config)
    return Step(len(keys), position, len(publisher.written), publisher.unchanged, clock() - started)


def _publish_keys(publisher, keys):
    """Publish the pages of these keys: the chunk's entries read at once."""
    entry_ids = [int(key.partition(":")[2]) for key in keys if key.startswith("Individual:")]
    publisher.site.load([entry_id for entry_id in entry_ids if entry_id in publisher.site.position])
    # pages_for_keys sorts its keys; the plan's order only matters between chunks.
    publisher.publish(publisher.pages_for_keys(keys))


def next_limit(limit, seconds, budget=STEP_SECONDS):
    """The next step's size: doubled while a step takes under half the time
    budget, halved when it ran over."""
    if seconds < budget / 2:
        return min(LARGEST_STEP, limit * 2)
    if seconds > budget:
        return max(1, limit // 2)
    return limit


def finish(store, blog, what, written, unchanged, started, author=None, ip=""):
    """Record the "rebuild" activity line of a rebuild begun at `started`
    (stored UTC), unless this author has one for this weblog since then (the
    last step asked for again). Returns the Activity, or None."""
    from mtpy.models import Activity
    if author is not None:
        latest = store.find(Activity, order_by="created_on", desc=True, limit=1, kind="rebuild",
                            blog_id=blog.id, author_id=author.id)
        if latest and latest[0].created_on >= started:
            return None
    return record(store, "rebuild", "Rebuilt %s: %s written, %d unchanged" % (
        describe(what).lower(), counted(written, "file"), unchanged), blog.id, author, ip)
