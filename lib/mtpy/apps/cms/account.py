"""First visit (set-up), logging in and out, the author's own profile."""

import os

from mtpy import web
from mtpy.actions import ActionError
from mtpy.apps.cms.screen import KEPT_PREFIX, RESUMED, SESSION_ENDED_GET, form_pairs, kept_fields, mode

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
    """The login form. After the login: back to `return_to` (an address of
    this script), where a form that was not saved is shown again filled in
    when the login form carries what it typed (`typed.` fields)."""
    from mtpy import sessions
    from mtpy.actions.authors import authenticate
    from mtpy.models import Author
    if not screen.store.find(Author, limit=1):
        return screen.redirect("setup")
    request = screen.request
    return_to = screen.app.safe_redirect_target(request, request.param("return_to"), None)
    kept = kept_fields(form_pairs(request.form, KEPT_PREFIX)) or ()
    if request.method == "POST":
        name = request.form.get("username").strip()
        wait = sessions.login_wait(screen.store, request.remote_addr, name)
        if wait:
            return too_many_failures(screen, "login.html", wait, name=name, return_to=return_to,
                                     carried=_carried(kept))
        author = authenticate(screen.store, name, request.form.get("password"), screen.config.get("LogFile"))
        if author is None:
            sessions.record_failed_login(screen.store, request.remote_addr, name)
            return login_page(screen, status=403, name=name, errors={None: "Invalid login: the name or the password "
                                                                           "is wrong."}, return_to=return_to, kept=kept)
        if kept and return_to:
            return _log_in_to_resume(screen, author, return_to, kept)
        return log_in(screen, author, return_to or screen.url("dashboard"))
    if screen.author is not None:
        return web.redirect(return_to or screen.url("dashboard"))
    ended = return_to is not None and sessions.COOKIE in request.cookies    # the browser had a session
    return login_page(screen, return_to=return_to, reason=SESSION_ENDED_GET if ended else None)


def login_page(screen, status=200, name="", errors=None, return_to=None, kept=(), reason=None):
    """The login form, coming back to `return_to` and carrying `kept` (what a
    form not saved had typed) in hidden fields; `reason`: why it is shown."""
    screen.warning = reason
    return screen.render("login.html", status=status, name=name, errors=errors or {}, return_to=return_to,
                         carried=_carried(kept))


def _carried(kept):
    """The hidden fields that carry `kept` through the login form."""
    return [(KEPT_PREFIX + name, value) for name, value in kept]


def _log_in_to_resume(screen, author, target, kept):
    """Log in, and answer with the screen at `target` showing what was typed
    again (CMSApp.resume), under the new session and its form token."""
    from mtpy import sessions
    screen.session, cookie = _start_session(screen, author)
    screen.author = author
    response = screen.app.resume(screen, target, kept, RESUMED)
    sessions.set_cookie(response, screen.request, screen.config, cookie)
    return response


def too_many_failures(screen, template, wait, **values):
    """The form again, saying how long to wait (429, with Retry-After)."""
    values["errors"] = {None: wait_message(wait)}
    response = screen.render(template, status=429, **values)
    response.headers.append(("Retry-After", str(wait)))
    return response


def wait_message(wait):
    return "Too many failed logins. Try again in %s." % wait_duration(wait)


def as_logged_out(screen):
    """A page for whoever cannot log in is shown as before a login, even to a
    browser logged in as someone: its form then carries the token of the form
    cookie, which the application checks for the modes that need no login."""
    screen.session = screen.author = None


def wait_duration(wait):
    """"15 seconds", "12 minutes": how long a refused form must wait."""
    if wait < 120:
        return "%d second%s" % (wait, "" if wait == 1 else "s")
    return "%d minutes" % ((wait + 59) // 60)


def log_in(screen, author, target):
    """Start a session for the author and go to `target` with its cookie."""
    from mtpy import sessions, web
    _, cookie = _start_session(screen, author)
    response = web.redirect(target)
    sessions.set_cookie(response, screen.request, screen.config, cookie)
    return response


def _start_session(screen, author):
    """(the new Session, its cookie's value), the login in the activity log."""
    from mtpy import sessions
    from mtpy.actions.activity import record
    with screen.store.transaction():
        session, cookie = sessions.start(screen.store, screen.config, author, screen.request)
        record(screen.store, "login", "%s logged in" % author.name, author=author, ip=screen.request.remote_addr)
    return session, cookie


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


# -- a way back in: a reset link by e-mail, and the recovery file ---------------------

@mode("forgot", login=False, methods=("GET", "POST"))
def forgot(screen):
    """"Forgot your password?": a single-use link mailed to the author named
    (or to those with the e-mail address typed). The page says the same, with
    the same status, whether or not anyone was found or mailed, and the mail
    goes out after the answer (its time tells nothing either)."""
    from mtpy import sessions
    from mtpy.actions.activity import record
    from mtpy.actions.authors import RESET_LIFETIME, authors_to_reset, start_reset
    request, store = screen.request, screen.store
    as_logged_out(screen)
    if request.method != "POST":
        return screen.render("forgot.html", typed="", errors={})
    typed = request.form.get("name").strip()
    if not typed:
        return screen.render("forgot.html", typed="", errors={"name": "Type your name or your e-mail address."})
    ip = request.remote_addr
    wait = sessions.reset_wait(store, ip)
    if wait:
        response = screen.render("forgot.html", status=429, typed=typed, errors={None: (
            "Too many requests for a new password from your address. Try again in %s."
            % wait_duration(wait))})
        response.headers.append(("Retry-After", str(wait)))
        return response
    mails, said = [], []
    with store.transaction():       # one commit, whether anyone was found or not
        for author in authors_to_reset(store, typed):
            if not sessions.reset_mails_left(store, author.name):
                said.append("not mailed to %s, who was sent %d links in the last hour" % (
                    author.name, sessions.RESET_MAILS_PER_AUTHOR))
                continue
            mails.append((author, start_reset(store, author)))
            said.append("a link was mailed to %s" % author.name)
        record(store, "reset_asked", "New password asked for %s: %s" % (
            sessions.login_name(typed), "; ".join(said) or "no author of that name or e-mail address "
                                                           "has an e-mail address, nothing was sent"),
               ip=sessions.login_sender(ip), author_name=sessions.login_name(typed))
        for author, _ in mails:
            record(store, "reset_mailed", "Mailed a password reset link to %s" % author.name, author=author,
                   ip=sessions.login_sender(ip))
    response = screen.render("forgot.html", typed=typed, errors={}, sent=True)
    if mails:
        link = _reset_link(screen)
        hours = RESET_LIFETIME // 3600
        response.after.append(lambda: _send_reset_mails(screen.config, mails, link, ip, hours))
    return response


def _reset_link(screen):
    """mt.cgi's reset page as a whole URL, from mt.cfg's CGIPath (or the one
    set-up learnt), else on the first weblog's host: never from the request's
    Host header, which whoever asks for the mail chooses."""
    from mtpy.models import Blog
    from mtpy.urls import script_url
    blogs = screen.store.find(Blog, limit=1)
    return script_url(screen.config, "AdminScript", site_url=blogs[0].site_url if blogs else None) + \
        "?__mode=reset&token="


def _send_reset_mails(config, mails, link, ip, hours):
    from mtpy import web
    from mtpy.mail import MailError, password_reset_message, send
    for author, token in mails:
        try:
            send(config, password_reset_message(config, author, link + token, ip, hours))
        except MailError as error:
            web.log_error(config.get("LogFile"), "The password reset mail to %s was not sent: %s" % (
                author.name, error))


RESET_PROBLEMS = {
    "expired": "This link has expired: a reset link works for an hour. Ask for a new one below.",
    "unknown": ("This link does not work any more: it was used already, or a newer one was sent "
                "(only the newest works). Ask for a new one below."),
}


@mode("reset", login=False, methods=("GET", "POST"))
def reset(screen):
    """The page of a reset link: a new password, then logged in; the link is
    spent and every other login of the author ends."""
    from mtpy.actions.authors import author_for_reset, set_password
    request = screen.request
    as_logged_out(screen)
    token = screen.param("token")
    author, problem = author_for_reset(screen.store, token)
    if author is None:
        response = screen.render("reset.html", status=410, problem=RESET_PROBLEMS[problem], errors={})
    elif request.method == "POST":
        errors = {}
        new = request.form.get("password")
        if new != request.form.get("password_again"):
            errors["password_again"] = PASSWORD_MISMATCH
        else:
            try:
                done = set_password(screen.store, author, new, by=author, ip=request.remote_addr,
                                    kind="password_reset", message="Password reset for %s" % author.name)
            except ActionError as error:
                errors[error.field] = error.message
            else:
                response = log_in(screen, done.record, screen.url("dashboard", saved="password"))
                response.headers.append(("Referrer-Policy", "no-referrer"))
                return response
        response = screen.render("reset.html", status=200, subject=author, errors=errors, reset_token=token)
    else:
        response = screen.render("reset.html", subject=author, errors={}, reset_token=token)
    response.headers.append(("Referrer-Policy", "no-referrer"))     # the token stays out of other logs
    return response


RECOVERY_NAME = "(recovery page)"   # the name the recovery page's failures are counted under
RECOVERY_REFUSED = ("Nothing was changed: that is not the code of a recovery file uploaded in the last hour. "
                    "Check the file's name and folder, upload it again, and type the code exactly.")


@mode("recover", login=False, methods=("GET", "POST"))
def recover(screen):
    """The last resort, with FTP only: the code the owner put in the data
    folder's recover.txt (actions.authors.recovery_code_problem) gives a
    system administrator a new password, once. A wrong code counts as a failed
    login (sessions.login_wait), and every refusal reads the same."""
    from mtpy import sessions
    from mtpy.actions.activity import record
    from mtpy.actions.authors import RECOVERY_LIFETIME, recover_admin, recovery_code_problem, recovery_path
    request, store = screen.request, screen.store
    as_logged_out(screen)
    values, errors, status = {"username": "", "email": ""}, {}, 200
    shown = dict(file=_shown_path(screen, recovery_path(screen.config)), minutes=RECOVERY_LIFETIME // 60)
    if request.method == "POST":
        form, ip = request.form, request.remote_addr
        values = {"username": form.get("username").strip(), "email": form.get("email").strip()}
        wait = sessions.login_wait(store, ip, RECOVERY_NAME)
        if wait:
            return too_many_failures(screen, "recover.html", wait, values=values, **shown)
        problem = recovery_code_problem(screen.config, form.get("code"))
        if problem is not None:
            with store.transaction():
                record(store, "login_failed", "Wrong code on the recovery page (%s)" % problem,
                       ip=sessions.login_sender(ip), author_name=RECOVERY_NAME)
            errors[None], status = RECOVERY_REFUSED, 403
        elif form.get("password") != form.get("password_again"):
            errors["password_again"] = PASSWORD_MISMATCH
        else:
            try:
                author = recover_admin(store, screen.config, values["username"], values["email"],
                                       form.get("password"), ip=ip)
            except ActionError as error:
                errors["username" if error.field == "name" else error.field] = error.message
            else:
                return log_in(screen, author, screen.url("dashboard", saved="password"))
    return screen.render("recover.html", status=status, values=values, errors=errors, **shown)
