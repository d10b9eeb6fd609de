#!/usr/bin/env python3
# mt-pingback.cgi: the Pingback server (XML-RPC pingback.ping). Set the line above to your Python 3 (see README).
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[0:0] = [os.path.join(HERE, "..", "lib"), os.path.join(HERE, "..", "extlib")]

from mtpy.apps.pingback import PingbackApp  # noqa: E402
from mtpy.hosting import load, run_cgi  # noqa: E402

run_cgi(load(PingbackApp))
