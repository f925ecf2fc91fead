#!/usr/bin/env bash
# Downloads the four standard MNIST IDX files (gzipped) into DIR (default data/mnist) and checks their
# SHA-256 sums. ln-repro reads the .gz files as they are (config: data.source: idx, data.dir: DIR).
# Usage: data-scripts/fetch-mnist.sh [DIR]
set -euo pipefail

dir=${1:-data/mnist}
mirrors=(
  "https://storage.googleapis.com/cvdf-datasets/mnist"
  "https://ossci-datasets.s3.amazonaws.com/mnist"
)
declare -A sha256=(
  [train-images-idx3-ubyte.gz]=440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609
  [train-labels-idx1-ubyte.gz]=3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c
  [t10k-images-idx3-ubyte.gz]=8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6
  [t10k-labels-idx1-ubyte.gz]=f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6
)

sum_of() { sha256sum "$1" | cut -d' ' -f1; }

fetch() { # url dest
  if command -v curl >/dev/null; then curl -fsSL --retry 2 -o "$2" "$1"
  elif command -v wget >/dev/null; then wget -q -O "$2" "$1"
  else echo "fetch-mnist: need curl or wget" >&2; return 1
  fi
}

mkdir -p "$dir"
for file in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  dest="$dir/$file"
  if [[ -f "$dest" && "$(sum_of "$dest")" == "${sha256[$file]}" ]]; then
    echo "ok       $dest (already there)"
    continue
  fi
  tmp="$dest.part"
  got=""
  for mirror in "${mirrors[@]}"; do
    if fetch "$mirror/$file" "$tmp" && [[ "$(sum_of "$tmp")" == "${sha256[$file]}" ]]; then
      mv "$tmp" "$dest"
      got=$mirror
      break
    fi
    echo "fetch-mnist: $mirror/$file failed or has the wrong SHA-256; trying the next mirror" >&2
  done
  rm -f "$tmp"
  if [[ -z "$got" ]]; then
    echo "fetch-mnist: could not get a verified $file from any mirror" >&2
    exit 1
  fi
  echo "fetched  $dest from $got (sha256 verified)"
done
echo "MNIST is in $dir: run with --set data.source=idx --set data.dir=$dir (or configs/paper/mnist-pi.yaml)"
