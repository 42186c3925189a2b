import json

from refine.options import RunOptions
from refine.refiners.budgets import PROX_CHUNK_TOKENS, PROX_DOC_TOKENS, prompt_budgets


def test_prompt_budgets_come_from_options_then_the_models_training_record_then_prox(tmp_path):
    assert prompt_budgets(RunOptions()) == (PROX_CHUNK_TOKENS, PROX_DOC_TOKENS)
    assert prompt_budgets(RunOptions(model="org/not-a-local-dir")) == (PROX_CHUNK_TOKENS, PROX_DOC_TOKENS)
    (tmp_path / "train.json").write_text(json.dumps({"inference": {"chunk_tokens": 128, "doc_tokens": 96}}))
    assert prompt_budgets(RunOptions(model=str(tmp_path))) == (128, 96)
    assert prompt_budgets(RunOptions(model=str(tmp_path), chunk_tokens=300)) == (300, 96)
