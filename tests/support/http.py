"""One request to 127.0.0.1 as a client sends it, and a TrackBack ping with the
answers a receiver gives. A URL whose host and port an in-process application
answers (support.wsgi.serve_in_process) goes to it instead of the network."""

import socket
import urllib.error
import urllib.parse
import urllib.request

from support import wsgi
from support.wsgi import InProcessHandler

SUCCESS = '<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>0</error>\n</response>\n'


def error_doc(message):
    """The error document a receiver answers with `message`."""
    return ('<?xml version="1.0" encoding="utf-8"?>\n<response>\n<error>1</error>\n'
            "<message>%s</message>\n</response>\n" % message)


class HTTPResult:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8")


# urllib's opener (redirects followed), with applications in this process answering their URLs.
_OPENER = urllib.request.build_opener(InProcessHandler())


def http(url, data=None, headers=None, method=None):
    """One request to 127.0.0.1 with a time bound; errors are results, not raises."""
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=30) as response:
            return HTTPResult(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return HTTPResult(error.code, error.headers, error.read())


def raw_request(port, data, timeout=30):
    """Send bytes exactly as given; return (status, headers text, body bytes)."""
    if wsgi.serves(port):
        return wsgi.raw_request(port, data, timeout)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(data)
        chunks = []
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


def post(url, fields, content_type="application/x-www-form-urlencoded", headers=None):
    """A ping: `fields` form-encoded (or bytes sent as they are)."""
    body = urllib.parse.urlencode(fields).encode("ascii") if isinstance(fields, dict) else fields
    return http(url, data=body, headers=dict({"Content-Type": content_type}, **(headers or {})))


# Spellings of X-Forwarded-For that CGI would name HTTP_X_FORWARDED_FOR too.
SPOOFED_SPELLINGS = [b"X_Forwarded_For", b"X.Forwarded.For", b"X~Forwarded~For", b"X+Forwarded+For",
                     b"X-Forwarded.For"]


def spoofed_ping(port, path, url, spelling, proxy_first=False):
    """A trusted proxy's request for a client the proxy saw as 10.9.9.9, with a
    header of the client's that claims 198.51.100.50: (status, body)."""
    body = b"url=" + url.replace(b":", b"%3A").replace(b"/", b"%2F")
    spoofed, real = spelling + b": 198.51.100.50\r\n", b"X-Forwarded-For: 10.9.9.9\r\n"
    status, _, answer = raw_request(port, b"POST %s HTTP/1.0\r\nHost: 127.0.0.1\r\n"
                                    b"Content-Type: application/x-www-form-urlencoded\r\n%sContent-Length: %d\r\n\r\n%s"
                                    % (path, real + spoofed if proxy_first else spoofed + real, len(body), body))
    return status, answer.decode()
