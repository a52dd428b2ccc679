//! Taking a ClusterResourceBinding away from outside the placement
//! controller (an eviction, a staged run's deletion stage), as the scheduler
//! does when it drops a cluster: its Works first (each one's
//! delete-propagation annotation tells the member what to do with the
//! objects), then the binding, only as it was read, so a binding the
//! placement controller replaced meanwhile is not taken.

use apis::{
    cluster::member_namespace,
    labels,
    placement::{ClusterResourceBinding, Work},
};
use flotilla_runtime::api::ok_if_gone;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Preconditions},
};

pub async fn remove_binding(client: &Client, b: &ClusterResourceBinding) -> Result<(), kube::Error> {
    let name = b.name_any();
    let works: Api<Work> = Api::namespaced(client.clone(), &member_namespace(&b.spec.target_cluster));
    let mine = ListParams::default().labels(&format!(
        "{}={},{}={}",
        labels::PLACEMENT_TRACKING,
        b.labels().get(labels::PLACEMENT_TRACKING).map(String::as_str).unwrap_or_default(),
        labels::PARENT_BINDING,
        name
    ));
    works.delete_collection(&DeleteParams::background(), &mine).await?;
    let params = DeleteParams {
        preconditions: Some(Preconditions { resource_version: b.resource_version(), uid: b.uid() }),
        ..DeleteParams::background()
    };
    ok_if_gone(Api::<ClusterResourceBinding>::all(client.clone()).delete(&name, &params).await.map(|_| ()))
}
