"""Screenshots of mt.cgi for the README (`make screenshots`): a fresh upload
served by lighttpd, set up and used in headless Chromium as a new owner would,
so the pictures always show the application as it is.

Writes docs/screenshots/setup.png, entry-edit.png and pings.png.
"""

import os
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[0:0] = [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tests")]

from conftest import free_port, install_files, need, start_lighttpd  # noqa: E402

OUT = os.path.join(ROOT, "docs", "screenshots")
WIDTH = 1100


class Upload:
    def __init__(self, folder):
        self.folder = folder
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        cgi_bin = install_files(folder)
        os.makedirs(os.path.join(folder, "archives"))
        with open(os.path.join(cgi_bin, "mt.cfg"), "w") as handle:
            handle.write("CGIPath %scgi-bin/\nMailTransfer debug\nLogFile ../mtpy.log\n" % self.base)


def ping(url, fields):
    data = urllib.parse.urlencode(fields).encode("utf-8")
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as answer:
        return answer.read().decode("utf-8")


def main():
    os.makedirs(OUT, exist_ok=True)
    upload = Upload(os.path.join(tempfile.mkdtemp(prefix="mtpy-shots-"), "site"))
    server = start_lighttpd(upload)
    script = upload.base + "cgi-bin/mt.cgi"
    from playwright.sync_api import sync_playwright
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=need("chromium"), headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": WIDTH, "height": 800})
            page.goto(script)
            with open(os.path.join(upload.folder, "data", "setup-key.txt")) as handle:
                page.locator("#setup_key").fill(handle.read().strip())
            for field, value in (("#author_name", "Melody"), ("#email", "melody@example.com"),
                                 ("#password", "a long password"), ("#password_again", "a long password"),
                                 ("#blog_name", "Melody's Weblog")):
                page.locator(field).fill(value)
            page.screenshot(path=os.path.join(OUT, "setup.png"), full_page=True)
            page.get_by_role("button", name="Create my weblog").click()
            page.goto(script + "?__mode=entry_edit&blog_id=1")
            page.locator("#title").fill("Why TrackBack still matters")
            page.locator("#body").fill("A conversation between weblogs, one ping at a time.")
            page.locator("#status").select_option("Publish")
            page.get_by_role("button", name="Save entry").click()
            ping_url = page.locator("text=/mt-tb\\.cgi\\/\\d+/").first.inner_text().strip().split()[-1]
            for number, (title, weblog) in enumerate((("Re: Why TrackBack still matters", "Another Weblog"),
                                                      ("TrackBack, in <b>2026</b>", "A third weblog"))):
                ping(ping_url, {"url": "http://weblog%d.example/post" % number, "title": title,
                                "excerpt": "They linked to this entry and said so.", "blog_name": weblog})
            time.sleep(1)
            page.reload()
            page.screenshot(path=os.path.join(OUT, "entry-edit.png"), full_page=True)
            page.goto(script + "?__mode=pings&blog_id=1")
            page.screenshot(path=os.path.join(OUT, "pings.png"), full_page=True)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print("Wrote setup.png, entry-edit.png and pings.png in %s" % OUT)


if __name__ == "__main__":
    main()
