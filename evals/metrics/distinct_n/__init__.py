"""The `distinct_n` evaluate module (see distinct_n.py); a package so that installs ship its script."""
