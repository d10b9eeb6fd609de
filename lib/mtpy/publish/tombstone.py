"""The page a deleted entry leaves behind: a tombstone saying 410 Gone where
its archive page was, so that the pages it linked to, told of the deletion by
Webmention (mtpy.actions.sending.send_deletions), find it gone when they look.

A static file cannot set its own status: the page says it in
`<meta http-equiv="Status" content="410 Gone">`, which Webmention receivers
such as webmention.rocks accept, and an empty marker beside it
(`000123.html.gone`) lets a server configuration answer 410 Gone for it
(docs/apache.conf, docs/nginx.conf). The publisher removes the marker when it
writes a page there again (an entry restored from a backup)."""

import os

from mtpy.fileutil import write_atomic
from mtpy.text import escape_html
from mtpy.urls import entry_basename

GONE_SUFFIX = ".gone"     # the marker beside a tombstone, for the servers
TOMBSTONE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Status" content="410 Gone">
<meta name="robots" content="noindex">
<title>Gone</title></head>
<body><h1>Gone</h1><p>This entry of %s has been deleted.</p></body></html>
"""


def entry_page_path(blog, entry):
    """Where the entry's archive page is published (as the publisher writes it)."""
    return os.path.join(blog.archive_path or blog.site_path, entry_basename(entry) + ".html")


def write_tombstone(blog, entry):
    """Put a tombstone where the deleted entry's page is; False when the entry
    had no page there (never published), so nothing is written."""
    if not (blog.archive_path or blog.site_path):
        return False
    path = entry_page_path(blog, entry)
    if not os.path.exists(path):
        return False
    write_atomic(path, TOMBSTONE % escape_html(blog.name))
    write_atomic(path + GONE_SUFFIX, "", durable=False)
    return True


def clear_tombstone(path):
    """A page written at `path`: it is no tombstone (any more)."""
    try:
        os.unlink(path + GONE_SUFFIX)
    except FileNotFoundError:
        pass
