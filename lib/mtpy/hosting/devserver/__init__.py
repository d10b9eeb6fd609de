"""The embedded web server behind `mtpy serve`.

It lets people try mtpy without installing Apache or nginx: URLs under
/cgi-bin/ run the *.cgi scripts as real CGI/1.1 programs (RFC 3875), one
subprocess per request, and other URLs are served as static files from the
mounted folders (the published archives).

It is a development server for one trusted operator: no TLS, no directory
listings, no access control beyond refusing to leave the mounted folders.

It deliberately avoids http.server.CGIHTTPRequestHandler (deprecated; it
hides the script's status line handling and forks inside the server) and the
`cgi` module (removed in Python 3.13).

- server.py: the HTTP side: DevServer, its request handler, serve().
- scripts.py: running one script as CGI/1.1 and parsing what it wrote.
- static.py: the mounted folders, the one deny rule (DENIED_ENDINGS), Content-Type.
- log.py: the lines the operator's terminal shows.
"""

from mtpy.hosting.devserver.scripts import CGIOutputError, parse_cgi_output
from mtpy.hosting.devserver.server import make_server, serve
from mtpy.hosting.devserver.static import (DENIED_ENDINGS, find_static_file, guess_type, linkback_headers,
                                           normalize_mounts)

# What `mtpy serve`, `mtpy serve --wsgi` (mtpy.hosting.site) and the tests import.
__all__ = ["CGIOutputError", "parse_cgi_output", "make_server", "serve", "DENIED_ENDINGS", "find_static_file",
           "guess_type", "linkback_headers", "normalize_mounts"]
