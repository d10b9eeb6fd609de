"""mt-webmention.cgi, the Webmention endpoint (mtpy.apps.webmention,
mtpy.webmention.form), on every backend: in this process (the `served`
fixture), the `smoke` one also through lighttpd and `mtpy serve`. A valid
request is 202 with a hidden ping whose source is read after the answer; fifty
bad ones are 400 (405, 413) with a reason in words, and store nothing."""

import io
import urllib.parse

import pytest

from support.http import http, post
from support.sites import pings_of
from support.wsgi import serving
from mtpy.apps.webmention import WebmentionApp
from mtpy.hosting import build
from mtpy.models import IPBan, Job, Trackback
from mtpy.urls import category_archive_url, entry_permalink

SOURCE = "http://source.example/2026/12/a-reply.html"


def endpoint(site):
    return site.base + "cgi-bin/mt-webmention.cgi"


def mention(site, source=SOURCE, target=None):
    return post(endpoint(site), {"source": source, "target": target or entry_permalink(site.blog, site.entry)})


@pytest.mark.smoke
def test_a_webmention_is_accepted_and_held_until_its_source_is_read(served):
    target = entry_permalink(served.blog, served.entry)
    answer = mention(served)
    assert answer.status == 202 and answer.headers["Content-Type"] == "text/plain; charset=utf-8", answer.text
    assert "Location" not in answer.headers and SOURCE in answer.text
    [stored] = pings_of(served)
    assert (stored.protocol, stored.source_url, stored.target_url) == ("webmention", SOURCE, target)
    assert not stored.visible and not stored.junk
    again = mention(served, target=target + "#comments")     # the same source and target: an update
    assert again.status == 202 and [ping.id for ping in pings_of(served)] == [stored.id]


def test_the_answer_comes_before_the_source_is_read(site):
    app = build(WebmentionApp, site.config_path)
    body = urllib.parse.urlencode({"source": SOURCE, "target": entry_permalink(site.blog, site.entry)}).encode()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)),
               "CONTENT_TYPE": "application/x-www-form-urlencoded", "REMOTE_ADDR": "192.0.2.8",
               "wsgi.input": io.BytesIO(body)}
    started = []
    result = app(environ, lambda status, headers: started.append(status))
    assert started == ["202 Accepted"] and b"Accepted" in b"".join(result)
    store = site.store()
    try:
        [job] = store.find(Job)
        [stored] = pings_of(site)
        assert job.kind == "check_linkback" and job.payload == {"ping_id": stored.id} and not stored.linkback
        result.close()
        assert store.find(Job) == [] and pings_of(site)[0].linkback["state"] == "unreachable"
    finally:
        store.close()
        app.close_store()


def bad_requests(site):
    """Fifty requests no receiver takes: (method, body or fields, content type,
    the status, a word of the reason)."""
    target = entry_permalink(site.blog, site.entry)
    draft, _ = site.add_entry(title="Draft", status="Draft")
    closed, closed_item = site.add_entry(title="Closed")
    store = site.store()
    closed_item = store.get(Trackback, closed_item.id)
    closed_item.is_disabled = True
    store.save(closed_item)
    store.close()
    shut, _ = site.add_category(label="Shut", allow_pings=False)
    form = "application/x-www-form-urlencoded"

    def fields(source=SOURCE, target=target):
        return {name: value for name, value in (("source", source), ("target", target)) if value is not None}

    requests = [(method, fields(), form, 405, "POST") for method in ("GET", "PUT", "DELETE", "OPTIONS", "PATCH")]
    requests += [("POST", body, form, 400, word) for body, word in [
        ({}, "Missing source"), (fields(target=None), "Missing target"), (fields(source=None), "Missing source"),
        (fields(source=""), "Missing source"), (fields(target=""), "Missing target"),
        (fields(source="   "), "Missing source"), (fields(source="not a url"), "not an absolute URL"),
        (fields(source="source.example/page"), "not an absolute URL"),
        (fields(source="https//source.example/typo"), "not an absolute URL"),
        (fields(source="//source.example/scheme-relative"), "not an absolute URL"),
        (fields(source="javascript:alert(1)"), "scheme"), (fields(source="ftp://source.example/"), "scheme"),
        (fields(source="mailto:someone@source.example"), "scheme"),
        (fields(source="data:text/html,<a href=x>"), "scheme"), (fields(source="file:///etc/passwd"), "scheme"),
        (fields(source="gopher://source.example/"), "scheme"), (fields(target="ftp://127.0.0.1/000001.html"), "scheme"),
        (fields(target="javascript:alert(document.cookie)"), "scheme"), (fields(source="http://"), "not a valid URL"),
        (fields(source="http:///path"), "not a valid URL"), (fields(source="http:/source.example/"), "not a valid URL"),
        (fields(source="http://user:password@source.example/"), "not a valid URL"),
        (fields(source="http://source.example:99999/"), "not a valid URL"),
        (fields(source="http://source.example/a b"), "not a valid URL"),
        (fields(source='http://source.example/"><script>alert(1)</script>'), "not a valid URL"),
        (fields(source="http://source.example/a\nb"), "not a valid URL"),
        (fields(source="http://source.example/\x00"), "not a valid URL"),
        (fields(source="http://[::1/"), "not a valid URL"), (fields(target="not a url"), "not an absolute URL"),
        (fields(target="127.0.0.1/000001.html"), "not an absolute URL"),
        (fields(source="http://source.example/" + "a" * 5000), "longer than"),
        (fields(source=target), "same page"), (fields(source=target + "#here"), "same page"),
        (fields(source=target.replace("http://", "https://")), "same page"),
        (fields(target="http://elsewhere.example/000001.html"), "does not exist"),
        (fields(target=site.base + "nope.html"), "does not exist"),
        (fields(target=site.base + "999999.html"), "does not exist"),
        (fields(target=site.base), "does not exist"), (fields(target=target + "?p=1"), "does not exist"),
        (fields(target=entry_permalink(site.blog, draft)), "does not exist"),
        (fields(target=entry_permalink(site.blog, closed)), "takes no pings"),
        (fields(target=category_archive_url(site.blog, shut)), "takes no pings")]]
    requests += [("POST", urllib.parse.urlencode(fields()).encode(), content_type, 400, form) for content_type in (
        "application/json", "multipart/form-data; boundary=x", "text/plain")]
    requests.append(("POST", b"source=" + b"x" * 65536, form, 413, "larger than"))
    return requests


def test_fifty_bad_requests_get_a_reason_and_store_nothing(served):
    requests = bad_requests(served)
    assert len(requests) >= 50
    for number, (method, body, content_type, status, word) in enumerate(requests):
        data = urllib.parse.urlencode(body).encode() if isinstance(body, dict) else body
        answer = http(endpoint(served), data=data if method != "GET" else None, method=method,
                      headers={"Content-Type": content_type})
        assert (answer.status, answer.headers["Content-Type"]) == (status, "text/plain; charset=utf-8"), (
            number, body, answer.text)
        assert word in answer.text and "Traceback" not in answer.text, (number, body, answer.text)
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert pings_of(served) == [] and "Traceback" not in served.log()


def test_a_weblog_that_takes_no_webmentions_or_no_pings_or_bans_the_sender_says_so(site):
    store = site.store()
    site.blog.accept_webmention = False
    store.save(site.blog)
    store.close()
    with serving(site):
        answer = mention(site)
        assert answer.status == 400 and answer.text == "This weblog takes no Webmentions.\n"
        store = site.store()
        site.blog.accept_webmention, site.blog.accept_pings = True, False
        store.save(site.blog)
        store.close()
        assert mention(site).status == 400
        store = site.store()
        site.blog.accept_pings = True
        store.save(site.blog)
        store.save(IPBan(blog_id=site.blog.id, ip="127.0.0.1"))
        store.close()
        assert mention(site).status == 400 and "not allowed" in mention(site).text
    assert pings_of(site) == []


def test_a_throttled_sender_is_told_when_to_come_back(site):
    site.update_config("OneHourMaxPingsPerIP 1\n")
    with serving(site):
        assert mention(site).status == 202
        again = mention(site, source="http://source.example/another")
        assert again.status == 429 and again.headers["Retry-After"] == "3600"
    assert len(pings_of(site)) == 1


def test_a_category_page_that_takes_pings_is_a_target(served):
    category, item = served.add_category(label="Open", allow_pings=True)
    assert mention(served, target=category_archive_url(served.blog, category)).status == 202
    assert [ping.protocol for ping in pings_of(served, item)] == ["webmention"]
    assert pings_of(served) == []
