"""Pingback 1.0's wire protocol (hixie.ch/specs/pingback/pingback): reading a
`pingback.ping` call and writing its answer for the Pingback server, and
finding the Pingback server a page announces for the sender. What is done with
a Pingback is mtpy.actions' (receive, linkback, sending), as for TrackBack."""
