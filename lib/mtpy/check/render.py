"""A report as text (`mtpy check`) or as an HTML page (mt-check.cgi, and
mt.cgi's system_check screen), with the sections' introductions and the verdict.
"""

from mtpy.check.probes import UNRELIABLE_LOCKING
from mtpy.check.report import CGI_PATH_FIX, RELATIVE_CGI_PATH
from mtpy.config import is_absolute_url
from mtpy.text import escape_html
from mtpy.web import ICON_LINK


TEMPLATES_INTRO = "A new weblog is published with these; without them it would publish nothing."
FEEDS_INTRO = ("Each TrackBack item's feed (ID.xml in the archive folder) is rewritten after every ping; "
               "one that could not be written is listed here and written again, once its folder is "
               "writable, by the next ping or by mtpy rebuild.")
FEEDS_OK = "Every feed was written."
READY = ("Your server has all of the required modules installed; "
         "you do not need to install any additional modules to run mtpy.")


LOCKING_INTRO = "SQLite, the default storage, locks its file; on network filesystems those locks are unreliable."
OWNERS_INTRO = ("Who owns the files mtpy creates, and the modes they get with DBUmask, HTMLUmask and "
                "DirUmask auto (the default).")
DOWNLOADS_INTRO = ("Asked through this web server, at the addresses this installation's layout gives them, "
                   "these must answer 403 or 404: anyone could read them otherwise.")


CONFIG_INTRO = "The mt.cfg the scripts read; without one, every directive has its default."


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
    if report.withheld:
        lines.append(report.withheld)
    if system_only:
        return "\n".join(lines) + "\n"
    for title, intro, checks in report.sections():
        lines += ["", title, intro]
        for check in checks:
            if check.installed:
                lines.append("  %s: installed (%s). %s" % (check.name, check.version, check.why))
            elif check.optional and not check.version:
                lines.append("  %s: %s %s" % (check.name, not_installed(check), check.why))
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
         " .missing{color:#a00} .ok{color:#070} .warn{color:#8a5a00} .optional{color:#555}"
         " #summary a{color:inherit;font-weight:bold} #verdict{border:2px solid #070;padding:0 1em;margin:1.5em 0}"
         " #verdict.not-ready{border-color:#a00}")


def render_html(report, system_only=False):
    e = escape_html
    parts = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
             '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
             '<meta name="robots" content="noindex">\n'
             "<title>mtpy System Check</title>\n%s\n<style>%s</style>\n</head>\n<body>\n<h1>mtpy System Check</h1>\n"
             % (ICON_LINK, STYLE)]
    if not system_only:
        count = len(report.problems())
        parts.append('<p id="summary" class="%s"><a href="#verdict">%s</a></p>\n' % (
            "missing" if count else "ok", "Not ready: %d thing%s to fix, listed at the end." % (
                count, "s" if count > 1 else "") if count else "Ready: the verdict is at the end."))
    parts.append("<h2>System Information</h2>\n<ul>\n")
    for label, value in report.system():
        parts.append("<li><strong>%s:</strong> <code>%s</code></li>\n" % (e(label), e(value)))
    parts.append("</ul>\n")
    if report.withheld:
        parts.append("<p>%s</p>\n" % e(report.withheld))
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


def not_installed(check):
    """What the report says of an optional module that is not installed."""
    if check.needed_with:
        return "Not installed; optional: needed only with ObjectDriver %s in mt.cfg." % check.needed_with
    return "Not installed; optional: mtpy runs without it."


def _check_html(check, install, e):
    """`install`: (extlib/, the Python) for the install commands."""
    if check.installed:
        return '<h3>%s</h3>\n<p class="ok">Your server has %s installed (%s).</p>\n<p>%s</p>\n' % (
            e(check.name), e(check.name), e(check.version), e(check.why))
    if check.version:   # installed, but too old
        html = ('<h3>%s</h3>\n<p class="%s">Your server has %s %s, which is too old: mtpy needs %s or later. %s</p>\n'
                % (e(check.name), "optional" if check.optional else "missing", e(check.name), e(check.version),
                   e(check.minimum_text), e(check.why)))
    elif check.optional:
        html = '<h3>%s</h3>\n<p class="optional">%s %s</p>\n' % (e(check.name), e(not_installed(check)), e(check.why))
    else:
        html = '<h3>%s</h3>\n<p class="missing">Your server does not have %s installed. %s</p>\n' % (
            e(check.name), e(check.name), e(check.why))
    if check.package:
        first, second = check.install_commands(*install)
        html += ("<p>Install it with <code>%s</code>, or, if you cannot install packages for this Python, "
                 "into mtpy's own <code>extlib/</code> folder: <code>%s</code></p>\n") % (e(first), e(second))
    return html + "<p><small>(%s)</small></p>\n" % e(check.error)
