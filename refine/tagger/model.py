"""The tagger network: lines of a document in, a remove logit per line and a drop logit out.

Each line is [its sentence embedding (projected) ‖ its handcrafted features]; a bidirectional GRU
reads the document's lines in both directions, so a line is judged in its context (a short line between two
menu items is a menu item; the same line between paragraphs is a heading). The GRU runs in time
linear in the number of lines, so documents of thousands of lines need no windows. The document
head pools the GRU states (mean and max) into one drop logit.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch
from torch import nn

from refine.tagger.config import CONFIG_FILE, WEIGHTS_FILE, TaggerConfig, load_config  # noqa: F401 - re-exported


def reverse_padded(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Reverse each sequence within its own length; padding stays at the end."""
    steps = torch.arange(x.shape[1], device=x.device).unsqueeze(0)
    idx = torch.where(steps < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - steps, steps)
    return x.gather(1, idx.unsqueeze(-1).expand_as(x))


class BiGRULayer(nn.Module):
    """A bidirectional GRU over right-padded sequences without packing: the backward direction reads
    each sequence reversed within its length, so padding never reaches a real line's state. Packed
    sequences are several times slower on CPU, where this model is meant to run."""

    def __init__(self, input_size: int, hidden: int):
        super().__init__()
        self.fwd = nn.GRU(input_size, hidden, batch_first=True)
        self.bwd = nn.GRU(input_size, hidden, batch_first=True)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        forward, _ = self.fwd(x)
        backward, _ = self.bwd(reverse_padded(x, lengths))
        return torch.cat([forward, reverse_padded(backward, lengths)], dim=-1)


class LineTagger(nn.Module):
    def __init__(self, config: TaggerConfig):
        super().__init__()
        self.config = config
        c = config
        self.embed_proj = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(c.embed_dim, c.proj_dim), nn.GELU())
        self.layers = nn.ModuleList(
            BiGRULayer(c.proj_dim + c.n_features if i == 0 else 2 * c.hidden, c.hidden) for i in range(c.gru_layers)
        )
        self.between = nn.Dropout(c.dropout)
        width = 2 * c.hidden
        self.line_head = nn.Sequential(nn.Dropout(c.dropout), nn.Linear(width + c.n_features, 1))
        self.doc_head = nn.Sequential(nn.Linear(2 * width, c.hidden), nn.GELU(), nn.Linear(c.hidden, 1))

    def forward(
        self, embeddings: torch.Tensor, features: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(docs, lines, embed_dim), (docs, lines, n_features), (docs, lines) bool -> line logits
        (docs, lines) and doc logits (docs,). Padded positions are masked out of the pooling."""
        return self.tag(self.project(embeddings), features, mask)

    def project(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Line embeddings (..., embed_dim) -> the network's line vectors (..., proj_dim). A line's
        vector depends on its text alone, so inference computes it once per distinct line."""
        return self.embed_proj(embeddings)

    def tag(
        self, projected: torch.Tensor, features: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`forward` from projected line vectors (docs, lines, proj_dim); padded positions may hold anything."""
        x = torch.cat([projected, features], dim=-1)
        lengths = mask.sum(1)
        states = x
        for i, layer in enumerate(self.layers):
            states = layer(self.between(states) if i else states, lengths)
        line_logits = self.line_head(torch.cat([states, features], dim=-1)).squeeze(-1)
        m = mask.unsqueeze(-1).to(states.dtype)
        mean = (states * m).sum(1) / m.sum(1).clamp(min=1.0)
        peak = states.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
        peak = torch.where(torch.isfinite(peak), peak, torch.zeros_like(peak))
        doc_logits = self.doc_head(torch.cat([mean, peak], dim=-1)).squeeze(-1)
        return line_logits, doc_logits

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def save(self, out_dir: str | Path) -> Path:
        from safetensors.torch import save_file

        out = self.save_config(out_dir)
        save_file({k: v.contiguous() for k, v in self.state_dict().items()}, str(out / WEIGHTS_FILE))
        return out

    def save_config(self, out_dir: str | Path) -> Path:
        """Write the config alone (new thresholds for the same weights)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / CONFIG_FILE).write_text(json.dumps(asdict(self.config), indent=2) + "\n")
        return out

    @classmethod
    def load(cls, model_dir: str | Path) -> "LineTagger":
        from safetensors.torch import load_file

        model = cls(load_config(model_dir))
        model.load_state_dict(load_file(str(Path(model_dir) / WEIGHTS_FILE)))
        return model.eval()
