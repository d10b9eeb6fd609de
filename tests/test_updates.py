"""Update pings (weblogUpdates.ping over XML-RPC) to the services a weblog
lists: real receivers on 127.0.0.1, each outcome one line of the activity log,
and the services typed into mt.cgi's weblog settings."""

import xmlrpc.client

import pytest

from support.client import forms
from mtpy.actions.updates import queue_update_pings, read_update_answer, send_update_pings
from mtpy.config import Config
from mtpy.models import Activity, Blog, Job
from support.local_web import SILENT, LocalWeb
from support.local_web import Directory, HTML_500

NAME = 'Caf\u00e9 \u65e5\u8a18 <b>"Bold" & Sons</b> &amp; <script>x</script>'


def xml_rpc(text, fault=False):
    """(status, content type, body) of an XML-RPC answer of `text` (a value, or a fault's string)."""
    body = xmlrpc.client.dumps(xmlrpc.client.Fault(4, text) if fault else (text,), methodresponse=True)
    return 200, "text/xml", body


REFUSED = xml_rpc({"flerror": True, "message": "Too many pings & <b>too soon</b>"})
FAULT = xml_rpc("No such method: weblogUpdates.ping", fault=True)
ENTITIES = (200, "text/xml", '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n<methodResponse><params><param><value>'
            '<struct><member><name>flerror</name><value><boolean>0</boolean></value></member>'
            '<member><name>message</name><value>&lol2;</value></member></struct></value></param></params>'
            '</methodResponse>')
GARBAGE = (200, "text/plain", "OK thanks \x00\x01 <<<>>>")
# What a careless PHP service prints: a warning first, a blank line after.
WITH_JUNK = (200, "text/xml", "<b>Warning</b>: headers already sent in ping.php on line 3<br />\n"
             + xml_rpc({"flerror": 0, "message": "Thanks"})[2] + "\n\n")
TOO_LARGE = (200, "text/xml", xml_rpc({"flerror": False, "message": "x" * 100000})[2])


@pytest.fixture
def config(tmp_path):
    return Config(text="OutboundAllowAddresses 127.0.0.1\nPingTimeout 5\nLogFile %s\n"
                  % (tmp_path / "updates.log"))


@pytest.fixture
def receivers():
    with LocalWeb() as running:
        yield running


@pytest.fixture
def directory():
    running = Directory()
    yield running
    running.close()


def weblog(store, urls, name=NAME):
    blog = Blog(name=name, site_url="http://sender.example/weblog/", update_ping_urls=urls)
    store.save(blog)
    return blog


def update_lines(store, blog):
    return [line.message for line in store.find(Activity, blog_id=blog.id, kind="update_ping")]


def test_a_weblog_with_services_queues_one_job_and_one_without_none(store, directory):
    quiet = weblog(store, [])
    assert queue_update_pings(store, quiet) is None
    assert store.find(Job) == []

    listed = weblog(store, [directory.url, "http://rpc.weblogs.example/RPC2"])
    job_id = queue_update_pings(store, listed)
    [job] = store.find(Job)
    assert (job.id, job.kind, job.payload) == (job_id, "update_pings", {"blog_id": listed.id})


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_each_service_gets_the_name_and_url_and_each_outcome_is_logged(store, config, directory, receivers):
    other = Directory()
    try:
        services = [directory.url, receivers.url("/refuses", REFUSED), receivers.url("/fault", FAULT),
                    receivers.url("/broken", HTML_500), receivers.url("/entities", ENTITIES),
                    receivers.url("/garbage", GARBAGE), receivers.url("/junk", WITH_JUNK),
                    receivers.url("/large", TOO_LARGE), other.url, directory.url]
        blog = weblog(store, services)
        job_id = queue_update_pings(store, blog)
        outcomes = send_update_pings(store, config, store.get(Job, job_id).payload)

        # The name arrives as it was, markup and all, and the weblog's URL; a
        # service listed twice is pinged once.
        assert directory.calls == [(NAME, "http://sender.example/weblog/")]
        assert other.calls == [(NAME, "http://sender.example/weblog/")]
        [(_, _, content_type, agent)] = [post for post in receivers.received if post[0] == "/refuses"]
        assert content_type == "text/xml"
        assert agent.startswith("mtpy/") and "http://sender.example/weblog/" in agent

        assert outcomes == {
            directory.url: None,
            services[1]: "Too many pings & <b>too soon</b>",
            services[2]: "No such method: weblogUpdates.ping",
            services[3]: "HTTP 500 Internal Server Error",
            services[4]: "the answer declares a DTD",
            services[5]: "not an XML-RPC answer",
            services[6]: None,
            services[7]: "the answer is larger than 16384 bytes",
            other.url: None}
        assert update_lines(store, blog) == [
            "Update ping to %s: sent" % directory.url,
            "Update ping to %s failed: Too many pings & <b>too soon</b>" % services[1],
            "Update ping to %s failed: No such method: weblogUpdates.ping" % services[2],
            "Update ping to %s failed: HTTP 500 Internal Server Error" % services[3],
            "Update ping to %s failed: the answer declares a DTD" % services[4],
            "Update ping to %s failed: not an XML-RPC answer" % services[5],
            "Update ping to %s: sent" % services[6],
            "Update ping to %s failed: the answer is larger than 16384 bytes" % services[7],
            "Update ping to %s: sent" % other.url]
    finally:
        other.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_silent_service_times_out_without_holding_the_others(store, config, directory, receivers):
    silent = receivers.url("/silent", SILENT)
    blog = weblog(store, [silent, directory.url])
    outcomes = send_update_pings(store, config, {"blog_id": blog.id}, deadline_seconds=1)
    assert outcomes[directory.url] is None and directory.calls
    assert outcomes[silent].startswith("timed out")
    assert update_lines(store, blog) == ["Update ping to %s failed: %s" % (silent, outcomes[silent]),
                                         "Update ping to %s: sent" % directory.url]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_refused_address_or_a_deleted_weblog_never_raises(store, directory):
    strict = Config(text="PingTimeout 5\n")      # 127.0.0.1 not allowed
    blog = weblog(store, [directory.url])
    outcomes = send_update_pings(store, strict, {"blog_id": blog.id})
    assert directory.calls == []
    assert outcomes[directory.url] == "refused: 127.0.0.1 is a loopback address"
    assert update_lines(store, blog) == ["Update ping to %s failed: %s" % (directory.url, outcomes[directory.url])]
    assert send_update_pings(store, strict, {"blog_id": 9999}) == {}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_control_characters_are_dropped_so_the_call_stays_xml(store, config, directory):
    blog = weblog(store, [directory.url], name="Tab\there\x00\x08 bell\x07 \U0001F600")
    assert send_update_pings(store, config, {"blog_id": blog.id}) == {directory.url: None}
    assert directory.calls == [("Tab\there bell \U0001F600", "http://sender.example/weblog/")]


def test_reading_answers():
    assert read_update_answer(xml_rpc({"flerror": 0})[2]) is None
    assert read_update_answer(xml_rpc({"flerror": True})[2]) == "the service answered flerror true without a message"
    assert read_update_answer(xml_rpc("Thanks")[2]) == "the answer has no flerror"
    assert read_update_answer(b"") == "not an XML-RPC answer"
    assert read_update_answer(b"<methodResponse><params><param><value><int>x</int>") == "not an XML-RPC answer"
    # Not UTF-8: the charset the answer names.
    latin = xml_rpc({"flerror": 1, "message": "Trop t\u00f4t"})[2].encode("latin-1")
    assert read_update_answer(latin, "text/xml; charset=iso-8859-1") == "Trop t\u00f4t"


# -- mt.cgi's weblog settings -------------------------------------------------

def settings_form(client, blog_id):
    [(_, fields)] = [form for form in forms(client.get("blog_settings", blog_id=blog_id).text)
                     if "update_ping_urls" in form[1]]
    return {name: values[0] for name, values in fields.items() if name != "magic_token"}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_settings_screen_keeps_the_services_in_order_and_refuses_a_non_http_one(cms):
    site, client = cms
    services = "http://rpc.weblogs.com/RPC2\r\nhttps://ping.example.org/rpc?x=1&y=2\r\n"
    fields = settings_form(client, site.blog.id)
    fields["update_ping_urls"] = services
    saved = client.post("blog_settings", fields, blog_id=site.blog.id)
    assert saved.status == 200
    expected = ["http://rpc.weblogs.com/RPC2", "https://ping.example.org/rpc?x=1&y=2"]
    store = site.store()
    try:
        assert store.get(Blog, site.blog.id).update_ping_urls == expected
    finally:
        store.close()
    assert settings_form(client, site.blog.id)["update_ping_urls"] == "\n".join(expected)

    fields["update_ping_urls"] = "http://rpc.pingomatic.example/\nftp://<b>files</b>.example/ping"
    refused = client.post("blog_settings", fields, blog_id=site.blog.id)
    assert refused.status == 200
    page = refused.text
    error = '<p class="field-error" id="update_ping_urls-error">'
    assert error in page and 'aria-describedby="update_ping_urls-error"' in page
    said = page[page.index(error):page.index("</p>", page.index(error))]
    assert "Not an http:// or https:// URL" in said and "&lt;b&gt;files&lt;/b&gt;" in said
    assert "<b>files</b>" not in page
    # what was typed is kept in the form, and nothing was stored
    [(_, typed)] = [form for form in forms(page) if "update_ping_urls" in form[1]]
    assert typed["update_ping_urls"] == [fields["update_ping_urls"]]
    store = site.store()
    try:
        assert store.get(Blog, site.blog.id).update_ping_urls == expected
    finally:
        store.close()
