//! Strings across the VST3 boundary: fixed-size C (`char8`) and UTF-16 (`TChar`) arrays.

use std::ffi::c_char;

use vst3::Steinberg::Vst::TChar;

/// Copies `src` into the C string `dst`, truncating, always NUL-terminated.
pub fn copy_cstring(src: &str, dst: &mut [c_char]) {
    let Some(room) = dst.len().checked_sub(1) else { return };
    let bytes = src.as_bytes();
    let n = bytes.len().min(room);
    for (d, &s) in dst.iter_mut().zip(&bytes[..n]) {
        *d = s as c_char;
    }
    dst[n] = 0;
}

/// Copies `src` into the UTF-16 string `dst`, truncating, always NUL-terminated.
pub fn copy_wstring(src: &str, dst: &mut [TChar]) {
    let Some(room) = dst.len().checked_sub(1) else { return };
    let mut n = 0;
    for (d, s) in dst[..room].iter_mut().zip(src.encode_utf16()) {
        *d = s as TChar;
        n += 1;
    }
    dst[n] = 0;
}

/// Reads a NUL-terminated UTF-16 string of at most `max` units from `src`.
///
/// # Safety
/// `src` is null or points to a NUL-terminated string or at least `max` readable units.
pub unsafe fn read_wstring(src: *const TChar, max: usize) -> Option<String> {
    if src.is_null() {
        return None;
    }
    let mut len = 0;
    // SAFETY: the caller promises a terminator or `max` readable units.
    while len < max && unsafe { *src.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: the `len` units were just read.
    let units = unsafe { std::slice::from_raw_parts(src.cast::<u16>(), len) };
    String::from_utf16(units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_truncated_and_terminated() {
        let mut c = [1 as c_char; 4];
        copy_cstring("Ferrule", &mut c);
        assert_eq!(c, [b'F' as c_char, b'e' as c_char, b'r' as c_char, 0]);
        let mut w = [1 as TChar; 8];
        copy_wstring("dB", &mut w);
        // SAFETY: `w` holds 8 readable units (and `copy_wstring` terminated it), as `read_wstring` requires.
        assert_eq!(unsafe { read_wstring(w.as_ptr(), 8) }.as_deref(), Some("dB"));
        copy_wstring("a long name", &mut w);
        // SAFETY: `w` still holds 8 readable units, `max` here.
        assert_eq!(unsafe { read_wstring(w.as_ptr(), 8) }.as_deref(), Some("a long "));
    }
}
