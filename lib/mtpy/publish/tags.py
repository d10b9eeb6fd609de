"""The runtime of Movable Type tags: what templates translated by
`mtpy.publish.mtml` call while they render.

`install(environment)` registers these functions (globals) and filters on a
jinja2.Environment. Translated templates are rendered with autoescape off, as MT
output values raw; the filters here do the escaping MT's rules ask for, and ping
fields (untrusted: sent by anyone) are always shown as escaped plain text.

Rebuilds render thousands of pages from one SiteView, and the sidebars of those
pages ask the same questions again and again (this month's calendar, the list of
monthly archives, the same dates in the same format), so those answers are kept
for as long as the SiteView lives (one load of the store per rebuild).
"""

import calendar
import html
import re
import weakref
from datetime import datetime
from functools import lru_cache
from urllib.parse import quote, urlsplit

from mtpy import text
from mtpy.dates import DEFAULT_FORMAT, format_date, format_local, iso8601, local_time, utc_offset
from mtpy.publish.views import REACTIONS, ArchiveView
from mtpy.sanitize import clean_html
from mtpy.text import dirify
from mtpy.trackback.envelope import REACTION_VERBS, display_name
from mtpy.trackback.rdf import rdf_block

VERSION = "2.661-mtpy"
DEFAULT_LANGUAGE = "en"
# MT showed the weblog's last N days on the main index; mtpy's blogs have no such
# setting, so an index's <MTEntries> without lastn/days shows the 15 newest, like
# the default main index of mtpy.
INDEX_LASTN = 15
# MT's GlobalSanitizeSpec: the tags (and their attributes) `sanitize="1"` keeps.
DEFAULT_SANITIZE = "a href,b,i,br/,p,strong,em,ul,ol,li,blockquote,pre"


# -- what stands for a missing entry, category or archive ------------------------

class AnyPublicName:
    """TEMPLATE_FIELDS of Nothing: every name but the private ones (the sandbox
    lets templates read only those; see mtpy.publish.environment)."""

    def __contains__(self, name):
        return not name.startswith("_")


class Nothing:
    """Stands for the entry, category or archive a page does not have (an entry
    tag on the main index, outside <MTEntries>): every field is empty, counts are
    0, lists are empty. Cheaper and kinder than failing the whole rebuild."""

    TEMPLATE_FIELDS = AnyPublicName()
    ping_count = entry_count = 0

    def __getattr__(self, name):
        if name.startswith("_"):  # never pretend to be a protocol (__html__, ...)
            raise AttributeError(name)
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __bool__(self):
        return False

    def __str__(self):
        return ""


NOTHING = Nothing()


# -- dates (mtpy.dates formats them) -------------------------------------------------

def local_day(entry):
    """The blog-local date of an entry, for <MTDateHeader>/<MTDateFooter>."""
    return local_time(entry.created_on, entry.timezone).date()


# -- the global attributes of function tags ----------------------------------------

def _string(value):
    return value if isinstance(value, str) else str(value)


def encode_html(value):
    return text.escape_html(_string(value))


def encode_xml(value):
    return text.escape_xml(_string(value))


_JS = {"\\": "\\\\", "'": "\\x27", '"': "\\x22", "\n": "\\n", "\r": "\\r", "\t": "\\t",
       "<": "\\x3c", ">": "\\x3e", "&": "\\x26"}
_JS_SPECIAL = re.compile(r"[\\'\"\n\r\t<>&]")


def encode_js(value):
    """For a JavaScript string literal. Quotes and < > & become \\x escapes (not
    MT's \\' \\"), so the result is also safe inside an HTML attribute or a
    <script> element."""
    return _JS_SPECIAL.sub(lambda m: _JS[m.group(0)], _string(value))


def encode_url(value):
    return quote(_string(value), safe="")


def decode_html(value):
    return html.unescape(_string(value))


def remove_html(value):
    return text.remove_tags(_string(value))


def trim(value, length):
    return _string(value)[:length]


def lower(value):
    return _string(value).lower()


def upper(value):
    return _string(value).upper()


def strip_linefeeds(value):
    return _string(value).replace("\r", "").replace("\n", "")


def zero_pad(value, width):
    value = _string(value)
    return value.rjust(width, "0") if value else value


def space_pad(value, width):
    return _string(value).rjust(width)


def make_dirify(value):
    return dirify(_string(value))


# -- sanitize ----------------------------------------------------------------------

@lru_cache(maxsize=64)
def sanitize_spec(spec):
    """'a href,b,br/' -> {"a": {"href"}, "b": set(), "br": set()} (the "/" of
    MT's spec marks an empty element, which mtpy.sanitize knows by itself)."""
    allowed = {}
    for item in spec.split(","):
        words = item.split()
        if words:
            allowed[words[0].lower().rstrip("/")] = frozenset(word.lower() for word in words[1:])
    return allowed


def sanitize(value, spec):
    """Keep only the allowed tags and attributes (spec "1": MT's default set)."""
    return clean_html(_string(value), sanitize_spec(DEFAULT_SANITIZE if spec in ("1", True) else spec))


# -- entries' text ------------------------------------------------------------------

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_BLOCK_START = re.compile(
    r"<(?:!--|/?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|pre|blockquote|table|thead|tbody|tfoot|tr|td|th|"
    r"form|fieldset|hr|address|center|noscript|script|style|object|iframe|section|article|aside|"
    r"header|footer|nav|figure|figcaption|hgroup|menu)\b)", re.I)


def convert_breaks(value):
    """MT's "Convert Line Breaks": blank lines separate paragraphs, each wrapped
    in <p> unless it starts with a block-level tag; other newlines become <br />."""
    body = _string(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not body:
        return ""
    paragraphs = []
    for paragraph in _PARAGRAPH_BREAK.split(body):
        if _BLOCK_START.match(paragraph):
            paragraphs.append(paragraph)
        else:
            paragraphs.append("<p>%s</p>" % paragraph.replace("\n", "<br />\n"))
    return "\n\n".join(paragraphs)


def entry_text(value, convert):
    """MTEntryBody/MTEntryMore without convert_breaks: the entry's own setting."""
    if convert in ("1", "__default__", True, 1):
        return convert_breaks(value)
    return _string(value)


def author_link(author):
    """MTEntryAuthorLink: the name, linked to a mailto: when there is an e-mail."""
    if not author or not author.name:
        return ""
    if author.email:
        return '<a href="mailto:%s">%s</a>' % (text.escape_html(author.email), author.name)
    return author.name


# -- untrusted ping fields ----------------------------------------------------------

def plain(value):
    """What a reader of a ping field should see, before escaping: tags removed,
    character references decoded: ping text is kept as received, shown as text."""
    return text.plain_text(_string(value))


def ping_url(value):
    """A ping's source URL as plain text, kept only when it is http(s)."""
    return text.web_link(plain(value).strip())


# -- weblog-wide values ---------------------------------------------------------------

def url_host(url):
    return urlsplit(_string(url)).netloc


def url_path(url):
    return urlsplit(_string(url)).path or "/"


# -- collections ---------------------------------------------------------------------

_SITE_CACHES = weakref.WeakKeyDictionary()


def _cache(site):
    """Answers kept for the life of one SiteView (one rebuild). A stand-in site
    that cannot be weakly referenced (a SimpleNamespace in a test) gets none."""
    try:
        return _SITE_CACHES.setdefault(site, {})
    except TypeError:
        return {}


def _category_named(site, label):
    cache = _cache(site)
    labels = cache.get("labels")
    if labels is None:
        labels = cache["labels"] = {category.label: category for category in site.categories()}
    return labels.get(label)


# Pages that list their archive's entries. An entry's own page is not one: MT gave
# it the entry only, so <MTEntries> there (a sidebar's) lists the weblog's.
_LISTING_KINDS = ("Category", "Monthly")


def entries(site, archive, source, now, lastn=None, offset=0, days=None, category=None,
            author=None, sort_order=None):
    """<MTEntries>. `source` is the list a surrounding tag gives (a category's,
    an archive's, a calendar day's entries); without one, a category or monthly
    page's entries, else the weblog's. category/author/days always select from the
    weblog; days counts back from `now`, the render's clock (the site's)."""
    blog_wide = category is not None or author is not None or days is not None
    if source is not None and not blog_wide:
        chosen = source
    elif not blog_wide and archive is not None and archive.kind in _LISTING_KINDS:
        chosen = archive.entries()
    else:
        if category is None and not lastn and not blog_wide:   # MT took lastn="0" as no lastn
            lastn = INDEX_LASTN
        # Only what will be shown is loaded (SiteView loads entries on demand).
        limit = offset + lastn if lastn and author is None and days is None else None
        if category is not None:
            found = _category_named(site, category)
            chosen = site.entries(category=found, lastn=limit, days=days, now=now) if found is not None else []
        else:
            chosen = site.entries(lastn=limit, days=days, now=now)
    if author is not None:
        chosen = [entry for entry in chosen if entry.author.name == author]
    if offset:
        chosen = chosen[offset:]
    if lastn:
        chosen = chosen[:lastn]
    if sort_order is not None:
        chosen = sorted(chosen, key=lambda entry: entry.created_on, reverse=sort_order == "descend")
    return chosen


def pings(site, entry, category, lastn=None, offset=0, sort_order=None, kind=None):
    """<MTPings>: the entry's, else the category's, else the weblog's; oldest
    first, or with lastn the N newest (after the `offset` newest), newest first;
    sort_order turns either way; `kind` (a tuple): only pings of those kinds.
    Only what is shown is read from the store; in the listing popup, the page
    of pings it shows."""
    if entry:
        found = entry.pings(lastn, offset, kind)
    elif category:
        found = category.pings(lastn, offset, kind)
    else:
        found = site.blog_pings(lastn, offset, kind)
    newest_first = bool(lastn)
    if sort_order is not None and (sort_order == "descend") != newest_first:
        found = found[::-1]
    return found


def archives(site, kind, lastn=None):
    """<MTArchiveList>: the archive pages of a kind, newest first."""
    cache = _cache(site)
    key = ("archives", kind)
    found = cache.get(key)
    if found is None:
        found = cache[key] = site.archives(kind)
    return found[:lastn] if lastn else found


_COUNTS = weakref.WeakKeyDictionary()


def archive_count(archive):
    if not archive:
        return 0
    try:
        count = _COUNTS.get(archive)
        if count is None:
            count = _COUNTS[archive] = len(archive.entries())
        return count
    except TypeError:             # a stand-in that cannot be weakly referenced
        return len(archive.entries())


def archive_date(archive, fmt=DEFAULT_FORMAT, end=False):
    """MTArchiveDate / MTArchiveDateEnd: the first (last) moment of the period."""
    if not archive:
        return ""
    timezone = archive.site.blog.timezone
    if archive.kind == "Monthly":
        year, month = archive.month
        if end:
            moment = datetime(year, month, calendar.monthrange(year, month)[1], 23, 59, 59)
        else:
            moment = datetime(year, month, 1)
        return format_local(moment, fmt, timezone)
    if archive.kind == "Individual":
        return format_date(archive.entry.created_on, timezone, fmt)
    return ""


def archive_neighbour(site, archive, step):
    """The next older (step +1) or newer (-1) archive of the same kind, or None."""
    if not archive:
        return None
    if archive.kind == "Monthly":
        months = [each.month for each in archives(site, "Monthly")]
        if archive.month not in months:
            return None
        number = months.index(archive.month) + step
        return archives(site, "Monthly")[number] if 0 <= number < len(months) else None
    if archive.kind == "Individual":
        entry = archive.entry.previous if step > 0 else archive.entry.next
        return ArchiveView("Individual", site, entry=entry) if entry is not None else None
    return None


# -- the calendar ----------------------------------------------------------------------

class CalendarCell:
    """One day (or blank) of <MTCalendar>, weeks from Sunday to Saturday."""

    __slots__ = ("number", "day", "date", "timezone", "entries", "blank", "is_today",
                 "week_start", "week_end")
    TEMPLATE_FIELDS = frozenset(__slots__)

    def __init__(self, number, day, date, timezone, entries, is_today):
        self.number = number                    # 1-based cell number
        self.day = day if date else ""
        self.date = date                        # local datetime, None when blank
        self.timezone = timezone
        self.entries = entries                  # the day's entries, oldest first
        self.blank = date is None
        self.is_today = is_today
        self.week_start = number % 7 == 1
        self.week_end = number % 7 == 0


def _calendar_month(site, archive, now, month):
    if month == "this" and archive is not None and archive.kind == "Monthly":
        return archive.month
    current = local_time(now, site.blog.timezone)
    if month == "this":
        return current.year, current.month
    if month == "last":
        return (current.year - 1, 12) if current.month == 1 else (current.year, current.month - 1)
    return int(month[:4]), int(month[4:6])


def calendar_cells(site, archive, now, month="this"):
    """<MTCalendar>: the cells of the month (this / last / YYYYMM); "this" month
    and today are `now`, the render's clock, in the weblog's time."""
    year, number = _calendar_month(site, archive, now, month)
    today = local_time(now, site.blog.timezone).date()
    key = ("calendar", year, number, today)
    cache = _cache(site)
    cells = cache.get(key)
    if cells is None:
        cells = cache[key] = _build_cells(site, year, number, today)
    return cells


def _build_cells(site, year, month, today):
    timezone = site.blog.timezone
    by_day = {}
    for entry in reversed(site.entries(month=(year, month))):   # oldest first
        by_day.setdefault(local_time(entry.created_on, entry.timezone).day, []).append(entry)
    first_weekday, length = calendar.monthrange(year, month)    # Monday is 0
    lead = (first_weekday + 1) % 7                              # Sunday-first weeks
    total = -(-(lead + length) // 7) * 7
    cells = []
    for number in range(1, total + 1):
        day = number - lead
        date = datetime(year, month, day) if 1 <= day <= length else None
        cells.append(CalendarCell(number, day, date, timezone, by_day.get(day, []) if date else [],
                                  date is not None and date.date() == today))
    return cells


def cell_date(cell, fmt=DEFAULT_FORMAT):
    return format_local(cell.date, fmt, cell.timezone) if cell and cell.date else ""


# -- TrackBack ---------------------------------------------------------------------------


def trackback_rdf(entry, archive, comment_wrap=True):
    """<$MTEntryTrackbackData$> (the auto-discovery RDF block): nothing unless the entry takes
    pings; on a category or monthly page the entry is `page#000123`."""
    if not entry or not entry.accepts_pings:
        return ""
    if archive is not None and archive.kind in _LISTING_KINDS:
        about = "%s#%s" % (archive.url, entry.basename)
    else:
        about = entry.permalink
    category = entry.category
    return rdf_block(about, entry.ping_url, entry.title, about, category.label if category else "",
                     entry.auto_excerpt, entry.author.name,
                     iso8601(entry.created_on, entry.timezone), comment_wrap)


# -- Pingback and Webmention ----------------------------------------------------------------


def linkback_links(site, subject):
    """<$MTEntryLinkbackLinks$>/<$MTCategoryLinkbackLinks$>: the <link> elements
    by which Pingback and Webmention senders find where to notify, for an entry
    or category (`subject`) that takes pings, one per protocol the weblog
    accepts. Written as the Pingback specification's pattern reads them
    (`<link rel="pingback" href="([^"]+)" ?/?>`: rel first, double quotes),
    which is also how WordPress searches a page's text."""
    if not subject or not subject.accepts_pings:
        return ""
    links = []
    for rel, url in (("pingback", site.pingback_url), ("webmention", site.webmention_url)):
        if url:
            links.append('<link rel="%s" href="%s" />' % (rel, text.escape_html(url)))
    return "\n".join(links)


_HEAD_END = re.compile(r"</head\s*>", re.I)


def _announces(head, rel):
    return re.search(r"""<link\b[^>]*\brel\s*=\s*["']?[^"'>]*\b%s\b""" % rel, head, re.I) is not None


def advertise(page, links):
    """A page whose template predates Pingback and Webmention, with the
    `links` (linkback_links' text) it lacks inserted just before its </head>:
    a weblog's own copies of the templates keep their edits and still
    announce the endpoints. A page that already has a rel="pingback" or
    rel="webmention" <link> in its head (the tag, or one written by hand) keeps
    it and gets no second one; a page without </head> is left alone."""
    if not links:
        return page
    end = _HEAD_END.search(page)
    if end is None:
        return page
    head = page[:end.start()]
    missing = [line + "\n" for line in links.splitlines() if not _announces(head, line.split('"')[1])]
    if not missing:
        return page
    if not head.endswith("\n"):
        missing.insert(0, "\n")
    return head + "".join(missing) + page[end.start():]


def reaction_line(owner, names=10):
    """<$MTEntryReactions$>: the likes, reposts and bookmarks of an entry (or a
    category's listing) as one line: "Liked by A, B; reposted by C", at most
    `names` names of each kind ("and 3 others" for the rest), each linked to
    its source page when that is http(s). Escaped: every name is a stranger's."""
    if not owner:
        return ""
    by_kind = {}
    for ping in owner.reactions():
        by_kind.setdefault(ping.kind, []).append(ping)
    parts = []
    for kind in REACTIONS:
        verb = REACTION_VERBS[kind].lower()
        found = by_kind.get(kind)
        if not found:
            continue
        shown = []
        for ping in found[:names]:
            name = text.escape_html(display_name(ping.author_name, ping.blog_name, ping.title, ping.url, plain))
            link = ping_url(ping.url)
            shown.append('<a href="%s" rel="nofollow">%s</a>' % (text.escape_html(link), name) if link else name)
        rest = len(found) - len(shown)
        if rest:
            shown[-1:] = ["%s and %d other%s" % (shown[-1], rest, "" if rest == 1 else "s")]
        parts.append("%s by %s" % (verb, ", ".join(shown)))
    line = "; ".join(parts)
    return line[:1].upper() + line[1:]


# -- installation --------------------------------------------------------------------------

FILTERS = {
    "mt_encode_html": encode_html, "mt_encode_xml": encode_xml, "mt_encode_js": encode_js,
    "mt_encode_url": encode_url, "mt_decode_html": decode_html, "mt_remove_html": remove_html,
    "mt_sanitize": sanitize, "mt_dirify": make_dirify, "mt_trim": trim, "mt_lower": lower,
    "mt_upper": upper, "mt_strip_linefeeds": strip_linefeeds, "mt_zero_pad": zero_pad,
    "mt_space_pad": space_pad, "mt_convert_breaks": convert_breaks, "mt_entry_text": entry_text,
    "mt_date": format_date, "mt_plain": plain, "mt_ping_url": ping_url,
    "mt_utc_offset": utc_offset, "mt_url_host": url_host, "mt_url_path": url_path,
    "mt_author_link": author_link, "mt_archive_count": archive_count,
    "mt_archive_date": archive_date, "mt_cell_date": cell_date, "mt_reactions": reaction_line,
}

GLOBALS = {
    "mt_none": NOTHING, "mt_entries": entries, "mt_pings": pings, "mt_archives": archives,
    "mt_archive_neighbour": archive_neighbour, "mt_calendar": calendar_cells,
    "mt_trackback_rdf": trackback_rdf, "mt_day": local_day, "mt_linkback_links": linkback_links,
}


def plain_for_output(context, value):
    """mt_plain as rendered: in a feed (the render's `mt_feed`, set for pages
    written to .xml, .rdf or .atom), whose text readers render as HTML once XML
    has decoded it, tags that decoding made are removed too (text.feed_text)."""
    if context.get("mt_feed"):
        return text.feed_text(_string(value))
    return plain(value)


def install(environment):
    """Make an environment able to render translated MT templates."""
    from jinja2 import pass_context
    environment.filters.update(FILTERS)
    environment.filters["mt_plain"] = pass_context(plain_for_output)
    environment.globals.update(GLOBALS)
    return environment
