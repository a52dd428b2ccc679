//! Free loopback ports. The kernel picks a free port and we release it at once;
//! a later bind could race with another process, which the caller sees as a
//! failed start, never as a silent clash (every server here binds exclusively).

use std::net::TcpListener;

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("bind a loopback port")
}
