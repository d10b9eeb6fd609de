"""The activity log: logins, pings received and refused, bans, deletions,
rebuilds, newest first. A system administrator sees every line; another
author only the lines of their weblogs (no one's logins), and no addresses:
neither the address each line came from (other authors', pings' senders')
nor the one a ban names."""

from mtpy.apps.cms.screen import mode

PAGE_SIZE = 50


@mode("activity")
def activity(screen):
    from mtpy.actions.activity import KINDS, NAMING_AN_ADDRESS
    from mtpy.models import Blog
    store = screen.store
    blog_ids = None if screen.author.is_admin else [blog.id for blog in screen.weblogs()]
    total = store.count_activity(blog_ids=blog_ids) if blog_ids != [] else 0
    page, pages, offset = screen.paging(total, PAGE_SIZE)
    lines = store.list_activity(blog_ids=blog_ids, limit=PAGE_SIZE, offset=offset) if total else []
    blog_names = {blog.id: blog.name or "Untitled weblog" for blog in store.find(Blog)}
    return screen.render("activity.html", lines=lines, kinds=KINDS, blog_names=blog_names, page=page, pages=pages,
                         total=total, everything=blog_ids is None, addresses=screen.author.is_admin,
                         naming_an_address=NAMING_AN_ADDRESS)
