"""The storage interface behaves the same on every backend."""

import threading

import pytest

from mtpy.models import Blog, Entry, Category, Trackback, Ping, IPBan, Author
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


def test_entry_save_creates_updates_disables_trackback(store):
    blog = make_blog(store)
    entry = Entry(blog_id=blog.id, title="One", body="hello world", allow_pings=True)
    store.save(entry)
    item = store.trackback_for(entry=entry)
    assert item is not None and not item.is_disabled
    assert item.title == "One" and item.url == "http://h/arch/%06d.html" % entry.id
    assert item.description == "hello world"
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
