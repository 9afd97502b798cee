"""Fashion-MNIST loader shared by the mxsim Python tools.

Reads the four gzip-compressed IDX files of the Fashion-MNIST distribution
(no torchvision downloader, no network access):

    train-images-idx3-ubyte.gz   train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz    t10k-labels-idx1-ubyte.gz

IDX layout: a big-endian uint32 magic (0x00000803 for a rank-3 uint8 image
tensor, 0x00000801 for a rank-1 uint8 label vector), then one big-endian
int32 per dimension, then the uint8 payload in C order.

Preprocessing is exactly ``pixel / 255.0`` -- the C++ simulator feeds the
model the same values, so any further normalisation must live inside the
network itself.

Example::

    from mxsim_py.fmnist import load_fashion_mnist
    x_train, y_train = load_fashion_mnist("train")   # [60000,1,28,28] f32, [60000] i64
    x_test, y_test = load_fashion_mnist("test")      # [10000,1,28,28] f32, [10000] i64
"""
from __future__ import annotations

import gzip
import os
from typing import Tuple

import numpy as np

__all__ = [
    "DEFAULT_DIRECTORY",
    "CLASS_NAMES",
    "FashionMnistError",
    "load_fashion_mnist",
    "read_idx",
]

#: Where the Debian dataset package installs the IDX files.
DEFAULT_DIRECTORY = "/usr/share/datasets/fashion-mnist"

#: Human-readable class names, indexed by label.
CLASS_NAMES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

_IMAGES_MAGIC = 0x00000803  # uint8, rank 3
_LABELS_MAGIC = 0x00000801  # uint8, rank 1

# split -> (image file, label file, expected number of samples)
_SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}
_SPLIT_ALIASES = {"t10k": "test"}


class FashionMnistError(RuntimeError):
    """Raised when a Fashion-MNIST file is missing or malformed."""


def read_idx(path: str, expected_magic: int) -> np.ndarray:
    """Read one gzip-compressed uint8 IDX file and return it as a uint8 ndarray.

    Raises FashionMnistError naming ``path`` if the file is missing,
    unreadable, not gzip, has the wrong magic number, or a payload whose size
    does not match its header.
    """
    if not os.path.isfile(path):
        raise FashionMnistError(f"Fashion-MNIST file not found: {path}")
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:  # includes gzip.BadGzipFile
        raise FashionMnistError(f"cannot read gzip IDX file {path}: {e}") from e

    if len(raw) < 4:
        raise FashionMnistError(f"malformed IDX file {path}: only {len(raw)} bytes")
    magic = int.from_bytes(raw[0:4], "big")
    if magic != expected_magic:
        raise FashionMnistError(
            f"malformed IDX file {path}: magic 0x{magic:08x}, expected 0x{expected_magic:08x}")
    rank = expected_magic & 0xFF
    header_len = 4 + 4 * rank
    if len(raw) < header_len:
        raise FashionMnistError(f"malformed IDX file {path}: truncated header")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">i4", count=rank, offset=4))
    if any(d <= 0 for d in dims):
        raise FashionMnistError(f"malformed IDX file {path}: bad dimensions {dims}")
    n_payload = int(np.prod(dims))
    if len(raw) - header_len != n_payload:
        raise FashionMnistError(
            f"malformed IDX file {path}: header dims {dims} need {n_payload} payload bytes, "
            f"file has {len(raw) - header_len}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(dims)


def load_fashion_mnist(split: str, directory: str = DEFAULT_DIRECTORY
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """Load one Fashion-MNIST split.

    Args:
        split: "train" (60000 samples) or "test" (10000 samples; "t10k" is accepted too).
        directory: folder holding the four ``*-ubyte.gz`` files.

    Returns:
        (images, labels): images is float32 [N,1,28,28] C-contiguous with values
        pixel/255.0 in [0,1]; labels is int64 [N] with values 0..9.

    Raises:
        ValueError: unknown split.
        FashionMnistError: a file is missing or malformed (the message names the file).
    """
    key = _SPLIT_ALIASES.get(split, split)
    if key not in _SPLITS:
        raise ValueError(f"unknown Fashion-MNIST split {split!r}; expected 'train' or 'test'")
    img_name, lbl_name, expected_n = _SPLITS[key]
    img_path = os.path.join(directory, img_name)
    lbl_path = os.path.join(directory, lbl_name)

    images_u8 = read_idx(img_path, _IMAGES_MAGIC)
    labels_u8 = read_idx(lbl_path, _LABELS_MAGIC)

    if images_u8.shape[1:] != (28, 28):
        raise FashionMnistError(
            f"malformed IDX file {img_path}: images are {images_u8.shape[1:]}, expected (28, 28)")
    if images_u8.shape[0] != expected_n:
        raise FashionMnistError(
            f"unexpected sample count in {img_path}: {images_u8.shape[0]}, expected {expected_n}")
    if labels_u8.shape[0] != images_u8.shape[0]:
        raise FashionMnistError(
            f"label count in {lbl_path} ({labels_u8.shape[0]}) does not match "
            f"image count in {img_path} ({images_u8.shape[0]})")
    if labels_u8.size and int(labels_u8.max()) > 9:
        raise FashionMnistError(
            f"malformed IDX file {lbl_path}: label {int(labels_u8.max())} outside 0..9")

    images = np.ascontiguousarray(
        (images_u8.astype(np.float32) / np.float32(255.0)).reshape(-1, 1, 28, 28))
    labels = labels_u8.astype(np.int64)
    return images, labels
