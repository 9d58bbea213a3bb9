//! The user patch folder: `$XDG_CONFIG_HOME/ferrule/patches` (or `~/.config/ferrule/patches`), created on
//! first run with a short README, listed for the editor's patch browser. Main thread (file I/O).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What the folder's README says, so a sound designer who finds it knows what it is for.
const README: &str = "Ferrule patches (RON). Put your .ron patches here: the Ferrule plugin lists them.\n\
                      See `patches/README.md` in the Ferrule repository for the patch language.\n";

/// The user patch folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchFolder {
    path: PathBuf,
}

/// Why the patch folder cannot be used.
#[derive(Debug)]
pub enum FolderError {
    /// Neither `XDG_CONFIG_HOME` nor `HOME` is set to an absolute path.
    NoHome,
    /// The folder could not be created or read.
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for FolderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FolderError::NoHome => {
                write!(f, "cannot find the user patch folder: neither XDG_CONFIG_HOME nor HOME is set")
            }
            FolderError::Io(path, e) => write!(f, "{}: {e}", path.display()),
        }
    }
}

impl std::error::Error for FolderError {}

impl PatchFolder {
    /// The folder for this user, from the process environment.
    pub fn from_env() -> Result<PatchFolder, FolderError> {
        PatchFolder::locate(std::env::var_os("XDG_CONFIG_HOME"), std::env::var_os("HOME"))
    }

    /// The folder given the values of `XDG_CONFIG_HOME` and `HOME`, following the XDG base-directory rules
    /// (a relative `XDG_CONFIG_HOME` is ignored).
    pub fn locate(xdg_config_home: Option<OsString>, home: Option<OsString>) -> Result<PatchFolder, FolderError> {
        let absolute = |v: Option<OsString>| v.map(PathBuf::from).filter(|p| p.is_absolute());
        let config = absolute(xdg_config_home)
            .or_else(|| absolute(home).map(|h| h.join(".config")))
            .ok_or(FolderError::NoHome)?;
        Ok(PatchFolder { path: config.join("ferrule").join("patches") })
    }

    /// Where the folder is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the folder (and a README in it) if it does not exist yet. Never touches existing files.
    pub fn ensure(&self) -> Result<(), FolderError> {
        if self.path.is_dir() {
            return Ok(());
        }
        let io = |e| FolderError::Io(self.path.clone(), e);
        std::fs::create_dir_all(&self.path).map_err(io)?;
        let readme = self.path.join("README.txt");
        if !readme.exists() {
            std::fs::write(&readme, README).map_err(io)?;
        }
        Ok(())
    }

    /// The `.ron` files in the folder (not its subfolders), sorted by name.
    pub fn patches(&self) -> Result<Vec<PathBuf>, FolderError> {
        let entries = std::fs::read_dir(&self.path).map_err(|e| FolderError::Io(self.path.clone(), e))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "ron"))
            .collect();
        found.sort();
        Ok(found)
    }
}
