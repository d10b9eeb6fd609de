"""Webmention's wire protocol (W3C Recommendation, 2017-01-12): the receiver's
checks of a request's source and target, and finding the endpoint a page
announces (its Link headers, then its first <link> or <a>) for the sender.
What is done with a Webmention is mtpy.actions' (receive, linkback, sending)."""
