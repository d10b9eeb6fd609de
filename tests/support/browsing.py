"""mt.cgi in headless Chromium (the `browser` fixture): what browser tests share."""

from support.sites import ADMIN_PASSWORD


def log_in(page, site, name=None, password=ADMIN_PASSWORD):
    """Log `page` into the site's mt.cgi as its author (or `name`); returns mt.cgi's URL."""
    script = site.base + "cgi-bin/mt.cgi"
    page.goto(script + "?__mode=login")
    page.locator("#username").fill(name or site.author.name)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Log in").click()
    return script
