//! The contacts that a batch's events carry (every customer message names its sender), written in one statement
//! per batch rather than one per event.

use std::collections::BTreeMap;

use chatwoot::{SenderKind, Webhook};
use deadpool_postgres::GenericClient;

use crate::state::to_i64;

/// A contact as one event shows it; a field the event leaves out keeps its stored value.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactRow {
    tenant: String,
    id: i64,
    name: Option<String>,
    email: Option<String>,
    phone_number: Option<String>,
    identifier: Option<String>,
    custom_attributes: serde_json::Value,
}

/// The contact an event carries: a contact event's own, or a customer message's sender.
pub fn row_of(tenant: &str, hook: &Webhook) -> Option<ContactRow> {
    let row = |id: Option<u64>,
               name: &Option<String>,
               email: &Option<String>,
               phone_number: &Option<String>,
               identifier: &Option<String>,
               custom_attributes: &Option<serde_json::Value>| {
        Some(ContactRow {
            tenant: tenant.to_owned(),
            id: to_i64(id?),
            name: name.clone(),
            email: email.clone(),
            phone_number: phone_number.clone(),
            identifier: identifier.clone(),
            custom_attributes: custom_attributes
                .clone()
                .unwrap_or_else(|| serde_json::json!({})),
        })
    };
    if hook.event.starts_with("contact_") {
        return row(
            hook.id,
            &hook.name,
            &hook.email,
            &hook.phone_number,
            &hook.identifier,
            &hook.custom_attributes,
        );
    }
    if hook.is_message_event() && hook.sender_kind() == SenderKind::Contact {
        let s = hook.sender.as_ref()?;
        return row(
            s.id,
            &s.name,
            &s.email,
            &s.phone_number,
            &s.identifier,
            &s.custom_attributes,
        );
    }
    None
}

/// One row per contact, as the upsert below would leave it after the rows one after the other (a later field
/// wins unless it is missing, the attributes are the later ones'), since one statement may change a row only
/// once. Sorted by key, so two batches that share contacts lock them in the same order.
fn merge(rows: Vec<ContactRow>) -> Vec<ContactRow> {
    let mut merged: BTreeMap<(String, i64), ContactRow> = BTreeMap::new();
    for row in rows {
        match merged.entry((row.tenant.clone(), row.id)) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(row);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let earlier = slot.get_mut();
                earlier.name = row.name.or(earlier.name.take());
                earlier.email = row.email.or(earlier.email.take());
                earlier.phone_number = row.phone_number.or(earlier.phone_number.take());
                earlier.identifier = row.identifier.or(earlier.identifier.take());
                earlier.custom_attributes = row.custom_attributes;
            }
        }
    }
    merged.into_values().collect()
}

/// A contact that did not change keeps its row version (no new tuple, no index entries, no WAL for it), and
/// `updated_at` says when it last changed. Public for the test that checks the plans of the hot statements.
pub const UPSERT_CONTACTS: &str = "
    INSERT INTO contacts (tenant, contact_id, name, email, phone_number, identifier, custom_attributes)
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
    ON CONFLICT (tenant, contact_id) DO UPDATE SET
        name = COALESCE(EXCLUDED.name, contacts.name),
        email = COALESCE(EXCLUDED.email, contacts.email),
        phone_number = COALESCE(EXCLUDED.phone_number, contacts.phone_number),
        identifier = COALESCE(EXCLUDED.identifier, contacts.identifier),
        custom_attributes = EXCLUDED.custom_attributes,
        updated_at = now()
    WHERE (contacts.name, contacts.email, contacts.phone_number, contacts.identifier, contacts.custom_attributes)
          IS DISTINCT FROM (COALESCE(EXCLUDED.name, contacts.name), COALESCE(EXCLUDED.email, contacts.email),
                            COALESCE(EXCLUDED.phone_number, contacts.phone_number),
                            COALESCE(EXCLUDED.identifier, contacts.identifier), EXCLUDED.custom_attributes)";

/// Writes the batch's contacts in one statement.
pub async fn upsert(
    client: &impl GenericClient,
    rows: Vec<ContactRow>,
) -> Result<(), tokio_postgres::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let rows = merge(rows);
    let statement = client.prepare_cached(UPSERT_CONTACTS).await?;
    let tenants: Vec<&str> = rows.iter().map(|r| r.tenant.as_str()).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let names: Vec<Option<&str>> = rows.iter().map(|r| r.name.as_deref()).collect();
    let emails: Vec<Option<&str>> = rows.iter().map(|r| r.email.as_deref()).collect();
    let phones: Vec<Option<&str>> = rows.iter().map(|r| r.phone_number.as_deref()).collect();
    let identifiers: Vec<Option<&str>> = rows.iter().map(|r| r.identifier.as_deref()).collect();
    let attributes: Vec<&serde_json::Value> = rows.iter().map(|r| &r.custom_attributes).collect();
    client
        .execute(
            &statement,
            &[
                &tenants,
                &ids,
                &names,
                &emails,
                &phones,
                &identifiers,
                &attributes,
            ],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(tenant: &str, id: i64, name: Option<&str>, email: Option<&str>) -> ContactRow {
        ContactRow {
            tenant: tenant.to_owned(),
            id,
            name: name.map(str::to_owned),
            email: email.map(str::to_owned),
            phone_number: None,
            identifier: None,
            custom_attributes: serde_json::json!({ "name": name }),
        }
    }

    #[test]
    fn rows_of_one_contact_fold_into_what_two_upserts_would_leave() {
        let merged = merge(vec![
            contact("acme", 7, Some("Ann"), Some("ann@example.com")),
            contact("globex", 7, Some("Other"), None),
            contact("acme", 3, None, None),
            contact("acme", 7, Some("Ann Lee"), None),
        ]);
        assert_eq!(
            merged,
            vec![
                contact("acme", 3, None, None),
                ContactRow {
                    custom_attributes: serde_json::json!({ "name": "Ann Lee" }),
                    ..contact("acme", 7, Some("Ann Lee"), Some("ann@example.com"))
                },
                contact("globex", 7, Some("Other"), None),
            ]
        );
    }
}
