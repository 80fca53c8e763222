#!/bin/bash
# Every score line of the project: the seed, ../shared/forms, ../shared/mirror, tests/fixtures
# and each ../shared/extractors folder, read by target/release/piasheet (or $B).
B=${B:-target/release/piasheet}
S=../shared
cd "$(dirname "$0")/.."
rm -rf /tmp/sc; mkdir -p /tmp/sc
$B extract input/000_72349b560cd020d7.txt -o /tmp/sc/seed -q 2>/dev/null; echo "seed $(python3 $S/tools/score.py $S/golden/000_72349b560cd020d7.json /tmp/sc/seed/000_72349b560cd020d7.json | tail -1)"
$B extract $S/forms -o /tmp/sc/forms -q 2>/dev/null; echo "forms $(python3 $S/tools/score.py --dir $S/forms /tmp/sc/forms | tail -1)"
$B extract $S/mirror -o /tmp/sc/mirror -q 2>/dev/null; echo "mirror $(python3 $S/tools/score.py --dir $S/mirror /tmp/sc/mirror | tail -1)"
$B extract tests/fixtures -o /tmp/sc/fix -q 2>/dev/null; echo "fixtures $(python3 $S/tools/score.py --dir tests/fixtures /tmp/sc/fix | tail -1)"
for d in $S/extractors/*/; do t=$(basename $d); $B extract $d -o /tmp/sc/ex_$t -q 2>/dev/null; echo "$t $(python3 $S/tools/score.py --dir $d /tmp/sc/ex_$t | tail -1)"; done
