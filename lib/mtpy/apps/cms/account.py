"""First visit (set-up), logging in and out, the author's own profile."""

import os

from mtpy import web
from mtpy.actions import ActionError
from mtpy.apps.cms.screen import mode

PASSWORD_MISMATCH = "The two passwords differ."


@mode("setup", login=False, methods=("GET", "POST"))
def setup(screen):
    """Creates the store, the first author (a system administrator) and the
    first weblog, then logs the author in. Reachable only while no author
    exists: a store left without one by a refused attempt can be set up again.
    Only with the set-up key from the data folder (install.make_setup_key):
    whoever reaches mt.cgi first is not thereby its administrator."""
    from mtpy.actions import install
    request = screen.request
    proposed = _proposals(screen)
    values = dict(proposed, author_name="", email="", setup_key="")
    errors = {}
    try:
        key_path = install.make_setup_key(screen.config)
    except OSError as error:
        web.log_error(screen.config.get("LogFile"), "mt.cgi cannot write its set-up key: %s" % error)
        key_path = install.setup_key_path(screen.config)
        errors[None] = NO_DATA_FOLDER % _shown_path(screen, os.path.dirname(key_path))
    if request.method == "POST" and not errors:
        form = request.form
        values = {name: form.get(name).strip() for name in
                  ("setup_key", "author_name", "email", "blog_name", "site_url", "site_path")}
        password = form.get("password")
        weblog = {"name": values["blog_name"], "site_url": values["site_url"], "site_path": values["site_path"]}
        errors = install.check_set_up(screen.config, values["setup_key"], values["author_name"], values["email"],
                                      password, weblog)
        if password != form.get("password_again"):
            errors.setdefault("password_again", PASSWORD_MISMATCH)
        if not errors:
            try:
                author, screen.jobs = _set_up(screen, values, password, weblog)
            except ActionError as error:
                errors[error.field] = error.message
            else:
                return log_in(screen, author, screen.url("dashboard", saved="welcome"))
    return screen.render("setup.html", values=values, errors=errors, proposed=proposed,
                         key_file=_shown_path(screen, key_path))


NO_DATA_FOLDER = ("mt.cgi cannot write in its data folder %s. Make it writable by the web server "
                  "(over FTP: MKD data, then SITE CHMOD 777 data) and reload this page; mt-check.cgi says more.")


def _set_up(screen, values, password, weblog):
    """Set-up itself, once the form passed check_set_up: the store, the URL of
    cgi-bin/ as this request shows it (in the data folder), the author and the
    weblog; the set-up key is then spent."""
    from mtpy.actions import install
    if screen.store is None:
        from mtpy.store import open_store
        screen.store = open_store(screen.config, create=True)
    install.learn_cgi_path(screen.config, screen.request.script_url.rsplit("/", 1)[0] + "/")
    done = install.set_up(screen.store, screen.config, values["author_name"], values["email"], password, weblog,
                          ip=screen.request.remote_addr)
    install.forget_setup_key(screen.config)
    return done


def _shown_path(screen, path):
    """`path` as the set-up page names it: from the installation's folder
    (where the owner's FTP client starts) when it is inside it."""
    root = os.path.dirname(screen.config.folder)
    relative = os.path.relpath(path, root)
    return path if relative.startswith("..") else relative


def _proposals(screen):
    """The first weblog's name, URL and folder (`archives/` beside `cgi-bin/`)."""
    from mtpy.apps.cms.weblogs import proposed_place
    return dict(proposed_place(screen, "archives"), blog_name="My Weblog")


@mode("login", login=False, methods=("GET", "POST"))
def login(screen):
    from mtpy import sessions
    from mtpy.actions.authors import authenticate
    from mtpy.models import Author
    if not screen.store.find(Author, limit=1):
        return screen.redirect("setup")
    request = screen.request
    errors, name = {}, ""
    if request.method == "POST":
        name = request.form.get("username").strip()
        wait = sessions.login_wait(screen.store, request.remote_addr, name)
        if wait:
            return too_many_failures(screen, "login.html", wait, name=name)
        author = authenticate(screen.store, name, request.form.get("password"), screen.config.get("LogFile"))
        if author is None:
            sessions.record_failed_login(screen.store, request.remote_addr, name)
            errors[None] = "Invalid login: the name or the password is wrong."
            return screen.render("login.html", status=403, name=name, errors=errors)
        target = screen.app.safe_redirect_target(request, request.form.get("return_to"), screen.url("dashboard"))
        return log_in(screen, author, target)
    if screen.author is not None:
        return screen.redirect("dashboard")
    return screen.render("login.html", name=name, errors=errors)


def too_many_failures(screen, template, wait, **values):
    """The form again, saying how long to wait (429, with Retry-After)."""
    values["errors"] = {None: wait_message(wait)}
    response = screen.render(template, status=429, **values)
    response.headers.append(("Retry-After", str(wait)))
    return response


def wait_message(wait):
    if wait < 120:
        return "Too many failed logins. Try again in %d second%s." % (wait, "" if wait == 1 else "s")
    return "Too many failed logins. Try again in %d minutes." % ((wait + 59) // 60)


def log_in(screen, author, target):
    """Start a session for the author and go to `target` with its cookie."""
    from mtpy import sessions, web
    from mtpy.actions.activity import record
    with screen.store.transaction():
        session, cookie = sessions.start(screen.store, screen.config, author, screen.request)
        record(screen.store, "login", "%s logged in" % author.name, author=author, ip=screen.request.remote_addr)
    response = web.redirect(target)
    sessions.set_cookie(response, screen.request, screen.config, cookie)
    return response


@mode("logout", methods=("POST",))
def logout(screen):
    from mtpy import sessions
    from mtpy.actions.activity import record
    with screen.store.transaction():
        sessions.end(screen.store, screen.session)
        record(screen.store, "logout", "%s logged out" % screen.author.name, author=screen.author,
               ip=screen.request.remote_addr)
    response = screen.redirect("login", saved="logged_out")
    sessions.clear_cookie(response, screen.request, screen.config)
    return response


@mode("profile", methods=("GET", "POST"))
def profile(screen):
    from mtpy.actions.authors import change_email, change_password
    request = screen.request
    errors = {}
    email = screen.author.email
    if request.method == "POST":
        form = request.form
        email = form.get("email").strip()
        new = form.get("new_password")
        try:
            if new or form.get("new_password_again"):
                if new != form.get("new_password_again"):
                    raise ActionError(PASSWORD_MISMATCH, "new_password_again")
                change_password(screen.store, screen.author, form.get("old_password"), new,
                                keep_session_id=screen.session.id, ip=request.remote_addr)
                notice = "password"
            else:
                notice = "saved"
            if email != screen.author.email:
                change_email(screen.store, screen.author, email, ip=request.remote_addr)
        except ActionError as error:
            errors[error.field] = error.message
        else:
            return screen.redirect("profile", saved=notice)
    return screen.render("profile.html", email=email, errors=errors)
