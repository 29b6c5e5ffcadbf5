"""The IDX file format of (Fashion-)MNIST: big-endian header, then raw uint8 data."""

import gzip

import numpy as np


def read_idx(path):
    """Parse a (gzipped) IDX file of unsigned bytes into an array of its stated shape."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number).")
    if data[2] != 0x08:
        raise ValueError(f"{path}: only unsigned-byte IDX data (type 0x08) is supported; got {data[2]:#x}.")
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    offset = 4 + 4 * ndim
    count = int(np.prod(shape))
    if len(data) - offset != count:
        raise ValueError(f"{path}: header says {shape} ({count} bytes) but the file holds {len(data) - offset}.")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(shape)
