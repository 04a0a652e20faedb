use policy_runtime::verify::{Accepted, Rejection};

/// Stores an accepted upload, its checksum checked before it is visible.
fn store(accepted: &Accepted, chunks: &[&[u8]]) -> Result<(), Rejection> {
    let mut hasher = accepted.checksum.as_ref().map(|c| c.hasher());
    for chunk in chunks {
        if let Some(hasher) = &mut hasher {
            hasher.update(chunk); // CRC32, CRC32C, CRC64NVME, SHA-1 or SHA-256
        }
        // ... write the chunk to a temporary file
    }
    if let (Some(checksum), Some(hasher)) = (&accepted.checksum, hasher) {
        checksum.check(hasher)?; // 400 BadDigest: delete the temporary file
    }
    Ok(()) // ... move the file into place
}
