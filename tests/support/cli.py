"""The mtpy command, run as a real process with this checkout's lib/."""

import os
import subprocess
import sys

from support.environment import ROOT


def mtpy(*args, config=None, env=None, check=True, stdin=None):
    """Run `mtpy ARGS` with mt.cfg `config` (a path); `mtpy(site, ARGS...)`
    runs it with a Site's. Returns the CompletedProcess (text); with `check`,
    a failure raises AssertionError with its stderr."""
    if args and hasattr(args[0], "config_path"):
        config, args = args[0].config_path, args[1:]
    command = [sys.executable, "-m", "mtpy.cli"] + (["--config", str(config)] if config else []) + list(args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, input=stdin,
                          env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"), **(env or {})))
    if check and done.returncode != 0:
        raise AssertionError("mtpy %s failed: %s" % (" ".join(args), done.stderr))
    return done
