"""Publishing a weblog as a pipeline: load what the pages show, render the
templates, write the files (atomically, and only when their bytes change).

Pages written:
- the main index at `<site path>/index.html`: the newest published entries
  (15, like MT's `lastn`);
- one page per published entry at `<archive path>/000123.html` (MT 2.x's default
  names, so permalinks stay stable).
"""

import os
from contextlib import contextmanager

from markupsafe import Markup

from mtpy import timeutil
from mtpy.fileutil import write_atomic
from mtpy.models import Author, Category, Entry
from mtpy.publish.environment import make_environment
from mtpy.publish.listing import ping_url
from mtpy.store import entry_permalink, entry_excerpt
from mtpy.trackback.rdf import rdf_block

INDEX_SIZE = 15
MAIN_INDEX = "weblog/main-index.html"
ENTRY_PAGE = "weblog/entry.html"


class EntryView:
    """An entry as templates see it: fields, links and its TrackBack data."""

    def __init__(self, entry, blog, config, author, categories, item, ping_count):
        self.id = entry.id
        self.title = entry.title
        self.body = Markup(entry.body)            # the author's HTML
        self.extended = Markup(entry.extended)
        self.excerpt = entry_excerpt(entry)
        self.permalink = entry_permalink(blog, entry)
        self.basename = "%06d" % entry.id
        self.created_on = entry.created_on
        self.date = timeutil.mt_format(entry.created_on, blog.timezone)
        self.iso_date = timeutil.iso8601(entry.created_on, blog.timezone)
        self.author = author.name if author else ""
        self.categories = [category.label for category in categories]
        self.category = self.categories[0] if self.categories else ""
        self.accepts_pings = item is not None and not item.is_disabled
        self.ping_url = ping_url(config, item) if self.accepts_pings else ""
        self.ping_count = ping_count
        self.popup_url = "%s?__mode=view&entry_id=%d" % (config.script_url(), entry.id)

    def trackback_rdf(self, page_url=None, comment_wrap=True):
        """The §7 block; on a page listing several entries, `page_url#000123`."""
        if not self.accepts_pings:
            return Markup("")
        about = "%s#%s" % (page_url, self.basename) if page_url else self.permalink
        return Markup(rdf_block(about, self.ping_url, self.title, about, self.category,
                                self.excerpt, self.author, self.iso_date, comment_wrap))


class Publisher:
    def __init__(self, store, config, blog):
        self.store = store
        self.config = config
        self.blog = blog
        self.environment = make_environment(config)
        self.written = []          # paths whose bytes changed
        self.unchanged = 0

    # -- load ---------------------------------------------------------------

    def published_entries(self):
        """Published entries, newest first."""
        return self.store.find(Entry, blog_id=self.blog.id, status="Publish", order_by="created_on", desc=True)

    def view(self, entry):
        author = self.store.get(Author, entry.author_id) if entry.author_id else None
        categories = [c for c in (self.store.get(Category, cid) for cid in entry.category_ids) if c]
        item = self.store.trackback_for(entry=entry)
        count = self.store.count_pings(item.id) if item is not None and not item.is_disabled else 0
        return EntryView(entry, self.blog, self.config, author, categories, item, count)

    # -- render and write -------------------------------------------------------

    def render(self, template, **context):
        return self.environment.get_template(template).render(
            blog=self.blog, cgi_path=self.config.get("CGIPath"),
            charset=self.config.get("PublishCharset"), **context)

    def write(self, path, text):
        if write_atomic(path, text):
            self.written.append(path)
        else:
            self.unchanged += 1

    def index_path(self):
        return os.path.join(self.blog.site_path, "index.html")

    def entry_path(self, entry):
        return os.path.join(self.blog.archive_path or self.blog.site_path, "%06d.html" % entry.id)

    def publish_index(self, newest):
        self.write(self.index_path(), self.render(MAIN_INDEX, entries=[self.view(e) for e in newest],
                                                  page_url=self.blog.site_url))

    def publish_entry(self, entry, newer=None, older=None):
        view = self.view(entry)
        self.write(self.entry_path(entry), self.render(
            ENTRY_PAGE, entry=view, page_url=view.permalink,
            newer=self.view(newer) if newer else None, older=self.view(older) if older else None))

    # -- what to rebuild ---------------------------------------------------------

    def rebuild_all(self, progress=None):
        entries = self.published_entries()
        for number, entry in enumerate(entries):
            newer = entries[number - 1] if number > 0 else None
            older = entries[number + 1] if number + 1 < len(entries) else None
            self.publish_entry(entry, newer, older)
            if progress:
                progress(number + 1, len(entries))
        self.publish_index(entries[:INDEX_SIZE])
        return self

    def rebuild_entry(self, entry_id):
        """The pages that show this entry: its own page, and the main index (which
        it may have just joined or left; an unchanged index is not rewritten)."""
        entries = self.published_entries()
        ids = [entry.id for entry in entries]
        if entry_id in ids:
            number = ids.index(entry_id)
            self.publish_entry(entries[number], entries[number - 1] if number > 0 else None,
                               entries[number + 1] if number + 1 < len(entries) else None)
        self.publish_index(entries[:INDEX_SIZE])
        return self


@contextmanager
def rebuild_lock(config):
    """One rebuild at a time per installation: the last one to run reads the
    newest counts, so concurrent pings cannot leave a stale page behind."""
    import fcntl
    folder = config.get("DataSource")
    with open(os.path.join(folder, "rebuild.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
