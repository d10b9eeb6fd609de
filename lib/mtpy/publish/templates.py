"""A weblog's template set: files its owner may edit.

Where a template's text comes from, first found wins:
1. the weblog's own copy, `<DataSource>/templates/blog-<id>/` (what `mtpy template
   set` writes), made the first time the weblog is published;
2. the installation's templates, `<TemplatePath>/weblog/` (default: `tmpl/` beside
   `cgi-bin/`), which an owner edits over FTP to change every new weblog;
3. the templates shipped in the package, `mtpy/templates/weblog/`, so that any
   install (an uploaded folder, a wheel, an sdist, an editable checkout) publishes.

A copy gets the files it lacks from 2 and 3, so new templates appear after an
upgrade. A template may be written in Jinja2 or in Movable Type's tag syntax.
"""

import os

from mtpy.fileutil import DATA, make_folders, write_atomic

SHIPPED_FOLDER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "templates", "weblog")


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


def default_folders(config):
    """The folders a weblog's templates start from, in order: the installation's
    (when it has one), then the shipped ones. A TemplatePath set in mt.cfg must
    be a folder: a typo there would otherwise pass unnoticed."""
    template_path = config.get("TemplatePath")
    if config.is_set("TemplatePath") and not os.path.isdir(template_path):
        raise TemplateSetError("TemplatePath %s (in %s) is not a folder" % (template_path, config.path))
    return [os.path.join(template_path, "weblog"), SHIPPED_FOLDER]


def find_defaults(config):
    """{filename: path} of each default template found, and the folders looked in."""
    folders = default_folders(config)
    found = {}
    for template in DEFAULT_SET:
        for folder in folders:
            path = os.path.join(folder, template.filename)
            if os.path.isfile(path):
                found[template.filename] = path
                break
    return found, folders


def require_defaults(config):
    """find_defaults, or TemplateSetError when there are none to start a weblog from."""
    found, folders = find_defaults(config)
    if not found:
        raise TemplateSetError("No weblog templates in %s: a weblog would publish nothing "
                               "(upload or reinstall mtpy's lib/mtpy/templates/, or fix TemplatePath)"
                               % " or ".join(folders))
    return found, folders


class TemplateSet:
    """The templates of one weblog, on disk. Raises TemplateSetError when there
    are none: a weblog without templates would publish nothing, silently."""

    def __init__(self, config, blog):
        self.default_paths, self.default_folders = find_defaults(config)
        self.folder = os.path.join(config.get("DataSource"), "templates", "blog-%d" % blog.id)
        self.templates = [t for t in DEFAULT_SET
                          if t.filename in self.default_paths or os.path.isfile(self.path(t))]
        if not self.templates:
            raise TemplateSetError("Weblog %d has no templates: none in %s" % (
                blog.id, " or ".join(self.folders)))

    @property
    def folders(self):
        """Where its templates are read from, first found wins."""
        return [self.folder] + self.default_folders

    def ensure_copy(self):
        """Copy the default files the weblog does not have yet."""
        make_folders(self.folder)
        for filename, source in self.default_paths.items():
            target = os.path.join(self.folder, filename)
            if not os.path.exists(target):
                with open(source, "rb") as handle:
                    write_atomic(target, handle.read(), kind=DATA)   # a concurrent render never reads half
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
        write_atomic(self.path(template), text, kind=DATA)
        return template, warnings
