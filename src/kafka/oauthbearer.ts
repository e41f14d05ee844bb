/**
 * SASL/OAUTHBEARER for kafkajs with the server's error challenge handled. kafkajs 2.2.4's own OAUTHBEARER
 * authenticator (src/broker/saslAuthenticator/oauthBearer.js) ignores the broker's answer to the client's initial
 * response, so a rejected token looks like a successful authentication and the connection dies at the next request
 * ("Closed connection") — a refused token would read as a broken cluster. Here the exchange follows RFC 7628 §3.2.2
 * as Kafka implements it (OAuthBearerSaslServer): an empty server answer is success; a non-empty one is the error
 * challenge `{"status":"invalid_token",…}`, to which the client sends `%x01`, and the broker then fails the
 * exchange. The token is never logged; the error names the status only.
 *
 * Byte layout (kafkajs SaslAuthenticate v0/v1): a request's `encode()` returns a length-prefixed byte string
 * (int32 + bytes), as kafkajs's own SASL requests do; a response's `authBytes` is length-prefixed the same way.
 */
import kafkajs from 'kafkajs';

// kafkajs is CommonJS: its error classes are reached through the default export.
const KafkaJSSASLAuthenticationError = kafkajs.KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;

const SOH = '\u0001';

const lengthPrefixed = (b: Buffer) => {
  const out = Buffer.alloc(4 + b.length);
  out.writeInt32BE(b.length, 0);
  b.copy(out, 4);
  return out;
};

type SaslAuthenticate = (a: {
  request: { encode(): Promise<Buffer> };
  response?: { decode(b: Buffer): Promise<unknown>; parse(d: unknown): Promise<unknown> };
}) => Promise<unknown>;

/** The status of a server error challenge (`invalid_token`, …), or `unknown`. */
export function challengeStatus(payload: Buffer): string {
  try {
    const status = (JSON.parse(payload.toString('utf8')) as { status?: unknown }).status;
    return typeof status === 'string' && /^[\w.-]{1,64}$/.test(status) ? status : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * kafkajs `sasl` settings for OAUTHBEARER: `authenticationProvider` (used by kafkajs's SASLAuthenticator when set)
 * sending the token `provide()` returns at each authentication.
 * @throws (at authentication) KafkaJSSASLAuthenticationError "SASL OAUTHBEARER authentication failed: … status …"
 *   when the broker refuses the token; whatever `provide()` throws when no token can be had.
 */
export function oauthBearerSasl(provide: () => Promise<{ value: string }>) {
  return {
    mechanism: 'oauthbearer' as const,
    oauthBearerProvider: provide,
    authenticationProvider: ({ saslAuthenticate }: { saslAuthenticate: SaslAuthenticate }) => ({
      authenticate: async () => {
        const { value } = await provide();
        const initial = Buffer.from(`n,,${SOH}auth=Bearer ${value}${SOH}${SOH}`);
        const answer = (await saslAuthenticate({
          request: { encode: async () => lengthPrefixed(initial) },
          response: { decode: async (b: Buffer) => b, parse: async (b: unknown) => b },
        })) as Buffer | undefined;
        const payload = answer && answer.length > 4 ? answer.subarray(4, 4 + answer.readInt32BE(0)) : Buffer.alloc(0);
        if (payload.length === 0) return;
        const status = challengeStatus(payload);
        let brokerSays = '';
        try {
          await saslAuthenticate({ request: { encode: async () => lengthPrefixed(Buffer.from(SOH)) } });
        } catch (e) {
          brokerSays = ` (${(e as Error).message})`;
        }
        throw new KafkaJSSASLAuthenticationError(`SASL OAUTHBEARER authentication failed: the broker refused the token, status "${status}"${brokerSays}`);
      },
    }),
  };
}
