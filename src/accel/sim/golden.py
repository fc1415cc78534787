"""numpy reference models: what the hardware must compute, bit for bit."""

from __future__ import annotations

import numpy as np


def wrap_signed(values: np.ndarray, width: int) -> np.ndarray:
    """Two's-complement wrap of int64 values to ``width`` bits (what a ``width``-bit adder does)."""
    values = np.asarray(values, dtype=np.int64)
    if width >= 64:
        return values
    half = np.int64(1) << (width - 1)
    return ((values + half) & ((np.int64(1) << width) - 1)) - half


def matmul(a: np.ndarray, w: np.ndarray, acc_width: int = 32) -> np.ndarray:
    """``A (M x K) @ W (K x N)`` with products and sums wrapping at ``acc_width`` bits."""
    return wrap_signed(np.asarray(a, dtype=np.int64) @ np.asarray(w, dtype=np.int64), acc_width)


def random_int(rng: np.random.Generator, shape, width: int, extremes: float = 0.1) -> np.ndarray:
    """Uniform signed ``width``-bit integers with a share of exact extremes (-2**(w-1), 2**(w-1)-1)."""
    lo, hi = -(1 << (width - 1)), (1 << (width - 1)) - 1
    values = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    mask = rng.random(shape) < extremes
    values[mask] = rng.choice(np.array([lo, hi], dtype=np.int64), size=int(mask.sum()))
    return values


def requantize(acc, scale: int, shift: int, relu: bool, out_width: int = 8) -> np.ndarray:
    """``saturate(relu?(round(acc * scale / 2**shift)))``, rounding half away from zero, per element.

    Exact for any widths (Python integers), like the hardware's ``Requantizer``."""
    lo, hi = -(1 << (out_width - 1)), (1 << (out_width - 1)) - 1
    floor = 0 if relu else lo

    def one(value: int) -> int:
        product = int(value) * scale
        if shift:
            product = (product + (1 << (shift - 1)) - (1 if product < 0 else 0)) >> shift
        return min(hi, max(floor, product))

    flat = [one(v) for v in np.asarray(acc, dtype=object).ravel()]
    return np.array(flat, dtype=np.int64).reshape(np.shape(acc))


def conv2d(x: np.ndarray, weights: np.ndarray, stride: int = 1, padding: int = 0, acc_width: int = 32) -> np.ndarray:
    """Direct NHWC convolution (``weights`` KH x KW x C x F), accumulating at ``acc_width`` bits: the
    reference for im2col-lowered convolutions, computed without im2col."""
    n, h, w, c = x.shape
    kh, kw, _, f = weights.shape
    padded = np.zeros((n, h + 2 * padding, w + 2 * padding, c), dtype=np.int64)
    padded[:, padding:padding + h, padding:padding + w, :] = x
    oh, ow = (h + 2 * padding - kh) // stride + 1, (w + 2 * padding - kw) // stride + 1
    out = np.zeros((n, oh, ow, f), dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            window = padded[:, i:i + stride * oh:stride, j:j + stride * ow:stride, :]
            out += np.einsum("nhwc,cf->nhwf", window, weights[i, j].astype(np.int64))
    return wrap_signed(out, acc_width)
