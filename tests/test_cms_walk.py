"""A new weblog owner's whole path in headless Chromium, through a real web
server running the scripts as CGI: lighttpd, and Apache with the CGIs running as
www-data and the system Python finding jinja2 in extlib/ (as after an upload).

Set-up, log in, a category with a passphrase, an entry that takes pings,
publish, the RDF on the published page, pings to the entry and the category
(passphrase right and wrong), the pings in mt.cgi, a ban and the refused ping
that follows, a deleted ping gone from every place that showed it, a template
edited and rebuilt, and logging out."""

import os
import re
import shutil
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

import pytest

from conftest import http, start_lighttpd, wait_for
from support.http import SUCCESS, post
from support.servers import start_apache
from support.uploads import OWNER, PASSWORD, Upload, set_up_in_browser

RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
TRACKBACK = "{http://madskills.com/public/xml/rss/module/trackback/}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture(params=["lighttpd", "apache"])
def uploaded(request, tmp_path):
    if request.param == "apache":
        if os.geteuid() != 0:
            pytest.skip("Apache is started as root here, its CGIs run as www-data")
        folder = tempfile.mkdtemp(prefix="mtpy-walk-")     # www-data cannot enter pytest's 0700 tmp
        os.chmod(folder, 0o755)
        upload = Upload(os.path.join(folder, "site"), "/usr/bin/python3", extlib=True)
        process = start_apache(upload)
    else:
        folder = None
        upload = Upload(str(tmp_path / "site"), sys.executable)
        process = start_lighttpd(upload)
    upload.server = request.param
    try:
        yield upload
    finally:
        process.terminate()
        process.wait(timeout=10)
        if folder:
            shutil.rmtree(folder, ignore_errors=True)


def rdf_ping_url(page_text, permalink):
    """The ping URL of the RDF block whose dc:identifier is the page: what a
    sender's auto-discovery reads."""
    for block in re.findall(r"<rdf:RDF.*?</rdf:RDF>", page_text, re.S):
        description = ElementTree.fromstring(block).find(RDF + "Description")
        if description is not None and description.get(DC + "identifier") == permalink:
            return description.get(TRACKBACK + "ping")
    return None


def test_a_new_owner_walks_the_whole_path(uploaded, browser):
    site = uploaded
    script = site.base + "cgi-bin/mt.cgi"
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # First visit: set-up, with the weblog's URL and folder proposed.
    set_up_in_browser(page, site)

    # Log out and in again through the form.
    page.get_by_role("button", name="Log out").click()
    page.locator("#username").fill(OWNER)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert "Ada's Walk" in page.locator("main").inner_text()

    # A category that takes pings with a passphrase.
    page.goto(script + "?__mode=categories&blog_id=1")
    page.locator("#label").fill("Links")
    page.get_by_role("button", name="Add category").click()        # then its edit screen
    page.locator("#allow_pings").check()
    page.locator("#passphrase").fill("sesame")
    page.get_by_role("button", name="Save changes").click()
    category_url = re.search(r"(http://127\.0\.0\.1:\d+/cgi-bin/mt-tb\.cgi/\d+/sesame)", page.content()).group(1)

    # An entry in it that takes pings, published.
    page.goto(script + "?__mode=entry_edit&blog_id=1")
    page.locator("#title").fill("Walking <mtpy>")
    page.locator("#body").fill("The first entry of the walk.")
    page.locator("#category_id").select_option(label="Links")
    page.locator("#status").select_option("Publish")
    assert page.locator("#allow_pings").is_checked()
    page.get_by_role("button", name="Save entry").click()
    assert "Walking &lt;mtpy&gt;" in page.content()

    # The published page carries its RDF; the index links to it.
    index = wait_for(lambda: "Walking &lt;mtpy&gt;" in http(site.base).text and http(site.base).text)
    assert index, "the entry was not published"
    permalink = re.search(r'href="(%s[^"]+\.html)"' % re.escape(site.base), index).group(1)
    entry_page = http(permalink).text
    ping_url = rdf_ping_url(entry_page, permalink)
    assert ping_url and ping_url.startswith(site.base + "cgi-bin/mt-tb.cgi/")

    # Remote weblogs ping the entry and the category (the passphrase right and wrong).
    assert post(ping_url, {"url": "http://remote.example/reply", "title": "A <b>reply</b>",
                           "excerpt": "<script>alert(1)</script>Nice walk", "blog_name": "Remote"}).text == SUCCESS
    assert post(category_url, {"url": "http://remote.example/links", "title": "Linked"}).text == SUCCESS
    wrong = post(category_url.rsplit("/", 1)[0] + "/wrong", {"url": "http://remote.example/x"}).text
    assert "<error>1</error>" in wrong and "passphrase" in wrong
    assert wait_for(lambda: "TrackBack (1)" in http(permalink).text or "TrackBacks (1)" in http(permalink).text)

    # The pings in mt.cgi; the script in one never runs.
    page.goto(script + "?__mode=pings&blog_id=1")
    content = page.content()
    assert "A reply" in content and "Linked" in content and "alert(1)Nice walk" in content
    assert not dialogs

    # Ban the sender: its next ping is refused.
    page.get_by_role("button", name=re.compile(r"^Ban \d")).first.click()
    assert "The address is banned" in page.content()
    refused = post(ping_url, {"url": "http://remote.example/again", "title": "Again"}).text
    assert "<error>1</error>" in refused and "not allowed" in refused
    page.goto(script + "?__mode=bans&blog_id=1")
    page.get_by_role("button", name="Remove the ban").first.click()

    # Delete the entry's ping: gone from the page, the popup, __mode=rss and ID.xml.
    page.goto(script + "?__mode=pings&blog_id=1")
    page.get_by_role("checkbox", name=re.compile("reply")).check()
    page.get_by_role("button", name="Delete selected").first.click()
    page.get_by_role("button", name="Delete 1 ping").click()
    assert "Deleted." in page.content()
    item_id = ping_url.rsplit("/", 1)[1]
    entry_id = re.search(r"entry_id=(\d+)", http(permalink).text).group(1)
    assert wait_for(lambda: "A reply" not in http(permalink).text)
    assert "A reply" not in http(site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=%s" % entry_id).text
    assert "remote.example/reply" not in http(ping_url + "?__mode=rss").text
    assert "remote.example/reply" not in http(site.base + "%s.xml" % item_id).text

    # Edit the Main Index and rebuild it from the editor.
    page.goto(script + "?__mode=template_edit&blog_id=1&name=Main+Index")
    text = page.locator("textarea").input_value()
    page.locator("textarea").fill(text.replace("</body>", "<p>Edited in the walk</p></body>"))
    page.locator("#confirm_password").fill(PASSWORD)
    page.get_by_role("button", name="Save and rebuild").click()
    page.wait_for_url(re.compile("saved=rebuilt|rebuild_step|__mode=rebuild"), timeout=60000)
    assert wait_for(lambda: "Edited in the walk" in http(site.base).text, seconds=60)

    # Log out: nothing is reachable but the login page.
    page.goto(script)
    page.get_by_role("button", name="Log out").click()
    for mode in ("dashboard", "entries&blog_id=1", "pings&blog_id=1", "templates&blog_id=1"):
        page.goto(script + "?__mode=" + mode)
        assert page.get_by_role("heading", name="Log in to mtpy").is_visible(), mode
    assert not dialogs
    assert "Traceback" not in site.log()
