#!/usr/bin/env bash
# The include graph of userspace/ runs one way: each layer includes only the layers below it
# (docs/DESIGN.md, the table of boxes), and no protocol folder includes another. Prints every
# include that runs the wrong way and fails if there is one.
set -euo pipefail
SRC="${1:?usage: check_layers.sh <repo root>}/userspace"

# layer -> the top-level folders of userspace/ (and include/redeye, "redeye") it may include
declare -A ALLOWED=(
  [text]=""
  [config]="text"
  [host]="text"
  [system]="text"
  [discovery]="config host text"
  [metrics]="config discovery host text redeye"
  [web]="metrics text"
  [bpf]="config host text redeye"
  [protocols]="config discovery host metrics text redeye"
  [conn]="bpf config discovery host metrics protocols text redeye"
  [agent]="*"
)

bad=0
report() { echo "check_layers: $1" >&2; bad=1; }

for layer in "${!ALLOWED[@]}"; do
  [[ -d "$SRC/$layer" ]] || { report "userspace/$layer is in the table but not in the tree"; continue; }
  [[ "${ALLOWED[$layer]}" == "*" ]] && continue
  while IFS=: read -r file _ include; do
    target=${include#*\"}
    target=${target%%/*}
    [[ "$target" == "$layer" ]] && continue
    [[ " ${ALLOWED[$layer]} " == *" $target "* ]] && continue
    report "${file#"$SRC"/} includes \"$target/...\": $layer may include only: ${ALLOWED[$layer]:-nothing of userspace}"
  done < <(grep -rnE '^#include "[a-z_]+/' "$SRC/$layer" || true)
done

for dir in "$SRC"/*/; do
  name=$(basename "$dir")
  [[ -v "ALLOWED[$name]" ]] || report "userspace/$name has no row in check_layers.sh (which layers may it include?)"
done

# Protocol folders: the shared contract (protocol.h, sink_ref.h) and common/ only, never a peer.
for dir in "$SRC"/protocols/*/; do
  name=$(basename "$dir")
  while IFS=: read -r file _ include; do
    peer=${include#*\"protocols/}
    [[ "$peer" == */* ]] || continue  # protocols/protocol.h, protocols/sink_ref.h
    peer=${peer%%/*}
    [[ "$peer" == "$name" || "$peer" == "common" ]] && continue
    report "${file#"$SRC"/} includes protocols/$peer/: protocol folders do not include each other"
  done < <(grep -rnE '^#include "protocols/' "$dir" || true)
done

# The shared protocol layer (protocols/*.h, common/): only the table, registry.cpp, names the
# protocol folders.
while IFS=: read -r file _ include; do
  [[ "$file" == */registry.cpp ]] && continue
  report "${file#"$SRC"/} includes ${include#*\"}: only registry.cpp names protocol folders"
done < <(grep -nE '^#include "protocols/[a-z0-9_]+/' "$SRC"/protocols/*.h "$SRC"/protocols/*.cpp \
  "$SRC"/protocols/common/* | grep -v '"protocols/common/' || true)

[[ $bad == 0 ]] && echo "check_layers: the include graph runs one way"
exit $bad
