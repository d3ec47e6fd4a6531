import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scramSha256Verifier } from './scram.js';

/**
 * RFC 7677 §3's example exchange (user "user", password "pencil"): a server holding our verifier must
 * accept the client's proof and answer with the RFC's server signature.
 */
const clientFirstBare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const clientFinalWithoutProof = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const clientProof = 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=';
const serverSignature = '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=';
const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;

describe('the SCRAM-SHA-256 verifier given to PostgreSQL', () => {
  const verifier = scramSha256Verifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
  const [, head, keys] = /^SCRAM-SHA-256\$(.+)\$(.+)$/.exec(verifier)!;
  const [storedKey, serverKey] = keys!.split(':').map((k) => Buffer.from(k, 'base64')) as [Buffer, Buffer];

  it("has PostgreSQL's layout", () => {
    expect(head).toBe('4096:W22ZaJ0SNY7soEsUEjb6gQ==');
    expect([storedKey.length, serverKey.length]).toEqual([32, 32]);
  });

  it("accepts RFC 7677's client proof and signs as its server does", () => {
    const clientSignature = createHmac('sha256', storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientProof, 'base64');
    const clientKey = Buffer.from(proof.map((b, i) => b ^ clientSignature[i]!));
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey)).toBe(true);
    expect(createHmac('sha256', serverKey).update(authMessage).digest('base64')).toBe(serverSignature);
  });

  it('salts every verifier afresh and refuses what SASLprep could change', () => {
    expect(scramSha256Verifier('same-password')).not.toBe(scramSha256Verifier('same-password'));
    expect(() => scramSha256Verifier('pässword')).toThrow();
  });
});
