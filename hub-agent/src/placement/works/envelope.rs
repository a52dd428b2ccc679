//! Envelopes: objects that carry other objects to the members without the hub
//! acting on them. A ClusterResourceEnvelope or ResourceEnvelope keeps them in
//! `data`; a ConfigMap annotated `kubernetes-fleet.io/envelope-configmap`
//! keeps them as YAML or JSON text in its `data` (KubeFleet's older form, used
//! by the migration tutorial). The envelope itself is never placed. Pure.

use apis::{labels, placement::EnvelopeType};
use serde_json::Value;

/// The envelope type of `obj`, if it is one.
pub fn envelope_type(obj: &Value) -> Option<EnvelopeType> {
    match (obj["apiVersion"].as_str()?, obj["kind"].as_str()?) {
        ("v1", "ConfigMap") => obj["metadata"]["annotations"][labels::ENVELOPE_CONFIGMAP]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(|_| EnvelopeType::ConfigMap),
        (av, "ClusterResourceEnvelope") if av.starts_with(apis::placement::GROUP) => {
            Some(EnvelopeType::ClusterResourceEnvelope)
        }
        (av, "ResourceEnvelope") if av.starts_with(apis::placement::GROUP) => Some(EnvelopeType::ResourceEnvelope),
        _ => None,
    }
}

pub fn type_name(t: EnvelopeType) -> &'static str {
    match t {
        EnvelopeType::ConfigMap => "ConfigMap",
        EnvelopeType::ClusterResourceEnvelope => "ClusterResourceEnvelope",
        EnvelopeType::ResourceEnvelope => "ResourceEnvelope",
    }
}

/// The objects in envelope `obj` of type `t`, in key order. An error names the
/// envelope and the key whose content cannot be placed.
pub fn unwrap(obj: &Value, t: EnvelopeType) -> Result<Vec<Value>, String> {
    let meta = &obj["metadata"];
    let name = meta["name"].as_str().unwrap_or_default();
    let namespace = meta["namespace"].as_str().unwrap_or_default();
    let what = if namespace.is_empty() {
        format!("{} {name}", type_name(t))
    } else {
        format!("{} {namespace}/{name}", type_name(t))
    };
    let Some(data) = obj["data"].as_object() else { return Ok(Vec::new()) };
    let mut out = Vec::with_capacity(data.len());
    for (key, value) in data {
        let inner: Vec<Value> = match (t, value) {
            (EnvelopeType::ConfigMap, Value::String(text)) => serde_saphyr::from_multiple::<Value>(text)
                .map_err(|e| format!("{what}: data[{key:?}] is not YAML or JSON: {e}"))?
                .into_iter()
                .filter(|v| !v.is_null())
                .collect(),
            (EnvelopeType::ConfigMap, _) => return Err(format!("{what}: data[{key:?}] is not a string")),
            (_, v) => vec![v.clone()],
        };
        for o in inner {
            check(&o, t, namespace).map_err(|e| format!("{what}: data[{key:?}] {e}"))?;
            out.push(o);
        }
    }
    Ok(out)
}

fn check(o: &Value, t: EnvelopeType, namespace: &str) -> Result<(), String> {
    if !o.is_object() {
        return Err("is not an object".into());
    }
    for field in ["apiVersion", "kind"] {
        if o[field].as_str().is_none_or(|s| s.is_empty()) {
            return Err(format!("has no {field}"));
        }
    }
    let meta = &o["metadata"];
    if meta["name"].as_str().is_none_or(|s| s.is_empty()) {
        return Err("has no metadata.name (generateName cannot be placed)".into());
    }
    let inner_ns = meta["namespace"].as_str().unwrap_or_default();
    match t {
        EnvelopeType::ClusterResourceEnvelope if !inner_ns.is_empty() => {
            Err(format!("is namespaced ({inner_ns:?}); a ClusterResourceEnvelope carries cluster-scoped objects only"))
        }
        // As KubeFleet: without a namespace the object counts as cluster-scoped.
        EnvelopeType::ResourceEnvelope if inner_ns.is_empty() => Err(format!(
            "is cluster-scoped (no metadata.namespace); a ResourceEnvelope carries objects of its own namespace {namespace:?} only"
        )),
        EnvelopeType::ResourceEnvelope | EnvelopeType::ConfigMap if !inner_ns.is_empty() && inner_ns != namespace => {
            Err(format!("is in namespace {inner_ns:?}, not the envelope's namespace {namespace:?}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config_map(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "envelope", "namespace": "app",
                            "annotations": {"kubernetes-fleet.io/envelope-configmap": "true"}},
               "data": data})
    }

    #[test]
    fn a_configmap_envelope_yields_its_yaml_objects_in_key_order() {
        let cm = config_map(json!({
            "b.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: app\nspec:\n  replicas: 2\n",
            "a.json": "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\"}}",
        }));
        assert_eq!(envelope_type(&cm), Some(EnvelopeType::ConfigMap));
        let objects = unwrap(&cm, EnvelopeType::ConfigMap).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0]["kind"], "Service");
        assert_eq!(objects[1]["spec"]["replicas"], 2);
    }

    #[test]
    fn a_plain_configmap_is_not_an_envelope() {
        let mut cm = config_map(json!({}));
        cm["metadata"]["annotations"] = json!({});
        assert_eq!(envelope_type(&cm), None);
    }

    #[test]
    fn multiple_documents_in_one_key() {
        let cm = config_map(
            json!({"all.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"}),
        );
        assert_eq!(unwrap(&cm, EnvelopeType::ConfigMap).unwrap().len(), 2);
    }

    #[test]
    fn bad_content_is_an_error_naming_the_envelope_and_key() {
        let cm = config_map(json!({"x.yaml": "kind: Deployment\nmetadata:\n  name: web\n"}));
        let err = unwrap(&cm, EnvelopeType::ConfigMap).unwrap_err();
        assert!(
            err.contains("ConfigMap app/envelope") && err.contains("\"x.yaml\"") && err.contains("apiVersion"),
            "{err}"
        );

        let cm = config_map(
            json!({"x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: other\n"}),
        );
        assert!(unwrap(&cm, EnvelopeType::ConfigMap).unwrap_err().contains("\"other\""));
    }

    #[test]
    fn a_cluster_envelope_refuses_namespaced_objects() {
        let cre = json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ClusterResourceEnvelope",
                         "metadata": {"name": "e"},
                         "data": {"role": {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "app"}}}});
        assert_eq!(envelope_type(&cre), Some(EnvelopeType::ClusterResourceEnvelope));
        assert!(
            unwrap(&cre, EnvelopeType::ClusterResourceEnvelope).unwrap_err().contains("cluster-scoped objects only")
        );
    }

    #[test]
    fn a_resource_envelope_refuses_cluster_scoped_objects() {
        let re = json!({"apiVersion": "placement.kubernetes-fleet.io/v1beta1", "kind": "ResourceEnvelope",
                        "metadata": {"name": "e", "namespace": "app"},
                        "data": {"role.yaml": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}},
                                 "quota.yaml": {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "app"}}}});
        let err = unwrap(&re, EnvelopeType::ResourceEnvelope).unwrap_err();
        assert!(
            err.contains("ResourceEnvelope app/e") && err.contains("\"role.yaml\"") && err.contains("cluster-scoped"),
            "{err}"
        );
        let mut ok = re.clone();
        ok["data"].as_object_mut().unwrap().remove("role.yaml");
        assert_eq!(unwrap(&ok, EnvelopeType::ResourceEnvelope).unwrap().len(), 1);
    }
}
