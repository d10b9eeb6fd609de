"""The release of `make dist` (tools/dist.py) and its own `mtpy` on the host's Python."""

import os
import subprocess
import sys

from support.environment import ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import dist  # noqa: E402

# Debian's: runs the release with its extlib/ (no jinja2, requests or filelock installed)
HOST_PYTHON = "/usr/bin/python3"
EPOCH = 1767225600   # 2026-01-01: any fixed time

def release_mtpy(tree, commands, as_user=()):
    """The release's own `mtpy` on the host's Python (lib/ and extlib/ of
    `tree`), with its cgi-bin/mt.cfg: each of `commands` (lists of arguments) in
    turn, in one process; `as_user`: a command prefix (setpriv ...)."""
    return subprocess.run(list(as_user) + [
        HOST_PYTHON, "-c", "import sys; sys.path[0:0] = ['lib', 'extlib']\nfrom mtpy.cli import main\n"
        "for arguments in %r:\n    if main(['--config', 'cgi-bin/mt.cfg'] + arguments): sys.exit(1)" % (commands,)],
        cwd=tree, env={"PATH": "/usr/bin:/bin", "MTPY_PASSWORD": "owner-secret-1"}, capture_output=True, timeout=60)


class Release:
    """The release tree and its archives, built in `folder`."""

    def __init__(self, folder):
        self.tree = dist.build_tree(os.path.join(folder, "tree"))
        self.zip, self.tar = dist.write_archives(self.tree, os.path.join(folder, "dist"), EPOCH)


