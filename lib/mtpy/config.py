"""mt.cfg: Movable Type-style `Directive value` lines.

The file is `cgi-bin/mt.cfg` beside the scripts, or the one named by the MT_CONFIG
environment variable. `#` starts a comment line. Relative paths resolve from the
config file's folder. An unknown directive is a warning (MT ignored them too); a
bad value is a ConfigError naming the file and line.
"""

import os


class ConfigError(Exception):
    pass


def _text(value):
    return value


def _path(value):
    return value  # resolved against the file's folder in Config.__init__


def _boolean(value):
    if value in ("1", "0"):
        return value == "1"
    raise ValueError("expected 1 or 0")


def _count(value):
    number = int(value)
    if number < 0:
        raise ValueError("expected a whole number, 0 or more")
    return number


def _positive(value):
    number = int(value)
    if number < 1:
        raise ValueError("expected a whole number, 1 or more")
    return number


def _seconds(value):
    number = float(value)
    if not 0 <= number <= 60:
        raise ValueError("expected seconds, 0 to 60")
    return number


def _words(value):
    return value.split()


def _timeout(value):
    number = float(value)
    if not 0 < number <= 60:
        raise ValueError("expected seconds, more than 0 and at most 60")
    return number


def _networks(value):
    """Addresses or CIDR ranges, separated by spaces or commas."""
    import ipaddress    # only when the directive is set: the ping path rarely reads it
    return [str(ipaddress.ip_network(item, strict=False))
            for item in value.replace(",", " ").split()]


def _url_dir(value):
    return value if value.endswith("/") else value + "/"


def _port(value):
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError("expected a TCP port, 1 to 65535")
    return number


def _umask(value):
    """An octal umask (MT's form: 0022), or `auto` (None): see mtpy.fileutil."""
    if value.lower() == "auto":
        return None
    number = int(value, 8)
    if not 0 <= number <= 0o777:
        raise ValueError("expected an octal umask such as 0022, or auto")
    return number


def _choice(*allowed):
    def check(value):
        if value.lower() not in allowed:
            raise ValueError("expected one of: %s" % ", ".join(allowed))
        return value.lower()
    return check


# name -> (parse, default). Defaults that depend on the file's place are filled in
# Config.__init__.
DIRECTIVES = {
    "CGIPath": (_url_dir, "/cgi-bin/"),
    "DataSource": (_path, None),            # default: data/ beside cgi-bin/
    "ObjectDriver": (_choice("sqlite", "flat", "postgres"), "sqlite"),
    # ObjectDriver postgres: where the database is (MT's names). Left out, each
    # is libpq's default: PGDATABASE, PGHOST... then the local socket as yourself.
    "Database": (_text, None),
    "DBHost": (_text, None),                # a host name, or a socket folder: /var/run/postgresql
    "DBPort": (_port, None),
    "DBUser": (_text, None),
    "DBPassword": (_text, None),
    "TemplatePath": (_path, None),          # default: tmpl/ beside cgi-bin/
    "TrackbackScript": (_text, "mt-tb.cgi"),
    "PingbackScript": (_text, "mt-pingback.cgi"),
    "WebmentionScript": (_text, "mt-webmention.cgi"),
    "AdminScript": (_text, "mt.cgi"),
    "PublishCharset": (_text, "utf-8"),
    "GenerateTrackBackRSS": (_boolean, True),
    "AllowGetPings": (_boolean, True),
    "OneHourMaxPings": (_count, 10),
    "OneDayMaxPings": (_count, 50),
    # Per sender address and weblog, checked first: below the weblog's limits, so
    # that one address cannot use up a weblog's allowance and lock everyone out.
    "OneHourMaxPingsPerIP": (_count, 5),
    "OneDayMaxPingsPerIP": (_count, 20),
    "MaxRequestBytes": (_count, 65536),
    "PingsPerPage": (_positive, 50),        # __mode=rss and the popup: the newest N, then pages
    "RepublishDelay": (_seconds, 0.5),      # a ping's republish waits, then covers every ping stored by then
    "DueWorkSeconds": (_seconds, 10.0),     # a request that finds due work runs it after its answer this long (0: cron only)
    "TransparentProxyIPs": (_words, []),
    "MailTransfer": (_choice("sendmail", "smtp", "debug"), "sendmail"),
    "SendMailPath": (_path, "/usr/sbin/sendmail"),
    "SMTPServer": (_text, "localhost"),
    "EmailAddressMain": (_text, ""),
    "LogFile": (_path, None),
    # mt.cgi: the largest request body it reads (an upload with its form), and how
    # long a login lasts without a request (MT's 4 hours; 7 days at most in all).
    "MaxUploadBytes": (_positive, 20 * 1024 * 1024),
    "SessionTimeout": (_positive, 14400),
    # mt.cgi's cookies carry Secure when the request came over HTTPS (to the web
    # server, or to one of TransparentProxyIPs, as its X-Forwarded-Proto says);
    # 1: always, for a proxy that terminates TLS and says nothing.
    "SecureCookies": (_choice("auto", "1"), "auto"),
    # What mtpy sends (pings, pages fetched for auto-discovery and the bookmarklet):
    # the seconds a request may wait, and the private addresses it may reach
    # anyway (none by default, so that nobody can aim it at the host's own network).
    "PingTimeout": (_timeout, 15.0),
    "OutboundAllowAddresses": (_networks, []),
    # Modes of what mtpy creates (Movable Type's names): the store's files, published
    # pages and feeds, and folders. `auto` lets the other party keep working where
    # the scripts run as the web server's user rather than as the files' owner.
    "DBUmask": (_umask, None),
    "HTMLUmask": (_umask, None),
    "DirUmask": (_umask, None),
    # mt-check.cgi answers only while this is 1: set 0 once mtpy is installed.
    "SystemCheck": (_boolean, True),
    # The folder every weblog's site and archive folders must lie in (none: any
    # folder but mtpy's own and the other weblogs').
    "WeblogRoot": (_path, None),
}
PATH_DIRECTIVES = ("DataSource", "TemplatePath", "SendMailPath", "LogFile", "WeblogRoot")
# In the data folder: the URL of cgi-bin/ as mt.cgi's set-up saw it (scheme, host,
# path). Where mt.cfg leaves CGIPath out (or gives only a path), ping URLs take
# it from here, so that they are absolute without set-up writing into cgi-bin/,
# which the web server's user often may not write.
LEARNT_CGI_PATH = "cgi-path.txt"


class Config:
    """Parsed directives; `get(name)` gives the value or its default."""

    def __init__(self, path=None, text=None):
        self.path = os.path.abspath(path) if path else None
        self.folder = os.path.dirname(self.path) if self.path else os.getcwd()
        self.values = {}
        self.warnings = []
        self._learnt = None
        if text is None and self.path:
            try:
                with open(self.path, encoding="utf-8") as handle:
                    text = handle.read()
            except OSError as error:
                raise ConfigError("Cannot read the configuration %s: %s"
                                  % (self.path, error.strerror))
        self._parse(text or "")
        # The install root is the folder holding cgi-bin/; data never goes inside it.
        root = os.path.dirname(self.folder) if os.path.basename(self.folder) == "cgi-bin" else self.folder
        self.place_defaults = {"DataSource": os.path.join(root, "data"),
                               "TemplatePath": os.path.join(root, "tmpl")}

    def _parse(self, text):
        where = self.path or "<config>"
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, value = line.partition(" ")
            if "\t" in name:
                name, _, rest = name.partition("\t")
                value = rest + value
            value = value.strip()
            directive = _lookup(name)
            if directive is None:
                self.warnings.append("%s line %d: unknown directive %s (ignored)" % (where, number, name))
                continue
            parse = DIRECTIVES[directive][0]
            try:
                parsed = parse(value)
            except ValueError as error:
                raise ConfigError("%s line %d: bad value %r for %s: %s"
                                  % (where, number, value, directive, error))
            if directive in PATH_DIRECTIVES and parsed:
                parsed = os.path.normpath(os.path.join(self.folder, os.path.expanduser(parsed)))
            self.values[directive] = parsed

    def get(self, name):
        if name == "CGIPath":
            return self._cgi_path()
        if name in self.values:
            return self.values[name]
        if name in self.place_defaults:
            return self.place_defaults[name]
        default = DIRECTIVES[name][1]
        return list(default) if isinstance(default, list) else default

    def is_set(self, name):
        """Whether the file (or `set`) gave this directive, rather than its default."""
        return name in self.values

    def set(self, name, value):
        self.values[_lookup(name) or name] = value

    def _cgi_path(self):
        """mt.cfg's CGIPath when it is a whole URL; else the one set-up learnt,
        with mt.cfg's path (if any) on its scheme and host; else mt.cfg's or
        the default path."""
        configured = self.values.get("CGIPath")
        if configured and is_absolute_url(configured):
            return configured
        learnt = self.learnt_cgi_path()
        if learnt is None:
            return configured or DIRECTIVES["CGIPath"][1]
        return on_origin_of(learnt, configured) if configured else learnt

    def learnt_cgi_path(self):
        """The CGIPath set-up wrote into the data folder, or None. Kept once
        read; not found is asked again (set-up may write it meanwhile)."""
        if self._learnt is None:
            try:
                with open(os.path.join(self.get("DataSource"), LEARNT_CGI_PATH), encoding="utf-8") as handle:
                    learnt = handle.read().strip()
            except OSError:
                return None
            self._learnt = _url_dir(learnt) if is_absolute_url(learnt) else None
        return self._learnt

    def cache_path(self, *names):
        """A path in the data folder's cache/: what publishing can rebuild."""
        return os.path.join(self.get("DataSource"), "cache", *names)


def is_absolute_url(url):
    """Whether `url` names its scheme and host (http://host/...)."""
    scheme, separator, rest = url.partition("://")
    return bool(separator and scheme.isalpha() and rest and not rest.startswith("/"))


def on_origin_of(url, path):
    """`path` (a URL path) on the scheme and host of the absolute `url`."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return "%s://%s/%s" % (scheme, host, path.lstrip("/"))


def _lookup(name):
    if name in DIRECTIVES:
        return name
    lowered = name.lower()
    for known in DIRECTIVES:
        if known.lower() == lowered:
            return known
    return None


def find_config_path(script_dir=None):
    """MT_CONFIG, else mt.cfg in the scripts' folder (cgi-bin/)."""
    named = os.environ.get("MT_CONFIG")
    if named:
        return named
    return os.path.join(script_dir or os.getcwd(), "mt.cfg")


def load(path=None, script_dir=None):
    """The config at `path`, else the one find_config_path names; where no
    file is there, the defaults (many installations never write one)."""
    path = path or find_config_path(script_dir)
    return Config(path) if os.path.exists(path) else Config(path, text="")
