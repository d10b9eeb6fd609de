"""Publishing a weblog as a pipeline: load (SiteView), plan the pages, render
them with the weblog's templates, write the files (atomically, and only when
their bytes change).

Pages: each index template's output under the site path; one page per published
entry, category and month under the archive path, from the archive templates.

A page that takes pings (an entry's, a category's that takes them) whose head
lacks the Pingback and Webmention <link>s gets them inserted before </head>
(mtpy.publish.tags.advertise): weblogs keep their own template copies, edits
and all, and still announce both endpoints after an upgrade's rebuild.

While rendering, each page notes the entries it lists and the entries whose pings
or TrackBack count it shows. Those notes (kept in the data folder) say which
pages a ping or an edited entry can change, so neither needs a full rebuild.
"""

import os

from mtpy.fileutil import keep, read_kept, write_atomic
from mtpy.publish.tombstone import clear_tombstone
from mtpy.publish.environment import weblog_environment
from mtpy.publish.tags import advertise, linkback_links
from mtpy.publish.templates import DEFAULT_OUTPUTS, TemplateSet, TemplateSetError, output_problem
from mtpy.publish.views import ArchiveView, EntryView, SiteView, template_values


# Pages written to these are feeds: ping text in them is the feed's plain-text view.
FEED_SUFFIXES = (".xml", ".rdf", ".atom", ".rss")


class Page:
    """A file to publish: which template renders it, and with what in context."""

    def __init__(self, key, template, path, archive=None):
        self.key = key            # "index:Main Index", "Individual:12", "Category:3", "Monthly:2026-11"
        self.template = template
        self.path = path
        self.archive = archive


class Publisher:
    """Publishes a weblog's pages as of `now` (stored UTC; default: the clock
    when it is made): "this month", today and the last N days on every page."""

    def __init__(self, store, config, blog, now=None):
        self.store = store
        self.config = config
        self.blog = blog
        self.templates = TemplateSet(config, blog)
        self.environment = weblog_environment(config, self.templates)
        self.site = SiteView(store, config, blog, now=now)
        self.written = []          # paths whose bytes changed
        self.unchanged = 0
        self.notes = PageNotes(config.cache_path("pages-blog-%d.bin" % blog.id))

    # -- plan -------------------------------------------------------------------

    def index_pages(self):
        """The index templates' pages. An output file name that went wrong since
        it was set (a symbolic link made since, a hand-edited manifest) is not
        written, and the log says why (the default set's own names are not
        checked again: every ping's rebuild comes here)."""
        pages = []
        for template in self.templates.of_kind("index"):
            problem = template.output != DEFAULT_OUTPUTS.get(template.name) and \
                output_problem(self.config, self.blog, template.output)
            if problem:
                from mtpy import web
                web.log_error(self.config.get("LogFile"), "Weblog %d's template %s is not published: %s"
                              % (self.blog.id, template.name, problem))
                continue
            pages.append(Page("index:" + template.name, template,
                              os.path.join(self.blog.site_path, *template.output.split("/"))))
        return pages

    def archive_pages(self, kind, archives=None):
        pages = []
        for template in self.templates.of_kind(kind):
            for archive in archives if archives is not None else self.site.archives(kind):
                pages.append(Page(archive_key(archive), template, archive.path, archive))
        return pages

    def all_pages(self):
        pages = []
        for kind in ("Individual", "Category", "Monthly"):
            pages += self.archive_pages(kind)
        return pages + self.index_pages()

    def pages_for_keys(self, keys):
        """The pages with these keys that still exist (an entry may have gone)."""
        wanted = set(keys)
        pages = [page for page in self.index_pages() if page.key in wanted]
        for key in sorted(wanted):
            kind, _, value = key.partition(":")
            archive = self.archive_for(kind, value)
            if archive is not None:
                pages += self.archive_pages(kind, [archive])
        return pages

    def archive_for(self, kind, value):
        site = self.site
        if kind == "Individual":
            number = site.position.get(int(value))
            return ArchiveView(kind, site, entry=site.all_entries[number]) if number is not None else None
        if kind == "Category":
            category = site.categories_by_id.get(int(value))
            if category is None or not site.entries_by_category.get(category.id):
                return None
            return ArchiveView(kind, site, category=category)
        if kind == "Monthly":
            month = tuple(int(part) for part in value.split("-"))
            return ArchiveView(kind, site, month=month) if month in site.entries_by_month else None
        return None

    # -- render and write -------------------------------------------------------

    def render(self, page):
        """The page's text, and notes of what it shows."""
        archive = page.archive
        listed, pinged = set(), set()
        self.site.listing_notes, self.site.ping_notes = listed, pinged
        context = template_values(self.site, archive, archive.entry if archive else None,
                                  archive.category if archive else None,
                                  feed=page.path.lower().endswith(FEED_SUFFIXES))
        if archive is not None and archive.entry is not None:
            listed.add(archive.entry.id)
        text = self.environment.get_template(page.template.filename).render(context)
        self.site.listing_notes = self.site.ping_notes = None
        if archive is not None and not context["mt_feed"]:
            text = advertise(text, linkback_links(self.site, target_of(archive)))
        return text, (sorted(listed), sorted(pinged))

    def publish(self, pages, progress=None):
        workers = worker_count(len(pages))
        if workers > 1:
            results = self._publish_in_workers(pages, workers, progress)
        else:
            results = [self._publish_part(pages, progress)]
        changed = False
        for written, unchanged, notes in results:
            self.written += written
            self.unchanged += unchanged
            for key, (listed, pinged) in notes.items():
                changed = self.notes.set(key, listed, pinged) or changed
        if changed:    # a ping's pages usually show the same entries as before
            self.notes.save()
        return self

    def _publish_part(self, pages, progress=None):
        """Render and write pages; returns (paths written, count unchanged, notes)."""
        written, unchanged, notes = [], 0, {}
        for number, page in enumerate(pages):
            text, notes[page.key] = self.render(page)
            if write_atomic(page.path, text, durable=False):
                written.append(page.path)
                clear_tombstone(page.path)
            else:
                unchanged += 1
            if progress:
                progress(number + 1, len(pages))
        return written, unchanged, notes

    def _publish_in_workers(self, pages, workers, progress):
        """Pages are independent: forked workers (one per core) render and write
        chunks of them; each opens its own store connection."""
        import multiprocessing
        for template in self.templates.templates:   # compile once, before the fork
            self.environment.get_template(template.filename)
        chunks = [pages[start:start + CHUNK] for start in range(0, len(pages), CHUNK)]
        _forked["job"] = (self, chunks)
        results, done = [], 0
        try:
            with multiprocessing.get_context("fork").Pool(workers, initializer=_open_own_store) as pool:
                for result in pool.imap_unordered(_publish_chunk, range(len(chunks))):
                    results.append(result)
                    done += len(result[2])
                    if progress:
                        progress(done, len(pages))
        finally:
            _forked.clear()
        return results

    def preview(self, entry):
        """The page the weblog's Individual Entry Archive template makes of
        `entry` (a record, saved or not: mt.cgi's Preview) as of now, written
        nowhere. TemplateSetError when the weblog has no such template."""
        templates = self.templates.of_kind("Individual")
        if not templates:
            raise TemplateSetError("This weblog has no Individual Entry Archive template to preview with.")
        if entry.id is None:          # a new entry: no number, no pings, no neighbours yet
            entry = entry.copy(id=0)
        archive = ArchiveView("Individual", self.site, entry=EntryView(entry, self.site))
        return self.render(Page("preview", templates[0], archive.path, archive))[0]

    # -- what to rebuild ---------------------------------------------------------

    def rebuild_all(self, progress=None):
        self.site.preload()
        self.notes.clear()
        return self.publish(self.all_pages(), progress)

    def rebuild_pings_of(self, entry_id):
        """The pages that show this entry's pings or TrackBack count."""
        keys = self.notes.showing_pings_of(entry_id)
        if not self.notes:   # never fully published: the entry's own pages
            keys = self.entry_keys(entry_id) + [page.key for page in self.index_pages()]
        return self.publish(self.pages_for_keys(keys))

    def rebuild_entry(self, entry_id):
        """After an edit: every page that listed the entry or may list it now (its
        archives, the indexes, its neighbours); unchanged output is not written."""
        keys = set(self.notes.listing(entry_id))
        keys.update(self.entry_keys(entry_id))
        keys.update(page.key for page in self.index_pages())
        entry = self.site_entry(entry_id)
        if entry is not None:
            for neighbour in (entry.previous, entry.next):
                if neighbour is not None:
                    keys.add("Individual:%d" % neighbour.id)
        return self.publish(self.pages_for_keys(keys))

    def site_entry(self, entry_id):
        number = self.site.position.get(entry_id)
        return self.site.all_entries[number] if number is not None else None

    def entry_keys(self, entry_id):
        """The archive pages an entry belongs to."""
        entry = self.site_entry(entry_id)
        if entry is None:
            return []
        keys = ["Individual:%d" % entry_id, "Monthly:%04d-%02d" % self.site.local_month(entry.created_on)]
        return keys + ["Category:%d" % category_id for category_id in entry.category_ids]


class PageNotes:
    """What each published page showed when it was last rendered: the entries it
    lists and the entries whose pings or count it shows, by page key. Kept in
    the data folder as flat lists (marshal), read whole by every incremental
    rebuild: a weblog of 10,000 entries loads in a few milliseconds."""

    def __init__(self, path):
        self.path = path
        kept = read_kept(path)
        # None yet, or unreadable: the rebuild does a little more.
        self.keys, self.listed, self.pinged = kept if isinstance(kept, tuple) and len(kept) == 3 else ([], [], [])
        self._position = None

    def __len__(self):
        return len(self.keys)

    def showing_pings_of(self, entry_id):
        return [key for key, shown in zip(self.keys, self.pinged) if entry_id in shown]

    def listing(self, entry_id):
        return [key for key, shown in zip(self.keys, self.listed) if entry_id in shown]

    def set(self, key, listed, pinged):
        """Record a page's notes; True when they changed."""
        number = self._positions().get(key)
        if number is None:
            self._position[key] = len(self.keys)
            self.keys.append(key)
            self.listed.append(listed)
            self.pinged.append(pinged)
            return True
        if self.listed[number] == listed and self.pinged[number] == pinged:
            return False
        self.listed[number], self.pinged[number] = listed, pinged
        return True

    def clear(self):
        self.keys, self.listed, self.pinged, self._position = [], [], [], None

    def _positions(self):
        if self._position is None:
            self._position = {key: number for number, key in enumerate(self.keys)}
        return self._position

    def save(self):
        keep(self.path, (self.keys, self.listed, self.pinged))


CHUNK = 200          # pages per task handed to a worker


def worker_count(pages):
    """Processes for a rebuild: one per core for a large one, where fork exists."""
    if pages < 2 * CHUNK or not hasattr(os, "fork"):
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


_forked = {}         # what forked workers inherit: (publisher, chunks)


def _open_own_store():
    from mtpy.store import open_store
    publisher = _forked["job"][0]
    # The parent's connection must not be used across the fork: leave it alone.
    publisher.store = publisher.site.store = open_store(publisher.config)


def _publish_chunk(number):
    publisher, chunks = _forked["job"]
    return publisher._publish_part(chunks[number])


def target_of(archive):
    """What a page is the Pingback/Webmention target of: an entry's page is its
    entry's, a category's archive its category's; other pages none (None)."""
    if archive.kind == "Individual":
        return archive.entry
    if archive.kind == "Category":
        return archive.category
    return None


def archive_key(archive):
    if archive.kind == "Individual":
        return "Individual:%d" % archive.entry.id
    if archive.kind == "Category":
        return "Category:%d" % archive.category.id
    return "Monthly:%04d-%02d" % archive.month
