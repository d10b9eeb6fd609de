"""What the tests share (tests/conftest.py keeps the fixtures and imports from here):

- environment: the repository's paths, CI or not, the fake clock, `need` a program;
- postgres:    a PostgreSQL server of the test run's own;
- sites:       a mtpy installation in a folder (Site), installing the scripts;
- servers:     starting and stopping lighttpd, `mtpy serve`, gunicorn;
- http:        one request (`http`, `raw_request`), a ping (`post`) and its answers;
- client:      the in-process WSGI client (SiteClient, CMSClient), forms, cookies;
- local_web:   a small web server standing for other sites (LocalWeb);
- waiting:     `wait_for` a condition, `wait_until_idle` for a site's queue.

The modules import mtpy from the repository's lib/ (put first on sys.path here,
so a test module importing support before conftest still gets this checkout's).
"""

import os
import sys

_LIB = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "lib")
if _LIB not in sys.path:
    sys.path.insert(0, _LIB)
