import type { XmlEvents } from '../../../common/xml/reader.js';
import type { MoRef } from '../soap/xml.js';

/**
 * One PerfMetricIntSeries of a QueryPerf answer, with its entity's sample times. The arrays are
 * the decoder's own and are reused: read them during the callback, do not keep them.
 */
export interface PerfSeries {
  entity: MoRef;
  counterId: number;
  /** The perf instance ("" for the entity aggregate, "scsi0:1", "4000" ...). */
  instance: string;
  /** Per sample: epoch ms (NaN when unreadable) and interval in seconds (0 when absent). */
  timestamps: readonly number[];
  intervals: readonly number[];
  /** As sent: -1 means "no data". */
  values: readonly number[];
}

export interface PerfSeriesConsumer {
  series(s: PerfSeries): void;
  /** Called between network chunks: hand on what was made of the series so far. */
  drain?(): Promise<void> | void;
}

// Element codes (depths relative to QueryPerfResponse = 1).
const OTHER = 0;
const RETURNVAL = 1; // 2: PerfEntityMetric
const ENTITY = 2; // 3
const SAMPLE_INFO = 3; // 3
const SERIES = 4; // 3: PerfMetricIntSeries (<value xsi:type=...>)
const TIMESTAMP = 5; // 4, in sampleInfo
const INTERVAL = 6; // 4, in sampleInfo
const SERIES_ID = 7; // 4, in a series
const NUMBER = 8; // 4, a value in a series
const COUNTER_ID = 9; // 5, in id
const INSTANCE = 10; // 5, in id

/**
 * Decodes a QueryPerfResponse from parse events, without a tree: returnval (PerfEntityMetric) >
 * entity, sampleInfo* (timestamp, interval), value* (PerfMetricIntSeries: id {counterId,
 * instance}, value*). vim25 orders the fields so; each series goes to the consumer as it closes.
 */
export class QueryPerfDecoder implements XmlEvents {
  drain?: () => Promise<void> | void;
  #depth = 0;
  readonly #codes = new Uint8Array(8);
  #text = '';
  #entity: MoRef = { type: '', value: '' };
  #entityType = '';
  #stamps: number[] = [];
  #intervals: number[] = [];
  #stamp = Number.NaN;
  #interval = 0;
  #counterId = Number.NaN;
  #instance = '';
  readonly #values: number[] = [];

  constructor(private readonly consumer: PerfSeriesConsumer) {
    const drain = consumer.drain?.bind(consumer);
    if (drain) this.drain = drain;
  }

  // Each open element gets a code from its name and depth once; close() then compares integers.
  open(name: string, _type: string | null, refType: string | null): void {
    const d = ++this.#depth;
    let code = OTHER;
    if (d === 2) {
      if (name === 'returnval') {
        code = RETURNVAL;
        this.#stamps = [];
        this.#intervals = [];
      }
    } else if (d === 3) {
      if (name === 'value') {
        code = SERIES;
        this.#counterId = Number.NaN;
        this.#instance = '';
        this.#values.length = 0;
      } else if (name === 'sampleInfo') {
        code = SAMPLE_INFO;
        this.#stamp = Number.NaN;
        this.#interval = 0;
      } else if (name === 'entity') {
        code = ENTITY;
        this.#entityType = refType ?? '';
      }
    } else if (d === 4) {
      const parent = this.#codes[3];
      if (parent === SERIES) code = name === 'value' ? NUMBER : name === 'id' ? SERIES_ID : OTHER;
      else if (parent === SAMPLE_INFO) code = name === 'timestamp' ? TIMESTAMP : name === 'interval' ? INTERVAL : OTHER;
    } else if (d === 5 && this.#codes[4] === SERIES_ID) {
      code = name === 'counterId' ? COUNTER_ID : name === 'instance' ? INSTANCE : OTHER;
    }
    if (d < this.#codes.length) this.#codes[d] = code;
    this.#text = '';
  }

  text(text: string): void {
    this.#text += text;
  }

  close(): void {
    const d = this.#depth--;
    const code = d < this.#codes.length ? (this.#codes[d] ?? OTHER) : OTHER;
    switch (code) {
      case NUMBER:
        this.#values.push(Number(this.#text));
        break;
      case TIMESTAMP:
        this.#stamp = Date.parse(this.#text);
        break;
      case INTERVAL:
        this.#interval = Number(this.#text) || 0;
        break;
      case SAMPLE_INFO:
        this.#stamps.push(this.#stamp);
        this.#intervals.push(this.#interval);
        break;
      case COUNTER_ID:
        this.#counterId = Number(this.#text);
        break;
      case INSTANCE:
        this.#instance = this.#text;
        break;
      case ENTITY:
        this.#entity = { type: this.#entityType, value: this.#text };
        break;
      case SERIES:
        this.consumer.series({
          entity: this.#entity,
          counterId: this.#counterId,
          instance: this.#instance,
          timestamps: this.#stamps,
          intervals: this.#intervals,
          values: this.#values,
        });
        break;
    }
    this.#text = '';
  }
}
