"""mtpy: Movable Type's TrackBack system as CGI scripts and WSGI applications."""

__version__ = "0.1.0"
