"""The storage interface behaves the same on every backend."""

import threading

import pytest

from mtpy.models import Blog, Entry, Category, Trackback, Ping, IPBan, Author, Permission, Session, Activity
from mtpy.store import StoreError, open_store
from mtpy.config import Config


def make_blog(store):
    blog = Blog(name="B", site_url="http://h/", archive_url="http://h/arch/")
    store.save(blog)
    return blog


def test_records_round_trip(store):
    blog = make_blog(store)
    author = Author(name="Mel", email="mel@example.com")
    store.save(author)
    entry = Entry(blog_id=blog.id, author_id=author.id, title="T\u00e9", body="<p>b</p>",
                  to_ping_urls=["http://a/"], category_ids=[3, 1],
                  created_on="2026-01-02 03:04:05")
    store.save(entry)
    again = store.get(Entry, entry.id)
    assert again == entry
    assert again.to_ping_urls == ["http://a/"] and again.category_ids == [3, 1]
    assert store.get(Entry, 9999) is None
    assert store.get(Blog, blog.id).name == "B"


def test_find_orders_and_filters(store):
    blog = make_blog(store)
    for n in range(5):
        store.save(Entry(blog_id=blog.id, title="e%d" % n, status="Draft" if n % 2 else "Publish",
                         created_on="2026-01-0%d 00:00:00" % (5 - n)))
    published = store.find(Entry, blog_id=blog.id, status="Publish", order_by="created_on")
    assert [e.title for e in published] == ["e4", "e2", "e0"]
    newest = store.find(Entry, blog_id=blog.id, order_by="created_on", desc=True, limit=2)
    assert [e.title for e in newest] == ["e0", "e1"]
    second_page = store.find(Entry, blog_id=blog.id, order_by="created_on", desc=True, limit=2, offset=2)
    assert [e.title for e in second_page] == ["e2", "e3"]
    assert [e.title for e in store.find(Entry, blog_id=blog.id, offset=3)] == ["e3", "e4"]
    assert store.count(Entry, blog_id=blog.id, status="Draft") == 2 and store.count(Entry) == 5
    assert store.count(Entry, blog_id=blog.id + 1) == 0


def test_entry_save_creates_updates_disables_trackback(store):
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="One", body="hello world", allow_pings=True)
    store.save(entry)
    item = store.trackback_for(entry=entry)
    assert item is not None and not item.is_disabled
    assert item.title == "One" and item.url == "http://h/arch/%06d.html" % entry.id
    assert item.description == "hello world"   # MT's automatic excerpt ("..." only when cut)
    entry.title = "Two"
    entry.allow_pings = False
    store.save(entry)
    item2 = store.trackback_for(entry=entry)
    assert item2.id == item.id and item2.is_disabled and item2.title == "Two"
    entry.allow_pings = True
    store.save(entry)
    assert not store.trackback_for(entry=entry).is_disabled


def test_entry_without_pings_gets_no_item(store):
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x", allow_pings=False)
    store.save(entry)
    assert store.trackback_for(entry=entry) is None


def test_category_item_carries_passphrase(store):
    blog = make_blog(store)
    cat = Category(blog_id=blog.id, label="Perl", allow_pings=True, passphrase="s3")
    store.save(cat)
    item = store.trackback_for(category=cat)
    assert item.category_id == cat.id and item.passphrase == "s3" and item.title == "Perl"


def test_pings_listing_counting_duplicates(store):
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    for n in range(12):
        store.insert(Ping(blog_id=blog.id, tb_id=item.id, title="p%d" % n,
                          source_url="http://s/%d" % n, created_on="2026-01-01 00:00:%02d" % n,
                          visible=(n != 5)))
    assert store.count_pings(item.id) == 11
    assert store.count_pings(item.id, visible_only=False) == 12
    newest = store.list_pings(tb_id=item.id, newest_first=True, limit=3)
    assert [p.title for p in newest] == ["p11", "p10", "p9"]
    oldest = store.list_pings(tb_id=item.id)
    assert [p.title for p in oldest][:6] == ["p0", "p1", "p2", "p3", "p4", "p6"]
    assert store.find_ping(item.id, "http://s/3").title == "p3"
    assert store.find_ping(item.id, "http://s/none") is None
    assert store.count_pings_since(blog.id, "2026-01-01 00:00:10") == 2
    assert len(store.list_pings(blog_id=blog.id, visible_only=False)) == 12
    victim = oldest[0]
    assert store.delete(Ping, victim.id)
    assert store.count_pings(item.id) == 10
    assert store.find_ping(item.id, "http://s/0") is None
    assert not store.delete(Ping, victim.id)


def test_delete_entry_removes_item_and_pings(store):
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    store.insert(Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s/"))
    assert store.delete_entry(entry.id)
    assert store.get(Entry, entry.id) is None
    assert store.get(Trackback, item.id) is None
    assert store.list_pings(tb_id=item.id, visible_only=False) == []


def test_ipbans(store):
    blog = make_blog(store)
    ban = IPBan(blog_id=blog.id, ip="10.0.0.0/8")
    store.save(ban)
    assert [b.ip for b in store.find(IPBan, blog_id=blog.id)] == ["10.0.0.0/8"]
    store.delete(IPBan, ban.id)
    assert store.find(IPBan, blog_id=blog.id) == []


def test_jobs_queue(store):
    job = store.enqueue("notify", {"ping_id": 7})
    claimed = store.claim_job()
    assert claimed.id == job.id and claimed.payload == {"ping_id": 7} and claimed.attempts == 1
    assert store.claim_job() is None          # leased to the first worker
    store.delete(type(job), job.id)
    assert store.claim_job() is None


def test_transaction_rolls_back(store):
    blog = make_blog(store)
    with pytest.raises(RuntimeError):
        with store.transaction():
            store.insert(Entry(blog_id=blog.id, title="lost"))
            raise RuntimeError("boom")
    assert store.find(Entry, blog_id=blog.id) == []


def test_create_refuses_existing_and_open_requires_one(tmp_path, backend):
    config = Config(text="ObjectDriver %s\nDataSource %s\n" % (backend, tmp_path / "d"))
    with pytest.raises(StoreError):
        open_store(config)
    open_store(config, create=True).close()
    with pytest.raises(StoreError):
        open_store(config, create=True)
    open_store(config).close()


def test_concurrent_inserts_lose_nothing(tmp_path, backend):
    config = Config(text="ObjectDriver %s\nDataSource %s\n" % (backend, tmp_path / "d"))
    first = open_store(config, create=True)
    blog = make_blog(first)
    entry = Entry(blog_id=blog.id, title="x")
    first.save(entry)
    item_id = first.trackback_for(entry=entry).id
    first.close()

    def worker(n):
        own = open_store(config)
        for k in range(10):
            with own.transaction():
                own.insert(Ping(blog_id=blog.id, tb_id=item_id, source_url="http://s/%d/%d" % (n, k)))
        own.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check = open_store(config)
    pings = check.list_pings(tb_id=item_id)
    assert len(pings) == 40 and len({p.id for p in pings}) == 40


# -- behaviour the flat files must keep as well as SQLite ---------------------

def test_awkward_values_round_trip(store):
    blog = Blog(name=" lead\tand trail ", timezone=-3.5, email_new_pings=False)
    store.save(blog)
    body = "first\r\nsecond\n\n  indented\n=not json\ntitle: not a field\n\x0b\x1c\u2028end\n"
    entry = Entry(blog_id=blog.id, title="=x", body=body, extended="\n", excerpt=None,
                  keywords=" ", allow_pings=False,
                  comments=[{"author": "\u00e9", "text": "a\nb", "score": 1.5, "ok": None}])
    store.save(entry)
    assert store.get(Entry, entry.id) == entry
    assert store.get(Blog, blog.id) == blog
    job = store.enqueue("mail", {"to": ["a@b"], "n": 3, "f": 0.25, "yes": True, "none": None})
    assert store.get(type(job), job.id).payload == job.payload


def test_list_and_dict_columns_are_json_with_or_without_the_json_module():
    """The SQL stores write flat integer lists and dicts (a job's payload) without
    importing json, as the same text json writes, and read any JSON back."""
    import json
    from mtpy.store.sql import _dump_json, _load_json
    values = [[], [7], [1, -2, 10 ** 20], {}, {"entry_id": 1, "ping_id": 22}, {"yes": True}, [True],
              ["a,b"], {"a,b": 1}, {"\u00e9t\u00e9": 1}, {"a": "1"}, {"a": 1.5}, [1, "2"], {"k": [1]},
              {'a"': 1}, {"": 1}, {"to": ["a@b"], "none": None}]
    for value in values:
        text = _dump_json(value)
        assert text == json.dumps(value, ensure_ascii=False)
        back = _load_json(text)
        assert back == value and [type(v) for v in back] == [type(v) for v in value]
        assert [type(v) for v in getattr(back, "values", list)()] == [type(v) for v in getattr(value, "values", list)()]
    for text in ["[1,2]", '{"a":1}', " [ 1 , 2 ] ", "[-5]", "[1.0]", '["x"]', '{"a": null}']:
        assert _load_json(text) == json.loads(text)
    for text in ["[1_0]", "[+1]", '{"a": 1_0}', "[\u00b2]"]:    # int() takes these; JSON does not
        with pytest.raises(ValueError):
            _load_json(text)


def test_many_pings_newest_first(store, backend, tmp_path, monkeypatch):
    monkeypatch.setattr("os.fsync", lambda descriptor: None)  # durability is not tested here
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    for batch in range(20):
        with store.transaction():
            for n in range(batch * 100, batch * 100 + 100):
                store.insert(Ping(blog_id=blog.id, tb_id=item.id, title="ping %d" % n,
                                  source_url="http://s/%d" % n, visible=(n != 1998)))
    newest = store.list_pings(item.id, newest_first=True, limit=10)
    assert [p.title for p in newest] == ["ping %d" % n for n in (1999, 1997, 1996, 1995, 1994,
                                                                1993, 1992, 1991, 1990, 1989)]
    assert [p.title for p in store.list_pings(item.id, limit=2)] == ["ping 0", "ping 1"]
    assert store.count_pings(item.id) == 1999
    assert store.find_ping(item.id, "http://s/1500").title == "ping 1500"
    if backend == "flat":
        with open(tmp_path / "data" / "ping" / ("%06d.txt" % newest[0].id), encoding="utf-8") as f:
            assert "title: ping 1999\n" in f.read()


def test_pings_since_recent_and_older(store):
    from mtpy.dates import utc_now
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    ages = [3 * 86400, 2 * 3600, 600, 60, 0]
    for n, age in enumerate(ages):
        store.insert(Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s/%d" % n,
                          created_on=utc_now(-age), visible=(n != 3)))
    assert store.count_pings_since(blog.id, utc_now(-3600)) == 3    # hidden pings count too
    assert store.count_pings_since(blog.id, utc_now(-86400)) == 4
    assert store.count_pings_since(blog.id, utc_now(-4 * 86400)) == 5
    assert store.count_pings_since(blog.id + 1, utc_now(-86400)) == 0
    newest = store.list_pings(item.id, newest_first=True, limit=1, visible_only=False)[0]
    store.delete(Ping, newest.id)
    assert store.count_pings_since(blog.id, utc_now(-3600)) == 2


def test_pings_since_by_sender_and_verdict(store):
    """A sender is an IPv4 address, or an IPv6 /64 however its addresses are
    spelled; junk is counted apart from the other pings (receive's throttles)."""
    from mtpy.dates import utc_now
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    senders = ["2001:db8:0:1::5", "2001:db8:0:1:ffff::9", "2001:db8::5", "2001:db8:0:2::5",
               "2001:db8:1:1::5", "198.51.100.5", "198.51.100.50", "2a01:4f8:c17:1234::1", "2a01:4f8:c17:1234:1::"]
    for n, ip in enumerate(senders):
        ping = Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s/%d" % n, ip=ip, created_on=utc_now(-60))
        store.insert(ping)
        if n in (1, 6):            # judged junk once stored, as receive does
            ping.junk = True
            store.update(ping)
    since = utc_now(-3600)
    assert store.count_pings_since(blog.id, since, ip="2001:db8:0:1::77") == 2     # the /64, not the /128
    assert store.count_pings_since(blog.id, since, ip="2001:db8:0:0:ffff::1") == 1
    assert store.count_pings_since(blog.id, since, ip="2a01:4f8:c17:1234::abc") == 2
    assert store.count_pings_since(blog.id, since, ip="2001:db8:0:3::5") == 0
    assert store.count_pings_since(blog.id, since, ip="198.51.100.5") == 1       # IPv4: the address
    assert store.count_pings_since(blog.id, since, junk=True) == 2
    assert store.count_pings_since(blog.id, since, junk=False) == len(senders) - 2
    assert store.count_pings_since(blog.id, since, ip="2001:db8:0:1::", junk=False) == 1
    assert store.count_pings_since(blog.id, utc_now(-4 * 86400), ip="2001:db8:0:1::", junk=True) == 1


def test_pings_since_counted_no_further_than_asked(store):
    """A throttle or the flood rule asks whether a limit is passed: counting
    stops there (a flood of thousands in the hour costs a ping no more)."""
    from mtpy.dates import utc_now
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    for n, ip in enumerate(["198.51.100.5"] * 5 + ["2001:db8:0:1::%d" % n for n in range(1, 5)]):
        store.insert(Ping(blog_id=blog.id, tb_id=item.id, source_url="http://flood.example/%d" % n, ip=ip,
                          created_on=utc_now(-60)))
    since = utc_now(-3600)
    assert store.count_pings_since(blog.id, since, at_most=3) == 3
    assert store.count_pings_since(blog.id, since, at_most=100) == 9
    assert store.count_pings_since(blog.id, since, ip="198.51.100.5", at_most=2) == 2
    assert store.count_pings_since(blog.id, since, ip="2001:db8:0:1::9", at_most=3) == 3    # a /64, tested in Python
    assert store.count_pings_since(blog.id, since, ip="2001:db8:0:1::9", at_most=10) == 4
    assert store.count_pings_since(blog.id, since, junk=False, at_most=1) == 1
    assert store.count_pings_from_host_since(blog.id, "flood.example", since, at_most=4) == 4
    assert store.count_pings_from_host_since(blog.id, "flood.example", since, at_most=50) == 9


def test_ping_updates_keep_queries_right(store):
    blog = make_blog(store)
    first, second = Entry(blog_id=blog.id, title="1"), Entry(blog_id=blog.id, title="2")
    store.save(first)
    store.save(second)
    one, two = store.trackback_for(entry=first), store.trackback_for(entry=second)
    pings = [Ping(blog_id=blog.id, tb_id=one.id, title="p%d" % n, source_url="http://s/%d" % n)
             for n in range(3)]
    for ping in pings:
        store.insert(ping)
    pings[1].visible = False
    store.update(pings[1])
    assert store.count_pings(one.id) == 2 and store.count_pings(one.id, visible_only=False) == 3
    assert [p.title for p in store.list_pings(one.id)] == ["p0", "p2"]
    pings[0].tb_id = two.id
    pings[0].source_url = "http://moved/"
    store.update(pings[0])
    assert store.find_ping(one.id, "http://s/0") is None
    assert store.find_ping(two.id, "http://moved/") == pings[0]
    assert store.count_pings(one.id, visible_only=False) == 2 and store.count_pings(two.id) == 1
    store.update(Ping(id=999, tb_id=one.id, title="never stored"))
    assert store.get(Ping, 999) is None and store.count_pings(one.id, visible_only=False) == 2


def test_publishing_queries(store):
    """Fingerprints of an item's visible pings, counts for some items, and the
    entries version that publishing's caches are keyed by."""
    blog = make_blog(store)
    first, second = Entry(blog_id=blog.id, title="1"), Entry(blog_id=blog.id, title="2")
    store.save(first)
    store.save(second)
    one, two = store.trackback_for(entry=first), store.trackback_for(entry=second)
    empty = store.pings_fingerprint(one.id)
    pings = [Ping(blog_id=blog.id, tb_id=one.id, source_url="http://s/%d" % n) for n in range(3)]
    seen = [empty]
    for ping in pings:
        store.insert(ping)
        seen.append(store.pings_fingerprint(one.id))
    pings[1].visible = False
    store.update(pings[1])
    seen.append(store.pings_fingerprint(one.id))
    assert len(set(seen)) == len(seen)                    # each change shows
    pings[1].visible = True
    store.update(pings[1])
    assert store.pings_fingerprint(one.id) == seen[3]     # shown again: as before
    store.delete(Ping, pings[2].id)
    assert store.pings_fingerprint(one.id) == seen[2] and store.pings_fingerprint(two.id) == empty
    assert store.ping_counts(blog.id, [one.id, two.id]) in ({one.id: 2}, {one.id: 2, two.id: 0})
    assert store.ping_counts(blog.id).get(one.id) == 2
    version = store.entries_version(blog.id)
    if version is not None:           # a backend may not keep one
        first.title = "changed"
        store.save(first)
        assert store.entries_version(blog.id) != version


def test_nested_transaction_commits_with_the_outer_one(store):
    blog = make_blog(store)
    with store.transaction():
        with store.transaction():
            store.insert(Entry(blog_id=blog.id, title="kept"))
        assert [e.title for e in store.find(Entry, blog_id=blog.id)] == ["kept"]
    assert [e.title for e in store.find(Entry, blog_id=blog.id)] == ["kept"]


def test_text_orders_by_code_point_and_nulls_come_first(store):
    """SQLite's order, whatever the PostgreSQL database's locale: by code point,
    capitals before small letters, spaces counting; NULL before any value."""
    blog = make_blog(store)
    labels = ["b", "B", "a", "\u00e9", "Z", "a b", "ab", "a-c"]
    for label in labels:
        store.save(Category(blog_id=blog.id, label=label))
    assert [c.label for c in store.find(Category, blog_id=blog.id, order_by="label")] == sorted(labels)
    assert ([c.label for c in store.find(Category, blog_id=blog.id, order_by="label", desc=True)]
            == sorted(labels, reverse=True))
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    store.save(Category(blog_id=blog.id, label="pinged", allow_pings=True))  # an item without entry_id
    items = store.find(Trackback, blog_id=blog.id, order_by="entry_id")
    assert [item.entry_id for item in items] == [None, entry.id]
    items = store.find(Trackback, blog_id=blog.id, order_by="entry_id", desc=True)
    assert [item.entry_id for item in items] == [entry.id, None]


def test_long_source_url_is_stored_and_found(store):
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="x")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    url = "http://s/?" + "q" * 20000   # longer than a PostgreSQL B-tree entry may be
    store.insert(Ping(blog_id=blog.id, tb_id=item.id, source_url=url))
    assert store.find_ping(item.id, url).source_url == url
    assert store.find_ping(item.id, url + "q") is None


def test_given_ids_are_kept_and_never_given_again(store):
    store.insert(Blog(id=50, name="given"))
    later = Blog(name="later")
    store.insert(later)
    assert later.id > 50 and store.get(Blog, 50).name == "given"
    store.delete(Blog, later.id)
    again = Blog(name="again")
    store.insert(again)
    assert again.id > later.id


# -- what mt.cgi asks ------------------------------------------------------------

def test_entries_listed_newest_first_with_drafts_and_found_by_title(store):
    blog, other = make_blog(store), make_blog(store)
    titles = ["Hello World", "hello again", "50% off", "snake_case", "Caf\u00e9 \u00c9t\u00e9", "Other",
              "back\\slash", "Same time"]
    for number, title in enumerate(titles):
        store.save(Entry(blog_id=blog.id, title=title, status="Draft" if number % 2 else "Publish",
                         created_on="2026-01-%02d 00:00:00" % (number + 1 if title != "Same time" else 8)))
    store.save(Entry(blog_id=blog.id, title="Twin of same time", created_on="2026-01-08 00:00:00"))
    store.save(Entry(blog_id=other.id, title="Hello from elsewhere", created_on="2026-02-01 00:00:00"))

    listed = store.list_entries(blog.id)
    assert [entry.title for entry in listed] == ["Twin of same time", "Same time", "back\\slash", "Other",
                                                  "Caf\u00e9 \u00c9t\u00e9", "snake_case", "50% off",
                                                  "hello again", "Hello World"]
    assert {entry.status for entry in listed} == {"Draft", "Publish"}     # drafts too
    assert listed[0] == store.get(Entry, listed[0].id)                     # whole records
    assert store.count_entries(blog.id) == 9
    assert [e.title for e in store.list_entries(blog.id, limit=2, offset=1)] == ["Same time", "back\\slash"]
    assert [e.title for e in store.list_entries(blog.id, offset=7)] == ["hello again", "Hello World"]
    assert store.list_entries(blog.id, offset=9) == []

    def titles_with(text, **page):
        return [entry.title for entry in store.list_entries(blog.id, title_contains=text, **page)]
    assert titles_with("HELLO") == ["hello again", "Hello World"]           # ASCII in either case
    assert titles_with("hello", limit=1, offset=1) == ["Hello World"]
    assert store.count_entries(blog.id, title_contains="hElLo") == 2
    assert titles_with("%") == ["50% off"] and titles_with("_") == ["snake_case"]   # literally
    assert titles_with("0% o") == ["50% off"] and titles_with("e_c") == ["snake_case"]
    assert titles_with("\\") == ["back\\slash"]
    assert titles_with("caf\u00e9") == ["Caf\u00e9 \u00c9t\u00e9"] and titles_with("\u00c9t\u00e9") == [
        "Caf\u00e9 \u00c9t\u00e9"]
    assert titles_with("CAF\u00c9") == []             # beyond ASCII, every backend matches case as it is
    assert titles_with("nowhere") == [] and store.count_entries(blog.id, title_contains="nowhere") == 0
    assert titles_with("") == [e.title for e in listed]                   # no filter
    assert store.count_entries(other.id) == 1 and store.list_entries(9999) == []


def test_pings_counted_by_state_of_a_blog_an_item_or_every_blog(store):
    """One count behind the dashboard and the pings screen: a visible ping is
    published even when flagged junk (approved after the checks junked it);
    a hidden one is junk or held."""
    blog, other = make_blog(store), make_blog(store)
    items = []
    for number in range(2):
        entry = Entry(blog_id=blog.id, title="e%d" % number)
        store.save(entry)
        items.append(store.trackback_for(entry=entry))
    elsewhere = Entry(blog_id=other.id, title="x")
    store.save(elsewhere)
    states = [(True, False), (True, True), (False, False), (False, True), (False, True)]
    for number, (visible, junk) in enumerate(states):
        store.insert(Ping(blog_id=blog.id, tb_id=items[number % 2].id, source_url="http://s/%d" % number,
                          visible=visible, junk=junk))
    store.insert(Ping(blog_id=other.id, tb_id=store.trackback_for(entry=elsewhere).id, source_url="http://x/",
                      visible=False, junk=True))
    assert store.count_pings_by_state(blog_id=blog.id) == {"all": 5, "published": 2, "held": 1, "junk": 2, "withdrawn": 0}
    assert store.count_pings_by_state(tb_id=items[0].id) == {"all": 3, "published": 1, "held": 1, "junk": 1,
                                                             "withdrawn": 0}
    assert store.count_pings_by_state(tb_id=items[1].id) == {"all": 2, "published": 1, "held": 0, "junk": 1,
                                                             "withdrawn": 0}
    assert store.count_pings_by_state(blog_id=other.id) == {"all": 1, "published": 0, "held": 0, "junk": 1,
                                                            "withdrawn": 0}
    assert store.count_pings_by_state() == {"all": 6, "published": 2, "held": 1, "junk": 3, "withdrawn": 0}


def test_pings_counted_by_protocol_kind_and_withdrawal(store):
    """A withdrawn ping (its source gone or no longer linking) is a state of
    its own, unless it is junk; protocol and kind narrow the count."""
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="e")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    for number, (protocol, kind, visible, junk, withdrawn) in enumerate([
            ("trackback", "mention", True, False, False), ("pingback", "mention", False, False, True),
            ("webmention", "reply", True, False, False), ("webmention", "like", False, False, True),
            ("webmention", "like", False, True, True), ("webmention", "reply", False, False, False)]):
        store.insert(Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s/%d" % number, protocol=protocol,
                          kind=kind, visible=visible, junk=junk, withdrawn=withdrawn))
    assert store.count_pings_by_state(blog_id=blog.id) == {"all": 6, "published": 2, "held": 1, "junk": 1,
                                                           "withdrawn": 2}
    assert store.count_pings_by_state(tb_id=item.id, protocol="webmention") == {
        "all": 4, "published": 1, "held": 1, "junk": 1, "withdrawn": 1}
    assert store.count_pings_by_state(blog_id=blog.id, protocol="webmention", kind="reply") == {
        "all": 2, "published": 1, "held": 1, "junk": 0, "withdrawn": 0}
    assert store.count_pings_by_state(blog_id=blog.id, kind="like")["withdrawn"] == 1


def test_blog_pings_newest_first_held_ones_included_and_counted(store):
    blog, other = make_blog(store), make_blog(store)
    entry = Entry(blog_id=blog.id, title="e")
    store.save(entry)
    item = store.trackback_for(entry=entry)
    second = Entry(blog_id=blog.id, title="f")
    store.save(second)
    second_item = store.trackback_for(entry=second)
    elsewhere = Entry(blog_id=other.id, title="g")
    store.save(elsewhere)
    for number in range(6):
        store.insert(Ping(blog_id=blog.id, tb_id=(item if number % 2 else second_item).id, title="p%d" % number,
                          source_url="http://s/%d" % number, visible=number != 3,
                          created_on="2026-01-01 00:00:0%d" % number))
    store.insert(Ping(blog_id=other.id, tb_id=store.trackback_for(entry=elsewhere).id, title="x",
                      source_url="http://x/"))
    assert store.count_pings_by_state(blog_id=blog.id) == {"all": 6, "published": 5, "held": 1, "junk": 0,
                                                           "withdrawn": 0}
    assert store.count_pings_by_state(blog_id=other.id)["all"] == 1
    assert store.count_pings_by_state(blog_id=9999) == {"all": 0, "published": 0, "held": 0, "junk": 0,
                                                         "withdrawn": 0}

    def titles(**asked):
        return [ping.title for ping in store.list_pings(newest_first=True, **asked)]
    assert titles(blog_id=blog.id, visible_only=False) == ["p5", "p4", "p3", "p2", "p1", "p0"]
    assert titles(blog_id=blog.id, visible_only=False, limit=2, offset=2) == ["p3", "p2"]
    assert titles(blog_id=blog.id, limit=2, offset=2) == ["p2", "p1"]      # held p3 left out
    assert titles(blog_id=blog.id, visible_only=False, offset=5) == ["p0"]
    assert titles(tb_id=item.id, visible_only=False, limit=2, offset=1) == ["p3", "p1"]
    assert titles(tb_id=item.id, limit=5, offset=1) == ["p1"]
    assert titles(visible_only=False, limit=1) == ["x"]                    # every weblog's


def test_activity_log_by_weblog_newest_first(store):
    first, second = make_blog(store), make_blog(store)
    lines = [(first.id, "ping"), (None, "login"), (second.id, "ban"), (first.id, "rebuild"), (None, "login_failed")]
    for number, (blog_id, kind) in enumerate(lines):
        store.save(Activity(blog_id=blog_id, kind=kind, message="line %d" % number,
                            created_on="2026-01-01 00:00:%02d" % number))

    def kinds(**asked):
        return [line.kind for line in store.list_activity(**asked)]
    assert kinds() == ["login_failed", "rebuild", "ban", "login", "ping"]
    assert kinds(limit=2, offset=1) == ["rebuild", "ban"]
    assert kinds(blog_ids=[first.id]) == ["rebuild", "ping"]                 # not the lines of no weblog
    assert kinds(blog_ids=[second.id, first.id], limit=2) == ["rebuild", "ban"]
    assert kinds(blog_ids=[first.id], offset=1) == ["ping"]
    assert kinds(blog_ids=[]) == [] and kinds(blog_ids=[9999]) == []
    assert store.count_activity() == 5
    assert store.count_activity([first.id]) == 2 and store.count_activity([first.id, second.id]) == 3
    assert store.count_activity([]) == 0
    line = store.list_activity(limit=1)[0]
    assert line == store.get(Activity, line.id) and line.message == "line 4"


def test_failed_logins_counted_since_by_address_and_name(store):
    for second, ip, name, kind in [(0, "192.0.2.1", "mel", "login_failed"), (10, "192.0.2.1", "mel", "login_failed"),
                                   (20, "192.0.2.2", "mel", "login_failed"), (30, "192.0.2.1", "bob", "login_failed"),
                                   (40, "192.0.2.1", "mel", "login")]:
        store.save(Activity(kind=kind, ip=ip, author_name=name, created_on="2026-01-01 00:00:%02d" % second))
    since = "2026-01-01 00:00:10"
    assert store.count_activity_since("login_failed", "2026-01-01 00:00:00") == 4
    assert store.count_activity_since("login_failed", since) == 3                  # at or after
    assert store.count_activity_since("login_failed", since, ip="192.0.2.1") == 2
    assert store.count_activity_since("login_failed", since, author_name="mel") == 2
    assert store.count_activity_since("login_failed", since, ip="192.0.2.1", author_name="mel") == 1
    assert store.count_activity_since("login_failed", "2026-01-01 00:00:31") == 0
    assert store.count_activity_since("login", since, ip="192.0.2.1") == 1
    assert store.count_activity_since("login_failed", since, ip="198.51.100.9") == 0


def test_sessions_ended_but_one(store):
    mel, bob = Author(name="mel"), Author(name="bob")
    store.save(mel)
    store.save(bob)
    sessions = [Session(author_id=author.id, token_hash="h%d" % number, created_on="2026-01-01 00:00:00",
                        seen_on="2026-01-01 00:00:00") for number, author in enumerate([mel, mel, mel, bob])]
    for session in sessions:
        store.save(session)
    assert store.delete_sessions(mel.id, keep_id=sessions[1].id) == 2
    assert [session.token_hash for session in store.find(Session)] == ["h1", "h3"]
    assert store.delete_sessions(mel.id) == 1
    assert [session.author_id for session in store.find(Session)] == [bob.id]
    assert store.delete_sessions(mel.id) == 0


def test_permissions_sessions_and_activity_are_records(store):
    blog = make_blog(store)
    author = Author(name="mel", is_admin=True)
    store.save(author)
    assert store.get(Author, author.id).is_admin is True
    permission = Permission(author_id=author.id, blog_id=blog.id, can=["post", "rebuild"])
    session = Session(author_id=author.id, token_hash="e3b0c442", created_on="2026-01-01 00:00:00",
                      seen_on="2026-01-01 00:00:00")
    line = Activity(blog_id=blog.id, author_id=author.id, kind="login", author_name="mel", ip="192.0.2.1",
                    message="Logged in\nfrom here", created_on="2026-01-01 00:00:00")
    for record in (permission, session, line):
        store.save(record)
        assert store.get(type(record), record.id) == record
    permission.can.remove("rebuild")
    session.seen_on = "2026-01-02 00:00:00"
    store.save(permission)
    store.save(session)
    assert store.find(Permission, author_id=author.id, blog_id=blog.id)[0].can == ["post"]
    assert store.find(Session, token_hash="e3b0c442")[0].seen_on == "2026-01-02 00:00:00"
    assert store.find(Activity, kind="login")[0].message == "Logged in\nfrom here"
    assert store.delete(Session, session.id) and store.get(Session, session.id) is None
    assert store.delete(Permission, permission.id) and store.find(Permission) == []
    assert not store.delete(Permission, permission.id)


def test_transactions_exclude_each_other(tmp_path, backend):
    config = Config(text="ObjectDriver %s\nDataSource %s\n" % (backend, tmp_path / "d"))
    first = open_store(config, create=True)
    beginning = threading.Event()
    happened = []

    def other_writer():
        second = open_store(config)   # SQLite's connections stay in their thread
        beginning.set()
        with second.transaction():
            happened.append("second")
        second.close()

    with first.transaction():
        thread = threading.Thread(target=other_writer)
        thread.start()
        assert beginning.wait(30)
        thread.join(0.5)    # it must still be waiting for the first transaction
        happened.append("first")
    thread.join(30)
    assert happened == ["first", "second"]
    first.close()


def _writers_lock_free(data_folder):
    """Whether another process could take the SQLite store's writers' lock now."""
    import fcntl
    import os
    descriptor = os.open(os.path.join(data_folder, "mtpy.db-writers"), os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(descriptor)
    return True


def test_sqlite_writers_queue_on_a_lock_beside_the_database_and_let_go_of_it(tmp_path):
    """mtpy's writers wait for each other on a file lock (woken at once when it
    is let go) instead of SQLite's sleeps of 1, 2, 5, 10 ms...: it is held for
    exactly the transaction, whether it commits, rolls back or fails."""
    config = Config(text="ObjectDriver sqlite\nDataSource %s\n" % (tmp_path / "d"))
    store = open_store(config, create=True)
    data = str(tmp_path / "d")
    assert _writers_lock_free(data)
    with store.transaction():
        assert not _writers_lock_free(data)
        with store.transaction():       # nested: one lock, let go by the outermost
            make_blog(store)
        assert not _writers_lock_free(data)
    assert _writers_lock_free(data)
    with pytest.raises(ZeroDivisionError):
        with store.transaction():
            make_blog(store)
            1 / 0
    assert _writers_lock_free(data) and len(store.find(Blog)) == 1
    store.close()


def test_sqlite_a_thread_never_waits_for_its_own_writers_lock(tmp_path):
    """A second connection of the thread that holds the lock must not queue
    behind itself (it would wait for ever): SQLite's own locking answers it."""
    config = Config(text="ObjectDriver sqlite\nDataSource %s\n" % (tmp_path / "d"))
    first = open_store(config, create=True)
    second = open_store(config)
    with first.transaction():
        second._queue_for_writing()
        assert second.writing is None
    second._queue_for_writing()         # the lock is free now: taken
    assert second.writing is not None
    second._leave_writers()
    assert _writers_lock_free(str(tmp_path / "d"))
    first.close()
    second.close()


# -- the flat files themselves -------------------------------------------------

@pytest.fixture
def flat(tmp_path):
    from mtpy.store.flat import FlatStore
    opened = FlatStore(str(tmp_path / "data"), create=True)
    yield opened
    opened.close()


def test_flat_records_are_readable_text(flat, tmp_path):
    import os
    blog = make_blog(flat)
    entry = Entry(blog_id=blog.id, title="Hello", body="line one\nline two", category_ids=[2])
    flat.save(entry)
    with open(tmp_path / "data" / "entry" / ("%06d.txt" % entry.id), encoding="utf-8") as f:
        text = f.read()
    assert "title: Hello\n" in text and "body: line one\n  line two\n" in text
    assert "category_ids: [2]\n" in text and "allow_pings: true\n" in text
    assert oct(os.stat(tmp_path / "data").st_mode & 0o777) == "0o700"


def test_flat_ping_path_reads_few_files(flat, monkeypatch):
    import os
    from mtpy.store import flat as module
    from mtpy.dates import utc_now
    monkeypatch.setattr("os.fsync", lambda descriptor: None)
    blog = make_blog(flat)
    entry = Entry(blog_id=blog.id, title="x")
    flat.save(entry)
    item = flat.trackback_for(entry=entry)
    with flat.transaction():
        for n in range(1200):
            flat.insert(Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s/%d" % n,
                             created_on="2026-01-01 00:00:00"))
    reads, written, listed = [], [], []
    real_read, real_write, real_listdir = module._read_file, module.write_atomic, os.listdir
    monkeypatch.setattr(module, "_read_file", lambda path: reads.append(path) or real_read(path))
    monkeypatch.setattr(module, "write_atomic",
                        lambda path, data: written.append(path) or real_write(path, data))
    monkeypatch.setattr("os.listdir", lambda path: listed.append(path) or real_listdir(path))
    with flat.transaction():  # what mt-tb.cgi does with a ping
        assert flat.find_ping(item.id, "http://new/") is None
        assert flat.count_pings_since(blog.id, utc_now(-3600)) == 0
        flat.insert(Ping(blog_id=blog.id, tb_id=item.id, source_url="http://new/",
                         created_on=utc_now()))
    assert flat.count_pings(item.id) == 1201
    assert len(flat.list_pings(item.id, newest_first=True, limit=10)) == 10
    assert len(reads) < 30 and len(written) <= 8
    assert not [path for path in listed if os.path.basename(path) in ("ping", "urls")]


def test_flat_counts_a_weblogs_pings_by_state_from_one_file(flat, tmp_path, monkeypatch):
    """mt.cgi shows the held count on every screen: read from the blog's
    states file, which a folder written before it gets on its first count and
    which every change of a ping keeps equal to a count of the pings."""
    import os
    from mtpy.store import flat as module
    blog, other = make_blog(flat), make_blog(flat)
    entry = Entry(blog_id=blog.id, title="x")
    flat.save(entry)
    item = flat.trackback_for(entry=entry)
    pings = [Ping(blog_id=blog.id, tb_id=item.id, source_url="http://s/%d" % n, visible=n % 3 == 0, junk=n % 3 == 1)
             for n in range(9)]
    for ping in pings:
        flat.insert(ping)
    states = tmp_path / "data" / "index" / ("blog-%06d-states.txt" % blog.id)
    os.unlink(states)      # as a folder written before the file was kept
    assert flat.count_pings_by_state(blog_id=blog.id) == {"all": 9, "published": 3, "held": 3, "junk": 3,
                                                          "withdrawn": 0}
    assert states.read_text() == "published: 3\nheld: 3\njunk: 3\nwithdrawn: 0\n"
    pings[0].visible, pings[1].junk, pings[2].withdrawn = False, False, True    # published, junk, held: held thrice
    for ping in pings[:3]:
        flat.update(ping)
    flat.delete(Ping, pings[3].id)
    pings[4].blog_id = other.id
    flat.update(pings[4])
    monkeypatch.setattr(module.FlatStore, "_each", lambda *args: pytest.fail("a weblog's counts scanned the pings"))
    assert flat.count_pings_by_state(blog_id=blog.id) == {"all": 7, "published": 1, "held": 4, "junk": 1,
                                                          "withdrawn": 1}
    monkeypatch.undo()
    assert flat._count_states(blog.id) == {"published": 1, "held": 4, "junk": 1, "withdrawn": 1}
    assert flat.count_pings_by_state(blog_id=other.id)["junk"] == 1
    assert flat.count_pings_by_state(blog_id=9999)["all"] == 0
    assert not (tmp_path / "data" / "index" / "blog-009999-states.txt").exists()


def test_flat_interrupted_commit_is_completed(flat, tmp_path, monkeypatch):
    from mtpy.store import flat as module
    blog = make_blog(flat)
    entry = Entry(blog_id=blog.id, title="x")
    flat.save(entry)
    item = flat.trackback_for(entry=entry)
    real_write, calls = module.write_atomic, []

    def dies_after_the_journal_and_one_file(path, data):
        calls.append(path)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real_write(path, data)

    monkeypatch.setattr(module, "write_atomic", dies_after_the_journal_and_one_file)
    with pytest.raises(KeyboardInterrupt):
        flat.insert(Ping(blog_id=blog.id, tb_id=item.id, title="saved", source_url="http://s/"))
    monkeypatch.setattr(module, "write_atomic", real_write)
    again = module.FlatStore(str(tmp_path / "data"))
    assert not (tmp_path / "data" / "journal.json").exists()
    assert [p.title for p in again.list_pings(item.id)] == ["saved"]
    assert again.count_pings(item.id) == 1
    assert again.find_ping(item.id, "http://s/").title == "saved"


def test_flat_refuses_a_folder_of_another_format(tmp_path):
    from mtpy.store.flat import FlatStore
    FlatStore(str(tmp_path / "data"), create=True).close()
    (tmp_path / "data" / "mtpy-store.txt").write_text("mtpy flat-file store, version 99\n")
    with pytest.raises(StoreError):
        FlatStore(str(tmp_path / "data"))


def test_flat_waits_for_the_lock_then_gives_up(flat, tmp_path, monkeypatch):
    from mtpy.store import flat as module
    monkeypatch.setattr(module, "LOCK_TIMEOUT", 0.2)
    other = module.FlatStore(str(tmp_path / "data"))
    with flat.transaction():
        with pytest.raises(StoreError):
            other.insert(Blog(name="blocked"))
    other.insert(Blog(name="later"))
    assert [b.name for b in flat.find(Blog)] == ["later"]


def test_flat_locks_with_filelock(tmp_path):
    import filelock
    from mtpy.store.flat import FlatStore
    store = FlatStore(str(tmp_path / "data"), create=True)
    store.insert(Blog(name="x"))
    assert isinstance(store.lock, filelock.FileLock)


# -- PostgreSQL alone ------------------------------------------------------------

def postgres_config(tmp_path, directives):
    return Config(text="ObjectDriver postgres\nDataSource %s\n%s" % (tmp_path / "data", directives))


def test_postgres_connection_errors_are_one_line_without_the_password(tmp_path, postgres_server):
    config = postgres_config(tmp_path, "Database nowhere\nDBHost %s\nDBUser mtpy\nDBPassword s3cret-pw\n"
                             % (tmp_path / "no-server-here"))
    with pytest.raises(StoreError) as raised:
        open_store(config)
    message = str(raised.value)
    assert message.startswith("Cannot connect to PostgreSQL (Database nowhere, DBHost %s, DBUser mtpy): "
                              % (tmp_path / "no-server-here"))
    assert "\n" not in message and "s3cret" not in message
    missing = postgres_config(tmp_path, postgres_server.directives("no_such_database"))
    with pytest.raises(StoreError) as raised:
        open_store(missing)
    assert 'database "no_such_database" does not exist' in str(raised.value)


def test_postgres_store_has_a_schema_version_and_its_datasource(tmp_path, postgres_database):
    store = open_store(postgres_config(tmp_path, postgres_database), create=True)
    from mtpy.store import postgres
    assert store.db.execute("SELECT version FROM schema_version").fetchone()[0] == len(postgres.MIGRATIONS)
    assert (tmp_path / "data").is_dir()   # templates and caches still live there
    store.close()
    (tmp_path / "data").rmdir()
    (tmp_path / "data").write_text("not a folder")
    with pytest.raises(StoreError) as raised:
        open_store(postgres_config(tmp_path, postgres_database))
    assert "is not a folder" in str(raised.value)


def test_postgres_rebuild_lock_is_shared_by_every_store_of_the_database(tmp_path, postgres_database):
    """Hosts with their own data folders share one database: one rebuild at a time."""
    first = open_store(postgres_config(tmp_path, postgres_database), create=True)
    other = open_store(postgres_config(tmp_path / "other-host", postgres_database))
    order = []

    def second_rebuild():
        with other.rebuild_lock():
            order.append("second")

    with first.rebuild_lock():
        waiting = threading.Thread(target=second_rebuild)
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive()          # it waits for the first
        order.append("first")
    waiting.join(10)
    assert order == ["first", "second"]
    first.close()
    other.close()


def test_postgres_waits_for_its_upgrade_then_migrates_forward(tmp_path, postgres_database, monkeypatch):
    import mtpy.store
    from mtpy.store import UpgradeNeeded, postgres
    config = postgres_config(tmp_path, postgres_database)
    open_store(config, create=True).close()
    monkeypatch.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS + [["CREATE TABLE later (x INTEGER)"]])
    monkeypatch.setattr(mtpy.store, "SCHEMA_CHANGES", mtpy.store.SCHEMA_CHANGES + ["A table for later."])
    monkeypatch.setattr(mtpy.store, "SCHEMA_VERSION", len(postgres.MIGRATIONS))
    with pytest.raises(UpgradeNeeded):
        open_store(config)
    store = open_store(config, upgrade=True)
    assert store.upgrade().done
    assert store.db.execute("SELECT version FROM schema_version").fetchone()[0] == len(postgres.MIGRATIONS)
    assert store.db.execute("SELECT count(*) FROM later").fetchone()[0] == 0
    store.close()


def test_postgres_refuses_nul_characters_clearly(tmp_path, postgres_database):
    store = open_store(postgres_config(tmp_path, postgres_database), create=True)
    with pytest.raises(StoreError) as raised:
        store.save(Blog(name="a\x00b"))
    assert "NUL" in str(raised.value) and "Blog.name" in str(raised.value)
    store.save(Blog(name="ok", description="fine"))   # the connection is still usable
    store.close()


def test_postgres_without_psycopg_says_what_to_install(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "psycopg", None)   # `import psycopg` now fails
    monkeypatch.delitem(sys.modules, "mtpy.store.postgres", raising=False)
    with pytest.raises(StoreError) as raised:
        open_store(postgres_config(tmp_path, ""))
    assert "psycopg" in str(raised.value)


def test_postgres_directives():
    config = Config(text="ObjectDriver postgres\nDatabase mt\nDBHost /run/postgresql\nDBPort 5433\n"
                         "DBUser melody\nDBPassword p w\n")
    assert [config.get(name) for name in ("Database", "DBHost", "DBPort", "DBUser", "DBPassword")] == [
        "mt", "/run/postgresql", 5433, "melody", "p w"]
    assert Config(text="ObjectDriver postgres\n").get("Database") is None
    from mtpy.config import ConfigError
    with pytest.raises(ConfigError):
        Config(text="DBPort 70000\n")


def test_sqlite_a_store_closed_inside_a_transaction_lets_go_of_the_writers_lock(tmp_path):
    """Its thread may write through a new connection afterwards, queueing as usual."""
    config = Config(text="ObjectDriver sqlite\nDataSource %s\n" % (tmp_path / "d"))
    store = open_store(config, create=True)
    transaction = store.transaction()
    transaction.__enter__()
    store.close()
    assert _writers_lock_free(str(tmp_path / "d"))
    again = open_store(config)
    again._queue_for_writing()
    assert again.writing is not None      # not taken for this thread's own, still held
    again._leave_writers()
    again.close()
