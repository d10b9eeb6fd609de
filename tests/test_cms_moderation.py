"""Moderating in a few clicks (issue 23, §2): the TrackBacks screen's per-row
Approve / Junk / Delete, its actions above the list as well as below, "select
all on this page" without a script, search, the held count on the TrackBacks
tab, "approve all from this sender", every row's buttons named apart for a
screen reader; the notification mail's links to a confirmation (nothing
changes on a GET); counts by state that agree; a new weblog's moderation. In
this process on every backend (the `cms` and `store` fixtures)."""

import html
import re
import urllib.parse

import pytest

from support.browsing import log_in
from support.cli import mtpy
from support.client import forms
from support.moderation import act_on_rows, store_ping, stored_pings, thirty_pings
from mtpy.models import Blog, Ping


def buttons(page):
    """[(accessible name, visible text, form attribute, formaction, name, value)]
    of a page's buttons: the name is what a screen reader says (the text with
    what only it reads, or an aria-label)."""
    found = []
    for attrs, inner in re.findall(r"<button([^>]*)>(.*?)</button>", page, re.S):
        values = dict((name, html.unescape(value)) for name, value in re.findall(r'([\w-]+)="([^"]*)"', attrs))
        spoken = html.unescape(" ".join(re.sub(r"<[^>]*>", "", inner).split()))
        shown = html.unescape(" ".join(re.sub(r'<span class="sr-only">.*?</span>', "", inner).split()))
        found.append((values.get("aria-label", spoken), shown, values.get("form"),
                      values.get("formaction"), values.get("name"), values.get("value")))
    return found


def row_post(client, page, button):
    """Submit a row's button as a browser does: its own form (the form
    attribute) with the token, its name and value, to its formaction."""
    _, _, form_id, formaction, name, value = button
    (action, fields), = [(action, fields) for action, fields in _forms_by_id(page) if action == form_id]
    url = urllib.parse.urljoin(client.script_url, formaction or fields.pop("__action"))
    body = urllib.parse.urlencode([("magic_token", fields["magic_token"][0]), (name, value)]).encode()
    return client.request(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})


def _forms_by_id(page):
    for match in re.finditer(r'<form([^>]*)>(.*?)</form>', page, re.S):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', match.group(1)))
        (_, fields), = forms(match.group(0))
        fields = dict(fields, __action=html.unescape(attrs.get("action", "")))
        yield attrs.get("id"), fields


def states(site):
    return {ping.title: ("published" if ping.visible else "junk" if ping.junk else
                         "withdrawn" if ping.withdrawn else "held") for ping in stored_pings(site)}


def test_each_row_has_its_own_approve_junk_delete_named_apart(cms):
    site, client = cms
    made = thirty_pings(site)
    page = client.get("pings", blog_id=site.blog.id).text
    found = buttons(page)
    row_buttons = [button for button in found if button[2] in ("row-action", "ban-sender", "sender-approve")]
    names = [button[0] for button in row_buttons]
    assert len(names) == len(set(names)) + _repeated_bans(row_buttons)   # no two read alike (but one address's ban)
    assert "Approve the ping “Held 1” from Weblog 1" in names
    assert "Junk the ping “Shown 0” from Weblog 0" in names
    assert "Delete the ping “Junk 2” from Weblog 2" in names
    assert "Ban 198.51.100.7" in names and "Ban this IP" not in names
    assert not [name for name in names if name in ("Approve", "Junk", "Delete", "Ban")]
    for name, shown in [button[:2] for button in row_buttons]:      # what is seen is what is said, first
        assert name.startswith(shown), (name, shown)
    # Approve on a held row publishes that ping alone, though other boxes were checked
    approve = next(button for button in found if button[0] == "Approve the ping “Held 1” from Weblog 1")
    done = row_post(client, page, approve)
    assert done.status == 200 and "The pings are visible now." in done.text
    after = states(site)
    assert after["Held 1"] == "published" and after["Held 4"] == "held"
    # Junk on a published row, then Delete on a junk row asks first, then deletes
    page = client.get("pings", blog_id=site.blog.id).text
    junk = next(button for button in buttons(page) if button[0] == "Junk the ping “Shown 0” from Weblog 0")
    assert "Marked 1 ping as junk" in row_post(client, page, junk).text
    assert states(site)["Shown 0"] == "junk"
    page = client.get("pings", blog_id=site.blog.id).text
    delete = next(button for button in buttons(page) if button[0] == "Delete the ping “Junk 2” from Weblog 2")
    confirm = row_post(client, page, delete)
    assert "Delete 1 ping? This cannot be undone." in confirm.text and "Junk 2" in confirm.text
    assert "Junk 2" in states(site)
    (action, fields), = [form for form in forms(confirm.text) if "confirmed" in form[1]]
    client.post("ping_delete", [("id", fields["id"][0]), ("confirmed", "1")], blog_id=site.blog.id)
    assert "Junk 2" not in states(site) and len(states(site)) == len(made) - 1


def _repeated_bans(row_buttons):
    bans = [button[0] for button in row_buttons if button[2] == "ban-sender"]
    senders = [button[0] for button in row_buttons if button[2] == "sender-approve"]
    return (len(bans) - len(set(bans))) + (len(senders) - len(set(senders)))


def test_bulk_actions_above_and_below_and_select_all_without_a_script(cms):
    site, client = cms
    thirty_pings(site)
    page = client.get("pings", blog_id=site.blog.id, show="held").text
    texts = [button[1] for button in buttons(page)]
    assert texts.count("Approve selected") == 2 and texts.count("Delete selected") == 2
    table = page.index("<table")
    assert page.index("Approve selected") < table < page.rindex("Approve selected")
    assert re.findall(r'<input type="checkbox" name="id"[^>]*>', page) and not re.search(
        r'<input type="checkbox" name="id"[^>]* checked', page)
    every = client.get("pings", blog_id=site.blog.id, show="held", select="all").text
    boxes = re.findall(r'<input type="checkbox" name="id" value="(\d+)"[^>]*>', every)
    checked = re.findall(r'<input type="checkbox" name="id" value="(\d+)"[^>]* checked', every)
    assert boxes and checked == boxes
    link = re.search(r'<a href="([^"]*select=all[^"]*)">Select all on this page</a>', page)
    assert link and "show=held" in html.unescape(link.group(1))
    assert "Clear the selection" in every
    # The list's form sends every checked box: approve them all at once
    (action, fields), = [form for form in forms(every) if form[1].get("id")]
    client.post("ping_approve", [("id", ping_id) for ping_id in fields["id"]], blog_id=site.blog.id, show="held")
    assert "held" not in states(site).values()


def test_search_by_address_url_weblog_name_or_entry(cms):
    site, client = cms
    other, other_item = site.add_category(label="Gardening notes", allow_pings=True)
    store_ping(site, site.item, title="By address", ip="203.0.113.77", source_url="http://one.example/a")
    store_ping(site, site.item, title="By URL", ip="192.0.2.1", source_url="http://Two.Example/Deep/Path")
    store_ping(site, site.item, title="By name", ip="192.0.2.2", source_url="http://three.example/",
               blog_name="Kite Flyers' Weblog", visible=False)
    store_ping(site, other_item, title="By entry", ip="192.0.2.3", source_url="http://four.example/")

    def found(query, **params):
        page = client.get("pings", blog_id=site.blog.id, q=query, **params).text
        return re.findall(r'class="ping-title"[^>]*>([^<]*)<', page), page
    assert found("203.0.113.77")[0] == ["By address"]
    assert found("two.example/deep")[0] == ["By URL"]           # ASCII letters in either case
    assert found("KITE FLYERS")[0] == ["By name"]
    assert found("gardening")[0] == ["By entry"]
    titles, page = found("example", show="held")
    assert titles == ["By name"] and "Held (1)" in page and "All (4)" in page
    assert re.search(r'href="[^"]*show=held[^"]*q=example[^"]*" aria-current="page"><strong>Held \(1\)', page)   # the tabs keep it
    assert "1 held ping matching “example”, newest first." in page
    titles, page = found("nothing like it")
    assert titles == [] and 'value="nothing like it"' in page
    assert "No pings in this weblog match “nothing like it”." in page
    # The search stays through the list's actions and comes back after them
    titles, page = found("203.0.113.77")
    action = re.search(r'<form method="post" action="([^"]*)" aria-label="Selected pings"', page).group(1)
    assert "q=203.0.113.77" in html.unescape(action)
    (ping_id,) = re.findall(r'<input type="checkbox" name="id" value="(\d+)"', page)
    done = client.post("ping_junk", [("id", ping_id)], blog_id=site.blog.id, q="203.0.113.77")
    assert "q=203.0.113.77" in done.url and re.findall(r'class="ping-title"[^>]*>([^<]*)<', done.text) == ["By address"]


def test_find_pings_and_counts_agree_on_every_backend(store):
    blog = Blog(name="B")
    store.save(blog)
    from mtpy.models import Entry
    entry = Entry(blog_id=blog.id, title="A Post About 100% Cotton", created_on="2026-11-01 00:00:00")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    other = Blog(name="Other")
    store.save(other)
    for values in [dict(ip="10.0.0.1", source_url="http://a.example/x", blog_name="Alpha", visible=True),
                   dict(ip="10.0.0.2", source_url="http://b.example/100_percent", blog_name="Beta", visible=False),
                   dict(ip="10.0.0.3", source_url="http://c.example/", blog_name="ALPHA two", visible=False, junk=True),
                   dict(ip="10.0.0.4", source_url="http://d.example/", blog_name="Delta", visible=False,
                        withdrawn=True)]:
        store.insert(Ping(blog_id=blog.id, tb_id=item.id, created_on="2026-11-02 00:00:00", **values))
    store.insert(Ping(blog_id=other.id, tb_id=item.id, ip="10.0.0.1", source_url="http://a.example/x"))

    def ips(**where):
        return [ping.ip for ping in store.find_pings(**where)]
    assert ips(blog_id=blog.id) == ["10.0.0.4", "10.0.0.3", "10.0.0.2", "10.0.0.1"]    # newest first
    assert ips(blog_id=blog.id, contains="alpha") == ["10.0.0.3", "10.0.0.1"]
    assert ips(blog_id=blog.id, contains="cotton") == ["10.0.0.4", "10.0.0.3", "10.0.0.2", "10.0.0.1"]
    assert ips(blog_id=blog.id, contains="100%") == ips(blog_id=blog.id)    # the title's "100%", literally
    assert ips(blog_id=blog.id, contains="100_") == ["10.0.0.2"]            # _ is no wildcard
    assert ips(blog_id=blog.id, contains="10.0.0.1") == ["10.0.0.1"]
    assert ips(blog_id=blog.id, state="held") == ["10.0.0.2"]
    assert ips(blog_id=blog.id, state="junk") == ["10.0.0.3"]
    assert ips(blog_id=blog.id, state="withdrawn") == ["10.0.0.4"]
    assert ips(blog_id=blog.id, state="published", contains="alpha") == ["10.0.0.1"]
    assert ips(blog_id=blog.id, limit=2, offset=1) == ["10.0.0.3", "10.0.0.2"]
    assert ips(tb_id=item.id, contains="a.example") == ["10.0.0.1", "10.0.0.1"]
    assert store.count_pings_by_state(blog_id=blog.id, contains="alpha") == {
        "all": 2, "published": 1, "held": 0, "junk": 1, "withdrawn": 0}
    for state in ("published", "held", "junk", "withdrawn"):
        assert len(ips(blog_id=blog.id, state=state)) == store.count_pings_by_state(blog_id=blog.id)[state]


def test_trackbacks_tab_counts_the_held_pings(cms, monkeypatch):
    site, client = cms
    page = client.get("entries", blog_id=site.blog.id).text
    assert re.search(r'__mode=pings[^"]*">TrackBacks</a>', page)
    thirty_pings(site)
    counts = site.store().count_pings_by_state(blog_id=site.blog.id)
    page = client.get("entries", blog_id=site.blog.id).text
    assert re.search(r'>TrackBacks <span class="tab-count">\(%d held\)</span></a>' % counts["held"], page)
    # The TrackBacks screen counts the weblog's pings once: its tabs and the tab's held count share it.
    calls, backend = [], type(site.store())
    original = backend.count_pings_by_state
    monkeypatch.setattr(backend, "count_pings_by_state",
                        lambda self, *args, **kwargs: calls.append(kwargs) or original(self, *args, **kwargs))
    listed = client.get("pings", blog_id=site.blog.id).text
    assert "Held (%d)" % counts["held"] in listed and "(%d held)" % counts["held"] in listed
    assert calls == [{"blog_id": site.blog.id, "contains": None}]


def test_approve_all_from_one_sender_asks_first(cms):
    site, client = cms
    for n in range(3):
        store_ping(site, site.item, title="Spammy %d" % n, ip="198.51.100.23", visible=False, junk=n == 2,
                   source_url="http://s.example/%d" % n)
    store_ping(site, site.item, title="Other sender", ip="198.51.100.24", visible=False, source_url="http://o.example/")
    store_ping(site, site.item, title="Gone", ip="198.51.100.23", visible=False, withdrawn=True,
               source_url="http://s.example/gone")
    page = client.get("pings", blog_id=site.blog.id).text
    assert "Approve all from this sender (198.51.100.23)" in [button[0] for button in buttons(page)]
    confirm = client.post("ping_approve_sender", {"ip": "198.51.100.23"}, blog_id=site.blog.id)
    assert "Approve 3 pings from 198.51.100.23?" in confirm.text
    assert all(title in confirm.text for title in ("Spammy 0", "Spammy 1", "Spammy 2"))
    assert "Other sender" not in confirm.text and "Gone" not in confirm.text
    assert states(site)["Spammy 0"] == "held"                        # nothing yet
    done = client.post("ping_approve_sender", {"ip": "198.51.100.23", "confirmed": "1"}, blog_id=site.blog.id)
    assert "The pings are visible now." in done.text
    after = states(site)
    assert [after["Spammy %d" % n] for n in range(3)] == ["published"] * 3
    assert after["Other sender"] == "held" and after["Gone"] == "withdrawn"
    again = client.post("ping_approve_sender", {"ip": "198.51.100.23"}, blog_id=site.blog.id)
    assert "No held or junk pings from that address." in again.text


def test_the_mails_links_open_a_confirmation_and_a_get_changes_nothing(cms):
    from mtpy.mail import ping_notification
    site, client = cms
    shown = store_ping(site, site.item, title="Shown ping", source_url="http://m.example/1", ip="192.0.2.50")
    held = store_ping(site, site.item, title="Held ping", source_url="http://m.example/2", visible=False)
    store = site.store()
    store.save(store.get(Blog, site.blog.id).copy(email_new_pings=True))
    mail = ping_notification(store, site.config, store.get(Ping, shown.id)).get_content()
    held_mail = ping_notification(store, site.config, store.get(Ping, held.id)).get_content()
    store.close()
    links = dict(re.findall(r"^(.*): (http\S*__mode=ping_confirm\S*)$", mail, re.M))
    assert sorted(links) == ["Delete it", "Mark it as junk"]
    held_links = dict(re.findall(r"^(.*): (http\S*__mode=ping_confirm\S*)$", held_mail, re.M))
    assert sorted(held_links) == ["Approve it", "Delete it", "Mark it as junk"]
    assert "__mode=pings&blog_id=%d&show=held" % site.blog.id in held_mail       # its old link too
    for words, link in list(links.items()) + list(held_links.items()):
        page = client.request(link)
        assert page.status == 200 and words + "</button>" in page.text and 'name="confirmed"' in page.text
    assert states(site) == {"Shown ping": "published", "Held ping": "held"}     # the GETs changed nothing
    page = client.request(links["Mark it as junk"])
    assert "Mark this ping as junk?" in page.text and "It is shown on the weblog now." in page.text
    assert "Shown ping" in page.text
    (action, fields), = [form for form in forms(page.text) if "confirmed" in form[1]]
    assert "__mode=ping_junk" in action and fields["id"] == [str(shown.id)]
    client.request(urllib.parse.urljoin(client.script_url, html.unescape(action)),
                   data=urllib.parse.urlencode({k: v[0] for k, v in fields.items()}).encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert states(site)["Shown ping"] == "junk"
    page = client.request(links["Mark it as junk"])
    assert "Nothing to do: this ping is junk (hidden) already." in page.text
    assert 'name="confirmed"' not in page.text
    page = client.request(held_links["Delete it"])
    (action, fields), = [form for form in forms(page.text) if "confirmed" in form[1]]
    client.request(urllib.parse.urljoin(client.script_url, html.unescape(action)),
                   data=urllib.parse.urlencode([(k, v) for k, vs in fields.items() for v in vs]).encode(),
                   headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert "Held ping" not in states(site)
    assert client.request(held_links["Delete it"]).status == 404
    assert client.get("ping_confirm", blog_id=site.blog.id, id=shown.id, do="explode").status == 404


def test_entry_screen_names_each_state_and_agrees_with_the_lists(cms):
    site, client = cms
    for n, values in enumerate([{}, {}, {}, {"visible": False}, {"visible": False},
                                {"visible": False, "junk": True}, {"visible": False, "withdrawn": True}]):
        store_ping(site, site.item, title="P%d" % n, source_url="http://e.example/%d" % n, **values)
    entry_page = client.get("entry_edit", blog_id=site.blog.id, entry_id=site.entry.id).text
    assert re.search(r'<dd class="ping-count">3 published, 2 held, 1 junk, 1 withdrawn \(7 in all\)', entry_page)
    entries = client.get("entries", blog_id=site.blog.id).text
    assert re.search(r'data-label="Pings published">3<', entries)
    listed = client.get("pings", blog_id=site.blog.id, entry_id=site.entry.id).text
    for label in ("All (7)", "Published (3)", "Held (2)", "Junk (1)", "Withdrawn (1)"):
        assert label in listed
    dashboard = client.get("dashboard").text
    assert "2 held</a>" in dashboard and "1 junk</a>" in dashboard
    assert re.search(r'data-label="Pings published">3 <a', dashboard)
    for state, count in (("published", 3), ("held", 2), ("junk", 1), ("withdrawn", 1)):
        listed = mtpy(site, "ping", "list", "--blog", site.blog.id, "--state", state).stdout.splitlines()
        assert len(listed) == count and all(line.endswith("\t" + state) for line in listed)
    # The command finds what the screen's search finds, oldest first.
    found = mtpy(site, "ping", "list", "--blog", site.blog.id, "--contains", "E.EXAMPLE/").stdout.splitlines()
    assert [line.split("\t")[5] for line in found] == ["P%d" % n for n in range(7)]
    searched = client.get("pings", blog_id=site.blog.id, q="e.example/").text
    assert all(">P%d<" % n in searched for n in range(7))


def test_a_new_weblog_holds_suspicious_pings_and_the_settings_say_what_each_does(cms):
    from mtpy.actions.weblogs import create_weblog
    site, client = cms
    form = client.get("blog_new").text
    assert re.search(r'<option value="suspicious" selected>', form)
    for words in ("Every ping that is not junk is shown as soon as it arrives.", "2 to 3 links in its excerpt",
                  "No ping is shown until you approve it."):
        assert words in html.unescape(form)
    store = site.store()
    try:
        made = create_weblog(store, site.config, {"name": "Fresh", "site_path": "", "site_url": ""}).record
        assert made.moderate_pings == "suspicious"
        kept = create_weblog(store, site.config, {"name": "Open", "site_path": "", "site_url": "",
                                                   "moderate_pings": "none"}).record
        assert kept.moderate_pings == "none"
        assert store.get(Blog, site.blog.id).moderate_pings == "none"      # weblogs made before: as they were
    finally:
        store.close()
    settings = html.unescape(client.get("blog_settings", blog_id=site.blog.id).text)
    assert "Hold suspicious pings for approval</dt><dd>A ping the junk checks find something in" in settings


def test_a_new_weblogs_ping_with_two_links_is_held(tmp_path):
    from mtpy.junk import judge, moderation_holds
    from mtpy.actions.weblogs import NEW_WEBLOG
    blog = Blog(id=1, **NEW_WEBLOG)
    ping = Ping(excerpt="See http://one.example/ and http://two.example/", source_url="http://one.example/")

    class Quiet:
        def count_pings_since(self, *args, **kwargs):
            return 0

        def count_pings_from_host_since(self, *args, **kwargs):
            return 0

        def junk_source_seen(self, *args):
            return False
    score, reasons = judge(Quiet(), blog, ping, now="2026-12-01 00:00:00", stored=False)
    assert reasons == ["2 links in the excerpt"] and moderation_holds(blog, score)
    assert not moderation_holds(Blog(id=2), score)                      # the model's default: published


@pytest.mark.parametrize("backend", ["sqlite"])      # about the browser: one backend
def test_moderating_thirty_pings_at_360_px_in_chromium(cms, browser):
    """The steps of the new-owner walk: row buttons found by their names, the
    whole page selected by a link, a bulk action above the list."""
    site, _ = cms
    thirty_pings(site)
    page = browser.new_page(viewport={"width": 360, "height": 800})
    script = log_in(page, site)
    page.goto(script + "?__mode=pings&blog_id=%d" % site.blog.id)
    assert page.get_by_role("link", name="TrackBacks (9 held)").count() == 1
    act_on_rows(page, approve=("Held 1", "Weblog 1"), junk=("Shown 3", "Weblog 3"), delete=("Junk 5", "Weblog 5"))
    page.get_by_label("Search").fill("198.51.100.7")
    page.get_by_role("button", name="Filter").click()
    assert page.locator("table.pings tbody tr").count() == 5       # every fifth ping but Junk 5, deleted
    page.goto(script + "?__mode=pings&blog_id=%d&show=held" % site.blog.id)
    page.get_by_role("link", name="Select all on this page").first.click()
    assert page.locator("input[name=id]:checked").count() == 8
    page.get_by_role("button", name="Approve selected").first.click()
    assert "The pings are visible now." in page.content()
    assert page.get_by_role("link", name="TrackBacks", exact=True).count() == 1    # none held now
    assert "held" not in states(site).values() and states(site)["Shown 3"] == "junk"
    page.close()
