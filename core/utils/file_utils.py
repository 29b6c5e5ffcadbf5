"""get_file: fetch a file once into the Keras cache, check its hash, unpack archives.

The cache is $KERAS_HOME/<cache_subdir> ($KERAS_HOME defaults to ~/.keras, and to
/tmp/.keras when that is not writable). Downloads go to a temporary file in the
target folder and are renamed into place only once complete and verified, so an
interrupted transfer never leaves a half file that a later call would trust.
"""

import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

DOWNLOAD_TIMEOUT = 60  # seconds without progress before a download is abandoned


def keras_home():
    """The cache root: $KERAS_HOME, else ~/.keras (else /tmp/.keras when unwritable)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        os.makedirs(home, exist_ok=True)
    except OSError:
        home = os.path.join(tempfile.gettempdir(), ".keras")
    if not os.access(home, os.W_OK):
        home = os.path.join(tempfile.gettempdir(), ".keras")
    return home


def resolve_hasher(algorithm, file_hash=None):
    """"auto" picks sha256 for a 64-hex-digit hash and md5 otherwise."""
    if algorithm == "auto":
        return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"
    if algorithm in ("sha256", "md5"):
        return algorithm
    raise ValueError(f'hash_algorithm must be "auto", "sha256" or "md5"; got {algorithm!r}.')


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """Hex digest of a file, read in chunks (big archives need not fit in memory)."""
    hasher = hashlib.sha256() if algorithm in ("sha256", "auto") else hashlib.md5()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """True when the file's digest equals `file_hash` (case-insensitive)."""
    algorithm = resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, algorithm, chunk_size).lower() == str(file_hash).lower()


def _download(origin, dest, timeout=DOWNLOAD_TIMEOUT):
    """Stream `origin` into the open-for-writing path `dest`. Tests replace this."""
    with urllib.request.urlopen(origin, timeout=timeout) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out, length=1 << 20)


def _fetch(origin, fpath):
    folder = os.path.dirname(fpath)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=folder)
    os.close(fd)
    print(f"Downloading data from {origin}", file=sys.stderr)
    try:
        _download(origin, tmp)
        os.replace(tmp, fpath)
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise OSError(f"get_file could not download {origin}: {reason}. Check the URL and your network "
                      f"connection, or place the file at {fpath} yourself.") from e
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _inside(root, target):
    root = os.path.realpath(root)
    target = os.path.realpath(target)
    return os.path.commonpath([root, target]) == root


def _safe_tar_members(archive, path):
    for member in archive.getmembers():
        if not _inside(path, os.path.join(path, member.name)):
            raise ValueError(f"Refusing to extract {member.name!r}: it would land outside {path}.")
        if member.issym() or member.islnk():
            link_base = os.path.dirname(os.path.join(path, member.name)) if member.issym() else path
            if not _inside(path, os.path.join(link_base, member.linkname)):
                raise ValueError(f"Refusing to extract link {member.name!r} -> {member.linkname!r}: "
                                 f"it points outside {path}.")
        if member.isdev():
            raise ValueError(f"Refusing to extract device file {member.name!r}.")
    return archive.getmembers()


def extract_archive(file_path, path=".", archive_format="auto"):
    """Unpack a tar (any compression) or zip file into `path`, refusing members that
    would be written outside it. Returns True if the file was an archive of an
    accepted format, False otherwise."""
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    for fmt in archive_format:
        if fmt not in ("tar", "zip"):
            raise ValueError(f'archive_format entries must be "tar" or "zip"; got {fmt!r}.')
    file_path = os.fspath(file_path)
    path = os.fspath(path)
    for fmt in archive_format:
        if fmt == "tar" and tarfile.is_tarfile(file_path):
            with tarfile.open(file_path) as archive:
                members = _safe_tar_members(archive, path)
                _extract_all(archive, path, members)
            return True
        if fmt == "zip" and zipfile.is_zipfile(file_path):
            with zipfile.ZipFile(file_path) as archive:
                for name in archive.namelist():
                    if not _inside(path, os.path.join(path, name)):
                        raise ValueError(f"Refusing to extract {name!r}: it would land outside {path}.")
                archive.extractall(path)
            return True
    return False


def _extract_all(archive, path, members):
    # Python 3.12+ (and patched 3.8-3.11) warn unless a filter is named; "data" repeats our checks.
    if hasattr(tarfile, "data_filter"):
        archive.extractall(path, members=members, filter="data")
    else:
        archive.extractall(path, members=members)


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """Return the local path of `origin`'s file, downloading it only when it is not
    cached yet (or its hash does not match, or `force_download=True`).

    fname: the name in the cache (default: the last part of origin's path); an
        absolute path is used as is.
    untar: (Keras 1/2) the file is a .tar.gz; it is saved as fname + ".tar.gz",
        unpacked into the cache folder, and the path fname (the unpacked folder) is returned.
    extract: unpack a tar/zip archive into the cache folder next to it (as Keras 2 did);
        the archive's own path is returned.
    file_hash / md5_hash: expected sha256 or md5 digest (hash_algorithm "auto" tells them
        apart by length). A mismatch after a download raises ValueError.
    cache_dir: root of the cache (default $KERAS_HOME, i.e. ~/.keras).
    """
    if origin is None:
        raise ValueError('get_file needs an `origin` URL, e.g. get_file("data.npz", origin="https://...").')
    if fname is None:
        fname = os.path.basename(urllib.request.urlparse(origin).path)
        if not fname:
            raise ValueError(f"get_file cannot derive a file name from origin {origin!r}; pass fname=.")
    fname = os.fspath(fname)
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    cache_dir = os.path.expanduser(os.fspath(cache_dir)) if cache_dir is not None else keras_home()
    datadir = os.path.join(cache_dir, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    if untar:
        untar_fpath = os.path.join(datadir, fname)
        fpath = untar_fpath + ".tar.gz"
    else:
        fpath = os.path.join(datadir, fname)
    os.makedirs(os.path.dirname(fpath) or ".", exist_ok=True)

    download = force_download or not os.path.exists(fpath)
    if not download and file_hash is not None and not validate_file(fpath, file_hash, hash_algorithm):
        print(f"The cached file {fpath} does not match the expected {resolve_hasher(hash_algorithm, file_hash)} "
              "hash; downloading it again.", file=sys.stderr)
        download = True
    if download:
        _fetch(origin, fpath)
        if file_hash is not None and not validate_file(fpath, file_hash, hash_algorithm):
            os.remove(fpath)
            algo = resolve_hasher(hash_algorithm, file_hash)
            raise ValueError(f"The file downloaded from {origin} is incomplete or corrupted: its {algo} hash "
                             f"does not match the expected {file_hash}. It was deleted; try again.")

    if untar:
        if download or not os.path.exists(untar_fpath):
            if not extract_archive(fpath, datadir, archive_format="tar"):
                raise ValueError(f"{fpath} (from {origin}) is not a tar archive; untar=True needs one.")
        return untar_fpath
    if extract:
        if not extract_archive(fpath, datadir, archive_format):
            raise ValueError(f"{fpath} (from {origin}) is not an archive of format {archive_format!r}; "
                             "pass extract=False to keep the file as is.")
    return fpath
