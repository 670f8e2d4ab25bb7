//! Body-size limits, in bytes. [`MAX_REQUEST_BYTES`] bounds every request (server
//! functions included) in start-up; the REST routes read at most [`JSON_BODY_BYTES`],
//! the import route [`IMPORT_BODY_BYTES`]. A body over its limit is 413 `too_large`.

use app::engine::transfer;

/// Largest JSON body the REST API reads, in bytes (2 MiB, axum's default made explicit).
pub const JSON_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Largest body `POST /admin/templates/import` reads, in bytes: an export of up to
/// [`transfer::MAX_EXPORT_BYTES`] plus room for the wrapper fields.
pub const IMPORT_BODY_BYTES: usize = transfer::MAX_EXPORT_BYTES + 64 * 1024;
/// Largest request body of any kind the server reads, in bytes. Server functions buffer
/// their whole body before decoding it, so this bounds memory per request; it leaves
/// room for an 8 MiB export sent URL-encoded from the import page (up to 3 bytes per byte).
pub const MAX_REQUEST_BYTES: usize = 3 * transfer::MAX_EXPORT_BYTES + 64 * 1024;
