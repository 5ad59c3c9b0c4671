//! How an event's outbox lists (its actions, its activity records) are kept in its ledger row (V16): postcard's
//! length-prefixed list of byte strings. The worker writes them; the worker and `cwctl say` read them back.

/// Encodes a list of byte strings.
pub fn encode<T: AsRef<[u8]>>(items: impl IntoIterator<Item = T>) -> Vec<u8> {
    let items: Vec<T> = items.into_iter().collect();
    let slices: Vec<&[u8]> = items.iter().map(AsRef::as_ref).collect();
    postcard::to_allocvec(&slices).unwrap_or_default()
}

/// The list [`encode`] stored; `None` for bytes that are not one.
pub fn decode(bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    postcard::from_bytes(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip_and_garbage_is_refused() {
        let items: [&[u8]; 3] = [b"first", b"", &[0, 255, 7]];
        let encoded = encode(items);
        assert_eq!(
            decode(&encoded),
            Some(items.iter().map(|i| i.to_vec()).collect())
        );
        assert_eq!(decode(&encode(Vec::<Vec<u8>>::new())), Some(Vec::new()));
        assert_eq!(decode(&[0xff, 0xff, 0xff]), None);
    }
}
