import { describe, expect, it } from 'vitest';
import { verifySigV4 } from './sigv4.js';

/** AWS's published SigV4 test suite, case "get-vanilla": the double's check agrees with the specification, not only with the SDK. */
const VANILLA = {
  method: 'GET',
  path: '/',
  headers: {
    host: 'example.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
    authorization:
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  body: Buffer.alloc(0),
};
const EXPECTED = {
  credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }],
  region: 'us-east-1',
  service: 'service',
  now: new Date('2015-08-30T12:36:00Z'),
};

describe('SigV4 check of the AWS double', () => {
  it('accepts the get-vanilla test vector', () => {
    expect(verifySigV4(VANILLA, EXPECTED)).toEqual({ ok: true, accessKeyId: 'AKIDEXAMPLE' });
  });

  it('refuses a changed body, a wrong secret, an unknown key, a stale date and a wrong scope', () => {
    expect(verifySigV4({ ...VANILLA, body: Buffer.from('x') }, EXPECTED)).toMatchObject({
      ok: false,
      status: 403,
      type: 'InvalidSignatureException',
    });
    expect(
      verifySigV4(VANILLA, { ...EXPECTED, credentials: [{ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'other' }] }),
    ).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    expect(verifySigV4(VANILLA, { ...EXPECTED, credentials: [] })).toMatchObject({
      ok: false,
      type: 'UnrecognizedClientException',
    });
    expect(verifySigV4(VANILLA, { ...EXPECTED, now: new Date('2015-08-30T12:42:00Z') })).toMatchObject({
      ok: false,
      message: expect.stringContaining('Signature expired'),
    });
    expect(verifySigV4(VANILLA, { ...EXPECTED, service: 'sso' })).toMatchObject({
      ok: false,
      message: "Credential should be scoped to correct service: 'sso'.",
    });
    expect(verifySigV4(VANILLA, { ...EXPECTED, region: 'eu-west-1' })).toMatchObject({
      ok: false,
      type: 'InvalidSignatureException',
    });
    expect(
      verifySigV4({ ...VANILLA, headers: { ...VANILLA.headers, authorization: undefined } } as never, EXPECTED),
    ).toMatchObject({ ok: false, type: 'MissingAuthenticationTokenException' });
  });
});
