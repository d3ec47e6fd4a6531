/** What an OpenSSH public key a person pastes must look like (pure: the SSH provisioner and the forms share it). */

const KEY_TYPES = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'ssh-rsa'];
const PUBLIC_KEY = /^([a-z0-9-]+) ([A-Za-z0-9+/]+={0,2})(?: ([\x20-\x7e]{0,200}))?$/;

/**
 * Returns the normalised public key line, or null when the text is not exactly one OpenSSH public key
 * of a type we sign. The base64 body must decode to a blob whose first field repeats the key type, so
 * a pasted certificate, private key or truncated line is refused here rather than by ssh-keygen.
 */
export function parsePublicKey(text: string): string | null {
  const line = text.trim();
  const m = PUBLIC_KEY.exec(line);
  if (!m) return null;
  const [, type = '', body = '', comment] = m;
  if (!KEY_TYPES.includes(type) || body.length % 4 !== 0) return null;
  const blob = Buffer.from(body, 'base64');
  if (blob.toString('base64') !== body || blob.length < 4 + type.length) return null;
  const nameLength = blob.readUInt32BE(0);
  if (nameLength !== type.length || blob.subarray(4, 4 + nameLength).toString('latin1') !== type) return null;
  return comment ? `${type} ${body} ${comment}` : `${type} ${body}`;
}
