"""mt.cgi's authors screens, in this process on every backend (the `cms` fixture): a system administrator adds an
author and says what they may do in which weblog; that author sees only that."""

from support.client import CMSClient
from support.sites import ADMIN_PASSWORD
from mtpy.models import Author, Blog, Permission


NEW_PASSWORD = "writer-secret-9"
CONFIRM = {"confirm_password": ADMIN_PASSWORD}     # asked again before these changes


def find_author(site, name):
    store = site.store()
    try:
        found = store.find(Author, name=name)
        return found[0] if found else None
    finally:
        store.close()


def permissions_of(site, author):
    store = site.store()
    try:
        return {permission.blog_id: permission.can for permission in store.find(Permission, author_id=author.id)}
    finally:
        store.close()


def add_weblog(site, name):
    store = site.store()
    blog = Blog(name=name, site_url=site.base + "two/", site_path=site.archives + "-two")
    store.save(blog)
    store.close()
    return blog


def test_an_admin_adds_an_author_who_sees_only_what_they_may(cms):
    site, admin = cms
    second = add_weblog(site, "Second Weblog")
    listing = admin.get("authors")
    assert listing.status == 200 and "Melody" in listing.text and "System administrator" in listing.text
    # Refused input: shown next to its field, what was typed kept
    mismatch = admin.post("authors", {"name": "Writer", "email": "writer@example.com", "password": NEW_PASSWORD,
                                      "password_again": "something else", **CONFIRM})
    assert mismatch.status == 200 and 'id="password_again-error">The two passwords differ.' in mismatch.text
    assert 'value="Writer"' in mismatch.text and 'value="writer@example.com"' in mismatch.text
    taken = admin.post("authors", {"name": "Melody", "email": "m2@example.com", "password": NEW_PASSWORD,
                                   "password_again": NEW_PASSWORD, **CONFIRM})
    assert 'id="name-error">There is already an author named &#39;Melody&#39;' in taken.text
    short = admin.post("authors", {"name": "Writer", "email": "writer@example.com", "password": "short",
                                   "password_again": "short", **CONFIRM})
    assert 'id="password-error">A password needs at least 8 characters' in short.text
    bad_email = admin.post("authors", {"name": "Writer", "email": "<nope>", "password": NEW_PASSWORD,
                                       "password_again": NEW_PASSWORD, **CONFIRM})
    assert 'id="email-error">Not an e-mail address: &#39;&lt;nope&gt;&#39;' in bad_email.text
    assert find_author(site, "Writer") is None
    # Added, then given "post" in weblog 1 only
    created = admin.post("authors", {"name": "Writer", "email": "writer@example.com", "password": NEW_PASSWORD,
                                     "password_again": NEW_PASSWORD, **CONFIRM})
    assert created.status == 200 and "Created." in created.text and "__mode=author_edit" in created.url
    writer = find_author(site, "Writer")
    assert writer is not None and not writer.is_admin and permissions_of(site, writer) == {}
    assert 'name="can_%d" value="post"' % second.id in created.text
    saved = admin.post("author_edit", [("can_%d" % site.blog.id, "post"), *CONFIRM.items()], id=writer.id)
    assert "Your changes have been saved." in saved.text
    assert 'id="can-%d-post" name="can_%d" value="post" checked' % (site.blog.id, site.blog.id) in saved.text
    assert permissions_of(site, writer) == {site.blog.id: ["post"]}
    listing = admin.get("authors").text
    assert "writer@example.com" in listing and "Test Weblog" in listing.split("writer@example.com")[1]
    # The author logs in: weblog 1 only, and none of the screens they may not use
    browser = CMSClient(site.base)
    browser.log_in("Writer", NEW_PASSWORD)
    dashboard = browser.get("dashboard").text
    assert "Test Weblog" in dashboard and "Second Weblog" not in dashboard
    assert ">TrackBacks</a>" not in dashboard and ">Authors</a>" not in dashboard
    for mode in ("pings", "bans"):
        assert browser.get(mode, blog_id=site.blog.id).status == 403
    assert browser.get("authors").status == 403
    assert browser.get("author_edit", id=writer.id).status == 403
    assert browser.get("pings", blog_id=second.id).status == 404
    assert browser.get("bans", blog_id=second.id).status == 404
    # ...nor do what those screens do by posting to them
    browser.get("dashboard")
    assert browser.post("authors", {"name": "Sneaky", "email": "s@example.com", "password": NEW_PASSWORD,
                                    "password_again": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}).status == 403
    assert browser.post("ban_add", {"address": "10.0.0.1"}, blog_id=site.blog.id).status == 403
    assert find_author(site, "Sneaky") is None


def test_permissions_per_weblog_and_the_admin_flag(cms):
    site, admin = cms
    second = add_weblog(site, "Second Weblog")
    admin.post("authors", {"name": "Editor", "email": "editor@example.com", "password": NEW_PASSWORD,
                           "password_again": NEW_PASSWORD, **CONFIRM})
    editor = find_author(site, "Editor")
    page = admin.get("author_edit", id=editor.id)
    for name in ("post", "edit_all", "categories", "templates", "settings", "bans"):
        assert 'name="can_%d" value="%s"' % (site.blog.id, name) in page.text
    assert "Edit all entries and pings" in page.text and "<legend>Second Weblog</legend>" in page.text
    admin.post("author_edit", [("can_%d" % site.blog.id, "edit_all"), ("can_%d" % site.blog.id, "bans"),
                               ("can_%d" % second.id, "post"), ("can_%d" % second.id, "nonsense"),
                               *CONFIRM.items()], id=editor.id)
    assert permissions_of(site, editor) == {site.blog.id: ["edit_all", "bans"], second.id: ["post"]}
    admin.post("author_edit", [("can_%d" % site.blog.id, "bans"), *CONFIRM.items()], id=editor.id)
    assert permissions_of(site, editor) == {site.blog.id: ["bans"], second.id: []}
    # An administrator cannot remove their own rights
    melody = find_author(site, "Melody")
    own = admin.post("author_edit", [*CONFIRM.items()], id=melody.id)
    assert own.status == 200 and "You cannot remove your own system administrator rights" in own.text
    assert find_author(site, "Melody").is_admin
    # ...but may give and take another's
    admin.post("author_edit", [("is_admin", "1"), *CONFIRM.items()], id=editor.id)
    assert find_author(site, "Editor").is_admin
    assert "System administrator" in admin.get("authors").text.split("editor@example.com")[1]
    admin.post("author_edit", [*CONFIRM.items()], id=editor.id)
    assert not find_author(site, "Editor").is_admin
    # Without the administrator's password typed again, or with a wrong one, nothing changes
    for fields in ([("is_admin", "1"), ("can_%d" % second.id, "templates")],
                   [("is_admin", "1"), ("can_%d" % second.id, "templates"), ("confirm_password", "not-it-at-all")]):
        refused = admin.post("author_edit", fields, id=editor.id)
        assert refused.status == 200 and 'id="confirm_password-error">Your password was not right' in refused.text
    assert not find_author(site, "Editor").is_admin
    assert permissions_of(site, editor) == {site.blog.id: [], second.id: []}
    refused = admin.post("authors", {"name": "Other", "email": "other@example.com", "password": NEW_PASSWORD,
                                     "password_again": NEW_PASSWORD, "is_admin": "1"})
    assert 'id="confirm_password-error">' in refused.text and find_author(site, "Other") is None
    assert admin.get("author_edit", id=9999).status == 404
