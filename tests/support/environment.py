"""Where the tests run: the repository, CI or not, the fake clock, the programs."""

import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IN_CI = os.environ.get("CI") == "true"
# Recorded bytes from real senders (WordPress 6.1, Movable Type 5.2); see samples/README.md.
SAMPLES = os.path.join(ROOT, "tests", "data", "samples")
# Set when `make test` runs the date tests again under libfaketime (Makefile,
# FAKE_CLOCK_TESTS): what a process needs to share that clock.
FAKE_CLOCK = {name: os.environ[name] for name in ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED", "FAKETIME_DONT_RESET")
              if name in os.environ} if "FAKETIME" in os.environ else {}


def unavailable(reason):
    """Something a test needs is missing: a failure in CI (make test installs
    it), a skip elsewhere."""
    if IN_CI:
        pytest.fail(reason + " (make test installs it)")
    pytest.skip(reason)


def need(program):
    """The path of a program a test needs (a real server must be there in CI;
    elsewhere a missing one skips)."""
    path = shutil.which(program) or (os.path.exists("/usr/sbin/" + program) and "/usr/sbin/" + program)
    if not path:
        unavailable("%s is not installed" % program)
    return path
