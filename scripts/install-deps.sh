#!/usr/bin/env bash
# Installs the Debian packages threadleak builds and tests with, only when one is missing.
set -eu
pkgs=(gcc g++ make pkg-config libunwind-dev uthash-dev libcriterion-dev libdw-dev libelf-dev
      libjansson-dev libiberty-dev
      # runtimes the tests run real programs of (tests/test_runtimes.c, test_cli.c)
      default-jdk-headless nodejs python3 cargo libglib2.0-dev nginx-light)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "threadleak: installing missing build dependencies: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
