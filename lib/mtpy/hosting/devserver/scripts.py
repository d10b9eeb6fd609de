"""Running one *.cgi script as a CGI/1.1 program (RFC 3875) for `mtpy serve`:
a subprocess per request, its stdout read until EOF (not until it exits: the
scripts do deferred work after answering), within a time and a size limit, its
stderr to the terminal, the process reaped (or killed) in the background; and
its output parsed into status, headers and body."""

import os
import re
import signal
import subprocess
import threading
from http import HTTPStatus

from mtpy.hosting.devserver.log import log


CGI_TIMEOUT = 60                    # seconds a script has to finish its response
DEFERRED_TIMEOUT = 600              # seconds it may keep working after answering
MAX_OUTPUT = 64 * 1024 * 1024       # largest response a script may produce

# RFC 7230 token: what a CGI header name may be made of.
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_STATUS = re.compile(r"^([1-5][0-9][0-9])(?:[ \t]+(.*))?$")


# --- running a script -------------------------------------------------------

class CGIError(Exception):
    """A script run that produced no usable response."""


class CGITimeout(CGIError):
    """The script did not finish its output in time."""


class CGIOutputTooLarge(CGIError):
    """The script wrote more than MAX_OUTPUT bytes."""


class CGIOutputError(CGIError, ValueError):
    """The script's output is not a CGI response (bad or missing headers)."""


def run_cgi(argv, env, cwd, body, label, timeout=CGI_TIMEOUT, max_output=MAX_OUTPUT,
            deferred_timeout=DEFERRED_TIMEOUT):
    """Run one script and return everything it wrote to stdout.

    Returns as soon as stdout reaches EOF rather than when the process exits:
    mtpy's scripts close stdout once the response is written and then do
    deferred work (pings, mail), and the client should not wait for that. A
    background thread reaps the process later. stdin is fed and stderr drained
    by their own threads so no pipe can fill up and deadlock the script.
    Raises OSError if the script cannot be started, CGITimeout, or
    CGIOutputTooLarge."""
    process = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=env, cwd=cwd, close_fds=True,
        # Its own process group, so a timeout can kill helpers it spawned too,
        # and Ctrl-C on the server does not interrupt deferred work. Ignored on
        # Windows.
        start_new_session=True,
    )
    if body:
        _background(_feed, process.stdin, body)
    else:
        process.stdin.close()
    _background(_drain_stderr, process.stderr, label)
    chunks = []
    overflow = []
    reader = _background(_collect, process.stdout, chunks, max_output, overflow)
    reader.join(timeout)
    if reader.is_alive() or overflow:
        _kill(process)
        reader.join(5)
        _background(_reap, process, label, 5)
        if overflow:
            raise CGIOutputTooLarge("%s wrote more than %d bytes" % (label, max_output))
        raise CGITimeout("%s did not answer within %s s" % (label, timeout))
    _background(_reap, process, label, deferred_timeout)
    return b"".join(chunks)


def _background(target, *args):
    # Daemon threads: a stuck script must never keep the server from exiting.
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def _feed(stream, body):
    try:
        stream.write(body)
    except OSError:
        pass  # the script exited without reading its input; that is its business
    finally:
        try:
            stream.close()
        except OSError:
            pass


def _collect(stream, chunks, limit, overflow):
    total = 0
    try:
        while True:
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                return
            total += len(chunk)
            if total > limit:
                overflow.append(True)
                return
            chunks.append(chunk)
    finally:
        stream.close()


def _drain_stderr(stream, label):
    # The client never sees stderr (it may hold paths or secrets); the operator
    # sees it in the terminal running the server.
    try:
        for line in iter(stream.readline, b""):
            log("%s: %s" % (label, line.decode("utf-8", "replace").rstrip()))
    finally:
        stream.close()


def _reap(process, label, timeout):
    try:
        status = process.wait(timeout)
    except subprocess.TimeoutExpired:
        log("%s: still running after %s s; killed" % (label, timeout))
        _kill(process)
        status = process.wait()
    if status:
        log("%s: exited with status %d" % (label, status))


def _kill(process):
    try:
        if os.name == "posix":
            # The process is not reaped yet (only _reap waits), so its pid
            # still names its group and cannot have been reused.
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
    except OSError:
        pass  # already gone


def parse_cgi_output(output):
    """Split a script's stdout into (status, reason, headers, body).

    Header lines end with LF or CRLF and stop at the first blank line; output
    that ends right after the headers has an empty body. `Status:` sets the
    status (RFC 3875 6.3.3); otherwise it is 302 when there is a Location
    header and 200 when not. headers is a list of (name, value) without
    Status. Raises CGIOutputError."""
    if not output:
        raise CGIOutputError("no output")
    headers = []
    body = b""
    position = 0
    while position < len(output):
        newline = output.find(b"\n", position)
        if newline < 0:
            newline = len(output)
        line = output[position:newline]
        position = newline + 1
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            body = output[position:]
            break
        name, colon, value = line.partition(b":")
        name = name.decode("latin-1")
        value = value.strip(b" \t").decode("latin-1")
        if not colon or not _TOKEN.match(name) or "\r" in value or "\0" in value:
            raise CGIOutputError("malformed header line %r" % line[:80])
        headers.append((name, value))
    if not headers:
        raise CGIOutputError("no headers before the body")
    status = reason = None
    kept = []
    for name, value in headers:
        if name.lower() != "status":
            kept.append((name, value))
            continue
        match = _STATUS.match(value)
        if not match or match.group(1).startswith("1"):
            raise CGIOutputError("bad Status header %r" % value[:80])
        status, reason = int(match.group(1)), match.group(2)
    if status is None:
        status = 302 if any(name.lower() == "location" for name, _ in kept) else 200
    if not reason:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = ""
    return status, reason, kept, body
