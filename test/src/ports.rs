//! Free loopback ports for the fleet's servers.
//!
//! Ports come from below the kernel's ephemeral range (read from /proc), so an
//! outgoing connection (say kube-apiserver to etcd) can never take a port
//! between our check and the server's bind; and this process never hands out
//! the same port twice, so control planes started in parallel cannot collide.

use std::{
    collections::HashSet,
    hash::{BuildHasher, RandomState},
    net::TcpListener,
    sync::Mutex,
};

/// Ports handed out by this process.
static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// The lowest port the kernel uses for outgoing connections.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

pub fn free_port() -> u16 {
    let (low, high) = (10000u16, ephemeral_start().max(10001));
    let mut given = GIVEN.lock().expect("ports lock");
    let given = given.get_or_insert_with(HashSet::new);
    let seed = RandomState::new();
    for attempt in 0u64.. {
        let port = low + (seed.hash_one(attempt) % u64::from(high - low)) as u16;
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.insert(port);
            return port;
        }
        assert!(attempt < 10_000, "no free loopback port in {low}..{high}");
    }
    unreachable!()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_bindable_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..200).map(|_| free_port()).collect();
        let distinct: HashSet<u16> = ports.iter().copied().collect();
        assert_eq!(distinct.len(), ports.len(), "a port was handed out twice");
        let start = ephemeral_start();
        for p in ports {
            assert!((10000..start).contains(&p), "{p} is outside 10000..{start}");
            TcpListener::bind(("127.0.0.1", p)).unwrap_or_else(|e| panic!("{p} not bindable: {e}"));
        }
    }
}
