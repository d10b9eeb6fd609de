"""A weblog in a real (SQLite) store that renders MT templates as the
publishing pipeline does; its fixture (`weblog`, in +09:00) and its calendar."""

import jinja2
import pytest

from mtpy.config import Config
from mtpy.models import Author, Blog, Category, Entry, Ping
from mtpy.publish import tags
from mtpy.publish.environment import TemplateSandbox
from mtpy.publish.mtml import translate
from mtpy.publish.views import ArchiveView, SiteView, template_values
from mtpy.store import open_store

NOW = "2026-11-05 06:00:00"   # Thursday November 5, 15:00 in the weblog's +09:00


BASE = "http://example.com/blog/"


ARCHIVES = BASE + "archives/"


CGI = "http://example.com/cgi-bin/"


class Weblog:
    """A weblog in a real (SQLite) store; renders MT templates the way the
    publishing pipeline does (same context names, autoescape off)."""

    def __init__(self, folder):
        self.config = Config(text="ObjectDriver sqlite\nDataSource %s\nCGIPath %s\n" % (folder / "data", CGI))
        self.store = open_store(self.config, create=True)
        save = self.store.save
        self.melody = Author(name="Melody", email="melody@example.com")
        self.bob = Author(name="Bob")
        save(self.melody), save(self.bob)
        self.blog = Blog(name="Melody's Weblog", description="Notes &amp; <em>links</em>",
                         site_url=BASE, archive_url=ARCHIVES, site_path=str(folder), timezone=9.0)
        save(self.blog)
        self.perl = Category(blog_id=self.blog.id, label="Perl", description="All about <b>Perl</b>",
                             allow_pings=True)
        self.travel = Category(blog_id=self.blog.id, label="Travel Notes")
        self.empty = Category(blog_id=self.blog.id, label="Empty")
        for category in (self.perl, self.travel, self.empty):
            save(category)
        self.first = self.entry("First post", "Hello\nworld\n\nSecond paragraph", "2026-10-30 20:00:00",
                                [self.travel])
        self.second = self.entry("Perl & <Python>", "<p>Code <b>here</b></p>", "2026-11-02 01:30:00",
                                 [self.perl, self.travel], extended="More <i>text</i>",
                                 keywords="perl, python", convert_breaks="0",
                                 pinged_urls=["http://pinged.example/a", "http://pinged.example/b"])
        self.third = self.entry("Late night", "Short", "2026-11-02 14:00:00", [self.perl],
                                allow_pings=False, author_id=self.bob.id)
        self.draft = self.entry("A draft", "Unseen", "2026-11-03 00:00:00", [self.perl], status="Draft")
        self.today = self.entry("Today", "Now", "2026-11-05 03:00:00", [], excerpt="Own excerpt")
        self.ping(self.item(self.second), title="<script>alert(1)</script>Nice \"post\"",
                  excerpt='"Quoted" & <b>bold</b> it&#8217;s <img src=x onerror=alert(1)>',
                  source_url="javascript:alert(document.cookie)",
                  blog_name="<img src=x onerror=alert(1)>Evil's", ip="10.0.0.1",
                  created_on="2026-11-03 00:00:00")
        self.ping(self.item(self.second), title="Reply", excerpt="Plain words",
                  source_url="http://other.example/post?a=1&b=2", blog_name="Other Blog",
                  ip="10.0.0.2", created_on="2026-11-04 12:00:00")
        self.ping(self.store.trackback_for(category=self.perl), title="Category ping",
                  excerpt="On topic", source_url="https://topic.example/", blog_name="Topical",
                  ip="10.0.0.3", created_on="2026-11-04 13:00:00")
        self.templates = {}
        self.environment = tags.install(TemplateSandbox(
            loader=jinja2.DictLoader(self.templates), autoescape=False,
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True))
        self.environment.globals["mt_template_name"] = self.template_name
        self.warnings = []

    def entry(self, title, body, created_on, categories, **values):
        values.setdefault("author_id", self.melody.id)
        entry = Entry(blog_id=self.blog.id, title=title, body=body, created_on=created_on,
                      category_ids=[category.id for category in categories], **values)
        self.store.save(entry)
        return entry

    def item(self, entry):
        return self.store.trackback_for(entry=entry)

    def ping(self, item, **values):
        ping = Ping(blog_id=self.blog.id, tb_id=item.id, **values)
        self.store.insert(ping)
        return ping

    def ping_url(self, record):
        item = self.store.trackback_for(**{"entry" if isinstance(record, Entry) else "category": record})
        return "%smt-tb.cgi/%d" % (CGI, item.id)

    @staticmethod
    def template_name(module=None, file=None):
        return "module:" + module if module else "file:" + file

    def module(self, name, source):
        self.templates["module:" + name] = translate(source, name)[0]

    def site(self, now=NOW):
        return SiteView(self.store, self.config, self.blog, now=now)

    def render(self, source, page="index", name="Test", now=NOW, **context):
        """Render on a page: "index", "entry" (context entry=Entry), "category"
        (category=Category) or "monthly" (month=(year, month)); at `now`."""
        site = self.site(now)
        jinja, self.warnings = translate(source, name)
        values = template_values(site)
        if page == "entry":
            values["entry"] = view = site.all_entries[site.position[context.pop("entry").id]]
            values["archive"] = ArchiveView("Individual", site, entry=view)
        elif page == "category":
            values["category"] = view = site.categories_by_id[context.pop("category").id]
            values["archive"] = ArchiveView("Category", site, category=view)
        elif page == "monthly":
            values["archive"] = ArchiveView("Monthly", site, month=context.pop("month"))
        values.update(context)
        return self.environment.from_string(jinja).render(values)


@pytest.fixture
def weblog(tmp_path):
    weblog = Weblog(tmp_path)
    yield weblog
    weblog.store.close()


CALENDAR = ("<MTCalendar%s><MTCalendarWeekHeader>[</MTCalendarWeekHeader><MTCalendarIfBlank>_</MTCalendarIfBlank>"
            "<MTCalendarIfNoEntries><$MTCalendarDay$></MTCalendarIfNoEntries>"
            '<MTCalendarIfEntries><MTEntries lastn="1"><a href="<$MTEntryPermalink$>"><$MTCalendarDay$></a>'
            "</MTEntries></MTCalendarIfEntries><MTCalendarIfToday>!</MTCalendarIfToday> "
            "<MTCalendarWeekFooter>]\n</MTCalendarWeekFooter></MTCalendar>")
