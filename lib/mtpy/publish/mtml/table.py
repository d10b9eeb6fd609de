"""The table of Movable Type 2.x template tags the translator knows: each
tag's kind (function, container, conditional), the attributes it takes and how
they are checked, and the Jinja2 code it becomes where it sits; the attributes
every function tag takes (encode_html, trim_to...), applied in MT's order; the
tags of what mtpy lacks (comments, search), which render nothing.

The code a tag becomes calls the filters and functions of mtpy.publish.tags
(mt_entries, mt_date...) when the translated template renders.
"""

import re

from mtpy.dates import DATE_CODES, DEFAULT_FORMAT
from mtpy.models import KINDS, PROTOCOLS
from mtpy.publish.tags import DEFAULT_LANGUAGE, VERSION


FUNCTION, CONTAINER, CONDITIONAL, ELSE = "function", "container", "conditional", "else"

# How a function tag's value may be shown: "html" is the author's own (raw unless
# attributes ask otherwise); "text" and "url" come from strangers (pings) and are
# always shown as escaped plain text.
HTML, TEXT, URL = "html", "text", "url"


class Tag:
    __slots__ = ("name", "kind", "build", "attributes", "value", "nothing")

    def __init__(self, name, kind, build=None, attributes=None, value=HTML, nothing=None):
        self.name = name                  # as MT spelled it, without "MT"
        self.kind = kind
        self.build = build                # (generator, node, scope) -> Jinja text
        self.attributes = attributes or {}  # name -> validator (raises ValueError)
        self.value = value
        self.nothing = nothing            # (topic, reason, output) of tags mtpy lacks

    def display(self):
        if self.kind == FUNCTION:
            return "<$MT%s$>" % self.name
        return "<MT%s>" % self.name


TAGS = {}


def _register(tag):
    TAGS[tag.name.lower()] = tag
    return tag


# -- attribute values ------------------------------------------------------------------

def _number(value):
    if not re.match(r"^\s*\d+\s*$", value):
        raise ValueError("must be a whole number")
    return int(value)


def _flag(value):
    if value.strip() not in ("0", "1"):
        raise ValueError('must be "0" or "1"')
    return value.strip() == "1"


def _text(value):
    return value


def _choice(*allowed):
    def check(value):
        for choice in allowed:
            if value.strip().lower() == choice.lower():
                return choice
        raise ValueError("must be one of: %s" % ", ".join(allowed))
    return check


def _choices(*allowed):
    """A comma-separated list of some of `allowed` (kind="reply,mention"), as a tuple."""
    one = _choice(*allowed)

    def check(value):
        chosen = tuple(one(part) for part in value.split(",") if part.strip())
        if not chosen:
            raise ValueError("must name at least one of: %s" % ", ".join(allowed))
        return chosen
    return check


def _date_format(value):
    for code in re.findall(r"%(.?)", value):
        if code not in DATE_CODES:
            raise ValueError("has an unknown date code %%%s (known: %s)"
                             % (code, " ".join("%" + c for c in sorted(DATE_CODES))))
    return value


def _month(value):
    value = value.strip().lower()
    if value in ("this", "last"):
        return value
    if re.match(r"^\d{6}$", value) and 1 <= int(value[4:]) <= 12:
        return value
    raise ValueError('must be "this", "last" or a month as YYYYMM')


def _sanitize(value):
    value = value.strip()
    if value == "0":
        return None
    if value != "1" and not re.match(r"^[A-Za-z][\w/ ,-]*$", value):
        raise ValueError('must be "1" or a list of tags such as "a href,b,i,br/"')
    return value


# Attributes every function tag takes, applied in this order: decoding and tag
# removal first (so trim_to counts visible characters and never cuts a tag or an
# entity in two), case and padding next, encoding last (so nothing undoes it).
GLOBAL_ATTRIBUTES = {
    "decode_html": _flag, "decode_xml": _flag, "remove_html": _flag, "sanitize": _sanitize,
    "dirify": _flag, "trim_to": _number, "lower_case": _flag, "upper_case": _flag,
    "strip_linefeeds": _flag, "zero_pad": _number, "space_pad": _number,
    "encode_html": _flag, "encode_xml": _flag, "encode_js": _flag, "encode_url": _flag,
}
_STEPS = (
    ("decode_html", lambda v: "mt_decode_html"),
    ("decode_xml", lambda v: "mt_decode_html"),
    ("remove_html", lambda v: "mt_remove_html"),
    ("sanitize", lambda v: "mt_sanitize(%s)" % jinja_literal(v)),
    ("dirify", lambda v: "mt_dirify"),
    ("trim_to", lambda v: "mt_trim(%d)" % v),
    ("lower_case", lambda v: "mt_lower"),
    ("upper_case", lambda v: "mt_upper"),
    ("strip_linefeeds", lambda v: "mt_strip_linefeeds"),
    ("zero_pad", lambda v: "mt_zero_pad(%d)" % v),
    ("space_pad", lambda v: "mt_space_pad(%d)" % v),
    ("encode_html", lambda v: "mt_encode_html"),
    ("encode_xml", lambda v: "mt_encode_xml"),
    ("encode_js", lambda v: "mt_encode_js"),
    ("encode_url", lambda v: "mt_encode_url"),
)
# On ping fields these cannot be honoured as asked: the value is already plain
# text, and it is always escaped at the end (decode_html must not undo that).
_FIXED_FOR_STRANGERS = frozenset(("decode_html", "decode_xml", "remove_html", "sanitize",
                                  "encode_html", "encode_xml", "encode_js", "encode_url"))


def jinja_literal(value):
    """A Python value as a Jinja literal (Python's repr is valid Jinja syntax
    for str, int and bool, and Jinja's lexer reads "}}" inside a string)."""
    return repr(value)


def post_process(expression, value_kind, attributes):
    steps = []
    if value_kind == HTML:
        steps = [step(attributes[name]) for name, step in _STEPS if attributes.get(name)]
    else:
        steps.append("mt_plain" if value_kind == TEXT else "mt_ping_url")
        steps += [step(attributes[name]) for name, step in _STEPS
                  if attributes.get(name) and name not in _FIXED_FOR_STRANGERS]
        if attributes.get("encode_url"):
            steps.append("mt_encode_url")    # percent-encoding leaves nothing to escape
        else:
            steps.append("mt_encode_html")
            if attributes.get("encode_js"):
                steps.append("mt_encode_js")
    return "|".join([expression] + steps)


# -- tag definitions --------------------------------------------------------------------------

def function(name, build, value=HTML, **attributes):
    return _register(Tag(name, FUNCTION, build, attributes, value))


def container(name, build, **attributes):
    return _register(Tag(name, CONTAINER, build, attributes))


def conditional(name, build, **attributes):
    return _register(Tag(name, CONDITIONAL, build, attributes))


def _of(context, field):
    """A tag showing one field of the entry/category/archive in context."""
    return lambda g, node, scope: "%s.%s" % (getattr(scope, context), field)


def _date(stored, timezone):
    """A date tag: `stored` and `timezone` are fields of the thing in context."""
    def build(g, node, scope):
        thing = stored(g, node, scope)
        fmt = node.attributes.get("format", DEFAULT_FORMAT)
        return "%s.created_on|mt_date(%s.%s, %s)" % (thing, thing, timezone, jinja_literal(fmt))
    return build


_register(Tag("Else", ELSE))

# Entries ---------------------------------------------------------------------------------------

ENTRIES_ATTRIBUTES = dict(lastn=_number, offset=_number, days=_number, category=_text, author=_text,
                          sort_order=_choice("ascend", "descend"), glue=_text)


def _entries(g, node, scope):
    var = g.name("e")
    arguments = ["site", "archive", scope.source or "None", "now"]
    for name in ("lastn", "offset", "days", "category", "author", "sort_order"):
        if name in node.attributes:
            arguments.append("%s=%s" % (name, jinja_literal(node.attributes[name])))
    inner = scope.but(entry=var, entry_bound=True, source=None, ping_owner=("entry", var))
    return g.loop(node, scope, "entries", var, "mt_entries(%s)" % ", ".join(arguments), inner)


def _entry_text(field):
    def build(g, node, scope):
        convert = node.attributes.get("convert_breaks")
        value = "%s.%s" % (scope.entry, field)
        if convert is None:
            return "%s|mt_entry_text(%s.convert_breaks)" % (value, scope.entry)
        return value + "|mt_convert_breaks" if convert else value
    return build


def _entry_id(g, node, scope):
    if node.attributes.get("pad"):
        return "%s.id|mt_zero_pad(6)" % scope.entry
    return "%s.id" % scope.entry


def _entry_link(g, node, scope):
    kind = node.attributes.get("archive_type")
    if kind == "Monthly":
        return "%s.month.url" % scope.entry
    if kind == "Category":
        return "(%s.category or mt_none).archive_url" % scope.entry
    return "%s.permalink" % scope.entry


def _entry_neighbour(field):
    def build(g, node, scope):
        var = g.name("e")
        inner = scope.but(entry=var, entry_bound=True, ping_owner=("entry", var))
        return "{%% with %s = %s.%s %%}{%% if %s %%}%s{%% endif %%}{%% endwith %%}" % (
            var, scope.entry, field, var, g.nodes(node.body, inner))
    return build


def _entry_categories(g, node, scope):
    var = g.name("c")
    inner = scope.but(category=var, category_bound=True, source=var + ".entries",
                      ping_owner=("category", var))
    return g.loop(node, scope, "categories", var, scope.entry + ".categories", inner)


def _trackback_data(g, node, scope):
    wrap = node.attributes.get("comment_wrap", True)
    return "mt_trackback_rdf(%s, archive, %s)" % (scope.entry, jinja_literal(wrap))


def _date_header(footer):
    def build(g, node, scope):
        frame = g.loop_object(node, scope, "entries", "Entries")
        if footer:
            test = "%s.last or mt_day(%s) != mt_day(%s.nextitem)" % (frame.saved, frame.var, frame.saved)
        else:
            test = "%s.first or mt_day(%s) != mt_day(%s.previtem)" % (frame.saved, frame.var, frame.saved)
        return "{%% if %s %%}%s{%% endif %%}" % (test, g.nodes(node.body, scope))
    return build


def _loop_edge(kind, container_name, last):
    """MT 3's <MTEntriesHeader>/<MTPingsFooter> and the like."""
    def build(g, node, scope):
        frame = g.loop_object(node, scope, kind, container_name)
        return "{%% if %s.%s %%}%s{%% endif %%}" % (frame.saved, "last" if last else "first",
                                                   g.nodes(node.body, scope))
    return build


container("Entries", _entries, **ENTRIES_ATTRIBUTES)
container("DateHeader", _date_header(False))
container("DateFooter", _date_header(True))
container("EntriesHeader", _loop_edge("entries", "Entries", False))
container("EntriesFooter", _loop_edge("entries", "Entries", True))
function("EntryTitle", _of("entry", "title"))
function("EntryBody", _entry_text("body"), convert_breaks=_flag)
function("EntryMore", _entry_text("extended"), convert_breaks=_flag)
function("EntryExcerpt", _of("entry", "auto_excerpt"))
function("EntryKeywords", _of("entry", "keywords"))
function("EntryID", _entry_id, pad=_flag)
function("EntryBasename", _of("entry", "basename"))
function("EntryDate", _date(lambda g, node, scope: scope.entry, "timezone"), format=_date_format)
function("EntryAuthor", _of("entry", "author.name"))
function("EntryAuthorNickname", _of("entry", "author.name"))
function("EntryAuthorEmail", _of("entry", "author.email"))
function("EntryAuthorLink", lambda g, node, scope: "%s.author|mt_author_link" % scope.entry)
function("EntryLink", _entry_link, archive_type=_choice("Individual", "Monthly", "Category"))
function("EntryPermalink", _of("entry", "permalink"), archive_type=_text)
function("EntryCategory", lambda g, node, scope: "(%s.category or mt_none).label" % scope.entry)
container("EntryCategories", _entry_categories, glue=_text)
conditional("EntryIfExtended", _of("entry", "extended"))
conditional("EntryIfAllowPings", _of("entry", "accepts_pings"))
container("EntryPrevious", _entry_neighbour("previous"))
container("EntryNext", _entry_neighbour("next"))
function("EntryTrackbackLink", _of("entry", "ping_url"))
function("EntryTrackbackID", lambda g, node, scope: "(%s.trackback_id or '')" % scope.entry)
function("EntryTrackbackCount", _of("entry", "ping_count"))
function("EntryTrackbackData", _trackback_data, comment_wrap=_flag)
# Its pings as a feed (`ID.xml`, each ping an item) for the index feeds' wfw:commentRss
# and Atom's rel="replies"; "" when the weblog writes no such feeds.
function("EntryPingsFeedLink", _of("entry", "pings_feed_url"))
conditional("EntryIfPingsFeed", _of("entry", "pings_feed_url"))
# The Pingback and Webmention <link>s of an entry that takes pings (in <head>).
function("EntryLinkbackLinks", lambda g, node, scope: "mt_linkback_links(site, %s)" % scope.entry)

# Pings ------------------------------------------------------------------------------------------


def _pings(g, node, scope):
    var = g.name("p")
    owner = scope.ping_owner
    if owner is None:            # the page's entry, else its category, else the weblog
        arguments = "site, entry, category"
    elif owner[0] == "entry":
        arguments = "site, %s, None" % owner[1]
    else:
        arguments = "site, None, %s" % owner[1]
    for name in ("lastn", "offset", "sort_order", "kind"):
        if name in node.attributes:
            arguments += ", %s=%s" % (name, jinja_literal(node.attributes[name]))
    return g.loop(node, scope, "pings", var, "mt_pings(%s)" % arguments, scope.but(ping=var))


def _ping_owner(scope):
    """The entry (or category listing) whose pings <MTPings> shows here."""
    owner = scope.ping_owner
    return owner[1] if owner is not None and owner[0] == "entry" else scope.entry


def _ping_page(field):
    """A field of the listing popup's page of pings; outside the popup, nothing."""
    return lambda g, node, scope: "(%s.ping_page or mt_none).%s" % (_ping_owner(scope), field)


def _more_pings(g, node, scope):
    return "(%s.ping_count > %d)" % (_ping_owner(scope), node.attributes.get("lastn", 0))


def _ping(field):
    return lambda g, node, scope: "%s.%s" % (g.need(node, scope.ping, "Pings"), field)


def _pings_sent(g, node, scope):
    var = g.name("u")
    return g.loop(node, scope, "sent", var, scope.entry + ".pinged_urls", scope.but(sent_url=var))


def _ping_in(field, attribute):
    """A conditional on a ping's protocol or kind: true when it is one of those
    the attribute names."""
    def build(g, node, scope):
        if attribute not in node.attributes:
            raise g.error(node, '<MT%s> needs %s="..."' % (node.tag.name, attribute))
        return "%s.%s in %s" % (g.need(node, scope.ping, "Pings"), field, jinja_literal(node.attributes[attribute]))
    return build


def _reactions(g, node, scope):
    return "%s|mt_reactions(%d)" % (_ping_owner(scope), node.attributes.get("names", 10))


# kind="reply,mention": only those kinds (replies and mentions apart from
# likes, reposts and bookmarks); without it, every shown ping, as MT listed them.
container("Pings", _pings, lastn=_number, offset=_number, sort_order=_choice("ascend", "descend"), glue=_text,
          kind=_choices(*KINDS))
# mtpy's own (MT had no paging of pings): the popup shows a page of the newest
# pings with links to older and newer pages; a page that shows <MTPings lastn="N">
# links to the popup when there are more.
conditional("EntryIfMorePings", _more_pings, lastn=_number)
conditional("PingsIfOlder", _ping_page("older_url"))
conditional("PingsIfNewer", _ping_page("newer_url"))
function("PingsOlderLink", _ping_page("older_url"))
function("PingsNewerLink", _ping_page("newer_url"))
function("PingsPageFirst", _ping_page("first"))
function("PingsPageLast", _ping_page("last"))
container("PingsHeader", _loop_edge("pings", "Pings", False))
container("PingsFooter", _loop_edge("pings", "Pings", True))
function("PingID", _ping("id"))
function("PingTitle", _ping("title"), value=TEXT)
function("PingExcerpt", _ping("excerpt"), value=TEXT)
function("PingBlogName", _ping("blog_name"), value=TEXT)
function("PingIP", _ping("ip"), value=TEXT)
function("PingURL", _ping("url"), value=URL)
function("PingDate", _date(lambda g, node, scope: g.need(node, scope.ping, "Pings"), "timezone"),
         format=_date_format)
# Pingback and Webmention: how a ping came, what it is, who wrote it (as its
# source says: a stranger's text, shown escaped; URLs only when http(s)).
function("PingProtocol", _ping("protocol"), value=TEXT)
function("PingProtocolName", _ping("protocol_name"), value=TEXT)
function("PingKind", _ping("kind"), value=TEXT)
function("PingAuthorName", _ping("author_name"), value=TEXT)
function("PingAuthorURL", _ping("author_url"), value=URL)
function("PingAuthorPhoto", _ping("author_photo"), value=URL)
function("PingTargetURL", _ping("target_url"), value=URL)
conditional("PingIfProtocol", _ping_in("protocol", "protocol"), protocol=_choices(*PROTOCOLS))
conditional("PingIfKind", _ping_in("kind", "kind"), kind=_choices(*KINDS))
conditional("PingIfAuthorName", lambda g, node, scope: "%s.author_name|mt_plain|trim"
            % g.need(node, scope.ping, "Pings"))
conditional("PingIfAuthorURL", lambda g, node, scope: "%s.author_url|mt_ping_url"
            % g.need(node, scope.ping, "Pings"))
conditional("PingIfAuthorPhoto", lambda g, node, scope: "%s.author_photo|mt_ping_url"
            % g.need(node, scope.ping, "Pings"))
conditional("EntryIfReactions", lambda g, node, scope: "%s.reactions()" % _ping_owner(scope))
function("EntryReactions", _reactions, names=_number)
container("PingsSent", _pings_sent, glue=_text)
function("PingsSentURL", lambda g, node, scope: g.need(node, scope.sent_url, "PingsSent"))

# The weblog ------------------------------------------------------------------------------------------


def _constant(expression):
    return lambda g, node, scope: expression


function("BlogName", _constant("blog.name"))
function("BlogDescription", _constant("blog.description"))
function("BlogURL", _constant("blog.site_url"))
function("BlogArchiveURL", _constant("site.archive_base"))
function("BlogID", _constant("blog.id"))
function("BlogTimezone", lambda g, node, scope: "blog.timezone|mt_utc_offset(%s)"
         % jinja_literal(not node.attributes.get("no_colon")), no_colon=_flag)
function("BlogEntryCount", _constant("site.entries()|length"))
function("BlogHost", _constant("blog.site_url|mt_url_host"))
function("BlogRelativeURL", _constant("blog.site_url|mt_url_path"))
function("CGIPath", _constant("site.cgi_path"))
function("TrackbackScript", _constant("config.get('TrackbackScript')"))
# The weblog's Pingback server and Webmention endpoint; "" when it has switched
# that protocol off.
function("PingbackURL", _constant("site.pingback_url"))
function("WebmentionURL", _constant("site.webmention_url"))
function("AdminScript", _constant("config.get('AdminScript')"))
function("PublishCharset", _constant("config.get('PublishCharset')"))
function("Date", lambda g, node, scope: "now|mt_date(blog.timezone, %s)"
         % jinja_literal(node.attributes.get("format", DEFAULT_FORMAT)), format=_date_format)
function("Version", _constant(jinja_literal(VERSION)))
function("DefaultLanguage", _constant(jinja_literal(DEFAULT_LANGUAGE)))


def _include(g, node, scope):
    found = [name for name in ("module", "file") if name in node.attributes]
    if len(found) != 1:
        raise g.error(node, '<$MTInclude$> needs module="..." or file="..." (one of them)')
    code = "{%% include mt_template_name(%s=%s) %%}" % (found[0], jinja_literal(node.attributes[found[0]]))
    # An included module refers to `entry`/`category`: inside a loop, the loop's.
    rebind = []
    if scope.entry_bound:
        rebind.append("entry = " + scope.entry)
    if scope.category_bound:
        rebind.append("category = " + scope.category)
    if rebind:
        code = "{%% with %s %%}%s{%% endwith %%}" % (", ".join(rebind), code)
    return code


function("Include", _include, module=_text, file=_text)

# Categories ----------------------------------------------------------------------------------------------


def _categories(g, node, scope):
    var = g.name("c")
    inner = scope.but(category=var, category_bound=True, source=var + ".entries",
                      ping_owner=("category", var))
    condition = None if node.attributes.get("show_empty") else var + ".entry_count"
    return g.loop(node, scope, "categories", var, "site.categories()", inner, condition)


container("Categories", _categories, show_empty=_flag, glue=_text)
function("CategoryLabel", _of("category", "label"))
function("CategoryID", _of("category", "id"))
function("CategoryDescription", _of("category", "description"))
function("CategoryArchiveLink", _of("category", "archive_url"))
function("CategoryCount", _of("category", "entry_count"))
function("CategoryTrackbackLink", _of("category", "ping_url"))
function("CategoryTrackbackCount", lambda g, node, scope: "%s.pings()|length" % scope.category)
# True when the category takes pings from anyone (and so shows its URL); one
# protected by a passphrase takes them only from those its owner gave the URL
# with the passphrase, and <MTCategoryIfPingsNeedPassphrase> (mtpy's own) is true.
conditional("CategoryIfAllowPings", _of("category", "accepts_pings"))
conditional("CategoryIfPingsNeedPassphrase", _of("category", "needs_passphrase"))
function("CategoryLinkbackLinks", lambda g, node, scope: "mt_linkback_links(site, %s)" % scope.category)

# Archives -------------------------------------------------------------------------------------------------


def _archive_list(g, node, scope):
    var = g.name("a")
    kind = node.attributes.get("archive_type", "Monthly")
    arguments = "site, %s" % jinja_literal(kind)
    if "lastn" in node.attributes:
        arguments += ", %d" % node.attributes["lastn"]
    inner = scope.but(archive=var, source=var + ".entries()")
    return g.loop(node, scope, "archives", var, "mt_archives(%s)" % arguments, inner)


def _archive_neighbour(step):
    def build(g, node, scope):
        var = g.name("a")
        inner = scope.but(archive=var, source=var + ".entries()")
        return "{%% with %s = mt_archive_neighbour(site, %s, %d) %%}{%% if %s %%}%s{%% endif %%}{%% endwith %%}" % (
            var, scope.archive, step, var, g.nodes(node.body, inner))
    return build


def _archive_date(end):
    def build(g, node, scope):
        fmt = node.attributes.get("format", DEFAULT_FORMAT)
        return "%s|mt_archive_date(%s, %s)" % (scope.archive, jinja_literal(fmt), jinja_literal(end))
    return build


container("ArchiveList", _archive_list, lastn=_number, glue=_text,
          archive_type=_choice("Monthly", "Category", "Individual"))
container("ArchivePrevious", _archive_neighbour(+1))
container("ArchiveNext", _archive_neighbour(-1))
function("ArchiveTitle", _of("archive", "title"))
function("ArchiveLink", _of("archive", "url"))
function("ArchiveCount", lambda g, node, scope: "%s|mt_archive_count" % scope.archive)
function("ArchiveDate", _archive_date(False), format=_date_format)
function("ArchiveDateEnd", _archive_date(True), format=_date_format)
function("ArchiveCategory", lambda g, node, scope: "(%s.category or mt_none).label" % scope.archive)
function("ArchiveType", lambda g, node, scope: "(%s.kind or '')" % scope.archive)

# The calendar --------------------------------------------------------------------------------------------


def _calendar(g, node, scope):
    var = g.name("d")
    month = node.attributes.get("month", "this")
    inner = scope.but(cell=var, source=var + ".entries")
    return g.loop(node, scope, "calendar", var, "mt_calendar(site, archive, now, %s)" % jinja_literal(month), inner)


def _cell(expression):
    """A calendar tag: `expression` uses {cell}, the current calendar cell."""
    return lambda g, node, scope: expression.format(cell=g.need(node, scope.cell, "Calendar"))


def _cell_block(expression):
    def build(g, node, scope):
        return "{%% if %s %%}%s{%% endif %%}" % (_cell(expression)(g, node, scope), g.nodes(node.body, scope))
    return build


container("Calendar", _calendar, month=_month)
container("CalendarWeekHeader", _cell_block("{cell}.week_start"))
container("CalendarWeekFooter", _cell_block("{cell}.week_end"))
conditional("CalendarIfBlank", _cell("{cell}.blank"))
conditional("CalendarIfEntries", _cell("{cell}.entries"))
conditional("CalendarIfNoEntries", _cell("not {cell}.blank and not {cell}.entries"))
conditional("CalendarIfToday", _cell("{cell}.is_today"))
function("CalendarDay", _cell("{cell}.day"))
function("CalendarCellNumber", _cell("{cell}.number"))
function("CalendarDate", lambda g, node, scope: "%s|mt_cell_date(%s)" % (
    g.need(node, scope.cell, "Calendar"), jinja_literal(node.attributes.get("format", DEFAULT_FORMAT))),
    format=_date_format)

# What mtpy does not have: comments, search, sign-in. Shown as nothing (counts
# as 0, conditionals as false), listed once in the warnings. ---------------------------------------------

_COMMENTS = ("comments", "mtpy has no comments", "")
_SEARCH = ("search", "mtpy has no search", "")
_GOOGLE = ("Google search", "mtpy has no Google search", "")
_NOTHING = {
    FUNCTION: {
        _COMMENTS: ("CommentID", "CommentBody", "CommentAuthor", "CommentAuthorLink",
                    "CommentAuthorIdentity", "CommentEmail", "CommentURL", "CommentIP", "CommentDate",
                    "CommentOrderNumber", "CommentEntryID", "CommentFields", "CommentScript",
                    "CommentPreviewAuthor", "CommentPreviewEmail", "CommentPreviewURL",
                    "CommentPreviewBody", "CommentPreviewIP", "CommentPreviewDate",
                    "CommentPreviewState", "CommentPreviewIsStatic", "CommenterName",
                    "CommenterEmail", "RemoteSignInLink", "RemoteSignOutLink", "SignOnURL",
                    "TypeKeyToken", "ErrorMessage"),
        ("comments", "mtpy has no comments", "0"): ("EntryCommentCount", "BlogCommentCount"),
        _SEARCH: ("SearchScript", "SearchString", "SearchIncludeBlogs", "SearchTemplateID"),
        ("search", "mtpy has no search", "0"): ("SearchResultCount",),
        _GOOGLE: ("GoogleSearchResult",),
        ("author URL", "mtpy's authors have no URL", ""): ("EntryAuthorURL",),
    },
    CONTAINER: {
        _COMMENTS: ("Comments", "CommentsHeader", "CommentsFooter", "CommentEntry"),
        _SEARCH: ("SearchResults", "NoSearch", "NoSearchResults", "BlogResultHeader",
                  "BlogResultFooter", "SearchResultsHeader", "SearchResultsFooter"),
        _GOOGLE: ("GoogleSearch",),
    },
    CONDITIONAL: {
        _COMMENTS: ("EntryIfAllowComments", "EntryIfCommentsOpen", "BlogIfCommentsOpen",
                    "EntryIfComments", "IfCommentsAllowed", "IfRegistrationRequired",
                    "IfRegistrationNotRequired", "IfRegistrationAllowed", "IfCommentsModerated",
                    "IfAllowCommentHTML", "IfCommenterTrusted", "IfNonAnonymousCommenter"),
        _SEARCH: ("IfStraightSearch", "IfTagSearch"),
    },
}
for _kind, _groups in _NOTHING.items():
    for _why, _names in _groups.items():
        for _name in _names:
            _register(Tag(_name, _kind, nothing=_why))
