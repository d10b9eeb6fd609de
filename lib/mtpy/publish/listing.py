"""The TrackBack listing popup (`__mode=view`, what `TrackBack (N)` opens): the weblog's own
"TrackBack Listing" template, for an entry (`entry_id=`) or a category
(`category_id=`).

Rendering needs jinja2, whose import alone costs several times a bare Python
start, so each listing is kept rendered in `<DataSource>/cache/listings/`,
under a digest of everything it is made from: the blog, the entry or category,
its visible pings, the weblog's entries version, the templates' files and the
configuration (of the pings, a fingerprint of their ids: they are never edited).
Computing the digest needs only the store; when it matches, the
popup is served without importing jinja2. The digest changes whenever anything
the page shows may have changed, so a cached page is never stale; a ping's
deferred work renders the new page ahead (`render_ahead`), and otherwise the
first view after a change renders it.
"""

import os

from mtpy.models import Author, Blog, Category, Entry, Trackback
from mtpy.text import record_id

CACHE_FORMAT = "4"    # bump when what goes into the digest, or what a render makes of it, changes


class ListingError(Exception):
    pass


class Subject:
    """What a listing is about: an entry or a category of a blog, with its item."""

    def __init__(self, blog, entry=None, category=None, item=None):
        self.blog = blog
        self.entry = entry
        self.category = category
        self.item = item

    @property
    def name(self):
        return "entry-%d" % self.entry.id if self.entry else "category-%d" % self.category.id


def find_subject(store, fields):
    if fields.get("category_id"):
        category = _get(store, Category, fields["category_id"], "category")
        items = store.find(Trackback, category_id=category.id)
        return Subject(_blog(store, category.blog_id), category=category, item=items[0] if items else None)
    entry = _get(store, Entry, fields.get("entry_id", ""), "entry")
    if entry.status != "Publish":
        raise ListingError("Invalid entry ID '%s'" % fields.get("entry_id", ""))
    items = store.find(Trackback, entry_id=entry.id)
    return Subject(_blog(store, entry.blog_id), entry=entry, item=items[0] if items else None)


def page_offset(fields):
    """How many of the newest pings the asked page skips (`offset=`): 0 unless
    a whole number."""
    text = (fields.get("offset") or "").strip()
    return int(text) if text.isdigit() and text.isascii() and len(text) < 10 else 0


def listing_page(store, config, fields):
    """The popup's HTML: the newest `PingsPerPage` pings (`offset=` pages back),
    with links to older and newer pages. The first page is kept from before when
    nothing it shows has changed; older pages are rendered when asked."""
    subject = find_subject(store, fields)
    offset = page_offset(fields)
    if offset:
        return _render(store, config, subject, offset)[1]
    page = _read_cached(_cache_path(config, subject), _digest(store, config, subject))
    return page if page is not None else _render_and_keep(store, config, subject)


def render_ahead(store, config, entry_id=None, category_id=None, now=None, site=None):
    """Render and keep an entry's or category's listing (after a ping), so the
    next visitor's popup is served without rendering; as of `now` (stored UTC,
    default: the clock); `site`: a SiteView of the weblog already loaded."""
    fields = {"entry_id": str(entry_id)} if entry_id is not None else {"category_id": str(category_id)}
    try:
        subject = find_subject(store, fields)
    except ListingError:
        return  # gone, or no longer published: nothing to show
    _render_and_keep(store, config, subject, now, site)


def _render_and_keep(store, config, subject, now=None, site=None):
    digest, page = _render(store, config, subject, 0, now, site)
    _save(_cache_path(config, subject), digest, page)
    return page


def _render(store, config, subject, offset, now=None, site=None):
    """(digest, page) of one page of the listing."""
    from mtpy.publish.environment import weblog_environment
    from mtpy.publish.templates import TemplateSet
    from mtpy.publish.views import CategoryListingView, PingPage, SiteView, template_values
    # The weblog's templates are copied into place the first time it renders:
    # before the digest, so that the one kept is the one the next view computes.
    # Whatever changes after the digest only makes the next view render again.
    templates = TemplateSet(config, subject.blog).ensure_copy()
    digest = _digest(store, config, subject)
    if site is None or site.blog.id != subject.blog.id:
        site = SiteView(store, config, subject.blog, now=now)
    if subject.category is not None:
        category = site.categories_by_id[subject.category.id]
        shown = CategoryListingView(category)
    else:
        shown, category = site.all_entries[site.position[subject.entry.id]], None
    total = site.ping_count(shown.trackback_id) if shown.trackback_id else 0
    shown.ping_page = PingPage(site, shown.trackback_id, total, offset,
                               config.get("PingsPerPage"), shown.popup_url)
    template = templates.by_name("TrackBack Listing")
    page = weblog_environment(config, templates).get_template(template.filename).render(
        template_values(site, entry=shown, category=category))
    return digest, page


def _digest(store, config, subject):
    """A digest of everything the listing is rendered from."""
    try:
        from _blake2 import blake2b      # what hashlib would load, without OpenSSL's import
    except ImportError:
        from hashlib import blake2b
    blog = subject.blog
    parts = [CACHE_FORMAT, sorted(config.values.items()), blog.as_dict(), store.entries_version(blog.id)]
    if subject.entry is not None:
        parts += [subject.entry.as_dict(), _as_dict(store.get(Author, subject.entry.author_id)
                                                    if subject.entry.author_id else None)]
    parts += [_as_dict(subject.category), _as_dict(subject.item),
              [category.as_dict() for category in store.find(Category, blog_id=blog.id)]]
    if subject.item is not None:
        parts.append(store.pings_fingerprint(subject.item.id))
    parts.append(_template_files(config, blog))
    return blake2b(repr(parts).encode("utf-8"), digest_size=20).hexdigest()


def _template_files(config, blog):
    """Name, size and time of each file a weblog's templates may come from."""
    from mtpy.publish.templates import default_folders
    stamps = []
    for folder in [os.path.join(config.get("DataSource"), "templates", "blog-%d" % blog.id)] + default_folders(config):
        try:
            with os.scandir(folder) as found:
                for item in found:
                    stat = item.stat()
                    stamps.append((folder, item.name, stat.st_size, stat.st_mtime_ns))
        except OSError:
            stamps.append((folder, None))
    return sorted(stamps, key=repr)


def _as_dict(record):
    return record.as_dict() if record is not None else None


def _cache_path(config, subject):
    return config.cache_path("listings", "blog-%d-%s.html" % (subject.blog.id, subject.name))


def _read_cached(path, digest):
    """The kept page when it was made from what the digest says, else None.
    Only a page this process's user alone could have written is served: where
    the scripts run as the web server's user, any account on the host can
    write in the data folder."""
    from mtpy.fileutil import read_owner_only
    kept = read_owner_only(path)
    if kept is None:
        return None
    first, _, page = kept.partition(b"\n")
    return page.decode("utf-8") if first.decode("ascii", "replace") == digest else None


def _save(path, digest, page):
    from mtpy.fileutil import OWNER_ONLY, write_atomic
    try:
        write_atomic(path, (digest + "\n" + page).encode("utf-8"), kind=OWNER_ONLY, durable=False)
    except OSError:
        pass    # a read-only data folder: render each time


def _get(store, kind, text, label):
    found_id = record_id(text)
    record = store.get(kind, found_id) if found_id is not None else None
    if record is None:
        raise ListingError("Invalid %s ID '%s'" % (label, text))
    return record


def _blog(store, blog_id):
    blog = store.get(Blog, blog_id)
    if blog is None:
        raise ListingError("Invalid blog ID '%s'" % blog_id)
    return blog

