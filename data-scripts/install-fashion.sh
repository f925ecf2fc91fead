#!/usr/bin/env bash
# Installs Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando SE, MIT licence: 60,000 training and 10,000 test
# images of 10 kinds of clothing, 28x28 grey, the MNIST IDX format) from Debian's archive: the package
# dataset-fashion-mnist puts the four .gz files in /usr/share/datasets/fashion-mnist, which data.source fashion
# reads. Does nothing when they are there; needs apt-get, as root or through sudo.
# Usage: data-scripts/install-fashion.sh
set -euo pipefail

dir=/usr/share/datasets/fashion-mnist
if [[ -f $dir/train-images-idx3-ubyte.gz && -f $dir/t10k-labels-idx1-ubyte.gz ]]; then
  echo "install-fashion: Fashion-MNIST is installed in $dir"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-fashion: no apt-get here; download Fashion-MNIST (github.com/zalandoresearch/fashion-mnist) and" \
    "use data.source: idx with data.dir naming its folder" >&2
  exit 2
fi
sudo=()
if ((EUID != 0)); then sudo=(sudo); fi
install() { DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends -q dataset-fashion-mnist; }
# A fresh machine may have no package lists yet: update once if the first try cannot find the package.
install || { "${sudo[@]}" apt-get update -q && install; }
echo "install-fashion: Fashion-MNIST installed in $dir"
