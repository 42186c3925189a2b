"""The trained tagger network run with numpy alone: what `refine run` uses to score pages.

Training needs torch; scoring does not. Importing torch takes ~1.5 s and ~190 MB of memory, which
on 1,000 real pages was a sixth of the default refiner's time and a third of its peak, for a network
of 180k weights. `NumpyTagger` computes what `LineTagger.project` and `LineTagger.tag` compute in
eval mode (no dropout), from the same weights file, to float32 rounding (the tests compare the two).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from refine.tagger.config import WEIGHTS_FILE, TaggerConfig, load_config


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to ~1.2e-7 (Numerical Recipes' erfc by Chebyshev fit): numpy has none, and GELU needs it."""
    z = np.abs(x).astype(np.float64)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (
        -0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
    erfc = t * np.exp(poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0).astype(np.float32)


def gelu(x: np.ndarray) -> np.ndarray:
    """torch's default (exact) GELU: x * Phi(x)."""
    return (0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))).astype(np.float32)


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """1 / (1 + e^-x) as 0.5 * (1 + tanh(x / 2)): no overflow for large |x|."""
    out = np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


class _BiGRU:
    """One `BiGRULayer`: both directions stepped together, as one batched product per step."""

    def __init__(self, weights: dict[str, np.ndarray], prefix: str):
        def get(direction: str, name: str) -> np.ndarray:
            return weights[f"{prefix}.{direction}.{name}_l0"]

        self.hidden = get("fwd", "weight_hh").shape[1]
        h = self.hidden
        self.w_ih = np.stack([get(d, "weight_ih").T for d in ("fwd", "bwd")])  # (2, in, 3h)
        self.w_hh = np.stack([get(d, "weight_hh").T for d in ("fwd", "bwd")])  # (2, h, 3h)
        b_ih = np.stack([get(d, "bias_ih") for d in ("fwd", "bwd")])
        b_hh = np.stack([get(d, "bias_hh") for d in ("fwd", "bwd")])
        # the reset and update gates add both biases outside the product; the new gate's hidden
        # bias sits inside the reset gate's product, so it stays apart
        self.b_in = b_ih.copy()
        self.b_in[:, : 2 * h] += b_hh[:, : 2 * h]
        self.b_hn = b_hh[:, None, 2 * h :].copy()  # (2, 1, h)

    def __call__(self, x: np.ndarray, reverse: np.ndarray) -> np.ndarray:
        """Step-major states: x (steps, docs, in) -> (steps, docs, 2h); `reverse` is `_reversal`'s
        index. The loop reads each step's inputs contiguously, so nothing is transposed per layer."""
        steps, docs, n_in = x.shape
        h = self.hidden
        # every step's input products at once, one product per direction: (2, steps, docs, 3h)
        gi = np.empty((2, steps, docs, 3 * h), np.float32)
        for d, inputs in enumerate((x, np.take_along_axis(x, reverse, axis=0))):
            np.matmul(inputs.reshape(steps * docs, n_in), self.w_ih[d], out=gi[d].reshape(steps * docs, 3 * h))
            gi[d] += self.b_in[d]
        out = np.empty((2, steps, docs, h), np.float32)  # each step's state is written in place here
        previous = np.zeros((2, docs, h), np.float32)
        rz = np.empty((2, docs, 2 * h), np.float32)
        n = np.empty((2, docs, h), np.float32)
        for t in range(steps):
            gh = np.matmul(previous, self.w_hh)  # (2, docs, 3h)
            g = gi[:, t]
            np.add(g[..., : 2 * h], gh[..., : 2 * h], out=rz)
            sigmoid(rz, out=rz)
            r, z = rz[..., :h], rz[..., h:]
            np.add(gh[..., 2 * h :], self.b_hn, out=n)
            n *= r
            n += g[..., 2 * h :]
            np.tanh(n, out=n)
            state = out[:, t]  # h' = n + z * (h - n)
            np.subtract(previous, n, out=state)
            state *= z
            state += n
            previous = state
        return np.concatenate([out[0], np.take_along_axis(out[1], reverse, axis=0)], axis=-1)


def _reversal(lengths: np.ndarray, steps: int) -> np.ndarray:
    """(steps, docs, 1) indices that reverse each sequence within its length, padding left in place."""
    t = np.arange(steps)[:, None]
    return np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)[..., None]


class NumpyTagger:
    """`LineTagger`'s inference half (eval mode): its config and weights, as numpy arrays."""

    def __init__(self, config: TaggerConfig, weights: dict[str, np.ndarray]):
        self.config = config
        w = {k: np.asarray(v, np.float32) for k, v in weights.items()}
        self.proj_w, self.proj_b = w["embed_proj.1.weight"].T.copy(), w["embed_proj.1.bias"]
        self.layers = [_BiGRU(w, f"layers.{i}") for i in range(config.gru_layers)]
        self.line_w, self.line_b = w["line_head.1.weight"].T.copy(), w["line_head.1.bias"]
        self.doc_w1, self.doc_b1 = w["doc_head.0.weight"].T.copy(), w["doc_head.0.bias"]
        self.doc_w2, self.doc_b2 = w["doc_head.2.weight"].T.copy(), w["doc_head.2.bias"]

    @classmethod
    def load(cls, model_dir: str | Path) -> "NumpyTagger":
        from safetensors.numpy import load_file

        return cls(load_config(model_dir), load_file(str(Path(model_dir) / WEIGHTS_FILE)))

    @classmethod
    def of(cls, model) -> "NumpyTagger":
        """A snapshot of a `LineTagger` in memory (one being trained, or built by a test)."""
        return cls(model.config, {k: v.detach().cpu().float().numpy() for k, v in model.state_dict().items()})

    def project(self, embeddings: np.ndarray) -> np.ndarray:
        """Line embeddings (n, embed_dim) -> the network's line vectors (n, proj_dim)."""
        return gelu(embeddings @ self.proj_w + self.proj_b)

    def tag(self, projected: np.ndarray, features: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Line logits (docs, lines) and doc logits (docs,), as `LineTagger.tag`."""
        x = np.concatenate([projected, features], axis=-1).astype(np.float32, copy=False)
        reverse = _reversal(mask.sum(1), x.shape[1])
        states = np.ascontiguousarray(x.transpose(1, 0, 2))  # step-major for the layers
        for layer in self.layers:
            states = layer(states, reverse)
        states = states.transpose(1, 0, 2)
        line_logits = (np.concatenate([states, features], axis=-1) @ self.line_w + self.line_b)[..., 0]
        m = mask[..., None].astype(np.float32)
        mean = (states * m).sum(1) / np.maximum(m.sum(1), 1.0)
        peak = np.where(mask[..., None], states, -np.inf).max(1)
        peak = np.where(np.isfinite(peak), peak, 0.0).astype(np.float32)
        hidden = gelu(np.concatenate([mean, peak], axis=-1) @ self.doc_w1 + self.doc_b1)
        doc_logits = (hidden @ self.doc_w2 + self.doc_b2)[..., 0]
        return line_logits.astype(np.float32), doc_logits.astype(np.float32)
