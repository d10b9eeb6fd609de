"""The release a shared host's owner uploads: `mtpy-VERSION/`, and its archives.

    python tools/dist.py [OUT]      # `make dist`: OUT/mtpy-VERSION.zip and .tar.gz (OUT: dist)

The tree holds the scripts (.cgi and .fcgi: 0755, `#!/usr/bin/env python3`;
passenger_wsgi.py beside cgi-bin/ when the checkout has it), the sample config
`cgi-bin/mt.cfg-original` (never `mt.cfg`: unpacking a new release over an old one
keeps the owner's), lib/, extlib/ (the dependencies pinned in tools/extlib.txt, for
Python 3.9 and later, without any compiled extension: markupsafe and
charset_normalizer fall back to their Python code), tmpl/, an empty archives/,
docs/ as in the repository (the documentation the README links to, the tested
server configurations, the screenshots) and the
`.htaccess` files that keep everything but the scripts from being downloaded when
the whole tree sits inside a web root.

The archives are reproducible: sorted entries, fixed owner, modes and times
(SOURCE_DATE_EPOCH, else the last commit's time, else the newest source file's),
gzip without a timestamp: the same sources give the same bytes.
"""

import configparser
import gzip
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHEBANG = "#!/usr/bin/env python3"
DOCUMENTS = ("README.md", "CHANGELOG.md", "SECURITY.md")
# The scripts: CGI, and the same applications kept running through FastCGI.
SCRIPT_SUFFIXES = (".cgi", ".fcgi")
# Where the host loads a WSGI application from the installation's root (Passenger).
ROOT_SCRIPTS = ("passenger_wsgi.py",)
SAMPLE_CONFIG = "mt.cfg-original"
# Folders of the repository whose own .htaccess ships with them: the release's
# root refuses everything, cgi-bin/ runs the scripts, archives/ serves the weblog.
HTACCESS_FOLDERS = (".", "archives", "cgi-bin", "lib", "tmpl")
# Folders the release adds, guarded as lib/ is.
GUARDED_LIKE_LIB = ("extlib", "docs")
COMPILED = (".so", ".pyd", ".dll", ".dylib", ".pyc", ".pyo", ".c", ".h")
SCRIPT_MODE, FILE_MODE, FOLDER_MODE = 0o755, 0o644, 0o755
ZIP_EPOCH_FLOOR = 315532800   # 1980-01-01: the oldest time a zip entry can hold


def version():
    """mtpy's version, read (not imported) from lib/mtpy/__init__.py."""
    with open(os.path.join(ROOT, "lib", "mtpy", "__init__.py"), encoding="utf-8") as handle:
        return re.search(r'^__version__ = "([^"]+)"', handle.read(), re.M).group(1)


def release_name():
    return "mtpy-" + version()


def build_tree(dest):
    """Lay out the release tree `mtpy-VERSION/` in the folder `dest` (created
    when missing; the tree itself must not exist yet) and return its path."""
    tree = os.path.join(os.path.abspath(dest), release_name())
    os.makedirs(tree)
    cgi_bin = _folder(tree, "cgi-bin")
    for name in sorted(os.listdir(os.path.join(ROOT, "cgi-bin"))):
        if name.endswith(SCRIPT_SUFFIXES):
            _write_script(os.path.join(ROOT, "cgi-bin", name), os.path.join(cgi_bin, name))
    _copy(os.path.join(ROOT, "cgi-bin", SAMPLE_CONFIG), os.path.join(cgi_bin, SAMPLE_CONFIG))
    _copy_tree(os.path.join(ROOT, "lib", "mtpy"), os.path.join(_folder(tree, "lib"), "mtpy"))
    _copy_tree(os.path.join(ROOT, "tmpl"), os.path.join(tree, "tmpl"))
    _folder(tree, "archives")
    for folder in HTACCESS_FOLDERS:
        _copy_if_there(os.path.join(ROOT, folder, ".htaccess"), os.path.join(tree, folder, ".htaccess"))
    _fill_extlib(_folder(tree, "extlib"))
    _copy_docs(os.path.join(ROOT, "docs"), _folder(tree, "docs"))
    for folder in GUARDED_LIKE_LIB:
        _copy_if_there(os.path.join(ROOT, "lib", ".htaccess"), os.path.join(tree, folder, ".htaccess"))
    for name in DOCUMENTS:
        _copy(os.path.join(ROOT, name), os.path.join(tree, name))
    for name in ROOT_SCRIPTS:
        _copy_if_there(os.path.join(ROOT, name), os.path.join(tree, name))
    epoch = source_date_epoch()
    for path in _walk(tree):
        os.utime(path, (epoch, epoch), follow_symlinks=False)
    os.utime(tree, (epoch, epoch))
    return tree


def _copy_docs(source, target):
    """docs/ with its pictures."""
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if os.path.isdir(path) and not _skipped(name):
            _copy_docs(path, _folder(target, name))
        elif os.path.isfile(path) and not _skipped(name):
            _copy(path, os.path.join(target, name))


def _folder(parent, name):
    path = os.path.join(parent, name)
    os.makedirs(path, exist_ok=True)
    os.chmod(path, FOLDER_MODE)
    return path


def _copy(source, target, mode=FILE_MODE):
    shutil.copyfile(source, target)
    os.chmod(target, mode)


def _copy_if_there(source, target):
    if os.path.isfile(source):
        _copy(source, target)


def _write_script(source, target):
    """The script with the `#!` line every release ships: `env` finds the host's python3."""
    with open(source, "rb") as handle:
        lines = handle.read().split(b"\n")
    lines[0] = SHEBANG.encode()
    with open(target, "wb") as handle:
        handle.write(b"\n".join(lines))
    os.chmod(target, SCRIPT_MODE)


def _skipped(name):
    return (name == "__pycache__" or name.endswith(COMPILED) or name.endswith("~")
            or name.startswith(".#") or name.endswith((".swp", ".tmp")))


def _copy_tree(source, target):
    """A folder of the repository, without caches, compiled or editors' files."""
    _folder(os.path.dirname(target), os.path.basename(target))
    for name in sorted(os.listdir(source)):
        if _skipped(name):
            continue
        path = os.path.join(source, name)
        if os.path.isdir(path):
            _copy_tree(path, os.path.join(target, name))
        elif os.path.isfile(path):
            _copy(path, os.path.join(target, name))


PINS = os.path.join(ROOT, "tools", "extlib.txt")
WHEELS = os.path.join(ROOT, "build", "extlib-wheels")
# The wheels named in extlib.txt: for CPython 3.9 on Linux; only their Python files are used.
WHEEL_TARGET = ["--python-version", "3.9", "--implementation", "cp", "--platform", "manylinux2014_x86_64"]


def pinned():
    """extlib.txt's pins: [(name, version, sha256)]."""
    pins = []
    with open(PINS, encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                match = re.match(r"([A-Za-z0-9._-]+)==(\S+)\s+--hash=sha256:([0-9a-f]{64})$", line)
                if not match:
                    raise SystemExit("%s: cannot read %r (name==version --hash=sha256:...)" % (PINS, line))
                pins.append(match.groups())
    return pins


def extlib_wheels():
    """The pinned wheels, fetched once into build/extlib-wheels/ (pip checks each
    one's hash; a wheel already there is checked again here), sorted by name."""
    wanted = pinned()
    found = _wheels_present(wanted)
    if len(found) < len(wanted):
        os.makedirs(WHEELS, exist_ok=True)
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                               "--require-hashes", "--dest", WHEELS, "--requirement", PINS] + WHEEL_TARGET,
                              capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit("Could not fetch the wheels extlib/ is made of:\n" + done.stderr)
        found = _wheels_present(wanted)
    if len(found) < len(wanted):
        raise SystemExit("pip fetched the wheels, but not all of %s match their hashes" % PINS)
    return [found[name] for name, _, _ in sorted(wanted)]


def _wheels_present(wanted):
    import hashlib
    found = {}
    names = os.listdir(WHEELS) if os.path.isdir(WHEELS) else []
    for name, version, digest in wanted:
        prefix = "%s-%s-" % (re.sub(r"[-_.]+", "_", name).lower(), version)
        for file in sorted(names):
            if file.lower().startswith(prefix) and file.endswith(".whl"):
                path = os.path.join(WHEELS, file)
                with open(path, "rb") as handle:
                    if hashlib.sha256(handle.read()).hexdigest() == digest:
                        found[name] = path
    return found


def _fill_extlib(extlib):
    """Each pinned wheel's Python files (no compiled extensions), and its METADATA
    and licence files in NAME-VERSION.dist-info/ for the record."""
    for wheel in extlib_wheels():
        with zipfile.ZipFile(wheel) as archive:
            for member in sorted(archive.namelist()):
                parts = member.split("/")
                if member.endswith("/") or ".." in parts or any(_skipped(part) for part in parts):
                    continue
                if parts[0].endswith(".dist-info") and not (
                        parts[1:] == ["METADATA"] or parts[1] in ("licenses", "LICENSE", "LICENSE.txt")):
                    continue
                for depth in range(1, len(parts)):
                    _folder(extlib, os.path.join(*parts[:depth]))
                target = os.path.join(extlib, *parts)
                with archive.open(member) as source, open(target, "wb") as handle:
                    shutil.copyfileobj(source, handle)
                os.chmod(target, FILE_MODE)


def source_date_epoch():
    """The time every file of the release carries: SOURCE_DATE_EPOCH, else the last
    commit's time, else (a tree that is no git checkout) the newest source file's."""
    if os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        return int(os.environ["SOURCE_DATE_EPOCH"])
    if os.path.exists(os.path.join(ROOT, ".git")):
        try:
            done = subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%ct"],
                                  capture_output=True, text=True, timeout=30)
            if done.returncode == 0 and done.stdout.strip():
                return int(done.stdout.strip())
        except (OSError, subprocess.TimeoutExpired):
            pass
    newest = 0
    for part in ("cgi-bin", "lib", "tmpl", "docs") + DOCUMENTS:
        path = os.path.join(ROOT, part)
        for found in ([path] if os.path.isfile(path) else _walk(path)):
            if os.path.isfile(found):   # a folder's time is when it was unpacked
                newest = max(newest, int(os.stat(found).st_mtime))
    return newest


def _walk(top):
    """Every folder and file under `top` (not `top`), sorted, parents first."""
    paths = []
    for folder, folders, files in os.walk(top):
        folders.sort()
        for name in folders + sorted(files):
            paths.append(os.path.join(folder, name))
    return sorted(paths, key=lambda path: os.path.relpath(path, top).split(os.sep))


def _entries(tree):
    """(name in the archive, path, is a folder, mode) for the tree and everything in it."""
    base = os.path.basename(tree)
    yield base + "/", tree, True, FOLDER_MODE
    for path in _walk(tree):
        name = base + "/" + os.path.relpath(path, tree).replace(os.sep, "/")
        if os.path.isdir(path):
            yield name + "/", path, True, FOLDER_MODE
        else:
            yield name, path, False, SCRIPT_MODE if os.stat(path).st_mode & 0o100 else FILE_MODE


def write_zip(tree, target, epoch):
    date_time = time.gmtime(max(epoch, ZIP_EPOCH_FLOOR))[:6]
    with zipfile.ZipFile(target, "w") as archive:
        for name, path, is_folder, mode in _entries(tree):
            info = zipfile.ZipInfo(name, date_time)
            info.create_system = 3      # Unix: unzip and FTP clients honour the modes below
            if is_folder:
                info.external_attr = (0o040000 | mode) << 16 | 0x10
                archive.writestr(info, b"")
            else:
                info.external_attr = (0o100000 | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as handle:
                    archive.writestr(info, handle.read(), compresslevel=9)


def write_tar_gz(tree, target, epoch):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as archive:
        for name, path, is_folder, mode in _entries(tree):
            info = tarfile.TarInfo(name.rstrip("/"))
            info.mtime, info.mode = epoch, mode
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if is_folder:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = os.path.getsize(path)
                with open(path, "rb") as handle:
                    archive.addfile(info, handle)
    with open(target, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as packed:
            packed.write(buffer.getvalue())


def write_archives(tree, out, epoch=None):
    """OUT/<tree's name>.zip and .tar.gz of a tree build_tree laid out; their paths."""
    os.makedirs(out, exist_ok=True)
    epoch = source_date_epoch() if epoch is None else epoch
    base = os.path.join(out, os.path.basename(tree))
    write_zip(tree, base + ".zip", epoch)
    write_tar_gz(tree, base + ".tar.gz", epoch)
    return [base + ".zip", base + ".tar.gz"]


def build_archives(out, epoch=None):
    """Build the tree in a temporary folder, then OUT/mtpy-VERSION.zip and
    .tar.gz; return their paths."""
    work = tempfile.mkdtemp(prefix="mtpy-dist-")
    try:
        return write_archives(build_tree(work), out, epoch)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    for path in build_archives(args[0] if args else os.path.join(ROOT, "dist")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
