"""A browser without the browser, for mt.cgi's tests: cookies kept, forms
posted with the page's own token, redirects followed (or not), every request
to 127.0.0.1 and bounded in time. It goes through a web server, or to a WSGI
application in this process (support.wsgi): the one given (`app`), or the one
answering the URL (serve_in_process), the work after each answer done before
the answer returns."""

import html.parser
import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request

from support.http import HTTPResult
from support.sites import ADMIN_PASSWORD, make_admin
from support.wsgi import InProcessHandler, _NoRedirect, at_script


class FormReader(html.parser.HTMLParser):
    """The forms of a page as a browser would submit them: [(action, {name:
    [values]})] from inputs (checked boxes only), textareas and selects."""

    def __init__(self):
        html.parser.HTMLParser.__init__(self, convert_charrefs=True)
        self.forms = []
        self.textarea = None        # [name, text] while inside one
        self.select = None          # [name, first option, selected option]

    def _add(self, name, value):
        if self.forms and name:
            self.forms[-1][1].setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append((attrs.get("action", ""), {}))
        elif tag == "input" and attrs.get("name") and attrs.get("type") != "submit":
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._add(attrs["name"], attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = [attrs.get("name"), ""]
        elif tag == "select":
            self.select = [attrs.get("name"), None, None]
        elif tag == "option" and self.select is not None:
            value = attrs.get("value", "")
            if self.select[1] is None:
                self.select[1] = value
            if "selected" in attrs:
                self.select[2] = value

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            text = self.textarea[1][1:] if self.textarea[1].startswith("\n") else self.textarea[1]
            self._add(self.textarea[0], text)
            self.textarea = None
        elif tag == "select" and self.select is not None:
            name, first, selected = self.select
            self._add(name, selected if selected is not None else (first or ""))
            self.select = None


def forms(page):
    reader = FormReader()
    reader.feed(page)
    return reader.forms


class CMSClient:
    """One visitor of mt.cgi at `base` (the site's root URL); with `app` (one
    script's WSGI application, such as mtpy.apps.cms.CMSApp), answered by it in
    this process; without, by what answers `base` (in this process or a server)."""

    def __init__(self, base, script="cgi-bin/mt.cgi", app=None):
        assert base.startswith("http://127.0.0.1:")
        self.base = base
        self.script_url = base + script
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect(),
                                                  InProcessHandler(at_script(app) if app is not None else None))
        self.last = None

    def url(self, mode=None, **params):
        query = [("__mode", mode)] if mode else []
        query += [(name, str(value)) for name, value in params.items()]
        return self.script_url + ("?" + urllib.parse.urlencode(query) if query else "")

    def request(self, url, data=None, headers=None, follow=True, method=None):
        """GET (or POST when data is given); follows redirects on this host."""
        for _ in range(10):
            request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
            try:
                with self.opener.open(request, timeout=60) as response:
                    result = HTTPResult(response.status, response.headers, response.read())
            except urllib.error.HTTPError as error:
                result = HTTPResult(error.code, error.headers, error.read())
            result.url = url
            location = result.headers.get("Location")
            if follow and result.status in (301, 302, 303, 307) and location:
                url = urllib.parse.urljoin(url, location)
                assert url.startswith(self.base), url
                data, headers, method = None, None, None
                continue
            self.last = result
            return result
        raise AssertionError("too many redirects")

    def get(self, mode=None, follow=True, **params):
        return self.request(self.url(mode, **params), follow=follow)

    def token(self, page=None):
        """The form token of a page (the last page seen, by default)."""
        page = page if page is not None else self.last.text
        for _, fields in forms(page):
            if "magic_token" in fields:
                return fields["magic_token"][0]
        raise AssertionError("no form token on the page")

    def post(self, mode, fields=(), files=None, token=True, follow=True, **params):
        """POST a form to a mode; `token=True` takes the token from the last page
        (a GET of the dashboard first when there is none: logged out, that is
        the login page, whose token is the form cookie's)."""
        fields = list(fields.items() if isinstance(fields, dict) else fields)
        if token is True:
            if self.last is None or "magic_token" not in self.last.text:
                self.get("dashboard")
            fields.append(("magic_token", self.token()))
        elif token:
            fields.append(("magic_token", token))
        if files:
            body, content_type = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        return self.request(self.url(mode, **params), data=body, headers={"Content-Type": content_type},
                            follow=follow)

    def submit(self, page, changes=(), having=None, headers=None):
        """Send a form of `page` as a browser would, with `changes` ({name: value
        or [values]}) made to its fields: the first that has a field `having`,
        else the one with the most fields (the screen's, not Log out's)."""
        found = [(action, fields) for action, fields in forms(page.text) if having is None or having in fields]
        assert found, page.text[:2000]
        action, fields = max(found, key=lambda form: len(form[1])) if having is None else found[0]
        for name, value in dict(changes).items():
            fields[name] = value if isinstance(value, list) else [value]
        body = urllib.parse.urlencode([(name, value) for name, values in fields.items() for value in values])
        return self.request(urllib.parse.urljoin(page.url, action), data=body.encode("utf-8"),
                            headers=dict({"Content-Type": "application/x-www-form-urlencoded"}, **(headers or {})))

    def log_in(self, name, password):
        self.get("login")
        result = self.post("login", {"username": name, "password": password})
        assert result.status == 200 and "Log out" in result.text, result.text[:2000]
        return result


def multipart(fields, files):
    """(body, content type) of a multipart/form-data request; files:
    {name: (filename, bytes, content type)}."""
    boundary = "----mtpy-test-boundary-7d1f"
    lines = []
    for name, value in fields:
        lines += [b"--" + boundary.encode(), ('Content-Disposition: form-data; name="%s"' % name).encode(), b"",
                  str(value).encode("utf-8")]
    for name, (filename, data, content_type) in files.items():
        lines += [b"--" + boundary.encode(),
                  ('Content-Disposition: form-data; name="%s"; filename="%s"' % (name, filename)).encode(),
                  ("Content-Type: %s" % content_type).encode(), b"", data]
    lines += [b"--" + boundary.encode() + b"--", b""]
    return b"\r\n".join(lines), "multipart/form-data; boundary=" + boundary


def refresh_url(page):
    """Where a progress page goes next: its Refresh header, which its
    <meta http-equiv="refresh"> repeats."""
    header = page.headers.get("Refresh")
    if header is None:
        return None
    delay, _, target = header.partition("; url=")
    assert delay == "0"
    escaped = target.replace("&", "&amp;")
    assert '<meta http-equiv="refresh" content="0; url=%s">' % escaped in page.text
    return urllib.parse.urljoin(page.url, target)


def follow_steps(client, page):
    """Follow a rebuild's progress pages to the end: (last page, step URLs)."""
    urls = [page.url]
    while True:
        assert page.status == 200, page.text[:1000]
        following = refresh_url(page)
        if following is None:
            return page, urls
        assert "Rebuilding" in page.text and "<progress" in page.text
        page = client.request(following)
        urls.append(following)


def logged_in_admin(site):
    """Melody made a system administrator (make_admin), logged in to the site's
    mt.cgi: a CMSClient."""
    make_admin(site)
    client = CMSClient(site.base)
    client.log_in(site.author.name, ADMIN_PASSWORD)
    return client


def entry_fields(**changes):
    fields = {"title": "A new entry", "body": "Body text", "extended": "", "excerpt": "", "keywords": "",
              "category_id": "", "status": "Draft", "created_on": "2026-11-20 09:30:00", "convert_breaks": "1",
              "allow_pings": "1", "to_ping_urls": ""}
    fields.update(changes)
    return [(name, value) for name, value in fields.items() if value is not None]


def settings_form(client, blog_id):
    """The weblog settings form's fields as the screen fills them in: {name: value}."""
    (_, fields), = [form for form in forms(client.get("blog_settings", blog_id=blog_id).text)
                    if "own_links" in form[1]]
    return {name: values[0] for name, values in fields.items() if name != "magic_token"}
