"""The bytes of a TensorBoard event file, with numpy and the standard library only.

An event file is a sequence of TFRecords, each holding one serialized `Event`
protobuf. A record is: length as uint64 little-endian, masked CRC-32C of those 8
bytes (uint32 LE), the data, masked CRC-32C of the data (uint32 LE).

The few protobuf messages TensorBoard reads are encoded here by hand (field numbers
from TensorFlow's event.proto, summary.proto, tensor.proto, tensor_shape.proto).
Like proto3 serializers, scalar fields at their default (0, empty) are left out.
"""

import struct

import numpy as np

FILE_VERSION = "brain.Event:2"
DT_FLOAT, DT_STRING = 1, 7  # TensorFlow's DataType enum

# -- CRC-32C (Castagnoli) ----------------------------------------------------------------------------


def _crc32c_table():
    table = []
    for n in range(256):
        crc = n
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)  # reflected Castagnoli polynomial
        table.append(crc)
    return tuple(table)


_TABLE = _crc32c_table()


def crc32c_pure(data):
    """CRC-32C of `data` in pure Python, a byte at a time; fast enough for event records."""
    crc = 0xFFFFFFFF
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _native_crc32c():
    """A compiled CRC-32C from an installed package, or None."""
    try:
        import crc32c

        return crc32c.crc32c
    except (ImportError, AttributeError):
        pass
    try:
        import google_crc32c

        return google_crc32c.value
    except (ImportError, AttributeError):
        return None


crc32c = _native_crc32c() or crc32c_pure


def masked_crc32c(data):
    """The CRC stored in TFRecords: rotated and offset so that CRCs of CRCs stay well mixed."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame_record(data):
    """One TFRecord around `data` (bytes)."""
    data = bytes(data)
    length = struct.pack("<Q", len(data))
    return b"".join((length, struct.pack("<I", masked_crc32c(length)), data,
                     struct.pack("<I", masked_crc32c(data))))


# -- protobuf wire format ----------------------------------------------------------------------------
_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5


def varint(n):
    """Base-128 varint; negative int64 values take their 64-bit two's complement (10 bytes)."""
    n = int(n) & 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field, wire_type):
    return varint((field << 3) | wire_type)


def _int_field(field, value):
    return _key(field, _VARINT) + varint(value) if value else b""


def _double_field(field, value):
    value = float(value)
    return _key(field, _FIXED64) + struct.pack("<d", value) if value != 0.0 else b""


def _float32(values):
    """float32 bytes; values past float32's range become +-inf (struct would raise) without a warning."""
    with np.errstate(over="ignore"):
        return np.asarray(values, dtype=np.float64).astype("<f4").tobytes()


def _bytes_field(field, value, keep_empty=False):
    """Length-delimited field: bytes, a str (UTF-8) or an encoded sub-message.

    keep_empty writes an empty sub-message anyway, so that readers see it as set
    (a scalar's TensorShapeProto has no dims but must be present)."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not value and not keep_empty:
        return b""
    return _key(field, _BYTES) + varint(len(value)) + bytes(value)


def _packed_doubles(field, values):
    return _bytes_field(field, np.asarray(values, dtype="<f8").tobytes())


# -- messages ----------------------------------------------------------------------------------------


def summary_metadata(plugin_name, content=b""):
    """SummaryMetadata {1 plugin_data: PluginData {1 plugin_name, 2 content}}."""
    plugin_data = _bytes_field(1, plugin_name) + _bytes_field(2, content)
    return _bytes_field(1, plugin_data, keep_empty=True)


def tensor_proto(dtype, shape=(), float_val=None, string_val=None):
    """TensorProto {1 dtype, 2 tensor_shape {2 dim {1 size}}, 5 float_val packed, 8 string_val}."""
    shape_msg = b"".join(_bytes_field(2, _int_field(1, size), keep_empty=True) for size in shape)
    out = _int_field(1, dtype) + _bytes_field(2, shape_msg, keep_empty=True)
    if float_val is not None:
        out += _bytes_field(5, _float32(float_val))
    for item in string_val or ():
        out += _bytes_field(8, item, keep_empty=True)  # every element counts, empty ones too
    return out


def histogram_proto(minimum, maximum, num, total, sum_squares, bucket_limit, bucket):
    """HistogramProto: bucket[i] counts values in (bucket_limit[i-1], bucket_limit[i]]."""
    return (_double_field(1, minimum) + _double_field(2, maximum) + _double_field(3, num) + _double_field(4, total)
            + _double_field(5, sum_squares) + _packed_doubles(6, bucket_limit) + _packed_doubles(7, bucket))


def summary_value(tag, simple_value=None, histo=None, tensor=None, metadata=None):
    """Summary.Value {1 tag, 2 simple_value, 5 histo, 8 tensor, 9 metadata}; sub-messages as encoded bytes."""
    out = _bytes_field(1, tag)
    if simple_value is not None:
        out += _key(2, _FIXED32) + _float32(simple_value)
    if histo is not None:
        out += _bytes_field(5, histo, keep_empty=True)
    if tensor is not None:
        out += _bytes_field(8, tensor, keep_empty=True)
    if metadata is not None:
        out += _bytes_field(9, metadata, keep_empty=True)
    return out


def event(wall_time, step=0, file_version=None, graph_def=None, values=None):
    """Event {1 wall_time, 2 step, 3 file_version, 4 graph_def, 5 summary {1 repeated value}}."""
    out = _double_field(1, wall_time) + _int_field(2, step)
    if file_version is not None:
        out += _bytes_field(3, file_version)
    if graph_def is not None:
        out += _bytes_field(4, graph_def)
    if values is not None:
        out += _bytes_field(5, b"".join(_bytes_field(1, v, keep_empty=True) for v in values), keep_empty=True)
    return out
