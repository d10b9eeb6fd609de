"""Stock WordPress 6.1 from Debian on 127.0.0.1, as a peer for mtpy's TrackBack
and Pingback (make wordpress-check: bench/wordpress_check.py; docs/development.md).

`WordPress(parent)` lays out a test site in a temporary folder under `parent`:
MariaDB with a data folder and socket of its own (no TCP port: WordPress reaches
it by the socket), Debian's /usr/share/wordpress served by lighttpd and php-cgi
(FastCGI) on a free 127.0.0.1 port, and WordPress's own installation
(wp-admin/install.php, as a new owner completes it). Debian's wp-config.php reads
/etc/wordpress/config-NAME.php for the name the web server passes in
WORDPRESS_CONFIG; that file, written for this run only, is removed by stop().

WordPress itself is unchanged but for one must-use plugin in the test site's own
content folder (MU_PLUGIN): stock WordPress fetches and pings no loopback address
and no port but 80, 443 and 8080 (wp_http_validate_url), and every peer here is
127.0.0.1 on a free port. The plugin allows 127.0.0.1, on any port, and refuses
every other host, so the test site never reaches beyond this machine (its update
checks included). Its own pingback and trackback code is what is tested.

    with WordPress(tmp) as wordpress:
        post = wordpress.publish_post("Title", '<a href="http://127.0.0.1:8080/x.html">x</a>')
        wordpress.send_pings()              # what wp-cron does after publishing
        wordpress.comments(post)            # [{"type": "pingback", "author_url": ...}]
"""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client

from support.servers import wait_for_port
from support.sites import free_port

WORDPRESS = "/usr/share/wordpress"
THEMES = os.path.join(WORDPRESS, "wp-content", "themes")
CONFIG_FOLDER = "/etc/wordpress"
ADMIN = "admin"
ADMIN_PASSWORD = "mtpy-check-wordpress-1"
TITLE = "mtpy check WordPress"
# The test site's one change to stock WordPress (see the module's docstring).
MU_PLUGIN = """<?php
/*
 * Plugin Name: mtpy wordpress-check: peers on 127.0.0.1
 * Description: For mtpy's make wordpress-check only (tests/support/wordpress.py).
 * Stock WordPress refuses to fetch or ping loopback addresses and ports other than
 * 80, 443 and 8080; this test's peers all listen on 127.0.0.1 on free ports.
 * Every other host is refused, so the test site reaches nothing beyond this machine.
 */
function mtpy_check_is_loopback( $url ) {
	return '127.0.0.1' === parse_url( $url, PHP_URL_HOST );
}
add_filter( 'pre_http_request', function ( $answer, $args, $url ) {
	if ( false === $answer && ! mtpy_check_is_loopback( $url ) ) {
		return new WP_Error( 'http_request_not_executed', 'mtpy wordpress-check: only 127.0.0.1 is reached' );
	}
	return $answer;
}, 10, 3 );
add_filter( 'http_request_host_is_external', function ( $external, $host ) {
	return $external || '127.0.0.1' === $host;
}, 10, 2 );
add_filter( 'http_allowed_safe_ports', function ( $ports, $host, $url ) {
	$port = parse_url( $url, PHP_URL_PORT );
	return ( '127.0.0.1' === $host && $port ) ? array_merge( (array) $ports, array( $port ) ) : $ports;
}, 10, 3 );
"""
CONFIG = """<?php
/* mtpy's make wordpress-check (tests/support/wordpress.py), this run only: removed when it stops. */
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', 'localhost:{socket}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
define( 'WP_HOME', '{base}' );
define( 'WP_SITEURL', '{base}' );
define( 'WP_CONTENT_DIR', '{content}' );
define( 'WP_CONTENT_URL', '{base}wp-content' );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );   /* requests to this site's own host only */
define( 'AUTOMATIC_UPDATER_DISABLED', true );
{keys}
"""
LIGHTTPD = """\
server.port = {port}
server.bind = "127.0.0.1"
server.document-root = "{wordpress}"
server.errorlog = "{run}/lighttpd-error.log"
server.pid-file = "{run}/lighttpd.pid"
server.modules = ("mod_access", "mod_alias", "mod_rewrite", "mod_setenv", "mod_fastcgi")
index-file.names = ("index.php")
mimetype.assign = (".css" => "text/css", ".js" => "text/javascript", ".png" => "image/png",
                   ".svg" => "image/svg+xml", ".woff2" => "font/woff2", ".html" => "text/html")
alias.url = ("/wp-content/" => "{content}/")
url.access-deny = ("~", ".inc", ".htaccess")
setenv.add-environment = ("WORDPRESS_CONFIG" => "{name}")
# WordPress's own permalinks ("pretty" ones, which its installer switches on when
# they work): every path that is not a file goes to index.php.
url.rewrite-if-not-file = ("^/(wp-admin|wp-includes|wp-content)(/|$)" => "$0", "" => "/index.php${{qsa}}")
fastcgi.server = (".php" => ((
    "socket" => "{run}/php.socket",
    "bin-path" => "/usr/bin/php-cgi",
    "max-procs" => 1,
    # WordPress's pingback server holds a worker while it fetches the source,
    # which may be a page of this site: more than one worker.
    "bin-environment" => ("PHP_FCGI_CHILDREN" => "3", "PHP_FCGI_MAX_REQUESTS" => "10000"),
    "broken-scriptfilename" => "enable",
)))
"""


class WordPressError(RuntimeError):
    """The test site could not be set up, or did not do what was asked."""


class WordPress:
    """Stock WordPress on 127.0.0.1 with its own MariaDB, in a temporary folder
    under `parent`. start() (or `with`) sets it all up, stop() removes it all."""

    def __init__(self, parent=None, timeout=90):
        self.timeout = timeout
        self.folder = tempfile.mkdtemp(prefix="wordpress-", dir=parent)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d/" % self.port
        # Debian's wp-config.php takes a name of letters, digits and "-" only.
        self.name = "mtpy-check-%d-%d" % (os.getpid(), self.port)
        self.config_file = os.path.join(CONFIG_FOLDER, "config-%s.php" % self.name)
        self.content = os.path.join(self.folder, "wp-content")
        self.socket = os.path.join(self.folder, "mysql.sock")
        self.database = None
        self.web_server = None
        self.started_in = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # -- setting up and taking down ------------------------------------------

    def start(self):
        """MariaDB, the site's config and content folder, lighttpd with php-cgi,
        then WordPress's installation; the seconds it took in `started_in`."""
        began = time.monotonic()
        for program in ("mariadbd", "mariadb-install-db", "php-cgi", "lighttpd"):
            if not shutil.which(program) and not os.path.exists("/usr/sbin/" + program):
                raise WordPressError("%s is not installed (make wordpress-check installs it)" % program)
        if not os.path.exists(os.path.join(WORDPRESS, "wp-config.php")):
            raise WordPressError("Debian's wordpress package is not installed (make wordpress-check installs it)")
        _remove_left_configs()
        try:
            self._start_database()
            self._write_site()
            self._start_web_server()
            self._install()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began

    def stop(self):
        """Everything start() began, ended and removed (safe to call twice)."""
        if self.web_server is not None:
            _end(self.web_server)       # its process group: lighttpd and its php-cgi workers
            self.web_server = None
        if self.database is not None:
            _end(self.database)
            self.database = None
        if os.path.exists(self.config_file):
            os.remove(self.config_file)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _start_database(self):
        data = os.path.join(self.folder, "mysql")
        small = ["--innodb-log-file-size=8M", "--innodb-data-file-path=ibdata1:8M:autoextend"]
        _run(["mariadb-install-db", "--no-defaults", "--datadir=" + data, "--user=root", "--skip-test-db",
              "--auth-root-authentication-method=normal", "--skip-name-resolve"] + small,
             os.path.join(self.folder, "mysql-install.log"))
        log = open(os.path.join(self.folder, "mysql.log"), "wb")
        # No TCP at all (--skip-networking): nothing but this site can reach it.
        self.database = subprocess.Popen(
            [_program("mariadbd"), "--no-defaults", "--datadir=" + data, "--socket=" + self.socket,
             "--skip-networking", "--user=root", "--pid-file=" + os.path.join(self.folder, "mysql.pid"),
             "--innodb-buffer-pool-size=32M", "--skip-name-resolve", "--performance-schema=off"] + small,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 30
        while True:
            done = subprocess.run(self._sql_command("CREATE DATABASE IF NOT EXISTS wordpress", database=None),
                                  capture_output=True, text=True)
            if done.returncode == 0:
                return
            if self.database.poll() is not None or time.monotonic() > deadline:
                raise WordPressError("MariaDB did not start: %s" % _tail(os.path.join(self.folder, "mysql.log")))
            time.sleep(0.1)

    def _write_site(self):
        os.makedirs(os.path.join(self.content, "mu-plugins"))
        os.makedirs(os.path.join(self.content, "plugins"))
        os.makedirs(os.path.join(self.content, "uploads"))
        os.symlink(THEMES, os.path.join(self.content, "themes"))
        with open(os.path.join(self.content, "mu-plugins", "mtpy-check-loopback.php"), "w") as handle:
            handle.write(MU_PLUGIN)
        keys = "\n".join("define( '%s', '%s' );" % (key, os.urandom(24).hex()) for key in (
            "AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
            "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
        if not os.path.isdir(CONFIG_FOLDER):
            raise WordPressError("%s is missing (Debian's wordpress package makes it)" % CONFIG_FOLDER)
        with open(self.config_file, "w") as handle:
            handle.write(CONFIG.format(socket=self.socket, base=self.base, content=self.content, keys=keys))

    def _start_web_server(self):
        config = os.path.join(self.folder, "lighttpd.conf")
        with open(config, "w") as handle:
            handle.write(LIGHTTPD.format(port=self.port, wordpress=WORDPRESS, run=self.folder,
                                         content=self.content, name=self.name))
        self.web_server = subprocess.Popen([_program("lighttpd"), "-D", "-f", config], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, start_new_session=True)
        try:
            wait_for_port(self.port, self.web_server)
        except RuntimeError as error:
            raise WordPressError("lighttpd: %s %s" % (error, _tail(os.path.join(self.folder, "lighttpd-error.log"))))

    def _install(self):
        """wp-admin/install.php's second step, as the form posts it."""
        answer = self.request("wp-admin/install.php?step=2", {
            "weblog_title": TITLE, "user_name": ADMIN, "admin_password": ADMIN_PASSWORD,
            "admin_password2": ADMIN_PASSWORD, "pw_weak": "1", "admin_email": "admin@example.com",
            # "Discourage search engines" left unticked, as by default: ticked,
            # WordPress's installer also turns its pingbacks off.
            "blog_public": "1", "language": "", "Submit": "Install WordPress"}, timeout=self.timeout)
        if "Success!" not in answer:
            raise WordPressError("WordPress's installation did not succeed: %s" % answer[-2000:])

    # -- talking to it --------------------------------------------------------

    def request(self, path, form=None, timeout=30):
        """The text of the site's page at `path` (GET, or POST of `form`)."""
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with _opener.open(urllib.request.Request(self.base + path, data=data), timeout=timeout) as answer:
                return answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            raise WordPressError("%s: HTTP %d %s" % (path, error.code, error.read()[:500]))

    def xmlrpc(self):
        return xmlrpc.client.ServerProxy(self.base + "xmlrpc.php", transport=_BoundedTransport())

    def sql(self, statement):
        """The rows of one SQL statement in WordPress's database (tab-separated
        text, as the mariadb client prints them)."""
        done = subprocess.run(self._sql_command(statement), capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise WordPressError("SQL %r failed: %s" % (statement, done.stderr))
        return [line.split("\t") for line in done.stdout.splitlines()]

    def _sql_command(self, statement, database="wordpress"):
        return ["mariadb", "--no-defaults", "--socket=" + self.socket, "-uroot", "-N", "-B", "-e", statement] + (
            [database] if database else [])

    def option(self, name):
        rows = self.sql("SELECT option_value FROM wp_options WHERE option_name = '%s'" % name.replace("'", ""))
        return rows[0][0] if rows else None

    def publish_post(self, title, content):
        """A published post (the admin's, by XML-RPC wp.newPost, as a desktop
        editor publishes one): its id. WordPress queues its pings (do_pings)."""
        post_id = self.xmlrpc().wp.newPost(1, ADMIN, ADMIN_PASSWORD, {
            "post_title": title, "post_content": content, "post_status": "publish"})
        return int(post_id)

    def permalink(self, post_id):
        return self.xmlrpc().wp.getPost(1, ADMIN, ADMIN_PASSWORD, post_id, ["link"])["link"]

    def trackback_url(self, post_id):
        """The post's TrackBack URL (get_trackback_url with pretty permalinks;
        stock WordPress's pages no longer print it)."""
        link = self.permalink(post_id)
        if "?" in link:
            return "%swp-trackback.php?p=%d" % (self.base, post_id)
        return link.rstrip("/") + "/trackback/"

    def send_pings(self, timeout=60):
        """Run WordPress's scheduled work as its cron does (a GET of
        wp-cron.php runs what is due: do_pings sends the published posts'
        pingbacks and trackbacks), until no post waits for its pings and no
        cron run (one this site started itself) is under way."""
        deadline = time.monotonic() + timeout
        while True:
            self.request("wp-cron.php", timeout=timeout)
            waiting = self.sql("SELECT COUNT(*) FROM wp_postmeta WHERE meta_key IN ('_pingme', '_trackbackme')")
            if waiting[0][0] == "0" and self.option("_transient_doing_cron") is None:
                return
            if time.monotonic() > deadline:
                raise WordPressError("WordPress's pings were not sent within %d s" % timeout)
            time.sleep(0.5)

    def pinged(self, post_id):
        """The URLs WordPress counts as told of the post (its `pinged` list)."""
        # One URL a line; the client would print the line breaks as "\\n".
        rows = self.sql("SELECT REPLACE(pinged, '\\n', ' ') FROM wp_posts WHERE ID = %d" % int(post_id))
        return rows[0][0].split() if rows else []

    def wait_out_comment_flood(self, address="127.0.0.1", seconds=15):
        """Wait until WordPress takes a comment from `address` again: it
        refuses one (a trackback or pingback too: fault 429, "You are posting
        comments too quickly") within 15 s of the last from the same address
        (wp_check_comment_flood), and every peer here is 127.0.0.1."""
        rows = self.sql("SELECT TIMESTAMPDIFF(SECOND, MAX(comment_date_gmt), UTC_TIMESTAMP()) FROM wp_comments "
                        "WHERE comment_author_IP = '%s'" % address.replace("'", ""))
        since = rows[0][0] if rows else "NULL"
        if since != "NULL":
            time.sleep(max(0, seconds + 1 - int(since)))

    def comments(self, post_id):
        """The post's comments, pingbacks and trackbacks, approved or held, as
        XML-RPC wp.getComments gives them (type, author, author_url, status,
        content, link...)."""
        return self.xmlrpc().wp.getComments(1, ADMIN, ADMIN_PASSWORD, {"post_id": post_id, "number": 100})


class _BoundedTransport(xmlrpc.client.Transport):
    """XML-RPC calls that give up after 30 s (its own transport waits forever)."""

    def make_connection(self, host):
        connection = xmlrpc.client.Transport.make_connection(self, host)
        connection.timeout = 30
        return connection


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# The site is reached directly (never through a proxy from the environment).
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects())


def _remove_left_configs():
    """The configs of earlier runs whose process is gone (killed before stop())."""
    for name in os.listdir(CONFIG_FOLDER) if os.path.isdir(CONFIG_FOLDER) else ():
        found = re.match(r"config-mtpy-check-(\d+)-\d+\.php$", name)
        if found and not os.path.exists("/proc/%s" % found.group(1)):
            os.remove(os.path.join(CONFIG_FOLDER, name))


def _program(name):
    return shutil.which(name) or "/usr/sbin/" + name


def _run(command, log, timeout=120):
    """Run a set-up command to its end; stopped, its children too, if
    interrupted (mariadb-install-db runs mariadbd)."""
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        returncode = process.wait(timeout=timeout)
    except BaseException:
        _end(process)
        raise
    if returncode != 0:
        raise WordPressError("%s failed: %s" % (command[0], _tail(log)))


def _tail(path, size=2000):
    try:
        with open(path, "rb") as handle:
            return handle.read()[-size:].decode("utf-8", "replace")
    except OSError:
        return ""


def _end(process, timeout=20):
    """End a process and the group it leads (started with start_new_session)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    try:        # what the leader left of its group (lighttpd's php-cgi workers)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
