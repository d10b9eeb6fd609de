"""IP banning: the addresses, prefixes ("192.168.") and CIDR ranges that may
not ping a weblog; adding and removing one."""

from mtpy.actions import ActionError
from mtpy.apps.cms.screen import mode

PAGE_SIZE = 50


@mode("bans", permission="bans")
def bans(screen):
    return _list(screen)


@mode("ban_add", permission="bans", methods=("POST",))
def ban_add(screen):
    from mtpy.actions.bans import add_ban
    address, note = screen.request.form.get("address"), screen.request.form.get("note")
    try:
        with screen.store.transaction():
            add_ban(screen.store, screen.blog, address, author=screen.author, ip=screen.request.remote_addr,
                    note=note)
    except ActionError as error:
        return _list(screen, errors={error.field: error.message}, address=address, note=note)
    return screen.redirect("bans", blog_id=screen.blog.id, saved="banned")


@mode("ban_remove", permission="bans", methods=("POST",))
def ban_remove(screen):
    from mtpy.actions.bans import remove_ban
    try:
        with screen.store.transaction():
            remove_ban(screen.store, screen.blog, screen.request.form.get("address"), author=screen.author,
                       ip=screen.request.remote_addr)
    except ActionError as error:
        return _list(screen, errors={None: error.message})
    return screen.redirect("bans", blog_id=screen.blog.id, saved="unbanned")


def _list(screen, errors=None, address="", note=""):
    """The weblog's bans, newest first, each with who added it (None: `mtpy`,
    a rule or an import), when ("" before schema 11 kept it) and the note."""
    from mtpy.models import Author, IPBan
    found = screen.store.find(IPBan, blog_id=screen.blog.id, order_by="id", desc=True)
    page, pages, offset = screen.paging(len(found), PAGE_SIZE)
    shown = found[offset:offset + PAGE_SIZE]
    authors = {author_id: screen.store.get(Author, author_id)
               for author_id in {ban.author_id for ban in shown} if author_id is not None}
    rows = [{"ban": ban, "author": authors.get(ban.author_id)} for ban in shown]
    return screen.render("bans.html", rows=rows, total=len(found), page=page, pages=pages, errors=errors or {},
                         address=address, note=note, active="bans")
