//! `make bench-join`: how long a member takes to join, and what an idle member
//! agent costs. Starts a hub and one member with agents (release builds),
//! then repeatedly deletes and re-creates the MemberCluster and times
//! create → Joined=True. Prints figures; asserts nothing about them.

use std::time::{Duration, Instant};

use apis::cluster::MemberCluster;
use fleet::{Fleet, FleetOptions, agents, bench::percentile, wait};
use kube::{Api, api::DeleteParams};

const ROUNDS: usize = 10;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fleet = Fleet::start(FleetOptions { members: 1, nodes_per_member: 2, ..Default::default() }).await?;
    println!("bench-join: hub + 1 member with agents up in {:.1?}", fleet.startup);
    let client = fleet.hub.client().await?;
    let mcs: Api<MemberCluster> = Api::all(client.clone());
    let name = "member-1";

    let mut joins = Vec::new();
    for _ in 0..ROUNDS {
        mcs.delete(name, &DeleteParams::default()).await?;
        wait::until("the member to leave", Duration::from_secs(60), || async {
            Ok(mcs.get_opt(name).await?.is_none().then_some(()))
        })
        .await?;
        let started = Instant::now();
        agents::create_member_cluster(&client, name, 60).await?;
        agents::wait_joined(&client, name, Duration::from_secs(60)).await?;
        joins.push(started.elapsed());
    }
    joins.sort();
    println!(
        "bench-join: MemberCluster create → Joined=True over {ROUNDS} joins: p50 {:.0?}, p90 {:.0?}, max {:.0?}",
        percentile(&joins, 0.5),
        percentile(&joins, 0.9),
        joins[joins.len() - 1]
    );

    // Idle: joined, heartbeating every 60 s, nothing placed.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (_, agent) = &fleet.member_agents[0];
    let hub_agent = fleet.hub_agent.as_ref().expect("agents run");
    println!(
        "bench-join: idle RSS: member-agent {:.1} MiB, hub-agent {:.1} MiB",
        agent.process.rss_bytes() as f64 / 1048576.0,
        hub_agent.process.rss_bytes() as f64 / 1048576.0
    );
    Ok(())
}
