"""What templates see: read-only views of a weblog, built from one load of the
store per rebuild (the "load" stage of the pipeline).

- SiteView: the weblog being published; entries, categories, archives, pings.
- EntryView, CategoryView, PingView, AuthorView: records with their links.
- ArchiveView: one archive page (an entry, a category, a month).

Times stay UTC strings ("YYYY-MM-DD HH:MM:SS", mtpy.dates). A SiteView reads
the clock once, as `site.now`: every page of a rebuild is rendered at that
moment (this month's calendar, the last N days), and callers may fix it.
Archive file names are Movable Type 2.x's defaults:
`000123.html`, `cat_label.html`, `2026_11.html`.

Templates can be edited by authors, so they render in Jinja2's sandbox
(mtpy.publish.environment), which lets them read, of each view, only the names
in its class's TEMPLATE_FIELDS: data and methods that only read. The store, the
configuration, the Blog record and file paths stay out of reach; the tags' own
functions (mtpy.publish.tags) use them from Python. `template_values` is what
every render is given.
"""

import calendar
import os
from types import MappingProxyType

from mtpy import dates
from mtpy.models import PROTOCOL_NAMES, Author, Category, Entry, Trackback
from mtpy.publish import feed_folder
from mtpy.store import entry_excerpt
from mtpy.urls import (archive_base, category_basename, entry_basename, entry_permalink, item_ping_url,
                       pingback_url, popup_url, script_url, webmention_url)
from mtpy.trackback.rules import pings_closed

ARCHIVE_TYPES = ("Individual", "Category", "Monthly")
# The settings a template may show (<$MTCGIPath$> and the like): `config` in a
# template is a read-only mapping of these, never mt.cfg's other values.
PUBLIC_SETTINGS = ("CGIPath", "TrackbackScript", "AdminScript", "PublishCharset")


def template_values(site, archive=None, entry=None, category=None, feed=False):
    """What a weblog template is rendered with (the names mtpy.publish.mtml's
    translations use): read-only views, nothing that changes anything."""
    return {"site": site, "blog": site.blog_view, "config": site.public_settings, "now": site.now,
            "archive": archive, "entry": entry, "category": category, "mt_feed": feed}


class BlogView:
    """The weblog's own fields a template may show (not its folders or settings)."""

    TEMPLATE_FIELDS = frozenset(("id", "name", "description", "site_url", "archive_url", "timezone"))

    def __init__(self, blog):
        for name in self.TEMPLATE_FIELDS:
            setattr(self, name, getattr(blog, name))


class AuthorView:
    TEMPLATE_FIELDS = frozenset(("id", "name", "email"))

    def __init__(self, author):
        self.id = author.id if author else None
        self.name = author.name if author else ""
        self.email = author.email if author else ""


# What a ping is, as its source's microformats say: replies and mentions are
# shown with their text, reactions as a line of names.
RESPONSES = ("reply", "mention")
REACTIONS = ("like", "repost", "bookmark")


class PingView:
    """A shown ping of any protocol. Every text field came from a stranger: the
    tags show it as escaped plain text, its URLs only when http(s)."""

    # The ping's own fields, as stored.
    COPIED = ("id", "tb_id", "title", "excerpt", "blog_name", "ip", "created_on", "protocol", "kind",
              "target_url", "author_name", "author_url", "author_photo", "updated_on")
    TEMPLATE_FIELDS = frozenset(COPIED + ("url", "timezone", "protocol_name"))

    def __init__(self, ping, site):
        for name in self.COPIED:
            setattr(self, name, getattr(ping, name))
        self.url = ping.source_url
        self.timezone = site.blog.timezone
        self.protocol_name = PROTOCOL_NAMES.get(ping.protocol, "TrackBack")


class CategoryView:
    TEMPLATE_FIELDS = frozenset(("id", "label", "description", "basename", "archive_url", "accepts_pings",
                                 "needs_passphrase", "trackback_id", "ping_url", "entries", "entry_count",
                                 "pings", "reactions"))

    def __init__(self, category, site):
        self.site = site
        self.id = category.id
        self.label = category.label
        self.description = category.description
        self.basename = category_basename(category)
        self.archive_url = site.archive_base + self.basename + ".html"
        self.archive_path = os.path.join(site.archive_folder, self.basename + ".html")
        item = site.items_by_category.get(category.id)
        takes_pings = item is not None and not item.is_disabled and not pings_closed(site.blog, None, site.now)
        # The passphrase is handed by the owner to chosen senders only, so it is
        # never published; and without it every ping is refused (by TrackBack,
        # Pingback and Webmention alike). So a protected category takes no pings
        # from the public: its pages show no ping URL and announce no endpoint
        # (<MTCategoryIfAllowPings> is false, even in a weblog's older copy of
        # the templates), and <MTCategoryIfPingsNeedPassphrase> says so instead.
        # Only the owner's screens show the URL with the passphrase.
        self.needs_passphrase = takes_pings and bool(item.passphrase)
        self.accepts_pings = takes_pings and not self.needs_passphrase
        self.trackback_id = item.id if item is not None else None
        self.ping_url = site.ping_url(item) if self.accepts_pings else ""

    @property
    def entries(self):
        return self.site.entries(category=self)

    @property
    def entry_count(self):
        return len(self.site.entries_by_category.get(self.id, ()))

    def pings(self, lastn=None, offset=0, kinds=None):
        return self.site.pings_of(self.trackback_id, lastn, offset, kinds) if self.trackback_id else []

    def reactions(self):
        return self.pings(kinds=REACTIONS)


class EntryView:
    TEMPLATE_FIELDS = frozenset((
        "id", "title", "body", "extended", "excerpt", "auto_excerpt", "keywords", "status", "created_on",
        "timezone", "basename", "permalink", "author", "category_ids", "categories", "category",
        "allow_comments", "convert_breaks", "pinged_urls", "trackback_id", "accepts_pings", "allow_pings",
        "ping_url", "popup_url", "ping_page", "ping_count", "pings", "reactions", "pings_feed_url", "previous",
        "next", "month"))

    def __init__(self, entry, site):
        self.site = site
        self.id = entry.id
        self.title = entry.title
        self.body = entry.body                      # the author's HTML
        self.extended = entry.extended
        self.excerpt = entry.excerpt                # as written (may be empty)
        self._record = entry
        self._auto_excerpt = None
        self.keywords = entry.keywords
        self.status = entry.status
        self.created_on = entry.created_on
        self.timezone = site.blog.timezone
        self.basename = entry_basename(entry)
        self.permalink = entry_permalink(site.blog, entry)
        self.archive_path = os.path.join(site.archive_folder, self.basename + ".html")
        self.author = site.author(entry.author_id)
        self.category_ids = list(entry.category_ids)
        self.allow_comments = entry.allow_comments
        self.convert_breaks = entry.convert_breaks
        self.pinged_urls = list(entry.pinged_urls)
        item = site.item_for_entry(entry.id)
        self.trackback_id = item.id if item is not None else None
        self.accepts_pings = (item is not None and not item.is_disabled
                              and not pings_closed(site.blog, entry, site.now))
        self.allow_pings = entry.allow_pings
        self.ping_url = site.ping_url(item) if self.accepts_pings else ""
        self.pings_feed_url = site.pings_feed_url(item)
        self.popup_url = popup_url(site.script_url, entry_id=entry.id)
        self.ping_page = None       # in the listing popup: the page of pings it shows

    @property
    def auto_excerpt(self):
        """MT's <$MTEntryExcerpt$>: the excerpt, or the first words of the body."""
        if self._auto_excerpt is None:
            self._auto_excerpt = entry_excerpt(self._record)
        return self._auto_excerpt

    @property
    def categories(self):
        return [self.site.categories_by_id[cid] for cid in self.category_ids if cid in self.site.categories_by_id]

    @property
    def category(self):
        """The primary category, or None."""
        categories = self.categories
        return categories[0] if categories else None

    @property
    def ping_count(self):
        self.site.note_pings(self.id)
        return self.site.ping_count(self.trackback_id) if self.accepts_pings else 0

    def pings(self, lastn=None, offset=0, kinds=None):
        """Oldest first; with lastn the N newest (after skipping `offset`), newest
        first; `kinds`: only pings of those kinds. In the popup, without lastn:
        the page it shows (PingPage)."""
        self.site.note_pings(self.id)
        if self.ping_page is not None and not lastn:
            return of_kinds(self.ping_page.pings, kinds)
        return self.site.pings_of(self.trackback_id, lastn, offset, kinds) if self.trackback_id else []

    def reactions(self):
        """Every shown like, repost and bookmark, oldest first (the popup's too:
        a line of names is short whatever page of pings it shows)."""
        self.site.note_pings(self.id)
        return self.site.pings_of(self.trackback_id, kinds=REACTIONS) if self.trackback_id else []

    @property
    def previous(self):
        """The next older published entry."""
        return self.site.neighbour(self, +1)

    @property
    def next(self):
        """The next newer published entry."""
        return self.site.neighbour(self, -1)

    @property
    def month(self):
        return self.site.month_archive(self.created_on)


class ArchiveView:
    """One archive page: kind is "Individual", "Category", "Monthly" or None (an index)."""

    TEMPLATE_FIELDS = frozenset(("kind", "entry", "category", "month", "title", "url", "start", "entries"))

    def __init__(self, kind, site, entry=None, category=None, month=None):
        self.kind = kind
        self.site = site
        self.entry = entry
        self.category = category
        self.month = month                          # (year, month) in the blog's time
        if kind == "Individual":
            self.title, self.url, self.path = entry.title, entry.permalink, entry.archive_path
        elif kind == "Category":
            self.title, self.url, self.path = category.label, category.archive_url, category.archive_path
        elif kind == "Monthly":
            name = "%04d_%02d.html" % month
            self.title = "%s %d" % (calendar.month_name[month[1]], month[0])
            self.url = site.archive_base + name
            self.path = os.path.join(site.archive_folder, name)
        else:
            self.title, self.url, self.path = site.blog.name, site.blog.site_url, None

    @property
    def start(self):
        """The first moment of the archive's period, UTC stored form (Monthly)."""
        if self.kind == "Monthly":
            return "%04d-%02d-01 00:00:00" % self.month
        if self.kind == "Individual":
            return self.entry.created_on
        return None

    def entries(self):
        if self.kind == "Individual":
            return [self.entry]
        if self.kind == "Category":
            return self.site.entries(category=self.category)
        if self.kind == "Monthly":
            return self.site.entries(month=self.month)
        return self.site.entries()


class LazyList:
    """Keys in order, turned into views only when looked at: a rebuild after one
    ping renders a few pages and must not load every entry."""

    TEMPLATE_FIELDS = frozenset()     # a template iterates, indexes and counts it

    def __init__(self, keys, make):
        self.keys = keys
        self.make = make

    def __len__(self):
        return len(self.keys)

    def __bool__(self):
        return bool(self.keys)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.make(key) for key in self.keys[index]]
        return self.make(self.keys[index])

    def __iter__(self):
        return (self.make(key) for key in self.keys)


class SiteView:
    """A weblog loaded for publishing. `entries` are published ones, newest first.

    Up front it reads only each published entry's id, date and categories (to
    know the archives); `preload=True` (a full rebuild) also reads every entry
    at once, which is faster than one by one when all will be shown.

    `now` (stored UTC; default: the clock, read once) is the moment its pages
    are rendered at.

    Templates read only its TEMPLATE_FIELDS; `store`, `config` and `blog` (the
    record) are for Python code, `blog_view` and `public_settings` are what
    templates get as `blog` and `config`."""

    TEMPLATE_FIELDS = frozenset(("now", "script_url", "cgi_path", "archive_base", "entries", "categories",
                                 "archives", "blog_pings", "pingback_url", "webmention_url"))

    def __init__(self, store, config, blog, preload=False, now=None):
        self.store = store
        self.now = now or dates.utc_now()
        self.config = config
        self.blog = blog
        self.blog_view = BlogView(blog)
        self.script_url = script_url(config, site_url=blog.site_url)
        self.cgi_path = self.script_url[:-len(config.get("TrackbackScript"))]
        # CGIPath as published: absolute, as the ping URLs built from it.
        self.public_settings = MappingProxyType(dict({name: config.get(name) for name in PUBLIC_SETTINGS},
                                                     CGIPath=self.cgi_path))
        self.archive_base = archive_base(blog) or "/"
        # The endpoints a page that takes pings announces: "" for a protocol
        # the weblog has switched off.
        self.pingback_url = pingback_url(config, blog) if blog.accept_pingback else ""
        self.webmention_url = webmention_url(config, blog) if blog.accept_webmention else ""
        self.archive_folder = blog.archive_path or blog.site_path
        self._ping_counts = {}      # item id -> visible pings; all at once by preload()
        self._all_pings = {}        # item id -> all its visible pings, when asked by kind
        self._authors = {}
        self._views = {}
        self._items = {}
        self.items_by_category = {}
        for item in store.find(Trackback, blog_id=blog.id, entry_id=None):
            self.items_by_category[item.category_id] = item
        self.categories_by_id = {}
        for category in store.find(Category, blog_id=blog.id, order_by="label"):
            self.categories_by_id[category.id] = CategoryView(category, self)
        ids, created, by_category, by_month = self._entry_index()     # newest first
        self.created_on = dict(zip(ids, created))
        self.all_entries = LazyList(ids, self.entry_view)
        self.position = {entry_id: number for number, entry_id in enumerate(ids)}
        self.entries_by_category = {key: LazyList(value, self.entry_view) for key, value in by_category.items()}
        self.entries_by_month = {key: LazyList(value, self.entry_view) for key, value in by_month.items()}
        if preload:
            self.preload()
        # Set by the rebuild while it renders a page, to learn what the page shows.
        self.listing_notes = None   # ids of the entries it lists
        self.ping_notes = None      # ids of the entries whose pings or count it shows

    def ping_count(self, item_id):
        if item_id not in self._ping_counts:
            self._ping_counts[item_id] = self.store.count_pings(item_id)
        return self._ping_counts[item_id]

    def _entry_index(self):
        """The published entries' ids and dates, newest first, and their ids by
        category and by month: from store.published_entries, cached in the data
        folder while the blog's entries and timezone do not change (pings do not
        change them). Kept as flat lists, which load several times faster than
        one tuple per entry."""
        from mtpy.fileutil import keep, read_kept
        version = self.store.entries_version(self.blog.id)
        key = [version, self.blog.timezone or ""]
        path = self.config.cache_path("entries-blog-%d.bin" % self.blog.id)
        if version is not None:
            kept = read_kept(path)
            if isinstance(kept, tuple) and len(kept) == 5 and kept[0] == key:
                return kept[1:]
        ids, created, by_category, by_month = [], [], {}, {}
        for entry_id, stamp, category_ids in self.store.published_entries(self.blog.id):
            ids.append(entry_id)
            created.append(stamp)
            for category_id in category_ids:
                by_category.setdefault(category_id, []).append(entry_id)
            by_month.setdefault(self.local_month(stamp), []).append(entry_id)
        index = (ids, created, by_category, by_month)
        if version is not None:
            keep(path, (key,) + index)
        return index

    def preload(self):
        """Read every published entry, TrackBack item and ping count at once."""
        counts = self.store.ping_counts(self.blog.id)
        items = self.store.find(Trackback, blog_id=self.blog.id)
        self._items = {item.entry_id: item for item in items if item.entry_id is not None}
        self._ping_counts = {item.id: counts.get(item.id, 0) for item in items}
        for record in self.store.find(Entry, blog_id=self.blog.id, status="Publish"):
            if record.id not in self._views:
                self._views[record.id] = EntryView(record, self)

    def load(self, entry_ids):
        """Read the entries (and their TrackBack items) not read yet, at once."""
        missing = [entry_id for entry_id in entry_ids if entry_id not in self._views]
        if len(missing) < 2:
            return
        items = self.store.find_in(Trackback, "entry_id", missing)
        counts = self.store.ping_counts(self.blog.id, [item.id for item in items])
        for item in items:
            self._items[item.entry_id] = item
            self._ping_counts[item.id] = counts.get(item.id, 0)
        for entry_id in missing:
            self._items.setdefault(entry_id, None)
        for record in self.store.find_in(Entry, "id", missing):
            self._views[record.id] = EntryView(record, self)

    def entry_view(self, entry_id):
        view = self._views.get(entry_id)
        if view is None:
            view = self._views[entry_id] = EntryView(self.store.get(Entry, entry_id), self)
        return view

    def item_for_entry(self, entry_id):
        if entry_id not in self._items:
            found = self.store.find(Trackback, entry_id=entry_id)
            self._items[entry_id] = found[0] if found else None
        return self._items[entry_id]

    # -- lookups ----------------------------------------------------------------

    def author(self, author_id):
        if author_id not in self._authors:
            record = self.store.get(Author, author_id) if author_id else None
            self._authors[author_id] = AuthorView(record)
        return self._authors[author_id]

    def ping_url(self, item):
        return item_ping_url(self.script_url, item)

    def pings_feed_url(self, item):
        """The URL of an item's `ID.xml` (mtpy.publish.feeds), "" when none is written."""
        if item is None or not self.config.get("GenerateTrackBackRSS") or not feed_folder(self.blog):
            return ""
        return "%s%d.xml" % (self.archive_base, item.id)

    def local_month(self, stored):
        # Called for every entry: only a date near a month's edge can move to
        # another month in the blog's time.
        day = int(stored[8:10])
        if not self.blog.timezone or 2 <= day <= 27:
            return (int(stored[0:4]), int(stored[5:7]))
        local = dates.local_time(stored, self.blog.timezone)
        return (local.year, local.month)

    def neighbour(self, entry, step):
        number = self.position.get(entry.id)
        if number is None or not 0 <= number + step < len(self.all_entries):
            return None
        found = self.all_entries[number + step]
        if self.listing_notes is not None:
            self.listing_notes.add(found.id)
        return found

    def note_pings(self, entry_id):
        if self.ping_notes is not None:
            self.ping_notes.add(entry_id)

    def pings_of(self, item_id, lastn=None, offset=0, kinds=None):
        """Visible pings of an item: oldest first, or the `lastn` newest (after
        skipping the `offset` newest), newest first; `kinds`: of those kinds only
        (chosen from all the item's pings, read once per rebuild)."""
        if kinds:
            if item_id not in self._all_pings:
                self._all_pings[item_id] = [PingView(ping, self) for ping in self.store.list_pings(tb_id=item_id)]
            return newest_window(of_kinds(self._all_pings[item_id], kinds), lastn, offset)
        if lastn:
            pings = self.store.list_pings(tb_id=item_id, newest_first=True, limit=lastn, offset=offset)
        else:
            pings = self.store.list_pings(tb_id=item_id)
        return [PingView(ping, self) for ping in pings]

    # -- collections ------------------------------------------------------------

    def entries(self, category=None, month=None, lastn=None, days=None, offset=0, sort_order="descend",
                now=None):
        """Published entries, newest first; `days`: of the last N days before
        `now` (default: the site's)."""
        if category is not None:
            chosen = self.entries_by_category.get(category.id)
        elif month is not None:
            chosen = self.entries_by_month.get(tuple(month))
        else:
            chosen = self.all_entries
        ids = chosen.keys if chosen is not None else []
        if days:
            since = dates.days_before(now or self.now, days)
            ids = [entry_id for entry_id in ids if self.created_on[entry_id] >= since]
        ids = ids[offset:]
        if lastn:
            ids = ids[:lastn]
        if sort_order == "ascend":
            ids = ids[::-1]
        if self.listing_notes is not None:
            self.listing_notes.update(ids)
        self.load(ids)
        return [self.entry_view(entry_id) for entry_id in ids]

    def categories(self):
        return list(self.categories_by_id.values())

    def month_archive(self, stored):
        return ArchiveView("Monthly", self, month=self.local_month(stored))

    def archives(self, kind):
        """Every archive page of a kind, newest first (categories by label)."""
        if kind == "Individual":
            return LazyList(self.all_entries.keys,
                            lambda entry_id: ArchiveView("Individual", self, entry=self.entry_view(entry_id)))
        if kind == "Category":
            return [ArchiveView("Category", self, category=c) for c in self.categories()
                    if self.entries_by_category.get(c.id)]
        if kind == "Monthly":
            return [ArchiveView("Monthly", self, month=month) for month in sorted(self.entries_by_month, reverse=True)]
        raise ValueError("unknown archive type %r" % kind)

    def blog_pings(self, lastn=None, offset=0, kinds=None):
        if kinds:
            pings = [PingView(ping, self) for ping in self.store.list_pings(blog_id=self.blog.id)]
            return newest_window(of_kinds(pings, kinds), lastn, offset)
        pings = self.store.list_pings(blog_id=self.blog.id, newest_first=bool(lastn), limit=lastn,
                                      offset=offset if lastn else 0)
        return [PingView(ping, self) for ping in pings]


def of_kinds(pings, kinds):
    """The pings of those kinds (all of them when `kinds` is empty)."""
    return [ping for ping in pings if ping.kind in kinds] if kinds else pings


def newest_window(pings, lastn, offset):
    """As the store lists them: `pings` oldest first, or with `lastn` the N
    newest after skipping the `offset` newest, newest first."""
    if not lastn:
        return pings
    newest = pings[::-1]
    return newest[offset:offset + lastn]


class PingPage:
    """The pings one view of the listing popup shows: `size` of them, the newest
    after skipping the `offset` newest, oldest first; with the popup URLs of the
    next older and newer pages ("" when there is none), ready for an HTML
    attribute."""

    TEMPLATE_FIELDS = frozenset(("total", "offset", "size", "pings", "first", "last", "older_url", "newer_url"))

    def __init__(self, site, item_id, total, offset, size, popup_url):
        self.total = total
        self.offset = offset
        self.size = size
        found = site.pings_of(item_id, size, offset) if item_id and size and offset < total else []
        self.pings = found[::-1]
        self.first = offset + 1 if found else 0      # counted from the newest
        self.last = offset + len(found)
        from mtpy.text import escape_html
        first_page = escape_html(popup_url)
        link = first_page + "&amp;offset=%d"
        self.older_url = link % (offset + size) if offset + size < total else ""
        newer = max(0, min(offset, total) - size)
        self.newer_url = (link % newer if newer else first_page) if offset > 0 else ""


class CategoryListingView:
    """A category's TrackBack item standing where templates expect an entry, so
    the one "TrackBack Listing" template lists a category's pings too."""

    TEMPLATE_FIELDS = frozenset((
        "id", "title", "label", "body", "excerpt", "auto_excerpt", "extended", "permalink", "basename",
        "accepts_pings", "needs_passphrase", "ping_url", "trackback_id", "category", "categories", "popup_url",
        "ping_page", "ping_count", "pings", "reactions"))

    def __init__(self, category):
        self.id = category.id
        self.title = self.label = category.label
        self.body = self.excerpt = self.auto_excerpt = category.description
        self.extended = ""
        self.permalink = category.archive_url
        self.basename = category.basename
        self.accepts_pings = category.accepts_pings
        self.needs_passphrase = category.needs_passphrase
        self.ping_url = category.ping_url
        self.trackback_id = category.trackback_id
        self.category = category
        self.categories = [category]
        self._pings = category.pings
        self.site = category.site
        self.popup_url = popup_url(category.site.script_url, category_id=category.id)
        self.ping_page = None       # in the listing popup: the page of pings it shows

    @property
    def ping_count(self):
        return self.site.ping_count(self.trackback_id) if self.trackback_id else 0

    def pings(self, lastn=None, offset=0, kinds=None):
        if self.ping_page is not None and not lastn:
            return of_kinds(self.ping_page.pings, kinds)
        return self._pings(lastn, offset, kinds)

    def reactions(self):
        return self._pings(kinds=REACTIONS)
