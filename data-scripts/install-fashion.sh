#!/usr/bin/env bash
# Installs Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, Zalando SE, MIT licence: 60,000 training and 10,000 test
# images of 10 kinds of clothing, 28x28 grey, the MNIST IDX format) from Debian's archive: the package
# dataset-fashion-mnist puts the four .gz files in /usr/share/datasets/fashion-mnist, which data.source fashion
# reads. Does nothing when they are there; needs apt-get, as root or through sudo (debian-package.sh).
# Usage: data-scripts/install-fashion.sh
set -euo pipefail
# shellcheck source=debian-package.sh
source "$(dirname "$0")/debian-package.sh"

dir=/usr/share/datasets/fashion-mnist
present() {
  local split kind
  for split in train t10k; do
    for kind in images-idx3 labels-idx1; do [[ -s $dir/$split-$kind-ubyte.gz ]] || return 1; done
  done
}
install_debian_package install-fashion dataset-fashion-mnist "$dir" Fashion-MNIST \
  "download Fashion-MNIST (github.com/zalandoresearch/fashion-mnist) and use data.source: idx with data.dir naming its folder"
