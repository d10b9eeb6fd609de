"""mt.cfg parsing, and what the ping path imports."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT
from mtpy.config import Config, ConfigError
from support.probe import run_probe


def test_defaults_and_relative_paths(tmp_path):
    (tmp_path / "cgi-bin").mkdir()
    path = tmp_path / "cgi-bin" / "mt.cfg"
    path.write_text("# comment\nCGIPath http://example.com/cgi-bin\nLogFile ../logs/mt.log\n"
                    "objectdriver flat\nTransparentProxyIPs 10.0.0.1 10.0.0.2\n")
    config = Config(str(path))
    assert config.get("CGIPath") == "http://example.com/cgi-bin/"
    assert config.get("DataSource") == str(tmp_path / "data")          # beside cgi-bin/
    assert config.get("TemplatePath") == str(tmp_path / "tmpl")
    assert config.get("LogFile") == str(tmp_path / "logs" / "mt.log")
    assert config.get("ObjectDriver") == "flat"
    assert config.get("TransparentProxyIPs") == ["10.0.0.1", "10.0.0.2"]
    assert (config.get("OneHourMaxPings"), config.get("OneDayMaxPings")) == (10, 50)
    assert config.get("GenerateTrackBackRSS") is True and config.get("AllowGetPings") is True
    assert config.get("PublishCharset") == "utf-8" and config.get("TrackbackScript") == "mt-tb.cgi"


def test_unknown_directive_warns(tmp_path):
    config = Config(text="Frobnicate yes\nOneHourMaxPings 3\n")
    assert config.get("OneHourMaxPings") == 3
    assert config.warnings == ["<config> line 1: unknown directive Frobnicate (ignored)"]


@pytest.mark.parametrize("line", ["OneHourMaxPings -1", "AllowGetPings yes", "ObjectDriver mysql",
                                  "MailTransfer pigeon", "MaxRequestBytes 1e6"])
def test_bad_values_name_the_line(line):
    with pytest.raises(ConfigError) as raised:
        Config(text="# first\n" + line + "\n")
    assert "line 2" in str(raised.value) and line.split()[0] in str(raised.value)


def unneeded_modules(site, loaded):
    """What a CGI process of the ping path loaded that it should not have."""
    # json and re: a ping queues its jobs without them (store/sql.py's _dump_json).
    unneeded = {"jinja2", "requests", "email", "smtplib", "urllib.request", "xml.sax",
                "dataclasses", "tempfile", "http.client", "logging", "filelock", "psycopg", "json", "re",
                # datetime: sqlite3.dbapi2 imports it for adapters the store never uses (store/sqlite.py).
                "datetime",
                # mt.cgi's web layer: the ping path reads its own form and has no logins.
                "mtpy.request", "mtpy.apps.cms.base", "mtpy.sessions",
                # the jobs a ping queues run after its answer, loaded by the worker (mtpy.work.HANDLERS)
                "mtpy.publish.republish", "mtpy.mail"}
    # A store may bring its driver and what that imports: filelock for the flat
    # files, which also keep records as JSON; psycopg for PostgreSQL (with
    # asyncio, logging, email... of its own).
    driver = {"flat": "filelock, json", "postgres": "psycopg"}.get(site.config.get("ObjectDriver"))
    if driver:
        unneeded -= set(subprocess.run(
            [sys.executable, "-c", "import sys; import %s; print(' '.join(sys.modules))" % driver],
            capture_output=True, text=True, timeout=60, check=True).stdout.split())
    return sorted(unneeded & loaded)


def test_ping_path_imports_neither_jinja2_nor_requests(site):
    output, loaded = run_probe(site)
    assert "<error>0</error>" in output, output
    assert not unneeded_modules(site, loaded)


# urllib.parse (and with it re): how a Pingback's or Webmention's target is
# matched with a page of the weblog (mtpy.actions.receive.find_target).
FINDING_TARGETS = {"re"}


@pytest.mark.parametrize("app, content_type, body", [
    ("mtpy.apps.pingback:PingbackApp", "text/xml",
     "<?xml version='1.0'?><methodCall><methodName>pingback.ping</methodName><params><param><value>"
     "http://a.example/</value></param><param><value>%s</value></param></params></methodCall>"),
    ("mtpy.apps.webmention:WebmentionApp", "application/x-www-form-urlencoded", "source=http://a.example/&target=%s")])
def test_pingback_and_webmention_import_neither_jinja2_nor_requests(site, app, content_type, body):
    from mtpy.urls import entry_permalink
    body = (body % entry_permalink(site.blog, site.entry)).encode()
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(body))}
    output, loaded = run_probe(site, environ, body, app)
    assert "Status: 200" in output and "registered" in output or "Status: 202" in output, output
    assert not set(unneeded_modules(site, loaded)) - FINDING_TARGETS
    assert "xmlrpc.client" not in loaded and "xml.dom" not in loaded


def test_popup_is_kept_rendered_until_what_it_shows_changes(site):
    """The listing popup imports jinja2 only when something it shows changed
    since it was last rendered: a ping, a hidden ping, a template, the entry."""
    from mtpy.models import Ping
    view = {"REQUEST_METHOD": "GET", "QUERY_STRING": "__mode=view&entry_id=%d" % site.entry.id}

    def popup():
        output, loaded = run_probe(site, view, b"")
        assert "Status: 200" in output and "</html>" in output, output
        rendered = "jinja2" in loaded
        assert rendered or not unneeded_modules(site, loaded)
        return output, rendered

    first, rendered = popup()
    assert rendered and "Discussion on Hello &lt;World&gt; &amp; Co" in first
    again, rendered = popup()
    assert again == first and not rendered
    store = site.store()
    ping = Ping(blog_id=site.blog.id, tb_id=site.item.id, title="A new ping & more", source_url="http://new.example/",
                created_on="2026-11-25 10:00:00")
    store.insert(ping)
    with_ping, rendered = popup()
    assert rendered and "A new ping &amp; more" in with_ping
    assert popup() == (with_ping, False)
    ping.visible = False
    store.update(ping)
    hidden, rendered = popup()
    assert rendered and "A new ping" not in hidden
    site.entry.title = "Renamed"
    store.save(site.entry)
    renamed, rendered = popup()
    assert rendered and "Discussion on Renamed" in renamed
    store.close()
    from mtpy.publish.templates import TemplateSet
    TemplateSet(site.config, site.blog).replace(
        "TrackBack Listing", "<html><$MTEntryTitle$> has <$MTEntryTrackbackCount$> pings</html>", lambda *a: [])
    custom, rendered = popup()
    assert rendered and "Renamed has 0 pings</html>" in custom


def test_the_protocol_folder_imports_no_action():
    """trackback/ is the wire protocol only: receiving a ping (mtpy.actions.receive)
    uses it, never the other way, so a Pingback or Webmention front end shares the
    action without TrackBack's folder."""
    import re
    folder = os.path.join(ROOT, "lib", "mtpy", "trackback")
    importing = [name for name in sorted(os.listdir(folder)) if name.endswith(".py") and re.search(
        r"^\s*(from mtpy\.actions\b|from mtpy import actions\b|import mtpy\.actions\b)",
        open(os.path.join(folder, name), encoding="utf-8").read(), re.M)]
    assert importing == []


def test_the_web_layer_reads_addresses_below_the_protocol():
    """mtpy.web normalises the client's address with mtpy.addresses, which
    imports nothing of mtpy: the web layer no longer reaches up into trackback/."""
    import re
    web = open(os.path.join(ROOT, "lib", "mtpy", "web.py"), encoding="utf-8").read()
    addresses = open(os.path.join(ROOT, "lib", "mtpy", "addresses.py"), encoding="utf-8").read()
    assert not re.search(r"^\s*(from|import) mtpy\.trackback\b", web, re.M)
    assert not re.search(r"^\s*(from|import) mtpy\b", addresses, re.M)


def test_the_protocol_folder_holds_the_wire_protocol_only():
    """trackback/ parses, answers and discovers; writing feeds and republishing
    are publish/'s (mtpy.publish.feeds, mtpy.publish.republish)."""
    folder = os.path.join(ROOT, "lib", "mtpy", "trackback")
    assert sorted(name for name in os.listdir(folder) if name.endswith(".py")) == [
        "__init__.py", "discover.py", "envelope.py", "form.py", "rdf.py", "replies.py", "rules.py"]
    writing = [name for name in sorted(os.listdir(folder)) if name.endswith(".py")
               and "write_atomic" in open(os.path.join(folder, name), encoding="utf-8").read()]
    assert writing == []


def test_public_urls_are_built_in_one_module():
    """mtpy.urls builds the scripts', ping, popup and archive URLs: no other
    module spells them out."""
    import re
    spelled = re.compile(r"__mode=view&|__mode=pings&|%06d\.html|\.script_url\(|"
                         r"^def (entry_permalink|category_archive_url|category_ping_url)\(")
    library = os.path.join(ROOT, "lib", "mtpy")
    found = []
    for folder, _, names in os.walk(library):
        for name in names:
            path = os.path.join(folder, name)
            if name.endswith(".py") and path != os.path.join(library, "urls.py"):
                found += ["%s: %s" % (os.path.relpath(path, library), line.strip())
                          for line in open(path, encoding="utf-8") if spelled.search(line)]
    assert found == []


def test_pages_are_fetched_by_one_helper_and_no_screen():
    """mtpy.outbound.fetch_page fetches every page read for what it links to or
    announces (auto-discovery, the bookmarklet, link-back checks); mt.cgi's
    screens call actions for it, never the network."""
    import re
    library = os.path.join(ROOT, "lib", "mtpy")
    fetching, networking = [], []
    for folder, _, names in os.walk(library):
        for name in (name for name in names if name.endswith(".py")):
            path = os.path.join(folder, name)
            source = open(path, encoding="utf-8").read()
            if path != os.path.join(library, "outbound.py") and re.search(
                    r"outbound\.fetch\(|import .*\bfetch\b|decode_body\(response", source):
                fetching.append(os.path.relpath(path, library))
            if os.path.relpath(path, library).startswith("apps") and re.search(r"\boutbound\b.*import|import.*\boutbound\b",
                                                                                   source):
                networking.append(os.path.relpath(path, library))
    assert (fetching, networking) == (["pingback/client.py"], [])     # Pingback and update pings POST XML-RPC
