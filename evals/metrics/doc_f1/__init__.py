"""The `doc_f1` evaluate module (see doc_f1.py); a package so that installs ship its script."""
