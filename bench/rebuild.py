"""Rebuild benchmark (make bench): a generated weblog of 10,000 entries in 50
categories over 10 years, with pings, published with the default templates
(sidebar: calendar, categories, monthly archives, recent entries).

Prints: the full rebuild, a second full rebuild (nothing changed), the pages
rewritten after one ping and the time that took, and what an edited entry
rewrites. Movable Type 5.2 needed about 90 s per 1,000 such entries and 1-2 s to
republish one entry and its dependents on a machine like ours.
"""

import argparse
import gc
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lib"))

from mtpy.config import Config  # noqa: E402
from mtpy.models import Author, Blog, Category, Entry, Ping  # noqa: E402
from mtpy.publish.rebuild import Publisher  # noqa: E402
from mtpy.store import open_store  # noqa: E402

WORDS = ("trackback weblog ping entry movable type archive category python server page "
         "listing popup feed discovery excerpt author month calendar sidebar").split()


def generate(store, entries, categories, pings_per_entry):
    rng = random.Random(2003)
    author = Author(name="Melody", email="melody@example.com")
    store.save(author)
    blog = Blog(name="Bench Weblog", site_url="http://bench.example/", archive_url="http://bench.example/archives/",
                site_path=store.folder + "/../site", archive_path=store.folder + "/../site/archives",
                email_new_pings=False)
    blog.site_path = os.path.abspath(blog.site_path)
    blog.archive_path = os.path.abspath(blog.archive_path)
    store.save(blog)
    with store.transaction():
        labels = []
        for number in range(categories):
            category = Category(blog_id=blog.id, label="Category %02d" % number, allow_pings=number % 5 == 0)
            store.save(category)
            labels.append(category.id)
        start = time.mktime((2016, 1, 1, 0, 0, 0, 0, 0, 0))
        span = 10 * 365 * 86400
        for number in range(entries):
            stamp = start + span * number / entries
            body = " ".join(rng.choice(WORDS) for _ in range(120))
            entry = Entry(blog_id=blog.id, author_id=author.id, title="Entry %d about %s" % (number, rng.choice(WORDS)),
                          body="<p>%s</p>" % body, status="Publish",
                          created_on=time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(stamp)),
                          category_ids=rng.sample(labels, rng.choice((1, 1, 2))))
            store.save(entry)
            item = store.trackback_for(entry=entry)
            for k in range(rng.randrange(pings_per_entry * 2 + 1)):
                store.insert(Ping(blog_id=blog.id, tb_id=item.id, title="Ping %d" % k,
                                  source_url="http://other%d.example/%d" % (k, number),
                                  excerpt="An excerpt", blog_name="Other", created_on=entry.created_on))
    return blog


def many_pings(store, config, blog, entry, levels):
    """One entry with 20,000 then 100,000 pings: a new ping's whole republish
    job (the pages showing the entry's pings or count, and the popup rendered
    ahead), then `__mode=rss` and the popup as mt-tb.cgi answers them."""
    from mtpy.apps.trackback import TrackbackApp
    from mtpy.publish.republish import republish_pings
    item = store.trackback_for(entry=entry)
    app = TrackbackApp(config)
    app.stores[(os.getpid(), __import__("_thread").get_ident())] = store
    rows = []
    for level in levels:
        have = store.count_pings(item.id)
        with store.transaction():
            for number in range(have, level):
                store.insert(Ping(blog_id=blog.id, tb_id=item.id, title="Ping %d" % number,
                                  source_url="http://many%d.example/" % number, excerpt="An excerpt",
                                  blog_name="Other", created_on=entry.created_on))
        seconds = []
        for number in range(5):
            ping = Ping(blog_id=blog.id, tb_id=item.id, title="New ping", created_on=entry.created_on,
                        source_url="http://new-%d-%d.example/" % (level, number))
            store.insert(ping)
            _, took = timed(lambda: republish_pings(store, config, {"entry_id": entry.id, "ping_id": ping.id}))
            seconds.append(took)
        page = os.path.getsize(os.path.join(blog.archive_path, "%06d.html" % entry.id))
        rows.append(("a ping's republish, %s pings on the entry" % format(level, ","),
                     "%.3f s" % statistics.median(seconds), "median of 5: %s s; entry page %d KB "
                     "(target: < 0.1 s)" % (" / ".join("%.3f" % each for each in seconds), page // 1024)))
        for mode, query in (("rss", "__mode=rss&tb_id=%d" % item.id), ("popup", "__mode=view&entry_id=%d" % entry.id),
                            ("popup, 100th page", "__mode=view&entry_id=%d&offset=4950" % entry.id)):
            answers = []
            for _ in range(3):
                answer, took = timed(lambda: call(app, query))
                answers.append(took)
            rows.append(("   %s, %s pings" % (mode, format(level, ",")), "%.3f s" % statistics.median(answers),
                         "%d KB answered (in-process; kept-rendered first page)" % (len(answer) // 1024)))
    return rows


def call(app, query):
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": query, "PATH_INFO": "", "REMOTE_ADDR": "127.0.0.1"}
    body = b"".join(app(environ, lambda status, headers: None))
    return body


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10000)
    parser.add_argument("--categories", type=int, default=50)
    parser.add_argument("--pings-per-entry", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the generated weblog")
    parser.add_argument("--many-pings", type=lambda text: [int(n) for n in text.split(",") if n],
                        default=[20000, 100000], help="ping counts on one entry (comma-separated; empty: skip)")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="mtpy-bench-")
    try:
        config = Config(text="DataSource %s\nCGIPath http://bench.example/cgi-bin/\nRepublishDelay 0\n"
                        % os.path.join(folder, "data"))
        store = open_store(config, create=True)
        blog, generating = timed(lambda: generate(store, args.entries, args.categories, args.pings_per_entry))
        rows = [("generate %d entries" % args.entries, "%.1f s" % generating, "")]

        full, seconds = timed(lambda: Publisher(store, config, blog).rebuild_all())
        rows.append(("full rebuild", "%.1f s" % seconds, "%d files written (target: 10,000 entries < 15 s)"
                     % len(full.written)))
        again, seconds = timed(lambda: Publisher(store, config, blog).rebuild_all())
        rows.append(("full rebuild, nothing changed", "%.1f s" % seconds, "%d written, %d unchanged"
                     % (len(again.written), again.unchanged)))

        entries = store.find(Entry, blog_id=blog.id, order_by="created_on", desc=True)
        # A ping's republish runs in a small new process (a CGI child, a worker);
        # this one holds the whole generated weblog, whose objects a garbage
        # collection pass would walk (0.08 s). Set them aside, as a new process has none.
        gc.collect()
        gc.freeze()
        seconds_per_ping = []
        for number in range(5):      # five pings on entries across the weblog; the median
            target = entries[len(entries) * (2 * number + 1) // 10]
            item = store.trackback_for(entry=target)
            store.insert(Ping(blog_id=blog.id, tb_id=item.id, title="New ping", source_url="http://new.example/",
                              created_on=target.created_on))
            after_ping, seconds = timed(lambda: Publisher(store, config, blog).rebuild_pings_of(target.id))
            seconds_per_ping.append(seconds)
        rows.append(("after one ping (median of 5)", "%.3f s" % statistics.median(seconds_per_ping),
                     "each: %s s; %d written, the last time: %s (target: < 0.1 s)" % (
                         " / ".join("%.3f" % each for each in seconds_per_ping), len(after_ping.written),
                         ", ".join(sorted(os.path.basename(p) for p in after_ping.written)))))

        target.body += "<p>An edit.</p>"
        store.save(target)
        edited, seconds = timed(lambda: Publisher(store, config, blog).rebuild_entry(target.id))
        rows.append(("after an edited entry", "%.3f s" % seconds, "%d written, %d rendered unchanged: %s" % (
            len(edited.written), edited.unchanged, ", ".join(sorted(os.path.basename(p) for p in edited.written)))))
        if args.many_pings:
            rows += many_pings(store, config, blog, entries[0], args.many_pings)
        store.close()
    finally:
        if args.keep:
            print("kept in %s" % folder)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    width = max(len(row[0]) for row in rows)
    print("Rebuild benchmark (%d entries, %d categories, Python %s)" % (
        args.entries, args.categories, sys.version.split()[0]))
    for name, figure, note in rows:
        print("  %-*s  %9s  %s" % (width, name, figure, note))


if __name__ == "__main__":
    main()
