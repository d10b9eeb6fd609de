"""Records a test puts straight into a store."""

from mtpy import dates
from mtpy.models import Author, Blog, Entry, Job

def weblog(store, **values):
    """A weblog (`values`) with an author and an entry of an hour ago: (blog, the entry's TrackBack item)."""
    author = Author(name="Mel", email="mel@example.com")
    store.save(author)
    blog = Blog(name="B", **values)
    store.save(blog)
    entry = Entry(blog_id=blog.id, author_id=author.id, title="E", created_on=dates.utc_now(-3600))
    store.save(entry)
    return blog, store.trackback_for(entry=entry)


def make_due(store):
    """The jobs' backoff, passed (the clock is not waited for)."""
    for job in store.find(Job):
        job.not_before = dates.utc_now()
        store.update(job)
