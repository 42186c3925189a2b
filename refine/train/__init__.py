"""Training learned refiners: supervised fine-tuning of a causal LM on expert programs.

`refine.train.generative.train_generative` is what `refine train --kind generative` runs; `data` turns
annotation rows into the exact prompts the program refiner sends, `models` builds or loads the model,
`sft` is the training loop with checkpoints and resume.
"""
