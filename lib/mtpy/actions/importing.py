"""Importing a Movable Type export file into a weblog: its entries, their
comments and pings, the authors and categories they name; and what an import
implies (the activity log, a rebuild, pings sent on request). The whole import
is one transaction, whoever runs it (`mtpy import`, mt.cgi's Import): a file
that fails, or a store that fails midway, leaves the store as it was.

The format itself (parsing, exporting) is mtpy.importexport's.
"""

from mtpy import dates
from mtpy.actions import ActionError, Done
from mtpy.actions.activity import record
from mtpy.actions.authors import trusted_with_html
from mtpy.importexport import ImportFormatError, parse
from mtpy.models import Author, Category, Entry, Ping
from mtpy.publish import is_published
from mtpy.text import counted


def import_entries(store, config, blog, text, author=None, ip="", send_pings=False):
    """Import a Movable Type export file's entries, pings and comments into
    `blog`, all or nothing, in one transaction; returns Done(the import's
    counts, [], jobs). `author`, who imports, decides whose the entries are
    (store_entries). `send_pings`: the published entries ping as if saved
    (their categories' outbound URLs; the ping URLs their links announce, with
    the weblog's auto-discovery on); without it, an import announces nothing.
    What an author without "unfiltered_html" imports is cleaned as if typed."""
    from mtpy.actions.discovery import links_of
    from mtpy.actions.sending import queue_pings
    from mtpy.sanitize import clean_html
    with store.transaction():
        try:
            result = store_entries(store, blog, text, importer=author,
                                   clean=None if trusted_with_html(store, author, blog) else clean_html)
        except ImportFormatError as error:
            raise ActionError("%s (nothing imported)" % error, "file") from error
        record(store, "import", "Imported %s" % imported_words(result), blog.id, author, ip)
        job_ids = [store.enqueue("rebuild_weblog", {"blog_id": blog.id}).id] if is_published(blog) else []
        if send_pings:
            for entry in store.find_in(Entry, "id", result.entry_ids):
                job_ids.append(queue_pings(store, entry, discover=bool(blog.autodiscover_links and links_of(blog, entry))))
    return Done(result, [], [job_id for job_id in job_ids if job_id is not None])


class ImportResult:
    """What an import created."""

    COUNTS = ("entries", "pings", "comments", "authors_created", "categories_created")
    __slots__ = COUNTS + ("entry_ids",)

    def __init__(self):
        for name in self.COUNTS:
            setattr(self, name, 0)
        self.entry_ids = []

    def as_dict(self):
        """The counts."""
        return {name: getattr(self, name) for name in self.COUNTS}

    def __repr__(self):
        return "ImportResult(%s)" % ", ".join("%s=%d" % item for item in self.as_dict().items())


def store_entries(store, blog, text, importer=None, clean=None):
    """Add the entries of an MT export text to `blog`; all or nothing.

    Everything is parsed (and so validated) before anything is written, and the
    writes share one transaction (the caller's, when it has one under way), so
    a bad file leaves the store as it was: ImportFormatError.
    `importer`: the Author who imports (None: the owner's `mtpy import`). A
    system administrator's import, and the owner's, gives each entry the author
    its AUTHOR line names, found by name or created (as Movable Type did), and
    the importer's entries without one; anyone else's entries are all theirs,
    whatever the file says, and create no author.
    `clean`: a function (mtpy.sanitize.clean_html) through which every text
    the weblog's pages print raw passes: entries' texts and category labels.
    """
    parsed = parse(text)
    if clean is not None:
        parsed = [_cleaned(item, clean) for item in parsed]
    result = ImportResult()
    authors, categories = {}, {}
    named = importer is None or importer.is_admin
    with store.transaction():
        for item in parsed:
            if named and item["author"]:
                author_id = _author_id(store, item["author"], authors, result)
            else:
                author_id = importer.id if importer is not None else None
            _import_entry(store, blog, item, author_id, categories, result)
    return result


# Author names need no cleaning: an import that is cleaned (by an author without
# "unfiltered_html", so not an administrator) names no author.
_PRINTED_RAW = ("title", "body", "extended", "excerpt", "keywords", "basename")


def _cleaned(item, clean):
    item = dict(item)
    for field in _PRINTED_RAW:
        if item[field]:
            item[field] = clean(item[field])
    item["categories"] = [clean(label) for label in item["categories"]]
    return item


def _import_entry(store, blog, item, author_id, categories, result):
    timezone = blog.timezone or 0.0
    entry = Entry(
        blog_id=blog.id,
        author_id=author_id,
        title=item["title"], body=item["body"], extended=item["extended"],
        excerpt=item["excerpt"], keywords=item["keywords"], basename=item["basename"],
        status=item["status"] or "Publish",
        created_on=_stored_date(item["date"], timezone),
        allow_comments=bool(item["allow_comments"]),
        convert_breaks=item["convert_breaks"] if item["convert_breaks"] is not None else "1",
        category_ids=[_category_id(store, blog, label, categories, result)
                      for label in item["categories"]],
        comments=[_stored_comment(comment, timezone) for comment in item["comments"]],
        pinged_urls=list(item["pinged_urls"]), notified_links=dict(item["notified_links"]),
    )
    allow_pings = item["allow_pings"]
    if allow_pings is None:
        allow_pings = blog.allow_pings_default
    # Pings need a TrackBack item, and only saving an entry that allows pings
    # creates one; an entry that no longer allows them keeps it disabled.
    entry.allow_pings = allow_pings or bool(item["pings"])
    store.save(entry)
    if item["pings"]:
        tb_item = store.trackback_for(entry=entry)
        for ping in item["pings"]:
            state = ping.get("state") or {}
            moderation = state.get("moderation", "published")
            store.save(Ping(
                blog_id=blog.id, tb_id=tb_item.id, title=ping["title"],
                excerpt=ping["excerpt"], source_url=ping["url"], ip=ping["ip"],
                blog_name=ping["blog_name"], created_on=_stored_date(ping["date"], timezone),
                visible=moderation == "published", junk=moderation == "junk",
                junk_score=state.get("junk_score", 0.0), junk_reasons=state.get("junk_reasons", []),
                linkback=state.get("linkback", {}), **state.get("fields", {})))
        if not allow_pings:
            entry.allow_pings = False
            store.save(entry)
    result.entries += 1
    result.entry_ids.append(entry.id)
    result.pings += len(item["pings"])
    result.comments += len(item["comments"])


def _stored_date(local, timezone):
    """A local datetime as stored UTC; a missing date is the time of import, as in MT."""
    if local is None:
        return dates.utc_now()
    return dates.to_stored(local, timezone)


def _stored_comment(comment, timezone):
    stored = dict(comment)
    stored["date"] = _stored_date(comment["date"], timezone)
    return stored


def _author_id(store, name, cache, result):
    """Authors are found by name across the installation, created when missing."""
    if name not in cache:
        found = store.find(Author, name=name)
        if found:
            cache[name] = found[0].id
        else:
            cache[name] = store.save(Author(name=name))
            result.authors_created += 1
    return cache[name]


def _category_id(store, blog, label, cache, result):
    """Categories are per blog, found by label, created when missing."""
    if label not in cache:
        found = store.find(Category, blog_id=blog.id, label=label)
        if found:
            cache[label] = found[0].id
        else:
            cache[label] = store.save(Category(blog_id=blog.id, label=label))
            result.categories_created += 1
    return cache[label]


def imported_words(result):
    """What an import brought, in words: "3 entries, 1 ping, 0 comments"."""
    return "%s, %s, %s" % (counted(result.entries, "entry", "entries"), counted(result.pings, "ping"),
                           counted(result.comments, "comment"))
