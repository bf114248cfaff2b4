import {
  appendFileSync,
  closeSync,
  fdatasyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { acquireSpoolLock } from './spool-lock.js';
import { countLines, readSegment, segmentName, segmentNumberOf } from './segment-file.js';

export interface SpoolOptions {
  /** A directory of its own for this client (created if missing). One client per directory at a time. */
  directory: string;
  /**
   * false (default): each record() is one write() to an open file, which reaches the kernel's page cache before
   * record() returns, so it survives the process being killed (kill -9, OOM, a crash) but not the machine losing
   * power or the OS crashing. true: fdatasync after every write as well, which survives those too, at the cost of a
   * disk flush (typically 0.1–10 ms) inside every record().
   */
  fsync?: boolean;
  /** A segment file is closed and a new one started at this size. */
  maxSegmentBytes?: number;
  /** Events the service refused for good (invalid, conflicting ids) are appended to `<directory>/rejected.jsonl`. */
  keepRejected?: boolean;
}

/** One segment file: events are appended to the newest; a sealed one is deleted once every event in it is settled. */
export class SpoolSegment {
  /** Events in the file (for a segment from an earlier run: complete lines until it has been read back). */
  lines = 0;
  settled = 0;
  bytes = 0;
  sealed = false;
  /** An event was given up without being delivered: the file must survive for the next start to send it again. */
  keep = false;

  constructor(readonly path: string) {}
}

export interface ReplayedEvent {
  id: string;
  json: string;
  tenant: string | undefined;
  segment: SpoolSegment;
}

/** Beyond this size a fully settled active segment is rotated out and deleted, so a healthy spool stays small. */
const ROTATE_SETTLED_BYTES = 64 * 1024;

/**
 * A crash-safe journal of recorded events: append before record() returns, retire once the service has them,
 * read back on the next start whatever was not retired. Events are retired per segment file (delete when all of its
 * events settled) rather than per event, so a crash replays at most the unsettled tail plus already delivered
 * events of the same segments — harmless, because ids are fixed and the service answers a repeated id with its
 * original position.
 */
export class Spool {
  private readonly maxSegmentBytes: number;
  private active!: SpoolSegment;
  private fd = -1;
  private nextNumber = 0;
  private readonly backlog: SpoolSegment[] = [];
  private loaded: ReplayedEvent[] = [];
  private loadedAt = 0;
  private unsettled = 0;
  private closed = false;
  private readonly release: () => void;

  constructor(
    private readonly options: SpoolOptions,
    private readonly report: (message: string, error: unknown) => void,
  ) {
    this.maxSegmentBytes = options.maxSegmentBytes ?? 4 * 1024 * 1024;
    mkdirSync(options.directory, { recursive: true });
    this.release = acquireSpoolLock(options.directory);
    try {
      this.nextNumber = this.loadBacklog();
      this.openSegment();
    } catch (error) {
      this.release();
      throw error;
    }
  }

  /** Finds the segments an earlier run left behind; returns the next free segment number. */
  private loadBacklog(): number {
    const numbers = readdirSync(this.options.directory)
      .map(segmentNumberOf)
      .filter((number): number is number => number !== null)
      .sort((a, b) => a - b);
    for (const number of numbers) {
      const segment = new SpoolSegment(join(this.options.directory, segmentName(number)));
      segment.sealed = true;
      segment.lines = countLines(segment.path);
      this.unsettled += segment.lines;
      this.backlog.push(segment);
    }
    return (numbers.at(-1) ?? -1) + 1;
  }

  /** Events on disk not yet retired, including those from earlier runs not yet read back. */
  get pending(): number {
    return this.unsettled;
  }

  /** True while events from an earlier run wait to be read back. */
  get replayPending(): boolean {
    return this.loadedAt < this.loaded.length || this.backlog.length > 0;
  }

  private openSegment(): void {
    const segment = new SpoolSegment(join(this.options.directory, segmentName(this.nextNumber)));
    this.nextNumber += 1;
    this.fd = openSync(segment.path, 'a');
    this.active = segment;
  }

  private sealActive(): void {
    const segment = this.active;
    segment.sealed = true;
    closeSync(this.fd);
    this.fd = -1;
    this.retireIfDone(segment);
  }

  private retireIfDone(segment: SpoolSegment): void {
    if (!segment.sealed || segment.keep || segment.settled < segment.lines) return;
    try {
      unlinkSync(segment.path);
    } catch (error) {
      this.report(`could not delete the retired spool segment ${segment.path}`, error);
    }
  }

  /**
   * Appends one event (its JSON, without newlines) and returns its segment. Throws on an I/O error; the segment
   * is then sealed, so a partly written line can only ever be the last line of a file, which replay skips.
   */
  append(json: string): SpoolSegment {
    if (this.closed) throw new Error('the spool is closed');
    if (this.fd === -1) this.openSegment();
    const segment = this.active;
    const line = `${json}\n`;
    const expected = Buffer.byteLength(line);
    try {
      const written = writeSync(this.fd, line);
      if (written !== expected) throw new Error(`short write to ${segment.path}: ${written} of ${expected} bytes`);
      if (this.options.fsync === true) fdatasyncSync(this.fd);
    } catch (error) {
      segment.keep = true;
      this.sealActive();
      throw error;
    }
    segment.lines += 1;
    segment.bytes += expected;
    this.unsettled += 1;
    if (segment.bytes >= this.maxSegmentBytes) this.sealActive();
    return segment;
  }

  /**
   * One event of `segment` is finished with. `retire` false (given up, shut down) keeps the file for the next start.
   */
  settle(segment: SpoolSegment, retire: boolean): void {
    segment.settled += 1;
    // An event kept for the next start is still pending on disk.
    if (retire) this.unsettled -= 1;
    else segment.keep = true;
    if (segment === this.active && !this.closed) {
      if (segment.settled === segment.lines && segment.bytes >= ROTATE_SETTLED_BYTES && !segment.keep) {
        this.sealActive();
        this.openSegment();
      }
      return;
    }
    this.retireIfDone(segment);
  }

  /** Up to `max` events spooled by an earlier run, oldest first; reads the next segment file when needed. */
  takeReplay(max: number): ReplayedEvent[] {
    const out: ReplayedEvent[] = [];
    while (out.length < max) {
      if (this.loadedAt >= this.loaded.length) {
        const segment = this.backlog.shift();
        if (segment === undefined) break;
        this.loadSegment(segment);
        continue;
      }
      out.push(this.loaded[this.loadedAt] as ReplayedEvent);
      this.loadedAt += 1;
    }
    if (this.loadedAt >= this.loaded.length) {
      this.loaded = [];
      this.loadedAt = 0;
    }
    return out;
  }

  private loadSegment(segment: SpoolSegment): void {
    let contents: ReturnType<typeof readSegment>;
    try {
      contents = readSegment(segment.path);
    } catch (error) {
      this.unsettled -= segment.lines;
      this.report(`could not read the spool segment ${segment.path}; it is left in place`, error);
      return;
    }
    if (contents.damaged > 0) {
      this.report(
        `skipped ${contents.damaged} incomplete or damaged line(s) in ${segment.path} (a write cut short by a kill)`,
        null,
      );
    }
    // The line count from start-up included every complete line; from now on it is the events actually replayed.
    this.unsettled += contents.events.length - segment.lines;
    segment.lines = contents.events.length;
    this.loaded = contents.events.map((event) => ({ ...event, segment }));
    this.loadedAt = 0;
    this.retireIfDone(segment);
  }

  /** Keeps what the service refused for good next to the spool, for a person to look at. */
  keepRejected(entries: readonly { json: string; reason: string }[]): void {
    if (this.options.keepRejected === false || entries.length === 0) return;
    const at = new Date().toISOString();
    const text = entries.map((entry) => `{"rejected_at":"${at}","reason":"${entry.reason}","event":${entry.json}}\n`).join('');
    try {
      appendFileSync(join(this.options.directory, 'rejected.jsonl'), text);
    } catch (error) {
      this.report('could not write rejected.jsonl', error);
    }
  }

  /** Closes the active file (deleting it when everything in it is settled) and releases the directory. */
  close(): void {
    if (this.closed) return;
    if (this.fd !== -1) this.sealActive();
    this.closed = true;
    this.release();
  }
}
