"""The published weblog on a phone (issue 23, §5): the default templates and the
TrackBack listing popup read at 360 px without zooming or scrolling sideways,
and keep Movable Type 2.x's two columns at desktop width; what the pages say
about a category's TrackBack URL (§3): a passphrase-protected category shows
no URL that every ping to it would be refused at, and the popup names a
category as a category; a category's ID.xml feed links to its archive page."""

import os
import re
import struct
import xml.etree.ElementTree as ET
import zlib

import pytest

from support.publishing import rebuild
from support.servers import start_lighttpd, stop

LONG_URL = "https://example.org/" + "a-very-long-path-segment-without-any-break" * 4 + "?q=" + "x" * 80
PRE_LINE = "mtpy rebuild --blog 1 " + "--a-long-option=value " * 12


def wide_png(width=900, height=120):
    """A PNG wider than a phone's screen (blue), standing for an author's photo in an entry."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\0" + b"\x33\x66\x99" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def phone_weblog(site):
    """The site's weblog with what makes a page wider than a phone: an entry
    with a wide picture, a line of <pre>, a long URL in its text and in a
    ping; a category that takes pings and one protected by a passphrase.
    Published; returns the long entry."""
    with open(os.path.join(site.archives, "wide.png"), "wb") as handle:
        handle.write(wide_png())
    public, public_item = site.add_category(label="Perl", description="All about Perl", allow_pings=True)
    secret, _ = site.add_category(label="Friends only", allow_pings=True, passphrase="s3cret-words")
    body = ('<p>A picture of the garden:</p>\n<p><img src="%swide.png" alt="The garden" /></p>\n'
            '<p>The command, as typed:</p>\n<pre>%s</pre>\n<p>Read it at %s before it moves.</p>'
            % (site.base, PRE_LINE, LONG_URL))
    entry, item = site.add_entry(title="A long entry with a picture", body=body,
                                 category_ids=[public.id, secret.id], created_on="2026-11-24 12:00:00")
    from mtpy.models import Ping
    store = site.store()
    store.insert(Ping(blog_id=site.blog.id, tb_id=item.id, title="Re: the garden", source_url=LONG_URL,
                      excerpt="A reply from a weblog whose address never ends: " + LONG_URL,
                      blog_name="A weblog with a rather long name indeed", ip="10.0.0.1",
                      created_on="2026-11-24 13:00:00"))
    store.insert(Ping(blog_id=site.blog.id, tb_id=public_item.id, title="Perl news", source_url="http://p.example/",
                      blog_name="Perl Weekly", ip="10.0.0.2", created_on="2026-11-24 14:00:00"))
    store.close()
    rebuild(site)
    return entry, public, secret
