"""The report of mt-check.cgi and `mtpy check`: runs the probes for one
installation, says what its page may show (public or not), and gives the
verdict: what stops mtpy, most blocking first, and the warnings.
"""

import os
import re
import sys

from mtpy import __version__, fileutil, web
from mtpy import store as stores
from mtpy.check.probes import (
    DATA_STORAGE, OPTIONAL, REQUIRED, UNRELIABLE_LOCKING, DownloadCheck, Finding, FolderCheck, ModuleCheck,
    TemplatesCheck, filesystem_type, layout_urls, python_executable, relative_inside)
from mtpy.config import Config, ConfigError, is_absolute_url
from mtpy.models import Author, Blog
from mtpy.publish import feed_folder
from mtpy.publish.feeds import unwritten
from mtpy.text import counted


MIN_PYTHON = (3, 9)


DRIVER_MODULES = {"sqlite": "sqlite3", "flat": "filelock", "postgres": "psycopg"}
STORE_FILES = {"sqlite": "mtpy.db", "flat": "mtpy-store.txt"}
CHMOD_777 = "chmod 777 it over FTP (SITE CHMOD 777), or ask your host to make it writable by %s"


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
        # A storage module is needed only by its ObjectDriver: the others are
        # optional here (psycopg on a SQLite install is not a problem).
        used = DRIVER_MODULES.get(self.config.get("ObjectDriver"))
        drivers = {module: driver for driver, module in DRIVER_MODULES.items()}
        for check in self.storage:
            check.needed_with = drivers.get(check.name)
            check.optional = check.name != used
        for check in self.optional:
            check.optional = True
        self.templates = TemplatesCheck(self.config)
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
        relative = relative_inside(path, self.install_root)
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
            folder = feed_folder(blog)
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
                "docs/ shows; or ask your host to refuse *.cfg files"))
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
        from mtpy.mail import transport_problem    # smtplib and email: only here
        mail = None if self.config_error else transport_problem(self.config)
        if mail:    # pings are stored without it: notifications are what fails
            found.append(Finding(("Notification mail cannot go out (the configured mail transport does not work)."
                                  if self.public and not self.administrator   # no config value for the public
                                  else mail + ": notification mail cannot go out."),
                                 "set SendMailPath (or MailTransfer smtp and SMTPServer) in mt.cfg as your host "
                                 "says", blocks=False))
        if self.unwritten_feeds:
            found.append(Finding("%s could not be written." % counted(len(self.unwritten_feeds), "TrackBack feed"),
                                 "make their archive folders writable (see TRACKBACK FEEDS)", blocks=False))
        return found

    @property
    def relative_cgi_path(self):
        """Whether, set-up done, CGIPath is still a bare path: ping URLs then
        take each weblog's host, which is right only where cgi-bin/ shares it."""
        return self.set_up and not self.config_error and not is_absolute_url(self.config.get("CGIPath"))

    @property
    def extlib(self):
        if self.stranger or not self.install_root:
            return "extlib"
        return os.path.join(self.install_root, "extlib")

    @property
    def script(self):
        """The running script (mt-check.cgi's #! line names its Python)."""
        return (self.environ or {}).get("SCRIPT_FILENAME") or None

    @property
    def python(self):
        """The Python the install commands name: a stranger is not told where it is."""
        return "python3" if self.stranger else None

    def system(self):
        import platform     # here: 2 ms that mt.cgi, which loads this module, would pay on every request
        if self.stranger:
            return [("Python version", _python_version()), ("mtpy version", __version__),
                    ("Configuration", self.config_state)]
        return [("Current working directory", os.getcwd()),
                ("Operating system", "%s %s" % (platform.system(), platform.release())),
                ("Python version", _python_version() + ("" if self.python_ok else " (TOO OLD: mtpy needs %d.%d+)"
                                                        % MIN_PYTHON)),
                ("Python executable", python_executable(self.script) or "(not found)"),
                ("mtpy version", __version__),
                ("mtpy library", os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                ("Configuration", self.config_state),
                ("Runs as", self.user)]

    @property
    def withheld(self):
        """What a stranger is told of the system facts left out, or None."""
        return HIDDEN_FROM_STRANGERS if self.stranger else None

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
                         "and by mtpy check.")


def _is_set_up(config):
    """Whether a store with an author opens: mt.cgi's set-up is done. A store
    that does not open says nothing (the page is then what tells why)."""
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


RELATIVE_CGI_PATH = ("CGIPath is %s, a path without the host: the ping URLs mtpy publishes take the host of "
                     "each weblog's URL, and no other weblog can ping them if cgi-bin/ is elsewhere.")
CGI_PATH_FIX = "set CGIPath in mt.cfg to the whole URL of cgi-bin/, such as http://www.example.com/cgi-bin/"
