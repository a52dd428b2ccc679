//! A weighted authoritative DNS answer for each profile's `status.dnsName`
//! (hickory-server), for clients that resolve the name rather than use the
//! proxy: each A query gets one endpoint's address, picked like the proxy
//! picks (by weight, healthy first), with a short TTL, as Traffic Manager
//! answers. Other names in no zone get REFUSED; unknown names NXDOMAIN.

use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    sync::{Arc, RwLock},
};

use hickory_proto::{
    op::{Header, HeaderCounts, Metadata, ResponseCode},
    rr::{LowerName, Name, RData, Record, RecordType, rdata::A},
};
use hickory_server::{
    Server,
    server::{Request, RequestHandler, ResponseHandler, ResponseInfo},
    zone_handler::MessageResponseBuilder,
};
use tokio::net::{TcpListener, UdpSocket};
use tracing::{info, warn};

use super::routes::Table;

/// Seconds resolvers may cache an answer.
pub const TTL: u32 = 5;

/// Profile DNS names (lower case, fully qualified) to their routing tables.
#[derive(Clone, Default)]
pub struct Names(Arc<RwLock<HashMap<String, Arc<Table>>>>);

impl Names {
    pub fn set(&self, name: &str, table: Arc<Table>) {
        self.0.write().expect("names lock").insert(fqdn(name), table);
    }

    pub fn remove(&self, name: &str) {
        self.0.write().expect("names lock").remove(&fqdn(name));
    }

    fn get(&self, name: &str) -> Option<Arc<Table>> {
        self.0.read().expect("names lock").get(name).cloned()
    }
}

fn fqdn(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    if n.ends_with('.') { n } else { format!("{n}.") }
}

struct Handler {
    names: Names,
    zone: String,
}

impl Handler {
    /// The answer for `name`: an address, or the response code to send.
    fn answer(&self, name: &LowerName, qtype: RecordType) -> Result<Option<IpAddr>, ResponseCode> {
        let n = name.to_string();
        let Some(table) = self.names.get(&n) else {
            return Err(if n.ends_with(&self.zone) { ResponseCode::NXDomain } else { ResponseCode::Refused });
        };
        if !matches!(qtype, RecordType::A | RecordType::ANY) {
            return Ok(None); // the name exists, without records of that type
        }
        Ok(table.load().pick(&[]).map(|(_, e)| e.addr.ip()))
    }
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: hickory_server::net::runtime::Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut meta = Metadata::response_from_request(&request.metadata);
        meta.authoritative = true;
        let mut answers: Vec<Record> = Vec::new();
        match request.queries.queries().first() {
            None => meta.response_code = ResponseCode::FormErr,
            Some(q) => match self.answer(q.name(), q.query_type()) {
                Ok(Some(IpAddr::V4(ip))) => {
                    answers.push(Record::from_rdata(Name::from(q.name().clone()), TTL, RData::A(A(ip))));
                }
                Ok(_) => {}
                Err(code) => meta.response_code = code,
            },
        }
        let response = MessageResponseBuilder::new(&request.queries, None).build(meta, answers.iter(), [], [], []);
        match response_handle.send_response(response).await {
            Ok(info) => info,
            Err(e) => {
                warn!(error = %e, "sending a DNS answer failed");
                ResponseInfo::from(Header { metadata: meta, counts: HeaderCounts::default() })
            }
        }
    }
}

/// Serves DNS on `addr` (UDP and TCP) for `zone` until the task is aborted.
pub async fn serve(addr: SocketAddr, zone: String, names: Names) -> std::io::Result<()> {
    let (udp, tcp) = (UdpSocket::bind(addr).await?, TcpListener::bind(addr).await?);
    info!(%addr, %zone, "serving the profiles' DNS names");
    serve_on(udp, Some(tcp), zone, names).await
}

/// Serves DNS on bound sockets.
pub async fn serve_on(udp: UdpSocket, tcp: Option<TcpListener>, zone: String, names: Names) -> std::io::Result<()> {
    let mut server = Server::new(Handler { names, zone: fqdn(&zone) });
    server.register_socket(udp);
    if let Some(tcp) = tcp {
        server.register_listener(tcp, std::time::Duration::from_secs(5), 4096);
    }
    server.block_until_done().await.map_err(std::io::Error::other)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use hickory_proto::op::{Message, Query};

    use super::*;
    use crate::traffic::dataplane::routes::Wanted;

    /// Asks until answered (the server may still be starting), for up to 5 s.
    async fn ask(server: SocketAddr, name: &str) -> Message {
        let mut q = Message::query();
        q.add_query(Query::query(Name::from_str(name).unwrap(), RecordType::A));
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut buf = vec![0u8; 1500];
        loop {
            socket.send_to(&q.to_vec().unwrap(), server).await.unwrap();
            let wait = std::time::Duration::from_millis(100);
            if let Ok(Ok((n, _))) = tokio::time::timeout(wait, socket.recv_from(&mut buf)).await {
                return Message::from_vec(&buf[..n]).unwrap();
            }
            assert!(tokio::time::Instant::now() < deadline, "no DNS answer within 5 s");
        }
    }

    #[tokio::test]
    async fn answers_the_profile_name_by_weight_and_refuses_other_zones() {
        let names = Names::default();
        let table = Arc::new(Table::default());
        let ep = |ip: [u8; 4], weight| Wanted {
            name: format!("{ip:?}"),
            cluster: "c".into(),
            addr: SocketAddr::from((ip, 80)),
            weight,
        };
        table.store(&[ep([127, 0, 10, 1], 1), ep([127, 0, 10, 2], 0)], 1);
        names.set("app-web.trafficmanager.flotilla.local", table.clone());
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        tokio::spawn(serve_on(udp, None, "trafficmanager.flotilla.local".into(), names.clone()));

        let m = ask(addr, "APP-web.trafficmanager.flotilla.local.").await;
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert!(m.metadata.authoritative);
        let a: Vec<String> = m.answers.iter().map(|r| r.data.to_string()).collect();
        assert_eq!(a, ["127.0.10.1"], "only the endpoint with weight");
        assert_eq!(m.answers[0].ttl, TTL);

        // The weights move: so do the answers.
        table.store(&[ep([127, 0, 10, 1], 0), ep([127, 0, 10, 2], 1)], 2);
        let m = ask(addr, "app-web.trafficmanager.flotilla.local.").await;
        assert_eq!(m.answers[0].data.to_string(), "127.0.10.2");

        assert_eq!(
            ask(addr, "nope.trafficmanager.flotilla.local.").await.metadata.response_code,
            ResponseCode::NXDomain
        );
        assert_eq!(ask(addr, "example.com.").await.metadata.response_code, ResponseCode::Refused);
    }
}
