"""pad_sequences: ragged lists of sequences -> one padded numpy array."""

import numpy as np


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pad (or cut) each sequence to `maxlen` and stack them into an array of shape
    (num_sequences, maxlen) + the common shape of the sequences' items.

    `maxlen=None` uses the longest sequence. `padding`/`truncating` pick the side
    ("pre" or "post") filled with `value` or cut. Empty sequences become all `value`.
    String dtypes are allowed (then `value` must be a string too).
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences needs a list of sequences (each an iterable); got "
                         f"{type(sequences).__name__}.")
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in ("pre", "post"):
            raise ValueError(f'pad_sequences: {name} must be "pre" or "post"; got {side!r}.')
    num = len(sequences)
    lengths = []
    item_shape = ()
    found_item = False
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(f"pad_sequences: sequence {i} is {type(seq).__name__}, not a sequence; "
                             "every entry must be a list or array.")
        lengths.append(len(seq))
        if not found_item and len(seq):
            item_shape = np.asarray(seq).shape[1:]
            found_item = True
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    maxlen = int(maxlen)
    is_str = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.object_)
    if isinstance(value, str) and not is_str:
        raise ValueError(f"pad_sequences: dtype {dtype} cannot hold the string padding value {value!r}; "
                         "pass dtype=object or a numpy string dtype.")
    out = np.full((num, maxlen) + item_shape, value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq) or maxlen == 0:
            continue
        seq = np.asarray(seq, dtype=dtype)
        cut = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if cut.shape[1:] != item_shape:
            raise ValueError(f"pad_sequences: sequence {i} has items of shape {cut.shape[1:]}, unlike "
                             f"the first non-empty sequence's {item_shape}.")
        if padding == "post":
            out[i, :len(cut)] = cut
        else:
            out[i, maxlen - len(cut):] = cut
    return out
