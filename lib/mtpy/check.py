"""What mt-check.cgi and `mtpy check` report (reference §12): system information,
then the REQUIRED, DATA STORAGE and OPTIONAL modules, each installed (with its
version) or missing (with why it matters and how to install it); then whether the
installation can run here: its config, the folders it writes, what the web server
hands out, SQLite's locking, who owns what; and a verdict: ready, or what to fix,
in order.

Standard library only: its purpose is to say what is missing. mt-check.cgi's page
is public while SystemCheck is 1: it shows no config value, and paths relative to
the installation's folder where it can (`mtpy check`, run by the owner, shows them
whole).
"""

import os
import sys

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
]
TEMPLATES_INTRO = "A new weblog is published with these; without them it would publish nothing."
FEEDS_INTRO = ("Each TrackBack item's feed (ID.xml in the archive folder) is rewritten after every ping; "
               "one that could not be written is listed here and written again, once its folder is "
               "writable, by the next ping or by mtpy rebuild.")
FEEDS_OK = "Every feed was written."
READY = ("Your server has all of the required modules installed; "
         "you do not need to install any additional modules to run mtpy.")


class ModuleCheck:
    def __init__(self, name, package, why, minimum=None):
        self.name, self.package, self.why, self.minimum = name, package, why, minimum
        self.version = None
        self.error = None
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
        python = python or sys.executable or "python3"
        package = self.package + (">=" + self.minimum_text if self.minimum else "")
        package = "'%s'" % package if "[" in package or ">" in package else package   # not a shell glob
        return ["%s -m pip install --user %s" % (python, package),
                "%s -m pip install --target %s %s" % (python, extlib, package)]


def _version(name, package, module):
    if name == "sqlite3":
        return "SQLite library %s" % module.sqlite_version
    version = getattr(module, "__version__", None)
    if version:
        return str(version)
    try:
        from importlib.metadata import version as installed_version
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
        from mtpy.publish.templates import DEFAULT_SET, TemplateSetError, require_defaults
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


MIN_PYTHON = (3, 9)
# Filesystems on which SQLite's locks are unreliable (SQLite's FAQ): a store there
# can be corrupted by two writers at once.
UNRELIABLE_LOCKING = ("nfs", "nfs4", "cifs", "smb", "smb3", "smbfs", "fuse.sshfs")
FETCH_TIMEOUT = 3                   # seconds: the web server is this very host
DRIVER_MODULES = {"sqlite": "sqlite3", "flat": "filelock", "postgres": "psycopg"}
STORE_FILES = {"sqlite": "mtpy.db", "flat": "mtpy-store.txt"}
CHMOD_777 = "chmod 777 it over FTP (SITE CHMOD 777), or ask your host to make it writable by %s"
LOCKING_INTRO = "SQLite, the default storage, locks its file; on network filesystems those locks are unreliable."
OWNERS_INTRO = ("Who owns the files mtpy creates, and the modes they get with DBUmask, HTMLUmask and "
                "DirUmask auto (the default).")
DOWNLOADS_INTRO = ("Asked through this web server, at the addresses this installation's layout gives them, "
                   "these must answer 403 or 404: anyone could read them otherwise.")


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


def writable_error(folder):
    """None when a file can be created and removed in `folder`, else why not.
    A real file, not os.access: ACLs, read-only mounts and quotas say otherwise."""
    probe = os.path.join(folder, ".mtpy-check-%d.tmp" % os.getpid())
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        return error.strerror or str(error)
    try:
        os.unlink(probe)
    except OSError as error:
        return "a file could be created but not removed: %s" % (error.strerror or error)
    return None


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
    import http.client
    import ipaddress
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
    import posixpath
    from urllib.parse import quote
    urls = {"config": None, "data": None}
    if not script_name or not script_name.startswith("/"):
        return urls
    scripts_url = posixpath.dirname(script_name)
    if script_dir and os.path.dirname(os.path.realpath(config_path)) == os.path.realpath(script_dir):
        urls["config"] = scripts_url.rstrip("/") + "/" + quote(os.path.basename(config_path))
    relative = _relative_inside(data_folder, install_root)
    if relative and relative != ".":
        root_url = posixpath.dirname(scripts_url.rstrip("/")) or "/"
        urls["data"] = root_url.rstrip("/") + "/" + quote(relative.replace(os.sep, "/")) + "/"
    return urls


def _relative_inside(path, root):
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
    import re
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


class Report:
    """Everything mt-check.cgi and `mtpy check` say.

    `config_path`: the mt.cfg the scripts read (it may not be written yet).
    `environ`: the request's, when mt-check.cgi runs: the page is then public
    (no config value, paths relative to the installation) and the web server is
    asked for the config and the data folder. Once mt.cgi's set-up is done and
    mt.cgi can run, a public page (unless `administrator`: mt.cgi's own check)
    is a `stranger`'s: no absolute path, operating system or user name, nothing
    that maps the server. `mounts_text`: the mount table to read instead of /proc's (tests)."""

    def __init__(self, install_root=None, config_path=None, environ=None, mounts_text=None, administrator=False):
        self.install_root = install_root
        self.environ = environ
        self.public = environ is not None
        self.config_path = os.path.abspath(config_path or os.path.join(
            install_root or os.getcwd(), "cgi-bin", "mt.cfg"))
        self.config_found = os.path.exists(self.config_path)
        self.config, error = _read_config(self.config_path)
        self.config_error = error and (self.public_text(_without_value(error)) if self.public else error)
        self.config_warnings = [self.public_text(warning) for warning in self.config.warnings]
        self.config_state = self._config_state()
        self.python_ok = sys.version_info[:2] >= MIN_PYTHON
        self.required = [ModuleCheck(*spec) for spec in REQUIRED]
        self.storage = [ModuleCheck(*spec) for spec in DATA_STORAGE]
        self.optional = [ModuleCheck(*spec) for spec in OPTIONAL]
        self.templates = TemplatesCheck(self.config)
        from mtpy.trackback.feeds import unwritten
        self.unwritten_feeds = unwritten(self.config)    # [(item id, path, time, error)]
        # While a required module is missing mt.cgi cannot show its own check:
        # the page stays whole for whoever has to fix it.
        self.administrator = administrator
        self.stranger = (self.public and not administrator and not error and not self.missing_required()
                         and _is_set_up(self.config))
        self.user = WEB_USER if self.stranger else _user_name()
        self.owner_model, self.owner_text = self._owners()
        if self.public and self.owner_model == "owner":
            self.user = "the scripts' owner"   # under suexec, the account's login: not for the public page
        self.data_folder = self.config.get("DataSource")
        self.driver = self.config.get("ObjectDriver")
        self.store_error = None    # why the store does not open, and what to do
        self.store_fix = "check ObjectDriver, DataSource and the database settings in mt.cfg"
        self.folders = []          # FolderCheck: the data folder, then each weblog's archive folder
        self.set_up = False        # whether a store with a weblog opened: mt.cgi's set-up is done
        self.downloads = []        # DownloadCheck: the config, the store (mt-check.cgi only)
        self.filesystem = None
        if self.config_error is None:     # an unusable config's folders would be guesses
            self._check_folders()
            self.filesystem = filesystem_type(self.data_folder, mounts_text)
            if environ is not None:
                self.downloads = [check.run(environ) for check in self._download_checks()]

    # -- what the page may show ------------------------------------------------

    def where(self, path, outside="outside the installation's folder"):
        """A path as the report shows it: whole for `mtpy check`; on the public
        page relative to the installation's folder, or only `outside`."""
        if not self.public:
            return path
        relative = _relative_inside(path, self.install_root)
        if relative is None:
            return "(%s)" % outside
        return relative.replace(os.sep, "/")

    def where_folder(self, path, outside="outside the installation's folder"):
        name = self.where(path, outside)
        return name if name.startswith("(") or name.endswith("/") else name + "/"

    def public_text(self, text):
        """A message naming the config, as the report may show it."""
        return self.scrub(text.replace(self.config_path, self.where(self.config_path, "mt.cfg")))

    def scrub(self, text):
        """A message with the installation's absolute paths made relative for the
        public page."""
        if not self.public or not self.install_root:
            return text
        for root in sorted({os.path.realpath(self.install_root), os.path.abspath(self.install_root)},
                           key=len, reverse=True):
            text = text.replace(root.rstrip(os.sep) + os.sep, "")
        return text

    def _config_state(self):
        name = self.where(self.config_path, "named by MT_CONFIG, outside the installation's folder")
        if not self.config_found:
            return "%s (not written yet: defaults)" % name
        if self.config_error:
            return "%s (NOT USABLE: %s)" % (name, self.config_error)
        return "%s (valid)" % name

    def _owners(self):
        """("owner" or "web server", what that means for the modes of what mtpy
        creates): the rule of DBUmask, HTMLUmask and DirUmask auto, whether this
        process's user owns the installation's cgi-bin/."""
        from mtpy import fileutil
        script = (self.environ or os.environ).get("SCRIPT_FILENAME") if self.public else None
        folder = (os.path.dirname(os.path.realpath(script)) if script else
                  os.path.join(self.install_root, "cgi-bin") if self.install_root else self.config.folder)
        try:
            owner_uid = os.stat(folder).st_uid
        except (OSError, AttributeError):
            return None, "Unknown: the owner of cgi-bin/ cannot be read."
        fileutil.use_config(self.config)     # the rule mtpy follows when it creates files
        set_here = [name for name in ("DBUmask", "HTMLUmask", "DirUmask") if self.config.is_set(name)]
        note = (" %s set in mt.cfg: %s instead of auto." % (", ".join(set_here), "they apply" if len(set_here) > 1
                                                            else "it applies")) if set_here else ""
        if fileutil.runs_as_owner():
            runs = ("The scripts run as their owner (as under suexec or cgiwrap)" if self.public else
                    "You run mtpy as the owner of cgi-bin/ (mt-check.cgi says as whom the web server runs the "
                    "scripts)")
            return "owner", (runs + ": what mtpy creates is yours alone, files 0644 and folders 0755 "
                             "(0666 and 0777 in a folder you opened with chmod 777)." + note)
        owner = "the owner of cgi-bin/" if self.public else "%s, the owner of cgi-bin/" % _user_name(owner_uid)
        runs = ("The scripts run as %s, not as %s: the web server's user" % (self.user, owner) if self.public else
                "mtpy runs as %s here, not as %s" % (self.user, owner))
        return "web server", (runs + ". What mtpy creates gets shared modes, files 0666 and folders 0777, so that "
                              "you (over FTP, or mtpy in your shell) and the web server can both keep changing it; "
                              "the data folder and the archive folders must be writable by %s." % self.user + note)

    # -- the checks --------------------------------------------------------------

    def _check_folders(self):
        data_fix = ((CHMOD_777 % self.user) + "; or set DataSource in mt.cfg to a folder %s can write"
                    % self.user)
        data_name = self.where_folder(self.data_folder, "set by DataSource, outside the installation's folder")
        self.folders.append(FolderCheck("data folder", self.data_folder, data_name, data_fix, self.user,
                                        STORE_FILES.get(self.driver) if self.driver == "sqlite" else None))
        archive_fix = (CHMOD_777 % self.user) + "; or change the weblog's archive path in mt.cgi's weblog settings"
        for label, folder in self._archive_folders():
            self.folders.append(FolderCheck("archive folder", folder, label, archive_fix, self.user))

    def _archive_folders(self):
        """[(how the page names it, folder)]: each weblog's archive path once a
        store opens, else the default archives/."""
        from mtpy import store as stores
        from mtpy.models import Blog
        store = None
        try:
            store = stores.open_store(self.config)
            blogs = store.find(Blog)
        except stores.NoStoreError:
            blogs = None
        except stores.UpgradeNeeded:
            self.store_error = "it was made by an older mtpy"
            self.store_fix = "open mt.cgi, which upgrades it after a backup (or run mtpy upgrade)"
            blogs = None
        except stores.NewerSchema:
            self.store_error = "it was made by a newer mtpy"
            self.store_fix = "upload that release of mtpy (lib/ and cgi-bin/) again"
            blogs = None
        except Exception as error:   # its reason may name the database, its user or its host: logged only
            from mtpy import web
            web.log_error(self.config.get("LogFile"), "mt-check: the store cannot be opened: %s" % error)
            self.store_error = (str(error).rstrip(".") if not self.public else
                                "why is in mtpy's log (LogFile), and mtpy check says it")
            blogs = None
        finally:
            if store is not None:
                store.close()
        self.set_up = bool(blogs)
        if not blogs:
            default = os.path.join(self.install_root or os.path.dirname(self.config.folder), "archives")
            return [(self.where_folder(default), default)]
        found, seen = [], set()
        for blog in blogs:
            folder = blog.archive_path or blog.site_path
            if not folder or folder in seen:
                continue
            seen.add(folder)
            outside = "of the weblog %s, published at %s" % (blog.name or blog.id, blog.archive_url or blog.site_url)
            found.append((self.where_folder(folder, outside), folder))
        return found

    def _download_checks(self):
        environ = self.environ
        script = environ.get("SCRIPT_FILENAME")
        script_dir = os.path.dirname(os.path.realpath(script)) if script else None
        urls = layout_urls(environ.get("SCRIPT_NAME", ""), script_dir, self.install_root, self.config_path,
                           self.data_folder)
        checks = []
        if urls["config"]:
            checks.append(DownloadCheck(
                "The config %s" % self.where(self.config_path), self.config_path, urls["config"], 4096,
                "keep the .htaccess that ships in cgi-bin/ (it refuses mt.cfg), or configure the server as "
                "conf/ shows; or ask your host to refuse *.cfg files"))
        store_file = STORE_FILES.get(self.driver)
        if urls["data"] and store_file:
            checks.append(DownloadCheck(
                "The store %s%s" % (self.where_folder(self.data_folder), store_file),
                os.path.join(self.data_folder, store_file), urls["data"] + store_file, 16,
                "keep the data folder's .htaccess (Require all denied), or move the data folder out of the "
                "web root and set DataSource to it"))
        return checks

    # -- the verdict ---------------------------------------------------------------

    @property
    def ready(self):
        return not self.problems()

    def problems(self):
        """What stops mtpy, most blocking first: [Finding]."""
        found = []
        if not self.python_ok:
            found.append(Finding(
                "Python %s is too old: mtpy needs %d.%d or newer." % (_python_version(), MIN_PYTHON[0],
                                                                       MIN_PYTHON[1]),
                "set the #! line of the scripts to a newer Python 3 (ask your host where it is)"))
        missing = self.missing_required()
        if missing:
            fixes = []
            if missing != ["the weblog templates"]:
                fixes.append("install them as each one above says (into extlib/ when you cannot install "
                             "packages for this Python)")
            if not self.templates.installed:
                fixes.append("upload mtpy's lib/ again, or fix TemplatePath, for the templates")
            found.append(Finding("Missing required modules: %s." % ", ".join(missing), "; ".join(fixes)))
        if self.config_error:
            found.append(Finding("The config %s is not usable: %s." % (self.where(self.config_path),
                                                                       self.config_error),
                                 "correct that line of mt.cfg (mt.cfg-original lists every directive)"))
        found += [folder.problem for folder in self.folders if folder.problem]
        if self.store_error:
            found.append(Finding("The store cannot be opened: %s." % self.store_error, self.store_fix))
        for check in self.downloads:
            if check.exposed:
                found.append(Finding("%s can be downloaded by anyone from %s." % (check.what, check.url), check.fix))
        return found

    def warnings(self):
        """What does not stop mtpy but should be known: [Finding]."""
        found = []
        if self.driver == "sqlite" and self.filesystem in UNRELIABLE_LOCKING:
            found.append(Finding("The data folder is on %s: SQLite's locking is unreliable there, and two pings "
                                 "at once can corrupt the store." % self.filesystem,
                                 "set ObjectDriver flat (or postgres) in mt.cfg, or a DataSource on a local disk",
                                 blocks=False))
        for warning in self.config_warnings:
            found.append(Finding(warning, "correct or remove that line", blocks=False))
        if self.relative_cgi_path:
            found.append(Finding(RELATIVE_CGI_PATH % self.config.get("CGIPath"), CGI_PATH_FIX, blocks=False))
        for check in self.downloads:
            if not check.checked and check.error.startswith("could not"):
                found.append(Finding("%s: %s." % (check.what, check.error),
                                     "open %s yourself: it must answer 403 or 404" % check.url, blocks=False))
        from mtpy.mail import transport_problem
        mail = None if self.config_error else transport_problem(self.config)
        if mail:    # pings are stored without it: notifications are what fails
            found.append(Finding(("Notification mail cannot go out (the configured mail transport does not work)."
                                  if self.public and not self.administrator   # no config value for the public
                                  else mail + ": notification mail cannot go out."),
                                 "set SendMailPath (or MailTransfer smtp and SMTPServer) in mt.cfg as your host "
                                 "says", blocks=False))
        if self.unwritten_feeds:
            found.append(Finding("%d TrackBack feed(s) could not be written." % len(self.unwritten_feeds),
                                 "make their archive folders writable (see TRACKBACK FEEDS)", blocks=False))
        return found

    @property
    def relative_cgi_path(self):
        """Whether, set-up done, CGIPath is still a bare path: ping URLs then
        take each weblog's host, which is right only where cgi-bin/ shares it."""
        from mtpy.config import is_absolute_url
        return self.set_up and not self.config_error and not is_absolute_url(self.config.get("CGIPath"))

    @property
    def extlib(self):
        if self.stranger or not self.install_root:
            return "extlib"
        return os.path.join(self.install_root, "extlib")

    @property
    def python(self):
        """The Python the install commands name: a stranger is not told where it is."""
        return "python3" if self.stranger else None

    def system(self):
        import platform
        from mtpy import __version__
        if self.stranger:
            return [("Python version", _python_version()), ("mtpy version", __version__),
                    ("Configuration", self.config_state), ("More", HIDDEN_FROM_STRANGERS)]
        return [("Current working directory", os.getcwd()),
                ("Operating system", "%s %s" % (platform.system(), platform.release())),
                ("Python version", _python_version() + ("" if self.python_ok else " (TOO OLD: mtpy needs %d.%d+)"
                                                        % MIN_PYTHON)),
                ("Python executable", sys.executable or "(unknown)"),
                ("mtpy version", __version__),
                ("mtpy library", os.path.dirname(os.path.abspath(__file__))),
                ("Configuration", self.config_state),
                ("Runs as", self.user)]

    def sections(self):
        return [("REQUIRED", "These modules are required to run mtpy.", self.required),
                ("DATA STORAGE", "You need at least one of these to store your weblog's data.", self.storage),
                ("OPTIONAL", "These add features; mtpy receives pings without them.", self.optional)]

    def missing_required(self):
        missing = [check.name for check in self.required if not check.installed]
        if not any(check.installed for check in self.storage):
            missing.append("a data storage module (%s)" % " or ".join(c.name for c in self.storage))
        else:
            needed = DRIVER_MODULES.get(self.config.get("ObjectDriver"))
            if any(check.name == needed and not check.installed for check in self.storage):
                missing.append("%s (for ObjectDriver %s)" % (needed, self.config.get("ObjectDriver")))
        if not self.templates.installed:
            missing.append("the weblog templates")
        return missing

    def sqlite_version(self):
        for check in self.storage:
            if check.name == "sqlite3" and check.installed:
                import sqlite3
                return sqlite3.sqlite_version
        return None

    def locking(self):
        """A line on SQLite and the data folder's filesystem."""
        version = self.sqlite_version()
        kind = self.filesystem or "unknown"
        said = "SQLite %s; the data folder's filesystem: %s." % (version, kind) if version else (
            "No SQLite in this Python; the data folder's filesystem: %s." % kind)
        if self.filesystem in UNRELIABLE_LOCKING:
            said += " SQLite's locking is unreliable there" + (
                ": use ObjectDriver flat or postgres." if self.driver == "sqlite" else
                " (this installation does not use SQLite).")
        return said


WEB_USER = "the web server's user"
HIDDEN_FROM_STRANGERS = ("mtpy is set up: where it lives on this server, the operating system and the scripts' "
                         "user are shown only to its administrators (mt.cgi?__mode=system_check, logged in), "
                         "and by mtpy check")


def _is_set_up(config):
    """Whether a store with an author opens: mt.cgi's set-up is done. A store
    that does not open says nothing (the page is then what tells why)."""
    from mtpy import store as stores
    from mtpy.models import Author
    try:
        store = stores.open_store(config)
    except Exception:
        return False
    try:
        return bool(store.find(Author, limit=1))
    except Exception:
        return False
    finally:
        store.close()


def _python_version():
    return "%d.%d.%d" % sys.version_info[:3]


def _read_config(path):
    """(the configuration at `path`, None) or, when it does not parse, (the
    defaults for that place, the reason)."""
    from mtpy.config import Config, ConfigError
    if not os.path.exists(path):
        return Config(path, text=""), None
    try:
        return Config(path), None
    except ConfigError as error:
        return Config(path, text=""), str(error)


def _without_value(message):
    """ConfigError's "FILE line N: bad value 'V' for NAME: REASON" for the public
    page: without V, which may be a secret (nor REASON, unless it only says what
    was expected: int()'s repeats V)."""
    import re
    matched = re.match(r"^(.*) line (\d+): bad value .* for (\w+): (.*)$", message, re.S)
    if not matched:
        return message
    where, line, name, reason = matched.groups()
    said = "line %s: bad value for %s" % (line, name)
    return said + (": " + reason if reason.startswith("expected") else "")


def _user_name(uid=None):
    if not hasattr(os, "geteuid"):
        return "(unknown)"
    uid = os.geteuid() if uid is None else uid
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)


CONFIG_INTRO = "The mt.cfg the scripts read; without one, every directive has its default."
RELATIVE_CGI_PATH = ("CGIPath is %s, a path without the host: the ping URLs mtpy publishes take the host of "
                     "each weblog's URL, and no other weblog can ping them if cgi-bin/ is elsewhere.")
CGI_PATH_FIX = "set CGIPath in mt.cfg to the whole URL of cgi-bin/, such as http://www.example.com/cgi-bin/"
FOLDERS_INTRO = ("The folders mtpy writes into: the data folder (DataSource) and each weblog's archive folder. "
                 "Each was tested by creating and removing a file.")


def config_lines(report):
    """[(css class, text)] of the CONFIGURATION section."""
    name = report.where(report.config_path, "named by MT_CONFIG")
    if not report.config_found:
        lines = [("ok", "Not written yet: the defaults apply. Copy cgi-bin/mt.cfg-original to %s to change them."
                  % (name if not name.startswith("(") else "mt.cfg"))]
    elif report.config_error:
        lines = [("missing", "Found %s, NOT USABLE: %s" % (name, report.config_error))]
    else:
        lines = [("ok", "Found %s: valid." % name)]
    lines += [("warn", "Warning: " + warning) for warning in report.config_warnings]
    if report.config_error:
        return lines
    from mtpy.config import is_absolute_url
    cgi_path = report.config.get("CGIPath")
    if is_absolute_url(cgi_path):
        lines.append(("ok", "CGIPath %s: the ping URLs mtpy publishes start with it." % cgi_path))
    elif report.relative_cgi_path:
        lines.append(("warn", "Warning: %s Fix: %s." % (RELATIVE_CGI_PATH % cgi_path, CGI_PATH_FIX)))
    else:
        lines.append(("ok", "CGIPath: mt.cgi's set-up takes the whole URL of cgi-bin/ from the address you open "
                            "it at, and keeps it in the data folder."))
    return lines


def folder_lines(report):
    if report.config_error:
        return [("warn", "Checked once mt.cfg is usable.")]
    lines = []
    for folder in report.folders:
        if folder.problem:
            lines.append(("missing", "%s Fix: %s." % (folder.problem.what, folder.problem.fix)))
        else:
            lines.append(("ok", "The %s %s: %s." % (folder.role, folder.name, folder.state)))
    if report.store_error:
        lines.append(("missing", "The store cannot be opened: %s." % report.store_error))
    return lines


def download_lines(report):
    if not report.public:
        return [("", "mt-check.cgi asks the web server for them; a shell cannot.")]
    if report.config_error:
        return [("warn", "Checked once mt.cfg is usable.")]
    if not report.downloads:
        return [("ok", "Nothing of this installation's layout is inside the web root at a known address.")]
    lines = []
    for check in report.downloads:
        if check.exposed:
            lines.append(("missing", "%s is handed out at %s (200, its content). Fix: %s." % (
                check.what, check.url, check.fix)))
        elif check.checked:
            lines.append(("ok", "%s is not handed out: %s answered %d%s." % (
                check.what, check.url, check.status, ", but not with the file" if check.status == 200 else "")))
        else:
            lines.append(("warn" if check.error.startswith("could not") else "", "%s (%s): %s." % (
                check.what, check.url, check.error)))
    return lines


def checks_sections(report):
    """[(title, intro, [(css class, text)])] of the installation's checks."""
    return [("CONFIGURATION", CONFIG_INTRO, config_lines(report)),
            ("FOLDERS", FOLDERS_INTRO, folder_lines(report)),
            ("DOWNLOADS", DOWNLOADS_INTRO, download_lines(report)),
            ("SQLITE AND LOCKING", LOCKING_INTRO,
             [("warn" if report.filesystem in UNRELIABLE_LOCKING else "ok", report.locking())]),
            ("OWNERS AND PERMISSIONS", OWNERS_INTRO, [("", report.owner_text)])]


def _finding_text(finding):
    return "%s Fix: %s." % (finding.what, finding.fix)


def render_text(report, system_only=False):
    lines = ["mtpy System Check", ""]
    lines += ["%s: %s" % row for row in report.system()]
    if system_only:
        return "\n".join(lines) + "\n"
    for title, intro, checks in report.sections():
        lines += ["", title, intro]
        for check in checks:
            if check.installed:
                lines.append("  %s: installed (%s). %s" % (check.name, check.version, check.why))
            else:
                lines.append("  %s: %s. %s" % (check.name, "TOO OLD" if check.version else "MISSING", check.why))
                if check.package:
                    lines.append("    Install it with:  %s" % check.install_commands(report.extlib, report.python)[0])
                    lines.append("    or, without a shell account's site-packages:  %s"
                                 % check.install_commands(report.extlib, report.python)[1])
                lines.append("    (%s)" % check.error)
    for title, intro, said in checks_sections(report):
        lines += ["", title, intro] + ["  " + text for _, text in said]
    lines += ["", "WEBLOG TEMPLATES", TEMPLATES_INTRO]
    lines.append("  " + (report.templates.summary(report.where) if report.templates.installed
                         else "MISSING. " + report.scrub(report.templates.error)))
    lines += ["", "TRACKBACK FEEDS", FEEDS_INTRO]
    if not report.unwritten_feeds:
        lines.append("  " + FEEDS_OK)
    for item_id, path, when, error in report.unwritten_feeds:
        lines.append("  NOT WRITTEN: %s (TrackBack item %d), %s UTC: %s" % (report.where(path), item_id, when,
                                                                             report.scrub(error)))
    lines += ["", "VERDICT"]
    problems, warnings = report.problems(), report.warnings()
    if not problems:
        lines.append(READY)
    else:
        lines.append("Not ready: fix these, in this order.")
        lines += ["  %d. %s" % (number, _finding_text(finding)) for number, finding in enumerate(problems, 1)]
    if warnings:
        lines.append("Warnings:")
        lines += ["  - " + _finding_text(finding) for finding in warnings]
    return "\n".join(lines) + "\n"


STYLE = ("body{font-family:sans-serif;max-width:50em;margin:1em auto;padding:0 1em;line-height:1.4;"
         "overflow-wrap:anywhere} code{background:#eee} li{margin:.2em 0}"
         " .missing{color:#a00} .ok{color:#070} .warn{color:#8a5a00}"
         " #summary a{color:inherit;font-weight:bold} #verdict{border:2px solid #070;padding:0 1em;margin:1.5em 0}"
         " #verdict.not-ready{border-color:#a00}")


def render_html(report, system_only=False):
    from mtpy.text import escape_html as e
    parts = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
             '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
             '<meta name="robots" content="noindex">\n'
             "<title>mtpy System Check</title>\n<style>%s</style>\n</head>\n<body>\n<h1>mtpy System Check</h1>\n"
             % STYLE]
    if not system_only:
        count = len(report.problems())
        parts.append('<p id="summary" class="%s"><a href="#verdict">%s</a></p>\n' % (
            "missing" if count else "ok", "Not ready: %d thing%s to fix, listed at the end." % (
                count, "s" if count > 1 else "") if count else "Ready: the verdict is at the end."))
    parts.append("<h2>System Information</h2>\n<ul>\n")
    for label, value in report.system():
        parts.append("<li><strong>%s:</strong> <code>%s</code></li>\n" % (e(label), e(value)))
    parts.append("</ul>\n")
    if not system_only:
        for title, intro, checks in report.sections():
            parts.append("<h2>%s</h2>\n<p>%s</p>\n" % (e(title), e(intro)))
            for check in checks:
                parts.append(_check_html(check, (report.extlib, report.python), e))
        for title, intro, said in checks_sections(report):
            section_id = title.split()[0].lower()
            parts.append('<h2>%s</h2>\n<p>%s</p>\n<ul id="%s">\n' % (e(title), e(intro), section_id))
            parts += ['<li class="%s">%s</li>\n' % (e(css), e(text)) for css, text in said]
            parts.append("</ul>\n")
        parts.append("<h2>WEBLOG TEMPLATES</h2>\n<p>%s</p>\n" % e(TEMPLATES_INTRO))
        if report.templates.installed:
            parts.append('<p class="ok" id="templates">%s</p>\n' % e(report.templates.summary(report.where)))
        else:
            parts.append('<p class="missing" id="templates">%s</p>\n' % e(report.scrub(report.templates.error)))
        parts.append("<h2>TRACKBACK FEEDS</h2>\n<p>%s</p>\n" % e(FEEDS_INTRO))
        if not report.unwritten_feeds:
            parts.append('<p class="ok" id="feeds">%s</p>\n' % e(FEEDS_OK))
        else:
            parts.append('<ul class="missing" id="unwritten-feeds">\n')
            for item_id, path, when, error in report.unwritten_feeds:
                parts.append("<li>Not written: <code>%s</code> (TrackBack item %d), %s UTC: %s</li>\n"
                             % (e(report.where(path)), item_id, e(when), e(report.scrub(error))))
            parts.append("</ul>\n")
        parts.append(_verdict_html(report, e))
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _verdict_html(report, e):
    problems, warnings = report.problems(), report.warnings()
    if not problems:
        html = ('<section id="verdict" class="ready">\n<h2>VERDICT</h2>\n'
                '<p class="ok" id="ready"><strong>%s</strong></p>\n' % e(READY))
    else:
        html = ('<section id="verdict" class="not-ready">\n<h2>VERDICT</h2>\n<p class="missing" id="not-ready">'
                "<strong>Not ready: fix these, in this order.</strong></p>\n<ol>\n")
        html += "".join("<li><strong>%s</strong> Fix: %s.</li>\n" % (e(finding.what), e(finding.fix))
                        for finding in problems)
        html += "</ol>\n"
    if warnings:
        html += '<p>Warnings (these do not stop mtpy):</p>\n<ul id="warnings">\n'
        html += "".join('<li class="warn">%s Fix: %s.</li>\n' % (e(finding.what), e(finding.fix))
                        for finding in warnings)
        html += "</ul>\n"
    return html + "</section>\n"


def _check_html(check, install, e):
    """`install`: (extlib/, the Python) for the install commands."""
    if check.installed:
        return '<h3>%s</h3>\n<p class="ok">Your server has %s installed (%s).</p>\n<p>%s</p>\n' % (
            e(check.name), e(check.name), e(check.version), e(check.why))
    if check.version:   # installed, but too old
        html = '<h3>%s</h3>\n<p class="missing">Your server has %s %s, which is too old: mtpy needs %s or later. %s</p>\n' % (
            e(check.name), e(check.name), e(check.version), e(check.minimum_text), e(check.why))
    else:
        html = '<h3>%s</h3>\n<p class="missing">Your server does not have %s installed. %s</p>\n' % (
            e(check.name), e(check.name), e(check.why))
    if check.package:
        first, second = check.install_commands(*install)
        html += ("<p>Install it with <code>%s</code>, or, if you cannot install packages for this Python, "
                 "into mtpy's own <code>extlib/</code> folder: <code>%s</code></p>\n") % (e(first), e(second))
    return html + "<p><small>(%s)</small></p>\n" % e(check.error)
