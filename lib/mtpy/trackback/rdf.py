"""The auto-discovery RDF block of a published entry, in Movable Type's layout:
senders find the entry by `dc:identifier` (its permalink) and ping `trackback:ping`."""

from mtpy.text import squeeze_dashes

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
    return "<!--\n%s\n-->" % squeeze_dashes(block)
