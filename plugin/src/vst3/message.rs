//! The one `IConnectionPoint` message Ferrule sends: the component tells its controller which
//! [`super::instance::Instance`] it plays, by registry key.
//!
//! The message object is Ferrule's own (an `IMessage` with an integer-only `IAttributeList`) rather than
//! one made through the host's `IHostApplication::createInstance`: hosts forward the pointer as it is
//! (directly or through a connection proxy), and this needs no host context. Main thread.

use std::ffi::{CStr, CString, c_void};
use std::sync::Mutex;

use vst3::Steinberg::Vst::IAttributeList_::AttrID;
use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{Class, ComRef, ComWrapper};

use super::instance::{INSTANCE_KEY, INSTANCE_MESSAGE};
use super::lock;

/// Integer attributes by name.
struct Attributes(Mutex<Vec<(CString, i64)>>);

impl Class for Attributes {
    type Interfaces = (IAttributeList,);
}

/// Reads a C string the host passes, or `None` for null.
///
/// # Safety
/// `text` is null or a NUL-terminated string valid for this call.
unsafe fn name(text: *const std::ffi::c_char) -> Option<CString> {
    // SAFETY: `text` is not null inside the closure, so by this function's contract it is a NUL-terminated string
    // valid for this call; it is copied into an owned `CString` before we return.
    (!text.is_null()).then(|| unsafe { CStr::from_ptr(text) }.to_owned())
}

impl IAttributeListTrait for Attributes {
    unsafe fn setInt(&self, id: AttrID, value: int64) -> tresult {
        // SAFETY: the caller passes a C string or null.
        let Some(id) = (unsafe { name(id) }) else { return kInvalidArgument };
        let mut ints = lock(&self.0);
        ints.retain(|(k, _)| *k != id);
        ints.push((id, value));
        kResultOk
    }

    unsafe fn getInt(&self, id: AttrID, value: *mut int64) -> tresult {
        // SAFETY: the caller passes a C string or null, and a writable value or null.
        let (Some(id), Some(value)) = (unsafe { name(id) }, unsafe { value.as_mut() }) else {
            return kInvalidArgument;
        };
        match lock(&self.0).iter().find(|(k, _)| *k == id) {
            Some(&(_, v)) => {
                *value = v;
                kResultOk
            }
            None => kResultFalse,
        }
    }

    unsafe fn setFloat(&self, _id: AttrID, _value: f64) -> tresult {
        kNotImplemented
    }

    unsafe fn getFloat(&self, _id: AttrID, _value: *mut f64) -> tresult {
        kNotImplemented
    }

    unsafe fn setString(&self, _id: AttrID, _string: *const TChar) -> tresult {
        kNotImplemented
    }

    unsafe fn getString(&self, _id: AttrID, _string: *mut TChar, _size: uint32) -> tresult {
        kNotImplemented
    }

    unsafe fn setBinary(&self, _id: AttrID, _data: *const c_void, _size: uint32) -> tresult {
        kNotImplemented
    }

    unsafe fn getBinary(&self, _id: AttrID, _data: *mut *const c_void, _size: *mut uint32) -> tresult {
        kNotImplemented
    }
}

/// A message: an id and its attributes.
struct Message {
    id: Mutex<CString>,
    attributes: ComWrapper<Attributes>,
}

impl Class for Message {
    type Interfaces = (IMessage,);
}

impl IMessageTrait for Message {
    unsafe fn getMessageID(&self) -> FIDString {
        // The string lives as long as the message (until the next setMessageID).
        lock(&self.id).as_ptr()
    }

    unsafe fn setMessageID(&self, id: FIDString) {
        // SAFETY: the caller passes a C string or null.
        if let Some(id) = unsafe { name(id) } {
            *lock(&self.id) = id;
        }
    }

    unsafe fn getAttributes(&self) -> *mut IAttributeList {
        // Borrowed, as the SDK's messages hand it out: valid while the message lives.
        self.attributes.as_com_ref::<IAttributeList>().map_or(std::ptr::null_mut(), |a| a.as_ptr())
    }
}

/// Tells the controller at `other` that its component plays the instance registered under `key`.
pub fn send_instance_key(other: ComRef<'_, IConnectionPoint>, key: u64) -> tresult {
    let message = ComWrapper::new(Message {
        id: Mutex::new(CString::new(INSTANCE_MESSAGE).expect("no NUL inside")),
        attributes: ComWrapper::new(Attributes(Mutex::new(vec![(
            CString::new(INSTANCE_KEY).expect("no NUL inside"),
            key as i64,
        )]))),
    });
    let Some(message) = message.to_com_ptr::<IMessage>() else { return kInternalError };
    // SAFETY: a live connection point the host handed over, and a live message we hold a reference to.
    unsafe { other.notify(message.as_ptr()) }
}

/// The instance key in `message`, if it is Ferrule's [`INSTANCE_MESSAGE`].
///
/// # Safety
/// `message` is null or a valid message for this call.
pub unsafe fn instance_key(message: *mut IMessage) -> Option<u64> {
    // SAFETY: by this function's contract `message` is null (giving `None`) or a live `IMessage` for this call;
    // the `ComRef` borrows it without touching its reference count and does not outlive the call.
    let message = unsafe { ComRef::from_raw(message) }?;
    // SAFETY: a valid message; its id is a C string or null.
    let id = unsafe { name(message.getMessageID()) }?;
    if id.to_bytes() != INSTANCE_MESSAGE.as_bytes() {
        return None;
    }
    // SAFETY: a valid message; its attribute list is borrowed for this call.
    let attributes = unsafe { ComRef::from_raw(message.getAttributes()) }?;
    let key_name = CString::new(INSTANCE_KEY).expect("no NUL inside");
    let mut key = 0i64;
    // SAFETY: a valid list, a C string and a local.
    (unsafe { attributes.getInt(key_name.as_ptr(), &mut key) } == kResultOk).then_some(key as u64)
}
