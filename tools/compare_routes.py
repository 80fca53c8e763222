#!/usr/bin/env python3
"""Second-route candidates on mutants (issue #17): which of them get >= 20 Japanese
characters out of each file that pdftotext reads.

    python3 tools/compare_routes.py /tmp/mut tools/pdfrs_probe/target/release/pdfrs_probe target/release/piasheet

The piasheet column is its fallback route alone (PIASHEET_PDF_FORCE_FALLBACK=1 text-dump)."""
import os, subprocess, sys, json
from concurrent.futures import ThreadPoolExecutor
mut=sys.argv[1]
files=sorted(f for f in os.listdir(mut) if f.endswith('.pdf'))
def cjk(s): return sum(1 for c in s if ord(c)>=0x3000)
def one(f):
    p=os.path.join(mut,f); r={}
    try:
        o=subprocess.run(['pdftotext',p,'-'],capture_output=True,timeout=30); r['poppler']=o.returncode==0 and cjk(o.stdout.decode('utf-8','replace'))>=20
    except subprocess.TimeoutExpired: r['poppler']=False
    try:
        o=subprocess.run([sys.argv[2],p],capture_output=True,timeout=10); t=o.stdout.decode().strip()
        r['pdfrs']=t.isdigit() and int(t)>=20; r['pdfrs_out']=t if not t.isdigit() else 'ok'
        if o.returncode!=0: r['pdfrs_out']=f'died {o.returncode}'
    except subprocess.TimeoutExpired: r['pdfrs']=False; r['pdfrs_out']='timeout'
    env=dict(os.environ, PIASHEET_PDF_FORCE_FALLBACK='1')
    try:
        o=subprocess.run([sys.argv[3],'text-dump',p],capture_output=True,timeout=30,env=env); r['own']=o.returncode==0 and cjk(o.stdout.decode('utf-8','replace'))>=20
    except subprocess.TimeoutExpired: r['own']=False
    return f,r
with ThreadPoolExecutor(2) as ex: res=dict(ex.map(one,files))
json.dump(res,open(os.path.join(os.path.dirname(mut.rstrip('/')) or '.', 'compare-routes.json'),'w'))
pop=[f for f in files if res[f]['poppler']]
for k in ['pdfrs','own']:
    ok=sum(1 for f in files if res[f][k]); miss=sum(1 for f in pop if not res[f][k])
    print(f"{k}: text (>=20 CJK chars) from {ok} of {len(files)}; pdftotext reads {len(pop)}, {k} misses {miss} of them ({100*miss/len(pop):.2f}%)")
from collections import Counter
print('pdfrs outcomes:', Counter(res[f]['pdfrs_out'].split(':')[0][:40] for f in files).most_common(8))
