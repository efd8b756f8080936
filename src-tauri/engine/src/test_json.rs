//! Property-test input shared by the modules that read JSON (policies, the store's rows): small
//! JSON values of any shape, with object keys drawn from a strategy of the caller's.

use proptest::prelude::*;

/// A small JSON value of any shape, nested up to `depth`, whose object keys come from `key`.
pub fn json_with_keys(
    key: impl Strategy<Value = String> + Clone + 'static,
    depth: u32,
) -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        ".{0,8}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(depth, 4 * depth + 4, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::btree_map(key.clone(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
