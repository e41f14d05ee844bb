/**
 * An index of MM2 offset syncs per source partition, and the translation rule MM2 itself uses since KAFKA-12468
 * (3.5.0 / 3.4.1; MM/OffsetSyncStore.translateDownstream): take the sync with the largest upstream offset U ≤ g;
 * the translated offset is D when g == U, else D + 1. No sync old enough → no translation. Never extrapolated for
 * writing: a group may re-read records, never skip one.
 *
 * A sync whose upstream offset goes backwards (a rewound or recreated topic, or a delayed sync) discards the earlier
 * syncs of that partition, as OffsetSyncStore.updateSyncArray does, so translation never mixes two generations of a
 * log. Unlike MM2's in-memory store (64 exponentially spaced syncs), every sync still in the topic is kept: the
 * floor sync found here is never further from the group than MM2's.
 */
import type { OffsetSyncRecord } from './read-internal.js';

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class OffsetSyncIndex {
  private readonly byPartition = new Map<string, OffsetSyncRecord[]>();

  /** Builds the index from syncs in the order they were read. */
  static from(records: readonly OffsetSyncRecord[]): OffsetSyncIndex {
    const idx = new OffsetSyncIndex();
    for (const s of records) idx.add(s);
    return idx;
  }

  /**
   * Adds syncs read after those already indexed (the next records of the offset-syncs topic), in the order read:
   * the index is then the one {@link from} builds over all of them.
   */
  extend(records: readonly OffsetSyncRecord[]): this {
    for (const s of records) this.add(s);
    return this;
  }

  private add(s: OffsetSyncRecord): void {
    const k = key(s.topic, s.partition);
    const list = this.byPartition.get(k) ?? [];
    const last = list[list.length - 1];
    if (last && s.upstreamOffset < last.upstreamOffset) list.length = 0;
    list.push(s);
    this.byPartition.set(k, list);
  }

  /** Every sync kept, per partition oldest first (e.g. to build the reversed index a failback matches through). */
  all(): OffsetSyncRecord[] {
    return [...this.byPartition.values()].flat();
  }

  /** Syncs of one source partition, oldest first. */
  syncs(topic: string, partition: number): readonly OffsetSyncRecord[] {
    return this.byPartition.get(key(topic, partition)) ?? [];
  }

  /** The newest sync of a source partition. */
  latest(topic: string, partition: number): OffsetSyncRecord | undefined {
    const l = this.syncs(topic, partition);
    return l[l.length - 1];
  }

  /** The sync with the largest upstream offset ≤ `upstreamOffset`. */
  floor(topic: string, partition: number, upstreamOffset: number): OffsetSyncRecord | undefined {
    let best: OffsetSyncRecord | undefined;
    for (const s of this.syncs(topic, partition)) if (s.upstreamOffset <= upstreamOffset && (!best || s.upstreamOffset >= best.upstreamOffset)) best = s;
    return best;
  }

  /**
   * MM2's conservative translation of a committed offset `g` (next record to consume upstream) to the target.
   * @returns the target committed offset and the sync used, or undefined when no sync is old enough.
   */
  translate(topic: string, partition: number, g: number): { targetOffset: number; sync: OffsetSyncRecord } | undefined {
    const s = this.floor(topic, partition, g);
    if (!s) return undefined;
    return { targetOffset: s.downstreamOffset + (g === s.upstreamOffset ? 0 : 1), sync: s };
  }

  /**
   * Estimated target position of upstream offset `g`, assuming records between the floor sync and `g` were
   * copied one for one (true for a non-transactional, non-compacted topic). For reporting re-reads only — never
   * used to choose an offset to write.
   */
  estimatePosition(topic: string, partition: number, g: number): number | undefined {
    const s = this.floor(topic, partition, g);
    return s ? s.downstreamOffset + (g - s.upstreamOffset) : undefined;
  }

  /**
   * The reverse lookup of a failback: the upstream (source-side) offset of downstream offset `d` of this partition's
   * remote topic. Takes the sync with the largest downstream offset Dₛ ≤ d (of the newest generation: syncs before an
   * upstream rewind were discarded when indexed; on equal Dₛ the smaller upstream offset) and returns U + (d − Dₛ).
   * Rule: upstream offsets only ever skip ahead of downstream ones (transaction markers, compaction, filtered
   * records), never fall behind, so the result is at or before the upstream record that `d` is a copy of: a group
   * committed at `d` downstream may re-read records upstream, never skip one (exact when the partition has no gaps).
   * @returns the upstream offset (records), or undefined when no sync has Dₛ ≤ d.
   */
  upstreamOf(topic: string, partition: number, d: number): number | undefined {
    let best: OffsetSyncRecord | undefined;
    for (const s of this.syncs(topic, partition)) if (s.downstreamOffset <= d && (!best || s.downstreamOffset > best.downstreamOffset)) best = s;
    return best ? best.upstreamOffset + (d - best.downstreamOffset) : undefined;
  }
}
