#!/bin/bash
# bench/encryption/pairs.sh: 2 GiB (or SIZE_MIB) file → file encryption and decryption, `age` and one or more
# sealflow builds alternated in one invocation — the loop behind the 2 GiB rows of bench/RESULTS.md
# ("BULK — session 7"); `node dist/bench/encryption/main.js --size 2GiB --baseline DIR` measures the same and
# the /dev/null cases too. For each op: one warm-up of each tool, then RUNS rounds; `rm -f out` just before
# each command; decrypt reads a ciphertext made by `age`. Prints "op tool round wall user sys load <load1>".
#
#     bench/encryption/pairs.sh 2048 3 age /tmp/bulk-before .     (a build = a repository root with dist/ built)
#
# Needs age, age-keygen and GNU time; uses $PAIRS_DIR (default /tmp/sealflow-pairs, SIZE_MIB × 3 of space), removed at the end.
set -e
SIZE=$1; RUNS=$2; shift 2
D=${PAIRS_DIR:-/tmp/sealflow-pairs}; mkdir -p "$D"
trap 'rm -rf "$D"' EXIT
age-keygen -o "$D/key" 2>/dev/null
R=$(age-keygen -y "$D/key")
head -c $((SIZE*1024*1024)) /dev/urandom > "$D/in"
cmd() { # tool op out
  local t=$1 op=$2 out=$3
  if [ "$t" = age ]; then
    if [ "$op" = encrypt ]; then echo "age -r $R -o $out $D/in"; else echo "age -d -i $D/key -o $out $D/ct.age"; fi
  else
    if [ "$op" = encrypt ]; then echo "node $t/dist/src/cli/bin.js encrypt -r $R -o $out $D/in"; else echo "node $t/dist/src/cli/bin.js decrypt -i $D/key -o $out $D/ct.age"; fi
  fi
}
age -r "$R" -o "$D/ct.age" "$D/in"
for op in encrypt decrypt; do
  for t in "$@"; do rm -f "$D/out"; $(cmd "$t" $op "$D/out"); done # warm-up
  for i in $(seq 1 "$RUNS"); do
    for t in "$@"; do
      rm -f "$D/out"
      l=$(cut -d' ' -f1 /proc/loadavg)
      r=$( { /usr/bin/time -f "%e %U %S" $(cmd "$t" $op "$D/out"); } 2>&1 | tail -1)
      echo "$op $t $i $r load $l"
    done
  done
done
