/**
 * The traffic generator's consumer members after a kafkajs crash. kafkajs restarts a crashed consumer itself only when
 * the error is retriable (kafkajs src/consumer/index.js, onCrash: `restart` in the CRASH event's payload); on any other
 * error (e.g. KafkaJSGroupCoordinatorNotFound, seen while a lost site's coordinators move) its member is gone for good,
 * and a group that silently stops consuming reads as a stuck failover. The fake client below does what kafkajs does on
 * such a crash: it emits CRASH with `restart` and does not run the consumer again.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

type Listener = (e: { payload: { error: Error; restart: boolean; groupId: string } }) => void;

/** One fake kafkajs consumer: records its calls; `crash` emits CRASH as kafkajs does (after its own disconnect). */
class FakeConsumer {
  readonly events = { CRASH: 'consumer.crash' } as const;
  readonly listeners: Listener[] = [];
  running = false;
  disconnected = false;
  constructor(
    readonly groupId: string,
    readonly failStart: boolean,
  ) {}
  on(event: string, l: Listener) {
    if (event === this.events.CRASH) this.listeners.push(l);
    return () => {};
  }
  async connect() {
    if (this.failStart) throw new Error('connect ECONNREFUSED');
  }
  async subscribe() {}
  async run() {
    this.running = true;
  }
  async disconnect() {
    this.running = false;
    this.disconnected = true;
  }
  crash(error: Error, restart: boolean) {
    this.running = false;
    for (const l of this.listeners) l({ payload: { error, restart, groupId: this.groupId } });
  }
}

const made: FakeConsumer[] = [];
let failStarts = 0;
vi.mock('../../../src/kafka/kafkajs-client.js', () => ({
  createKafka: () => ({
    consumer: ({ groupId }: { groupId: string }) => {
      const c = new FakeConsumer(groupId, failStarts > 0);
      if (failStarts > 0) failStarts--;
      made.push(c);
      return c;
    },
    admin: () => ({ connect: async () => {}, disconnect: async () => {}, listTopics: async () => ['orders'] }),
  }),
}));

const { startTraffic } = await import('../../../src/rehearsal/traffic/generator.js');

const coordinatorNotFound = Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound' });
const started = () => made.filter((c) => c.running);

async function traffic() {
  return startTraffic({
    bootstrapServers: ['b:9092'],
    topics: [{ name: 'orders', partitions: 1 }],
    ratePerSecond: 0,
    groups: [{ groupId: 'billing', topics: ['orders'] }],
  });
}

// The generator's log lines (stderr), kept here instead of printed.
let logged: string[] = [];
beforeEach(() => {
  logged = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    logged.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  made.length = 0;
  failStarts = 0;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('traffic generator: a member kafkajs does not restart', () => {
  it('is replaced by a new member of the same group when the crash is final (restart: false)', async () => {
    const t = await traffic();
    expect(made).toHaveLength(1);
    made[0]!.crash(coordinatorNotFound, false);
    await vi.waitFor(() => expect(started()).toHaveLength(1), { timeout: 5000, interval: 20 });
    expect(made).toHaveLength(2);
    expect(started()[0]).toBe(made[1]);
    expect(t.runningGroups()).toEqual(['billing']);
    // The operator's log says what happened and that it was mended.
    expect(logged).toEqual([
      'traffic: group billing consumer crashed (KafkaJSGroupCoordinatorNotFound: Failed to find group coordinator); restart: false; kafkajs gives up on this error: a new member replaces it\n',
      'traffic: group billing: a new member started\n',
    ]);
    await t.stop();
    expect(made[1]!.disconnected).toBe(true);
  });

  it('is left to kafkajs when kafkajs restarts it (restart: true): no second member', async () => {
    const t = await traffic();
    made[0]!.crash(new Error('The group coordinator is not available'), true);
    // Give a replacement, were there one, the time it takes above (it starts at once).
    await new Promise((r) => setImmediate(r));
    expect(made).toHaveLength(1);
    await t.stop();
  });

  it('is not replaced once its group was stopped (a stopped member crashing on the way out)', async () => {
    const t = await traffic();
    await t.stopGroup('billing');
    made[0]!.crash(coordinatorNotFound, false);
    await new Promise((r) => setImmediate(r));
    expect(made).toHaveLength(1);
    expect(t.runningGroups()).toEqual([]);
  });

  it('is started again after a failed start, and not once the group is stopped meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] }); // p-retry's pauses (1–5 s) run on the fake clock
    const t = await traffic();
    failStarts = 1; // the first replacement cannot connect
    made[0]!.crash(coordinatorNotFound, false);
    await vi.waitFor(() => expect(started()).toHaveLength(1), { timeout: 5000, interval: 20 });
    expect(made).toHaveLength(3); // the crashed one, a failed start, the one running
    expect(made[1]!.disconnected).toBe(true);

    failStarts = 1000; // from here no start succeeds
    made[2]!.crash(coordinatorNotFound, false);
    await vi.waitFor(() => expect(made.length).toBeGreaterThanOrEqual(4), { timeout: 5000, interval: 20 });
    await t.stopGroup('billing');
    const count = made.length;
    failStarts = 0; // a start would now succeed: none may happen, over the replacement's whole retry time (2 min)
    await vi.advanceTimersByTimeAsync(150_000);
    expect(made).toHaveLength(count);
    expect(started()).toEqual([]);
    expect(t.runningGroups()).toEqual([]);
  });
});
