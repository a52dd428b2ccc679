//! Taking a binding away from outside the placement controller (an
//! eviction, a staged run's deletion stage), as the scheduler does when it
//! drops a cluster: its Works first (each one's delete-propagation
//! annotation tells the member what to do with the objects), then the
//! binding, only as it was read, so a binding the placement controller
//! replaced meanwhile is not taken.

use apis::{
    cluster::member_namespace,
    labels,
    placement::{ResourceBindingSpec, Work},
};
use flotilla_runtime::api::ok_if_gone;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, ListParams, Preconditions},
};

use super::family::{Family, Object, WithSpec};

pub async fn remove_binding<F: Family>(client: &Client, b: &F::Binding) -> Result<(), kube::Error> {
    let name = b.name_any();
    let spec: &ResourceBindingSpec = b.spec();
    let works: Api<Work> = Api::namespaced(client.clone(), &member_namespace(&spec.target_cluster));
    let placement = b.labels().get(labels::PLACEMENT_TRACKING).map(String::as_str).unwrap_or_default();
    // A ResourcePlacement's Works name its namespace; a ClusterResourcePlacement's carry none.
    let scope = match b.namespace() {
        Some(ns) if F::NAMESPACED => format!("{}={ns}", labels::PARENT_NAMESPACE),
        _ => format!("!{}", labels::PARENT_NAMESPACE),
    };
    let mine = ListParams::default().labels(&format!(
        "{}={placement},{}={name},{scope}",
        labels::PLACEMENT_TRACKING,
        labels::PARENT_BINDING,
    ));
    works.delete_collection(&DeleteParams::background(), &mine).await?;
    let params = DeleteParams {
        preconditions: Some(Preconditions { resource_version: b.resource_version(), uid: b.uid() }),
        ..DeleteParams::background()
    };
    let api = F::Binding::api(client.clone(), b.namespace().as_deref().unwrap_or_default());
    ok_if_gone(api.delete(&name, &params).await.map(|_| ()))
}
