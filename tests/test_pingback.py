"""mt-pingback.cgi, the Pingback server (mtpy.apps.pingback, mtpy.pingback.xmlrpc),
on every backend: in this process (the `served` fixture), the `smoke` ones also
through lighttpd and `mtpy serve`. WordPress 6.1's own request replayed; every
fault code; system.listMethods; malformed calls, DTDs and entities answered
with a fault (200), never a 500, and nothing stored. Answers are read with the
standard library's xmlrpc.client: another parser than the server's."""

import io
import os
import xmlrpc.client

import pytest

from conftest import SAMPLES, http, raw_request
from support.http import post
from support.sites import pings_of
from support.wsgi import serving
from mtpy.apps.pingback import PingbackApp
from mtpy.hosting import build
from mtpy.pingback.xmlrpc import PARSE_ERROR, CallError, fault, read_call, response
from mtpy.models import IPBan, Job, Trackback
from mtpy.urls import category_archive_url, entry_permalink

SOURCE = "http://source.example/2026/12/a-post.html"


def server(site):
    return site.base + "cgi-bin/mt-pingback.cgi"


def permalink(site, entry=None):
    return entry_permalink(site.blog, entry or site.entry)


def call(site, body, headers=None):
    """POST a body to the Pingback server: (HTTP status, content type, the
    answer as xmlrpc.client reads it: the result, or the Fault)."""
    result = http(server(site), data=body, headers=dict({"Content-Type": "text/xml"}, **(headers or {})))
    try:
        answer = xmlrpc.client.loads(result.body)[0][0]
    except xmlrpc.client.Fault as fault:
        answer = fault
    return result.status, result.headers.get("Content-Type"), answer


def ping(site, source=SOURCE, target=None):
    body = xmlrpc.client.dumps((source, target or permalink(site)), "pingback.ping").encode("utf-8")
    return call(site, body)


def fault_code(answer):
    assert isinstance(answer, xmlrpc.client.Fault), answer
    return answer.faultCode


def replay_wordpress(site):
    """tests/data/samples/wordpress-6.1-pingback.http, its target (and only
    that, the Host header and the path besides) rewritten to the site's entry
    page: its Content-Length changes with it."""
    with open(os.path.join(SAMPLES, "wordpress-6.1-pingback.http"), "rb") as handle:
        data = handle.read()
    head, _, body = data.partition(b"\r\n\r\n")
    wordpress_target = b"http://127.0.0.1:18390/2026/12/a-post-that-advertises-x-pingback.html"
    assert body.count(wordpress_target) == 1
    body = body.replace(wordpress_target, permalink(site).encode("ascii"))
    lines = head.split(b"\r\n")
    lines[0] = lines[0].replace(b"/xmlrpc.php", b"/cgi-bin/mt-pingback.cgi")
    rewritten = {b"host": b"Host: 127.0.0.1:%d" % site.port, b"content-length": b"Content-Length: %d" % len(body)}
    lines = [rewritten.get(line.split(b":")[0].lower(), line) for line in lines]
    return raw_request(site.port, b"\r\n".join(lines) + b"\r\n\r\n" + body)


@pytest.mark.smoke
def test_wordpress_6_1s_pingback_is_registered_hidden_until_its_source_is_read(served):
    status, head, body = replay_wordpress(served)
    assert status == 200 and "text/xml" in head
    source = "http://127.0.0.1:8090/2026/12/07/wordpress-links-to-a-pingback-enabled-page/"
    assert xmlrpc.client.loads(body)[0][0] == (
        "Pingback from %s to %s registered. Keep the web talking! :-)" % (source, permalink(served)))
    [stored] = pings_of(served)
    assert (stored.protocol, stored.source_url, stored.target_url) == ("pingback", source, permalink(served))
    assert not stored.visible and not stored.junk     # its source (on loopback: never fetched) not verified
    assert ping(served, source)[2].faultCode == 48    # WordPress counts 48 as done


def test_the_answer_comes_before_the_source_is_read(site):
    """The check of the source is queued and runs after the answer (the body's
    close(), which a server calls once it has sent it)."""
    app = build(PingbackApp, site.config_path)
    body = xmlrpc.client.dumps((SOURCE, permalink(site)), "pingback.ping").encode()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "text/xml",
               "REMOTE_ADDR": "192.0.2.7", "wsgi.input": io.BytesIO(body)}
    result = app(environ, lambda status, headers: None)
    assert "registered" in xmlrpc.client.loads(b"".join(result))[0][0]
    store = site.store()
    try:
        [job] = store.find(Job)
        [stored] = pings_of(site)
        assert job.kind == "check_linkback" and job.payload == {"ping_id": stored.id}
        assert stored.ip == "192.0.2.7" and not stored.linkback
        result.close()
        assert store.find(Job) == [] and pings_of(site)[0].linkback["state"] == "unreachable"
    finally:
        store.close()
        app.close_store()


def test_every_fault_code(served):
    site = served
    assert fault_code(ping(site, target=site.base + "999999.html")[2]) == 32
    assert fault_code(ping(site, target="http://elsewhere.example/000001.html")[2]) == 32
    closed_entry, closed_item = site.add_entry(title="Closed", body="x")
    store = site.store()
    closed_item = store.get(Trackback, closed_item.id)
    closed_item.is_disabled = True
    store.save(closed_item)
    store.close()
    assert fault_code(ping(site, target=permalink(site, closed_entry))[2]) == 33
    category, _ = site.add_category(label="Secret", allow_pings=True, passphrase="s3cret")
    assert fault_code(ping(site, target=category_archive_url(site.blog, category))[2]) == 33
    assert ping(site)[2].startswith("Pingback from ")
    assert fault_code(ping(site)[2]) == 48
    assert fault_code(ping(site, source="javascript:alert(1)")[2]) == 0
    store = site.store()
    store.save(IPBan(blog_id=site.blog.id, ip="127.0.0.1"))
    store.close()
    status, _, banned = ping(site, source="http://source.example/banned")
    assert (status, fault_code(banned)) == (200, 49)
    assert len(pings_of(site)) == 1


def test_a_weblog_that_switched_pingback_off_or_all_pings_answers_33(site):
    store = site.store()
    site.blog.accept_pingback = False
    store.save(site.blog)
    store.close()
    with serving(site):
        status, _, answer = ping(site)
        assert status == 200 and fault_code(answer) == 33 and "Pingbacks" in answer.faultString
        store = site.store()
        site.blog.accept_pingback, site.blog.accept_pings = True, False
        store.save(site.blog)
        store.close()
        assert fault_code(ping(site)[2]) == 33
    assert pings_of(site) == []


def test_a_throttled_sender_gets_49(site):
    site.update_config("OneHourMaxPingsPerIP 1\n")
    with serving(site):
        assert ping(site)[2].startswith("Pingback from ")
        status, _, answer = ping(site, source="http://source.example/again")
        assert (status, fault_code(answer)) == (200, 49)
    assert len(pings_of(site)) == 1


def test_system_list_methods_and_other_methods(served):
    status, content_type, methods = call(served, xmlrpc.client.dumps((), "system.listMethods").encode())
    assert (status, content_type, methods) == (200, "text/xml; charset=utf-8", ["pingback.ping", "system.listMethods"])
    answer = http(server(served))
    assert answer.status == 200 and "Pingback server" in answer.text
    assert answer.headers["Content-Type"].startswith("text/plain")
    put = http(server(served), data=b"x", method="PUT")
    assert put.status == 405 and "POST" in put.headers["Allow"]


def billion_laughs():
    entities = ['<!ENTITY lol "lol">'] + ['<!ENTITY lol%d "%s">' % (n, ("&lol%s;" % (n - 1 or "")) * 10)
                                          for n in range(1, 10)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE lolz [%s]>\n<methodCall><methodName>pingback.ping</methodName>'
            '<params><param><value>&lol9;</value></param></params></methodCall>' % "".join(entities)).encode()


def method_call(params, name="pingback.ping"):
    return ("<?xml version=\"1.0\"?>\n<methodCall><methodName>%s</methodName><params>%s</params></methodCall>"
            % (name, "".join("<param><value>%s</value></param>" % param for param in params))).encode("utf-8")


def malformed_calls(site):
    """Fifty calls that no Pingback server can register."""
    target = permalink(site)
    good = method_call(["<string>%s</string>" % SOURCE, "<string>%s</string>" % target])
    strings = lambda *texts: method_call(["<string>%s</string>" % text for text in texts])  # noqa: E731
    doctype = '<?xml version="1.0"?>\n<!DOCTYPE methodCall %s>\n'
    call_body = good.split(b"?>\n", 1)[1].decode()
    calls = [b"", b"   \n", b"not xml at all", b"<", b"<methodCall>", good[:len(good) // 2], good[:-1],
             good[:-20], good.replace(b"</params>", b""), good.replace(b"</methodName>", b"</methodname>"),
             b"<methodResponse><params/></methodResponse>", b"<methodCall><params/></methodCall>",
             method_call([], name=""), good.replace(b"<methodName>", b"<methodName>a</methodName><methodName>"),
             good.replace(b"pingback.ping</methodName>", b"pingback.ping<b/></methodName>"),
             method_call(["<string>x</string>"], name="pingback.extensions.getPingbacks"),
             method_call([], name="system.multicall"), method_call([], name="Pingback.Ping"),
             method_call([]), strings(SOURCE), strings(SOURCE, target, "third"),
             method_call(["<int>1</int>", "<string>%s</string>" % target]),
             method_call(["<string>%s</string>" % SOURCE, "<boolean>1</boolean>"]),
             method_call(["<array><data><value>%s</value></data></array>" % SOURCE, "<string>%s</string>" % target]),
             method_call(["<struct><member><name>a</name><value>b</value></member></struct>", target]),
             method_call(["<base64>aGk=</base64>", target]), method_call(["<dateTime.iso8601>20261207T10:00:00"
                                                                          "</dateTime.iso8601>", target]),
             method_call(["<double>1.5</double>", target]), method_call(["<string><b>%s</b></string>" % SOURCE, target]),
             good.replace(b"</value></param>", b"</value><value>x</value></param>", 1),
             good.replace(b"<param><value><string>%s</string></value></param>" % SOURCE.encode(), b"<param/>"),
             good.replace(b"<params>", b"<params><foo/>"), method_call(["text<string>%s</string>" % SOURCE, target]),
             (doctype % "") .encode() + call_body.encode(),
             (doctype % '[<!ENTITY t "%s">]' % target).encode() + call_body.replace(target, "&t;").encode(),
             billion_laughs(),
             (doctype % '[<!ENTITY x SYSTEM "file:///etc/passwd">]').encode() + call_body.replace(SOURCE, "&x;").encode(),
             (doctype % '[<!ENTITY % p SYSTEM "http://127.0.0.1:9/x.dtd"> %p;]').encode() + call_body.encode(),
             call_body.replace(SOURCE, "&undefined;").encode(),
             good.replace(SOURCE.encode(), SOURCE.encode() + b"&#1;"),
             good.replace(b"a-post", b"a-\xe9post"),
             b'<?xml version="1.0" encoding="x-klingon"?>' + call_body.encode(),
             b'<?xml version="1.0" encoding="utf-32"?>' + call_body.encode(),
             good.replace(b"a-post", b"a-\x00post"),
             method_call(["<array><data><value>" * 40 + "x" + "</value></data></array>" * 40, target]),
             good + b"<methodCall/>", good + b"trailing",
             b"<x:methodCall xmlns:x='urn:x'>" + call_body.encode()[len(b"<methodCall>"):].replace(
                 b"</methodCall>", b"</x:methodCall>"),
             strings("javascript:alert(1)", target), strings("", target), strings(SOURCE, ""), strings(target, target),
             strings(target.replace("http://", "https://") + "#here", target),
             strings("http://user:password@source.example/", target), strings("ftp://source.example/", target),
             strings("http://source.example/" + "a" * 5000, target),
             b"<methodCall>" + b"x" * (65536 + 1) + b"</methodCall>"]
    return calls


def test_fifty_malformed_calls_get_a_fault_never_a_500_and_store_nothing(served):
    calls = malformed_calls(served)
    assert len(calls) >= 50
    codes = set()
    for number, body in enumerate(calls):
        status, content_type, answer = call(served, body)
        assert (status, content_type) == (200, "text/xml; charset=utf-8"), (number, body[:80])
        assert isinstance(answer, xmlrpc.client.Fault), (number, body[:80], answer)
        assert answer.faultString and "Traceback" not in answer.faultString, number
        codes.add(answer.faultCode)
    assert codes == {-32700, -32600, -32601, -32602, 0, 32}
    assert pings_of(served) == []
    assert "Traceback" not in served.log()


def test_a_dtd_is_refused_before_any_entity_is_expanded():
    """Straight at the reader: the DOCTYPE alone refuses the call (expat's
    own billion-laughs limits never come into it) and no file is read."""
    for body in (billion_laughs(), b'<!DOCTYPE m SYSTEM "file:///etc/passwd"><methodCall/>'):
        with pytest.raises(CallError) as raised:
            read_call(body)
        assert raised.value.code == PARSE_ERROR and "DTD" in raised.value.message
    assert read_call(b"<methodCall><methodName> pingback.ping </methodName><params><param><value> a </value>"
                     b"</param><param><value><string>&lt;b&gt;</string></value></param></params></methodCall>") == (
        "pingback.ping", [" a ", "<b>"])


def test_answers_escape_what_they_quote():
    assert xmlrpc.client.loads(response("<a & b>\x01"))[0][0] == "<a & b>"
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(fault(0, "</string></value>&\x00"))
    assert raised.value.faultString == "</string></value>&"


def test_a_broken_mt_cfg_is_answered_in_each_protocols_terms(site):
    """No details for the sender (they go to the error log): a fault from the
    Pingback server, plain text from the Webmention endpoint; 500 both."""
    with serving(site):
        site.update_config("OneHourMaxPings lots\n")
        status, _, answer = ping(site)
        assert status == 500 and fault_code(answer) == 0 and "misconfigured" in answer.faultString
        assert "lots" not in answer.faultString
        mentioned = post(site.base + "cgi-bin/mt-webmention.cgi", {"source": SOURCE, "target": permalink(site)})
        assert mentioned.status == 500 and mentioned.text.startswith("The Webmention endpoint is misconfigured")


def test_scripts_renamed_in_mt_cfg_answer_under_their_names(site):
    """PingbackScript and WebmentionScript (the names pages announce) reach
    their applications where one WSGI application serves the installation
    (`mtpy serve --wsgi`, and the tests' in-process server)."""
    site.update_config("PingbackScript xmlrpc.cgi\nWebmentionScript mention.cgi\n")
    with serving(site):
        answer = http(site.base + "cgi-bin/xmlrpc.cgi", data=xmlrpc.client.dumps((), "system.listMethods").encode())
        assert xmlrpc.client.loads(answer.body)[0][0] == ["pingback.ping", "system.listMethods"]
        mentioned = post(site.base + "cgi-bin/mention.cgi", {"source": SOURCE, "target": permalink(site)})
        assert mentioned.status == 202
        assert http(site.base + "cgi-bin/other.cgi").status == 404
