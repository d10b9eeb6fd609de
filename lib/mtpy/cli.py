"""The `mtpy` command: set-up, weblog administration from the shell, the queue
worker and the development server. Errors are one line and a non-zero exit.

Each administration subcommand parses its arguments, calls one action of
mtpy.actions (where every rule lives, shared with mt.cgi), runs the work the
action queued at once and prints the result."""

import argparse
import os
import sys

from mtpy.actions import ActionError
from mtpy.config import Config, ConfigError, find_config_path
from mtpy.models import KINDS, PROTOCOLS, Author, Blog, Category, Entry, IPBan, Job
from mtpy.publish.templates import TemplateSetError
from mtpy.store import PING_STATES, StoreError, open_store
from mtpy.text import counted
from mtpy.urls import category_ping_url, ping_url

INSTALL_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class CommandError(Exception):
    """A one-line error for the user."""


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except (CommandError, ActionError, ConfigError, StoreError, TemplateSetError) as error:
        sys.stderr.write("mtpy: %s\n" % error)
        return 1
    except OSError as error:    # a folder that cannot be written, a full disk: no traceback
        sys.stderr.write("mtpy: %s\n" % (" ".join(filter(None, (error.strerror, error.filename and
                                                                    "(%s)" % error.filename))) or error))
        return 1
    except KeyboardInterrupt:
        return 130


# -- shared helpers -----------------------------------------------------------

def config_path(args):
    return os.path.abspath(args.config or find_config_path(os.path.join(os.getcwd(), "cgi-bin")))


def load_config(args):
    path = config_path(args)
    if not os.path.exists(path):
        raise CommandError("No configuration at %s (run `mtpy init`, or pass --config)" % path)
    config = Config(path)
    for warning in config.warnings:
        sys.stderr.write("mtpy: warning: %s\n" % warning)
    return config


def store_for(args):
    config = load_config(args)
    return config, open_store(config)


def get_blog(store, blog_id):
    blog = store.get(Blog, blog_id)
    if blog is None:
        raise CommandError("No weblog with id %s" % blog_id)
    return blog


def get_entry(store, blog, entry_id):
    entry = store.get(Entry, entry_id)
    if entry is None or entry.blog_id != blog.id:
        raise CommandError("No entry %s in weblog %d" % (entry_id, blog.id))
    return entry


def read_text(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError("Cannot read %s: %s" % (path, error))


def flag(value):
    if value not in ("0", "1"):
        raise argparse.ArgumentTypeError("expected 0 or 1")
    return value == "1"


def run_now(store, config, done):
    """Run the work an action queued (rebuilds, republishing) before the
    command ends; returns `done`."""
    if done.job_ids:
        from mtpy.work import run_jobs
        _, failed = run_jobs(store, config, done.job_ids)
        if failed:
            sys.stderr.write("mtpy: warning: %s failed and stay%s queued (mtpy work --list; the log)\n"
                             % (counted(failed, "job"), "s" if failed == 1 else ""))
    return done


def new_password(args, name):
    """--password, else $MTPY_PASSWORD, else the prompt."""
    password = getattr(args, "password", None) or os.environ.get("MTPY_PASSWORD")
    if not password:
        import getpass
        password = getpass.getpass("Password for %s: " % name)
    if not password:
        raise CommandError("A password is needed (--password, MTPY_PASSWORD or the prompt)")
    return password


# -- init ---------------------------------------------------------------------

def cmd_init(args):
    from mtpy.actions.authors import check_author, create_author
    from mtpy.actions.install import write_config_if_missing
    path = config_path(args)
    if write_config_if_missing(Config(path, text=""), args.cgi_path):
        print("Wrote %s" % path)
    config = load_config(args)
    password = new_password(args, args.admin)
    check_author(args.admin, args.email, password)     # before the store exists
    store = open_store(config, create=True)
    create_author(store, args.admin, args.email, password, is_admin=True)
    print("Created the store in %s with author %s" % (store.location(), args.admin))


# -- blog -----------------------------------------------------------------------

BLOG_OPTIONS = [  # (option, field, type)
    ("--name", "name", str), ("--description", "description", str),
    ("--site-url", "site_url", str), ("--site-path", "site_path", str),
    ("--archive-url", "archive_url", str), ("--archive-path", "archive_path", str),
    ("--timezone", "timezone", float), ("--email-new-pings", "email_new_pings", flag),
    ("--allow-pings-default", "allow_pings_default", flag),
    ("--hold-over-limit", "hold_over_limit", flag),
    ("--autodiscover-links", "autodiscover_links", flag),
    ("--update-ping-urls", "update_ping_urls", str),
    ("--moderate-pings", "moderate_pings", str), ("--linkback-check", "linkback_check", str),
    ("--junk-words", "junk_words", str), ("--accept-pings", "accept_pings", flag),
    ("--close-pings-after-days", "close_pings_after_days", int),
    ("--accept-trackback", "accept_trackback", flag), ("--accept-pingback", "accept_pingback", flag),
    ("--accept-webmention", "accept_webmention", flag), ("--own-links", "own_links", str),
]


def _blog_values(args):
    return {field: getattr(args, field) for _, field, _ in BLOG_OPTIONS if getattr(args, field) is not None}


def cmd_blog_create(args):
    from mtpy.actions.weblogs import create_weblog
    config, store = store_for(args)
    print(create_weblog(store, config, _blog_values(args)).record.id)


def cmd_blog_set(args):
    from mtpy.actions.weblogs import change_weblog
    config, store = store_for(args)
    run_now(store, config, change_weblog(store, config, get_blog(store, args.blog), _blog_values(args)))


def cmd_blog_list(args):
    config, store = store_for(args)
    for blog in store.find(Blog):
        print("%d\t%s\t%s" % (blog.id, blog.site_url, blog.name))


# -- entries and categories --------------------------------------------------------

def cmd_entry_list(args):
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    for entry in store.find(Entry, blog_id=blog.id):
        item = store.trackback_for(entry=entry)
        url = ping_url(config, item, blog) if item is not None and not item.is_disabled else ""
        print("\t".join([str(entry.id), entry.status, "1" if entry.allow_pings else "0", url,
                         _one_line(entry.title)]))


def cmd_entry_set(args):
    from mtpy.actions.entries import save_entry
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    values = {field: getattr(args, field) for field in ("allow_pings", "status") if getattr(args, field) is not None}
    run_now(store, config, save_entry(store, config, blog, get_entry(store, blog, args.entry), values))


def cmd_entry_ping(args):
    """Send the entry's TrackBack pings now; a line per URL, and 1 when one failed."""
    from mtpy.actions.sending import send_now
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    outcomes = send_now(store, config, blog, get_entry(store, blog, args.entry))
    if not outcomes:
        print("Nothing to ping: every URL of this entry has been pinged.")
    for url, error in outcomes.items():
        print("pinged\t%s" % url if error is None else "failed\t%s\t%s" % (url, _one_line(error)))
    return 1 if any(error is not None for error in outcomes.values()) else 0


def cmd_template_list(args):
    from mtpy.publish.templates import TemplateSet
    config, store = store_for(args)
    templates = TemplateSet(config, get_blog(store, args.blog)).ensure_copy()
    for template in templates.templates:
        print("\t".join([template.name, template.kind, template.output or "", templates.path(template)]))


def cmd_template_set(args):
    from mtpy.actions.templates import replace_template
    config, store = store_for(args)
    text = read_text(args.file)
    _print_template_change(replace_template(store, config, get_blog(store, args.blog), args.name, text).record,
                           "Replaced")


def cmd_template_restore(args):
    from mtpy.actions.templates import restore_template
    config, store = store_for(args)
    _print_template_change(restore_template(store, config, get_blog(store, args.blog), args.name).record,
                           "Restored")


def cmd_template_new(args):
    from mtpy.actions.templates import create_template
    config, store = store_for(args)
    text = read_text(args.file) if args.file else None
    _print_template_change(create_template(store, config, get_blog(store, args.blog), args.name, args.kind,
                                           args.output, text).record, "Created")


def cmd_template_output(args):
    from mtpy.actions.templates import set_output
    config, store = store_for(args)
    template = set_output(store, config, get_blog(store, args.blog), args.name, args.output).record
    print("%s publishes %s (at the next rebuild)" % (template.name, template.output))


def cmd_template_delete(args):
    from mtpy.actions.templates import delete_template
    config, store = store_for(args)
    print("Deleted %s" % delete_template(store, config, get_blog(store, args.blog), args.name).record.name)


def _print_template_change(change, done):
    for warning in change.warnings:
        sys.stderr.write("mtpy: warning: %s\n" % warning)
    print("%s %s (%s)" % (done, change.template.name, change.path))


def cmd_rebuild(args):
    from mtpy.actions.rebuild import rebuild_all
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    progress = _progress_bar if sys.stderr.isatty() else None
    publisher = rebuild_all(store, config, blog, progress)
    if progress:
        sys.stderr.write("\n")
    for warnings in publisher.environment.loader.warnings.values():
        for warning in warnings:
            sys.stderr.write("mtpy: warning: %s\n" % warning)
    print("Rebuilt weblog %d: %s written, %d unchanged" % (
        blog.id, counted(len(publisher.written), "file"), publisher.unchanged))


def _progress_bar(done, total):
    width = 40
    filled = width * done // max(total, 1)
    sys.stderr.write("\r[%s%s] %d/%d entries" % ("#" * filled, "." * (width - filled), done, total))
    sys.stderr.flush()


def cmd_category_set(args):
    from mtpy.actions.categories import save_category
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    found = store.find(Category, blog_id=blog.id, label=args.label)
    values = {field: getattr(args, field) for field in ("allow_pings", "passphrase", "description")
              if getattr(args, field) is not None}
    values["label"] = args.label
    category = run_now(store, config, save_category(store, config, blog, found[0] if found else None, values)).record
    item = store.trackback_for(category=category)
    if item is not None and not item.is_disabled:
        print(category_ping_url(config, item, category, blog))


# -- IP bans -----------------------------------------------------------------------

def cmd_ipban(args):
    from mtpy.actions.bans import add_ban, remove_ban
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    if args.action == "list":
        for ban in store.find(IPBan, blog_id=blog.id):
            print(ban.ip)
        return
    if args.action == "add":
        add_ban(store, blog, args.address, note=args.note)
    else:
        remove_ban(store, blog, args.address)


# -- pings -------------------------------------------------------------------------

def cmd_ping_list(args):
    """A line a ping, oldest first: id, item, date, ip, url, title, protocol,
    kind and state (as mt.cgi's TrackBacks screen shows them); --state,
    --protocol, --kind and --contains choose, as its filters and search do."""
    from mtpy.actions.pings import listed_state
    from mtpy.dates import format_date
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    where = {"blog_id": blog.id}
    if getattr(args, "entry", None) is not None:
        item = store.trackback_for(entry=get_entry(store, blog, args.entry))
        if item is None:
            return      # an entry that never took pings
        where = {"tb_id": item.id}
    # The TrackBacks screen's query (newest first), listed oldest first.
    pings = store.find_pings(state=args.state or None, protocol=getattr(args, "protocol", None) or None,
                             kind=getattr(args, "kind", None) or None,
                             contains=getattr(args, "contains", None) or None, **where)[::-1]
    for ping in pings:
        print("\t".join([str(ping.id), str(ping.tb_id), format_date(ping.created_on, blog.timezone, "%Y-%m-%d %H:%M:%S"),
                         ping.ip, _one_line(ping.source_url), _one_line(ping.title), ping.protocol, ping.kind,
                         listed_state(ping)]))


def cmd_ping_delete(args):
    from mtpy.actions.pings import delete_pings
    _change_pings(args, delete_pings, "Deleted")


def cmd_ping_approve(args):
    """Publish held or junk pings; what shows them follows, as after a delete."""
    from mtpy.actions.pings import approve_pings
    _change_pings(args, approve_pings, "Approved")


def cmd_ping_junk(args):
    """Mark pings as junk; the weblog's block list learns their domains."""
    from mtpy.actions.pings import junk_pings
    learned = _change_pings(args, junk_pings, "Marked as junk").record
    if learned:
        print("Block list: added %s" % ", ".join(learned))


def cmd_ping_unjunk(args):
    from mtpy.actions.pings import unjunk_pings
    forgotten = _change_pings(args, lambda *a: unjunk_pings(*a, publish=args.publish), "Marked as not junk").record
    if forgotten:
        print("Block list: removed %s" % ", ".join(forgotten))


def cmd_ping_delete_junk(args):
    from mtpy.actions.pings import delete_junk_older_than
    config, store = store_for(args)
    print("Deleted %s" % counted(delete_junk_older_than(store, config, get_blog(store, args.blog), args.older_than),
                                 "junk ping"))


def _change_pings(args, action, done):
    config, store = store_for(args)
    result = run_now(store, config, action(store, config, get_blog(store, args.blog), args.ping_ids))
    print("%s %s" % (done, counted(len(args.ping_ids), "ping")))
    return result


# -- import / export ----------------------------------------------------------------

def cmd_import(args):
    from mtpy.actions.importing import import_entries, imported_words
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    text = read_text(args.file)
    try:
        result = run_now(store, config, import_entries(store, config, blog, text,
                                                       send_pings=args.send_pings)).record
    except ActionError as error:
        raise CommandError("%s: %s" % (args.file, error))
    print("Imported %s" % imported_words(result))


# -- authors -------------------------------------------------------------------------

def cmd_author_add(args):
    from mtpy.actions.authors import create_author
    config, store = store_for(args)
    author = create_author(store, args.name, args.email, new_password(args, args.name), args.admin).record
    print(author.id)


def cmd_author_list(args):
    from mtpy.models import Permission
    config, store = store_for(args)
    for author in store.find(Author):
        if author.is_admin:
            rights = "admin"
        else:
            rights = " ".join("%d:%s" % (permission.blog_id, ",".join(permission.can))
                              for permission in store.find(Permission, author_id=author.id) if permission.can)
        print("\t".join([str(author.id), author.name, author.email, rights]))


def cmd_author_permit(args):
    from mtpy.actions.authors import find_author, set_permissions
    config, store = store_for(args)
    names = [name.strip() for name in args.can.split(",") if name.strip()]
    set_permissions(store, find_author(store, args.name), get_blog(store, args.blog), names)


def cmd_author_password(args):
    from mtpy.actions.authors import find_author, set_password
    config, store = store_for(args)
    author = find_author(store, args.name)
    set_password(store, author, new_password(args, author.name))
    print("Changed the password of %s (their sessions ended)" % author.name)


def cmd_export(args):
    from mtpy.importexport import export_entries
    config, store = store_for(args)
    blog = get_blog(store, args.blog)
    sys.stdout.write(export_entries(store, blog))


# -- upgrades and backups -----------------------------------------------------------

def cmd_upgrade(args):
    """What mt.cgi's upgrade page does: say what will change, copy the store as
    it is, upgrade it, say where the copy is."""
    from mtpy.store import SCHEMA_VERSION, upgrade_steps
    config = load_config(args)
    store = open_store(config, upgrade=True)
    try:
        if store.schema_version >= SCHEMA_VERSION:
            print("The store %s is up to date (schema version %d)" % (store.location(), store.schema_version))
            return
        print("Upgrading the store %s from schema version %d to %d:" % (
            store.location(), store.schema_version, SCHEMA_VERSION))
        for number, text in upgrade_steps(store.schema_version):
            print("  %d. %s" % (number, text))
        upgraded = store.upgrade()
    finally:
        store.close()
    if upgraded.done:
        print("Upgraded. The store as it was before: %s" % upgraded.backup)
    else:
        print("Another process upgraded the store meanwhile: nothing more was done")


def cmd_backup(args):
    from mtpy.backup import KIND_LABELS, write_backup
    config, store = store_for(args)
    if args.file == "-":
        manifest = write_backup(store, config, sys.stdout.buffer)
    else:
        with open(args.file, "wb") as handle:
            manifest = write_backup(store, config, handle)
    labels = {name.lower(): label for name, label in KIND_LABELS.items()}
    sys.stderr.write("Backed up %s; template files: %d\n" % ("; ".join(
        "%s: %d" % (labels.get(name, name), count) for name, count in manifest["records"].items()),
        manifest["templates"]))


def cmd_restore(args):
    from mtpy.backup import BackupError, read_backup, restore_backup
    config, store = store_for(args)
    try:
        found = read_backup(args.file)
    except BackupError as error:
        raise CommandError("%s: %s Nothing was changed." % (args.file, error))
    summary = ", ".join("%d %s" % (count, name) for name, count in found.counts())
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("Restoring replaces everything the store holds: add --yes to confirm")
        answer = input("Replace everything in %s by the backup's %s? [y/N] " % (store.location(), summary))
        if answer.strip().lower() not in ("y", "yes"):
            raise CommandError("Nothing was restored")
    restored = restore_backup(store, config, found)
    print("Restored %s. The store as it was before: %s" % (summary, restored.previous))
    rebuilds = ["mtpy rebuild --blog %d" % blog.id for blog in store.find(Blog)]
    if rebuilds:
        print("Rebuild each weblog now: %s" % "; ".join(rebuilds))


# -- the queue and the server -------------------------------------------------------

def cmd_work(args):
    from mtpy.work import run_jobs
    config, store = store_for(args)
    if args.list:
        for job in store.find(Job):
            print("\t".join([str(job.id), job.kind, str(job.attempts), job.not_before, _one_line(job.last_error)]))
        return
    done, failed = run_jobs(store, config)
    print("%s done, %d failed" % (counted(done, "job"), failed))
    return 1 if failed else 0


def cmd_serve(args):
    from mtpy.hosting.devserver import serve
    config, store = store_for(args)
    mounts = serve_mounts(store.find(Blog))
    urls = "\n".join("  weblog %d: http://%s:%d%s" % (blog.id, args.host, args.port, _url_path(blog.site_url))
                     for blog in store.find(Blog))
    store.close()
    # The scripts beside the config when it lives in an installation's cgi-bin/.
    cgi_dir = config.folder if any(name.endswith(".cgi") for name in os.listdir(config.folder)) \
        else os.path.join(INSTALL_ROOT, "cgi-bin")
    if args.wsgi:
        from mtpy.hosting.site import SiteApp, serve as serve_wsgi
        try:
            serve_wsgi(SiteApp(config.path, mounts, cgi_dir), args.host, args.port, args.workers, urls)
        except RuntimeError as error:
            raise CommandError(str(error))
        return
    serve(args.host, args.port, cgi_dir, mounts,
          environ={"MT_CONFIG": config.path}, python=sys.executable, urls_message=urls)


def serve_mounts(blogs):
    """Each weblog's site and archive folders under the paths of their URLs."""
    mounts = []
    for blog in blogs:
        for url, folder in ((blog.site_url, blog.site_path), (blog.archive_url, blog.archive_path)):
            if url and folder and (_url_path(url), folder) not in mounts:
                mounts.append((_url_path(url), folder))
    return mounts


def _url_path(url):
    from urllib.parse import urlsplit
    path = urlsplit(url).path or "/"
    return path if path.endswith("/") else path + "/"


def cmd_check(args):
    from mtpy.check import Report, render_text
    report = Report(INSTALL_ROOT, config_path(args))
    sys.stdout.write(render_text(report))
    return 0 if report.ready else 1


def cmd_demo(args):
    from mtpy.demo import make_demo
    path = config_path(args)
    archives = args.archives or os.path.join(INSTALL_ROOT, "archives")
    for line in make_demo(path, args.host, args.port, archives, os.path.join(INSTALL_ROOT, "tmpl")):
        print(line)


def _one_line(text):
    return " ".join((text or "").split())


# -- the parser -----------------------------------------------------------------------

def build_parser():
    parser = argparse.ArgumentParser(prog="mtpy", description="Movable Type's TrackBack system, in Python.")
    parser.add_argument("--config", help="mt.cfg to use (default: $MT_CONFIG, else ./cgi-bin/mt.cfg)")
    commands = parser.add_subparsers(metavar="COMMAND")

    def command(parent, name, run, help_text, blog=False):
        sub = parent.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        sub.set_defaults(run=run)
        if blog:
            sub.add_argument("--blog", type=int, required=True, help="the weblog's id")
        return sub

    sub = command(commands, "init", cmd_init, "create the store (and mt.cfg if missing) with an admin author")
    sub.add_argument("--admin", required=True)
    sub.add_argument("--email", required=True)
    sub.add_argument("--password", help="else $MTPY_PASSWORD, else a prompt")
    sub.add_argument("--cgi-path", default="/cgi-bin/", help="CGIPath for a new mt.cfg")

    blog = commands.add_parser("blog", help="create, change and list weblogs").add_subparsers(metavar="ACTION")
    create = command(blog, "create", cmd_blog_create, "create a weblog; prints its id")
    change = command(blog, "set", cmd_blog_set, "change a weblog's settings", blog=True)
    for sub in (create, change):
        for option, field, kind in BLOG_OPTIONS:
            sub.add_argument(option, dest=field, type=kind, metavar="0|1" if kind is flag else None)
    command(blog, "list", cmd_blog_list, "list weblogs")

    entry = commands.add_parser("entry", help="list and change entries").add_subparsers(metavar="ACTION")
    sub = command(entry, "list", cmd_entry_list, "id, status, allow pings, TrackBack URL, title", blog=True)
    sub = command(entry, "ping", cmd_entry_ping, "send the entry's TrackBack pings now", blog=True)
    sub.add_argument("--entry", type=int, required=True)
    sub = command(entry, "set", cmd_entry_set, "change an entry", blog=True)
    sub.add_argument("--entry", type=int, required=True)
    sub.add_argument("--allow-pings", type=flag, metavar="0|1")
    sub.add_argument("--status", choices=["Draft", "Publish"])

    category = commands.add_parser("category", help="create or change categories").add_subparsers(metavar="ACTION")
    sub = command(category, "set", cmd_category_set, "create or change a category; prints its TrackBack URL", blog=True)
    sub.add_argument("--label", required=True)
    sub.add_argument("--allow-pings", type=flag, metavar="0|1")
    sub.add_argument("--passphrase")
    sub.add_argument("--description")

    ipban = commands.add_parser("ipban", help="ban addresses from pinging a weblog").add_subparsers(metavar="ACTION")
    for action, help_text in (("add", "ban an address, prefix (192.168.) or CIDR range"),
                              ("remove", "lift a ban"), ("list", "list the bans")):
        sub = command(ipban, action, cmd_ipban, help_text, blog=True)
        sub.set_defaults(action=action, address=None)
        if action != "list":
            sub.add_argument("address", metavar="ADDRESS")
        if action == "add":
            sub.add_argument("--note", default="", help="why, shown on mt.cgi's IP Banning screen")

    ping = commands.add_parser("ping", help="list received pings, approve, junk or delete them").add_subparsers(
        metavar="ACTION")
    sub = command(ping, "list", cmd_ping_list, "id, item, date, ip, url, title, protocol, kind, state", blog=True)
    sub.add_argument("--entry", type=int)
    sub.add_argument("--state", choices=tuple(PING_STATES))
    sub.add_argument("--protocol", choices=PROTOCOLS)
    sub.add_argument("--kind", choices=KINDS)
    sub.add_argument("--contains", metavar="TEXT",
                     help="only pings whose sender address, URL, weblog name or entry title holds TEXT")
    sub = command(ping, "held", cmd_ping_list, "pings held for approval", blog=True)
    sub.set_defaults(state="held")
    for name, handler, words in (
            ("delete", cmd_ping_delete, "delete pings (the feed file follows)"),
            ("approve", cmd_ping_approve, "publish held or junk pings (the feed file and pages follow)"),
            ("release", cmd_ping_approve, "the same as approve"),
            ("junk", cmd_ping_junk, "mark pings as junk; the block list learns their domains"),
            ("unjunk", cmd_ping_unjunk, "mark junk pings as not junk (held, or --publish); undoes the block list")):
        sub = command(ping, name, handler, words, blog=True)
        sub.add_argument("ping_ids", type=int, nargs="+", metavar="PING_ID")
    sub.add_argument("--publish", action="store_true")
    sub = command(ping, "delete-junk", cmd_ping_delete_junk, "delete junk pings older than N days", blog=True)
    sub.add_argument("--older-than", type=int, required=True, metavar="DAYS")

    author = commands.add_parser("author", help="authors and what they may do").add_subparsers(metavar="ACTION")
    sub = command(author, "add", cmd_author_add, "create an author; prints its id")
    sub.add_argument("--name", required=True)
    sub.add_argument("--email", required=True)
    sub.add_argument("--password", help="else $MTPY_PASSWORD, else a prompt")
    sub.add_argument("--admin", action="store_true", help="a system administrator: every weblog, authors")
    command(author, "list", cmd_author_list, "id, name, e-mail, admin or blog:permissions")
    sub = command(author, "permit", cmd_author_permit, "set what an author may do in a weblog", blog=True)
    sub.add_argument("--name", required=True)
    from mtpy.actions.authors import PERMISSION_NAMES
    sub.add_argument("--can", required=True, help="comma-separated, of: %s (empty: nothing)" % ",".join(PERMISSION_NAMES))
    sub = command(author, "password", cmd_author_password, "set an author's password (ends their sessions)")
    sub.add_argument("--name", required=True)

    sub = command(commands, "import", cmd_import, "import a Movable Type export file", blog=True)
    sub.add_argument("file")
    sub.add_argument("--send-pings", action="store_true",
                     help="the published entries send their TrackBack pings, as if saved")
    sub = command(commands, "export", cmd_export, "export a weblog in Movable Type's format", blog=True)

    command(commands, "check", cmd_check, "say what this host lacks and whether mtpy is ready, as mt-check.cgi does")

    template = commands.add_parser("template", help="the weblog's templates").add_subparsers(metavar="ACTION")
    sub = command(template, "list", cmd_template_list, "name, kind, output file, path on disk", blog=True)
    sub = command(template, "set", cmd_template_set, "replace a template's text (refused if it does not compile)", blog=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("file")
    sub = command(template, "restore", cmd_template_restore, "put a template's default text back", blog=True)
    sub.add_argument("--name", required=True)
    sub = command(template, "new", cmd_template_new, "make an index template or a template module", blog=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("--kind", choices=("index", "module"), required=True)
    sub.add_argument("--output", default="", help="an index template's file in the weblog's site folder")
    sub.add_argument("file", nargs="?", help="its text (default: a starting text)")
    sub = command(template, "output", cmd_template_output, "publish an index template to another file", blog=True)
    sub.add_argument("--name", required=True)
    sub.add_argument("output", metavar="FILE", help="a file name in the weblog's site folder, e.g. about.html")
    sub = command(template, "delete", cmd_template_delete, "delete a template made with `new`", blog=True)
    sub.add_argument("--name", required=True)

    sub = command(commands, "rebuild", cmd_rebuild, "publish the weblog's pages", blog=True)

    command(commands, "upgrade", cmd_upgrade, "upgrade a store made by an older mtpy (a copy is made first)")
    sub = command(commands, "backup", cmd_backup, "write a full backup of the store (records and templates) to FILE")
    sub.add_argument("file", metavar="FILE", help="the zip file to write (- for standard output)")
    sub = command(commands, "restore", cmd_restore,
                  "replace everything the store holds by a backup FILE (a backup of the store is made first)")
    sub.add_argument("file", metavar="FILE")
    sub.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    sub = command(commands, "work", cmd_work, "run deferred work left in the queue (for cron)")
    sub.add_argument("--list", action="store_true", help="show the queue instead")

    for name, run, help_text in (("serve", cmd_serve, "serve cgi-bin/ and the weblogs for trying mtpy"),
                                 ("demo", cmd_demo, "create or refresh the demo weblog for this port")):
        sub = command(commands, name, run, help_text)
        sub.add_argument("--host", default="127.0.0.1")
        sub.add_argument("--port", type=int, default=8080)
        if name == "demo":
            sub.add_argument("--archives", help="where the demo publishes (default: archives/)")
        else:
            sub.add_argument("--wsgi", action="store_true",
                             help="keep the applications in gunicorn's persistent workers instead of CGI")
            sub.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2,
                             help="gunicorn workers with --wsgi (default: two per core)")
    return parser


if __name__ == "__main__":
    sys.exit(main())
