"""A PostgreSQL server of the test run's own, and the mt.cfg lines naming its databases."""

import glob
import os
import shutil
import subprocess
import tempfile

from support.environment import FAKE_CLOCK, need, unavailable


class PostgresServer:
    """A PostgreSQL server of our own for the test run: a new cluster in a
    temporary folder, listening on a Unix socket there only (no TCP port to find
    or to clash with the system's cluster), stopped and deleted at the end.

    PostgreSQL refuses to run as root: as root, it runs as the `postgres` system
    user (Debian's package creates it). Authentication is `trust`, so the
    scripts reach it as whichever user the web server runs them (root under
    lighttpd, www-data under Apache) by naming the role in mt.cfg.
    """

    ROLE = "mtpy"
    PORT = 5432   # only names the socket file, inside our own folder
    running = None  # the server of this test run, once started

    def __init__(self):
        self.bin = postgres_programs()
        if self.bin is None:
            unavailable("PostgreSQL is not installed (Debian package postgresql)")
        self.as_owner = []
        if os.geteuid() == 0:
            try:
                import pwd
                owner = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("there is no postgres user to run PostgreSQL as (not as root)")
            self.as_owner = [need("runuser"), "-u", "postgres", "--"]
        # Not under pytest's tmp_path: its folders are private to root, and the
        # postgres user (and www-data, for the socket) must reach this one. In
        # memory where there is a RAM disk: nothing of this cluster needs a disk,
        # and each test's CREATE DATABASE writes megabytes.
        ram = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
        self.folder = tempfile.mkdtemp(prefix="mtpy-postgres-", dir=ram)
        self.data = os.path.join(self.folder, "data")
        self.socket = os.path.join(self.folder, "socket")
        os.mkdir(self.data, 0o700)
        os.mkdir(self.socket)
        for path in (self.folder, self.socket):
            os.chmod(path, 0o755)
        if self.as_owner:
            for path in (self.folder, self.data, self.socket):
                os.chown(path, owner.pw_uid, owner.pw_gid)
        self.databases = []   # created for the current test
        self.count = 0
        self.admin = None

    def _run(self, *command):
        # Without the fake clock: the server keeps real time, and libfaketime's
        # shared semaphore, made by root, is not the postgres user's to open.
        environment = {name: value for name, value in os.environ.items() if name not in FAKE_CLOCK}
        done = subprocess.run(self.as_owner + [os.path.join(self.bin, command[0])] + list(command[1:]),
                              cwd=self.folder, capture_output=True, text=True, timeout=120, env=environment)
        if done.returncode != 0:
            raise RuntimeError("%s failed: %s%s" % (command[0], done.stdout, done.stderr))

    def start(self):
        self._run("initdb", "--pgdata", self.data, "--username", "postgres", "--auth", "trust",
                  "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            # Durability is not what is tested; speed is welcome.
            conf.write("listen_addresses = ''\nunix_socket_directories = '%s'\nport = %d\n"
                       "fsync = off\nfull_page_writes = off\nsynchronous_commit = off\n"
                       % (self.socket, self.PORT))
        self._run("pg_ctl", "--pgdata", self.data, "--log", os.path.join(self.folder, "server.log"),
                  "--wait", "start")
        import psycopg
        self.admin = psycopg.connect(host=self.socket, port=self.PORT, user="postgres", dbname="postgres",
                                     autocommit=True)
        self.admin.execute("CREATE ROLE %s LOGIN" % self.ROLE)
        PostgresServer.running = self

    def stop(self):
        """Stop the server (if it started) and delete its files."""
        PostgresServer.running = None
        if self.admin is not None:
            self.admin.close()
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run("pg_ctl", "--pgdata", self.data, "--mode", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def new_database(self):
        """The name of a new, empty database, owned by the role the tests use."""
        self.count += 1
        name = "mtpy_test_%d" % self.count
        self.admin.execute("CREATE DATABASE %s OWNER %s" % (name, self.ROLE))
        self.databases.append(name)
        return name

    def drop_databases(self):
        """Drop the current test's databases (FORCE: a script's forked worker may
        still be connected)."""
        while self.databases:
            self.admin.execute("DROP DATABASE %s WITH (FORCE)" % self.databases.pop())

    def directives(self, database):
        return "Database %s\nDBHost %s\nDBPort %d\nDBUser %s\n" % (database, self.socket, self.PORT, self.ROLE)

    def environment(self, database):
        """libpq's variables naming a database: used where a test's mt.cfg names none."""
        return {"PGDATABASE": database, "PGHOST": self.socket, "PGPORT": str(self.PORT), "PGUSER": self.ROLE}


def postgres_programs():
    """The folder of initdb, pg_ctl and postgres: Debian keeps them out of PATH,
    in one folder per major version (the newest wins)."""
    found = glob.glob("/usr/lib/postgresql/*/bin/initdb")
    found.sort(key=lambda path: int(path.split("/")[-3]) if path.split("/")[-3].isdigit() else 0)
    initdb = found[-1] if found else shutil.which("initdb")
    return os.path.dirname(initdb) if initdb else None


def new_store_directives(backend):
    """mt.cfg lines placing a new, empty store of this backend beyond its
    DataSource: for PostgreSQL, a new database of the test run's server."""
    if backend != "postgres":
        return ""
    server = PostgresServer.running
    if server is None:
        raise RuntimeError("a PostgreSQL store outside the `backend` fixture: no server started")
    return server.directives(server.new_database())
