/**
 * The v2 wire profile: AES-256-GCM with the header as associated data, HKDF-SHA256 session
 * keys per (key id, salt, label), 64-bit counter nonces, replay windows, a keyring, batched
 * records with origin identity, IPv4 and IPv6 NetIDs, optional snappy. Every rule is stated,
 * with a tag, in `spec/wire.md`.
 *
 * @module
 */

export * from "./header.ts";
export * from "./aead.ts";
export * from "./aead_backend.ts";
export * from "./keyring.ts";
export * from "./session_keys.ts";
export * from "./body.ts";
export * from "./encoder.ts";
export * from "./pack.ts";
export * from "./replay_window.ts";
export * from "./decoder.ts";
export * from "./sender.ts";
