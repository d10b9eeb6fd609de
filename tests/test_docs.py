"""The documentation holds together: every relative link of README.md, SECURITY.md,
CHANGELOG.md and docs/*.md reaches a file that exists (and a heading, for an
#anchor), every docs/ page is reachable from the README, docs/configuration.md
names exactly the directives mt.cfg takes, and docs/architecture.md names every
module of lib/mtpy/ and nothing else. In-process; reads only the repository."""

import glob
import os
import re

import pytest

from conftest import ROOT
from mtpy import config

DOCS = os.path.join(ROOT, "docs")
PAGES = [os.path.join(ROOT, name) for name in ("README.md", "SECURITY.md", "CHANGELOG.md")] + \
    sorted(glob.glob(os.path.join(DOCS, "*.md")))
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def prose(path):
    """The page without its fenced code blocks, where `](` is not a link."""
    return FENCED.sub("", read(path))


def anchors(path):
    """The #anchors GitHub gives the page's headings: lower case, punctuation
    dropped, spaces as hyphens, a repeated one numbered."""
    seen = {}
    for heading in HEADING.findall(prose(path)):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        yield slug if count == 0 else "%s-%d" % (slug, count)


def relative_links(path):
    for target in LINK.findall(prose(path)):
        if not re.match(r"[a-z][a-z0-9+.-]*:", target):     # http:, https:, mailto:
            yield target


@pytest.mark.parametrize("page", PAGES, ids=lambda path: os.path.relpath(path, ROOT))
def test_every_relative_link_reaches_a_file_and_heading(page):
    broken = []
    for target in relative_links(page):
        name, _, anchor = target.partition("#")
        path = os.path.normpath(os.path.join(os.path.dirname(page), name)) if name else page
        if not os.path.exists(path):
            broken.append(target)
        elif anchor and (not path.endswith(".md") or anchor not in set(anchors(path))):
            broken.append(target)
    assert broken == []


def test_the_link_check_sees_a_broken_link_and_anchor(tmp_path):
    (tmp_path / "other.md").write_text("# Title\n\n## Apache, `.htaccess` only\n")
    page = tmp_path / "page.md"
    page.write_text("[a](other.md#apache-htaccess-only) [b](missing.md) [c](https://x.example/)\n"
                    "```\n[d](not-a-link-in-code.md)\n```\n[e](other.md#nowhere)\n")
    assert list(relative_links(str(page))) == ["other.md#apache-htaccess-only", "missing.md", "other.md#nowhere"]
    assert "apache-htaccess-only" in set(anchors(str(tmp_path / "other.md")))


def test_the_readme_leads_to_every_docs_page():
    linked = {os.path.normpath(os.path.join(ROOT, target.partition("#")[0]))
              for target in relative_links(os.path.join(ROOT, "README.md"))}
    assert [path for path in glob.glob(os.path.join(DOCS, "*.md")) if path not in linked] == []


def test_the_configuration_page_names_every_directive_and_no_other():
    """docs/configuration.md's table: each row names directives in its first column."""
    named = set()
    for line in read(os.path.join(DOCS, "configuration.md")).splitlines():
        if line.startswith("| `"):
            named.update(re.findall(r"`(\w+)`", line.split("|")[1]))
    assert named == set(config.DIRECTIVES)


def test_the_architecture_page_names_every_module_and_no_other():
    package = os.path.join(ROOT, "lib", "mtpy")
    modules = {os.path.relpath(path, package).replace(os.sep, "/")
               for path in glob.glob(os.path.join(package, "**", "*.py"), recursive=True)}
    named = set(re.findall(r"^\| `([\w/]+\.py)` \|", read(os.path.join(DOCS, "architecture.md")), re.M))
    assert (sorted(modules - named), sorted(named - modules)) == ([], [])
