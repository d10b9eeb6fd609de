"""The auto-discovery RDF block of a published entry (reference §7), in Movable
Type's layout, and the client side: finding a ping URL in a fetched page."""

import re

RDF_TEMPLATE = """\
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns:trackback="http://madskills.com/public/xml/rss/module/trackback/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
<rdf:Description
    rdf:about="%(about)s"
    trackback:ping="%(ping)s"
    dc:title="%(title)s"
    dc:identifier="%(identifier)s"
    dc:subject="%(subject)s"
    dc:description="%(description)s"
    dc:creator="%(creator)s"
    dc:date="%(date)s" />
</rdf:RDF>"""


def escape_attribute(text):
    """XML attribute escaping as MT wrote it (`&apos;` included)."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))


def rdf_block(about, ping, title, identifier, subject, description, creator, date, comment_wrap=True):
    """The block; wrapped in an HTML comment unless comment_wrap is False (a
    comment cannot hold `--`, so runs of dashes are squeezed then)."""
    values = {name: escape_attribute(value) for name, value in (
        ("about", about), ("ping", ping), ("title", title), ("identifier", identifier),
        ("subject", subject), ("description", description), ("creator", creator), ("date", date))}
    block = RDF_TEMPLATE % values
    if not comment_wrap:
        return block
    return "<!--\n%s\n-->" % re.sub(r"-{2,}", "-", block)


_RDF = re.compile(r"<rdf:RDF\b.*?</rdf:RDF>", re.S)
_DESCRIPTION = re.compile(r"<rdf:Description\b(.*?)/?>", re.S)
_ATTRIBUTE = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"')


def discover_ping_urls(page, page_url):
    """(identifier, title, ping url) of each RDF block in the page that describes
    `page_url` (with or without its #fragment), the way TrackBack clients look."""
    import html
    wanted = {page_url, page_url.split("#", 1)[0]}
    found = []
    for block in _RDF.findall(page):
        for description in _DESCRIPTION.findall(block):
            attributes = {name: html.unescape(value) for name, value in _ATTRIBUTE.findall(description)}
            identifier = attributes.get("dc:identifier", "")
            ping = attributes.get("trackback:ping") or attributes.get("rdf:about", "")
            if ping and (identifier in wanted or identifier.split("#", 1)[0] in wanted):
                found.append((identifier, attributes.get("dc:title", ""), ping))
    return found
