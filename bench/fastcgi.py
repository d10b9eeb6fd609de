"""FastCGI benchmark (make bench): pings stored per second by mt-tb.fcgi kept in
one persistent process (lighttpd's mod_fastcgi spawning it, as mod_fcgid does)
against mt-tb.cgi under the same lighttpd (mod_cgi), sequentially and with 4
clients; the popup both ways; and the persistent process's memory and open files
over 2,000 pings. Ratios are measured in one run: figures vary by about 25% from
run to run on these machines.

Uses the test suite's installation helpers (tests/conftest.py,
tests/test_fastcgi.py) and bench/ping.py's clients.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[0:0] = [HERE, os.path.join(ROOT, "lib"), os.path.join(ROOT, "tests")]

from ping import Target, argument_parser, latencies, p99, throughput  # noqa: E402
from test_fastcgi import script_pids, start_lighttpd_fastcgi  # noqa: E402


def process_figures(pid):
    """(resident MiB, open files) of a process."""
    with open("/proc/%d/status" % pid) as handle:
        rss = [int(line.split()[1]) for line in handle if line.startswith("VmRSS:")][0]
    return rss / 1024.0, len(os.listdir("/proc/%d/fd" % pid))


def main():
    parser = argument_parser(__doc__)
    parser.add_argument("--memory-pings", type=int, default=2000, help="pings between the memory figures")
    args = parser.parse_args()
    rows = []
    folder = tempfile.mkdtemp(prefix="mtpy-fastcgibench-")
    target = None
    try:
        target = Target(folder, "sqlite")       # lighttpd with mod_cgi: swapped for the FastCGI set-up
        target.stop()
        target.process = start_lighttpd_fastcgi(target.site)
        [pid] = script_pids(target.site, "mt-tb.fcgi")
        cgi_path = target.ping_path()
        fcgi_path = cgi_path.replace("mt-tb.cgi", "mt-tb.fcgi")
        latencies(target, 20, cgi_path)                     # warm caches and .pyc files
        latencies(target, 20, fcgi_path)
        rows.append(("1. one client: CGI / FastCGI ping (median / p99)", None, None))
        medians = {}
        for name, path in (("CGI", cgi_path), ("FastCGI", fcgi_path)):
            times = latencies(target, args.count, path)
            medians[name] = statistics.median(times)
            rate = len(times) / sum(times)
            rows.append(("   " + name, "%.1f / %.1f ms" % (1000 * medians[name], 1000 * p99(times)),
                         "%.0f pings stored/s in sequence" % rate))
        rows.append(("   FastCGI against CGI", "%.1f times" % (medians["CGI"] / medians["FastCGI"]),
                     "as fast, one client"))
        rates = {}
        for name, path in (("CGI", cgi_path), ("FastCGI", fcgi_path)):
            rates[name] = throughput(target, 4, args.seconds, path)
        rows.append(("2. 4 clients, pings stored/s: CGI / FastCGI", "%.0f / %.0f /s" % (rates["CGI"], rates["FastCGI"]),
                     "%.1f times; FastCGI: one process, one request at a time" % (rates["FastCGI"] / rates["CGI"])))
        view = "/cgi-bin/mt-tb.%s?__mode=view&entry_id=%d"
        views = {}
        for name, extension in (("CGI", "cgi"), ("FastCGI", "fcgi")):
            path = view % (extension, target.site.entry.id)
            latencies(target, 5, path, ping=False)
            views[name] = statistics.median(latencies(target, args.count // 4, path, ping=False))
        rows.append(("3. popup (__mode=view), median: CGI / FastCGI", "%.1f / %.1f ms" % (
            1000 * views["CGI"], 1000 * views["FastCGI"]), "kept rendered"))
        figures, started = [process_figures(pid)], time.perf_counter()
        for _ in range(2):      # memory and open files halfway and at the end: steady, not growing
            latencies(target, args.memory_pings // 2, fcgi_path)
            figures.append(process_figures(pid))
        elapsed = time.perf_counter() - started
        assert script_pids(target.site, "mt-tb.fcgi") == [pid], "the FastCGI process was replaced"
        rows.append(("4. the FastCGI process over %d more pings" % args.memory_pings,
                     " -> ".join("%.1f" % rss for rss, _ in figures) + " MiB",
                     "open files %s; %.0f pings/s; the same process throughout" % (
                         " -> ".join("%d" % files for _, files in figures), args.memory_pings / elapsed)))
        stored = target.stored()
    finally:
        if target is not None:
            try:
                target.stop()
            except Exception:
                pass
        subprocess.run(["rm", "-rf", folder])
    width = max(len(row[0]) for row in rows)
    print("FastCGI benchmark (Python %s, %d cores, load average %.1f; %d pings stored)" % (
        sys.version.split()[0], os.cpu_count() or 1, os.getloadavg()[0], stored))
    for name, figure, note in rows:
        if figure is None:
            print("  " + name)
        else:
            print("  %-*s  %16s  %s" % (width, name, figure, note))


if __name__ == "__main__":
    main()
