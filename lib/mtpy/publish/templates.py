"""A weblog's template set: files its owner may edit.

The defaults live in `tmpl/weblog/`; each weblog gets its own copy in
`<DataSource>/templates/blog-<id>/` the first time it is published (files
missing from a copy are taken from the defaults, so new templates appear after an
upgrade). A template may be written in Jinja2 or in Movable Type's tag syntax.
"""

import os
import shutil

from mtpy.fileutil import write_atomic


class Template:
    def __init__(self, name, kind, filename, output=None):
        self.name = name          # MT's name for it
        self.kind = kind          # "index", an archive type, "popup" or "module"
        self.filename = filename  # the file in the set
        self.output = output      # index templates: the file written under the site path


DEFAULT_SET = [
    Template("Main Index", "index", "main-index.mtml", "index.html"),
    Template("RSS 1.0 Index", "index", "index-rdf.mtml", "index.rdf"),
    Template("RSS 2.0 Index", "index", "index-rss2.mtml", "index.xml"),
    Template("Atom Index", "index", "atom.mtml", "atom.xml"),
    Template("Stylesheet", "index", "styles-site.css", "styles-site.css"),
    Template("Individual Entry Archive", "Individual", "entry-archive.mtml"),
    Template("Category Archive", "Category", "category-archive.mtml"),
    Template("Date-Based Archive", "Monthly", "date-archive.mtml"),
    Template("TrackBack Listing", "popup", "trackback-listing.mtml"),
    Template("Sidebar", "module", "sidebar.mtml"),
]


class TemplateSetError(Exception):
    pass


class TemplateSet:
    """The templates of one weblog, on disk."""

    def __init__(self, config, blog):
        self.defaults = os.path.join(config.get("TemplatePath"), "weblog")
        self.folder = os.path.join(config.get("DataSource"), "templates", "blog-%d" % blog.id)
        self.templates = [t for t in DEFAULT_SET if os.path.exists(os.path.join(self.defaults, t.filename))]

    def ensure_copy(self):
        """Copy the default files the weblog does not have yet."""
        os.makedirs(self.folder, mode=0o755, exist_ok=True)
        for template in self.templates:
            target = self.path(template)
            if not os.path.exists(target):
                shutil.copyfile(os.path.join(self.defaults, template.filename), target)
        return self

    def path(self, template):
        return os.path.join(self.folder, template.filename)

    def by_name(self, name):
        for template in self.templates:
            if template.name.lower() == name.lower():
                return template
        raise TemplateSetError("No template named %r (see `mtpy template list`)" % name)

    def of_kind(self, kind):
        return [template for template in self.templates if template.kind == kind]

    def replace(self, name, text, check):
        """Replace a template's text after `check(filename, text)` compiled it
        (it returns warnings); a template that does not compile is refused and
        the old one stays. Returns (template, warnings)."""
        template = self.by_name(name)
        warnings = check(template.filename, text)
        self.ensure_copy()
        write_atomic(self.path(template), text)
        return template, warnings
