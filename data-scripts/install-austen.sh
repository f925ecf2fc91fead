#!/usr/bin/env bash
# Installs Jane Austen's six novels (public-domain texts; the R package janeaustenr 1.0.0 by Julia Silge, MIT) from
# Debian's archive: the package r-cran-janeaustenr puts them, R character vectors of lines in a lazy-load database
# (data/Rdata.rdb, .rdx), in /usr/lib/R/site-library/janeaustenr, which the text data's `austen` books read (no R
# is run: src/data/rdata.ts reads the format). It depends on r-base-core (about 28 MB to download, 45 MB
# installed). Does nothing when they are there; needs apt-get, as root or through sudo.
# Usage: data-scripts/install-austen.sh
set -euo pipefail

dir=/usr/lib/R/site-library/janeaustenr
present() {
  local file
  for file in DESCRIPTION data/Rdata.rdb data/Rdata.rdx; do [[ -s $dir/$file ]] || return 1; done
}
if present; then
  echo "install-austen: Jane Austen's novels are installed in $dir"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "install-austen: no apt-get here; install the R package janeaustenr 1.0.0 (R: install.packages(\"janeaustenr\"))" \
    "and set LN_REPRO_AUSTEN_DIR to its folder" >&2
  exit 2
fi
sudo=()
if ((EUID != 0)); then
  if ! command -v sudo >/dev/null; then
    echo "install-austen: not root and no sudo; as root run: apt-get install r-cran-janeaustenr" >&2
    exit 2
  fi
  sudo=(sudo)
fi
# --reinstall: also restores files deleted from an installed package.
apt_install() {
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -q --reinstall \
    r-cran-janeaustenr
}
# A fresh machine may have no package lists yet: update once if the first try cannot find the package.
apt_install || { "${sudo[@]}" apt-get update -q && apt_install; }
present || { echo "install-austen: the package is installed but $dir lacks its files" >&2 && exit 1; }
echo "install-austen: Jane Austen's novels installed in $dir"
