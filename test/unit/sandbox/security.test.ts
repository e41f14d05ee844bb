/** Secured sandbox profiles: broker settings, the clusters file's security fields, unsecured test tokens. */
import { describe, expect, it } from 'vitest';
import { brokerProperties } from '../../../src/rehearsal/sandbox/configs.js';
import { securityFields } from '../../../src/rehearsal/sandbox/clusters-file.js';
import { brokerSecurityProperties, clientSecurityProperties, scramFormatArgs, securityFiles, unsecuredToken } from '../../../src/rehearsal/sandbox/security.js';
import { defaultSandboxOptions, topology } from '../../../src/rehearsal/sandbox/topology.js';

const pw = { broker: 'b'.repeat(32), mm2: 'm'.repeat(32), failover: 'f'.repeat(32), app: 'a'.repeat(32) };
const files = securityFiles('/s');

describe('secured sandbox profiles', () => {
  it('sasl-ssl brokers: SASL_SSL client listener, authorizer on, only the brokers and MM2 super users', () => {
    const o = defaultSandboxOptions({ stateDir: '/s', security: 'sasl-ssl' });
    const t = topology(o);
    const p = brokerProperties(t.nodes[0]!, t, o, '/s/data', { security: 'sasl-ssl', files, passwords: pw });
    expect(p.listeners).toBe('CLIENT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(p['listener.security.protocol.map']).toBe('CLIENT:SASL_SSL,CONTROLLER:SASL_PLAINTEXT');
    expect(p['inter.broker.listener.name']).toBe('CLIENT');
    expect(p['authorizer.class.name']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(p['super.users']).toBe('User:broker;User:mm2');
    expect(p['allow.everyone.if.no.acl.found']).toBe('false');
    expect(p['ssl.client.auth']).toBeUndefined();
  });

  it('mtls brokers require client certificates and take the principal from the CN', () => {
    const p = brokerSecurityProperties('mtls', files, pw);
    expect(p['ssl.client.auth']).toBe('required');
    expect(p['ssl.principal.mapping.rules']).toBe('RULE:^CN=([^,]+)$/$1/,DEFAULT');
    expect(p['sasl.enabled.mechanisms']).toBeUndefined();
  });

  it('SCRAM users at format time: every user SCRAM-SHA-512, the tool also SCRAM-SHA-256; none for mtls', () => {
    const args = scramFormatArgs('sasl-ssl', pw);
    expect(args.filter((a) => a !== '--add-scram').map((a) => a.replace(/password=\w+/, 'password=…'))).toEqual([
      'SCRAM-SHA-512=[name=broker,password=…]',
      'SCRAM-SHA-512=[name=mm2,password=…]',
      'SCRAM-SHA-512=[name=failover,password=…]',
      'SCRAM-SHA-512=[name=app,password=…]',
      'SCRAM-SHA-256=[name=failover,password=…]',
    ]);
    expect(scramFormatArgs('mtls', pw)).toEqual([]);
  });

  it('the clusters file gives the tool principal with a password file (sasl-ssl) or a client certificate (mtls), paths relative to the state folder', () => {
    expect(securityFields({ security: 'sasl-ssl' })).toEqual({
      tls: { caFile: 'security/ca.crt' },
      sasl: { mechanism: 'scram-sha-512', username: 'failover', passwordFile: 'security/failover.password' },
    });
    expect(securityFields({ security: 'mtls' })).toEqual({
      tls: { caFile: 'security/ca.crt', certFile: 'security/failover.crt', keyFile: 'security/failover.key' },
    });
    expect(securityFields({})).toEqual({});
    expect(clientSecurityProperties('mtls', files, 'failover', '', '/s')).toEqual({
      'security.protocol': 'SSL',
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': 'security/ca.crt',
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': 'security/failover.pem',
    });
  });

  it('an unsecured token carries sub and exp; lifetime 0 makes it already expired', () => {
    const now = 1_800_000_000_000;
    const claims = (tok: string) => JSON.parse(Buffer.from(tok.split('.')[1]!, 'base64url').toString()) as { sub: string; exp: number };
    const live = unsecuredToken('failover', 3_600_000, now);
    expect(live.endsWith('.')).toBe(true);
    expect(JSON.parse(Buffer.from(live.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'none' });
    expect(claims(live)).toMatchObject({ sub: 'failover', exp: now / 1000 + 3600 });
    expect(claims(unsecuredToken('failover', 0, now)).exp).toBeLessThan(now / 1000);
  });
});
