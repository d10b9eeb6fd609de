"""Full backups: one zip file holding everything a site's store holds, that any
backend restores (a backup made with SQLite restores into a flat store or
PostgreSQL).

The file:

    manifest.json                 what this is: format, schema version, mtpy's
                                  version, when, from which backend, how many records
    records/blog.jsonl            one record a line, its model's fields as a JSON
                                  object (likewise author, entry, category, trackback,
                                  ping, ipban, job, permission, activity)
    templates/blog-1/index.mtml   each weblog's own templates (<DataSource>/templates/)

The weblogs' settings are records of the store, so they are in blog.jsonl;
mt.cfg (which may hold DBPassword) is never included, nor sessions (a restore
logs everyone out).

`read_backup` checks the whole file before anything changes: a file that is not
a backup, is damaged, or was made by a newer mtpy is refused. It reads the sizes
the zip's directory declares first: a file that would unpack to more than
MAX_INFLATION times its own size (a "zip bomb") is refused before any member is
read. The records are read a piece and a line at a time, so that memory follows
the records a file holds, not the size of its members. `restore_backup`
first writes a backup of the store as it is into the data folder's backups/,
then replaces every record in one transaction, then the template folders.
"""

import io
import json
import os
import zipfile

from mtpy import dates
from mtpy.models import Author, Blog, Session
from mtpy.store import KINDS, SCHEMA_VERSION

FORMAT = "mtpy backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BACKED_UP = [kind for kind in KINDS if kind is not Session]
# What the screens call each kind of record.
KIND_LABELS = {"Blog": "Weblogs", "Author": "Authors", "Entry": "Entries", "Category": "Categories",
               "Trackback": "TrackBack items", "Ping": "TrackBack pings", "IPBan": "IP bans", "Job": "Queued jobs",
               "Permission": "Permissions", "Activity": "Activity log lines"}
BACKEND_NAMES = {"sqlite": "SQLite", "flat": "flat-file", "postgres": "PostgreSQL"}
TEMPLATE_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
# Fields a backup of an older schema may lack whose value then is not their
# default (as the SQL migrations and the flat store's WRITTEN_BEFORE decide).
WRITTEN_BEFORE = {Author: {"is_admin": True}}
# A backup unpacks to at most this many times its own size, and 1 MiB more: the
# JSON lines and templates mtpy writes deflate about tenfold, a crafted file a
# thousandfold (98 KB that unpacked to 886 MB).
MAX_INFLATION = 100
INFLATION_ALLOWANCE = 1 << 20


class BackupError(Exception):
    """A file that cannot be restored, and why, in words for its owner."""


def records_file(kind):
    return "records/%s.jsonl" % kind.__name__.lower()


def template_folder(config, blog_id=None):
    folder = os.path.join(config.get("DataSource"), "templates")
    return folder if blog_id is None else os.path.join(folder, "blog-%d" % blog_id)


def write_backup(store, config, handle, now=None):
    """Write the store's full backup as a zip into the binary file `handle`;
    returns its manifest. The records are read in one transaction: one moment
    of the store, pings waiting meanwhile."""
    from mtpy import __version__
    created = now or dates.utc_now()
    with store.transaction():
        records = {kind: store.find(kind) for kind in BACKED_UP}
    templates = _template_files(config, [blog.id for blog in records[Blog]])
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "schema_version": SCHEMA_VERSION,
                "mtpy_version": __version__, "created_on": created, "backend": config.get("ObjectDriver"),
                "records": {kind.__name__.lower(): len(records[kind]) for kind in BACKED_UP},
                "templates": len(templates)}
    stamp = tuple(int(part) for part in created.replace("-", " ").replace(":", " ").split()[:6])
    with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(name, data):
            info = zipfile.ZipInfo(name, stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
        add(MANIFEST, json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
        for kind in BACKED_UP:
            add(records_file(kind), "".join(json.dumps(record.as_dict(), ensure_ascii=False) + "\n"
                                            for record in records[kind]))
        for name, path in templates:
            with open(path, "rb") as template:
                add(name, template.read())
    return manifest


def _template_files(config, blog_ids):
    """[(name in the zip, path)] of the weblogs' own template files."""
    found = []
    for blog_id in blog_ids:
        folder = template_folder(config, blog_id)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            if _template_name(name) and os.path.isfile(path):
                found.append(("templates/blog-%d/%s" % (blog_id, name), path))
    return found


def _template_name(name):
    return bool(name) and not name.startswith(".") and all(char in TEMPLATE_CHARACTERS for char in name)


class Backup:
    """A backup file read and checked whole: `manifest`, `records` {kind:
    [record]}, `templates` {blog id: {file name: bytes}}."""

    def __init__(self, manifest, records, templates):
        self.manifest = manifest
        self.records = records
        self.templates = templates

    def counts(self):
        """[(kind name, how many)] in the file."""
        return [(kind.__name__, len(self.records[kind])) for kind in BACKED_UP]


def read_backup(source):
    """The Backup in `source` (a path or a binary file object), checked whole;
    BackupError when it is not one this mtpy can restore."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise BackupError("This is not an mtpy backup: it is not a zip file.")
    try:
        with archive:
            _check_sizes(archive)
            return _read(archive)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError, RuntimeError, NotImplementedError) as error:
        # A damaged member (CRC), bad JSON or UTF-8, an encrypted or unknown compression.
        raise BackupError("This backup is damaged and cannot be restored (%s)." % _short(error))


def _check_sizes(archive):
    """Refuse a file whose members declare more than MAX_INFLATION times its
    size unpacked (zipfile never unpacks more than a member declares)."""
    archive.fp.seek(0, os.SEEK_END)
    size = archive.fp.tell()
    unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_INFLATION * size + INFLATION_ALLOWANCE:
        raise BackupError("This is not a backup mtpy wrote: its %s bytes would unpack to %s, more than %d times "
                          "its size." % ("{:,}".format(size), "{:,}".format(unpacked), MAX_INFLATION))


def _read(archive):
    names = set(archive.namelist())
    if MANIFEST not in names:
        raise BackupError("This is not an mtpy backup: it has no %s." % MANIFEST)
    manifest = json.loads(archive.read(MANIFEST).decode("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This is not an mtpy backup: its %s is another program's." % MANIFEST)
    format_version, schema = manifest.get("format_version"), manifest.get("schema_version")
    if not _is_int(format_version) or not _is_int(schema) or format_version < 1 or schema < 1:
        raise BackupError("This backup is damaged: its %s has no valid versions." % MANIFEST)
    if format_version > FORMAT_VERSION or schema > SCHEMA_VERSION:
        raise BackupError("This backup was made by a newer mtpy (%s, schema version %d; this mtpy knows schema "
                          "versions up to %d): restore it with that version of mtpy or a newer one."
                          % (str(manifest.get("mtpy_version"))[:20], schema, SCHEMA_VERSION))
    counts = manifest.get("records")
    if not isinstance(counts, dict):
        raise BackupError("This backup is damaged: its %s does not count its records." % MANIFEST)
    records = {}
    for kind in BACKED_UP:
        name = records_file(kind)
        if name not in names:
            raise BackupError("This backup is damaged: %s is missing." % name)
        with archive.open(name) as member:
            lines = io.TextIOWrapper(member, encoding="utf-8", newline="\n")     # read a piece at a time
            records[kind] = _records(kind, lines, name, counts.get(kind.__name__.lower()))
    blog_ids = {blog.id for blog in records[Blog]}
    templates = {}
    for name in sorted(names - {MANIFEST} - {records_file(kind) for kind in BACKED_UP}):
        if name.endswith("/"):
            continue        # a folder entry, as other zip programs write them
        parts = name.split("/")
        blog = parts[1][5:] if len(parts) == 3 and parts[1].startswith("blog-") else ""
        if parts[0] != "templates" or not blog.isdigit() or int(blog) not in blog_ids \
                or not _template_name(parts[2]):
            raise BackupError("This backup holds a file mtpy does not restore: %s." % _short(name))
        templates.setdefault(int(blog), {})[parts[2]] = archive.read(name)
    return Backup(manifest, records, templates)


def _records(kind, lines, name, expected):
    """The records of one file's lines, as many as the manifest's count (`expected`)."""
    found, seen = [], set()
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = "%s line %d" % (name, number)
        values = json.loads(line)
        if not isinstance(values, dict):
            raise BackupError("This backup is damaged: %s is not a record." % where)
        unknown = set(values) - set(kind.FIELDS)
        if unknown:
            raise BackupError("This backup is damaged: %s has fields %s has not: %s."
                              % (where, kind.__name__, _short(", ".join(sorted(unknown)))))
        for field, value in values.items():
            values[field] = _checked(kind.FIELDS[field], value, where, field)
        record_id = values.get("id")
        if not _is_int(record_id) or record_id < 1 or record_id in seen:
            raise BackupError("This backup is damaged: %s has no id of its own." % where)
        seen.add(record_id)
        found.append(kind(**dict(WRITTEN_BEFORE.get(kind, {}), **values)))
    if len(found) != expected:
        raise BackupError("This backup is damaged: %s holds %d records, its manifest says %r."
                          % (name, len(found), expected))
    return found


def _checked(default, value, where, field):
    """The value, if it has the field's type (a float field takes an integer)."""
    if isinstance(default, bool):
        fits = isinstance(value, bool)
    elif isinstance(default, float):
        fits = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if fits else value
    elif isinstance(default, int):
        fits = _is_int(value)
    elif default is None:       # ids and references
        fits = value is None or _is_int(value)
    elif isinstance(default, str):
        fits = value is None or isinstance(value, str)
    else:
        fits = type(value) is type(default)
    if not fits:
        raise BackupError("This backup is damaged: %s has a %s of the wrong type." % (where, field))
    return value


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _short(text):
    return " ".join(str(text).split())[:120]


class Restored:
    """What restore_backup did: `counts` [(kind name, how many)], and
    `previous`, the path of the backup of what the store held before."""

    def __init__(self, counts, previous):
        self.counts = counts
        self.previous = previous


def restore_backup(store, config, backup):
    """Replace everything the store holds by the backup's records (sessions
    end), in one transaction, after writing a backup of the store as it was
    into the data folder's backups/; then the weblogs' template folders. The
    published pages are not rebuilt: the caller says to."""
    with store.transaction():
        previous = store.backup_path("-backup.zip")
        try:
            with open(previous, "wb") as handle:
                write_backup(store, config, handle)
            for kind in KINDS:
                for record in store.find(kind):
                    store.delete(kind, record.id)
            for kind in BACKED_UP:
                for record in backup.records[kind]:
                    store.insert(record.copy())
        except BaseException:
            _remove_quietly(previous)
            raise
    _replace_templates(config, backup.templates)
    return Restored(backup.counts(), previous)


def _replace_templates(config, templates):
    """Every weblog's template folder becomes the backup's (the previous ones
    are in the backup restore_backup wrote first)."""
    import shutil
    from mtpy.fileutil import DATA, make_folders, write_atomic
    folder = template_folder(config)
    try:
        names = os.listdir(folder)
    except OSError:
        names = []
    for name in names:
        if name.startswith("blog-") and os.path.isdir(os.path.join(folder, name)):
            shutil.rmtree(os.path.join(folder, name))
    for blog_id, files in templates.items():
        make_folders(template_folder(config, blog_id))
        for name, data in files.items():
            write_atomic(os.path.join(template_folder(config, blog_id), name), data, kind=DATA)


def _remove_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass
