"""mtpy as a package, installed the regular way: an sdist built from the sources,
a wheel built from that sdist, installed into a new venv outside the checkout and
run from a working folder of its own with its mt.cfg in a third folder. It must
publish with the templates it ships, and say so when they are gone."""

import glob
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import pytest

from conftest import ROOT

SAMPLE_EXPORT = os.path.join(ROOT, "tests", "data", "mt-export-sample.txt")
# What a build of mtpy reads: the rest of the checkout must not matter.
BUILD_INPUTS = ("lib", "setup.cfg", "pyproject.toml", "README.md")
# Runs a PEP 517 hook of setuptools in the current folder: offline, with the
# setuptools and wheel that `make test` installs (no build isolation, no PyPI).
BUILD_HOOK = "import sys; from setuptools import build_meta; print(getattr(build_meta, sys.argv[1])(sys.argv[2]))"
# mtpy's dependencies, lent to the new venv from this one (no network in tests).
DEPENDENCIES = ("jinja2", "markupsafe", "filelock")


def build(hook, source, dist):
    done = subprocess.run([sys.executable, "-c", BUILD_HOOK, hook, str(dist)], cwd=str(source),
                          capture_output=True, text=True, timeout=300, env=_clean_environment())
    assert done.returncode == 0, done.stderr
    return os.path.join(str(dist), done.stdout.strip().splitlines()[-1])


def _clean_environment():
    """This process's environment without anything that would find the checkout's mtpy."""
    return {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "MT_CONFIG")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel built from an sdist built from a copy of the sources."""
    top = tmp_path_factory.mktemp("build")
    source = top / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = os.path.join(ROOT, name)
        if os.path.isdir(path):
            shutil.copytree(path, str(source / name),
                            ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy(path, str(source / name))
    sdist = build("build_sdist", source, top / "dist")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(str(top / "unpacked"))
    assert any(name.endswith("mtpy/templates/weblog/main-index.mtml") for name in names), "sdist lacks templates"
    [unpacked] = glob.glob(str(top / "unpacked" / "mtpy-*"))
    built = build("build_wheel", unpacked, top / "wheelhouse")
    with zipfile.ZipFile(built) as archive:
        shipped = [name for name in archive.namelist() if name.startswith("mtpy/templates/weblog/")]
        packages = [name for name in archive.namelist() if name.endswith("/__init__.py")]
    assert len(shipped) == 10, shipped
    for package in ("check", "hosting", "hosting/devserver", "publish/mtml"):     # packages a wheel must hold
        assert "mtpy/%s/__init__.py" % package in packages, package
    return built


class Install:
    """A new venv with the wheel installed, a working folder and a config folder."""

    def __init__(self, folder, wheel):
        self.folder = folder
        self.venv = folder / "venv"
        base = getattr(sys, "_base_executable", None) or sys.executable
        subprocess.run([base, "-m", "venv", str(self.venv)], check=True, timeout=300)
        python = str(self.venv / "bin" / "python")
        self.purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                      capture_output=True, text=True, check=True).stdout.strip()
        self.lend_dependencies(folder / "dependencies")
        subprocess.run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel],
                       check=True, timeout=300, env=_clean_environment())
        self.work = folder / "work"          # where the commands run
        self.work.mkdir()
        self.config = folder / "config" / "mt.cfg"
        self.site = folder / "site"
        self.package = subprocess.run([python, "-c", "import mtpy, os; print(os.path.dirname(mtpy.__file__))"],
                                      cwd=str(self.work), capture_output=True, text=True, check=True,
                                      env=_clean_environment()).stdout.strip()
        assert self.package == os.path.join(self.purelib, "mtpy")     # the wheel's, not the checkout's

    def lend_dependencies(self, folder):
        folder.mkdir()
        for name in DEPENDENCIES:
            os.symlink(importlib.util.find_spec(name).submodule_search_locations[0], str(folder / name))
        with open(os.path.join(self.purelib, "test-dependencies.pth"), "w") as handle:
            handle.write(str(folder) + "\n")

    def mtpy(self, *args, check=True):
        done = subprocess.run([str(self.venv / "bin" / "mtpy"), "--config", str(self.config)] + list(args),
                              cwd=str(self.work), capture_output=True, text=True, timeout=120,
                              env=_clean_environment())
        if check:
            assert done.returncode == 0, "mtpy %s: %s" % (" ".join(args), done.stderr)
        return done

    def create_weblog(self, name):
        return self.mtpy("blog", "create", "--name", name, "--site-url", "http://example.invalid/",
                         "--site-path", str(self.site / name)).stdout.strip()


def test_a_wheel_install_publishes_with_its_shipped_templates(tmp_path, wheel):
    install = Install(tmp_path, wheel)
    install.mtpy("init", "--admin", "Melody", "--email", "melody@example.com", "--password", "melody-secret",
                 "--cgi-path", "http://example.invalid/cgi-bin/")
    blog_id = install.create_weblog("weblog")
    install.mtpy("import", "--blog", blog_id, SAMPLE_EXPORT)
    listed = install.mtpy("template", "list", "--blog", blog_id).stdout.splitlines()
    assert len(listed) == 10 and listed[0].startswith("Main Index\tindex\tindex.html\t")
    rebuilt = install.mtpy("rebuild", "--blog", blog_id).stdout
    assert "Rebuilt weblog %s: 0 files" % blog_id not in rebuilt

    site = install.site / "weblog"
    with open(str(site / "index.html"), encoding="utf-8") as handle:
        index = handle.read()
    assert "TrackBack is live" in index
    pages = {}
    for path in glob.glob(str(site / "[0-9][0-9][0-9][0-9][0-9][0-9].html")):
        with open(path, encoding="utf-8") as handle:
            page = handle.read()
        pages[": TrackBack is live</title>" in page] = page
    assert len(pages) == 2       # the sample's published entries; only the first takes pings
    assert "<rdf:RDF" in pages[True]
    assert 'trackback:ping="http://example.invalid/cgi-bin/mt-tb.cgi/' in pages[True]
    assert "A quiet week" in pages[False] and "<rdf:RDF" not in pages[False]
    for output in ("index.rdf", "index.xml", "atom.xml", "styles-site.css"):
        assert (site / output).is_file()


def test_without_its_templates_commands_fail_naming_the_folder(tmp_path, wheel):
    install = Install(tmp_path, wheel)
    install.mtpy("init", "--admin", "Melody", "--email", "melody@example.com", "--password", "melody-secret")
    published = install.create_weblog("published")
    install.mtpy("rebuild", "--blog", published)          # takes its own copy of the templates
    unpublished = install.create_weblog("unpublished")
    shipped = os.path.join(install.package, "templates", "weblog")
    shutil.rmtree(shipped)

    for args in (("rebuild", "--blog", unpublished), ("template", "list", "--blog", unpublished),
                 ("blog", "create", "--name", "third", "--site-url", "http://example.invalid/",
                  "--site-path", str(install.site / "third"))):
        done = install.mtpy(*args, check=False)
        assert done.returncode == 1, args
        assert shipped in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert len(install.mtpy("blog", "list").stdout.splitlines()) == 2      # nothing half-created

    assert " written, " in install.mtpy("rebuild", "--blog", published).stdout
    check = install.mtpy("check", check=False)
    assert check.returncode == 1
    assert "WEBLOG TEMPLATES" in check.stdout and "MISSING. No weblog templates in" in check.stdout
    assert "Missing required modules: the weblog templates." in check.stdout
