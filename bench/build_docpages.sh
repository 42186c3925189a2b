#!/usr/bin/env bash
# Build real documentation sites with the real generators and turn them into
# bench/data/docpages.jsonl.gz (labels from each generator's main-content markup; see bench/docpages.py).
#
# Sources: projects' own docs and headers from their PyPI sdists (never Debian's *-doc packages).
# Generators: Sphinx and its themes, MkDocs and Material, pdoc (PyPI, in a throwaway venv);
# Doxygen (Debian's `doxygen` tool); Javadoc (the JDK on PATH). Needs PyPI and, for Doxygen, apt.
# The versions used for the committed file: sphinx 9.0.4, sphinx-rtd-theme 3.1.0, furo 2025.12.19,
# pydata-sphinx-theme 0.20.0, sphinx-book-theme 1.4.0, mkdocs 1.6.1, mkdocs-material 9.8.2, pdoc 16.0.0,
# myst-parser 5.2.0, doxygen 1.9.4, javadoc 17.
#
#   bash bench/build_docpages.sh [WORK_DIR]     (default /tmp/docpages; ~10 min on 2 cores)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:-/tmp/docpages}
SRC=$WORK/src OUT=$WORK/sites VENV=$WORK/venv
mkdir -p "$SRC" "$OUT"

command -v doxygen >/dev/null || apt-get install -y -qq doxygen >/dev/null
command -v javadoc >/dev/null || { echo "javadoc (a JDK) is needed on PATH" >&2; exit 1; }
test -x "$VENV/bin/python" || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q sphinx sphinx-rtd-theme furo pydata-sphinx-theme sphinx-book-theme myst-parser \
    mkdocs mkdocs-material pdoc jinja2 packaging pluggy itsdangerous markupsafe requests markdown pyyaml babel idna

SDISTS="click==8.5.1 flask==3.1.3 jinja2==3.1.6 werkzeug==3.1.9 itsdangerous==2.2.0 attrs==26.1.0
packaging==26.4 pluggy==1.7.0 more-itertools==11.2.1 pytest==9.2.0 urllib3==2.8.0 markupsafe==3.0.4
lz4==4.4.5 jpype1==1.7.1 brotli==1.2.1 zstandard==0.25.0 pymdown-extensions==13.1.2 griffe==2.4.1
mkdocstrings==1.0.8 pybind11==3.1.0 xxhash==4.1.0"
for spec in $SDISTS; do  # sdists are named with underscores (PEP 625)
    name=${spec%%==*}
    test -f "$SRC/${name//-/_}-${spec##*==}.tar.gz" ||
        "$VENV/bin/pip" download -q --no-deps --no-binary :all: -d "$SRC" "$spec"
done
# Java sources with Javadoc comments: Android plugins' sources on npm.
NPM="cordova-android@15.1.0 @react-native-community/netinfo@12.0.1 react-native-device-info@15.0.2"
for spec in $NPM; do
    name=$(echo "${spec%@*}" | sed 's|^@||; s|/|-|')
    test -d "$SRC/npm-$name" || { mkdir -p "$SRC/npm-$name" && (cd "$SRC" && npm pack --silent "$spec" >/dev/null) &&
        tar xzf "$SRC/$name-${spec##*@}.tgz" -C "$SRC/npm-$name"; }
done
for f in "$SRC"/*.tar.gz; do tar xzf "$f" -C "$SRC"; done

# One theme per project, as real projects have; several projects per theme.
mkdir -p "$WORK/conf"
cat > "$WORK/conf/conf.py" <<'EOF'
import os
project = os.environ["DOC_PROJECT"]
html_theme = os.environ["DOC_THEME"]
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "**/_build"]
suppress_warnings = ["*"]
EOF
SITES=()
sphinx() {  # project docs-dir theme
    local dest=$OUT/sphinx-$3/$1
    test -d "$dest" || DOC_PROJECT=$1 DOC_THEME=$3 "$VENV/bin/sphinx-build" -q -b html -c "$WORK/conf" \
        "$SRC/$2" "$dest" >"$WORK/sphinx-$1.log" 2>&1
    SITES+=(--site "sphinx:$1:$dest")
}
sphinx flask flask-3.1.3/docs alabaster
sphinx itsdangerous itsdangerous-2.2.0/docs alabaster
sphinx werkzeug werkzeug-3.1.9/docs classic
sphinx lz4 lz4-4.4.5/docs classic
sphinx urllib3 urllib3-2.8.0/docs sphinx_rtd_theme
sphinx pluggy pluggy-1.7.0/docs sphinx_rtd_theme
sphinx jpype jpype1-1.7.1/doc sphinx_rtd_theme
sphinx packaging packaging-26.4/docs furo
sphinx more-itertools more_itertools-11.2.1/docs furo
sphinx attrs attrs-26.1.0/docs furo
sphinx jinja2 jinja2-3.1.6/docs pydata_sphinx_theme
sphinx markupsafe markupsafe-3.0.4/docs pydata_sphinx_theme
sphinx pytest pytest-9.2.0/doc/en nature
sphinx click click-8.5.1/docs sphinx_book_theme

mkdocs() {  # project docs-dir theme
    local dest=$OUT/mkdocs-$3/$1
    cat > "$WORK/mkdocs-$1.yml" <<EOF
site_name: $1
docs_dir: $SRC/$2
site_dir: $dest
theme:
  name: $3
markdown_extensions:
  - toc:
      permalink: true
  - admonition
  - tables
  - fenced_code
EOF
    test -d "$dest" || "$VENV/bin/mkdocs" build -q -f "$WORK/mkdocs-$1.yml" >"$WORK/mkdocs-$1.log" 2>&1
    SITES+=(--site "mkdocs:$1:$dest")
}
mkdocs griffe griffe-2.4.1/docs material
mkdocs pymdown pymdown_extensions-13.1.2/docs/src/markdown readthedocs
mkdocs mkdocstrings mkdocstrings-1.0.8/docs mkdocs

doxygen_site() {  # project input...
    local name=$1 dest=$OUT/doxygen/$1
    shift
    mkdir -p "$dest"
    printf '%s\n' "PROJECT_NAME = $name" "INPUT = $*" "RECURSIVE = YES" "FILE_PATTERNS = *.h *.c" \
        "OUTPUT_DIRECTORY = $dest" "GENERATE_LATEX = NO" "EXTRACT_ALL = YES" "FULL_PATH_NAMES = NO" "QUIET = YES" \
        "WARNINGS = NO" \
        > "$WORK/doxygen-$name.cfg"
    test -d "$dest/html" || doxygen "$WORK/doxygen-$name.cfg" >"$WORK/doxygen-$name.log" 2>&1
    SITES+=(--site "doxygen:$name:$dest/html")
}
doxygen_site brotli "$SRC/brotli-1.2.1/c/include" "$SRC/brotli-1.2.1/c/enc/encode.c" "$SRC/brotli-1.2.1/c/dec/decode.c"
doxygen_site zstd $(find "$SRC/zstandard-0.25.0" -name zstd.h -o -name zdict.h | sort | head -3)
doxygen_site lz4 $(find "$SRC/lz4-4.4.5" -name '*.h' | sort)
doxygen_site jpype-native "$SRC/jpype1-1.7.1/native/common/include"
doxygen_site xxhash "$SRC/xxhash-4.1.0/deps/xxhash/xxhash.h"
doxygen_site pybind11 $(for h in pybind11 cast pytypes numpy; do echo "$SRC/pybind11-3.1.0/include/pybind11/$h.h"; done)

javadoc_site() {  # project source-dir (Android imports do not resolve here: source errors are ignored)
    local dest=$OUT/javadoc/$1
    if ! test -d "$dest"; then
        find "$2" -name '*.java' | sort > "$WORK/java-$1.txt"
        javadoc -quiet -Xdoclint:none -private --ignore-source-errors -d "$dest" @"$WORK/java-$1.txt" \
            >"$WORK/javadoc-$1.log" 2>&1 || true
    fi
    SITES+=(--site "javadoc:$1:$dest")
}
javadoc_site jpype "$SRC/jpype1-1.7.1/native/jpype_module/src/main/java"
javadoc_site cordova-android "$SRC/npm-cordova-android"
javadoc_site netinfo "$SRC/npm-react-native-community-netinfo"
javadoc_site device-info "$SRC/npm-react-native-device-info"

for module in jinja2 packaging pluggy itsdangerous markupsafe requests markdown yaml babel idna; do
    dest=$OUT/pdoc/$module  # pdoc's markdown fails on a few docstrings: what it wrote is kept
    test -d "$dest" || (cd "$WORK" && "$VENV/bin/pdoc" -o "$dest" "$module" >>"$WORK/pdoc.log" 2>&1) || true
    SITES+=(--site "pdoc:$module:$dest")
done

cd "$ROOT"
python3 bench/docpages.py "${SITES[@]}" --out bench/data/docpages.jsonl.gz
