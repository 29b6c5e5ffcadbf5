"""Crash-safe writes: the data goes to a temporary file in the target's folder,
is flushed to disk, and only then renamed over the target, so a reader (or a
crash at any moment) sees either the old complete file or the new one."""

import contextlib
import os
import tempfile


def check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"'{filepath}' already exists and overwrite=False: pass overwrite=True to replace it, "
                              "or choose another path.")


@contextlib.contextmanager
def atomic_path(filepath):
    """`with atomic_path(p) as tmp:` write the whole file at tmp; on normal exit
    it replaces p (os.replace is atomic within one file system), on error the
    temporary file is removed and p is left as it was."""
    filepath = os.fspath(filepath)
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to '{filepath}': the folder '{folder}' does not exist. Create it first.")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(filepath) + ".", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def write_bytes(filepath, data):
    with atomic_path(filepath) as tmp, open(tmp, "wb") as f:
        f.write(data)


def _fsync_file(path):
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_folder(folder):
    # the rename itself is durable only once the folder entry is on disk (POSIX)
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
