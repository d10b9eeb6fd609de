"""mtpy as a new owner uploads it (the scripts, lib/, tmpl/, an empty archives/
and an mt.cfg naming CGIPath; no store yet), and the set-up they then make in a
browser: what the new-owner walks share."""

import os
import shutil

from support.sites import free_port, install_files

OWNER, PASSWORD = "Ada Owner", "correct horse battery"


class Upload:
    """An uploaded installation. `extra_config`: more mt.cfg lines (mail, limits)."""

    def __init__(self, folder, python, extlib=False, extra_config=""):
        self.folder = folder
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        cgi_bin = install_files(folder, python, copy_lib=extlib)
        self.archives = os.path.join(folder, "archives")
        os.makedirs(self.archives)
        if extlib:      # the pure-Python way a host without pip gets jinja2
            import jinja2
            import markupsafe
            for package in (jinja2, markupsafe):
                shutil.copytree(os.path.dirname(package.__file__),
                                os.path.join(folder, "extlib", package.__name__),
                                ignore=shutil.ignore_patterns("__pycache__", "*.so"))
        self.config_path = os.path.join(cgi_bin, "mt.cfg")
        with open(self.config_path, "w") as handle:
            handle.write("CGIPath %scgi-bin/\nLogFile ../mtpy.log\nMailTransfer debug\n"
                         "OneHourMaxPingsPerIP 0\nOneDayMaxPingsPerIP 0\n" % self.base + extra_config)

    @property
    def script(self):
        return self.base + "cgi-bin/mt.cgi"

    def log(self):
        path = os.path.join(self.folder, "mtpy.log")
        return open(path).read() if os.path.exists(path) else ""


def set_up_in_browser(page, upload, weblog="Ada's Walk", email="ada@example.com", filled_in=None):
    """mt.cgi's first visit: the set-up form filled in as the owner would, with
    the key they downloaded; ends on "Your weblog is ready". `filled_in(page)`
    is called before the form is sent (to photograph it)."""
    page.goto(upload.script)
    assert page.get_by_role("heading", name="Welcome to mtpy").is_visible()
    assert page.locator("#site_url").input_value() == upload.base
    assert page.locator("#site_path").input_value() == upload.archives
    with open(os.path.join(upload.folder, "data", "setup-key.txt")) as handle:    # as the owner downloads it
        page.locator("#setup_key").fill(handle.read())
    page.locator("#author_name").fill(OWNER)
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_again").fill(PASSWORD)
    page.locator("#blog_name").fill(weblog)
    if filled_in is not None:
        filled_in(page)
    page.get_by_role("button", name="Create my weblog").click()
    assert "Your weblog is ready" in page.content(), upload.log()
