"""The `novel_words` evaluate module (see novel_words.py); a package so that installs ship its script."""
