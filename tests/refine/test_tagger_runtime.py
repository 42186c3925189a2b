"""The numpy network `refine run` scores with (`refine.tagger.runtime`) against the torch one it
was trained as, and the BLAS thread cap it runs under (`refine.blas`)."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from refine.tagger.config import TaggerConfig
from refine.tagger.model import LineTagger
from refine.tagger.runtime import NumpyTagger, _reversal, gelu, sigmoid


@pytest.mark.parametrize("gru_layers", [1, 2])
def test_numpy_network_matches_torch(gru_layers):
    torch.manual_seed(gru_layers)
    model = LineTagger(TaggerConfig(proj_dim=16, hidden=12, gru_layers=gru_layers)).eval()
    with torch.no_grad():  # weights of a trained scale, not init's near-zero ones
        for p in model.parameters():
            p.mul_(3.0)
    net = NumpyTagger.of(model)
    rng = np.random.default_rng(0)
    lengths = np.array([37, 1, 20, 37, 5])
    embeddings = rng.normal(size=(5, 37, 384)).astype(np.float32)
    features = rng.uniform(size=(5, 37, model.config.n_features)).astype(np.float32)
    mask = np.arange(37)[None, :] < lengths[:, None]
    embeddings[~mask] = 99.0  # padding holds anything; it must not reach a real line
    with torch.inference_mode():
        projected = model.project(torch.from_numpy(embeddings))
        lines, docs = model.tag(projected, torch.from_numpy(features), torch.from_numpy(mask))
    ours = net.project(embeddings)
    np.testing.assert_allclose(ours, projected.numpy(), rtol=1e-5, atol=1e-5)
    our_lines, our_docs = net.tag(ours, features, mask)
    np.testing.assert_allclose(our_lines[mask], lines.numpy()[mask], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(our_docs, docs.numpy(), rtol=1e-4, atol=1e-4)


def test_activations_match_torch():
    x = np.linspace(-30, 30, 2001, dtype=np.float32)
    np.testing.assert_allclose(gelu(x), torch.nn.functional.gelu(torch.from_numpy(x)).numpy(), atol=2e-6)
    np.testing.assert_allclose(sigmoid(x), torch.sigmoid(torch.from_numpy(x)).numpy(), atol=1e-6)
    x = np.arange(12, dtype=np.float32).reshape(2, 6).T[..., None]  # step-major: (steps, docs, 1)
    reversed_ = np.take_along_axis(x, _reversal(np.array([3, 6]), 6), axis=0)[..., 0].T
    assert reversed_.tolist() == [[2, 1, 0, 3, 4, 5], [11, 10, 9, 8, 7, 6]]  # padding stays at the end


def test_the_default_loads_and_scores_without_torch():
    """Scoring needs numpy alone: `refine run` with the default never pays for importing torch."""
    code = ("import sys; from refine.refiners.default import DEFAULT_MODEL_DIR; from refine.tagger.infer import Tagger; "
            "t = Tagger.load(DEFAULT_MODEL_DIR, threads=1); s = t.score([['Home | About', 'A sentence of content.']]); "
            "assert len(s[0].remove) == 2; assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_blas_threads_are_capped():
    from refine import blas

    paths = blas._loaded_openblas()
    if not paths:
        pytest.skip("numpy here does not use OpenBLAS")
    import ctypes

    lib = ctypes.CDLL(paths[0])
    getter = next(getattr(lib, n) for n in ("openblas_get_num_threads", "openblas_get_num_threads64_",
                                           "scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads")
                  if hasattr(lib, n))
    before = getter()
    try:
        assert blas.set_blas_threads(1) and getter() == 1
    finally:
        blas.set_blas_threads(before)
