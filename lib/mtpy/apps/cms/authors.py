"""Authors (system administrators only): the list, a new author, and what an
author may do in each weblog."""

from mtpy.actions import ActionError
from mtpy.apps.cms.base import HTTPError
from mtpy.apps.cms.screen import mode

PAGE_SIZE = 50


@mode("authors", admin=True, methods=("GET", "POST"))
def authors(screen):
    from mtpy.actions.authors import create_author
    from mtpy.apps.cms.account import PASSWORD_MISMATCH
    request = screen.request
    errors, values = {}, {"name": "", "email": "", "is_admin": False}
    if request.method == "POST":
        form = request.form
        values = {"name": form.get("name").strip(), "email": form.get("email").strip(),
                  "is_admin": form.get("is_admin") == "1"}
        if form.get("password") != form.get("password_again"):
            errors["password_again"] = PASSWORD_MISMATCH
        else:
            try:
                screen.confirm_password()
                with screen.store.transaction():
                    done = create_author(screen.store, values["name"], values["email"], form.get("password"),
                                         is_admin=values["is_admin"], by=screen.author, ip=request.remote_addr)
            except ActionError as error:
                errors[error.field] = error.message
            else:
                return screen.redirect("author_edit", id=done.record.id, saved="created")
    return _list(screen, errors, values)


def _list(screen, errors, values):
    from mtpy.models import Author, Blog, Permission
    store = screen.store
    found = store.find(Author, order_by="name")
    page, pages, offset = screen.paging(len(found), PAGE_SIZE)
    shown = found[offset:offset + PAGE_SIZE]
    blog_names = {blog.id: blog.name or "Untitled weblog" for blog in store.find(Blog)}
    weblogs = {author.id: [] for author in shown}
    for permission in store.find_in(Permission, "author_id", [author.id for author in shown if not author.is_admin]):
        if permission.can and permission.blog_id in blog_names:
            weblogs[permission.author_id].append(blog_names[permission.blog_id])
    rows = [{"author": author, "weblogs": sorted(weblogs[author.id], key=str.lower)} for author in shown]
    return screen.render("authors.html", rows=rows, errors=errors, values=values, page=page, pages=pages,
                         total=len(found))


@mode("author_edit", admin=True, methods=("GET", "POST"))
def author_edit(screen):
    """An author's name, e-mail address and password (set by the administrator:
    how an imported author, who has neither, is given a login), what they may
    do in each weblog, and whether they are a system administrator (never
    one's own rights: someone else has to remove them). Saving asks for the
    administrator's password again, as adding an author does."""
    from mtpy.actions.authors import PERMISSIONS, PERMISSION_NAMES, edit_author, set_admin, set_password, set_permissions
    from mtpy.apps.cms.account import PASSWORD_MISMATCH
    from mtpy.models import Blog
    store, request = screen.store, screen.request
    author = _author(screen)
    blogs = store.find(Blog, order_by="name")
    granted = _granted(store, author)
    errors = {}
    is_admin = author.is_admin
    values = {"name": author.name, "email": author.email}
    if request.method == "POST":
        form = request.form
        is_admin = form.get("is_admin") == "1"
        # A form of an earlier release, still open in a browser, has no name and e-mail: they stay.
        values = {field: form.get(field, values[field]).strip() for field in values}
        new_password = form.get("new_password")
        wanted = {blog.id: [name for name in PERMISSION_NAMES if name in form.getlist("can_%d" % blog.id)]
                  for blog in blogs}
        try:
            if (new_password or form.get("new_password_again")) and new_password != form.get("new_password_again"):
                raise ActionError(PASSWORD_MISMATCH, "new_password_again")
            screen.confirm_password()
            with store.transaction():
                done = edit_author(store, author, values["name"], values["email"], by=screen.author,
                                   ip=request.remote_addr)
                screen.jobs += done
                subject = done.record
                if new_password:
                    keep = screen.session.id if subject.id == screen.author.id else None
                    subject = set_password(store, subject, new_password, keep_session_id=keep, by=screen.author,
                                           ip=request.remote_addr).record
                set_admin(store, subject, is_admin, by=screen.author, ip=request.remote_addr)
                for blog in blogs:
                    if wanted[blog.id] != granted.get(blog.id, []):
                        set_permissions(store, subject, blog, wanted[blog.id], by=screen.author, ip=request.remote_addr)
        except ActionError as error:
            screen.jobs = []
            field = {"password": "new_password"}.get(error.field, error.field)
            errors[field if field in EDIT_FIELDS else None] = error.message
            granted = wanted
        else:
            return screen.redirect("author_edit", id=author.id, saved="saved")
    return screen.render("author_edit.html", subject=author, values=values, is_admin=is_admin, blogs=blogs,
                         granted=granted, permissions=PERMISSIONS, errors=errors)


EDIT_FIELDS = ("name", "email", "new_password", "new_password_again", "is_admin", "confirm_password")


@mode("author_delete", admin=True, methods=("GET", "POST"))
def author_delete(screen):
    """Deleting an author, on a page that says what happens to their entries
    and categories and asks who gets them (actions.authors.delete_author says
    who may not be deleted)."""
    from mtpy.actions.authors import delete_author, owned_counts
    from mtpy.models import Author
    store, request = screen.store, screen.request
    author = _author(screen)
    others = [other for other in store.find(Author, order_by="name") if other.id != author.id]
    heir_id = screen.author.id if screen.author.id != author.id else (others[0].id if others else None)
    errors = {}
    if request.method == "POST":
        heir_id = screen.int_param("heir_id")
        heir = next((other for other in others if other.id == heir_id), None)
        try:
            screen.confirm_password()
            screen.jobs += delete_author(store, author, heir, by=screen.author, ip=request.remote_addr)
        except ActionError as error:
            errors[error.field if error.field in ("heir_id", "confirm_password") else None] = error.message
        else:
            return screen.redirect("authors", saved="deleted")
    entries, categories = owned_counts(store, author)
    return screen.render("author_delete.html", subject=author, others=others, heir_id=heir_id, errors=errors,
                         entries=entries, categories=categories)


def _author(screen):
    """The author of the `id` parameter; 404 when there is none."""
    from mtpy.models import Author
    author_id = screen.int_param("id")
    author = screen.store.get(Author, author_id) if author_id is not None else None
    if author is None:
        raise HTTPError(404, "No such author.")
    return author


def _granted(store, author):
    """{blog id: [permission names]} of an author."""
    from mtpy.models import Permission
    return {permission.blog_id: list(permission.can) for permission in store.find(Permission, author_id=author.id)}

