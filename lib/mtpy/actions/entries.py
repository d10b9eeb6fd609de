"""Entries: saving (new or changed) and deleting, and what each republishes."""

from mtpy import dates
from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.actions.authors import typed_copy
from mtpy.actions.values import flag, url_list
from mtpy.models import Category, Entry
from mtpy.publish import is_published

STATUSES = ("Publish", "Draft")
# What the weblog's templates may print raw: mtpy.sanitize cleans them (see
# actions.authors.clean_unless_trusted).
HTML_FIELDS = ("title", "body", "extended", "excerpt", "keywords", "basename")
TEXT_FIELDS = ("title", "body", "extended", "excerpt", "keywords", "basename", "convert_breaks")
FIELDS = TEXT_FIELDS + ("status", "created_on", "allow_pings", "allow_comments", "category_ids", "to_ping_urls")
# A change of these moves the entry between archives, or changes what the
# indexes, the neighbours' links and the counts show: every page.
STRUCTURAL = ("status", "created_on", "category_ids", "title")
LOCAL_FORMAT = "%Y-%m-%d %H:%M:%S"


def save_entry(store, config, blog, entry, values, author=None):
    """Save a new entry (`entry` is None, or has no id) or change one of
    `blog`. `values`: Entry fields; `created_on` in the weblog's local time
    ("YYYY-MM-DD HH:MM:SS"), `to_ping_urls` one URL per line or a list,
    `category_ids` the primary first. Returns Done(entry, changed fields,
    jobs): a new entry or a change of status, date, title or categories
    queues a full rebuild; any other change republishes the entry's pages.
    A published entry with URLs to ping (see mtpy.actions.sending), or whose
    links are to be looked at for ping URLs (the weblog's auto-discovery),
    queues a send_pings job too, and its weblog's update services are told
    (mtpy.actions.updates); a draft pings nothing."""
    from mtpy.actions.discovery import links_of
    from mtpy.actions.sending import queue_pings, tidy_outbound
    from mtpy.actions.updates import queue_update_pings
    is_new = entry is None or entry.id is None
    before = (entry or Entry(blog_id=blog.id)).as_dict()
    entry = entry_as_typed(store, blog, entry, values, author)
    with store.transaction():
        if not is_new:
            # What was sent is the sending job's to record, perhaps since the
            # entry was read: kept as stored, never as the caller's copy has it.
            stored = store.get(Entry, entry.id)
            if stored is not None:
                entry.pinged_urls, entry.ping_failures = stored.pinged_urls, stored.ping_failures
                entry.notified_links = stored.notified_links
        tidy_outbound(store, entry)
        changed = [field for field in FIELDS if getattr(entry, field) != before[field]]
        store.save(entry)
        job_ids = []
        # A draft is on no page: saving one changes none, unless it was shown until now.
        on_pages = entry.status == "Publish" or (not is_new and before["status"] == "Publish")
        if is_published(blog) and on_pages and (is_new or changed):
            if is_new or any(field in STRUCTURAL for field in changed):
                job_ids.append(store.enqueue("rebuild_weblog", {"blog_id": blog.id}).id)
            else:
                job_ids.append(store.enqueue("republish_entry", {"entry_id": entry.id}).id)
        published = entry.status == "Publish" and (is_new or bool(changed))
        # Its links are looked at when they may have changed; the pages told
        # by Webmention are told again on any change of what the entry says.
        links_changed = is_new or "body" in changed or "extended" in changed or "status" in changed
        retell = any(field in changed for field in TEXT_FIELDS + ("status",)) and any(
            told.get("protocol") == "webmention" for told in entry.notified_links.values())
        discover = bool(published and (retell or (
            blog.autodiscover_links and links_changed and links_of(blog, entry))))
        for job_id in (queue_pings(store, entry, discover=discover),
                       queue_update_pings(store, blog) if published else None):
            if job_id is not None:
                job_ids.append(job_id)
    return Done(entry, changed, job_ids)


def entry_as_typed(store, blog, entry, values, author=None):
    """A copy of `entry` (None: a new one) with `values` as save_entry takes
    them, checked and cleaned as saving does, stored nowhere (save_entry saves
    it; mt.cgi's Preview renders it). ActionError for the first bad value."""
    entry, values, is_new = typed_copy(store, author, blog, Entry, entry, values, FIELDS, HTML_FIELDS)
    changes = _checked(store, blog, values)
    title = changes.get("title", entry.title)
    if not (title or "").strip():
        raise ActionError("An entry needs a title", "title")
    for field, value in changes.items():
        setattr(entry, field, value)
    if is_new:
        entry.id = None
        entry.blog_id = blog.id
        if author is not None and entry.author_id is None:
            entry.author_id = author.id
        if "created_on" not in changes:
            entry.created_on = dates.utc_now()
        if "allow_pings" not in changes:
            entry.allow_pings = blog.allow_pings_default
    return entry


def delete_entry(store, config, blog, entry, author=None, ip=""):
    """Delete an entry with its pings; the weblog's pages follow (full rebuild).
    Its page becomes a 410 tombstone (mtpy.publish.tombstone), and the pages
    it told by Webmention are told again (mtpy.actions.sending)."""
    from mtpy.actions.sending import queue_deletion_notices
    from mtpy.publish.tombstone import write_tombstone
    if entry.blog_id != blog.id:
        raise ActionError("Entry %s is not in weblog %d" % (entry.id, blog.id))
    with store.transaction():
        stored = store.get(Entry, entry.id) or entry     # the pages told: as the sending job recorded them
        store.delete_entry(entry.id)
        record(store, "delete", "Deleted entry %d: %s" % (entry.id, entry.title), blog.id, author, ip)
        job_ids = [store.enqueue("rebuild_weblog", {"blog_id": blog.id}).id] if is_published(blog) else []
        notices = queue_deletion_notices(store, blog, stored) if stored.status == "Publish" else None
        if notices is not None:
            job_ids.append(notices)
    if stored.status == "Publish":
        try:
            write_tombstone(blog, stored)
        except OSError as error:    # the entry is gone either way: the log says why its page is not
            from mtpy import web
            web.log_error(config.get("LogFile"), "No tombstone for deleted entry %d: %s" % (entry.id, error))
    return Done(entry, ["id"], job_ids)


def _checked(store, blog, values):
    """The values as Entry fields, or ActionError for the first bad one."""
    changes = {}
    for field in TEXT_FIELDS:
        if field in values:
            changes[field] = values[field] if values[field] is not None else ""
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    if "status" in values:
        if values["status"] not in STATUSES:
            raise ActionError("Status is Publish or Draft, not %r" % values["status"], "status")
        changes["status"] = values["status"]
    if "created_on" in values:
        changes["created_on"] = _stored_date(values["created_on"], blog.timezone)
    for field in ("allow_pings", "allow_comments"):
        if field in values:
            changes[field] = flag(values[field])
    if "category_ids" in values:
        changes["category_ids"] = _categories(store, blog, values["category_ids"])
    if "to_ping_urls" in values:
        changes["to_ping_urls"] = url_list(values["to_ping_urls"], "to_ping_urls")
    return changes


def _stored_date(text, timezone):
    from datetime import datetime
    try:
        local = datetime.strptime((text or "").strip(), LOCAL_FORMAT)
    except ValueError:
        raise ActionError("Dates are written YYYY-MM-DD HH:MM:SS, not %r" % text, "created_on")
    return dates.to_stored(local, timezone)


def _categories(store, blog, ids):
    chosen = []
    for value in ids or []:
        try:
            category_id = int(value)
        except (TypeError, ValueError):
            raise ActionError("Not a category: %r" % (value,), "category_ids")
        category = store.get(Category, category_id)
        if category is None or category.blog_id != blog.id:
            raise ActionError("No category %s in weblog %d" % (value, blog.id), "category_ids")
        if category_id not in chosen:
            chosen.append(category_id)
    return chosen
