#!/usr/bin/env bash
# Sets up a fresh clone on Debian/Ubuntu with Node.js 20: installs the system
# packages the examples and tests need (as root, or with password-less sudo;
# otherwise it prints the one apt-get line to run and stops), then `npm ci`,
# which also builds. Run it again at any time: it installs only what is missing.
#
#   age               interop tests of the age format
#   bowtie2           the dna-alignment example (bowtie2-build, bowtie2-align-s)
#   bowtie2-examples  its reference genome and reads
#   samtools          the dna-alignment example (sort, flagstat)
#   time              GNU time: peak memory in the benchmarks
#   openssh-client, openssh-server   the connector tests' hosts (one sshd per network namespace)
#   slurm-wlm, munge  the connector tests' two-node Slurm cluster
#   cwltool           the CWL reference runner: CWL outputs compared, overhead measured beside it
#   python3-schema-salad, python3-junit.xml, python3-defusedxml   cwltest (the CWL conformance suite's driver)
#   chromium          the run report's tests open it in headless Chromium
#   python3-rdflib    the RO-Crate export is parsed as JSON-LD by a tool we did not write
#
# This list is the only one: .ci/run calls this script, and the tests' loud
# skips (test/helpers/needs.ts) name the same packages.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(age bowtie2 bowtie2-examples samtools time openssh-client openssh-server slurm-wlm munge
  cwltool python3-schema-salad python3-junit.xml python3-defusedxml chromium python3-rdflib)

say() { printf 'sealflow setup: %s\n' "$*" >&2; }

if ! command -v node >/dev/null 2>&1 || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  say "sealflow needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none)). Install it, then run $0 again."
  exit 1
fi

installed() { dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'; }

if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  say "this is not a Debian/Ubuntu system (no dpkg/apt-get): install ${PACKAGES[*]} (or your system's equivalents) yourself, then run: npm ci"
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done

if [ "${#missing[@]}" -eq 0 ]; then
  say "system packages present: ${PACKAGES[*]}"
else
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    as_root=(sudo -n)
  else
    say "missing system packages: ${missing[*]}; installing them needs root, and sudo is not available without a password."
    say "Run this one line (as root, or with sudo), then run $0 again:"
    printf '  sudo apt-get update && sudo apt-get install -y --no-install-recommends %s\n' "${missing[*]}" >&2
    exit 1
  fi
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

npm ci --no-audit --no-fund
