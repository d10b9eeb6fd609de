"""Static files, for `mtpy serve` and `mtpy serve --wsgi` (mtpy.hosting.site): the
mounted folders (URL prefix -> folder), the one deny rule, and the
Content-Type of a file."""

import mimetypes
import os


# Our own MIME table: the stdlib defaults plus feed types, without the
# system's /etc/mime.types, which on some hosts maps .xml to application/xml.
_MIME = mimetypes.MimeTypes()
for _extension, _type in {
    ".xml": "text/xml",
    ".rdf": "application/rdf+xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
}.items():
    _MIME.add_type(_type, _extension)


def guess_type(path):
    """Content-Type for a static file. No charset is added: published pages
    declare their own (PublishCharset need not be UTF-8), and a header charset
    would override what the document says."""
    content_type, encoding = _MIME.guess_type(path)
    if encoding:
        # feed.xml.gz is gzip bytes; calling it text/xml without a matching
        # Content-Encoding would show garbage, so hand it over as a download.
        return "application/octet-stream"
    return content_type or "application/octet-stream"


_HOST_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]"


def linkback_headers(target, host):
    """The headers a weblog's page is served with, as the shipped server
    configurations add them (docs/lighttpd.conf, nginx.conf, apache.conf):
    where its Pingback server and Webmention endpoint are. Senders look there
    first (WordPress makes a HEAD request and reads X-Pingback, which must be
    an absolute URL). `host`: the request's Host; none (or one that is not a
    host name, an address and a port), no headers."""
    if not host or not target.lower().endswith((".html", ".htm")) or host.strip(_HOST_CHARACTERS):
        return []
    scripts = "http://%s/cgi-bin/" % host
    return [("X-Pingback", scripts + "mt-pingback.cgi"),
            ("Link", '<%smt-webmention.cgi>; rel="webmention"' % scripts)]


# The one rule for files that are never served, wherever they are: configs,
# databases, logs, editor backups (`index.html~`), half-written files, and (in
# find_static_file) dot files. docs/lighttpd.conf's `url.access-deny` lists the
# same endings (tests/test_receiver_hardening.py holds them equal); `mtpy serve` and
# `mtpy serve --wsgi` apply it here.
DENIED_ENDINGS = (".cfg", ".db", ".log", "~", ".tmp")


def is_denied(name):
    """True for a file name the deny rule refuses (any case: `COPY.DB` too)."""
    return name.startswith(".") or name.lower().endswith(DENIED_ENDINGS)


def find_static_file(mounts, path):
    """Where a URL path leads in the mounted folders: ("file", path),
    ("redirect", None) when it names a folder without its trailing slash, or
    ("missing", None). Never outside a mount, never a dot file, never a file the
    deny rule refuses (DENIED_ENDINGS)."""
    for prefix, folder in mounts:
        if path.startswith(prefix):
            break
        if path + "/" == prefix:
            return "redirect", None
    else:
        return "missing", None
    parts = [part for part in path[len(prefix):].split("/") if part]
    # Dot segments are traversal ("..") or private (.htaccess, .git, the
    # half-written .*.tmp files of fileutil.write_atomic).
    if any(part.startswith(".") or "\\" in part for part in parts) or (parts and is_denied(parts[-1])):
        return "missing", None
    target = os.path.join(folder, *parts)
    if not _inside(target, folder):
        return "missing", None
    if os.path.isdir(target):
        if not path.endswith("/"):
            return "redirect", None   # relative links in the index page need the slash
        target = os.path.join(target, "index.html")
        if not _inside(target, folder):
            return "missing", None
    return ("file", target) if os.path.isfile(target) else ("missing", None)


def _inside(path, folder):
    """True if `path`, with symlinks resolved, is `folder` or below it: a
    symlink inside a mount must not lead out of it."""
    real = os.path.realpath(path)
    try:
        return os.path.commonpath([real, folder]) == folder
    except ValueError:
        return False  # different drives on Windows


def normalize_mounts(mounts):
    normalized = []
    for prefix, folder in mounts:
        stripped = prefix.strip("/")
        prefix = "/" + stripped + "/" if stripped else "/"
        normalized.append((prefix, os.path.realpath(os.fspath(folder))))
    # Longest prefix first, so "/blog/feeds/" wins over "/blog/" and "/".
    normalized.sort(key=lambda mount: len(mount[0]), reverse=True)
    return normalized
