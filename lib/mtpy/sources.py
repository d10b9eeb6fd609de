"""What a linking page says: whether it links to a page of ours, and about
itself (a Pingback's or Webmention's source, read by the link-back check,
mtpy.actions.linkback).

A link counts in `<a href>`, `<img src>` and `<video>`/`<audio>`/`<source
src>` (relative ones resolved against the page's URL, or its `<base href>`),
in any spelling of the target's address that mtpy.urls's
same_address accepts; never inside an HTML comment, a script or a style, nor
as text. A page that says `<meta http-equiv="Status" content="410 Gone">`
(a static site's deleted post) is gone.

The rest comes from the page's h-entry, read with `mf2py` where it is
installed and the page is simple enough to read in bounded time
(_simple_enough): the author's name, URL and photo, the title, the text, the
date and the kind (a reply when `in-reply-to` names the target; a like, repost or
bookmark likewise; else a mention). Without mf2py, or without an h-entry:
the page's `<title>` and about 100 characters each side of the first link
to the target, as WordPress does.

Everything a source says is hostile: kept as plain text (tags removed,
control characters dropped, cropped to the ping's columns), URLs only when
they are http(s), never markup.
"""

import re

from mtpy.text import collapse_space, remove_tags, strip_controls
from mtpy.trackback.rules import FIELD_LIMIT, URL_LIMIT, crop_excerpt, normalize_url

# Where a page links: element -> its attribute holding the address.
LINK_ATTRIBUTES = {"a": "href", "img": "src", "video": "src", "audio": "src", "source": "src"}
AROUND_LINK = 100           # characters of text kept each side of the link (WordPress's)
WINDOW = 2000               # characters of markup read each side of it for those
LINK_TEXT_CHARS = 2000      # the text of a link: as far as its </a>, within this
MAX_TAGS_READ = 50000       # more than READ_PAGE_MAX_BYTES can hold well-formed
# mf2py reads a page of at most this many elements and bytes (a weblog's page
# has a few thousand elements): it takes about a second for 7,500, and a
# hostile page of 80,000 `<b>` would cost every check several seconds of CPU.
MICROFORMATS_MAX_TAGS = 10000
MICROFORMATS_MAX_BYTES = 256 * 1024
MICROFORMATS_MAX_DEPTH = 100
# h-entry properties that make a response of a kind, when they name the target.
KIND_PROPERTIES = (("in-reply-to", "reply"), ("like-of", "like"), ("repost-of", "repost"),
                   ("bookmark-of", "bookmark"))
_TAGS_READ = tuple(LINK_ATTRIBUTES) + ("base", "meta")
# Elements whose text holds no tags: what a script, a style, a template, a
# textarea or the title holds is no link.
_RAW_TEXT = re.compile(r"<(script|style|template|textarea|title)(?=[\s/>])")
_TITLE = re.compile(r"<title(?:\s[^<>]*)?>", re.I)
_TAG = re.compile(r"<[^<>]*(?:>|$)")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)
_START_OR_END = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)")
# Void elements, and those whose end tag may be left out: no depth of their own.
_NOT_NESTING = frozenset((
    "area base br col embed hr img input link meta param source track wbr "
    "html head body p li dt dd tr td th thead tbody tfoot colgroup caption option optgroup rt rp").split())


class Source:
    """What a page said: `links` (to one of the targets), `gone` (it says 410),
    and, plain text: `title`, `excerpt`, `author_name`, `author_url`,
    `author_photo` (http(s) URLs or ""), `published` (stored UTC or ""),
    `kind` (mtpy.models.KINDS)."""

    def __init__(self):
        self.links = self.gone = False
        self.title = self.excerpt = self.author_name = self.author_url = self.author_photo = ""
        self.published = ""
        self.kind = "mention"


def read_source(page_html, page_url, targets):
    """A Source for the page (its text, and the URL it came from) and the
    URLs of ours a link to which counts (`targets`). The page is read once,
    by regular expressions that never look past the next `<` (mtpy's
    discovery scanner): html.parser, and so BeautifulSoup's reading with it,
    takes minutes on a page of unclosed tags."""
    from mtpy.urls import address_spelling
    wanted = {found for found in map(address_spelling, targets) if found is not None}
    source = Source()
    page_html = page_html or ""
    text = _without_comments(page_html)
    readable = _without_raw_text(text)
    link, source.gone = _first_link(readable, page_url or "", wanted)
    source.links = link is not None
    if not source.links:
        return source
    source.title = plain(_title(text), FIELD_LIMIT)
    source.excerpt = _around(readable, *link)
    entry = _h_entry(page_html, page_url, wanted) if _simple_enough(page_html) else None
    if entry is not None:
        _read_entry(source, entry, wanted)
    return source


def links_back(page_html, page_url, targets):
    """Whether the page links to one of `targets` (see the module's docstring)."""
    return read_source(page_html, page_url, targets).links


def plain(text, limit):
    """Hostile text as plain text of at most `limit` characters: control
    characters dropped, anything that looks like a tag removed, white space
    collapsed."""
    return collapse_space(remove_tags(strip_controls(text or "")))[:limit]


def web_address(url):
    """An http(s) URL as it may be stored and linked (mtpy.trackback.rules'
    normalize_url), else "": javascript:, data:, an address too long."""
    if not isinstance(url, str) or len(url) > URL_LIMIT or not url.lower().startswith(("http://", "https://")):
        return ""
    return normalize_url(url) or ""


def _first_link(readable, page_url, wanted):
    """((where the first link to a target starts, where its text ends) or
    None, whether the page said 410 before it), in text without comments and
    raw text."""
    from mtpy.urls import address_spelling
    from mtpy.trackback.discover import document_tags
    base, based, gone = page_url, False, False
    for start, end, name, attributes in document_tags(readable, _TAGS_READ, MAX_TAGS_READ):
        if name == "base" and not based and attributes.get("href"):      # the first one counts
            base, based = joined(base, attributes["href"]) or base, True
        elif name == "meta" and (attributes.get("http-equiv") or "").strip().lower() == "status":
            gone = gone or (attributes.get("content") or "").strip().startswith("410")
        address = attributes.get(LINK_ATTRIBUTES.get(name, ""), "")
        if address.strip() and address_spelling(joined(base, address)) in wanted:
            if name == "a":
                closed = readable.lower().find("</a", end, end + LINK_TEXT_CHARS)
                end = closed if closed >= 0 else end
            return (start, end), gone
    return None, gone


def joined(base, href):
    """`href` resolved against `base` (tabs and line breaks inside it dropped,
    as browsers do), or None when it is no URL."""
    from urllib.parse import urljoin
    href = "".join(char for char in href.strip() if char not in "\t\r\n")
    try:
        return urljoin(base, href)
    except ValueError:
        return None


def _without_raw_text(text):
    """The text with a script, style, template, textarea or title blanked out
    as far as its end tag (no tag in there is one); one left open runs to the end.
    Each search starts where the last ended: one pass."""
    lower = text.lower()
    parts, at = [], 0
    while True:
        found = _RAW_TEXT.search(lower, at)
        if found is None:
            break
        parts.append(text[at:found.start()])
        closed = lower.find("</" + found.group(1), found.end())
        at = len(text) if closed < 0 else closed
        parts.append(" ")
    parts.append(text[at:])
    return "".join(parts)


def _title(text):
    """The text of the page's first `<title>`, references decoded."""
    from html import unescape
    found = _TITLE.search(text)
    if found is None:
        return ""
    closed = text.lower().find("</title", found.end(), found.end() + 4 * FIELD_LIMIT)
    return unescape(text[found.end():closed if closed >= 0 else found.end() + FIELD_LIMIT])


def _around(readable, start, end):
    """About AROUND_LINK characters of text each side of the link, and its
    own text, cut at words, `[…]` where cut (WordPress's excerpt)."""
    before = _words(readable[max(start - WINDOW, 0):start], leading=start > WINDOW)
    own = _words(readable[start:end])
    after = _words(readable[end:end + WINDOW])
    cut_before, cut_after = len(before) > AROUND_LINK, len(after) > AROUND_LINK
    before, after = before[-AROUND_LINK:], after[:AROUND_LINK]
    if cut_before and " " in before:
        before = "[\u2026] " + before.split(" ", 1)[1]
    if cut_after and " " in after:
        after = after.rsplit(" ", 1)[0] + " [\u2026]"
    return crop_excerpt(" ".join(part for part in (before, own, after) if part))


def _words(markup, leading=False):
    """A piece of markup as plain words: tags as spaces (a tag cut at the
    piece's start dropped), references decoded, then `plain`."""
    from html import unescape
    if leading and markup.find(">") >= 0 and (markup.find("<") < 0 or markup.find(">") < markup.find("<")):
        markup = markup[markup.find(">") + 1:]
    return plain(unescape(_TAG.sub(" ", markup)), 4 * WINDOW)


def _without_comments(text):
    """The text without its HTML comments (one left open runs to the end, as
    browsers read it)."""
    return _COMMENT.sub(" ", text)


# -- microformats ---------------------------------------------------------------

def _simple_enough(page_html):
    """Whether mf2py may read the page in bounded time: it has an h-entry, at
    most MICROFORMATS_MAX_BYTES, MICROFORMATS_MAX_TAGS elements, and
    elements nested at most MICROFORMATS_MAX_DEPTH deep (html5lib's tree
    building takes time that grows with the square of the depth: 5,000
    unclosed `<b>` cost 23 s), as counted by start and end tags (those
    whose end tag may be left out, and void ones, not counted)."""
    if "h-entry" not in page_html or len(page_html) > MICROFORMATS_MAX_BYTES \
            or page_html.count("<") > 2 * MICROFORMATS_MAX_TAGS:
        return False
    depth = 0
    for closing, name in _START_OR_END.findall(_without_raw_text(_without_comments(page_html))):
        name = name.lower()
        if name in _NOT_NESTING:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        if depth > MICROFORMATS_MAX_DEPTH:
            return False
    return True


def _h_entry(page_html, page_url, wanted):
    """The page's h-entry (mf2py's parse of it, a dict) that speaks of the
    target, else its first; None without mf2py or an h-entry."""
    try:
        import mf2py
    except ImportError:
        return None
    try:
        # html5lib (mf2py's own choice): html.parser is quadratic on unclosed tags.
        parsed = mf2py.parse(doc=page_html, url=page_url, html_parser="html5lib", metaformats=False)
    except Exception:       # whatever hostile markup makes a parser do, the page has no h-entry
        return None
    entries = []
    for item in parsed.get("items") or []:
        types = item.get("type") or []
        if "h-entry" in types:
            entries.append(item)
        elif "h-feed" in types:
            entries.extend(child for child in item.get("children") or [] if "h-entry" in (child.get("type") or []))
    for entry in entries:
        if _kind(entry, wanted) != "mention" or _content_links(entry, wanted):
            return entry
    return entries[0] if entries else None


def _read_entry(source, entry, wanted):
    properties = entry.get("properties") or {}
    source.kind = _kind(entry, wanted)
    content = _first(properties, "content")
    text = content.get("value", "") if isinstance(content, dict) else _text(content)
    summary = _text(_first(properties, "summary"))
    name = plain(_text(_first(properties, "name")), FIELD_LIMIT)
    # A note's implied name is its text: a title only when it says something else.
    if name and not collapse_space(text).startswith(name.rstrip(". \u2026")):
        source.title = name
    if summary or text:
        source.excerpt = crop_excerpt(plain(summary or text, 4 * FIELD_LIMIT))
    elif source.kind in ("like", "repost", "bookmark"):
        source.excerpt = ""         # a reaction says nothing: not the words around its link
    source.published = _stored_time(_text(_first(properties, "published") or _first(properties, "updated")))
    author = _first(properties, "author")
    if isinstance(author, dict):
        card = author.get("properties") or {}
        source.author_name = plain(_text(_first(card, "name")) or author.get("value", ""), FIELD_LIMIT)
        source.author_url = web_address(_text(_first(card, "url")))
        source.author_photo = web_address(_url(_first(card, "photo")))
    elif isinstance(author, str):
        if web_address(author):
            source.author_url = web_address(author)
        else:
            source.author_name = plain(author, FIELD_LIMIT)
    if source.author_url and source.author_name == source.author_url:
        source.author_name = ""


def _kind(entry, wanted):
    from mtpy.urls import address_spelling
    properties = entry.get("properties") or {}
    for name, kind in KIND_PROPERTIES:
        for value in properties.get(name) or []:
            if address_spelling(_url(value)) in wanted:
                return kind
    return "mention"


def _content_links(entry, wanted):
    """Whether the entry's content links to a target (mf2py has resolved its URLs)."""
    return any(isinstance(content, dict) and _first_link(content.get("html") or "", "", wanted)[0] is not None
               for content in (entry.get("properties") or {}).get("content") or [])


def _first(properties, name):
    values = properties.get(name) or [None]
    return values[0]


def _text(value):
    if isinstance(value, dict):
        return _text(value.get("value"))
    return value if isinstance(value, str) else ""


def _url(value):
    """A property's URL: the string, an h-cite's (or a photo's) `url` or `value`."""
    if isinstance(value, dict):
        urls = (value.get("properties") or {}).get("url")
        return _url(urls[0]) if urls else _text(value.get("value"))
    return value if isinstance(value, str) else ""


def _stored_time(text):
    """An ISO 8601 date and time (2026-12-07T10:00:00+01:00, a `Z`, a space, no
    zone: UTC) as a stored UTC time, or ""."""
    from datetime import datetime, timezone
    from mtpy.dates import STORED_FORMAT
    text = (text or "").strip()[:40]
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    if len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]          # +0100 as +01:00 (Python 3.9's fromisoformat)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime(STORED_FORMAT) if 1900 <= moment.year <= 9999 else ""
