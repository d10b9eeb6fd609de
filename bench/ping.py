"""Ping benchmark (make bench): mt-tb.cgi under lighttpd (mod_cgi) against the
floor, a CGI that only starts Python (`python -S`); flatness as pings pile up;
`mtpy serve --wsgi`; memory of one CGI ping; the popup. Ratios are measured in one
run: figures vary by about 25% from run to run on these machines.

Uses the test suite's installation helpers (tests/conftest.py): the scripts are
installed into a temporary folder with this venv's Python in their `#!` line.
"""

import argparse
import http.client
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[0:0] = [os.path.join(ROOT, "lib"), os.path.join(ROOT, "tests")]

from conftest import Site, start_lighttpd, start_wsgi_server  # noqa: E402
from mtpy.models import Ping  # noqa: E402

FLOOR_SCRIPT = """#!%s -S
import sys
sys.stdout.write("Status: 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\n\\r\\nok")
"""

# The least a CGI ping stored in SQLite can cost: Python with its site
# packages, sqlite3, one row committed. What mtpy adds is the rest.
STORE_ONLY_SCRIPT = """#!%s
import sqlite3, sys
db = sqlite3.connect(%r, timeout=30, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
db.execute("BEGIN IMMEDIATE")
db.execute("CREATE TABLE IF NOT EXISTS row (text)")
db.execute("INSERT INTO row VALUES ('x')")
db.execute("COMMIT")
sys.stdout.write("Status: 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\n\\r\\nok")
"""


class Target:
    """A running server with an installed site; counts what the store holds."""

    def __init__(self, folder, backend, server="lighttpd", publish=False):
        self.site = Site(os.path.join(folder, "%s-%s-%s" % (server, backend, publish)), backend)
        floor = os.path.join(self.site.folder, "cgi-bin", "floor.cgi")
        with open(floor, "w") as handle:
            handle.write(FLOOR_SCRIPT % sys.executable)
        os.chmod(floor, 0o755)
        store_only = os.path.join(self.site.folder, "cgi-bin", "store-only.cgi")
        with open(store_only, "w") as handle:
            handle.write(STORE_ONLY_SCRIPT % (sys.executable, os.path.join(self.site.folder, "store-only.db")))
        os.chmod(store_only, 0o755)
        store = self.site.store()
        if not publish:   # no pages to republish after each ping
            self.site.blog.site_path = self.site.blog.archive_path = ""
            self.site.blog.site_url = self.site.blog.archive_url = self.site.base
            store.save(self.site.blog)
        store.close()
        if publish:
            from mtpy.config import Config
            from mtpy.publish.rebuild import Publisher
            store = self.site.store()
            Publisher(store, Config(self.site.config_path), store.get(type(self.site.blog), 1)).rebuild_all()
            store.close()
        starter = start_wsgi_server if server == "wsgi" else start_lighttpd
        self.process = starter(self.site)
        self.counter = 0
        self.lock = threading.Lock()

    def stored(self):
        store = self.site.store()
        try:
            return store.count_pings(self.site.item.id)
        finally:
            store.close()

    def fill(self, count):
        """Pings already stored on the item (straight into the store)."""
        store = self.site.store()
        with store.transaction():
            for number in range(count):
                store.insert(Ping(blog_id=self.site.blog.id, tb_id=self.site.item.id, title="old %d" % number,
                                  source_url="http://old.example/%d" % number, created_on="2026-01-01 00:00:00"))
        store.close()

    def next_body(self):
        with self.lock:
            self.counter += 1
            number = self.counter
        return ("url=http%%3A%%2F%%2Fbench.example%%2F%d&title=Ping+%d&excerpt=An+excerpt&blog_name=Bench"
                % (number, number)).encode("ascii")

    def request(self, path, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=60)
        started = time.perf_counter()
        if body is None:
            connection.request("GET", path)
        else:
            connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status != 200:
            raise RuntimeError("%s answered %d: %r" % (path, response.status, answer[:200]))
        return elapsed

    def ping_path(self):
        return "/cgi-bin/mt-tb.cgi/%d" % self.site.item.id

    def stop(self):
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def latencies(target, count, path=None, ping=True):
    return [target.request(path or target.ping_path(), target.next_body() if ping else None)
            for _ in range(count)]


def throughput(target, clients, seconds, path=None, ping=True):
    """Requests answered per second by `clients` threads; for pings, the figure
    is what the store gained, not what was answered."""
    before = target.stored() if ping else 0
    done = [0] * clients
    deadline = time.perf_counter() + seconds

    def client(number):
        while time.perf_counter() < deadline:
            target.request(path or target.ping_path(), target.next_body() if ping else None)
            done[number] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return ((target.stored() - before) if ping else sum(done)) / elapsed


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# A small process forks and execs the script, then reads its peak memory: the
# benchmark's own (large) process must not be the one that forks, since Linux
# keeps the high-water mark across exec.
MEASURE = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
print(os.wait4(pid, 0)[2].ru_maxrss)
"""


def ping_memory(target):
    """Peak resident memory (MiB) of one CGI ping process, run as lighttpd runs it."""
    body = target.next_body()
    script = os.path.join(target.site.folder, "cgi-bin", "mt-tb.cgi")
    environ = dict(os.environ, REQUEST_METHOD="POST", PATH_INFO="/%d" % target.site.item.id, QUERY_STRING="",
                   CONTENT_TYPE="application/x-www-form-urlencoded", CONTENT_LENGTH=str(len(body)),
                   REMOTE_ADDR="127.0.0.1", SCRIPT_FILENAME=script)
    environ.pop("PYTHONPATH", None)
    done = subprocess.run(["/bin/sh", "-c", 'exec "$0" -S -c "$1" "$2"', sys.executable, MEASURE, script],
                          input=body, env=environ, capture_output=True, check=True)
    return int(done.stdout.split()[-1]) / 1024.0


def children_cpu():
    import resource
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_per_request(folder, publish=False, delay=None, floor=False, count=200):
    """CPU seconds per stored ping (per answer for the floor) of lighttpd, its CGI
    processes and their deferred work, 4 clients: the kernel's accounting of the
    processes this one reaps (it is their subreaper, so the work's orphaned
    processes come back here), steadier than a rate on a shared machine."""
    target = Target(folder, "sqlite", publish=publish)
    if delay is not None:
        target.site.update_config("RepublishDelay %s\n" % delay)
    before, stored = children_cpu(), target.stored()
    path = "/cgi-bin/floor.cgi" if floor else None

    def client():
        for _ in range(count // 4):
            target.request(path or target.ping_path(), None if floor else target.next_body())

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep((delay or 0) + 3)        # the last republishes
    target.stop()
    deadline = time.time() + 20
    while time.time() < deadline:       # reap the orphaned work processes
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                time.sleep(0.05)
        except ChildProcessError:
            break
    done = count if floor else target.stored() - stored
    return (children_cpu() - before) / done


def due_check_cost(folder, count=20000):
    """CPU per request of the look for due work every answer makes (work.
    run_due_work_after, in-process): (nothing due, due work with a runner at
    it), in seconds."""
    from mtpy import web, work
    from mtpy.config import Config
    site = Site(os.path.join(folder, "due-check"), "sqlite")
    config = Config(site.config_path)
    store = site.store()
    work.note_next_due(store, config)       # an empty queue: nothing due for NEXT_DUE_HORIZON
    store.close()

    def cost():
        started = time.process_time()
        for _ in range(count):
            work.run_due_work_after(web.Response(""), config)
        return (time.process_time() - started) / count

    nothing_due = cost()
    with open(work.next_due_path(config), "w") as handle:
        handle.write("0\n")                 # due since 1970, and a runner holds the lock
    held = work._runner_lock(config)
    try:
        runner_at_work = cost()
    finally:
        held.close()
    return nothing_due, runner_at_work


def argument_parser(description):
    """The options every ping benchmark takes: how many requests a latency
    figure is made of, and how long a throughput run lasts."""
    parser = argparse.ArgumentParser(description=description.split("\n")[0])
    parser.add_argument("--count", type=int, default=200, help="sequential requests per latency figure")
    parser.add_argument("--seconds", type=float, default=8, help="length of each throughput run")
    return parser


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers for --wsgi")
    args = parser.parse_args()
    rows = []
    folder = tempfile.mkdtemp(prefix="mtpy-pingbench-")
    targets = []
    try:
        sqlite = Target(folder, "sqlite")
        targets.append(sqlite)
        floor_path = "/cgi-bin/floor.cgi"
        latencies(sqlite, 20)                                   # warm caches and .pyc files
        latencies(sqlite, 20, floor_path, ping=False)
        floor = latencies(sqlite, args.count, floor_path, ping=False)
        pings = latencies(sqlite, args.count)
        floor_median = statistics.median(floor)
        rows.append(("1. cold CGI ping, 1 client (median / p99)",
                     "%.1f / %.1f ms" % (1000 * statistics.median(pings), 1000 * p99(pings)),
                     "floor %.1f ms; ratio %.2f (target <= 2.5)" % (1000 * floor_median,
                                                                    statistics.median(pings) / floor_median)))
        published = Target(folder, "sqlite", publish=True)
        targets.append(published)
        latencies(published, 10)
        with_pages = latencies(published, args.count // 2)
        rows.append(("   the same, republishing pages after each answer",
                     "%.1f ms" % (1000 * statistics.median(with_pages)),
                     "ratio %.2f" % (statistics.median(with_pages) / floor_median)))

        floor_rate = throughput(sqlite, 4, args.seconds, floor_path, ping=False)
        latencies(sqlite, 5, "/cgi-bin/store-only.cgi", ping=False)
        store_only_rate = throughput(sqlite, 4, args.seconds, "/cgi-bin/store-only.cgi", ping=False)
        ping_rate = throughput(sqlite, 4, args.seconds)
        flat = Target(folder, "flat")
        targets.append(flat)
        flat_rate = throughput(flat, 4, args.seconds)
        rows.append(("2. throughput, 4 clients (pings stored/s)", "%.0f /s" % ping_rate,
                     "floor %.0f /s; ratio %.2f (target >= 0.6); flat files %.0f /s" % (
                         floor_rate, ping_rate / floor_rate, flat_rate)))
        rows.append(("   a CGI that only commits one row with sqlite3", "%.0f /s" % store_only_rate,
                     "ratio %.2f: the most a ping stored in SQLite can reach here" % (store_only_rate / floor_rate)))

        # A flood on a publishing weblog: each ping's republish waits RepublishDelay
        # (0.5 s) and covers every ping stored by then.
        flood_rate = throughput(published, 4, args.seconds)
        time.sleep(2)           # let the last republishes finish before the next figure
        rows.append(("   a flood on a publishing weblog, 4 clients", "%.0f /s" % flood_rate,
                     "ratio %.2f to the floor (target >= 0.5)" % (flood_rate / floor_rate)))

        try:
            import ctypes
            subreaper = ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0     # PR_SET_CHILD_SUBREAPER
        except (OSError, AttributeError):
            subreaper = False
        if subreaper:
            cpu = [cpu_per_request(folder + "/cpu-%d" % n, **kind) for n, kind in enumerate((
                {"floor": True}, {}, {"publish": True, "delay": 0.5}, {"publish": True, "delay": 0}))]
            rows.append(("   CPU per stored ping, 4 clients", "%.1f ms" % (1000 * cpu[2]),
                         "publishing (RepublishDelay 0.5); floor %.1f, not publishing %.1f, "
                         "RepublishDelay 0 %.1f ms" % (1000 * cpu[0], 1000 * cpu[1], 1000 * cpu[3])))

        level_medians, rss_medians = [], []
        stored = sqlite.stored()
        for level in (0, 10000, 100000):
            fresh = Target(folder + "/flatness-%d" % level, "sqlite")
            targets.append(fresh)
            fresh.fill(level)
            latencies(fresh, 10)
            level_medians.append(statistics.median(latencies(fresh, args.count // 2)))
            rss_path = fresh.ping_path() + "?__mode=rss"
            rss_medians.append(statistics.median(latencies(fresh, 20, rss_path, ping=False)))
            fresh.stop()
        rows.append(("3. flatness: median at 0 / 10,000 / 100,000 pings",
                     " / ".join("%.1f" % (1000 * m) for m in level_medians) + " ms",
                     "ratio 100k/0 %.2f (target <= 1.2)" % (level_medians[2] / level_medians[0])))
        rows.append(("   __mode=rss at 0 / 10,000 / 100,000 pings",
                     " / ".join("%.1f" % (1000 * m) for m in rss_medians) + " ms",
                     "ratio 100k/0 %.2f (the newest PingsPerPage, 50)" % (rss_medians[2] / rss_medians[0])))
        del stored

        wsgi = Target(folder, "sqlite", server="wsgi")
        targets.append(wsgi)
        latencies(wsgi, 20)
        wsgi_rate = throughput(wsgi, 4, args.seconds)
        rows.append(("4. mtpy serve --wsgi, 4 clients (pings stored/s)", "%.0f /s" % wsgi_rate,
                     "target >= 1,500 /s (WordPress 6.1: about 140 /s)"))

        memory = max(ping_memory(sqlite) for _ in range(3))
        rows.append(("5. peak memory of one CGI ping", "%.1f MiB" % memory, "target < 25 MiB"))

        view_path = "/cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % sqlite.site.entry.id
        latencies(sqlite, 5, view_path, ping=False)
        views = latencies(sqlite, args.count // 4, view_path, ping=False)
        rows.append(("6. popup (__mode=view), cold CGI (median)", "%.1f ms" % (1000 * statistics.median(views)),
                     "ratio %.2f to the floor (target <= 4); kept rendered" % (
                         statistics.median(views) / floor_median)))
        rendered = []
        for _ in range(10):     # a weblog that does not publish renders on the first view after a ping
            latencies(sqlite, 1)
            rendered += latencies(sqlite, 1, view_path, ping=False)
        rows.append(("   the first view after a ping, not rendered ahead", "%.1f ms" % (
            1000 * statistics.median(rendered)), "ratio %.2f (a publishing weblog renders it ahead)" % (
            statistics.median(rendered) / floor_median)))
        nothing_due, runner_at_work = due_check_cost(folder)
        rows.append(("7. a request's look for due work (CPU)", "%.1f us" % (1e6 * nothing_due),
                     "nothing due (target < 1 ms); %.1f us while a runner is at work" % (1e6 * runner_at_work)))
    finally:
        for target in targets:
            try:
                target.stop()
            except Exception:
                pass
        subprocess.run(["rm", "-rf", folder])
    width = max(len(row[0]) for row in rows)
    print("Ping benchmark (Python %s, %d cores)" % (sys.version.split()[0], os.cpu_count() or 1))
    for name, figure, note in rows:
        print("  %-*s  %16s  %s" % (width, name, figure, note))


if __name__ == "__main__":
    main()
