# Sourced by data-scripts/install-*.sh: installs the Debian package that carries a dataset, unless the caller's
# present() already finds its files. Does nothing when they are there; needs apt-get, as root or through sudo.
# Usage: install_debian_package <script name> <package> <folder> <what it holds> <what to do without apt-get>

install_debian_package() {
  local name=$1 package=$2 dir=$3 what=$4 no_apt=$5
  if present; then
    echo "$name: $what in $dir: installed"
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    echo "$name: no apt-get here; $no_apt" >&2
    exit 2
  fi
  local sudo=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null; then
      echo "$name: not root and no sudo; as root run: apt-get install $package" >&2
      exit 2
    fi
    sudo=(sudo)
  fi
  # --reinstall: also restores files deleted from an installed package. A fresh machine may have no package lists
  # yet: update once if the first try cannot find the package.
  local install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -q
    --reinstall "$package")
  "${install[@]}" || { "${sudo[@]}" apt-get update -q && "${install[@]}"; }
  present || { echo "$name: the package is installed but $dir lacks its files" >&2 && exit 1; }
  echo "$name: $what in $dir: installed now"
}
