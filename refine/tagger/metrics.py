"""Precision, recall and F1 of removed lines and of dropped documents (positive = remove / drop)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, pred: Iterable[int | bool], gold: Iterable[int | bool]) -> "PRF":
        for p, g in zip(pred, gold, strict=True):
            p, g = bool(p), bool(g)
            self.tp += p and g
            self.fp += p and not g
            self.fn += g and not p
        return self

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def summary(self) -> dict:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4), "f1": round(self.f1, 4)}
