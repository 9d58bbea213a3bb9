//! The VST3 class factory: describes Ferrule's two classes and makes instances of them.

use std::ffi::c_void;

use vst3::Steinberg::PClassInfo_::ClassCardinality_::kManyInstances;
use vst3::Steinberg::PFactoryInfo_::FactoryFlags_::kUnicode;
use vst3::Steinberg::*;
use vst3::{Class, ComWrapper};

use super::component::Component;
use super::controller::Controller;
use super::{COMPONENT_CID, CONTROLLER_CID, SUBCATEGORIES, guarded, text};

/// The SDK version Ferrule's bindings follow.
const SDK_VERSION: &str = "VST 3.8.0";

/// The factory `GetPluginFactory` hands out.
pub struct Factory;

impl Class for Factory {
    type Interfaces = (IPluginFactory, IPluginFactory2);
}

/// What each class index describes: class id and category.
const CLASSES: [(TUID, &str); 2] =
    [(COMPONENT_CID, "Audio Module Class"), (CONTROLLER_CID, "Component Controller Class")];

impl IPluginFactoryTrait for Factory {
    unsafe fn getFactoryInfo(&self, info: *mut PFactoryInfo) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable PFactoryInfo or null.
            let Some(info) = (unsafe { info.as_mut() }) else { return kInvalidArgument };
            text::copy_cstring(crate::VENDOR, &mut info.vendor);
            text::copy_cstring("", &mut info.url);
            text::copy_cstring("", &mut info.email);
            info.flags = kUnicode as int32;
            kResultOk
        })
    }

    unsafe fn countClasses(&self) -> int32 {
        CLASSES.len() as int32
    }

    unsafe fn getClassInfo(&self, index: int32, info: *mut PClassInfo) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable PClassInfo or null.
            let (Some(&(cid, category)), Some(info)) =
                (usize::try_from(index).ok().and_then(|i| CLASSES.get(i)), unsafe { info.as_mut() })
            else {
                return kInvalidArgument;
            };
            info.cid = cid;
            info.cardinality = kManyInstances as int32;
            text::copy_cstring(category, &mut info.category);
            text::copy_cstring(crate::PLUGIN_NAME, &mut info.name);
            kResultOk
        })
    }

    unsafe fn createInstance(&self, cid: FIDString, iid: FIDString, obj: *mut *mut c_void) -> tresult {
        guarded(|| {
            if cid.is_null() || iid.is_null() || obj.is_null() {
                return kInvalidArgument;
            }
            // SAFETY: a class id is 16 bytes.
            let cid = unsafe { *(cid as *const TUID) };
            let instance = if cid == COMPONENT_CID {
                ComWrapper::new(Component::new()).to_com_ptr::<FUnknown>()
            } else if cid == CONTROLLER_CID {
                ComWrapper::new(Controller::new()).to_com_ptr::<FUnknown>()
            } else {
                None
            };
            let Some(instance) = instance else {
                // SAFETY: `obj` is writable.
                unsafe { *obj = std::ptr::null_mut() };
                return kInvalidArgument;
            };
            let ptr = instance.as_ptr();
            // SAFETY: a live object; queryInterface adds the reference handed to the host, and ours is
            // released when `instance` drops.
            unsafe { ((*(*ptr).vtbl).queryInterface)(ptr, iid as *const TUID, obj) }
        })
    }
}

impl IPluginFactory2Trait for Factory {
    unsafe fn getClassInfo2(&self, index: int32, info: *mut PClassInfo2) -> tresult {
        guarded(|| {
            // SAFETY: the host passes a writable PClassInfo2 or null.
            let (Some(&(cid, category)), Some(info)) =
                (usize::try_from(index).ok().and_then(|i| CLASSES.get(i)), unsafe { info.as_mut() })
            else {
                return kInvalidArgument;
            };
            info.cid = cid;
            info.cardinality = kManyInstances as int32;
            text::copy_cstring(category, &mut info.category);
            text::copy_cstring(crate::PLUGIN_NAME, &mut info.name);
            info.classFlags = 0;
            text::copy_cstring(if cid == COMPONENT_CID { SUBCATEGORIES } else { "" }, &mut info.subCategories);
            text::copy_cstring(crate::VENDOR, &mut info.vendor);
            text::copy_cstring(env!("CARGO_PKG_VERSION"), &mut info.version);
            text::copy_cstring(SDK_VERSION, &mut info.sdkVersion);
            kResultOk
        })
    }
}
