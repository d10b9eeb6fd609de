"""FastCGI: the scripts' applications kept in a persistent process, as Movable
Type's `.fcgi` scripts were (Apache's mod_fcgid, lighttpd's mod_fastcgi).

A FastCGI 1.0 responder on the standard library. The web server starts the
script with the listening socket as fd 0 and sends it requests, one at a time
here (GET_VALUES says so); FCGI_KEEP_CONN is honoured. Started any other way
(fd 0 a pipe, a file or a connected socket), the script answers one CGI request
(mtpy.hosting.run_cgi), as MT's `.fcgi` scripts did.

What a web server sends is checked, not trusted: a record that breaks the
protocol closes its connection and is logged, and the process serves the next
one. The body is read as the application asks for it, never more than
CONTENT_LENGTH, so the applications' own limits (MaxRequestBytes,
MaxUploadBytes) bound what is held. Work a response leaves for after it (the
body iterable's close()) runs in a forked process, as under CGI, so that the
next request does not wait for it. A release uploaded over this one (the script
or mtpy/__init__.py changed) is started in the same process once the answer in
progress is sent (exec): the server's socket is never closed.

The applications served are mtpy.hosting.scripts' ScriptApplication: built from
mt.cfg, and built again when mt.cfg changes (passenger_wsgi.py and `mtpy serve
--wsgi` serve the same ones).
"""

import os
import stat
import sys

import mtpy
from mtpy import web
from mtpy.hosting import run_cgi

VERSION = 1
(BEGIN_REQUEST, ABORT_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT, STDERR, DATA,
 GET_VALUES, GET_VALUES_RESULT, UNKNOWN_TYPE) = range(1, 12)
RESPONDER = 1
KEEP_CONN = 1
REQUEST_COMPLETE, CANT_MPX_CONN, OVERLOADED, UNKNOWN_ROLE = range(4)
MAX_CONTENT = 0xFFFF
# One request at a time, on one connection at a time.
VALUES = {b"FCGI_MAX_CONNS": b"1", b"FCGI_MAX_REQS": b"1", b"FCGI_MPXS_CONNS": b"0"}
# A request's name-value pairs, all together: far beyond any server's headers.
MAX_PARAMS = 1 << 20
# Seconds a server may pause inside a request, or leave a kept connection idle.
READ_TIMEOUT = 60
IDLE_TIMEOUT = 30
# Body bytes the application left unread that are read and dropped so that the
# connection can carry the next request; beyond this it is closed instead.
DRAIN_LIMIT = 16 << 20
BAD_REQUEST = b"Status: 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBad request.\n"


class ProtocolError(Exception):
    """Bytes no FastCGI web server sends: the connection cannot go on."""


def run(application):
    """Serve `application` over FastCGI when fd 0 is a listening socket (the
    web server spawned this script), else answer one CGI request."""
    listener = inherited_listener()
    if listener is None:
        run_cgi(application)
    elif serve(application, listener, _release_changed(sys.argv[0])) == "replaced":
        # The new code in this same process: fd 0, the socket the server
        # connects to, stays open across exec, so no request is refused.
        sys.stderr.flush()
        command = getattr(sys, "orig_argv", None) or [sys.executable] + sys.argv
        os.execv(sys.executable, command)


def _release_changed(script):
    """A check that a new release has been uploaded over this one since the
    process started: the script or mtpy/__init__.py (its version) changed. The
    process then starts again after its answer (run), as an upgrade by FTP
    expects."""
    watched = [os.path.realpath(script), os.path.abspath(mtpy.__file__)]

    def stamps():
        found = []
        for path in watched:
            try:
                status = os.stat(path)
                found.append((status.st_mtime_ns, status.st_size, status.st_ino))
            except OSError:
                found.append(None)
        return found

    started = stamps()
    return lambda: stamps() != started


def inherited_listener():
    """fd 0 as a socket object when it is a listening socket, else None. Costs a
    CGI request one fstat: `socket` is imported only for a socket."""
    try:
        if not stat.S_ISSOCK(os.fstat(0).st_mode):
            return None
    except OSError:
        return None
    import socket
    try:
        probe = socket.socket(fileno=0)
    except OSError:
        return None
    try:
        listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
    except (OSError, AttributeError):
        try:                       # no SO_ACCEPTCONN: only a listening socket has no peer and no error
            probe.getpeername()
            listening = False
        except OSError as error:
            import errno
            listening = error.errno == errno.ENOTCONN
    if not listening:
        probe.detach()             # mod_cgid's connected socket: fd 0 stays run_cgi's stdin
        return None
    return probe


def serve(application, listener, replaced=None):
    """Accept connections on `listener` and answer their requests, one at a
    time, until SIGTERM (the web server stopping this process: a request being
    answered is finished first) or SIGINT, or until `replaced()` says, after a
    connection, that this code is outdated: then "replaced". A failure is
    logged and ends only its connection."""
    import signal
    state = {"busy": False, "stop": False}

    def stop(signum, frame):
        if state["busy"]:
            state["stop"] = True
        else:
            raise SystemExit(0)

    try:
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, stop)
    except ValueError:               # not the main thread: the caller's to stop
        pass
    allowed = _allowed_servers(listener)
    while not state["stop"]:
        try:
            connection, address = listener.accept()
        except OSError as error:     # out of descriptors, a connection reset while queued...
            web.log_error(None, "FastCGI: accept failed: %s" % error)
            import time
            time.sleep(0.1)
            continue
        problem = None
        try:
            if allowed is not None and address[0] not in allowed:
                problem = "FastCGI: refused a connection from %s (FCGI_WEB_SERVER_ADDRS)" % address[0]
            else:
                Connection(connection, listener).serve(application, state)
        except ProtocolError as error:
            problem = "FastCGI: closed a connection: %s" % error
        except OSError as error:     # the server went away or stalled
            problem = "FastCGI: lost a connection: %s" % error
        except Exception:            # a fault of this module's: the process goes on
            web.log_error(None, "FastCGI: a connection failed")
        finally:
            connection.close()
        if problem:
            web.log_error(None, problem)
        if replaced is not None and replaced():
            web.log_error(None, "FastCGI: %s or mtpy was replaced; starting again" % (sys.argv[0] or "the script"))
            return "replaced"


def _allowed_servers(listener):
    """FCGI_WEB_SERVER_ADDRS (the spec's list of servers that may connect over
    TCP), or None: anyone who can reach the socket."""
    import socket
    listed = os.environ.get("FCGI_WEB_SERVER_ADDRS", "").replace(";", ",")
    if listener.family not in (socket.AF_INET, socket.AF_INET6) or not listed.strip():
        return None
    return frozenset(address.strip() for address in listed.split(",") if address.strip())


class Request:
    def __init__(self, request_id, keep_conn):
        self.id = request_id
        self.keep_conn = keep_conn
        self.params = bytearray()
        self.params_done = False
        self.stdin_done = False
        self.aborted = False


class Connection:
    """One web server connection: its records in, the answers out."""

    def __init__(self, sock, listener):
        self.sock = sock
        self.listener = listener
        sock.settimeout(READ_TIMEOUT)
        self.buffer = bytearray()
        self.current = None

    # -- records ----------------------------------------------------------------

    def read_record(self, at_start=False):
        """(type, request id, content), or None when the server closed the
        connection between records."""
        import struct
        header = self._read(8, at_start)
        if header is None:
            return None
        version, kind, request_id, length, padding = struct.unpack("!BBHHBx", header)
        if version != VERSION:
            raise ProtocolError("a record of FastCGI version %d" % version)
        content = self._read(length) if length else b""
        if padding:
            self._read(padding)
        return kind, request_id, content

    def _read(self, count, eof_allowed=False):
        while len(self.buffer) < count:
            received = self.sock.recv(max(65536, count - len(self.buffer)))
            if not received:
                if not self.buffer and eof_allowed:
                    return None
                raise ProtocolError("the connection ended inside a record")
            self.buffer += received
        data = bytes(self.buffer[:count])
        del self.buffer[:count]
        return data

    def send(self, records):
        self.sock.sendall(b"".join(records))

    @staticmethod
    def record(kind, request_id, content=b""):
        import struct
        padding = -len(content) % 8
        return struct.pack("!BBHHBx", VERSION, kind, request_id, len(content), padding) + content + b"\0" * padding

    def stream(self, kind, request_id, data):
        """The records carrying `data` on a stream (not its closing empty one)."""
        return [self.record(kind, request_id, data[start:start + MAX_CONTENT])
                for start in range(0, len(data), MAX_CONTENT)]

    def end_request(self, request_id, protocol_status=REQUEST_COMPLETE, app_status=0):
        import struct
        return self.record(END_REQUEST, request_id, struct.pack("!IB3x", app_status, protocol_status))

    # -- requests ---------------------------------------------------------------

    def serve(self, application, state):
        first = True
        while True:
            if not first and not self.wait_for_next():
                return
            request = self.next_request(at_start=True)
            first = False
            if request is None:
                return
            state["busy"] = True
            try:
                keep = self.respond(application, request)
            finally:
                state["busy"] = False
            if not (keep and request.keep_conn) or state["stop"]:
                return

    def wait_for_next(self):
        """On a kept connection: whether to read its next request. It is let
        go when idle too long, or when another connection is waiting (this
        process serves one at a time; the server opens a new one as needed)."""
        import select
        if self.buffer:
            return True
        return self.sock in select.select([self.sock, self.listener], [], [], IDLE_TIMEOUT)[0]

    def next_request(self, at_start=False):
        """The next request once its PARAMS are complete (its STDIN is read
        as the application asks for it); None when the connection is done."""
        while True:
            record = self.read_record(at_start)
            at_start = False
            if record is None:
                return None
            kind, request_id, content = record
            if self.management(kind, request_id, content):
                continue
            request = self.current
            if kind == BEGIN_REQUEST:
                begun = self.begin(request_id, content)
                if begun is False:
                    return None
                continue
            if request is None or request_id != request.id:
                continue             # the rest of a request already answered or refused
            if kind == ABORT_REQUEST:
                self.current = None
                self.send([self.end_request(request_id)])
                if not request.keep_conn:
                    return None
            elif kind == PARAMS and not request.params_done:
                if not content:
                    request.params_done = True
                    return request
                request.params += content
                if len(request.params) > MAX_PARAMS:
                    raise ProtocolError("more than %d bytes of PARAMS" % MAX_PARAMS)
            else:
                raise ProtocolError("a record of type %d before the request's PARAMS ended" % kind)

    def management(self, kind, request_id, content):
        """Answer a management record (request id 0); True if it was one."""
        if request_id != 0:
            return False
        if kind == GET_VALUES:
            answer = b"".join(_pair(name, VALUES[name]) for name, _ in _pairs(content) if name in VALUES)
            self.send([self.record(GET_VALUES_RESULT, 0, answer)])
        else:
            self.send([self.record(UNKNOWN_TYPE, 0, bytes([kind]) + b"\0" * 7)])
        return True

    def begin(self, request_id, content):
        """Start a request; False when the connection is to be closed."""
        if len(content) != 8:
            raise ProtocolError("a BEGIN_REQUEST of %d bytes" % len(content))
        role, flags = (content[0] << 8) | content[1], content[2]
        keep_conn = bool(flags & KEEP_CONN)
        if self.current is not None:     # requests multiplexed on one connection: not here
            self.send([self.end_request(request_id, CANT_MPX_CONN)])
            return True
        if role != RESPONDER:
            self.send([self.end_request(request_id, UNKNOWN_ROLE)])
            return keep_conn
        self.current = Request(request_id, keep_conn)
        return True

    def read_stdin(self, request):
        """The request's next STDIN bytes; b"" at its end."""
        while not request.stdin_done:
            record = self.read_record()
            if record is None:
                raise ProtocolError("the connection ended inside a request's STDIN")
            kind, request_id, content = record
            if self.management(kind, request_id, content):
                continue
            if kind == BEGIN_REQUEST:
                self.send([self.end_request(request_id, CANT_MPX_CONN)])
                continue
            if request_id != request.id:
                continue
            if kind == ABORT_REQUEST:
                request.aborted = request.stdin_done = True
            elif kind == STDIN:
                if not content:
                    request.stdin_done = True
                return content
            elif kind != DATA:           # a FILTER's stream: never asked for
                raise ProtocolError("a record of type %d inside a request's STDIN" % kind)
        return b""

    def respond(self, application, request):
        """Run the application on the request and send its answer; whether the
        connection can carry another request."""
        try:
            environ = self.environ(request)
        except ProtocolError as error:
            web.log_error(None, "FastCGI: a malformed request: %s" % error)
            self.current = None
            self.send(self.stream(STDOUT, request.id, BAD_REQUEST) +
                      [self.record(STDOUT, request.id), self.end_request(request.id, app_status=1)])
            return True
        head, body, result = _call(application, environ)
        try:
            keep = self.drain(request)
            self.current = None
            if request.aborted:
                records = []
            else:
                records = self.stream(STDOUT, request.id, head + body) + [self.record(STDOUT, request.id)]
            self.send(records + [self.end_request(request.id)])
        finally:
            if result is not None:   # a ping stored is republished, whatever became of the connection
                self.after(result)
        return keep

    def environ(self, request):
        pairs = _pairs(request.params)
        environ = {name.decode("latin-1"): value.decode("latin-1") for name, value in pairs}
        environ.update({
            web.REPEATED_VARIABLES: web.repeated_names(name.decode("latin-1") for name, _ in pairs),
            "wsgi.input": Input(self, request, environ.get("CONTENT_LENGTH")),
            "wsgi.errors": sys.stderr, "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.url_scheme": "https" if environ.get("HTTPS", "off").lower() in ("on", "1") else "http",
        })
        for name in ("PATH_INFO", "QUERY_STRING", "SCRIPT_NAME"):
            environ.setdefault(name, "")
        return environ

    def drain(self, request):
        """Read and drop what the application left of the body (a server may
        not read the answer before it has sent it all); False when more than
        DRAIN_LIMIT was left: the connection is closed after the answer."""
        dropped = 0
        while not request.stdin_done:
            dropped += len(self.read_stdin(request))
            if dropped > DRAIN_LIMIT:
                return False
        return True

    def after(self, result):
        close_in_background(result, [self.sock, self.listener])


class Input:
    """wsgi.input: the request's STDIN, read from the connection as asked for,
    and never past CONTENT_LENGTH (none: no body)."""

    def __init__(self, connection, request, content_length):
        self.connection = connection
        self.request = request
        try:
            self.left = max(0, int(content_length or 0))
        except ValueError:
            self.left = 0
        self.buffer = bytearray()

    def _fill(self, wanted):
        while len(self.buffer) < wanted and not self.request.stdin_done:
            self.buffer += self.connection.read_stdin(self.request)

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        self._fill(size)
        if len(self.buffer) < size and self.request.aborted:
            # Not a short body to act on (a ping cut in half): the answer is not sent anyway.
            raise ConnectionAbortedError("the web server aborted the request")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        self.left -= len(data)
        return data

    def readline(self, size=-1):
        limit = self.left if size is None or size < 0 else min(size, self.left)
        while b"\n" not in self.buffer and len(self.buffer) < limit and not self.request.stdin_done:
            self._fill(len(self.buffer) + 1)
        end = self.buffer.find(b"\n", 0, limit)
        return self.read(end + 1 if end >= 0 else limit)

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line


def _call(application, environ):
    """(head bytes, body bytes, the body iterable or None: its close() is still
    to be called): the application's answer in CGI's form; a failure is logged
    and answered 500, no traceback."""
    started = []

    def start_response(status, headers, exc_info=None):
        started[:] = [status, headers]     # nothing is sent before the end: an error page may replace it
        return lambda data: written.append(data)

    written = []
    result = None
    try:
        result = application(environ, start_response)
        body = b"".join(written) + b"".join(result)
        status, headers = started
        head = "Status: %s\r\n" % status + "".join("%s: %s\r\n" % pair for pair in headers) + "\r\n"
        return head.encode("latin-1"), body, result
    except Exception:
        web.log_error(None, "Unhandled error in %s" % environ.get("SCRIPT_NAME", "a FastCGI script"))
        return (b"Status: 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n",
                b"Internal Server Error\n", result)


def close_in_background(result, sockets=()):
    """Call a WSGI body iterable's close(), which runs the work a response left
    for after it (web.Response.after): in a process of its own when there is
    any, so that the next request does not wait for it. `sockets`: what that
    process closes first."""
    if not getattr(result, "after", True):
        _close(result)
        return
    if hasattr(result, "release"):   # no store handle crosses the fork (run_cgi)
        try:
            result.release()
        except Exception:
            web.log_error(None, "Closing the store before the deferred work failed")
    _in_background(lambda: _close(result), sockets)


class WorkInBackground:
    """A body iterable whose close() is close_in_background's: for WSGI servers
    that call close() before they end the response (Passenger)."""

    def __init__(self, result):
        self.result = result

    def __iter__(self):
        return iter(self.result)

    def close(self):
        close_in_background(self.result)


def _close(result):
    if hasattr(result, "close"):
        try:
            result.close()
        except Exception:
            web.log_error(None, "Deferred work failed")


def _in_background(work, sockets):
    """Run `work` in a grandchild that leaves this process's session (nothing
    to reap, nothing killed with this process) and its sockets; in this
    process when there is no fork."""
    try:
        child = os.fork()
    except (AttributeError, OSError):
        work()
        return
    if child:
        os.waitpid(child, 0)
        return
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        for sock in sockets:
            sock.close()
        work()
    except BaseException:
        web.log_error(None, "Deferred work failed")
    finally:
        sys.stderr.flush()
        os._exit(0)


def _pairs(data):
    """FastCGI's name-value pairs: each length one byte below 128, else four
    with the top bit set."""
    pairs, at, end = [], 0, len(data)
    while at < end:
        lengths = []
        for _ in range(2):
            if at >= end:
                raise ProtocolError("a name-value pair cut short")
            if data[at] < 0x80:
                lengths.append(data[at])
                at += 1
            else:
                if at + 4 > end:
                    raise ProtocolError("a name-value pair cut short")
                lengths.append(int.from_bytes(data[at:at + 4], "big") & 0x7FFFFFFF)
                at += 4
        name_length, value_length = lengths
        if at + name_length + value_length > end:
            raise ProtocolError("a name-value pair longer than its record")
        name = bytes(data[at:at + name_length])
        at += name_length
        pairs.append((name, bytes(data[at:at + value_length])))
        at += value_length
    return pairs


def _pair(name, value):
    def length(text):
        return bytes([len(text)]) if len(text) < 0x80 else (len(text) | 0x80000000).to_bytes(4, "big")
    return length(name) + length(value) + name + value
