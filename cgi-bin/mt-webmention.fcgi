#!/usr/bin/env python3
# mt-webmention.fcgi: mt-webmention.cgi (the Webmention endpoint) kept running by the web server
# through FastCGI (mod_fcgid, lighttpd); started as CGI, it answers once. Set the line above to your Python 3 (see README).
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[0:0] = [os.path.join(HERE, "..", "lib"), os.path.join(HERE, "..", "extlib")]

from mtpy.hosting.fastcgi import run  # noqa: E402
from mtpy.hosting.scripts import ScriptApplication  # noqa: E402

run(ScriptApplication("mt-webmention.cgi", HERE))
