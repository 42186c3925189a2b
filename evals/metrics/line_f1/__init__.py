"""The `line_f1` evaluate module (see line_f1.py); a package so that installs ship its script."""
