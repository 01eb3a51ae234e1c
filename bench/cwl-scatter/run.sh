#!/bin/sh
# Per-step overhead of an N-step CWL scatter, sealflow beside cwltool in one invocation:
#   bench/cwl-scatter/run.sh N    (from the repository, after npm run build)
# Prints wall-clock seconds of: cwltool --no-container, sealflow-cwl-runner plain, sealflow-cwl-runner (attested sim, encrypted).
set -eu
N=${1:-1000}
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
node -e "console.log(JSON.stringify({xs: Array.from({length: $N}, (_, i) => i)}))" > "$WORK/job.json"
t() { s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }
echo "N=$N"
echo "cwltool --no-container: $(t cwltool --no-container --quiet --outdir "$WORK/c" "$HERE/scatter.cwl" "$WORK/job.json") s"
echo "sealflow plain:         $(t node "$HERE/../../dist/src/cli/cwl/runner.js" --platform none --no-encrypt --quiet --outdir "$WORK/p" "$HERE/scatter.cwl" "$WORK/job.json") s"
echo "sealflow sim:           $(export SEALFLOW_HOME="$WORK/home"; t node "$HERE/../../dist/src/cli/cwl/runner.js" --quiet --state-dir "$WORK/state" --outdir "$WORK/s" "$HERE/scatter.cwl" "$WORK/job.json") s"
