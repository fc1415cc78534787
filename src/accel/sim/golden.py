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
