"""Ping benchmark (make bench): mt-tb.cgi under lighttpd (mod_cgi) against the
floor, a CGI that only starts Python (`python -S`); flatness as pings pile up;
`mtpy serve --wsgi`; memory of one CGI ping; the popup.

`--against REV` measures the code of another commit (git archive, in a
temporary folder) in the same run, phase by phase, the two trees taking turns:
figures vary by about 25% from run to run on these machines (more when the
machine is shared), ratios between the two columns much less. Each phase runs
in a process of its own, with that tree's lib/ and tests/ first on its path.

Uses the test suite's installation helpers (tests/conftest.py): the scripts are
installed into a temporary folder with this venv's Python in their `#!` line.
"""

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tree_from_argv():
    """The tree a phase measures (--tree), read before anything of mtpy is
    imported: its lib/ and tests/ come first on the path."""
    if "--tree" in sys.argv:
        return os.path.abspath(sys.argv[sys.argv.index("--tree") + 1])
    return ROOT


TREE = _tree_from_argv()
sys.path[0:0] = [os.path.join(TREE, "lib"), os.path.join(TREE, "tests")]

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

    def request(self, path, body=None, content_type="application/x-www-form-urlencoded", ok=(200,)):
        connection = http.client.HTTPConnection("127.0.0.1", self.site.port, timeout=60)
        started = time.perf_counter()
        if body is None:
            connection.request("GET", path)
        else:
            connection.request("POST", path, body, {"Content-Type": content_type})
        response = connection.getresponse()
        answer = response.read()
        elapsed = time.perf_counter() - started
        connection.close()
        if response.status not in ok:
            raise RuntimeError("%s answered %d: %r" % (path, response.status, answer[:200]))
        return elapsed

    def wait_for_work(self, bound=30):
        """Until the queue is empty (the work after an answer is done)."""
        from mtpy.models import Job
        deadline = time.time() + bound
        while time.time() < deadline:
            store = self.site.store()
            try:
                if not store.find(Job):
                    return
            finally:
                store.close()
            time.sleep(0.01)

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


# -- the phases: each runs in a process of its own (--tree, --phase) -----------------

def phase_cgi(folder, args):
    """mt-tb.cgi under lighttpd: a cold ping against the floor, throughput of
    4 clients against the floor and a CGI that only commits one row, flat
    files, a flood on a publishing weblog, the memory of one ping."""
    sqlite = Target(folder, "sqlite")
    targets = [sqlite]
    try:
        floor_path = "/cgi-bin/floor.cgi"
        latencies(sqlite, 20)                                   # warm caches and .pyc files
        latencies(sqlite, 20, floor_path, ping=False)
        # Taking turns, five requests at a time, so that a change in the
        # machine's load falls on both.
        floor, pings = [], []
        for _ in range(max(1, args.count // 5)):
            floor += latencies(sqlite, 5, floor_path, ping=False)
            pings += latencies(sqlite, 5)
        figures = {"floor_ms": 1000 * statistics.median(floor), "ping_ms": 1000 * statistics.median(pings),
                   "ping_p99_ms": 1000 * p99(pings)}
        figures["memory_mib"] = max(ping_memory(sqlite) for _ in range(3))
        published = Target(folder, "sqlite", publish=True)
        targets.append(published)
        latencies(published, 10)
        figures["publish_ms"] = 1000 * statistics.median(latencies(published, args.count // 2))
        figures["floor_rate"] = throughput(sqlite, 4, args.seconds, floor_path, ping=False)
        latencies(sqlite, 5, "/cgi-bin/store-only.cgi", ping=False)
        store_only, rate = [], []
        for _ in range(4):      # taking turns, as above
            store_only.append(throughput(sqlite, 4, args.seconds / 4, "/cgi-bin/store-only.cgi", ping=False))
            rate.append(throughput(sqlite, 4, args.seconds / 4))
        figures["store_only_rate"], figures["ping_rate"] = sum(store_only) / 4, sum(rate) / 4
        flat = Target(folder, "flat")
        targets.append(flat)
        figures["flat_rate"] = throughput(flat, 4, args.seconds)
        # A flood on a publishing weblog: each ping's republish waits RepublishDelay
        # (0.5 s) and covers every ping stored by then.
        figures["flood_rate"] = throughput(published, 4, args.seconds)
        time.sleep(2)           # let the last republishes finish
        return figures
    finally:
        stop_all(targets)


def phase_cpu(folder, args):
    """CPU per stored ping of lighttpd, the scripts and their deferred work."""
    try:
        import ctypes
        if ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) != 0:     # PR_SET_CHILD_SUBREAPER
            return {}
    except (OSError, AttributeError):
        return {}
    cpu = [cpu_per_request(folder + "/cpu-%d" % n, **kind) for n, kind in enumerate((
        {"floor": True}, {}, {"publish": True, "delay": 0.5}, {"publish": True, "delay": 0}))]
    return {"cpu_floor_ms": 1000 * cpu[0], "cpu_ping_ms": 1000 * cpu[1], "cpu_flood_ms": 1000 * cpu[2],
            "cpu_flood_no_delay_ms": 1000 * cpu[3]}


def phase_flatness(folder, args):
    """A ping and `__mode=rss` with 0, 10,000 and 100,000 pings stored: the
    three sites answer in turns, a few requests each, so that a change in the
    machine's load falls on all three."""
    levels = (0, 10000, 100000)
    targets = []
    try:
        for level in levels:
            fresh = Target(folder + "/flatness-%d" % level, "sqlite")
            targets.append(fresh)
            fresh.fill(level)
            latencies(fresh, 10)
        pings, rss = [[] for _ in levels], [[] for _ in levels]
        for _ in range(max(1, args.count // 10)):
            for number, fresh in enumerate(targets):
                pings[number] += latencies(fresh, 5)
                rss[number] += latencies(fresh, 2, fresh.ping_path() + "?__mode=rss", ping=False)
    finally:
        stop_all(targets)
    return {"flat_ping_ms": [1000 * statistics.median(each) for each in pings],
            "flat_rss_ms": [1000 * statistics.median(each) for each in rss]}


def phase_wsgi(folder, args):
    """`mtpy serve --wsgi` (gunicorn), 4 clients."""
    wsgi = Target(folder, "sqlite", server="wsgi")
    try:
        latencies(wsgi, 20)
        return {"wsgi_rate": throughput(wsgi, 4, args.seconds)}
    finally:
        wsgi.stop()


def phase_popup(folder, args):
    """The popup (`__mode=view`) kept rendered, and the first view after a ping."""
    sqlite = Target(folder, "sqlite")
    try:
        view_path = "/cgi-bin/mt-tb.cgi?__mode=view&entry_id=%d" % sqlite.site.entry.id
        latencies(sqlite, 5, view_path, ping=False)
        views = latencies(sqlite, args.count // 4, view_path, ping=False)
        rendered = []
        for _ in range(10):     # a weblog that does not publish renders on the first view after a ping
            latencies(sqlite, 1)
            rendered += latencies(sqlite, 1, view_path, ping=False)
        return {"view_ms": 1000 * statistics.median(views), "view_rendered_ms": 1000 * statistics.median(rendered)}
    finally:
        sqlite.stop()


def phase_due(folder, args):
    """The look for due work each answer makes (none before the code had it)."""
    try:
        nothing_due, runner_at_work = due_check_cost(folder)
    except (ImportError, AttributeError):
        return {}
    return {"due_us": 1e6 * nothing_due, "due_runner_us": 1e6 * runner_at_work}


def mention_body(protocol, target, number):
    """A Pingback's XML-RPC call or a Webmention's form, its source a page on
    127.0.0.1 that outbound refuses to fetch (no OutboundAllowAddresses): the
    check after the answer ends at once, and nothing leaves the machine."""
    import xmlrpc.client
    source = "http://127.0.0.1:9/source-%d.html" % number
    if protocol == "pingback":
        return xmlrpc.client.dumps((source, target), "pingback.ping").encode("utf-8"), "text/xml"
    return urllib.parse.urlencode({"source": source, "target": target}).encode("ascii"), \
        "application/x-www-form-urlencoded"


def phase_mentions(folder, args):
    """A cold CGI Pingback and Webmention answer beside a TrackBack ping's, in
    turns (five of each), to the same entry (none before the code had them).
    Each mention's check runs after its answer, in a process of its own: the
    next request waits for it to end, so that each answer is measured alone."""
    target = Target(folder, "sqlite")
    try:
        if not os.path.exists(os.path.join(target.site.folder, "cgi-bin", "mt-pingback.cgi")):
            return {}
        from mtpy.urls import entry_permalink
        permalink = entry_permalink(target.site.blog, target.site.entry)
        times = {"trackback": [], "pingback": [], "webmention": []}
        scripts = {"pingback": "/cgi-bin/mt-pingback.cgi", "webmention": "/cgi-bin/mt-webmention.cgi"}
        for round_number in range(max(1, args.count // 5)):
            times["trackback"] += latencies(target, 5)
            for protocol, path in scripts.items():
                for number in range(5):
                    body, kind = mention_body(protocol, permalink, round_number * 10 + number)
                    times[protocol].append(target.request(path, body, kind, ok=(200, 202)))
                    target.wait_for_work()
    finally:
        target.stop()
    return {"mention_%s_ms" % protocol: 1000 * statistics.median(each) for protocol, each in times.items()}


PHASES = {"cgi": phase_cgi, "cpu": phase_cpu, "flatness": phase_flatness, "wsgi": phase_wsgi,
          "popup": phase_popup, "due": phase_due, "mentions": phase_mentions}


def stop_all(targets):
    for target in targets:
        try:
            target.stop()
        except Exception:
            pass


def run_phase(args):
    """In the phase's own process: print its figures as JSON on the last line."""
    folder = tempfile.mkdtemp(prefix="mtpy-pingbench-")
    try:
        figures = PHASES[args.phase](folder, args)
    finally:
        subprocess.run(["rm", "-rf", folder])
    print(json.dumps(figures))


def measure(tree, phase, args):
    """A phase's figures for a tree, from a process of its own."""
    command = [sys.executable, os.path.abspath(__file__), "--tree", tree, "--phase", phase,
               "--count", str(args.count), "--seconds", str(args.seconds)]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError("phase %s of %s failed (status %d)" % (phase, tree, done.returncode))
    return json.loads(done.stdout.strip().splitlines()[-1])


def checkout(revision, folder):
    """The files of `revision` in `folder` (git archive): the tree measured
    alongside. A folder given instead is that tree as it is."""
    if os.path.isdir(revision):
        return os.path.abspath(revision)
    os.makedirs(folder)
    archive = subprocess.run(["git", "-C", ROOT, "archive", revision], stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
    return folder


def rows_of(f, target_notes=True):
    """[(row name, figure text, ratio or None, note)] of one tree's figures."""
    rows = []

    def add(name, figure, ratio=None, note=""):
        rows.append((name, figure, ratio, note))

    if "ping_ms" in f:
        add("1. cold CGI ping, 1 client (median / p99)", "%.1f / %.1f ms" % (f["ping_ms"], f["ping_p99_ms"]),
            f["ping_ms"] / f["floor_ms"], "x the floor (%.1f ms); target <= 2.5" % f["floor_ms"])
        add("   the same, republishing pages after each answer", "%.1f ms" % f["publish_ms"],
            f["publish_ms"] / f["floor_ms"], "x the floor")
        add("2. throughput, 4 clients (pings stored/s)", "%.0f /s" % f["ping_rate"],
            f["ping_rate"] / f["store_only_rate"], "x the sqlite3-commit CGI; target >= 0.8")
        add("   a CGI that only commits one row with sqlite3", "%.0f /s" % f["store_only_rate"],
            f["store_only_rate"] / f["floor_rate"], "x the floor (%.0f /s)" % f["floor_rate"])
        add("   flat files, 4 clients", "%.0f /s" % f["flat_rate"])
        add("   a flood on a publishing weblog, 4 clients", "%.0f /s" % f["flood_rate"],
            f["flood_rate"] / f["floor_rate"], "x the floor")
    if "cpu_ping_ms" in f:
        add("   CPU per stored ping, 4 clients, not publishing", "%.1f ms" % f["cpu_ping_ms"],
            f["cpu_ping_ms"] / f["cpu_floor_ms"], "x the floor's (%.1f ms)" % f["cpu_floor_ms"])
        add("   the same, a flood on a publishing weblog", "%.1f ms" % f["cpu_flood_ms"], None,
            "RepublishDelay 0: %.1f ms" % f["cpu_flood_no_delay_ms"])
    if "flat_ping_ms" in f:
        levels = f["flat_ping_ms"]
        add("3. flatness: ping at 0 / 10,000 / 100,000 pings", " / ".join("%.1f" % m for m in levels) + " ms",
            levels[2] / levels[0], "100k / 0; target <= 1.2")
        rss = f["flat_rss_ms"]
        add("   __mode=rss at 0 / 10,000 / 100,000 pings", " / ".join("%.1f" % m for m in rss) + " ms",
            rss[2] / rss[0], "100k / 0; target <= 1.2")
    if "wsgi_rate" in f:
        add("4. mtpy serve --wsgi, 4 clients (pings stored/s)", "%.0f /s" % f["wsgi_rate"], None,
            "target >= 1,500 /s")
    if "memory_mib" in f:
        add("5. peak memory of one CGI ping", "%.1f MiB" % f["memory_mib"], None, "target < 25 MiB")
    if "view_ms" in f and "floor_ms" in f:
        add("6. popup (__mode=view), cold CGI, kept rendered", "%.1f ms" % f["view_ms"],
            f["view_ms"] / f["floor_ms"], "x the floor; target <= 4")
        add("   the first view after a ping, not rendered ahead", "%.1f ms" % f["view_rendered_ms"],
            f["view_rendered_ms"] / f["floor_ms"], "x the floor")
    if "due_us" in f:
        add("7. a request's look for due work (CPU)", "%.1f us" % f["due_us"], None,
            "target < 1 ms; %.1f us while a runner is at work" % f["due_runner_us"])
    if "mention_trackback_ms" in f:
        tb = f["mention_trackback_ms"]
        add("8. cold CGI answer: a TrackBack ping", "%.1f ms" % tb)
        for protocol in ("pingback", "webmention"):
            ms = f["mention_%s_ms" % protocol]
            add("   a %s (its source read after the answer)" % protocol.capitalize(), "%.1f ms" % ms, ms / tb,
                "x the TrackBack ping's; target <= 1.2")
    return rows


def median_rows(rounds):
    """One tree's rows from several rounds' rows: for each row, the round
    whose ratio (or figure, for a row without one) is the median."""
    rows = []
    for row in rounds[0]:
        same = [next(each for each in rows_of_round if each[0] == row[0])
                for rows_of_round in rounds if any(each[0] == row[0] for each in rows_of_round)]
        # By its ratio, else by its figure's first number.
        same.sort(key=lambda each: each[2] if each[2] is not None else float(each[1].split()[0]))
        rows.append(same[(len(same) - 1) // 2])
    return rows


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--against", metavar="REV",
                        help="also measure this commit's code (e.g. 1f07e27), or a tree's folder, phase by phase, "
                             "taking turns")
    parser.add_argument("--phases", default=",".join(PHASES), help="which phases (default: all)")
    parser.add_argument("--rounds", type=int, default=1, help="measure every phase this many times, in turns")
    parser.add_argument("--tree", help=argparse.SUPPRESS)       # a phase's process: the tree it measures
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return run_phase(args)
    trees = [("this tree", ROOT)]
    scratch = tempfile.mkdtemp(prefix="mtpy-pingbench-trees-")
    try:
        if args.against:
            trees.append((args.against, checkout(args.against, os.path.join(scratch, "against"))))
        rounds = {name: [] for name, _ in trees}     # each tree's figures, a dict a round
        for number in range(args.rounds):
            figures = {name: {} for name, _ in trees}
            for phase in args.phases.split(","):
                # The trees take turns going first: the machine's load drifts.
                order = trees if number % 2 == 0 else trees[::-1]
                for name, tree in order:
                    figures[name].update(measure(tree, phase, args))
            for name, _ in trees:
                rounds[name].append(figures[name])
    finally:
        subprocess.run(["rm", "-rf", scratch])
    with open("/proc/loadavg") if os.path.exists("/proc/loadavg") else open(os.devnull) as handle:
        load = " ".join(handle.read().split()[:3]) or "unknown"
    print("Ping benchmark (Python %s, %d cores, load average at the end %s)" % (
        sys.version.split()[0], os.cpu_count() or 1, load))
    if args.rounds > 1:
        print("  (each figure: the median of %d rounds; a ratio: the median of the rounds' ratios)" % args.rounds)
    columns = [median_rows([rows_of(figures) for figures in rounds[name]]) for name, _ in trees]
    width = max(len(row[0]) for row in columns[0])
    print("  %-*s  %-26s  %s" % (width, "", "   |   ".join(name for name, _ in trees), ""))
    for number, (name, figure, ratio, note) in enumerate(columns[0]):
        cells = []
        for column in columns:
            same = [row for row in column if row[0] == name]
            if not same:
                cells.append("-")
                continue
            cell = same[0][1]
            if same[0][2] is not None:
                cell += " (%.2f)" % same[0][2]
            cells.append(cell)
        print("  %-*s  %s  %s" % (width, name, "   |   ".join("%-26s" % cell for cell in cells), note))


if __name__ == "__main__":
    main()
