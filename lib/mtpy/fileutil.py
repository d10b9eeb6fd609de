"""Files that readers can never see half-written, with the modes the
installation's owners need.

Who must be able to write what mtpy creates: on hosts where the scripts run as
their owner (suexec, or the owner's own shell), only that user (files 0644,
folders 0755); where they run as the web server's user while the owner runs
`mtpy` as themselves, both (files 0666, folders 0777: Movable Type's defaults).
DBUmask (the data folder's files: the store, its lock, caches), HTMLUmask
(published pages and feeds) and DirUmask (folders) choose, as in MT; `auto` (the
default) takes the shared modes when the process's user does not own the
installation's cgi-bin/ folder, or when the folder written into is writable by
others (one the owner opened to the web server with `chmod 777`). The modes are
set with chmod, whatever the process's umask.
"""

import os

DATA = "DBUmask"            # the data folder's files
PUBLISHED = "HTMLUmask"     # published pages, feeds (ID.xml), anything else
FOLDER = "DirUmask"
# Files only this process's user may read or write, whatever the modes above
# (compiled templates: code that another account must never be able to plant).
OWNER_ONLY = "owner-only"
OWNER_UMASK = 0o022
SHARED_UMASKS = {DATA: 0o111, PUBLISHED: 0o111, FOLDER: 0o000}
# The data folder's own .htaccess: nothing in it is ever served (Apache, where
# the whole installation sits inside the web root).
DENY_ALL = "# mtpy's data folder: nothing here is ever served.\nRequire all denied\n"

# What use_config set for this process: explicit umasks (None: auto) and the
# installation's cgi-bin/ folder, whose owner is the installation's owner.
_settings = {DATA: None, PUBLISHED: None, FOLDER: None, "scripts": None}
_owners = {}    # cgi-bin/ -> whether this process's user owns it


def _library_scripts_folder():
    """cgi-bin/ beside the lib/ this module was loaded from, if there is one."""
    folder = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                          "cgi-bin")
    return folder if os.path.isdir(folder) else None


def use_config(config):
    """Give what this process creates from now on the modes of `config`
    (DBUmask, HTMLUmask, DirUmask; None: auto for all). The installation's
    cgi-bin/ is the config's folder when that is a cgi-bin/, else the one beside
    mtpy's lib/."""
    for kind in (DATA, PUBLISHED, FOLDER):
        _settings[kind] = config.get(kind) if config is not None else None
    folder = getattr(config, "folder", None)
    if folder and os.path.basename(folder) == "cgi-bin":
        _settings["scripts"] = folder
    else:
        _settings["scripts"] = _library_scripts_folder()


def runs_as_owner():
    """Whether this process's user owns the installation's cgi-bin/ (True when
    there is none to compare with)."""
    folder = _settings["scripts"] or _library_scripts_folder()
    if folder not in _owners:
        try:
            _owners[folder] = folder is None or os.stat(folder).st_uid == os.geteuid()
        except OSError:
            _owners[folder] = True
    return _owners[folder]


def _open_to_others(folder):
    try:
        return bool(os.stat(folder or ".").st_mode & 0o002)
    except OSError:
        return False


def shared(folder):
    """Whether what is created in `folder` must stay writable by another user."""
    return not runs_as_owner() or _open_to_others(folder)


def umask_for(kind, folder):
    """The umask (DATA, PUBLISHED or FOLDER) for what is created in `folder`."""
    explicit = _settings[kind]
    if explicit is not None:
        return explicit
    return SHARED_UMASKS[kind] if shared(folder) else OWNER_UMASK


def file_mode(folder, kind=PUBLISHED):
    """The mode of a file created in `folder`."""
    if kind == OWNER_ONLY:
        return 0o600
    return 0o666 & ~umask_for(kind, folder)


def folder_mode(parent):
    """The mode of a folder created in `parent`."""
    return 0o777 & ~umask_for(FOLDER, parent)


def make_folders(path):
    """os.makedirs(path, exist_ok=True), each new folder getting folder_mode of
    its parent (a folder in one opened to others is open to others too)."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return
    parent = os.path.dirname(path)
    if parent != path:
        make_folders(parent)
    mode = folder_mode(parent)
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        if not os.path.isdir(path):
            raise
        return      # made meanwhile by another process: its mode stands
    os.chmod(path, mode)


def make_data_folder(folder):
    """The data folder, made when missing: not readable by others unless
    another user must write in it (folders 0777 by DirUmask, auto or not), and
    holding an .htaccess that denies every request."""
    folder = os.path.abspath(folder)
    if not os.path.isdir(folder):
        make_folders(os.path.dirname(folder))
        mode = folder_mode(os.path.dirname(folder))
        if not mode & 0o022:
            mode &= 0o700
        try:
            os.mkdir(folder, mode)
            os.chmod(folder, mode)
        except FileExistsError:
            pass
    htaccess = os.path.join(folder, ".htaccess")
    if not os.path.exists(htaccess):
        write_atomic(htaccess, DENY_ALL, kind=DATA)


def owner_only_folder(path):
    """`path`, made 0700 when missing, if only this process's user can write in
    it (a folder of its own, not a link, closed to others); None otherwise: on a
    host where the scripts run as the web server's user, the data folder is
    open to every account, and what another account made there must not be
    trusted."""
    import stat
    make_folders(os.path.dirname(path))
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    status = os.lstat(path)
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != os.geteuid() or status.st_mode & 0o077:
        return None
    return path


def read_owner_only(path):
    """The bytes of `path` if this process's user owns it and nobody else may
    write it, else None (None too when it cannot be read)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        with os.fdopen(descriptor, "rb") as handle:
            status = os.fstat(handle.fileno())     # the file opened, whatever the name points to now
            if status.st_uid != os.geteuid() or status.st_mode & 0o022:
                return None
            return handle.read()
    except OSError:
        return None


def private_mode(folder):
    """The mode of a file only the installation's users may read (the set-up
    key): a data file's mode, without reading for those who may not write."""
    mode = file_mode(folder, DATA)
    return mode if mode & 0o022 else mode & 0o600


def create_file(path, kind=DATA):
    """Create `path` empty with its mode (for a file another library fills:
    SQLite's database, a lock); False when it exists already."""
    make_folders(os.path.dirname(path))
    mode = file_mode(os.path.dirname(path), kind)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    try:
        os.fchmod(descriptor, mode)
    finally:
        os.close(descriptor)
    return True


def write_atomic(path, data, kind=PUBLISHED, durable=True, mode=None):
    """Write bytes (or str, as UTF-8) to a temporary file beside `path`, flush it
    to disk (unless `durable` is False: published pages can be rebuilt, and the
    rename alone keeps readers from half a file), then rename it over `path`.
    The file gets `mode`, by default file_mode(kind); missing folders are made
    by make_folders.
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
    make_folders(folder)
    if mode is None:
        mode = file_mode(folder, kind)
    # pid + a counter: unique among concurrent writers without importing tempfile.
    temporary = os.path.join(folder, ".%s.%d.%d.tmp" % (os.path.basename(path), os.getpid(), _next()))
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)    # os.open's mode passes through the umask
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
        write_atomic(path, marshal.dumps(value), kind=DATA, durable=False)
    except OSError:
        pass


def writable_error(folder):
    """None when a file can be created and removed in `folder`, else why not.
    A real file, not os.access: ACLs, read-only mounts and quotas say otherwise."""
    probe = os.path.join(folder, ".mtpy-check-%d.tmp" % os.getpid())
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        return error.strerror or str(error)
    try:
        os.unlink(probe)
    except OSError as error:
        return "a file could be created but not removed: %s" % (error.strerror or error)
    return None


def own_folders(config):
    """[(what it is, folder)] of the folders mtpy itself reads or writes: no
    weblog, and no file a template publishes, goes inside them."""
    import mtpy
    code = os.path.dirname(os.path.dirname(os.path.abspath(mtpy.__file__)))
    folders = [("mtpy's data folder", config.get("DataSource")), ("mtpy's template folder", config.get("TemplatePath")),
               ("mtpy's code", code), ("mtpy's packages", os.path.join(os.path.dirname(code), "extlib"))]
    if config.path:
        folders.insert(0, ("the folder of mtpy's scripts and mt.cfg", config.folder))
    return folders


def is_inside(path, folder):
    """Whether `path` is `folder` or lies inside it (both real, absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)
