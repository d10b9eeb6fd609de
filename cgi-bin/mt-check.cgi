#!/usr/bin/env python3
# mt-check.cgi: says what your server has and lacks. Set the line above to your Python 3 (see README).
import os
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[0:0] = [os.path.join(HERE, "..", "lib"), os.path.join(HERE, "..", "extlib")]

from mtpy.hosting import run_cgi  # noqa: E402
from mtpy.apps.check import application  # noqa: E402

run_cgi(application)
