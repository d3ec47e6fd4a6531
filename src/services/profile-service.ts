import { saveSshKey, sshKeyOf } from '../db/ssh-key-queries.js';
import { AppError } from '../domain/errors.js';
import { parsePublicKey } from '../domain/ssh-key.js';
import { requireMember } from './identity.js';
import type { ServiceDeps } from './deps.js';

/** What a person keeps with the bot: their SSH public key, used to sign their certificates. */
export function createProfileService(deps: ServiceDeps) {
  async function setSshKey(userId: string, text: string): Promise<string> {
    await requireMember(deps.directory, userId);
    const key = parsePublicKey(text.trim());
    if (!key) throw new AppError('invalid_input', 'not an OpenSSH public key', { reason: 'ssh_public_key' });
    await saveSshKey(deps.db, userId, key);
    return key;
  }
  return { setSshKey, sshKey: (userId: string) => sshKeyOf(deps.db, userId) };
}

export type ProfileService = ReturnType<typeof createProfileService>;
