"""Password hashes: PBKDF2-SHA256 with a random salt, from the standard library.

A hash is `pbkdf2_sha256$<iterations>$<salt>$<digest>`, so each keeps the count it
was made with. New hashes take ITERATIONS (OWASP's figure for PBKDF2-SHA256 in
2023); a login with an older, lower count is hashed again (needs_rehash). A
count below MIN_ITERATIONS was never written by mtpy (every release since the
first used 200,000): such a hash, planted through a store or a backup, is
refused rather than checked at a cost an attacker chose; so is one above
MAX_ITERATIONS, which would hold a process for minutes.
"""

import base64
import hashlib
import hmac
import os

ITERATIONS = 600000
MIN_ITERATIONS = 200000
MAX_ITERATIONS = 10 * ITERATIONS


def hash_password(password):
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, ITERATIONS)
    return "pbkdf2_sha256$%d$%s$%s" % (ITERATIONS, _b64(salt), _b64(digest))


def check_password(password, stored):
    """Whether `password` matches the stored hash. A hash of another scheme, a
    damaged one, or one whose count is outside MIN_ITERATIONS..MAX_ITERATIONS
    matches nothing."""
    iterations = stored_iterations(stored)
    if iterations is None:
        return False
    _, _, salt, digest = stored.split("$")
    try:
        expected = base64.b64decode(digest)
        salt = base64.b64decode(salt)
    except ValueError:
        return False
    actual = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(expected, actual)


def needs_rehash(stored):
    """Whether a hash that matched was made with fewer iterations than new ones get."""
    iterations = stored_iterations(stored)
    return iterations is not None and iterations < ITERATIONS


def stored_iterations(stored):
    """The iteration count of a well-formed hash of ours within the accepted
    range, else None."""
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 4 or parts[0] != "pbkdf2_sha256" or not (parts[1].isascii() and parts[1].isdigit()):
        return None
    iterations = int(parts[1])
    return iterations if MIN_ITERATIONS <= iterations <= MAX_ITERATIONS else None


def _b64(data):
    return base64.b64encode(data).decode("ascii")
