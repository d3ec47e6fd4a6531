import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Google service account with a key pair made here (no key is committed), and its key file as the
 * console downloads it. The double gets only the public half; application-default credentials read
 * the file through GOOGLE_APPLICATION_CREDENTIALS.
 */
export interface TestServiceAccount {
  email: string;
  publicKeyPem: string;
  /** For tests that sign assertions by hand (to check the double's token endpoint). */
  privateKeyPem: string;
  /** Writes the JSON key file (with this token_uri) and returns its path. */
  writeKeyFile(tokenUri: string): string;
  remove(): void;
}

export function makeServiceAccount(email = 'access-bot@ops-project.iam.gserviceaccount.com'): TestServiceAccount {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const dir = mkdtempSync(join(tmpdir(), 'gcp-key-'));
  let n = 0;
  return {
    email,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem,
    writeKeyFile(tokenUri) {
      const keyFile = join(dir, `key-${n++}.json`);
      const key = {
        type: 'service_account',
        project_id: 'ops-project',
        private_key_id: randomBytes(20).toString('hex'),
        private_key: privateKeyPem,
        client_email: email,
        client_id: '100000000000000000001',
        auth_uri: 'https://accounts.google.com/o/oauth2/auth',
        token_uri: tokenUri,
        universe_domain: 'googleapis.com',
      };
      writeFileSync(keyFile, JSON.stringify(key), { mode: 0o600 });
      return keyFile;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
