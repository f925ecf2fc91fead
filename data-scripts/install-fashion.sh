#!/usr/bin/env bash
# Installs Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando SE, MIT licence: 60,000 training and 10,000 test
# images of 10 kinds of clothing, 28x28 grey, the MNIST IDX format) from Debian's archive: the package
# dataset-fashion-mnist puts the four .gz files in /usr/share/datasets/fashion-mnist, which data.source fashion
# reads. Does nothing when they are there; needs apt-get, as root or through sudo.
# Usage: data-scripts/install-fashion.sh
set -euo pipefail

dir=/usr/share/datasets/fashion-mnist
present() {
  local split kind
  for split in train t10k; do
    for kind in images-idx3 labels-idx1; do [[ -s $dir/$split-$kind-ubyte.gz ]] || return 1; done
  done
}
if present; then
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
# --reinstall: also restores files deleted from an installed package.
apt_install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -q --reinstall \
    dataset-fashion-mnist
}
# A fresh machine may have no package lists yet: update once if the first try cannot find the package.
apt_install || { "${sudo[@]}" apt-get update -q && apt_install; }
present || { echo "install-fashion: the package is installed but $dir lacks its files" >&2 && exit 1; }
echo "install-fashion: Fashion-MNIST installed in $dir"
