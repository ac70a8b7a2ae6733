//! How much memory this process may use: the machine's, or less under a control group's limit.
//! The embedded server's cache is sized from it, and a cache sized from the machine inside a
//! smaller container or systemd unit would have the server killed for memory.

use std::fs;
use std::path::{Path, PathBuf};

/// The machine's memory, or the lowest limit of the control groups this process is in (its own
/// and every ancestor's, cgroup v2 or v1) when that is lower.
pub fn memory_limit() -> Option<u64> {
    let machine = fs::read_to_string("/proc/meminfo").ok().and_then(|text| meminfo_total(&text));
    let own_groups = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let group = lowest_group_limit(Path::new("/sys/fs/cgroup"), &own_groups);
    [machine, group].into_iter().flatten().min()
}

fn meminfo_total(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find_map(|line| line.strip_prefix("MemTotal:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    kib.checked_mul(1024)
}

/// The lowest limit written in any of [`limit_files`]; "max" (v2's no limit) and missing files
/// count as none.
fn lowest_group_limit(cgroup_root: &Path, proc_self_cgroup: &str) -> Option<u64> {
    limit_files(cgroup_root, proc_self_cgroup)
        .into_iter()
        .filter_map(|file| fs::read_to_string(file).ok()?.trim().parse::<u64>().ok())
        .min()
}

/// The files that may limit this process's memory, given `/proc/self/cgroup` (lines of
/// `id:controllers:path`): under cgroup v2 (`0::path`) `memory.max` of its group and of each
/// ancestor, and under v1 (the line naming the `memory` controller) `memory.limit_in_bytes` of the
/// same; the roots' files always, as inside a container's namespace its own limit sits there.
fn limit_files(cgroup_root: &Path, proc_self_cgroup: &str) -> Vec<PathBuf> {
    let v2 = cgroup_root.to_path_buf();
    let v1 = cgroup_root.join("memory");
    let mut files = vec![v2.join("memory.max"), v1.join("memory.limit_in_bytes")];
    for line in proc_self_cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        // A group outside the process's cgroup namespace shows as a path climbing out of it.
        if path.split('/').any(|part| part == "..") {
            continue;
        }
        let (base, file) = if controllers.is_empty() {
            (&v2, "memory.max")
        } else if controllers.split(',').any(|c| c == "memory") {
            (&v1, "memory.limit_in_bytes")
        } else {
            continue;
        };
        let mut group = Some(Path::new(path.trim_start_matches('/')));
        while let Some(dir) = group {
            let candidate = base.join(dir).join(file);
            if !files.contains(&candidate) {
                files.push(candidate);
            }
            group = dir.parent();
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn reads_the_machine_memory_from_meminfo() {
        let meminfo = "MemTotal:       24624364 kB\nMemFree:        23000000 kB\n";
        assert_eq!(meminfo_total(meminfo), Some(24_624_364 * 1024));
        assert_eq!(meminfo_total("MemFree: 1 kB\n"), None);
        assert!(memory_limit().is_some_and(|bytes| bytes > 64 * MIB));
    }

    #[test]
    fn names_the_own_group_and_every_ancestor_under_v2_and_v1() {
        let root = Path::new("/sys/fs/cgroup");
        let v2 = limit_files(root, "0::/system.slice/gongkai.service\n");
        assert_eq!(
            v2,
            [
                "/sys/fs/cgroup/memory.max",
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "/sys/fs/cgroup/system.slice/gongkai.service/memory.max",
                "/sys/fs/cgroup/system.slice/memory.max",
            ]
            .map(PathBuf::from)
        );
        let v1 = limit_files(root, "9:name=systemd:/\n5:devices:/\n4:memory:/process_api/14eda24b\n1:cpu:/\n0::/\n");
        assert_eq!(
            v1,
            [
                "/sys/fs/cgroup/memory.max",
                "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                "/sys/fs/cgroup/memory/process_api/14eda24b/memory.limit_in_bytes",
                "/sys/fs/cgroup/memory/process_api/memory.limit_in_bytes",
            ]
            .map(PathBuf::from)
        );
        let outside = limit_files(root, "0::/../../elsewhere\n3:cpu,memory:/../x\n");
        assert_eq!(outside.len(), 2, "{outside:?}");
    }

    #[test]
    fn a_limit_on_a_nested_group_or_its_parent_counts() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let write = |dir: &str, file: &str, value: &str| {
            fs::create_dir_all(root.join(dir)).unwrap();
            fs::write(root.join(dir).join(file), value).unwrap();
        };
        // v2: no limit on the unit itself ("max"), 2 GiB on its slice, none at the root.
        write("system.slice/gongkai.service", "memory.max", "max\n");
        write("system.slice", "memory.max", &format!("{}\n", 2048 * MIB));
        assert_eq!(lowest_group_limit(root, "0::/system.slice/gongkai.service\n"), Some(2048 * MIB));
        // v1: the nested group's 1 GiB under the root's "unlimited".
        write("memory", "memory.limit_in_bytes", "9223372036854771712\n");
        write("memory/process_api/14eda24b", "memory.limit_in_bytes", &format!("{}\n", 1024 * MIB));
        assert_eq!(lowest_group_limit(root, "4:memory:/process_api/14eda24b\n"), Some(1024 * MIB));
        // Only the roots' files when the process's own groups are unknown.
        assert_eq!(lowest_group_limit(root, ""), Some(9_223_372_036_854_771_712));
    }
}
