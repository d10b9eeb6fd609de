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
