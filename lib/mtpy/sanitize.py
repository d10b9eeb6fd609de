"""The HTML an author without the "unfiltered_html" permission may publish.

Entries, category labels and weblog names are printed raw on the weblog's
pages, and the weblog shares its origin with mt.cgi in every documented set-up:
a script there would act in mt.cgi as whoever reads the page. So only
administrators (and authors given "unfiltered_html") publish any HTML; everyone
else's passes `clean_html` on save (mtpy.actions), as WordPress does with
`unfiltered_html` and kses.

`clean_html` parses with the standard library's html.parser and writes the
result out again from the parsed tokens, never copying the input: tags and
attributes not in the allow-list are dropped (the text inside stays, escaped;
the content of script and style goes), every attribute value is quoted and
escaped, and a URL attribute keeps only http, https, mailto or a relative URL,
judged after decoding references and removing what browsers ignore in a
scheme (`jav&#x61;script:`, `java\\tscript:`, ` JavaScript:`). Comments,
`<![CDATA[`, `<!DOCTYPE` and processing instructions go.

A value without "<" holds no markup and is kept exactly (so `Tom & Jerry`
stays as typed); otherwise text comes out with `& < >` escaped, which is the
same text on a page. The result is a fixed point: cleaning it again changes
nothing, so saving an entry twice does not change it twice.
"""

import html
from html.parser import HTMLParser

_GLOBAL_ATTRIBUTES = frozenset(("title", "class", "lang", "dir"))
# tag -> its own attributes (besides the global ones)
ALLOWED = {
    "a": ("href", "rel", "hreflang"), "abbr": (), "acronym": (), "address": (), "b": (), "big": (),
    "blockquote": ("cite",), "br": (), "caption": (), "center": (), "cite": (), "code": (), "col": ("span",),
    "colgroup": ("span",), "dd": (), "del": ("cite", "datetime"), "dfn": (), "div": ("align",), "dl": (),
    "dt": (), "em": (), "figcaption": (), "figure": (), "font": ("color", "size"),
    "h1": ("align",), "h2": ("align",), "h3": ("align",), "h4": ("align",), "h5": ("align",), "h6": ("align",),
    "hr": (), "i": (), "img": ("src", "alt", "width", "height", "align", "border"),
    "ins": ("cite", "datetime"), "kbd": (), "li": ("value",), "ol": ("start", "type"),
    "p": ("align",), "pre": (), "q": ("cite",), "s": (), "samp": (), "small": (), "span": (), "strike": (),
    "strong": (), "sub": (), "sup": (), "table": ("summary", "width", "border", "cellpadding", "cellspacing"),
    "tbody": (), "td": ("colspan", "rowspan", "align", "valign"), "tfoot": (),
    "th": ("colspan", "rowspan", "align", "valign", "scope"), "thead": (), "tr": ("align", "valign"), "tt": (),
    "u": (), "ul": ("type",), "var": (),
}
DEFAULT_ALLOWED = {tag: frozenset(names) | _GLOBAL_ATTRIBUTES for tag, names in ALLOWED.items()}
# Elements written <x /> and never closed.
_VOID = frozenset(("br", "hr", "img", "col", "wbr", "area"))
# Elements whose content is code, not text: dropped with them.
_DROPPED_WITH_CONTENT = frozenset(("script", "style"))
_URL_ATTRIBUTES = frozenset(("href", "src", "cite", "action", "background", "longdesc"))
_LINK_SCHEMES = frozenset(("http", "https", "mailto"))
_IMAGE_SCHEMES = frozenset(("http", "https"))
# What browsers drop from a URL before reading its scheme: ASCII whitespace
# and C0 controls anywhere in the scheme, and anything up to a space at the start.
_IGNORED_IN_URL = dict.fromkeys(list(range(0, 33)) + [127])


def safe_url(url, schemes=_LINK_SCHEMES):
    """`url` (already decoded) when it is relative or of one of `schemes`; None otherwise."""
    squeezed = url.translate(_IGNORED_IN_URL).lower()
    scheme, colon, _ = squeezed.partition(":")
    if not colon or any(mark in scheme for mark in "/?#\\"):
        return url                      # relative: no scheme before the path
    return url if scheme in schemes else None


class _Cleaner(HTMLParser):

    def __init__(self, allowed):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.allowed = allowed
        self.out = []
        self.dropping = None            # the script/style element being skipped
        self.open = []                  # allowed elements opened and not closed yet

    def handle_starttag(self, tag, attrs):
        if self.dropping:
            return
        if tag in _DROPPED_WITH_CONTENT:
            self.dropping = tag
            return
        if tag not in self.allowed:
            return
        self.out.append("<%s%s%s>" % (tag, self._attributes(tag, attrs), " /" if tag in _VOID else ""))
        if tag not in _VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and not self.dropping:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.dropping:
            if tag == self.dropping:
                self.dropping = None
            return
        if tag in self.open:            # a stray end tag goes; skipped ones are closed too
            while self.open:
                opened = self.open.pop()
                self.out.append("</%s>" % opened)
                if opened == tag:
                    break

    def handle_data(self, data):
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))

    def _attributes(self, tag, attrs):
        names = self.allowed[tag]
        kept, seen = [], set()
        for name, value in attrs:
            if name not in names or name in seen:   # a browser reads the first of two
                continue
            seen.add(name)
            value = value or ""
            if name in _URL_ATTRIBUTES:
                value = safe_url(value, _IMAGE_SCHEMES if tag == "img" and name == "src" else _LINK_SCHEMES)
                if value is None:
                    continue
            kept.append(' %s="%s"' % (name, html.escape(value, quote=True)))
        return "".join(kept)

    # Comments, declarations (<!DOCTYPE, <![CDATA[) and processing instructions go.
    def handle_comment(self, data):
        pass

    def handle_decl(self, decl):
        pass

    def unknown_decl(self, data):
        pass

    def handle_pi(self, data):
        pass

    def cleaned(self, text):
        self.feed(text)
        self.close()
        while self.open:
            self.out.append("</%s>" % self.open.pop())
        return "".join(self.out)


def clean_html(text, allowed=None):
    """`text` with only the allowed tags and attributes (`allowed`: {tag:
    attribute names}; DEFAULT_ALLOWED when None), safe to print raw in a page."""
    text = text or ""
    if "<" not in text:
        return text
    return _Cleaner(DEFAULT_ALLOWED if allowed is None else allowed).cleaned(text)
