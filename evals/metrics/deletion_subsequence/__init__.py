"""The `deletion_subsequence` evaluate module (see deletion_subsequence.py); a package so that installs ship its script."""
