"""The mtpy command: set-up and administration (in this process, support.cli),
its errors (as a real process: one line, no traceback)."""

import os
import sys

import pytest

from support.cli import mtpy
from support.environment import ROOT

SAMPLE_EXPORT = os.path.join(ROOT, "tests", "data", "mt-export-sample.txt")


@pytest.fixture
def installed(tmp_path, backend):
    config = tmp_path / "cgi-bin" / "mt.cfg"
    config.parent.mkdir()
    config.write_text("CGIPath http://example.com/cgi-bin/\nObjectDriver %s\n" % backend)
    done = mtpy("init", "--admin", "Melody", "--email", "m@example.com", "--password", "melody-secret", config=config)
    where = {"sqlite": str(tmp_path / "data" / "mtpy.db"), "flat": str(tmp_path / "data"),
             "postgres": 'PostgreSQL database "%s"' % os.environ.get("PGDATABASE")}[backend]
    assert "Created the store in %s" % where in done.stdout      # where the records are
    blog_id = mtpy("blog", "create", "--name", "My Weblog", "--site-url", "http://example.com/",
                   "--site-path", str(tmp_path / "site"), "--archive-url", "http://example.com/arch",
                   "--archive-path", str(tmp_path / "site" / "arch"), config=config).stdout
    return config, blog_id.strip()


def test_init_refuses_to_overwrite(installed, tmp_path):
    config, _ = installed
    assert (tmp_path / "data").is_dir()                # beside cgi-bin/, not inside it
    done = mtpy("init", "--admin", "X", "--email", "x@example.com", "--password", "melody-secret", config=config, check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("mtpy: A store already exists") and "Traceback" not in done.stderr


def test_init_refuses_a_short_password_before_creating_the_store(tmp_path):
    config = tmp_path / "cgi-bin" / "mt.cfg"
    done = mtpy("init", "--admin", "Melody", "--email", "m@example.com", "--password", "pw", config=config,
                check=False)
    assert done.returncode == 1 and "at least 8 characters" in done.stderr, done.stderr
    assert not (tmp_path / "data").exists()


def test_init_takes_password_from_environment(tmp_path):
    config = tmp_path / "mt.cfg"
    done = mtpy("init", "--admin", "Melody", "--email", "m@example.com", config=config,
                env={"MTPY_PASSWORD": "from-env"})
    assert "Created the store" in done.stdout
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    from mtpy.config import Config
    from mtpy.models import Author
    from mtpy.passwords import check_password
    from mtpy.store import open_store
    store = open_store(Config(str(config)))
    [author] = store.find(Author)
    assert check_password("from-env", author.password_hash) and not check_password("nope", author.password_hash)


def test_blog_create_prints_id_alone_and_set_changes(installed):
    config, blog_id = installed
    assert blog_id == "1"
    mtpy("blog", "set", "--blog", blog_id, "--email-new-pings", "0", "--timezone", "-3.5", config=config)
    listing = mtpy("blog", "list", config=config).stdout
    assert listing == "1\thttp://example.com/\tMy Weblog\n"
    bad = mtpy("blog", "set", "--blog", blog_id, "--email-new-pings", "maybe", config=config, check=False)
    assert bad.returncode == 2 and "expected 0 or 1" in bad.stderr
    mtpy("blog", "set", "--blog", blog_id, "--autodiscover-links", "1",
         "--update-ping-urls", "http://rpc.example/RPC2 https://ping.example/", config=config)
    from mtpy.config import Config
    from mtpy.models import Blog
    from mtpy.store import open_store
    store = open_store(Config(str(config)))
    try:
        blog = store.get(Blog, int(blog_id))
        assert (blog.autodiscover_links, blog.update_ping_urls) == (
            True, ["http://rpc.example/RPC2", "https://ping.example/"])
    finally:
        store.close()
    refused = mtpy("blog", "set", "--blog", blog_id, "--update-ping-urls", "ftp://files.example/", config=config,
                   check=False)
    assert refused.returncode == 1 and "Not an http:// or https:// URL: 'ftp://files.example/'" in refused.stderr


def test_import_entry_list_set_export(installed, tmp_path):
    config, blog_id = installed
    done = mtpy("import", "--blog", blog_id, SAMPLE_EXPORT, config=config)
    assert done.stdout.startswith("Imported ")
    lines = mtpy("entry", "list", "--blog", blog_id, config=config).stdout.splitlines()
    assert lines, "nothing imported"
    first = lines[0].split("\t")
    assert len(first) == 5 and first[1] in ("Publish", "Draft") and first[2] in ("0", "1")
    pingable = [line.split("\t") for line in lines if line.split("\t")[2] == "1"]
    assert pingable[0][3] == "http://example.com/cgi-bin/mt-tb.cgi/%s" % pingable[0][3].rsplit("/", 1)[1]
    entry_id = pingable[0][0]
    mtpy("entry", "set", "--blog", blog_id, "--entry", entry_id, "--allow-pings", "0", "--status", "Draft", config=config)
    changed = [l.split("\t") for l in mtpy("entry", "list", "--blog", blog_id, config=config).stdout.splitlines()
               if l.split("\t")[0] == entry_id][0]
    assert changed[1:4] == ["Draft", "0", ""]
    exported = mtpy("export", "--blog", blog_id, config=config).stdout
    assert "PING:" in exported and "--------" in exported
    # A second weblog gets the same entries and pings from the export.
    other = mtpy("blog", "create", "--name", "Copy", "--site-url", "http://copy.example/",
                 "--site-path", str(tmp_path / "copy"), config=config).stdout.strip()
    export_file = tmp_path / "export.txt"
    export_file.write_text(exported)
    mtpy("import", "--blog", other, str(export_file), config=config)
    again = mtpy("export", "--blog", other, config=config).stdout
    assert again == exported


def test_import_of_a_broken_file_imports_nothing(installed, tmp_path):
    config, blog_id = installed
    broken = tmp_path / "broken.txt"
    broken.write_text("TITLE: fine\n-----\nBODY:\nok\n--------\nTITLE: bad\nDATE: 13/45/2003 99:00:00 PM\n-----\n--------\n")
    done = mtpy("import", "--blog", blog_id, str(broken), config=config, check=False)
    assert done.returncode == 1 and "nothing imported" in done.stderr and "Traceback" not in done.stderr
    assert mtpy("entry", "list", "--blog", blog_id, config=config).stdout == ""


def test_category_set_prints_ping_url(installed):
    config, blog_id = installed
    url = mtpy("category", "set", "--blog", blog_id, "--label", "Perl", "--allow-pings", "1",
               "--passphrase", "s3", config=config).stdout.strip()
    assert url.startswith("http://example.com/cgi-bin/mt-tb.cgi/") and url.endswith("/s3")
    quiet = mtpy("category", "set", "--blog", blog_id, "--label", "Perl", "--allow-pings", "0", config=config)
    assert quiet.stdout == ""


def test_ipban_add_list_remove(installed):
    config, blog_id = installed
    for address in ("192.168.", "10.0.0.0/8", "2001:db8::/32", "203.0.113.9"):
        mtpy("ipban", "add", "--blog", blog_id, address, config=config)
    assert mtpy("ipban", "list", "--blog", blog_id, config=config).stdout.split() == [
        "192.168.", "10.0.0.0/8", "2001:db8::/32", "203.0.113.9"]
    bad = mtpy("ipban", "add", "--blog", blog_id, "192.168.*", config=config, check=False)
    assert bad.returncode == 1 and "Not an address" in bad.stderr
    mtpy("ipban", "remove", "--blog", blog_id, "10.0.0.0/8", config=config)
    assert "10.0.0.0/8" not in mtpy("ipban", "list", "--blog", blog_id, config=config).stdout


def test_ping_list_and_delete_rewrite_feed(installed, tmp_path):
    config, blog_id = installed
    mtpy("import", "--blog", blog_id, SAMPLE_EXPORT, config=config)
    pings = [line.split("\t") for line in mtpy("ping", "list", "--blog", blog_id, config=config).stdout.splitlines()]
    assert len(pings) >= 2
    victim, item_id, victim_url = pings[0][0], pings[0][1], pings[0][4]
    survivors = [p[4] for p in pings[1:] if p[1] == item_id]
    mtpy("ping", "delete", "--blog", blog_id, victim, config=config)
    remaining = mtpy("ping", "list", "--blog", blog_id, config=config).stdout
    assert not any(line.split("\t")[0] == victim for line in remaining.splitlines())
    feed = (tmp_path / "site" / "arch" / ("%s.xml" % item_id)).read_text()
    assert victim_url not in feed and "<rss" in feed
    assert all(url in feed for url in survivors)
    missing = mtpy("ping", "delete", "--blog", blog_id, "99999", config=config, check=False)
    assert missing.returncode == 1 and "No ping 99999" in missing.stderr


def test_author_add_list_permit_password(installed):
    config, blog_id = installed
    done = mtpy("author", "add", "--name", "Ann", "--email", "ann@example.com", config=config,
                env={"MTPY_PASSWORD": "long enough"})
    assert done.stdout == "2\n"
    short = mtpy("author", "add", "--name", "Bob", "--email", "b@example.com", "--password", "short",
                 config=config, check=False)
    assert short.returncode == 1 and "at least 8 characters" in short.stderr and "Traceback" not in short.stderr
    mtpy("author", "permit", "--name", "Ann", "--blog", blog_id, "--can", "bans,post", config=config)
    bad = mtpy("author", "permit", "--name", "Ann", "--blog", blog_id, "--can", "fly", config=config, check=False)
    assert bad.returncode == 1 and "Unknown permission fly" in bad.stderr
    assert mtpy("author", "list", config=config).stdout.splitlines() == [
        "1\tMelody\tm@example.com\tadmin", "2\tAnn\tann@example.com\t1:post,bans"]
    changed = mtpy("author", "password", "--name", "Ann", config=config, env={"MTPY_PASSWORD": "another one"})
    assert changed.stdout.startswith("Changed the password of Ann")
    sys.path.insert(0, os.path.join(ROOT, "lib"))
    from mtpy.actions.authors import authenticate
    from mtpy.config import Config
    from mtpy.store import open_store
    store = open_store(Config(str(config)))
    try:
        assert authenticate(store, "Ann", "another one").name == "Ann"
        assert authenticate(store, "Ann", "long enough") is None
    finally:
        store.close()


def test_errors_are_one_line(tmp_path):
    done = mtpy("entry", "list", "--blog", "1", config=tmp_path / "none.cfg", check=False, in_process=False)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "No configuration" in done.stderr
    bad = tmp_path / "bad.cfg"
    bad.write_text("OneHourMaxPings lots\nFrobnicate 1\n")
    done = mtpy("entry", "list", "--blog", "1", config=bad, check=False, in_process=False)
    assert done.returncode == 1 and "line 1" in done.stderr and "OneHourMaxPings" in done.stderr
    assert "Traceback" not in done.stderr
