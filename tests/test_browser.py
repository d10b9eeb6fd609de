"""A visitor in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright): clicking an entry's `TrackBack (N)` link on a published page opens
the listing popup."""

import pytest

from conftest import start_lighttpd
from support.http import SUCCESS, post
from support.publishing import rebuild, wait_for_text


@pytest.mark.parametrize("backend", ["sqlite"])
def test_trackback_link_opens_the_popup(site, browser):
    rebuild(site)
    process = start_lighttpd(site)
    try:
        assert post(site.ping_url(), {"url": "http://remote.example/post", "title": "A <b>remote</b> reply",
                                      "excerpt": "They said <script>window.pwned=1</script>nice things",
                                      "blog_name": "Remote Weblog"}).text == SUCCESS
        assert wait_for_text(site.base, "TrackBack (1)</a>")
        page = browser.new_page()
        page.goto(site.base, timeout=30000)
        link = page.get_by_text("TrackBack (1)")
        with page.expect_popup(timeout=30000) as opened:
            link.click()
        popup = opened.value
        popup.wait_for_load_state(timeout=30000)
        assert page.url == site.base                        # the page itself did not navigate
        assert popup.url == "%scgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % (site.base, site.entry.id)
        assert popup.title() == "Test Weblog: Discussion on Hello <World> & Co"
        assert popup.evaluate("window.name") == "trackback"
        assert popup.locator(".trackback-url").inner_text().strip().endswith(site.ping_url())
        body = popup.locator(".trackback-body")
        assert body.count() == 1
        title_link = body.locator("a")
        assert title_link.inner_text() == "A remote reply"
        assert title_link.get_attribute("href") == "http://remote.example/post"
        assert title_link.get_attribute("rel") == "nofollow"
        assert "They said window.pwned=1nice things" in body.inner_text()
        assert "from Remote Weblog" in body.locator(".trackback-post").inner_text()
        assert popup.evaluate("window.pwned") is None      # the ping's script never ran
        assert popup.evaluate("window.innerWidth") <= 480
    finally:
        process.terminate()
        process.wait(timeout=10)
