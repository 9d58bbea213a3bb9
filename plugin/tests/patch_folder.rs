//! The user patch folder: found by the XDG rules, created on first use with a README, listing `.ron`
//! files and never touching what is already there.

use ferrule_plugin::core::PatchFolder;

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrule-folder-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_folder_follows_xdg_and_falls_back_to_home() {
    let xdg = PatchFolder::locate(Some("/x/config".into()), Some("/home/u".into())).unwrap();
    assert_eq!(xdg.path(), std::path::Path::new("/x/config/ferrule/patches"));
    let home = PatchFolder::locate(None, Some("/home/u".into())).unwrap();
    assert_eq!(home.path(), std::path::Path::new("/home/u/.config/ferrule/patches"));
    let relative = PatchFolder::locate(Some("relative".into()), Some("/home/u".into())).unwrap();
    assert_eq!(relative.path(), home.path(), "a relative XDG_CONFIG_HOME is ignored, as the spec says");
    let err = PatchFolder::locate(None, None).unwrap_err().to_string();
    assert_eq!(err, "cannot find the user patch folder: neither XDG_CONFIG_HOME nor HOME is set");
}

#[test]
fn first_use_creates_it_and_lists_only_ron_files_in_order() {
    let config = temp_dir("create");
    let folder = PatchFolder::locate(Some(config.clone().into()), None).unwrap();
    assert!(!folder.path().exists());
    folder.ensure().unwrap();
    assert!(folder.path().join("README.txt").is_file(), "a README says what the folder is for");
    assert_eq!(folder.patches().unwrap(), Vec::<std::path::PathBuf>::new());
    for name in ["pad.ron", "bass.ron", "notes.txt"] {
        std::fs::write(folder.path().join(name), "(version: 1)").unwrap();
    }
    std::fs::create_dir(folder.path().join("sub.ron")).unwrap();
    let names: Vec<String> =
        folder.patches().unwrap().iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["bass.ron", "pad.ron"]);
    // Running again leaves the user's files (and an edited README) alone.
    std::fs::write(folder.path().join("README.txt"), "mine").unwrap();
    folder.ensure().unwrap();
    assert_eq!(std::fs::read_to_string(folder.path().join("README.txt")).unwrap(), "mine");
    std::fs::remove_dir_all(&config).unwrap();
}
