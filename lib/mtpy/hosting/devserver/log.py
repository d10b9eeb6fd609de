"""The operator's terminal: `mtpy serve` writes its access lines, the scripts'
stderr and its own troubles there, one whole line at a time."""

import re
import sys
import threading


_log_lock = threading.Lock()
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text):
    """Client-supplied text with control characters escaped, so a request line
    cannot put escape sequences on the operator's terminal."""
    return _CONTROL.sub(lambda match: "\\x%02x" % ord(match.group()), text)


def log(line):
    """One line to the server's stderr; handler threads and script-stderr
    readers write concurrently, so lines are written whole under a lock."""
    with _log_lock:
        try:
            sys.stderr.write(line.rstrip("\n") + "\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # a closed or broken terminal must not break request handling
