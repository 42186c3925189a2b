"""The line tagger: a frozen sentence encoder + handcrafted line features + a small GRU that labels
every line keep/remove and the document keep/drop in one forward pass.

Modules: `features` (what a line looks like), `encoder` (line embeddings), `model` (the network),
`data` (labelled documents, padded batches), `train` (fitting it), `infer` (scoring documents),
`spans` (decisions → programs), `metrics` (line/doc P/R/F1), `expert` (training data from
the synthetic expert and from annotated files). The refiners are `refine.refiners.tagger` and
`refine.refiners.default`.
"""
