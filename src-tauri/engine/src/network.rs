//! Whether the machine is connected to a network, as BITS asks before it transfers: some
//! interface other than loopback is up and carries a route. On Linux this is read every few
//! seconds from `/sys/class/net` and `/proc/net`; elsewhere, or when those cannot be read, the
//! machine counts as connected (a wrong "connected" costs retries, a wrong "disconnected" would
//! hold every job).

use std::path::Path;
use std::time::Duration;

use crate::engine::Engine;

/// ARPHRD_LOOPBACK, the link type of loopback interfaces in `/sys/class/net/*/type`.
const LOOPBACK_TYPE: &str = "772";
/// RTF_UP in the flags of `/proc/net/route` and `/proc/net/ipv6_route`.
const ROUTE_UP: u32 = 0x1;

/// An interface that is not loopback and is up (or cannot say: tunnels report "unknown").
fn live_interfaces(class_net: &Path) -> Option<Vec<String>> {
    let entries = std::fs::read_dir(class_net).ok()?;
    let read = |dir: &Path, name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    Some(
        entries
            .filter_map(|entry| entry.ok())
            .filter(|entry| {
                let dir = entry.path();
                read(&dir, "type").trim() != LOOPBACK_TYPE
                    && matches!(read(&dir, "operstate").trim(), "up" | "unknown")
            })
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect(),
    )
}

/// Interfaces with an IPv4 route that is up, from the text of `/proc/net/route`.
fn ipv4_routed(routes: &str) -> Vec<&str> {
    routes
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let flags = u32::from_str_radix(fields.get(3)?, 16).ok()?;
            (flags & ROUTE_UP != 0).then_some(fields[0])
        })
        .collect()
}

/// Interfaces with an IPv6 route that is up and leads beyond the link (not link-local, not
/// multicast), from the text of `/proc/net/ipv6_route`.
fn ipv6_routed(routes: &str) -> Vec<&str> {
    routes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let destination = *fields.first()?;
            let flags = u32::from_str_radix(fields.get(8)?, 16).ok()?;
            let beyond_link = !destination.starts_with("fe80") && !destination.starts_with("ff");
            (beyond_link && flags & ROUTE_UP != 0).then_some(*fields.get(9)?)
        })
        .collect()
}

/// Whether any of `live` interfaces carries one of the routes.
fn connected_from(live: &[String], ipv4_routes: &str, ipv6_routes: &str) -> bool {
    let routed: Vec<&str> = ipv4_routed(ipv4_routes)
        .into_iter()
        .chain(ipv6_routed(ipv6_routes))
        .collect();
    live.iter().any(|name| routed.contains(&name.as_str()))
}

/// Whether the machine is connected to a network now.
pub fn connected() -> bool {
    if !cfg!(target_os = "linux") {
        return true;
    }
    let Some(live) = live_interfaces(Path::new("/sys/class/net")) else {
        return true;
    };
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    connected_from(
        &live,
        &read("/proc/net/route"),
        &read("/proc/net/ipv6_route"),
    )
}

/// Checks the connection every `every` and tells the engine when it differs from what it was
/// last told (`last`).
pub async fn watch(engine: Engine, every: Duration, mut last: bool) {
    loop {
        tokio::select! {
            _ = engine.stopped() => return,
            _ = tokio::time::sleep(every) => {}
        }
        let now = connected();
        if now != last {
            if now {
                tracing::info!("network connection back");
            } else {
                tracing::info!("network connection lost");
            }
            engine.set_network_available(now);
            last = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
        eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
        eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    const IPV6_LINK_LOCAL_ONLY: &str = "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001 wlan0\n\
        00000000000000000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001 lo\n";
    const IPV6_GLOBAL: &str = "20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 wlan0\n";

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn an_up_interface_with_a_route_is_a_connection() {
        assert!(connected_from(&names(&["eth0"]), ROUTES, ""));
    }

    #[test]
    fn routes_of_an_interface_that_is_down_do_not_count() {
        assert!(!connected_from(&names(&["wlan0"]), ROUTES, ""));
        assert!(!connected_from(&[], ROUTES, ""));
    }

    #[test]
    fn link_local_ipv6_routes_do_not_count_but_global_ones_do() {
        assert!(!connected_from(
            &names(&["wlan0"]),
            "",
            IPV6_LINK_LOCAL_ONLY
        ));
        assert!(connected_from(&names(&["wlan0"]), "", IPV6_GLOBAL));
    }

    #[test]
    fn routes_that_are_not_up_do_not_count() {
        let down = ROUTES
            .replace("\t0003\t", "\t0002\t")
            .replace("\t0001\t", "\t0000\t");
        assert!(!connected_from(&names(&["eth0"]), &down, ""));
    }

    #[test]
    fn loopback_and_interfaces_that_are_down_are_not_live() {
        let dir = tempfile::tempdir().unwrap();
        for (name, kind, state) in [
            ("lo", "772", "unknown"),
            ("eth0", "1", "up"),
            ("wlan0", "1", "down"),
            ("tun0", "65534", "unknown"),
        ] {
            let iface = dir.path().join(name);
            std::fs::create_dir(&iface).unwrap();
            std::fs::write(iface.join("type"), format!("{kind}\n")).unwrap();
            std::fs::write(iface.join("operstate"), format!("{state}\n")).unwrap();
        }
        let mut live = live_interfaces(dir.path()).unwrap();
        live.sort();
        assert_eq!(live, names(&["eth0", "tun0"]));
    }
}
