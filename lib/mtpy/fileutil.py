"""Files that readers can never see half-written."""

import os


def write_atomic(path, data, mode=0o644, durable=True):
    """Write bytes (or str, as UTF-8) to a temporary file beside `path`, flush it
    to disk (unless `durable` is False: published pages can be rebuilt, and the
    rename alone keeps readers from half a file), then rename it over `path`.
    Returns False when the file already held exactly these bytes (and leaves it
    untouched)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        with open(path, "rb") as current:
            if current.read() == data:
                return False
    except OSError:
        pass
    folder = os.path.dirname(path) or "."
    os.makedirs(folder, exist_ok=True)
    # pid + a counter: unique among concurrent writers without importing tempfile.
    temporary = os.path.join(folder, ".%s.%d.%d.tmp" % (os.path.basename(path), os.getpid(), _next()))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    return True


_counter = [0]


def _next():
    _counter[0] += 1
    return _counter[0]


def read_kept(path):
    """A value written by `keep`, or None when there is none (or it is unreadable)."""
    import marshal
    try:
        with open(path, "rb") as handle:
            return marshal.loads(handle.read())   # marshal.load(file) reads piecemeal: slower
    except (OSError, ValueError, EOFError, TypeError):
        return None


def keep(path, value):
    """Keep a value that can be computed again (lists, dicts, numbers, text) for
    `read_kept`; a data folder that cannot be written only means more work later."""
    import marshal
    try:
        write_atomic(path, marshal.dumps(value), durable=False)
    except OSError:
        pass
