"""The TrackBack protocol: receiving, the XML envelope, RSS, discovery data."""
