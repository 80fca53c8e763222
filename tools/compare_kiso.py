#!/usr/bin/env python3
"""The 基礎 port (issue #11): read every 基礎 input we have by both routes — the older
reader and the form engine (PIASHEET_KISO_ENGINE=1) — and diff the whole records
(fields, warnings, findings, provenance, status).

    python3 tools/compare_kiso.py [BINARY] [-v]

Prints one line per input whose records differ (with the differing paths under -v),
then `same N of M`, and the field score of each route against the expected records
where there are any. Exit status 1 when any record differs."""
import json, os, subprocess, sys, tempfile

B = next((a for a in sys.argv[1:] if not a.startswith('-')), 'target/release/piasheet')
VERBOSE = '-v' in sys.argv
S = '../shared'
# Every 基礎 input: the seed, the PDFs, the forms, the mirror, the fixtures, every extractor.
INPUTS = ['input', f'{S}/pdf', f'{S}/forms/kiso-h26.pdf', f'{S}/forms/kiso-h26.txt', f'{S}/mirror', 'tests/fixtures'] + \
    sorted(f'{S}/extractors/{d}' for d in os.listdir(f'{S}/extractors') if os.path.isdir(f'{S}/extractors/{d}'))


def run(env_on, out):
    env = dict(os.environ)
    env.pop('PIASHEET_KISO_ENGINE', None)
    if env_on:
        env['PIASHEET_KISO_ENGINE'] = '1'
    # One run per input, its records under a folder named after it (the same file names
    # come from every extractor).
    for i in INPUTS:
        name = i.replace('../shared/', '').replace('/', '_')
        subprocess.run([B, 'extract', i, '-o', f'{out}/{name}', '--provenance', '-q', '-j', '1'], env=env, capture_output=True)
    recs = {}
    for root, _, files in os.walk(out):
        for f in files:
            if f.endswith('.json') and f not in ('datapackage.json', 'schema.json'):
                p = os.path.join(root, f)
                try:
                    r = json.load(open(p))
                except Exception:
                    continue
                if isinstance(r, dict) and 'schema_version' in r:
                    recs[os.path.relpath(p, out)] = r
    return recs


def flat(v, p='', out=None):
    out = {} if out is None else out
    if isinstance(v, dict):
        for k, x in v.items():
            flat(x, f'{p}.{k}' if p else k, out)
    elif isinstance(v, list) and p.split('.')[-1] in ('warnings', 'findings'):
        for x in v:
            out.setdefault(f'{p}:{x.get("code")}@{x.get("path")}', 0)
            out[f'{p}:{x.get("code")}@{x.get("path")}'] += 1
    elif isinstance(v, list):
        for i, x in enumerate(v):
            flat(x, f'{p}[{i}]', out)
    else:
        out[p] = v
    return out


with tempfile.TemporaryDirectory() as t:
    old, new = run(False, f'{t}/old'), run(True, f'{t}/new')
names = sorted(n for n in old if old[n].get('kind') in ('kiso', None) or new.get(n, {}).get('kind') in ('kiso', None))
same = 0
same_fields = 0
counts = {}
for n in names:
    a, b = flat(old[n]), flat(new.get(n, {}))
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    if not diff:
        same += 1
        continue
    fields = [k for k in diff if not k.startswith(('provenance', 'warnings', 'findings'))]
    same_fields += not [k for k in fields if k != 'status']
    for k in diff:
        head = k.split('.')[0].split(':')[0] if not k.startswith(('warnings', 'findings')) else k.split(':')[0]
        counts[head] = counts.get(head, 0) + 1
    print(f'{n}: {len(fields)} field(s), {sum(k.startswith("warnings") for k in diff)} warning(s), '
          f'{sum(k.startswith("findings") for k in diff)} finding(s), {sum(k.startswith("provenance") for k in diff)} provenance')
    if VERBOSE:
        for k in diff:
            print(f'    {k}: {json.dumps(a.get(k), ensure_ascii=False)[:90]} -> {json.dumps(b.get(k), ensure_ascii=False)[:90]}')
print(f'same {same} of {len(names)} (same fields, status aside: {same_fields + same}); differing keys by part: {dict(sorted(counts.items()))}')
sys.exit(0 if same == len(names) else 1)
