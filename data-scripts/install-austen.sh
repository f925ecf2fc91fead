#!/usr/bin/env bash
# Installs Jane Austen's six novels (public-domain texts; the R package janeaustenr 1.0.0 by Julia Silge, MIT) from
# Debian's archive: the package r-cran-janeaustenr puts them, R character vectors of lines in a lazy-load database
# (data/Rdata.rdb, .rdx), in /usr/lib/R/site-library/janeaustenr, which the text data's `austen` books read (no R
# is run: src/data/rdata.ts reads the format). It depends on r-base-core (about 28 MB to download, 45 MB
# installed). Does nothing when they are there; needs apt-get, as root or through sudo (debian-package.sh).
# Usage: data-scripts/install-austen.sh
set -euo pipefail
# shellcheck source=debian-package.sh
source "$(dirname "$0")/debian-package.sh"

dir=/usr/lib/R/site-library/janeaustenr
present() {
  local file
  for file in DESCRIPTION data/Rdata.rdb data/Rdata.rdx; do [[ -s $dir/$file ]] || return 1; done
}
install_debian_package install-austen r-cran-janeaustenr "$dir" "Jane Austen's novels" \
  "install the R package janeaustenr 1.0.0 (R: install.packages(\"janeaustenr\")) and set LN_REPRO_AUSTEN_DIR to its folder"
