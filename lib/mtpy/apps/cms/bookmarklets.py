"""The TrackBack bookmarklet: setting it up, and the QuickPost window it opens."""

from mtpy.apps.cms.screen import mode


@mode("bookmarklets")
def bookmarklets(screen):
    return screen.render("bookmarklets.html")
