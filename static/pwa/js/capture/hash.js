// Photos are content-addressed: the hash of the bytes we upload names them (docs/design.md §3).

/** The SHA-256 of a blob as 64 lowercase hex digits (crypto.subtle: needs https or localhost). */
export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
