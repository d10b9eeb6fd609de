"""Issue 23's new-owner walk, in headless Chromium through lighttpd running the
scripts as CGI, with mail through a real SMTP server (aiosmtpd): set-up, a
forgotten password reset by mail, an expired session during a save, moderation of
30 pings by per-row and bulk actions, a new index template, an entry preview, and
the weblog read at 360 px.

With MTPY_SCREENSHOTS set to a folder (`make screenshots`: docs/screenshots/), the
walk also photographs each screen it changed at 1280 and 360 px wide.
"""

import email
import email.policy
import os
import re
import sys

import pytest

from conftest import http, start_lighttpd, wait_for
from support.http import SUCCESS, post
from support.moderation import act_on_rows
from support.uploads import OWNER, PASSWORD, Upload, set_up_in_browser

NEW_PASSWORD = "a brand new passphrase"
WIDTHS = (1280, 360)


class Camera:
    """Full-page screenshots at both widths into MTPY_SCREENSHOTS (nothing
    without it); the page is left at the width it had."""

    TALLEST = 1800      # px of a long page: its top says what it is

    def __init__(self):
        self.folder = os.environ.get("MTPY_SCREENSHOTS")
        self.taken = []

    def shoot(self, page, name, focus=None):
        """`focus`: a selector whose element the picture starts a little above,
        for a screen whose point lies below the first 1800 px."""
        if not self.folder:
            return
        os.makedirs(self.folder, exist_ok=True)
        size = page.viewport_size
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            path = os.path.join(self.folder, "%s-%d.png" % (name, width))
            total = page.evaluate("document.scrollingElement.scrollHeight")
            top = 0
            if focus:
                top = max(0, page.evaluate("(s) => document.querySelector(s).getBoundingClientRect().top"
                                           " + window.scrollY", focus) - 400)
            height = min(total - top, self.TALLEST)
            page.screenshot(path=path, full_page=True, clip={"x": 0, "y": top, "width": width, "height": height})
            self.taken.append(path)
        page.set_viewport_size(size)


@pytest.fixture
def walk(tmp_path, smtp):
    controller, collector = smtp
    upload = Upload(str(tmp_path / "site"), sys.executable,
                    extra_config="MailTransfer smtp\nSMTPServer 127.0.0.1:%d\nEmailAddressMain mt@example.com\n"
                    "OneHourMaxPings 100\nOneDayMaxPings 100\n"
                    % controller.port)
    process = start_lighttpd(upload)
    upload.mail = collector
    try:
        yield upload
    finally:
        process.terminate()
        process.wait(timeout=10)


def mail_to(collector, address, words):
    """The text of the newest message to `address` with `words` in its subject
    or its text."""
    def found():
        for sender, recipients, raw in reversed(collector.messages):
            message = email.message_from_bytes(raw, policy=email.policy.default)
            text = message.get_content().replace("\r\n", "\n")
            if address in recipients and (words in message["Subject"] or words in text):
                return text
        return None
    return wait_for(found)


def log_in(page, upload, password):
    page.goto(upload.script + "?__mode=login")
    page.locator("#username").fill(OWNER)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_a_new_owner_walks_through_a_day_without_a_shell(walk, browser):
    site, camera = walk, Camera()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    set_up_in_browser(page, site, filled_in=lambda page: camera.shoot(page, "setup"))

    # -- A forgotten password, reset through the mail ---------------------------
    page.get_by_role("button", name="Log out").click()
    page.goto(site.script + "?__mode=login")
    camera.shoot(page, "login")
    page.get_by_role("link", name="Forgot your password?").click()
    page.locator("#name").fill("ada@example.com")
    camera.shoot(page, "forgot")
    page.get_by_role("button", name="Send me a link").click()
    assert "on its way" in page.content()
    text = mail_to(site.mail, "ada@example.com", "Your password")
    assert text, "no reset mail reached the SMTP server; log: %s" % site.log()
    link = re.search(r"(http://127\.0\.0\.1:\d+/cgi-bin/mt\.cgi\?__mode=reset&token=[\w-]+)", text).group(1)
    page.goto(link)
    assert "Choose a new password" in page.content()
    page.locator("#password").fill(NEW_PASSWORD)
    page.locator("#password_again").fill(NEW_PASSWORD)
    camera.shoot(page, "reset")
    page.get_by_role("button", name="Set my password").click()
    assert "Your password was changed" in page.content()
    assert http(link).status == 410                        # single use
    page.get_by_role("button", name="Log out").click()
    log_in(page, site, PASSWORD)
    assert "Invalid login" in page.content()               # the old password is gone
    log_in(page, site, NEW_PASSWORD)
    assert "Ada's Walk" in page.locator("main").inner_text()

    # -- An entry, previewed then published --------------------------------------------
    page.goto(site.script + "?__mode=entry_edit&blog_id=1")
    page.locator("#title").fill("A day without a shell")
    page.locator("#body").fill("Everything from the browser, even a forgotten password.")
    page.locator("#status").select_option("Publish")
    page.get_by_role("button", name="Preview").click()
    assert "Preview — not published." in page.content()
    frame = page.frame_locator("iframe.preview")
    assert "Everything from the browser" in frame.locator("body").inner_text()
    camera.shoot(page, "entry-preview")
    assert "A day without a shell" not in http(site.base).text          # nothing written by a preview
    page.get_by_role("button", name="Save entry").click()
    index = wait_for(lambda: "A day without a shell" in http(site.base).text and http(site.base).text)
    assert index, "the entry was not published: %s" % site.log()
    permalink = re.search(r'href="(%s[^"]+\.html)"' % re.escape(site.base), index).group(1)

    # -- 30 pings moderated by per-row and bulk actions ---------------------------------
    ping_url = re.search(r'trackback:ping="([^"]+)"', http(permalink).text).group(1)
    for number in range(30):
        links = " See http://weblog%d.example/a and http://weblog%d.example/b." % (number, number) \
            if number % 10 == 9 else ""
        answer = post(ping_url, {"url": "http://weblog%d.example/post" % number, "title": "Ping %d" % number,
                                 "blog_name": "Weblog %d" % number, "excerpt": "They wrote about it." + links})
        assert answer.text == SUCCESS, answer.text
    page.goto(site.script + "?__mode=pings&blog_id=1")
    tab = page.get_by_role("link", name=re.compile(r"^TrackBacks \((\d+) held\)$"))
    held = int(re.search(r"\((\d+) held\)", tab.inner_text()).group(1))
    assert 20 <= held < 30          # a new weblog holds suspicious pings: floods, two links or more
    camera.shoot(page, "pings")
    act_on_rows(page, approve=("Ping 9", "Weblog 9"), junk=("Ping 19", "Weblog 19"), delete=("Ping 29", "Weblog 29"))
    page.goto(site.script + "?__mode=pings&blog_id=1&show=held")
    page.get_by_role("link", name="Select all on this page").first.click()
    assert page.locator("input[name=id]:checked").count() == held - 3
    camera.shoot(page, "pings-held-selected")
    page.get_by_role("button", name="Approve selected").first.click()
    assert "The pings are visible now." in page.content()
    assert page.get_by_role("link", name="TrackBacks", exact=True).count() == 1     # none held now
    assert wait_for(lambda: "Ping 28" in http(permalink).text and "Ping 9" in http(permalink).text)
    assert "Ping 19" not in http(permalink).text and "Ping 29" not in http(permalink).text
    # The mail of a published ping links to a confirmation; the GET itself changes nothing.
    text = mail_to(site.mail, "ada@example.com", "Title: Ping 0\n")
    assert text, "no notification mail for Ping 0"
    junk_link = re.search(r"Mark it as junk:\s*(\S+)", text).group(1)
    page.goto(junk_link)
    assert "Ping 0" in http(permalink).text
    camera.shoot(page, "ping-confirm")
    page.get_by_role("button", name="Mark it as junk").click()
    assert wait_for(lambda: "Ping 0" not in http(permalink).text)
    page.goto(site.script + "?__mode=entry_edit&blog_id=1&entry_id=1")
    assert page.locator(".ping-count").inner_text().startswith("27 published, 2 junk (29 in all)")
    camera.shoot(page, "entry-edit", focus=".ping-count")

    # -- A long entry saved after the session ended: nothing lost -------------------
    long_text = "\n\n".join("Paragraph %d of a long entry, with é and ☃." % number for number in range(300))
    page.goto(site.script + "?__mode=entry_edit&blog_id=1")
    page.locator("#title").fill("Written while the session ended")
    page.locator("#body").fill(long_text)
    page.locator("#status").select_option("Publish")
    page.context.clear_cookies()                                       # the session ends meanwhile
    page.get_by_role("button", name="Save entry").click()
    assert page.get_by_role("heading", name="Log in to mtpy").is_visible()
    assert "Your session had ended" in page.locator("main p.warning").inner_text()
    camera.shoot(page, "login-after-ended-session")
    page.locator("#username").fill(OWNER)
    page.locator("#password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert "Check and save again." in page.content()
    assert page.locator("#body").input_value() == long_text
    assert page.locator("#title").input_value() == "Written while the session ended"
    assert page.locator("#status").input_value() == "Publish"
    camera.shoot(page, "entry-kept-after-login")
    page.get_by_role("button", name="Save entry").click()
    page.wait_for_load_state()
    assert re.search(r"entry_id=2&saved=(created|published)", page.url), page.url
    assert wait_for(lambda: "Paragraph 299 of a long entry" in http(site.base).text), site.log()

    # -- A new index template, published by a rebuild ------------------------------------
    page.goto(site.script + "?__mode=templates&blog_id=1")
    page.get_by_role("link", name="New index template").click()
    page.get_by_label("Template name").fill("About")
    page.get_by_label("Output file").fill("about.html")
    page.get_by_label("Template text").fill("<html><body><h1>About <$MTBlogName$></h1></body></html>")
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    camera.shoot(page, "template-new")
    page.get_by_role("button", name="Create template").click()
    assert "Edit template: About" in page.content()
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save and rebuild").click()
    assert wait_for(lambda: "About Ada&#39;s Walk" in http(site.base + "about.html").text
                    or "About Ada's Walk" in http(site.base + "about.html").text, seconds=60), site.log()
    page.goto(site.script + "?__mode=templates&blog_id=1")
    camera.shoot(page, "templates")

    # -- A ban from a ping's row says when and why ------------------------------------------
    page.goto(site.script + "?__mode=pings&blog_id=1")
    page.get_by_role("button", name="Ban 127.0.0.1").first.click()
    page.goto(site.script + "?__mode=bans&blog_id=1")
    row = page.locator("main table tbody tr").first.inner_text()
    assert "127.0.0.1" in row and "Sent the ping" in row and OWNER in row
    camera.shoot(page, "bans")
    refused = post(ping_url, {"url": "http://weblog99.example/post", "title": "Banned"}).text
    assert "<error>1</error>" in refused
    page.goto(site.script + "?__mode=activity")
    assert "Password reset for " + OWNER in page.locator("main").inner_text()
    camera.shoot(page, "activity")

    # -- The weblog read at 360 px --------------------------------------------------
    phone = browser.new_page(viewport={"width": 360, "height": 740})
    for url in (site.base, permalink, site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=1"):
        phone.goto(url)
        assert phone.evaluate("document.scrollingElement.scrollWidth") <= 360, url
        sizes = phone.evaluate(           # of every element that holds text of its own
            "Array.from(document.body.querySelectorAll('*')).filter(e => Array.from(e.childNodes).some("
            "n => n.nodeType === 3 && n.textContent.trim())).map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert sizes and min(sizes) >= 14, (url, sizes)
    assert "TrackBack URL for this entry" in phone.content()
    phone.close()
    for name, url in (("weblog-index", site.base), ("weblog-entry", permalink),
                      ("weblog-popup", site.base + "cgi-bin/mt-tb.cgi?__mode=view&entry_id=1"),
                      ("mt-check", site.base + "cgi-bin/mt-check.cgi")):
        page.goto(url)
        camera.shoot(page, name)
    page.goto(site.script)
    assert page.get_by_role("heading", name="Your weblogs").is_visible()
    camera.shoot(page, "dashboard")
    assert not dialogs
    assert "Traceback" not in site.log()
