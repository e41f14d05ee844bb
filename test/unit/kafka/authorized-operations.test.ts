/**
 * The KIP-430 requests kafka-failover encodes itself (src/kafka/authorized-operations.ts) against golden bytes written
 * by Kafka's own generated message classes (fixtures/AuthzFixtures.java on kafka-clients 4.4.0): the encoders must
 * produce exactly Kafka's bytes, the decoders must read Kafka's bytes (including fields they skip: brokers,
 * partitions, members with metadata bytes).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bitsOf,
  decodeDescribeClusterAuthz,
  decodeDescribeGroupsAuthz,
  decodeMetadataAuthz,
  encodeDescribeClusterAuthz,
  encodeDescribeGroupsAuthz,
  encodeMetadataAuthz,
  OPERATIONS_NOT_REPORTED,
  operationsOf,
} from '../../../src/kafka/authorized-operations.js';

const golden = JSON.parse(readFileSync(new URL('./fixtures/authz-4.4.0.json', import.meta.url), 'utf8')) as Record<string, string>;
const bytes = (k: string) => Buffer.from(golden[k]!, 'hex');

describe('authorized operations (KIP-430) requests, against kafka-clients 4.4.0 bytes', () => {
  it('operation bits follow AclOperation codes (READ 3, WRITE 4, CREATE 5, DESCRIBE 8); Integer.MIN_VALUE is "not reported"', () => {
    expect(operationsOf((1 << 3) | (1 << 4) | (1 << 8))).toEqual(['READ', 'WRITE', 'DESCRIBE']);
    expect(operationsOf(OPERATIONS_NOT_REPORTED)).toBeNull();
    expect(operationsOf(0)).toEqual([]);
    expect(bitsOf(['CREATE', 'DESCRIBE'])).toBe((1 << 5) | (1 << 8));
  });

  it('Metadata v11 and v12 requests: named topics, no auto-creation, topic authorized operations asked for', () => {
    const body = encodeMetadataAuthz(['orders', 'kafka-failover-lease.internal']);
    expect(body.toString('hex')).toBe(golden['MetadataRequest.v11']);
    expect(body.toString('hex')).toBe(golden['MetadataRequest.v12']);
  });

  it('Metadata v11/v12 responses: each topic with its error and operations (a refused topic: 29, not reported)', () => {
    for (const v of ['v11', 'v12']) {
      expect(decodeMetadataAuthz(bytes(`MetadataResponse.${v}`))).toEqual([
        { name: 'orders', errorCode: 0, authorizedOperations: (1 << 3) | (1 << 4) | (1 << 8) },
        { name: 'kafka-failover-lease.internal', errorCode: 3, authorizedOperations: (1 << 5) | (1 << 8) },
        { name: 'secret', errorCode: 29, authorizedOperations: OPERATIONS_NOT_REPORTED },
      ]);
    }
  });

  it('DescribeGroups v5: request with IncludeAuthorizedOperations; response groups with state and operations, members skipped', () => {
    expect(encodeDescribeGroupsAuthz(['billing', 'gone']).toString('hex')).toBe(golden['DescribeGroupsRequest.v5']);
    expect(decodeDescribeGroupsAuthz(bytes('DescribeGroupsResponse.v5'))).toEqual([
      { groupId: 'billing', errorCode: 0, state: 'Stable', authorizedOperations: (1 << 3) | (1 << 8) },
      { groupId: 'gone', errorCode: 0, state: 'Dead', authorizedOperations: 1 << 8 },
      { groupId: 'secret', errorCode: 30, state: '', authorizedOperations: OPERATIONS_NOT_REPORTED },
    ]);
  });

  it('DescribeCluster v0 and v1 with IncludeClusterAuthorizedOperations: request bytes and the cluster operations read back', () => {
    for (const v of [0, 1]) {
      expect(encodeDescribeClusterAuthz(v).toString('hex')).toBe(golden[`DescribeClusterRequest.v${v}`]);
      expect(decodeDescribeClusterAuthz(v, bytes(`DescribeClusterResponse.v${v}`))).toEqual({ errorCode: 0, authorizedOperations: (1 << 5) | (1 << 8) });
    }
  });
});
