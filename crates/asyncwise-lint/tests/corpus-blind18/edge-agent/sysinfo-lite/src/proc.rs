use std::fs;

#[derive(Debug, Clone, Copy, Default)]
pub struct MemInfo {
    pub total_kb: u64,
    pub available_kb: u64,
}

pub fn read_meminfo() -> std::io::Result<MemInfo> {
    let text = fs::read_to_string("/proc/meminfo")?;
    let mut info = MemInfo::default();
    for (k, v) in crate::parse_kv(&text) {
        match k.as_str() {
            "MemTotal" => info.total_kb = v,
            "MemAvailable" => info.available_kb = v,
            _ => {}
        }
    }
    Ok(info)
}

pub fn load_average() -> std::io::Result<f64> {
    let text = fs::read_to_string("/proc/loadavg")?;
    Ok(text.split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or(0.0))
}
