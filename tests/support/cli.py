"""The mtpy command, as a test runs it: in this process (mtpy.cli.main, its
output and exit status captured as a process's would be), or as a real process
with this checkout's lib/."""

import contextlib
import io
import os
import subprocess
import sys

from mtpy.cli import main
from support.environment import ROOT


def mtpy(*args, config=None, env=None, check=True, stdin=None, in_process=True):
    """Run `mtpy ARGS` with mt.cfg `config` (a path); `mtpy(site, ARGS...)`
    runs it with a Site's. Returns a CompletedProcess (text). With `check`, a
    failure raises AssertionError with its stderr. In this process by default
    (a command costs milliseconds, not an interpreter's start); `in_process=False`
    runs `python -m mtpy.cli`, for what is about the process (its exit status,
    no traceback on its stderr)."""
    if args and hasattr(args[0], "config_path"):
        config, args = args[0].config_path, args[1:]
    arguments = (["--config", str(config)] if config else []) + [str(argument) for argument in args]
    done = (_in_process if in_process else _as_process)(arguments, env or {}, stdin)
    if check and done.returncode != 0:
        raise AssertionError("mtpy %s failed: %s" % (" ".join(arguments), done.stderr))
    return done


def _as_process(arguments, env, stdin):
    return subprocess.run([sys.executable, "-m", "mtpy.cli"] + arguments, capture_output=True, text=True,
                          timeout=120, input=stdin, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "lib"), **env))


def _in_process(arguments, env, stdin):
    out, err = _Stream(), _Stream()
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
                _stdin(io.TextIOWrapper(io.BytesIO((stdin or "").encode("utf-8")), encoding="utf-8")):
            try:
                code = main(arguments)
            except SystemExit as leaving:     # argparse's usage errors
                code = leaving.code if isinstance(leaving.code, int) else 1
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(["mtpy"] + arguments, code, out.text(), err.text())


class _Stream(io.TextIOWrapper):
    """A text stream with a .buffer, as sys.stdout has, kept in memory."""

    def __init__(self):
        io.TextIOWrapper.__init__(self, io.BytesIO(), encoding="utf-8", write_through=True)

    def text(self):
        self.flush()
        return self.buffer.getvalue().decode("utf-8", "replace")


@contextlib.contextmanager
def _stdin(stream):
    saved, sys.stdin = sys.stdin, stream
    try:
        yield
    finally:
        sys.stdin = saved
