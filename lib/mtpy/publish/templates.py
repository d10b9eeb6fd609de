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

Beside the default set, a weblog has the index templates and modules its
authors made in mt.cgi, and may publish an index template under another file
name: both are kept in the folder's manifest, `templates.json` (MANIFEST),
which backups carry with the folder. A made template's file is named by mtpy
(`user-<n>.mtml`), never by the request; an output file name is checked
(output_problem) when it is set and again when a page is written.
"""

import os

from mtpy.fileutil import DATA, is_inside, make_folders, own_folders, write_atomic

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

DEFAULT_OUTPUTS = {template.name: template.output for template in DEFAULT_SET if template.output}


class TemplateSetError(Exception):
    pass


MANIFEST = "templates.json"
MADE_KINDS = ("index", "module")             # what an author may make
# Output files a web server could run, or that configure it: a template's text
# is anyone's with the "templates" permission, the server's is the owner's.
SERVER_SUFFIXES = (".cgi", ".fcgi", ".pl", ".pm", ".py", ".php", ".php3", ".php4", ".php5", ".php7", ".phtml",
                   ".phar", ".sh", ".shtml", ".stm", ".shtm", ".asp", ".aspx", ".jsp", ".exe", ".so")


def made_file_name(name):
    """Whether `name` is a file name mtpy gives a made template: user-<n>.mtml."""
    number = name[len("user-"):-len(".mtml")]
    return name.startswith("user-") and name.endswith(".mtml") and number.isdigit() and len(number) < 10 \
        and number.isascii()


def read_manifest(folder):
    """{"made": [{name, kind, filename, output}], "outputs": {name: output}}
    of a weblog's template folder; what does not look like mtpy's own entries
    (a hand-edited or damaged file) is left out. (json is imported only when
    there is a manifest: the TrackBack popup's quick path comes here.)"""
    try:
        with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError):
        text = ""
    kept = {}
    if text:
        import json
        try:
            kept = json.loads(text)
        except ValueError:
            pass
    kept = kept if isinstance(kept, dict) else {}
    made = [entry for entry in kept.get("made") or [] if isinstance(entry, dict)
            and isinstance(entry.get("name"), str) and entry["name"].strip()
            and entry.get("kind") in MADE_KINDS and isinstance(entry.get("filename"), str)
            and made_file_name(entry["filename"]) and isinstance(entry.get("output") or "", str)]
    outputs = kept.get("outputs") if isinstance(kept.get("outputs"), dict) else {}
    return {"made": made, "outputs": {name: output for name, output in outputs.items()
                                      if isinstance(name, str) and isinstance(output, str) and output}}


def write_manifest(folder, manifest):
    import json
    make_folders(folder)
    write_atomic(os.path.join(folder, MANIFEST), json.dumps(manifest, indent=1, sort_keys=True) + "\n", kind=DATA)


def output_problem(config, blog, output):
    """Why `output` cannot be an index template's file in the weblog's site
    folder, or None: a relative path of plain names that stays inside the site
    folder once symbolic links are followed, outside mtpy's own folders (the
    data folder, cgi-bin/), and not a file a web server runs or reads as its
    configuration (a dot file such as .htaccess, .php, .cgi...)."""
    if not output or output != output.strip():
        return "Give the file name, e.g. about.html (no spaces around it)."
    if len(output) > 200 or any(ord(char) < 32 or char in "\\:*?\"<>|" for char in output):
        return "%s: use letters, digits, dots, dashes and slashes only." % output
    if output.startswith("/") or output.endswith("/"):
        return "%s: give a file name inside the weblog's folder, not an absolute path or a folder." % output
    parts = output.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "%s: .. and empty folder names are not allowed: the file stays inside the weblog's folder." % output
    if any(part.startswith(".") for part in parts):
        return "%s: names starting with a dot (.htaccess) configure the web server: not allowed." % output
    if output.lower().endswith(SERVER_SUFFIXES) or "." not in parts[-1]:
        return ("%s: a web server may run this kind of file: give a page's name, such as about.html, "
                "archive.xml or styles.css." % output)
    if not blog.site_path:
        return "Set the weblog's local site path first: its index templates are published there."
    site = os.path.realpath(blog.site_path)
    real = os.path.realpath(os.path.join(site, *parts))
    if not is_inside(real, site) or real == site:
        return "%s leads outside the weblog's folder (a symbolic link): not allowed." % output
    for label, folder in own_folders(config):
        if folder and is_inside(real, os.path.realpath(folder)):
            return "%s is inside %s: choose a file of the weblog's own." % (output, label)
    return None


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
        self.manifest = read_manifest(self.folder)
        outputs = self.manifest["outputs"]
        self.templates = [Template(t.name, t.kind, t.filename, outputs.get(t.name, t.output))
                          if t.kind == "index" else t for t in DEFAULT_SET
                          if t.filename in self.default_paths or os.path.isfile(self.path(t))]
        taken = {t.name.lower() for t in self.templates} | {t.filename for t in self.templates}
        for made in self.manifest["made"]:
            if made["name"].lower() not in taken and made["filename"] not in taken \
                    and os.path.isfile(os.path.join(self.folder, made["filename"])):
                self.templates.append(Template(made["name"], made["kind"], made["filename"],
                                               made.get("output") if made["kind"] == "index" else None))
                taken.update((made["name"].lower(), made["filename"]))
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

    def is_made(self, template):
        """Whether an author made it (it can be deleted); the default set's cannot."""
        return any(made["filename"] == template.filename for made in self.manifest["made"])

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
