import { createHash } from 'node:crypto';

/** What {@link ovhSignature} signs: the request and the two secrets. */
export interface OvhSignatureInput {
  applicationSecret: string;
  consumerKey: string;
  /** HTTP method; signed in upper case. */
  method: string;
  /** The full URL of the request, query string included, exactly as sent. */
  url: string;
  /** The request body exactly as sent (empty for GET). */
  body: string;
  /** Unix time in seconds, corrected by the offset to the API's `GET /auth/time`. */
  timestamp: number;
}

/**
 * The `X-Ovh-Signature` header of an OVHcloud API v1 request signed with an application key:
 * `"$1$" + sha1_hex(AS + "+" + CK + "+" + METHOD + "+" + URL + "+" + BODY + "+" + TSTAMP)`.
 *
 * Source: OVHcloud, "First steps with the OVHcloud APIs" (help.ovhcloud.com, "Signing
 * requests"); the worked examples in `test/fixtures/ovh/signature-examples.json` come from the
 * tests of the official clients (ovh/python-ovh `tests/test_client.py`, ovh/go-ovh
 * `ovh/ovh_test.go`), and the method is upper-cased as python-ovh does.
 *
 * @example ovhSignature({ applicationSecret: AS, consumerKey: CK, method: 'GET', url: 'https://eu.api.ovh.com/1.0/cloud/project', body: '', timestamp: 1457018875 })
 */
export function ovhSignature(input: OvhSignatureInput): string {
  const text = [input.applicationSecret, input.consumerKey, input.method.toUpperCase(), input.url, input.body, String(input.timestamp)].join('+');
  return `$1$${createHash('sha1').update(text, 'utf8').digest('hex')}`;
}
