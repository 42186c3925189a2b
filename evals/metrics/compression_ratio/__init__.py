"""The `compression_ratio` evaluate module (see compression_ratio.py); a package so that installs ship its script."""
