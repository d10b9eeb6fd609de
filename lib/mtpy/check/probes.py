"""What mt-check.cgi and `mtpy check` look at, one probe each: the modules
(installed, version), the weblog templates, the folders the scripts write
into, what the web server hands out, the filesystem under the data folder.

Like the whole of mtpy.check, it imports the standard library and mtpy only
(never jinja2, requests, filelock or psycopg): its purpose is to say what is
missing.
"""

import ipaddress
import os
import posixpath
import re
import shutil
import sys
from urllib.parse import quote

from mtpy.publish.templates import DEFAULT_SET, TemplateSetError, require_defaults
from mtpy.fileutil import writable_error

# http.client, ssl and importlib.metadata are imported where they are used: mt.cgi
# loads this package with every request (its system_check screen), and they cost
# more than mt.cgi's own imports (python -X importtime: http.client with ssl
# ~20 ms, importlib.metadata ~44 ms, mtpy.apps.cms ~25 ms).


# (import name, package name, why it matters)
REQUIRED = [
    ("jinja2", "Jinja2", "mtpy renders its templates with it: the TrackBack listing popup "
                         "(mt-tb.cgi?__mode=view) and the published weblog pages.",
     # The sandbox fixes that templates written in mt.cgi rely on (setup.cfg).
     (3, 1, 6)),
]
DATA_STORAGE = [  # at least one is needed
    ("sqlite3", None, "The default storage (ObjectDriver sqlite) keeps everything in one SQLite file."),
    ("filelock", "filelock", "Flat-file storage (ObjectDriver flat) locks its files with it."),
    ("psycopg", "psycopg[binary]", "PostgreSQL storage (ObjectDriver postgres): one database that "
                                   "several web hosts share."),
]
OPTIONAL = [
    ("requests", "requests", "Needed to send TrackBack pings, for auto-discovery of ping URLs "
                             "and for the TrackBack bookmarklet."),
    ("mf2py", "mf2py", "Reads who wrote a Pingback's or Webmention's source page, and whether it is a reply, "
                       "like, repost or bookmark (its h-entry); without it such pings show the page's title "
                       "and the words around its link."),
]


class ModuleCheck:
    """One module: installed (its version) or not (why). `needed_with`: when
    the module matters only for one ObjectDriver, that driver (set by the
    report); `optional`: a module mtpy runs without (the report says which)."""

    def __init__(self, name, package, why, minimum=None):
        self.name, self.package, self.why, self.minimum = name, package, why, minimum
        self.version = None
        self.error = None
        self.optional = False
        self.needed_with = None
        try:
            module = __import__(name)
        except Exception as error:  # a broken install is as missing as an absent one
            self.error = "%s: %s" % (type(error).__name__, error)
            return
        self.version = _version(name, package, module)
        if minimum and _release(self.version) < minimum:    # as good as missing
            self.error = "version %s is older than %s, the oldest mtpy uses" % (self.version, self.minimum_text)

    @property
    def installed(self):
        return self.error is None

    @property
    def minimum_text(self):
        return ".".join(str(part) for part in self.minimum)

    def install_commands(self, extlib, python=None):
        python = python or python_executable() or "python3"
        package = self.package + (">=" + self.minimum_text if self.minimum else "")
        package = "'%s'" % package if "[" in package or ">" in package else package   # not a shell glob
        return ["%s -m pip install --user %s" % (python, package),
                "%s -m pip install --target %s %s" % (python, extlib, package)]


def python_executable(script=None):
    """The path of the Python running this, or "" when nothing says. Under CGI
    sys.executable can be empty (the web server gives no PATH for Python to
    find itself by): then the interpreter the script's #! line names (a
    virtualenv's, as installed), the base interpreter, or the python3 on the PATH."""
    if sys.executable:
        return sys.executable
    named = _shebang_python(script if script is not None else (sys.argv[0] if sys.argv else ""))
    return (named or getattr(sys, "_base_executable", "") or shutil.which("python3") or shutil.which("python")
            or "")


def _shebang_python(script):
    """The interpreter a script's #! line runs ("/usr/bin/env python3": the
    python3 on the PATH), when it exists; "" otherwise."""
    try:
        with open(script, "rb") as handle:
            first = handle.readline(1024).decode("utf-8", "replace")
    except (OSError, TypeError, ValueError):
        return ""
    words = first[2:].split() if first.startswith("#!") else []
    if not words:
        return ""
    if os.path.basename(words[0]) == "env":
        named = [word for word in words[1:] if not word.startswith("-")]
        return (shutil.which(named[0]) or "") if named else ""
    return words[0] if os.path.isfile(words[0]) and os.access(words[0], os.X_OK) else ""


def _version(name, package, module):
    if name == "sqlite3":
        return "SQLite library %s" % module.sqlite_version
    version = getattr(module, "__version__", None)
    if version:
        return str(version)
    try:
        from importlib.metadata import version as installed_version    # see the note at the top
        return installed_version(package)
    except Exception:
        return "unknown version"


def _release(version):
    """(3, 1, 6) from "3.1.6" (or "3.1.6rc1"); () when it says no number."""
    parts = []
    for part in version.split("."):
        digits = ""
        for character in part:
            if not character.isdigit():
                break
            digits += character
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


class TemplatesCheck:
    """Whether a new weblog has templates to publish with, and where they come from."""

    def __init__(self, config):
        self.total = len(DEFAULT_SET)
        self.by_folder = []    # (folder, how many of the defaults come from it)
        self.error = None
        try:
            found, folders = require_defaults(config)   # the commands' own message
        except TemplateSetError as error:
            self.error = str(error)
            return
        for folder in folders:
            count = sum(1 for path in found.values() if os.path.dirname(path) == folder)
            self.by_folder.append((folder, count))

    @property
    def installed(self):
        return self.error is None

    @property
    def found(self):
        return sum(count for _, count in self.by_folder)

    def summary(self, where=lambda path: path):
        installation, shipped = self.by_folder
        return ("%d of %d default templates found: %d shipped with mtpy (%s), %d from this "
                "installation's own folder (%s)." % (self.found, self.total, shipped[1], where(shipped[0]),
                                                     installation[1], where(installation[0])))


# Filesystems on which SQLite's locks are unreliable (SQLite's FAQ): a store there
# can be corrupted by two writers at once.
UNRELIABLE_LOCKING = ("nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "fuse.sshfs")
FETCH_TIMEOUT = 3                   # seconds: the web server is this very host


class Finding:
    """One thing that stops mtpy (`blocks`), or that it should be told (a warning)."""

    def __init__(self, what, fix, blocks=True):
        self.what, self.fix, self.blocks = what, fix, blocks

    def __repr__(self):
        return "Finding(%r, blocks=%r)" % (self.what, self.blocks)


class FolderCheck:
    """A folder the scripts write into: `problem` is None when they can (or, for
    one not made yet, can create it), else a Finding naming the fix."""

    def __init__(self, role, path, name, fix, user, store_file=None):
        self.role, self.path, self.name = role, path, name
        self.exists = os.path.isdir(path)
        self.problem = None
        self.state = None
        if os.path.exists(path) and not self.exists:
            self.problem = Finding("The %s %s is a file, not a folder." % (role, name), fix)
            return
        if not self.exists:
            parent = _nearest_existing(path)
            error = writable_error(parent)
            if error is None:
                self.state = "not created yet: mtpy creates it on first use"
            else:
                self.problem = Finding("The %s %s does not exist, and %s cannot create it (%s)."
                                       % (role, name, user, error), "create it and " + fix)
            return
        error = writable_error(path)
        if error is not None:
            self.problem = Finding("The %s %s is not writable by %s (%s)." % (role, name, user, error), fix)
            return
        if store_file and os.path.exists(os.path.join(path, store_file)):
            try:
                open(os.path.join(path, store_file), "r+b").close()   # opened for writing, nothing written
            except OSError as error:
                self.problem = Finding("The store %s in the %s is not writable by %s (%s)."
                                       % (store_file, role, user, error.strerror),
                                       "chmod 666 %s over FTP, or ask your host to make it writable by %s"
                                       % (store_file, user))
                return
        self.state = "writable"

    @property
    def ok(self):
        return self.problem is None


def _nearest_existing(path):
    path = os.path.abspath(path)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


class DownloadCheck:
    """Whether the web server hands out a file of the installation: `exposed`
    when it answers 200 with the file's first bytes; `status` what it answered
    (None: not asked, `error` says why)."""

    def __init__(self, what, path, url, compare_bytes, fix):
        self.what, self.path, self.url, self.fix = what, path, url, fix
        self.status = None
        self.error = None
        self.exposed = False
        try:
            with open(path, "rb") as handle:
                expected = handle.read(compare_bytes)
        except OSError:
            self.error = "not written yet"
            return
        if not expected:
            self.error = "empty"
            return
        self.expected = expected

    def run(self, environ):
        if self.error:
            return self
        try:
            self.status, body = fetch(environ, self.url, len(self.expected))
        except Exception as error:   # refused, timed out, a TLS failure: say so, never a traceback
            self.error = "could not ask the web server (%s)" % (type(error).__name__,)
            return self
        self.exposed = self.status == 200 and body == self.expected
        return self

    @property
    def checked(self):
        return self.status is not None


def fetch(environ, url_path, limit):
    """GET `url_path` from the web server that ran this request: (status, up to
    `limit` bytes of its body). It connects to the server's own address
    (SERVER_ADDR:SERVER_PORT), never to the client's Host header, which it only
    passes on so that the right virtual host answers; it follows no redirect."""
    import http.client     # see the note at the top
    https = environ.get("HTTPS", "").lower() in ("on", "1")
    address = environ.get("SERVER_ADDR") or "127.0.0.1"
    try:
        ipaddress.ip_address(address)
    except ValueError:
        address = "127.0.0.1"
    try:
        port = int(environ.get("SERVER_PORT") or (443 if https else 80))
        if not 0 < port < 65536:
            raise ValueError(port)
    except ValueError:
        port = 443 if https else 80
    if https:
        import ssl
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE     # it is this same server: its name is what is checked
        connection = http.client.HTTPSConnection(address, port, timeout=FETCH_TIMEOUT, context=context)
    else:
        connection = http.client.HTTPConnection(address, port, timeout=FETCH_TIMEOUT)
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or address
    try:
        connection.request("GET", url_path, headers={"Host": host, "User-Agent": "mtpy mt-check.cgi"})
        response = connection.getresponse()
        return response.status, response.read(limit)
    finally:
        connection.close()


def layout_urls(script_name, script_dir, install_root, config_path, data_folder):
    """The URLs at which this layout would serve the config and the data folder:
    {"config": URL or None, "data": URL of the folder (ending in /) or None}.
    Only where the layout gives one: the config beside the scripts, the data
    folder inside the installation's folder."""
    urls = {"config": None, "data": None}
    if not script_name or not script_name.startswith("/"):
        return urls
    scripts_url = posixpath.dirname(script_name)
    if script_dir and os.path.dirname(os.path.realpath(config_path)) == os.path.realpath(script_dir):
        urls["config"] = scripts_url.rstrip("/") + "/" + quote(os.path.basename(config_path))
    relative = relative_inside(data_folder, install_root)
    if relative and relative != ".":
        root_url = posixpath.dirname(scripts_url.rstrip("/")) or "/"
        urls["data"] = root_url.rstrip("/") + "/" + quote(relative.replace(os.sep, "/")) + "/"
    return urls


def relative_inside(path, root):
    """`path` relative to `root` when it is inside it, else None."""
    if not path or not root:
        return None
    path, root = os.path.realpath(path), os.path.realpath(root)
    if path != root and not path.startswith(root.rstrip(os.sep) + os.sep):
        return None
    return os.path.relpath(path, root)


def parse_mounts(text):
    """[(mount point, filesystem type)] from /proc/self/mountinfo's lines (or
    /proc/mounts')."""
    found = []
    for line in text.splitlines():
        before, separator, after = line.partition(" - ")
        if separator:    # mountinfo: ID parent major:minor root mount-point options ... - type source ...
            fields, rest = before.split(), after.split()
            if len(fields) >= 5 and rest:
                found.append((_unescape_mount(fields[4]), rest[0]))
            continue
        fields = line.split()   # /proc/mounts: source mount-point type options 0 0
        if len(fields) >= 3:
            found.append((_unescape_mount(fields[1]), fields[2]))
    return found


def _unescape_mount(text):
    return re.sub(r"\\([0-7]{3})", lambda octal: chr(int(octal.group(1), 8)), text)


def filesystem_type(path, mounts_text=None):
    """The filesystem type of the mount holding `path` (or the nearest folder
    above it that exists); None when the mount table cannot be read."""
    if mounts_text is None:
        for table in ("/proc/self/mountinfo", "/proc/mounts"):
            try:
                with open(table, encoding="utf-8", errors="replace") as handle:
                    mounts_text = handle.read()
                break
            except OSError:
                continue
        else:
            return None
    existing = _nearest_existing(path)
    target = os.path.normpath(os.path.join(os.path.realpath(existing),
                                            os.path.relpath(os.path.abspath(path), existing)))
    best, best_type = None, None
    for point, kind in parse_mounts(mounts_text):
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and (best is None or len(point) >= len(best)):   # the last mount over a point wins
            best, best_type = point, kind
    return best_type
