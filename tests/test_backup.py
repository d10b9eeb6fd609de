"""Full backups: every record (but sessions) and the weblogs' templates in one
zip file that restores losslessly into any backend, in one transaction, after a
backup of what it replaces; a bad or newer file changes nothing."""

import io
import json
import os
import tracemalloc
import zipfile

import pytest

from mtpy import __version__
from mtpy.backup import (BACKED_UP, FORMAT, MANIFEST, MAX_INFLATION, BackupError, read_backup, records_file,
                         restore_backup, write_backup)
from mtpy.config import Config
from mtpy.models import Activity, Author, Blog, Category, Entry, IPBan, Job, Permission, Ping, Session
from mtpy.store import SCHEMA_VERSION, open_store


def fill(store, config):
    """One record of every kind, with text, numbers and nested values that a
    careless dump would change; a gap in the entries' ids."""
    author = Author(name="Mélody", email="m@example.com", password_hash="pbkdf2_sha256$1$x$y", is_admin=True)
    writer = Author(name="Writer", email="w@example.com")
    for record in (author, writer):
        store.save(record)
    blog = Blog(name="Weblog <b>&</b> ☃", timezone=-3.5, update_ping_urls=["http://rpc.example/"],
                junk_words=["casino", "pills"], moderate_pings="suspicious", close_pings_after_days=30,
                hold_over_limit=True, email_new_pings=False, site_url="http://127.0.0.1/", archive_url="http://127.0.0.1/")
    store.save(blog)
    category = Category(blog_id=blog.id, author_id=author.id, label="Cat", allow_pings=True, passphrase="pw",
                        ping_urls=["http://out.example/tb"])
    store.save(category)
    gone = Entry(blog_id=blog.id, author_id=author.id, title="Deleted", created_on="2026-11-01 09:00:00")
    store.save(gone)
    entry = Entry(blog_id=blog.id, author_id=writer.id, title="Two\nlines ☃ \"quoted\"", body="a\r\nb\x0bc",
                  created_on="2026-11-02 10:00:00", category_ids=[category.id],
                  comments=[{"author": "x", "text": "nested", "score": 1.5, "tags": ["a", None]}],
                  ping_failures={"http://down.example/": {"error": "timed out", "attempts": 2}},
                  pinged_urls=["http://x.example/tb"])
    store.save(entry)
    store.delete_entry(gone.id)
    item = store.trackback_for(entry=entry)
    store.insert(Ping(blog_id=blog.id, tb_id=item.id, title="Shown", source_url="http://a.example/1",
                      ip="198.51.100.1", created_on="2026-11-03 10:00:00"))
    store.insert(Ping(blog_id=blog.id, tb_id=item.id, title="Junk", source_url="http://b.example/2", ip="::1",
                      created_on="2026-11-03 11:00:00", visible=False, junk=True, junk_score=2.5,
                      junk_reasons=["a link farm"], linkback={"state": "missing", "when": "2026-11-03 11:00:01"}))
    store.insert(IPBan(blog_id=blog.id, ip="203.0.113.0/24"))
    store.insert(Job(kind="mail", payload={"ping_id": 1, "to": ["a", "b"]}, created_on="2026-11-03 10:00:00",
                     not_before="2026-11-03 10:00:00", attempts=1, last_error="refused"))
    store.insert(Permission(author_id=writer.id, blog_id=blog.id, can=["post", "edit_all"]))
    store.insert(Session(author_id=author.id, token_hash="ab", created_on="2026-11-03 10:00:00"))
    store.insert(Activity(blog_id=blog.id, author_id=author.id, kind="login", author_name="Mélody", ip="::1",
                          message="logged in", created_on="2026-11-03 10:00:00"))
    folder = os.path.join(config.get("DataSource"), "templates", "blog-%d" % blog.id)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "index.mtml"), "w", encoding="utf-8") as handle:
        handle.write("<$MTBlogName$> ☃\n")
    return blog, item


def snapshot(store):
    return {kind.__name__: [record.as_dict() for record in store.find(kind)] for kind in BACKED_UP}


def backup_bytes(store, config):
    data = io.BytesIO()
    write_backup(store, config, data)
    return data.getvalue()


def template_text(config, blog):
    path = os.path.join(config.get("DataSource"), "templates", "blog-%d" % blog.id, "index.mtml")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def test_a_backup_restores_every_record(store, store_config):
    blog, item = fill(store, store_config)
    before = snapshot(store)
    data = backup_bytes(store, store_config)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = archive.namelist()
    assert (manifest["schema_version"], manifest["mtpy_version"], manifest["templates"]) == (SCHEMA_VERSION, __version__, 1)
    assert manifest["records"] == {name.lower(): len(records) for name, records in before.items()}
    assert "records/session.jsonl" not in names and not any("mt.cfg" in name for name in names)
    assert "templates/blog-%d/index.mtml" % blog.id in names

    # What changes after the backup is undone by the restore.
    store.save(Entry(blog_id=blog.id, title="After the backup"))
    store.delete(Ping, store.list_pings(tb_id=item.id)[0].id)
    store.save(store.get(Blog, blog.id).copy(name="Renamed"))
    with open(os.path.join(store_config.get("DataSource"), "templates", "blog-%d" % blog.id, "index.mtml"), "w") as handle:
        handle.write("changed")
    changed = snapshot(store)

    # A restore that fails halfway changes nothing (one transaction) and leaves no backup behind.
    backup = read_backup(io.BytesIO(data))
    real_insert, inserted = store.insert, []

    def failing_insert(record):
        if len(inserted) == 5:
            raise OSError("the disk is full")
        inserted.append(record)
        return real_insert(record)

    store.insert = failing_insert
    with pytest.raises(OSError):
        restore_backup(store, store_config, backup)
    del store.insert
    assert snapshot(store) == changed
    assert os.listdir(os.path.join(store_config.get("DataSource"), "backups")) == []

    restored = restore_backup(store, store_config, backup)
    assert snapshot(store) == before and store.count(Session) == 0
    assert template_text(store_config, blog) == "<$MTBlogName$> ☃\n"
    assert store.count_pings(item.id) == 1 and store.find_ping(item.id, "http://b.example/2").junk is True
    assert store.junk_source_seen(blog.id, "http://b.example/2")
    assert dict(restored.counts)["Entry"] == 1
    assert snapshot_of_file(restored.previous) == changed      # what the store held before
    entry = Entry(blog_id=blog.id, title="New")
    store.save(entry)               # ids go on after every id the store ever gave
    assert entry.id > max(record["id"] for record in changed["Entry"])
    assert store.trackback_for(entry=entry).id > item.id


def snapshot_of_file(path):
    found = read_backup(path)
    return {kind.__name__: [record.as_dict() for record in found.records[kind]] for kind in BACKED_UP}


def test_a_backup_moves_from_sqlite_to_flat_to_postgres(tmp_path, postgres_database):
    configs = [Config(text="ObjectDriver sqlite\nDataSource %s\n" % (tmp_path / "sqlite")),
               Config(text="ObjectDriver flat\nDataSource %s\n" % (tmp_path / "flat")),
               Config(text="ObjectDriver postgres\nDataSource %s\n%s" % (tmp_path / "postgres", postgres_database))]
    source = open_store(configs[0], create=True)
    blog, item = fill(source, configs[0])
    before = snapshot(source)
    data = backup_bytes(source, configs[0])
    source.close()
    for config in configs[1:]:
        target = open_store(config, create=True)
        try:
            restore_backup(target, config, read_backup(io.BytesIO(data)))
            assert snapshot(target) == before, config.get("ObjectDriver")
            assert target.count_pings(item.id) == 1
            assert template_text(config, blog) == "<$MTBlogName$> ☃\n"
            data = backup_bytes(target, config)
        finally:
            target.close()


def damaged(data, change):
    """A copy of a backup with its members changed: change(name, bytes) ->
    bytes, or None to leave it out; extra members under the key None."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with source, zipfile.ZipFile(target, "w") as archive:
        for name in source.namelist():
            content = change(name, source.read(name))
            if content is not None:
                archive.writestr(name, content)
        for name, content in (change(None, None) or {}).items():
            archive.writestr(name, content)
    return target.getvalue()


def with_manifest(**changes):
    def change(name, content):
        if name == "manifest.json":
            manifest = json.loads(content)
            manifest.update(changes)
            return json.dumps(manifest)
        return content
    return change


def with_line(member, line):
    def change(name, content):
        return content + line.encode() + b"\n" if name == member else content
    return change


def test_a_bad_or_newer_backup_is_refused_whole(tmp_path):
    config = Config(text="ObjectDriver sqlite\nDataSource %s\n" % (tmp_path / "data"))
    store = open_store(config, create=True)
    try:
        fill(store, config)
        data = backup_bytes(store, config)
        before = snapshot(store)
    finally:
        store.close()
    entry = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("records/entry.jsonl").decode().splitlines()[0])
    cases = {
        b"not a zip at all": "not a zip file",
        data[:len(data) // 2]: "not a zip file",
        damaged(data, lambda name, content: None if name == "manifest.json" else content): "no manifest.json",
        damaged(data, with_manifest(format="another program")): "another program's",
        damaged(data, with_manifest(schema_version=SCHEMA_VERSION + 1)): "made by a newer mtpy",
        damaged(data, with_manifest(format_version=2)): "made by a newer mtpy",
        damaged(data, with_line("records/entry.jsonl", json.dumps(dict(entry, id=99, title=5)))): "wrong type",
        damaged(data, with_line("records/entry.jsonl", json.dumps(dict(entry, id=99, mood="x")))): "fields Entry has not",
        damaged(data, with_line("records/entry.jsonl", json.dumps(entry))): "no id of its own",
        damaged(data, with_line("records/entry.jsonl", "{not json")): "damaged",
        damaged(data, lambda name, content: content if name else {"templates/blog-1/../../mt.cfg": "x"}): "does not restore",
        damaged(data, lambda name, content: content if name else {"mt.cfg": "DBPassword x"}): "does not restore",
        damaged(data, lambda name, content: None if name == "records/ping.jsonl" else content): "ping.jsonl is missing",
    }
    count_changed = damaged(data, with_manifest(records={"entry": 7}))
    cases[count_changed] = "holds 1 records, its manifest says"
    for bad, message in cases.items():
        with pytest.raises(BackupError) as raised:
            read_backup(io.BytesIO(bad))
        assert message in str(raised.value), (message, str(raised.value))
    store = open_store(config)
    try:
        assert snapshot(store) == before
    finally:
        store.close()
    assert not os.path.exists(str(tmp_path / "data" / "backups"))


def test_backup_and_restore_commands(tmp_path, capsys):
    from mtpy import cli
    config_path = tmp_path / "mt.cfg"
    config_path.write_text("ObjectDriver flat\nDataSource %s\n" % (tmp_path / "data"))
    config = Config(str(config_path))
    store = open_store(config, create=True)
    blog, _ = fill(store, config)
    before = snapshot(store)
    store.close()
    target = str(tmp_path / "site.zip")
    assert cli.main(["--config", str(config_path), "backup", target]) == 0
    assert "Backed up Weblogs: 1; Authors: " in capsys.readouterr().err
    store = open_store(config)
    store.save(Entry(blog_id=blog.id, title="After the backup"))
    store.close()
    assert cli.main(["--config", str(config_path), "restore", target]) == 1      # not a terminal: --yes needed
    assert "--yes" in capsys.readouterr().err
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 broken")
    assert cli.main(["--config", str(config_path), "restore", "--yes", str(tmp_path / "bad.zip")]) == 1
    assert "Nothing was changed" in capsys.readouterr().err
    assert cli.main(["--config", str(config_path), "restore", "--yes", target]) == 0
    out = capsys.readouterr().out
    assert "Restored" in out and "mtpy rebuild --blog %d" % blog.id in out
    store = open_store(config)
    try:
        assert snapshot(store) == before
    finally:
        store.close()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_backup_and_restore_through_mt_cgi(cms):
    from support.client import forms
    site, client = cms
    page = client.get("backup")
    assert page.status == 200 and "Download a backup" in page.text and "__mode=backup" in client.get("dashboard").text
    download = client.get("backup_download")
    assert download.status == 200 and download.headers["Content-Type"] == "application/zip"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="mtpy-backup-')
    assert dict(read_backup(io.BytesIO(download.body)).counts())["Entry"] == 1
    site.add_entry(title="After the backup")

    client.get("backup")
    refused = client.post("restore", files={"file": ("bad.zip", b"not a zip", "application/zip")})
    assert refused.status == 200 and "not a zip file" in refused.text and "Nothing was changed" in refused.text
    assert len(site.entries()) == 2

    confirm = client.post("restore", files={"file": ("backup.zip", download.body, "application/zip")})
    assert confirm.status == 200 and "Restore this backup?" in confirm.text
    assert len(site.entries()) == 2        # nothing yet
    [(_, fields)] = [form for form in forms(confirm.text) if "upload" in form[1]]
    fields = {name: values[0] for name, values in fields.items()}
    done = client.post("restore_confirm", dict(fields, confirm="1"), token=False)
    assert done.status == 200 and "Backup restored" in done.text, done.text[:2000]
    assert [entry.title for entry in site.entries()] == ["Hello <World> & Co"]
    backups = os.path.join(site.config.get("DataSource"), "backups")
    [previous] = os.listdir(backups)         # the upload is gone; the store before the restore is kept
    assert previous.endswith("-backup.zip") and previous in done.text
    assert len(read_backup(os.path.join(backups, previous)).records[Entry]) == 2
    assert "__mode=login" in client.get("dashboard").url      # everyone was logged out


def crafted_backup(records_text, compression):
    """A backup whose weblogs' records file is `records_text`, every other one empty."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(MANIFEST, json.dumps({"format": FORMAT, "format_version": 1,
                                               "schema_version": SCHEMA_VERSION,
                                               "records": {kind.__name__.lower(): 0 for kind in BACKED_UP}}))
        for kind in BACKED_UP:
            archive.writestr(records_file(kind), records_text if kind is Blog else "", compress_type=compression)
    return out.getvalue()


def peak_memory_of(call, *args):
    """The most memory Python held during call(*args) beyond what it held before."""
    tracemalloc.start()
    try:
        try:
            call(*args)
        except BackupError as error:
            refusal = str(error)
        else:
            refusal = None
        return tracemalloc.get_traced_memory()[1], refusal
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_before_any_member_is_read():
    bomb = crafted_backup(" " * (16 * 1024 * 1024), zipfile.ZIP_DEFLATED)    # 16 MiB unpacked
    assert len(bomb) < 20 * 1024
    source = io.BytesIO(bomb)
    peak, refusal = peak_memory_of(read_backup, source)
    assert refusal is not None and "would unpack to 16,7" in refusal, refusal
    assert "more than %d times its size" % MAX_INFLATION in refusal
    assert peak < 1024 * 1024, peak


def test_records_are_read_a_line_at_a_time():
    # Stored, not deflated: 8 MiB of blank lines pass the size check, and cost
    # next to nothing read a line at a time (the whole text, then its lines, did).
    stored = crafted_backup((" " * 1023 + "\n") * 8192, zipfile.ZIP_STORED)
    source = io.BytesIO(stored)
    peak, refusal = peak_memory_of(read_backup, source)
    assert refusal is None
    assert peak < 1024 * 1024, peak
