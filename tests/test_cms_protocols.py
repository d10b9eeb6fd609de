"""mt.cgi's screens for pings of the three protocols (TrackBack, Pingback,
Webmention), in this process on every backend: the TrackBacks screen's
protocol, kind and author of each ping, its filters and the withdrawn state,
the entry screen's count, and the weblog settings' switch per protocol and
rule for the installation's own links."""

import os
import re

import pytest

from support.client import forms
from support.linkbacks import add_mixed_pings, tell_and_be_refused
from support.browsing import log_in
from mtpy.models import Activity, Blog, Ping


def titles_listed(page):
    return re.findall(r'class="ping-title"[^>]*>([^<]*)<', page)


def tab_counts(page):
    return dict(re.findall(r"(All|Published|Held|Junk|Withdrawn) \((\d+)\)", page))


def test_pings_screen_shows_each_protocol_kind_and_author_and_filters_them(cms):
    site, client = cms
    add_mixed_pings(site)
    every = client.get("pings", blog_id=site.blog.id).text
    assert titles_listed(every) == ["Casino pingback", "A page since deleted", "Bo likes it", "Ana replies",
                                    "A WordPress post", "A TrackBack ping"]
    assert tab_counts(every) == {"All": "6", "Published": "3", "Held": "1", "Junk": "1", "Withdrawn": "1"}
    assert '<span class="protocol-name">Webmention</span> · <span class="kind">reply</span>' in every
    assert '<span class="protocol-name">Pingback</span> · <span class="kind">mention</span>' in every
    assert '<span class="protocol-name">TrackBack</span> · <span class="kind">mention</span>' in every
    # The author the source named, escaped, linked where the source gave a web address
    assert "<script>" not in every and "Ana alert(1) &amp; Co" in every
    assert '<a href="http://ana.example/" rel="nofollow ugc">Ana alert(1) &amp; Co</a>' in every
    # Withdrawn by its source: a state of its own, said in words
    assert '<span class="status withdrawn">Withdrawn</span>' in every
    assert "withdrawn: the source is gone or no longer links here" in every
    assert every.count('<span class="status held">Held</span>') == 1

    def listed(**params):
        page = client.get("pings", blog_id=site.blog.id, **params).text
        return titles_listed(page), tab_counts(page), page

    titles, counts, page = listed(protocol="webmention")
    assert titles == ["A page since deleted", "Bo likes it", "Ana replies"]
    assert counts == {"All": "3", "Published": "1", "Held": "1", "Junk": "0", "Withdrawn": "1"}
    assert "3 Webmention pings, newest first" in page
    assert "show=held&amp;protocol=webmention" in page             # the tabs keep the filter
    assert '<option value="webmention" selected>Webmention</option>' in page
    titles, counts, page = listed(protocol="webmention", kind="like")
    assert (titles, counts["All"]) == (["Bo likes it"], "1")
    assert listed(show="held", protocol="webmention")[0] == ["Bo likes it"]     # not the withdrawn one
    assert listed(show="withdrawn")[0] == ["A page since deleted"]
    assert listed(show="junk", protocol="pingback")[0] == ["Casino pingback"]
    assert listed(show="published", kind="reply")[0] == ["Ana replies"]
    titles, _, page = listed(protocol="trackback", kind="like")
    assert titles == [] and "No TrackBack like pings in this weblog." in page
    assert listed(protocol="gopher", kind="<b>")[0] == titles_listed(every)     # unknown: no filter
    assert listed(entry_id=site.entry.id, protocol="pingback")[0] == ["Casino pingback", "A WordPress post"]

    # A withdrawn ping is never shown again: approving it is refused
    withdrawn = [ping for ping in _pings(site) if ping.withdrawn][0]
    refused = client.post("ping_approve", {"id": str(withdrawn.id)}, blog_id=site.blog.id, show="withdrawn")
    assert "withdrawn by their source" in refused.text
    assert not _pings(site, withdrawn.id).visible
    confirm = client.post("ping_delete", {"id": str(withdrawn.id)}, blog_id=site.blog.id).text
    assert '<span class="status withdrawn">Withdrawn</span>' in confirm and "Webmention · mention" in confirm

    # The entry screen counts as the list does
    entry_page = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id).text
    assert re.search(r'<dd class="ping-count">3 published, 1 held, 1 junk, 1 withdrawn \(6 in all\)', entry_page)
    assert '<span class="status withdrawn">withdrawn</span>' in entry_page
    assert "Webmention · reply · by Ana alert(1) &amp; Co" in entry_page


def _pings(site, ping_id=None):
    store = site.store()
    try:
        return store.get(Ping, ping_id) if ping_id else store.find(Ping, blog_id=site.blog.id)
    finally:
        store.close()


def settings_form(client, blog_id):
    (_, fields), = [form for form in forms(client.get("blog_settings", blog_id=blog_id).text)
                    if "own_links" in form[1]]
    return {name: values[0] for name, values in fields.items() if name != "magic_token"}


def test_weblog_settings_switch_each_protocol_and_choose_the_own_links_rule(cms):
    site, client = cms
    page = client.get("blog_settings", blog_id=site.blog.id).text
    for label in ("Accept TrackBack pings", "Accept Pingbacks", "Accept Webmentions",
                  "Links from this installation&#39;s own weblogs"):
        assert label in page
    assert "WordPress and many other weblogs send one" in page and "replies, likes, reposts or bookmarks" in page
    assert '<option value="quiet" selected>Show them quietly</option>' in page
    fields = settings_form(client, site.blog.id)
    assert (fields["accept_trackback"], fields["accept_pingback"], fields["accept_webmention"]) == ("1", "1", "1")
    del fields["accept_pingback"]                                   # the box unchecked
    fields["own_links"] = "normal"
    saved = client.post("blog_settings", fields, blog_id=site.blog.id)
    assert saved.status == 200 and "Your changes have been saved." in saved.text
    blog = _blog(site)
    assert (blog.accept_trackback, blog.accept_pingback, blog.accept_webmention, blog.own_links) == (
        True, False, True, "normal")
    assert _settings_log(site) == ["Accept Pingbacks: off; Links from this installation's own weblogs: "
                                   "treat them like any other"]
    fields = settings_form(client, site.blog.id)
    assert "accept_pingback" not in fields and fields["own_links"] == "normal"
    fields.update(accept_pingback="1", own_links="everywhere")
    refused = client.post("blog_settings", fields, blog_id=site.blog.id)
    assert "Choose one of: quiet, normal, ignore" in refused.text
    assert _blog(site).accept_pingback is False and len(_settings_log(site)) == 1     # nothing saved
    fields["own_links"] = "ignore"
    client.post("blog_settings", fields, blog_id=site.blog.id)
    assert _blog(site).own_links == "ignore" and _blog(site).accept_pingback is True
    assert _settings_log(site)[0] == ("Accept Pingbacks: on; "
                                      "Links from this installation's own weblogs: do not keep them")


def _blog(site):
    store = site.store()
    try:
        return store.get(Blog, site.blog.id)
    finally:
        store.close()


def _settings_log(site):
    store = site.store()
    try:
        return [line.message for line in store.find(Activity, kind="settings", order_by="id", desc=True)]
    finally:
        store.close()


# -- seen in Chromium ------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_pings_and_settings_screens_in_chromium_at_1280_and_360_pixels(cms, browser):
    """The filter form works without script; both screens fit a phone's width.
    With $MTPY_SCREENSHOTS (a folder), each is photographed there to be looked at."""
    site, _ = cms
    add_mixed_pings(site)
    tell_and_be_refused(site)        # the entry screen's pages told and waiting, by protocol
    shots = os.environ.get("MTPY_SCREENSHOTS")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    script = log_in(page, site)
    page.goto(script + "?__mode=pings&blog_id=%d" % site.blog.id)
    page.get_by_label("Protocol").select_option("webmention")
    page.get_by_role("button", name="Filter").click()
    assert "protocol=webmention" in page.url
    assert page.locator(".ping-title").all_inner_texts() == ["A page since deleted", "Bo likes it", "Ana replies"]
    assert "All (3)" in page.locator("nav.tabs").inner_text()
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for name, query in (("pings", "__mode=pings&blog_id=%d" % site.blog.id),
                            ("pings-webmention", "__mode=pings&blog_id=%d&protocol=webmention" % site.blog.id),
                            ("entry", "__mode=entry_edit&blog_id=%d&entry_id=%d" % (site.blog.id, site.entry.id)),
                            ("settings", "__mode=blog_settings&blog_id=%d" % site.blog.id)):
            page.goto(script + "?" + query)
            if shots:
                page.screenshot(path=os.path.join(shots, "%s-%d.png" % (name, width)), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    assert page.get_by_label("Accept Webmentions").is_checked()
