//! Decode: input bytes → text lines. The encoding is detected from the bytes (BOM,
//! UTF-16 zero-byte pattern, UTF-8 validity, then a Japanese-aware detector), never
//! from the file name.

use encoding_rs::{Encoding, EUC_JP, SHIFT_JIS, UTF_16BE, UTF_16LE, UTF_8};

/// Why bytes could not be read as a text dump. `code` is the batch error code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{reason}")]
pub struct DecodeError {
    pub code: &'static str,
    pub reason: String,
}

fn fail(code: &'static str, reason: impl Into<String>) -> DecodeError {
    DecodeError { code, reason: reason.into() }
}

/// Decoded text with the name of the encoding it was found in.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
    /// Invalid byte sequences replaced by U+FFFD (a mostly-UTF-8 file with a few bad
    /// bytes is still read; the caller warns).
    pub replaced: usize,
}

/// Invalid UTF-8 sequences in `bytes`.
fn invalid_utf8(bytes: &[u8]) -> usize {
    bytes.utf8_chunks().filter(|c| !c.invalid().is_empty()).count()
}

/// Whether the text starts like an HTML page (a saved web page instead of a dump).
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).to_ascii_lowercase();
    let head = head.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    head.starts_with('<') && (head.contains("<!doctype html") || head.contains("<html") || head.contains("<head"))
}

/// Detect the encoding of a text dump and decode it; line ends become `\n`.
pub fn decode_text(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(fail("empty", "the file is empty"));
    }
    let (encoding, body, decoded) = detect(bytes)?;
    // Detection already decoded the text (UTF-8 without BOM, Shift_JIS, EUC-JP): do not
    // decode it again.
    let (text, had_errors) = match decoded {
        Some(text) => (std::borrow::Cow::Owned(text), false),
        None => encoding.decode_without_bom_handling(body),
    };
    let replaced = if had_errors && encoding == UTF_8 { invalid_utf8(body) } else { 0 };
    if had_errors && !(encoding == UTF_8 && mostly_utf8(body)) {
        return Err(fail("binary", format!("bytes that are not valid {} text", encoding.name())));
    }
    checked(text, encoding, replaced)
}

/// The end of both decodings: text that is mostly control characters is binary; line
/// ends become `\n`.
fn checked(text: std::borrow::Cow<'_, str>, encoding: &'static Encoding, replaced: usize) -> Result<Decoded, DecodeError> {
    if may_hold_control_chars(&text) && control_chars(&text) * 100 > char_count(&text).max(1) {
        return Err(fail("binary", "binary data, not a text dump"));
    }
    let text = if memchr::memchr(b'\r', text.as_bytes()).is_some() { unify_line_ends(text.into_owned()) } else { text.into_owned() };
    Ok(Decoded { text, encoding: encoding.name(), replaced })
}

/// `text.replace("\r\n", "\n").replace('\r', "\n")`, in place (perf: one pass, no copy).
fn unify_line_ends(text: String) -> String {
    let mut b = text.into_bytes();
    // Bytes before `read` not yet looked at are moved down to `written`.
    let (mut read, mut written) = (0, 0);
    while let Some(at) = memchr::memchr(b'\r', &b[read..]).map(|p| read + p) {
        b.copy_within(read..at, written);
        written += at - read;
        b[written] = b'\n';
        written += 1;
        read = if b.get(at + 1) == Some(&b'\n') { at + 2 } else { at + 1 };
    }
    b.copy_within(read.., written);
    written += b.len() - read;
    b.truncate(written);
    // SAFETY: `b` was UTF-8 and only the ASCII `\r` were dropped or became `\n` (an
    // ASCII byte is never part of a multi-byte character), so it is UTF-8 still.
    unsafe { String::from_utf8_unchecked(b) }
}

/// [`decode_text`] of bytes the caller gives up: the same result, but valid UTF-8
/// (no BOM, no NUL) becomes the text without a copy, and other bytes are freed as soon
/// as they are decoded (issue #16: a large dump held once, not twice).
pub fn decode_text_owned(bytes: Vec<u8>) -> Result<Decoded, DecodeError> {
    // The borrowed path's checks that come before its UTF-8 test, in its order: all
    // white space, a BOM, NUL bytes (UTF-16 or binary) take that path.
    if bytes.iter().all(|b| b.is_ascii_whitespace()) || Encoding::for_bom(&bytes).is_some() || bytes.contains(&0) {
        return decode_text(&bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => checked(std::borrow::Cow::Owned(text), UTF_8, 0),
        Err(e) => decode_text(e.as_bytes()),
    }
}

/// The encoding, the bytes to decode, and the text when detection already decoded it.
type Detected<'a> = (&'static Encoding, &'a [u8], Option<String>);

fn detect(bytes: &[u8]) -> Result<Detected<'_>, DecodeError> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        return Ok((enc, &bytes[bom_len..], None));
    }
    // UTF-16 without BOM: NUL bytes (every ASCII character has one) and an even length;
    // the byte order is the one that reads as Japanese text.
    if bytes.contains(&0) && bytes.len().is_multiple_of(2) {
        let plausible = |enc: &'static Encoding| {
            let (text, had_errors) = enc.decode_without_bom_handling(&bytes[..bytes.len().min(8192)]);
            let n = text.chars().count().max(1);
            let good = text.chars().filter(|&c| is_common_japanese_text(c)).count();
            (!had_errors && good * 10 >= n * 9).then_some(good)
        };
        match (plausible(UTF_16LE), plausible(UTF_16BE)) {
            (Some(le), Some(be)) => return Ok((if le >= be { UTF_16LE } else { UTF_16BE }, bytes, None)),
            (Some(_), None) => return Ok((UTF_16LE, bytes, None)),
            (None, Some(_)) => return Ok((UTF_16BE, bytes, None)),
            (None, None) => {}
        }
    }
    if bytes.contains(&0) {
        return Err(fail("binary", "binary data (NUL bytes), not a text dump"));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((UTF_8, bytes, Some(text.to_string())));
    }
    // Not UTF-8: the legacy Japanese encodings. Prefer the one that decodes without
    // errors; the detector breaks ties (short texts can be valid in both).
    // (Decoding stops at the first error, which comes early for the wrong one.)
    let sjis = SHIFT_JIS.decode_without_bom_handling_and_without_replacement(bytes);
    let euc = EUC_JP.decode_without_bom_handling_and_without_replacement(bytes);
    match (sjis, euc) {
        (Some(text), None) => Ok((SHIFT_JIS, bytes, Some(text.into_owned()))),
        (None, Some(text)) => Ok((EUC_JP, bytes, Some(text.into_owned()))),
        (Some(sjis), Some(euc)) => {
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
            det.feed(bytes, true);
            Ok(match det.guess(Some(b"jp"), chardetng::Utf8Detection::Deny) {
                g if g == EUC_JP => (EUC_JP, bytes, Some(euc.into_owned())),
                _ => (SHIFT_JIS, bytes, Some(sjis.into_owned())),
            })
        }
        // A UTF-8 dump damaged in a few places: read it, the bad bytes replaced.
        (None, None) if mostly_utf8(bytes) => Ok((UTF_8, bytes, None)),
        (None, None) => {
            // Invalid UTF-8 that is not Japanese legacy text either.
            Err(fail("binary", "neither UTF-8, UTF-16, Shift_JIS nor EUC-JP text"))
        }
    }
}

/// Control characters (`char::is_control`: U+0000–U+001F, U+007F–U+009F) other than
/// the line and page breaks and tabs, counted on the UTF-8 bytes.
fn control_chars(text: &str) -> usize {
    let b = text.as_bytes();
    let c0 = b.iter().filter(|&&x| (x < 0x20 && !matches!(x, b'\n' | b'\r' | b'\t' | 0x0c)) || x == 0x7f).count();
    // U+0080–U+009F are C2 80 … C2 9F. (Zipped slices, not `windows`: vectorised.)
    let c1 = b.iter().zip(b.iter().skip(1)).filter(|&(&x, &y)| x == 0xc2 && y & 0xe0 == 0x80).count();
    c0 + c1
}

/// Whether `text` may hold a character [`control_chars`] counts: false only when none
/// of its bytes is a C0 control other than the four white-space ones, DEL, or the lead
/// byte of U+0080–U+00BF (C2). A text dump almost never does, so the counts (three more
/// passes) are skipped (issue #16: they were ~5 % of a small dump's instructions).
/// One pass in blocks the compiler vectorizes (no early exit inside a block).
fn may_hold_control_chars(text: &str) -> bool {
    let flagged = |x: u8| (x < 0x20) & (x != b'\n') & (x != b'\r') & (x != b'\t') & (x != 0x0c) | (x == 0x7f) | (x == 0xc2);
    text.as_bytes().chunks(64).any(|block| block.iter().fold(false, |any, &x| any | flagged(x)))
}

/// Characters in `text` (bytes that are not UTF-8 continuation bytes).
fn char_count(text: &str) -> usize {
    text.as_bytes().iter().filter(|&&x| (x as i8) >= -0x40).count()
}

/// At most one invalid sequence per 1000 bytes, and the rest valid UTF-8.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let bad = invalid_utf8(bytes);
    bad * 1000 <= bytes.len() && bytes.utf8_chunks().map(|c| c.valid().len()).sum::<usize>() * 10 >= bytes.len() * 9
}

/// Characters a Japanese text dump is made of: ASCII, kana, kanji, full-width forms,
/// punctuation and the form's marks.
fn is_common_japanese_text(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t' | ' '..='~' | '\u{3000}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}' | '\u{2000}'..='\u{27bf}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_equal_char_counts() {
        for t in ["", "abc\n\r\t\x0c", "\x00\x01\x7f\u{80}\u{9f}\u{a0}é", "国民健康保険\u{85}\u{1b}ｶﾞ", "\u{c2}\u{80}"] {
            let want = t.chars().filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c')).count();
            assert_eq!(control_chars(t), want, "{t:?}");
            assert_eq!(char_count(t), t.chars().count(), "{t:?}");
        }
    }

    /// The skip test never hides a control character: whenever the counts find one,
    /// `may_hold_control_chars` says so (random texts over the bytes it tests, the
    /// neighbours of each, and Japanese characters; every position in a block).
    #[test]
    fn the_quick_test_never_misses_a_control_character() {
        let alphabet: Vec<char> = ['\0', '\x01', '\x08', '\t', '\n', '\x0b', '\x0c', '\r', '\x1b', '\x1f', ' ', '~', '\x7f', '\u{80}', '\u{85}', '\u{9f}', '\u{a0}', '\u{bf}', '\u{c0}', 'é', '¥', '×', 'ｶ', '　', '国', '\u{3000}', '\u{ff5e}']
            .into_iter()
            .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(150);
            let t: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
            let counted = control_chars(&t) > 0;
            assert!(!counted || may_hold_control_chars(&t), "{t:?}");
        }
        // One control character at every position of a text longer than a block.
        let plain = "国民健康保険 ab\t\r\n".repeat(20);
        for c in ['\0', '\x1b', '\x7f', '\u{85}', '\u{9f}'] {
            for i in 0..plain.chars().count() {
                let t: String = plain.chars().take(i).chain([c]).chain(plain.chars().skip(i)).collect();
                assert!(control_chars(&t) > 0 && may_hold_control_chars(&t), "{c:?} at {i}");
            }
        }
        assert!(!may_hold_control_chars(&plain));
    }

    const SAMPLE: &str = "特定個人情報保護評価書（基礎項目評価書）\n評価書番号 評価書名\n令和6年5月24日\n";

    fn roundtrip(enc: &'static Encoding, bom: &[u8], crlf: bool) -> Decoded {
        let text = if crlf { SAMPLE.replace('\n', "\r\n") } else { SAMPLE.to_string() };
        let mut bytes = bom.to_vec();
        if enc == UTF_16LE || enc == UTF_16BE {
            for u in text.encode_utf16() {
                bytes.extend(if enc == UTF_16LE { u.to_le_bytes() } else { u.to_be_bytes() });
            }
        } else {
            bytes.extend(enc.encode(&text).0.iter());
        }
        let d = decode_text(&bytes).expect("decodes");
        assert_eq!(d.text, SAMPLE, "{}", enc.name());
        d
    }

    #[test]
    fn utf8_plain_and_bom() {
        assert_eq!(roundtrip(UTF_8, b"", false).encoding, "UTF-8");
        assert_eq!(roundtrip(UTF_8, b"\xEF\xBB\xBF", true).encoding, "UTF-8");
    }

    #[test]
    fn shift_jis_crlf() {
        assert_eq!(roundtrip(SHIFT_JIS, b"", true).encoding, "Shift_JIS");
    }

    #[test]
    fn euc_jp() {
        assert_eq!(roundtrip(EUC_JP, b"", false).encoding, "EUC-JP");
    }

    #[test]
    fn utf16_with_and_without_bom() {
        assert_eq!(roundtrip(UTF_16LE, b"\xFF\xFE", true).encoding, "UTF-16LE");
        assert_eq!(roundtrip(UTF_16BE, b"\xFE\xFF", false).encoding, "UTF-16BE");
        assert_eq!(roundtrip(UTF_16LE, b"", false).encoding, "UTF-16LE");
    }

    #[test]
    fn a_few_bad_bytes_in_utf8_are_replaced() {
        let mut bytes = SAMPLE.repeat(50).into_bytes();
        bytes.insert(100, 0xFF);
        let d = decode_text(&bytes).unwrap();
        assert_eq!((d.encoding, d.replaced), ("UTF-8", 1));
        assert!(looks_like_html(b"\n<!DOCTYPE html><html><body>x</body></html>"));
        assert!(!looks_like_html(SAMPLE.as_bytes()));
    }

    /// The in-place line-end rewrite equals the two replaces it stands for.
    #[test]
    fn line_ends_unified_in_place() {
        let parts = ["\r", "\n", "\r\n", "\n\r", "a", "国", "\r\r", ""];
        for a in parts {
            for b in parts {
                for c in parts {
                    for d in parts {
                        let t = format!("{a}{b}{c}{d}");
                        assert_eq!(unify_line_ends(t.clone()), t.replace("\r\n", "\n").replace('\r', "\n"), "{t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn cr_only_line_ends() {
        let d = decode_text(SAMPLE.replace('\n', "\r").as_bytes()).unwrap();
        assert_eq!(d.text, SAMPLE);
    }

    /// The owned path gives what the borrowed one gives, on every kind of input
    /// (the plain UTF-8 shortcut and every fallback to the borrowed path).
    #[test]
    fn owned_decoding_equals_borrowed() {
        let mut inputs: Vec<Vec<u8>> = vec![b"".to_vec(), b" \n\n".to_vec(), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), b"abc\xFF".to_vec()];
        inputs.push(SAMPLE.as_bytes().to_vec());
        inputs.push(SAMPLE.replace('\n', "\r\n").into_bytes());
        inputs.push(SAMPLE.replace('\n', "\r").into_bytes());
        inputs.push([b"\xEF\xBB\xBF".as_slice(), SAMPLE.as_bytes()].concat());
        inputs.push(SHIFT_JIS.encode(SAMPLE).0.into_owned());
        inputs.push(EUC_JP.encode(SAMPLE).0.into_owned());
        inputs.push(SAMPLE.encode_utf16().flat_map(u16::to_le_bytes).collect());
        inputs.push("x\u{1}\u{2}\u{3}\u{85}".repeat(30).into_bytes()); // control characters: binary
        inputs.push("abc\x7fdef\n".repeat(3).into_bytes()); // a few: still text
        let mut bad = SAMPLE.repeat(50).into_bytes();
        bad.insert(100, 0xFF);
        inputs.push(bad);
        inputs.push((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect());
        for bytes in inputs {
            let (owned, borrowed) = (decode_text_owned(bytes.clone()), decode_text(&bytes));
            match (owned, borrowed) {
                (Ok(a), Ok(b)) => assert_eq!((a.text, a.encoding, a.replaced), (b.text, b.encoding, b.replaced), "{bytes:?}"),
                (Err(a), Err(b)) => assert_eq!(a, b, "{bytes:?}"),
                (a, b) => panic!("{bytes:?}: owned {a:?}, borrowed {b:?}"),
            }
        }
    }

    #[test]
    fn empty_and_binary_are_errors() {
        assert_eq!(decode_text(b"").unwrap_err().code, "empty");
        assert_eq!(decode_text(b" \n\n").unwrap_err().code, "empty");
        assert_eq!(decode_text(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err().code, "binary");
        assert_eq!(decode_text(b"abc\xFF").unwrap_err().code, "binary");
        let random: Vec<u8> = (0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        assert_eq!(decode_text(&random).unwrap_err().code, "binary");
    }
}
