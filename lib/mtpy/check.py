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


class Report:
    def __init__(self, install_root=None):
        self.install_root = install_root
        self.required = [ModuleCheck(*spec) for spec in REQUIRED]
        self.storage = [ModuleCheck(*spec) for spec in DATA_STORAGE]
        self.optional = [ModuleCheck(*spec) for spec in OPTIONAL]

    @property
    def ready(self):
        return all(check.installed for check in self.required) and any(
            check.installed for check in self.storage)

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
                ("mtpy library", os.path.dirname(os.path.abspath(__file__)))]
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
        return missing


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
                lines.append("  %s: installed (%s)." % (check.name, check.version))
            else:
                lines.append("  %s: MISSING. %s" % (check.name, check.why))
                if check.package:
                    lines.append("    Install it with:  %s" % check.install_commands(report.extlib)[0])
                    lines.append("    or, without a shell account's site-packages:  %s"
                                 % check.install_commands(report.extlib)[1])
                lines.append("    (%s)" % check.error)
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
        if report.ready:
            parts.append('<p class="ok" id="ready"><strong>%s</strong></p>\n' % e(READY))
        else:
            parts.append('<p class="missing" id="not-ready"><strong>Missing required modules: %s.</strong> '
                         "mtpy will not work until they are installed.</p>\n" % e(", ".join(report.missing_required())))
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _check_html(check, extlib, e):
    if check.installed:
        return '<h3>%s</h3>\n<p class="ok">Your server has %s installed (%s).</p>\n' % (
            e(check.name), e(check.name), e(check.version))
    html = '<h3>%s</h3>\n<p class="missing">Your server does not have %s installed. %s</p>\n' % (
        e(check.name), e(check.name), e(check.why))
    if check.package:
        first, second = check.install_commands(extlib)
        html += ("<p>Install it with <code>%s</code>, or, if you cannot install packages for this Python, "
                 "into mtpy's own <code>extlib/</code> folder: <code>%s</code></p>\n") % (e(first), e(second))
    return html + "<p><small>(%s)</small></p>\n" % e(check.error)
