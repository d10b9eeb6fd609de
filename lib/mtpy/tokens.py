"""Random tokens (a session's cookie, a password-reset link, a page's CSP nonce)
and what the store keeps of one: its SHA-256, never the token itself."""

import binascii
import hashlib
import os

_URLSAFE = bytes.maketrans(b"+/", b"-_")


def random_token(size=32):
    """secrets.token_urlsafe(size) without the imports of `secrets` (random) and
    `base64` (re), which would cost a CGI process more than the rest of this."""
    encoded = binascii.b2a_base64(os.urandom(size), newline=False)
    return encoded.rstrip(b"=").translate(_URLSAFE).decode("ascii")


def token_digest(token):
    """What the store keeps of a token: its SHA-256 (hex)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()
