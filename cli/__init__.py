"""The `refine` command line: argument parsing only; the work is done by programs/, refine/ and evals/."""
