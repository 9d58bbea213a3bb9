//! Reading and writing whole byte strings through a host's `IBStream` (plugin state).

use vst3::ComRef;
use vst3::Steinberg::{IBStream, IBStreamTrait};

/// The largest state read from a host stream, in bytes (a patch is text; this is far above any real one).
const MAX_STATE_BYTES: usize = 64 << 20;

/// Why a host stream could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamError {
    /// The host passed a null stream.
    Null,
    /// The stream refused to take more bytes.
    WriteFailed,
    /// The stream holds more than [`MAX_STATE_BYTES`].
    TooLarge,
}

/// Reads `stream` from its current position to its end. Main thread.
///
/// # Safety
/// `stream` is null or a valid `IBStream` for the duration of the call.
pub unsafe fn read_to_end(stream: *mut IBStream) -> Result<Vec<u8>, StreamError> {
    // SAFETY: the caller promises a valid stream or null.
    let stream: ComRef<'_, IBStream> = unsafe { ComRef::from_raw(stream) }.ok_or(StreamError::Null)?;
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut read = 0;
        // SAFETY: `chunk` is writable for its length; `read` is a valid out pointer.
        let result = unsafe { stream.read(chunk.as_mut_ptr().cast(), chunk.len() as i32, &mut read) };
        // Streams report the end as a short or empty read, some also with kResultFalse.
        let read = read.clamp(0, chunk.len() as i32) as usize;
        bytes.extend_from_slice(&chunk[..read]);
        if bytes.len() > MAX_STATE_BYTES {
            return Err(StreamError::TooLarge);
        }
        if result != vst3::Steinberg::kResultOk || read == 0 {
            return Ok(bytes);
        }
    }
}

/// Writes all of `bytes` to `stream`. Main thread.
///
/// # Safety
/// `stream` is null or a valid `IBStream` for the duration of the call.
pub unsafe fn write_all(stream: *mut IBStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    // SAFETY: the caller promises a valid stream or null.
    let stream: ComRef<'_, IBStream> = unsafe { ComRef::from_raw(stream) }.ok_or(StreamError::Null)?;
    while !bytes.is_empty() {
        let len = bytes.len().min(i32::MAX as usize) as i32;
        let mut written = 0;
        // SAFETY: `bytes` is readable for `len` bytes (the stream only reads it).
        let result = unsafe { stream.write(bytes.as_ptr().cast_mut().cast(), len, &mut written) };
        if result != vst3::Steinberg::kResultOk || written <= 0 {
            return Err(StreamError::WriteFailed);
        }
        bytes = &bytes[(written as usize).min(bytes.len())..];
    }
    Ok(())
}
