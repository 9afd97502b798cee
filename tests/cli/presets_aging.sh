#!/usr/bin/env bash
# The PCM preset loses accuracy as the chip ages and global drift compensation recovers part of it; the
# RRAM preset runs too. Margins are far above the Monte-Carlo spread seen at this size (2 chips, 500 images:
# std ~1-2 points; PCM at 1 y loses ~25 points uncompensated).
source "$(dirname "$0")/common.bash"
for preset in pcm rram; do
  if ! "$MXSIM" run --arch "$SRC/sim/presets/$preset.yaml" --images 500 --chips 2 --times 1h,1y --no-progress \
      --out "$WORK/$preset.json" >"$WORK/$preset.out" 2>"$WORK/$preset.err"; then
    fail "$preset run failed: $(cat "$WORK/$preset.err")"
  fi
done
"$PY" - "$WORK/pcm.json" "$WORK/rram.json" <<'PYEOF' || fail "aging checks"
import json, sys
pcm, rram = (json.load(open(p)) for p in sys.argv[1:3])
rows = {r["time"]: r for r in pcm["accuracy"]["vs_time"]}
h, y = rows["1h"], rows["1y"]
print("pcm: fresh %.2f, 1h %.2f/%.2f, 1y %.2f/%.2f (plain/compensated)" % (pcm["accuracy"]["top1"], h["top1"],
      h["top1_compensated"], y["top1"], y["top1_compensated"]))
assert y["top1"] < h["top1"] - 5, "accuracy does not fall from 1 h to 1 y"
assert y["top1_compensated"] > y["top1"] + 5, "drift compensation does not recover accuracy at 1 y"
assert y["top1_compensated"] <= pcm["accuracy"]["ideal_top1"] + 1
r = {x["time"]: x for x in rram["accuracy"]["vs_time"]}
print("rram: fresh %.2f, 1y %.2f/%.2f" % (rram["accuracy"]["top1"], r["1y"]["top1"], r["1y"]["top1_compensated"]))
assert rram["accuracy"]["top1"] > 50 and rram["mapping"]["arrays_used"] == 4 * 11, rram["mapping"]
PYEOF
pass "presets age as expected"
finish
