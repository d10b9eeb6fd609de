"""What mt-check.cgi and `mtpy check` report (reference §12): system information,
then the REQUIRED, DATA STORAGE and OPTIONAL modules, each installed (with its
version) or missing (with why it matters and how to install it).

Standard library only: its purpose is to say what is missing.
"""

import os
import sys

# (import name, package name, why it matters)
REQUIRED = [
    ("jinja2", "Jinja2", "mtpy renders its templates with it: the TrackBack listing popup "
                         "(mt-tb.cgi?__mode=view) and the published weblog pages."),
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
    def __init__(self, name, package, why):
        self.name, self.package, self.why = name, package, why
        self.version = None
        self.error = None
        try:
            module = __import__(name)
        except Exception as error:  # a broken install is as missing as an absent one
            self.error = "%s: %s" % (type(error).__name__, error)
            return
        self.version = _version(name, package, module)

    @property
    def installed(self):
        return self.error is None

    def install_commands(self, extlib):
        python = sys.executable or "python3"
        package = "'%s'" % self.package if "[" in self.package else self.package   # not a shell glob
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

    def summary(self):
        installation, shipped = self.by_folder
        return ("%d of %d default templates found: %d shipped with mtpy (%s), %d from this "
                "installation's own folder (%s)." % (self.found, self.total, shipped[1], shipped[0],
                                                     installation[1], installation[0]))


class Report:
    """`config_path`: the mt.cfg the scripts read (it may not be written yet)."""

    def __init__(self, install_root=None, config_path=None):
        self.install_root = install_root
        config, self.config_state = _read_config(config_path or os.path.join(
            install_root or os.getcwd(), "cgi-bin", "mt.cfg"))
        self.required = [ModuleCheck(*spec) for spec in REQUIRED]
        self.storage = [ModuleCheck(*spec) for spec in DATA_STORAGE]
        self.optional = [ModuleCheck(*spec) for spec in OPTIONAL]
        self.templates = TemplatesCheck(config)
        from mtpy.trackback.feeds import unwritten
        self.unwritten_feeds = unwritten(config)    # [(item id, path, time, error)]

    @property
    def ready(self):
        return all(check.installed for check in self.required) and any(
            check.installed for check in self.storage) and self.templates.installed

    @property
    def extlib(self):
        return os.path.join(self.install_root, "extlib") if self.install_root else "extlib"

    def system(self):
        import platform
        from mtpy import __version__
        rows = [("Current working directory", os.getcwd()),
                ("Operating system", "%s %s" % (platform.system(), platform.release())),
                ("Python version", sys.version.split()[0]),
                ("Python executable", sys.executable or "(unknown)"),
                ("mtpy version", __version__),
                ("mtpy library", os.path.dirname(os.path.abspath(__file__))),
                ("Configuration", self.config_state)]
        rows.append(("Runs as", _identity()))
        return rows

    def sections(self):
        return [("REQUIRED", "These modules are required to run mtpy.", self.required),
                ("DATA STORAGE", "You need at least one of these to store your weblog's data.", self.storage),
                ("OPTIONAL", "These add features; mtpy receives pings without them.", self.optional)]

    def missing_required(self):
        missing = [check.name for check in self.required if not check.installed]
        if not any(check.installed for check in self.storage):
            missing.append("a data storage module (%s)" % " or ".join(c.name for c in self.storage))
        if not self.templates.installed:
            missing.append("the weblog templates")
        return missing


def _read_config(path):
    """The configuration at `path` and a line saying what became of it; the
    defaults for that place when it is not written yet or does not parse."""
    from mtpy.config import Config, ConfigError
    if not os.path.exists(path):
        return Config(path, text=""), "%s (not written yet: defaults)" % path
    try:
        return Config(path), path
    except ConfigError as error:
        return Config(path, text=""), "%s (NOT USABLE: %s)" % (path, error)


def _identity():
    """Under suexec or cgiwrap scripts run as their owner; otherwise as the web
    server's user, who must be able to write the data and archive folders."""
    if not hasattr(os, "geteuid"):
        return "(unknown)"
    uid = os.geteuid()
    try:
        import pwd
        name = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        name = str(uid)
    script = os.environ.get("SCRIPT_FILENAME")
    if script and os.path.exists(script):
        if os.stat(script).st_uid == uid:
            return "%s (probably under suexec or cgiwrap: scripts run as their owner)" % name
        return ("%s (not the scripts' owner: the data and archive folders must be writable by %s)"
                % (name, name))
    return name


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
                lines.append("  %s: MISSING. %s" % (check.name, check.why))
                if check.package:
                    lines.append("    Install it with:  %s" % check.install_commands(report.extlib)[0])
                    lines.append("    or, without a shell account's site-packages:  %s"
                                 % check.install_commands(report.extlib)[1])
                lines.append("    (%s)" % check.error)
    lines += ["", "WEBLOG TEMPLATES", TEMPLATES_INTRO]
    lines.append("  " + (report.templates.summary() if report.templates.installed
                         else "MISSING. " + report.templates.error))
    lines += ["", "TRACKBACK FEEDS", FEEDS_INTRO]
    if not report.unwritten_feeds:
        lines.append("  " + FEEDS_OK)
    for item_id, path, when, error in report.unwritten_feeds:
        lines.append("  NOT WRITTEN: %s (TrackBack item %d), %s UTC: %s" % (path, item_id, when, error))
    lines.append("")
    if report.ready:
        lines.append(READY)
    else:
        lines.append("Missing required modules: %s. mtpy will not work until they are installed."
                     % ", ".join(report.missing_required()))
    return "\n".join(lines) + "\n"


def render_html(report, system_only=False):
    from mtpy.text import escape_html as e
    parts = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
             "<title>mtpy System Check</title>\n<style>body{font-family:sans-serif;max-width:50em;"
             "margin:1em auto;padding:0 1em} .missing{color:#a00} .ok{color:#070} code{background:#eee}"
             "</style>\n</head>\n<body>\n<h1>mtpy System Check</h1>\n<h2>System Information</h2>\n<ul>\n"]
    for label, value in report.system():
        parts.append("<li><strong>%s:</strong> <code>%s</code></li>\n" % (e(label), e(value)))
    parts.append("</ul>\n")
    if not system_only:
        for title, intro, checks in report.sections():
            parts.append("<h2>%s</h2>\n<p>%s</p>\n" % (e(title), e(intro)))
            for check in checks:
                parts.append(_check_html(check, report.extlib, e))
        parts.append("<h2>WEBLOG TEMPLATES</h2>\n<p>%s</p>\n" % e(TEMPLATES_INTRO))
        if report.templates.installed:
            parts.append('<p class="ok" id="templates">%s</p>\n' % e(report.templates.summary()))
        else:
            parts.append('<p class="missing" id="templates">%s</p>\n' % e(report.templates.error))
        parts.append("<h2>TRACKBACK FEEDS</h2>\n<p>%s</p>\n" % e(FEEDS_INTRO))
        if not report.unwritten_feeds:
            parts.append('<p class="ok" id="feeds">%s</p>\n' % e(FEEDS_OK))
        else:
            parts.append('<ul class="missing" id="unwritten-feeds">\n')
            for item_id, path, when, error in report.unwritten_feeds:
                parts.append("<li>Not written: <code>%s</code> (TrackBack item %d), %s UTC: %s</li>\n"
                             % (e(path), item_id, e(when), e(error)))
            parts.append("</ul>\n")
        if report.ready:
            parts.append('<p class="ok" id="ready"><strong>%s</strong></p>\n' % e(READY))
        else:
            parts.append('<p class="missing" id="not-ready"><strong>Missing required modules: %s.</strong> '
                         "mtpy will not work until they are installed.</p>\n" % e(", ".join(report.missing_required())))
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _check_html(check, extlib, e):
    if check.installed:
        return '<h3>%s</h3>\n<p class="ok">Your server has %s installed (%s).</p>\n<p>%s</p>\n' % (
            e(check.name), e(check.name), e(check.version), e(check.why))
    html = '<h3>%s</h3>\n<p class="missing">Your server does not have %s installed. %s</p>\n' % (
        e(check.name), e(check.name), e(check.why))
    if check.package:
        first, second = check.install_commands(extlib)
        html += ("<p>Install it with <code>%s</code>, or, if you cannot install packages for this Python, "
                 "into mtpy's own <code>extlib/</code> folder: <code>%s</code></p>\n") % (e(first), e(second))
    return html + "<p><small>(%s)</small></p>\n" % e(check.error)
