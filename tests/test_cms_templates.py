"""mt.cgi's Templates screens, in this process on every backend (the `cms` fixture): the list, the editor (saved
through the same check as `mtpy template set`, "Save and rebuild"), restoring
the default, and names that are not templates of the set."""

import html
import os
import re

import pytest

from support.environment import ROOT
from support.sites import ADMIN_PASSWORD
from support.client import follow_steps
from support.sites import activity


SHIPPED = os.path.join(ROOT, "lib", "mtpy", "templates", "weblog")


def textarea(page):
    found = re.search(r'<textarea id="text" name="text"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert found, page[:3000]
    return html.unescape(found.group(1))


def shipped(filename):
    with open(os.path.join(SHIPPED, filename), encoding="utf-8") as handle:
        return handle.read()


def weblog_copy(site, filename="main-index.mtml"):
    path = os.path.join(site.config.get("DataSource"), "templates", "blog-%d" % site.blog.id, filename)
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def index_html(site):
    with open(os.path.join(site.archives, "index.html"), encoding="utf-8") as handle:
        return handle.read()


def edit(client, site, name, text, rebuild=False, password=ADMIN_PASSWORD):
    client.get("template_edit", blog_id=site.blog.id, name=name)
    fields = {"text": text, "save_rebuild" if rebuild else "save": "1", "confirm_password": password}
    return client.post("template_edit", fields, blog_id=site.blog.id, name=name)


def test_the_list_names_each_template_and_links_to_its_editor(cms):
    site, client = cms
    page = client.get("templates", blog_id=site.blog.id)
    assert page.status == 200
    for name in ("Main Index", "RSS 2.0 Index", "Individual Entry Archive", "Date-Based Archive", "Sidebar"):
        assert ">%s</strong>" % name in page.text
    assert "<code>index.html</code>" in page.text and "One page per entry" in page.text
    assert "__mode=template_edit&amp;blog_id=%d&amp;name=Main+Index" % site.blog.id in page.text
    assert 'aria-current="page">Templates</a>' in page.text


def test_edit_and_rebuild_changes_the_published_page(cms):
    site, client = cms
    page = client.get("template_edit", blog_id=site.blog.id, name="Main Index")
    assert page.status == 200 and textarea(page.text) == shipped("main-index.mtml")
    new = shipped("main-index.mtml").replace("<body>", '<body>\n<p class="edited">Edited <$MTBlogName$></p>', 1)
    assert new != shipped("main-index.mtml")
    first = edit(client, site, "Main Index", new.replace("\n", "\r\n"), rebuild=True)
    done, _ = follow_steps(client, first)
    assert "Only the index templates: all" in done.text
    assert '<p class="edited">Edited Test Weblog</p>' in index_html(site)
    assert weblog_copy(site) == new                              # CRLF from the browser stored as LF
    assert [line.message for line in activity(site, "settings")] == ["Changed template Main Index"]
    # Without the password typed again (or with a wrong one), nothing is saved
    for password in ("", "not-my-password"):
        refused = edit(client, site, "Main Index", "<p>Replaced</p>\n", password=password)
        assert 'id="confirm_password-error">Your password was not right: nothing was changed.' in refused.text
        assert textarea(refused.text) == "<p>Replaced</p>\n" and weblog_copy(site) == new
    # Saved without rebuilding: the editor shows the new text and says so.
    again = edit(client, site, "Main Index", new + "<!-- more -->\n")
    assert again.status == 200 and "Your changes have been saved." in again.text
    assert textarea(again.text) == new + "<!-- more -->\n"


def test_a_broken_template_is_refused_and_the_old_one_stays(cms):
    site, client = cms
    follow_steps(client, edit(client, site, "Main Index", shipped("main-index.mtml"), rebuild=True))
    published = index_html(site)
    broken = "<html>\n<MTEntries>\n<$MTEntryTitle$>\n</textarea><script>alert(1)</script>\n"
    page = edit(client, site, "Main Index", broken)
    assert page.status == 200
    message = re.search(r'<p class="form-error" id="text-error" role="alert">(.*?)</p>', page.text, re.S)
    assert message and "MTEntries" in message.group(1) and "Main Index" in message.group(1)
    assert "line 2" in message.group(1)
    assert page.text.index('id="text-error"') < page.text.index("<textarea")      # above the text
    assert textarea(page.text) == broken                                          # what was typed, kept
    assert "<script>alert(1)</script>" not in page.text                           # and escaped
    assert weblog_copy(site) == shipped("main-index.mtml")
    follow_steps(client, client.post("rebuild", {"what": "index"}, blog_id=site.blog.id))
    assert index_html(site) == published


def test_translation_warnings_are_shown(cms):
    site, client = cms
    text = shipped("main-index.mtml").replace("<body>", "<body><MTComments></MTComments>", 1)
    page = edit(client, site, "Main Index", text)
    assert "Your changes have been saved." in page.text
    assert "Tags in this template that have no effect in mtpy:" in page.text
    assert "&lt;MTComments&gt; (comments) renders nothing: mtpy has no comments" in page.text


def test_restore_puts_the_default_back(cms):
    site, client = cms
    edit(client, site, "Individual Entry Archive", "<p><$MTEntryTitle$></p>\n")
    assert weblog_copy(site, "entry-archive.mtml") == "<p><$MTEntryTitle$></p>\n"
    listing = client.get("templates", blog_id=site.blog.id)
    assert '<span class="status">Edited</span>' in listing.text
    editor = client.get("template_edit", blog_id=site.blog.id, name="Individual Entry Archive")
    assert "__mode=template_restore" in editor.text
    confirm = client.get("template_restore", blog_id=site.blog.id, name="Individual Entry Archive")
    assert confirm.status == 200 and "Your changes to it are lost" in confirm.text
    assert weblog_copy(site, "entry-archive.mtml") == "<p><$MTEntryTitle$></p>\n"     # asking changes nothing
    refused = client.post("template_restore", {"confirm_password": "not-my-password"}, blog_id=site.blog.id,
                          name="Individual Entry Archive")
    assert 'id="confirm_password-error">Your password was not right' in refused.text
    assert weblog_copy(site, "entry-archive.mtml") == "<p><$MTEntryTitle$></p>\n"
    done = client.post("template_restore", {"confirm_password": ADMIN_PASSWORD}, blog_id=site.blog.id,
                       name="Individual Entry Archive")
    assert done.status == 200 and "The template was restored to the default." in done.text
    assert weblog_copy(site, "entry-archive.mtml") == shipped("entry-archive.mtml")
    assert textarea(done.text) == shipped("entry-archive.mtml")
    assert "__mode=template_restore" not in done.text            # nothing left to restore
    assert [line.message for line in activity(site, "settings")][-1] == \
        "Restored template Individual Entry Archive to the default"


@pytest.mark.parametrize("name", ["../../mt.cfg", "../../cgi-bin/mt.cfg", "main-index.mtml",
                                  "../blog-1/main-index.mtml", "/etc/passwd", "Main Index/../../mt.cfg",
                                  "Main Index\x00", ""])
def test_a_name_not_in_the_set_is_not_found(cms, name):
    site, client = cms
    with open(site.config_path, "rb") as handle:
        config = handle.read()
    for mode in ("template_edit", "template_restore"):
        assert client.get(mode, blog_id=site.blog.id, name=name).status in (400, 404)
        client.get("templates", blog_id=site.blog.id)
        refused = client.post(mode, {"text": "CGIPath http://evil.example/\n"}, blog_id=site.blog.id, name=name)
        assert refused.status in (400, 404) and "Main Index" not in refused.text
    with open(site.config_path, "rb") as handle:
        assert handle.read() == config
    assert "ObjectDriver" not in client.get("template_edit", blog_id=site.blog.id, name=name).text


def test_templates_need_the_templates_permission(cms):
    site, client = cms
    from support.client import CMSClient
    from mtpy.actions.authors import create_author, set_permissions
    store = site.store()
    writer = create_author(store, "Writer", "writer@example.com", "writer-password-1").record
    set_permissions(store, writer, site.blog, ["post", "settings"])
    store.close()
    other = CMSClient(site.base)
    other.log_in("Writer", "writer-password-1")
    assert other.get("templates", blog_id=site.blog.id).status == 403
    assert other.get("template_edit", blog_id=site.blog.id, name="Main Index").status == 403
    other.get("dashboard")
    assert other.post("template_edit", {"text": "x"}, blog_id=site.blog.id, name="Main Index").status == 403
    assert "Templates</a>" not in other.get("rebuild", blog_id=site.blog.id).text
