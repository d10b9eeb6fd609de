"""Republishing after a change, as jobs of the deferred-work queue (mtpy.work
runs them): the pages that show an entry's pings after a ping, every page of a
weblog, or the pages listing one entry.

Module-level imports stay as cheap as mtpy.models': jinja2 and the rebuild
pipeline are imported by the job that renders, so a republish that finds the
pages current costs next to nothing.
"""

import time

from mtpy.fileutil import keep, read_kept
from mtpy.models import Blog, Category, Entry, Job, Trackback
from mtpy.publish import is_published, republish_waiting


def republish_pings(store, config, payload):
    """After a ping: republish the pages that show the entry's pings or TrackBack
    count, and render its listing popup ahead (payload: entry_id, or category_id
    for a category's ping, and ping_id after a ping; queued by
    mtpy.actions.pings.pings_changed). After an owner's change (no ping_id) a
    weblog never built keeps its pages unwritten, as after any other change.

    One republish runs at a time, and each reads the newest pings: during a
    burst, a job finding the pages already showing the item's pings as they
    are is done without importing jinja2 or rendering anything (ShownPings).

    A flood costs a few republishes a second, not one per ping: the ping's
    process waits `RepublishDelay` seconds before it claims the job (mtpy.work.run_jobs;
    the answer has gone already), and the pings stored meanwhile queue no job
    of their own (republish_waiting): the republish reads the pings after the
    claim, so it shows them all."""
    if "category_id" in payload:
        subject = store.get(Category, payload["category_id"])
        items = store.find(Trackback, category_id=subject.id) if subject is not None else []
    else:
        subject = store.get(Entry, payload["entry_id"])
        items = store.find(Trackback, entry_id=subject.id) if subject is not None else []
    blog = store.get(Blog, subject.blog_id) if subject is not None else None
    if blog is None or not blog.site_path or not items:
        return
    item = items[0]
    with store.rebuild_lock():
        shown = ShownPings(config, blog)
        found = store.list_pings(tb_id=item.id, newest_first=True, limit=1)
        state = (found[0].id if found else 0, store.count_pings(item.id))
        # A ping's job has nothing to do when the pages show what the item
        # holds now, or when a later job for the same pages waits unclaimed (it
        # will read every ping, this one's included). An owner's change (no
        # ping_id) always republishes.
        if payload.get("ping_id") is not None and (
                shown.covers(item.id, state) or republish_waiting(store, _subject_of(payload))):
            return
        from mtpy.publish.listing import render_ahead
        if isinstance(subject, Entry):
            from mtpy.publish.rebuild import Publisher
            publisher = Publisher(store, config, blog)
            if payload.get("ping_id") is not None or is_published(blog):
                publisher.rebuild_pings_of(subject.id)
            # the same load of the weblog: its counts are read once
            render_ahead(store, config, entry_id=subject.id, site=publisher.site)
        else:
            render_ahead(store, config, category_id=subject.id)
        shown.record(item.id, state)


def _subject_of(payload):
    """The entry or category of a republish_pings payload, as republish_waiting takes it."""
    key = "category_id" if "category_id" in payload else "entry_id"
    return {key: payload[key]}


def wait_before_republishing(store, config, job_id):
    """Before the ping's process claims its republish job: RepublishDelay (an
    owner's change, whose job carries no ping, does not wait)."""
    delay = config.get("RepublishDelay")
    if delay:
        job = store.get(Job, job_id)
        if (job is not None and job.kind == "republish_pings" and job.attempts == 0
                and job.payload.get("ping_id") is not None):
            time.sleep(delay)


class ShownPings:
    """For each TrackBack item, what its last republish showed: the newest
    visible ping's id and how many were visible (in the data folder, so per
    host: a host that does not know republishes anyway)."""

    def __init__(self, config, blog):
        self.path = config.cache_path("shown-pings-blog-%d.bin" % blog.id)
        kept = read_kept(self.path)
        self.shown = kept if isinstance(kept, dict) else {}

    def covers(self, item_id, state):
        """Whether the pages already show the item's pings as they are now:
        `state` (newest id, count) as the last republish read it. Either
        differs after any ping stored, published late (a link-back check, an
        approval) or removed since."""
        return self.shown.get(item_id) == state

    def record(self, item_id, state):
        self.shown[item_id] = state
        keep(self.path, self.shown)    # unkept, the next job republishes again


def rebuild_weblog(store, config, payload):
    """After a change that moves entries between pages or changes what every
    page shows (a new or deleted entry, a status, date, title or category, the
    weblog's settings): every page (payload: blog_id). A weblog is built the
    first time (payload "first") only when the owner asked for it: mt.cgi's
    new weblogs are."""
    blog = store.get(Blog, payload["blog_id"])
    if blog is None or not (is_published(blog) or (payload.get("first") and blog.site_path)):
        return
    from mtpy.publish.rebuild import Publisher
    with store.rebuild_lock():
        Publisher(store, config, blog).rebuild_all()


def republish_entry(store, config, payload):
    """After an edit that leaves the entry where it was: the pages that list
    it (payload: entry_id)."""
    entry = store.get(Entry, payload["entry_id"])
    blog = store.get(Blog, entry.blog_id) if entry is not None else None
    if blog is None or not is_published(blog):
        return
    from mtpy.publish.rebuild import Publisher
    with store.rebuild_lock():
        Publisher(store, config, blog).rebuild_entry(entry.id)
