//! Debug aid: print each line of a dump with the role the reassembler gave it.
fn main() {
    let path = std::env::args().nth(1).expect("usage: roles FILE");
    let bytes = std::fs::read(&path).expect("read");
    let text = piasheet::decode::decode_text(&bytes).expect("decode").text;
    let rules = piasheet::rules::Rules::default_rules();
    let c = rules.compiled();
    let t = piasheet::reassemble::tokenize(piasheet::reassemble::lines_of(&text), rules, &c.labels, &c.options, &c.result);
    for (i, l) in t.lines.iter().enumerate() {
        let hit = t.hit_at_line.get(i).copied().flatten().map(|h| format!("{:?}", t.hits[h].kinds)).unwrap_or_default();
        println!("{:4} {:6} {:30} | {}", i + 1, format!("{:?}", t.roles[i]), hit, l.raw());
    }
}
