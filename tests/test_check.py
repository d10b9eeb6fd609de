"""mt-check.cgi through lighttpd, and `mtpy check`: in a Python with nothing but
the standard library it still answers and names what is missing; with
everything installed it says the server is ready."""

import html
import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, Site, http, start_lighttpd
from mtpy.check import READY


BLOCKED = ("jinja2", "filelock", "requests")
DEBIAN_PYTHON = "/usr/bin/python3"


def lacks_blocked(python):
    found = subprocess.run([python, "-s", "-c", "import importlib.util as u, sys; sys.exit(any(u.find_spec(m) "
                            "for m in %r))" % (BLOCKED,)], capture_output=True)
    return found.returncode == 0


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory):
    """A Python without jinja2, filelock or requests: Debian's own when it lacks
    them (the host's Python of the README), else a new venv without pip."""
    if os.path.exists(DEBIAN_PYTHON) and lacks_blocked(DEBIAN_PYTHON):
        return DEBIAN_PYTHON
    folder = tmp_path_factory.mktemp("bare") / "venv"
    base = getattr(sys, "_base_executable", None) or sys.executable
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    python = str(folder / "bin" / "python")
    assert lacks_blocked(python), "jinja2, filelock or requests is visible in the bare venv"
    return python


def check_page(tmp_path, python, query="", prepare=None):
    site = Site(tmp_path / "site", "sqlite", python=python, copy_lib=prepare is not None)
    if prepare is not None:
        prepare(site)
    process = start_lighttpd(site)
    try:
        return site, http(site.base + "cgi-bin/mt-check.cgi" + query)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_bare_python_names_what_is_missing(tmp_path, bare_python):
    site, result = check_page(tmp_path, bare_python)
    assert result.status == 200 and result.headers["Content-Type"] == "text/html; charset=utf-8"
    page = result.text
    assert "<h1>mtpy System Check</h1>" in page
    assert bare_python in page                                   # the Python that runs the scripts
    assert "Your server does not have jinja2 installed." in page
    # Unused by this installation's ObjectDriver (sqlite), or only adding features: optional, not red.
    assert ('<h3>filelock</h3>\n<p class="optional">Not installed; optional: needed only with ObjectDriver flat '
            'in mt.cfg.') in page
    assert ('<h3>psycopg</h3>\n<p class="optional">Not installed; optional: needed only with ObjectDriver postgres '
            'in mt.cfg.') in page
    assert '<h3>requests</h3>\n<p class="optional">Not installed; optional: mtpy runs without it.' in page
    assert page.count("does not have") == page.count('class="missing">Your server') == 1
    for module, package in (("jinja2", "'Jinja2>=3.1.6'"), ("filelock", "filelock"), ("requests", "requests")):
        assert "%s -m pip install --user %s" % (bare_python, package) in html.unescape(page)
        assert "%s -m pip install --target %s %s" % (bare_python, os.path.join(site.folder, "extlib"),
                                                     package) in html.unescape(page)
    assert "Your server has sqlite3 installed (SQLite library 3." in page
    assert "Needed to send TrackBack pings" in page
    assert READY not in page and "Missing required modules: jinja2." in page
    verdict = html.unescape(page[page.index('id="verdict"'):])
    assert 'id="not-ready"' in verdict and "Fix: install them as each one above says (into extlib/" in verdict


def test_everything_installed_says_ready(tmp_path):
    site, result = check_page(tmp_path, sys.executable)
    page = result.text
    for module in ("jinja2", "filelock", "requests", "sqlite3"):
        assert "Your server has %s installed (" % module in page
    # PostgreSQL's driver is an extra: reported either way, never required.
    if importlib.util.find_spec("psycopg") is not None:
        assert "Your server has psycopg installed (3." in page and "does not have" not in page
    else:
        assert "Not installed; optional: needed only with ObjectDriver postgres in mt.cfg." in page
        # Set up, the public page is a stranger's: it does not say where Python is.
        assert "python3 -m pip install --user 'psycopg[binary]'" in html.unescape(page)
        assert "does not have" not in page
    assert READY in page and 'id="ready"' in page
    # docs/lighttpd.conf keeps the config and the store from the web: asked for, they are refused.
    assert "The config cgi-bin/mt.cfg is not handed out: /cgi-bin/mt.cfg answered 403." in page
    assert "The store data/mtpy.db is not handed out: /data/mtpy.db answered 403." in page


def test_each_module_says_what_it_is_for_installed_or_not(tmp_path, bare_python):
    from mtpy.check import DATA_STORAGE, OPTIONAL, REQUIRED
    for number, python in enumerate((sys.executable, bare_python)):
        page = html.unescape(check_page(tmp_path / str(number), python)[1].text)
        for name, _, why, *_ in REQUIRED + DATA_STORAGE + OPTIONAL:
            assert why in page, (python, name)


def test_a_module_older_than_mtpy_needs_is_as_good_as_missing():
    """Jinja2 before 3.1.6 lacks sandbox fixes that templates written in mt.cgi
    rely on: mt-check says it is too old and how to get a newer one."""
    from mtpy.check import ModuleCheck
    from mtpy.check.render import _check_html
    import jinja2
    too_old = ModuleCheck("jinja2", "Jinja2", "Templates.", (99, 0))
    assert not too_old.installed and too_old.version == jinja2.__version__
    assert "older than 99.0" in too_old.error
    assert too_old.install_commands("/x/extlib", "python3")[0] == "python3 -m pip install --user 'Jinja2>=99.0'"
    page = html.unescape(_check_html(too_old, ("/x/extlib", "python3"), html.escape))
    assert "Your server has jinja2 %s, which is too old: mtpy needs 99.0 or later." % jinja2.__version__ in page
    assert ModuleCheck("jinja2", "Jinja2", "Templates.", (3, 1, 6)).installed


def test_the_weblog_templates_are_reported(tmp_path):
    site, result = check_page(tmp_path, sys.executable)
    said = re.search(r"10 of 10 default templates found: [^<]*", html.unescape(result.text)).group(0)
    # The public page names no absolute path (lib/ and tmpl/ are links out of the installation here).
    assert said.endswith("10 shipped with mtpy ((outside the installation's folder)), 0 from this "
                         "installation's own folder ((outside the installation's folder)).")


def test_missing_weblog_templates_are_not_ready(tmp_path):
    def lose_templates(site):
        shutil.rmtree(os.path.join(site.folder, "lib", "mtpy", "templates"))
    site, result = check_page(tmp_path, sys.executable, prepare=lose_templates)
    page = html.unescape(result.text)
    assert 'id="templates">No weblog templates in tmpl/weblog' in page
    assert READY not in page and "Missing required modules: the weblog templates." in page


def test_sys_check_stops_after_system_information(tmp_path):
    _, result = check_page(tmp_path, sys.executable, "?sys-check")
    assert "Python version" in result.text and "REQUIRED" not in result.text and READY not in result.text


def test_mtpy_check_exit_status(bare_python):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"))
    bare = subprocess.run([bare_python, "-m", "mtpy.cli", "check"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert bare.returncode == 1
    assert "jinja2: MISSING" in bare.stdout and "Missing required modules: jinja2." in bare.stdout
    full = subprocess.run([sys.executable, "-m", "mtpy.cli", "check"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert full.returncode == 0 and READY in full.stdout


def test_mtpy_check_flat_files_without_filelock(tmp_path, bare_python):
    """`mtpy check` in a Python without filelock, for a config that stores in flat files."""
    config = tmp_path / "cgi-bin" / "mt.cfg"
    config.parent.mkdir()
    config.write_text("ObjectDriver flat\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"))
    done = subprocess.run([bare_python, "-m", "mtpy.cli", "--config", str(config), "check"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "filelock: MISSING" in done.stdout and "Install it with:  %s -m pip install --user filelock" % (
        bare_python) in done.stdout
    assert ("Not ready: fix these, in this order.\n  1. Missing required modules: jinja2, filelock (for ObjectDriver "
            "flat). Fix: install them as each one above says" in done.stdout)
    assert READY not in done.stdout


@pytest.mark.parametrize("driver", ["sqlite", "flat", "postgres"])
def test_a_storage_module_is_needed_only_by_its_object_driver(tmp_path, monkeypatch, driver):
    """psycopg on a SQLite install (or filelock) is optional, not missing:
    only the module of the configured ObjectDriver is required."""
    from mtpy.check import Report, render_html, render_text
    for module in ("filelock", "psycopg"):
        monkeypatch.setitem(sys.modules, module, None)          # as if not installed
    config = tmp_path / "cgi-bin" / "mt.cfg"
    config.parent.mkdir()
    config.write_text("ObjectDriver %s\n" % driver)
    report = Report(str(tmp_path), str(config))
    page, text = render_html(report), render_text(report)
    for module, used_by in (("filelock", "flat"), ("psycopg", "postgres")):
        if driver == used_by:
            assert '<h3>%s</h3>\n<p class="missing">Your server does not have %s installed.' % (module, module) in page
            assert "  %s: MISSING." % module in text
            assert "Missing required modules: %s (for ObjectDriver %s)" % (module, driver) in text
        else:
            said = "Not installed; optional: needed only with ObjectDriver %s in mt.cfg." % used_by
            assert '<h3>%s</h3>\n<p class="optional">%s' % (module, said) in page
            assert "  %s: %s" % (module, said) in text
    assert ("Missing required modules" in text) == (driver != "sqlite")


def test_the_python_executable_is_found_when_sys_executable_is_empty(tmp_path, monkeypatch):
    """Under CGI sys.executable can be empty: the script's #! line names the
    Python (a venv's, as installed), else the python3 on the PATH."""
    from mtpy.check import Report
    from mtpy.check.probes import python_executable
    python = sys.executable
    script = tmp_path / "cgi-bin" / "mt-check.cgi"
    script.parent.mkdir()
    script.write_text("#!%s -S\nimport sys\n" % python)
    monkeypatch.setattr(sys, "executable", "")
    monkeypatch.setattr(sys, "_base_executable", "", raising=False)
    assert python_executable(str(script)) == python
    environ = {"SCRIPT_FILENAME": str(script), "REQUEST_METHOD": "GET", "SERVER_NAME": "127.0.0.1",
               "SERVER_PORT": "9", "HTTP_HOST": "127.0.0.1:9"}
    report = Report(str(tmp_path), str(script.parent / "mt.cfg"), environ=environ)
    assert ("Python executable", python) in report.system()
    script.write_text("#!/usr/bin/env python3\n")
    assert python_executable(str(script)) == shutil.which("python3")
    script.write_text("#!/no/such/python\n")
    assert python_executable(str(script)) == shutil.which("python3")       # the PATH's, as a last resort
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "missing.cgi")])
    assert python_executable(str(tmp_path / "missing.cgi")) == python_executable() == ""
    assert ("Python executable", "(not found)") in Report(str(tmp_path), str(script.parent / "mt.cfg")).system()


def test_unwritten_feeds_are_counted_in_the_plural_they_take(tmp_path):
    from mtpy.check import Report
    report = Report(str(tmp_path))
    for count, said in ((1, "1 TrackBack feed could not be written."), (2, "2 TrackBack feeds could not be written.")):
        report.unwritten_feeds = [(number, "archives/%d.xml" % number, "2026-12-07 10:00:00", "Permission denied")
                                  for number in range(1, count + 1)]
        assert said in [finding.what for finding in report.warnings()]
