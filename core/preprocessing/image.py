"""core.preprocessing.image: PIL image <-> numpy array helpers (Pillow is optional, imported when used)."""

import io
import os
import warnings

import numpy as np

import kbackend

COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")
DATA_FORMATS = ("channels_last", "channels_first")


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("Loading, saving and building images needs Pillow, which is not installed. "
                          "Install it with `pip install pillow`.") from None
    return Image


def _data_format(data_format):
    data_format = kbackend.image_data_format() if data_format is None else data_format
    if data_format not in DATA_FORMATS:
        raise ValueError(f"data_format must be one of {', '.join(DATA_FORMATS)} (or None for the configured "
                         f"image_data_format); got {data_format!r}.")
    return data_format


def load_img(path, grayscale=False, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Read an image file (path str/PathLike/bytes, or a file-like object) into a PIL Image.

    color_mode: "grayscale", "rgb" or "rgba". target_size: (height, width) to resize to, with
    `interpolation` one of nearest, bilinear, bicubic, hamming, box, lanczos; keep_aspect_ratio
    first crops the centre of the image to the target's aspect ratio.
    """
    image_module = _pil_image()
    if grayscale:
        warnings.warn('load_img: grayscale=True is deprecated; use color_mode="grayscale".', stacklevel=2)
        color_mode = "grayscale"
    if color_mode not in COLOR_MODES:
        raise ValueError(f"load_img: color_mode must be one of {', '.join(COLOR_MODES)}; got {color_mode!r}.")
    if isinstance(path, (str, bytes, os.PathLike)):
        # Read the bytes first so the file is closed at once (PIL opens lazily).
        with open(path, "rb") as f:
            img = image_module.open(io.BytesIO(f.read()))
    elif hasattr(path, "read"):
        img = image_module.open(path)
    else:
        raise TypeError(f"load_img: path must be a file path or a binary file object; got {type(path).__name__}.")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):  # keep 16/32-bit grayscale as is
            img = img.convert("L")
    elif img.mode != COLOR_MODES[color_mode]:
        img = img.convert(COLOR_MODES[color_mode])
    if target_size is None:
        return img
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"load_img: interpolation must be one of {', '.join(INTERPOLATIONS)}; "
                         f"got {interpolation!r}.")
    height, width = (int(s) for s in target_size)
    if img.size == (width, height):
        return img
    # Pillow >= 9.1 keeps the filters in Image.Resampling; older ones at module level.
    resample = getattr(getattr(image_module, "Resampling", image_module), interpolation.upper())
    box = None
    if keep_aspect_ratio:
        src_w, src_h = img.size
        crop_h = min(src_h, src_w * height // width)
        crop_w = min(src_w, src_h * width // height)
        left, top = (src_w - crop_w) // 2, (src_h - crop_h) // 2
        box = (left, top, left + crop_w, top + crop_h)
    return img.resize((width, height), resample=resample, box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL Image (or array-like) as a 3D numpy array: (height, width, channels), or channels first.
    dtype defaults to floatx()."""
    data_format = _data_format(data_format)
    x = np.asarray(img, dtype=kbackend.floatx() if dtype is None else dtype)
    if x.ndim == 2:
        x = x[np.newaxis] if data_format == "channels_first" else x[..., np.newaxis]
    elif x.ndim == 3:
        if data_format == "channels_first":
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError(f"img_to_array: expected an image of 2 or 3 dimensions; got shape {x.shape}.")
    return x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3D array (1, 3 or 4 channels) as a PIL Image. scale=True maps the array's [min, max] onto
    [0, 255]; otherwise values are used as they are (1-channel values above 255 give a 32-bit "I" image)."""
    image_module = _pil_image()
    data_format = _data_format(data_format)
    x = np.asarray(x, dtype=kbackend.floatx() if dtype is None else dtype)
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected a 3D array (height, width, channels) or channels first; "
                         f"got shape {x.shape}.")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        top = np.max(x)
        if top != 0:
            x = x / top
        x = x * 255.0
    channels = x.shape[2]
    if channels == 4:
        return image_module.fromarray(x.astype("uint8"))  # uint8 (h, w, 4) -> RGBA
    if channels == 3:
        return image_module.fromarray(x.astype("uint8"))  # uint8 (h, w, 3) -> RGB
    if channels == 1:
        if np.max(x) > 255:
            return image_module.fromarray(x[:, :, 0].astype("int32"))  # -> mode "I"
        return image_module.fromarray(x[:, :, 0].astype("uint8"))  # -> mode "L"
    raise ValueError(f"array_to_img: the channel axis must have 1, 3 or 4 entries; got {channels} "
                     f"(shape {x.shape} read as {data_format}).")


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array `x` as an image file (format from the file name unless `file_format` is given);
    kwargs go to PIL's Image.save."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if isinstance(file_format, str) and file_format.lower() == "jpg":
        file_format = "jpeg"  # PIL knows the format as JPEG only
    target = file_format or os.path.splitext(os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike))
                                             else "")[1].lstrip(".")
    if img.mode == "RGBA" and target.lower() in ("jpg", "jpeg"):
        warnings.warn("save_img: JPEG has no alpha channel; the image is saved as RGB.", stacklevel=2)
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)
