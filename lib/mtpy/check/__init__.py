"""What mt-check.cgi and `mtpy check` report: system information, then the
REQUIRED, DATA STORAGE and OPTIONAL modules, each installed (with its version)
or missing (with why it matters and how to install it); then whether the
installation can run here: its config, the folders it writes, what the web
server hands out, SQLite's locking, who owns what; and a verdict: ready, or
what to fix, in order.

The standard library and mtpy only: its purpose is to say what is missing
(jinja2 among them), so nothing here imports a package that may be absent
(sqlite3 and pwd too are imported where they are used). mt-check.cgi's
page is public while SystemCheck is 1: it shows no config value, and paths
relative to the installation's folder where it can (`mtpy check`, run by the
owner, shows them whole).

- probes.py: what is looked at: modules, templates, folders, downloads, mounts.
- report.py: Report: runs the probes for one installation, what its page may
  show, the verdict (Finding: what blocks, and the warnings).
- render.py: the report as text (`mtpy check`) or HTML (mt-check.cgi, mt.cgi's
  system_check screen).
"""

from mtpy.check.probes import (
    DATA_STORAGE, OPTIONAL, REQUIRED, Finding, ModuleCheck, filesystem_type, parse_mounts, writable_error)
from mtpy.check.render import READY, render_html, render_text
from mtpy.check.report import HIDDEN_FROM_STRANGERS, RELATIVE_CGI_PATH, WEB_USER, Report

# What the scripts, the commands and the tests import from mtpy.check.
__all__ = ["DATA_STORAGE", "OPTIONAL", "REQUIRED", "Finding", "ModuleCheck", "filesystem_type", "parse_mounts",
           "writable_error", "READY", "render_html", "render_text", "HIDDEN_FROM_STRANGERS", "RELATIVE_CGI_PATH",
           "WEB_USER", "Report"]
