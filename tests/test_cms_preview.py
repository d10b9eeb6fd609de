"""mt.cgi's entry Preview: the entry as typed, rendered with the weblog's
Individual Entry Archive template, written nowhere (no file of the site or the
store changes), shown under a "Preview — not published" bar in a sandboxed
frame, with a way back to the form that keeps the text."""

import html
import os
import re

import pytest

from support.browsing import log_in
from support.cli import mtpy
from support.client import entry_fields

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
BODY = "First line of the preview.\n\nSecond paragraph <em>emphasised</em>."


def site_files(site):
    """Every file under the site folder, with its bytes."""
    found = {}
    for folder, _, names in os.walk(site.archives):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as handle:
                found[path] = handle.read()
    return found


def srcdoc(page):
    found = re.search(r'<iframe class="preview"[^>]* sandbox=""[^>]* srcdoc="([^"]*)"', page)
    assert found, page
    return html.unescape(found.group(1))


def entries(site):
    from mtpy.models import Entry
    return site.store().find(Entry, blog_id=site.blog.id)


@SQLITE
def test_preview_renders_with_the_entry_template_and_writes_nothing(cms):
    site, client = cms
    mtpy(site, "rebuild", "--blog", site.blog.id)
    client.get("entry_edit", blog_id=site.blog.id)
    before, stored = site_files(site), [entry.as_dict() for entry in entries(site)]
    assert before                                    # a published site, whose files must not change
    page = client.post("entry_edit", entry_fields(title="Previewed <title>", body=BODY, status="Publish",
                                                  preview="1"), blog_id=site.blog.id)
    assert page.status == 200 and "Preview &mdash; not published." in page.text
    shown = srcdoc(page.text)
    assert "Previewed &lt;title&gt;" in shown and "<p>First line of the preview.</p>" in shown
    assert "<em>emphasised</em>" in shown and "Test Weblog" in shown
    # Nothing saved, nothing written to the site.
    assert site_files(site) == before and [entry.as_dict() for entry in entries(site)] == stored
    # The frame is sandboxed and the screen's policy allows no script at all.
    policy = page.headers["Content-Security-Policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    # "Back to the form": the form again, with the text as typed.
    back = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page.text))
    fields = [(name, html.unescape(value)) for name, value in back.items() if name != "magic_token"] + [("back", "1")]
    form = client.post("entry_edit", fields, blog_id=site.blog.id)
    assert form.status == 200 and "Preview &mdash;" not in form.text
    assert 'value="Previewed &lt;title&gt;"' in form.text and html.escape(BODY, quote=False) in form.text
    assert site_files(site) == before and len(entries(site)) == len(stored)
    # Saved from the preview: stored as typed.
    saved = client.post("entry_edit", [pair for pair in fields if pair[0] != "back"] + [("save", "1")],
                        blog_id=site.blog.id)
    assert saved.status == 200 and [entry.title for entry in entries(site)].count("Previewed <title>") == 1


@SQLITE
def test_previewing_an_entry_leaves_the_stored_one_and_refuses_what_saving_refuses(cms):
    site, client = cms
    entry = site.entry
    client.get("entry_edit", blog_id=site.blog.id, entry_id=entry.id)
    page = client.post("entry_edit", entry_fields(title="Changed title", body="Changed body", status="Publish",
                                                  preview="1"), blog_id=site.blog.id, entry_id=entry.id)
    assert "Changed title" in srcdoc(page.text) and "Changed body" in srcdoc(page.text)
    from mtpy.models import Entry
    assert site.store().get(Entry, entry.id).title == entry.title
    refused = client.post("entry_edit", entry_fields(title="  ", preview="1"), blog_id=site.blog.id)
    assert "Preview &mdash;" not in refused.text and "An entry needs a title" in refused.text
    assert 'name="preview" value="1"' in refused.text              # the form, with its Preview button


@SQLITE
def test_the_previewed_page_cannot_act_in_mt_cgi(cms, browser):
    """In Chromium: the author's script in the preview runs nowhere (neither
    inline nor as an event attribute), the frame shows the page, and the bar's
    "Back to the form" keeps the text."""
    site, _ = cms
    mtpy(site, "rebuild", "--blog", site.blog.id)          # the weblog's stylesheet, which the preview uses
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    script = log_in(page, site)
    page.goto(script + "?__mode=entry_edit&blog_id=%d" % site.blog.id)
    page.get_by_label("Title").fill("Scripted")
    body = ('<p id="said">Seen in the preview</p><script>parent.document.title="taken";'
            'document.getElementById("said").textContent="ran"</script>'
            '<img src="data:," onerror="parent.document.title=\'taken\'">')
    page.get_by_label("Entry body").fill(body)
    page.get_by_role("button", name="Preview").click()
    assert page.get_by_text("Preview — not published.").is_visible()
    frame = page.frame_locator("iframe.preview")
    assert frame.locator("#said").inner_text() == "Seen in the preview"
    assert frame.locator("body").evaluate("body => getComputedStyle(body).fontFamily") != \
        "Times New Roman"                                   # styles-site.css applies
    page.wait_for_timeout(200)
    assert page.title() == "Preview: Scripted | mtpy"
    shots = os.environ.get("MTPY_SCREENSHOTS")
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        if shots:
            page.screenshot(path=os.path.join(shots, "entry-preview-%d.png" % width), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_role("button", name="Back to the form").click()
    assert page.get_by_label("Entry body").input_value() == body
    assert page.get_by_label("Title").input_value() == "Scripted"
