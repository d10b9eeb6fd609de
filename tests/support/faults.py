"""Real faults where the machine allows (root): a read-only bind mount, a small
tmpfs filled up (full_disk)."""

import contextlib
import os
import shutil
import subprocess
import time

import pytest

IS_ROOT = os.geteuid() == 0


def mount(*arguments):
    done = subprocess.run(["mount"] + list(arguments), capture_output=True, text=True, timeout=30)
    return done.returncode == 0


def unmount(folder):
    """Unmount `folder`, waiting (30 s at most) for the work a script runs after
    its answer to let go of the files it holds open there."""
    for _ in range(300):
        if subprocess.run(["umount", folder], capture_output=True, timeout=30).returncode == 0:
            return
        time.sleep(0.1)
    subprocess.run(["umount", "--lazy", folder], capture_output=True, timeout=30)


@contextlib.contextmanager
def full_disk(folder, room=0):
    """A tiny tmpfs on `folder` (its files copied in), filled up but for `room`
    bytes; its files are copied back when done."""
    if not IS_ROOT or not shutil.which("mount"):
        pytest.skip("a full disk needs a tmpfs mount (root)")
    keep = folder + ".on-disk"
    os.rename(folder, keep)
    # Work a script runs after its answer may make the folder again at once; the
    # tmpfs goes over whatever it wrote there, which is copied back at the end.
    os.makedirs(folder, exist_ok=True)
    if not mount("-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", folder):
        subprocess.run(["cp", "-a", folder + "/.", keep], check=True, timeout=30)
        shutil.rmtree(folder)
        os.rename(keep, folder)
        pytest.skip("cannot mount a tmpfs here")
    try:
        subprocess.run(["cp", "-a", keep + "/.", folder], check=True, timeout=30)
        with open(os.path.join(folder, "filler"), "wb") as filler:
            while True:
                free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
                if free <= room:
                    break
                try:
                    filler.write(b"\0" * min(65536, free - room))
                    filler.flush()
                except OSError:
                    break
        yield os.path.join(folder, "filler")
    finally:
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, "filler"))
        # The work a script runs after its answer may still be writing: what it
        # adds meanwhile (on the tmpfs, or under it once unmounted) is copied
        # back over whatever could not go.
        shutil.rmtree(keep, ignore_errors=True)
        subprocess.run(["cp", "-a", folder + "/.", keep], check=True, timeout=30)
        unmount(folder)
        subprocess.run(["cp", "-a", folder + "/.", keep], check=True, timeout=30)
        # Renamed away rather than removed: a file that work still adds there
        # cannot make the removal fail ("Directory not empty").
        written_after = folder + ".written-after"
        os.rename(folder, written_after)
        os.rename(keep, folder)
        shutil.rmtree(written_after, ignore_errors=True)
