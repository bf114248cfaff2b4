import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LedgerError } from '../../src/errors.js';
import { isPermanentFailure, redeliveryDelayMs } from '../../src/queue/failure-policy.js';
import { decodeQueuedRequest, encodeQueuedRequest } from '../../src/queue/queued-request.js';
import { requestMessageId } from '../../src/queue/request-message-id.js';
import { encodeSequencingReply, replyForError, settleSequencingReply } from '../../src/queue/sequencing-reply.js';
import { sampleEvent, sampleEvents, withProducerIds } from './sample-events.js';

const withIds = (count: number) => withProducerIds(sampleEvents(count));

describe('queued request encoding', () => {
  it('round-trips a small request uncompressed', async () => {
    const request = { tenant: 'acme', events: withIds(2) };
    const encoded = await encodeQueuedRequest(request);
    expect(encoded.headers.get('Content-Encoding')).toBe('');
    expect(JSON.parse(Buffer.from(encoded.data).toString('utf8'))).toEqual(request);
    expect(await decodeQueuedRequest(encoded.data, encoded.headers)).toEqual(request);
  });

  it('compresses a large request and restores it exactly', async () => {
    const request = { tenant: 'acme', events: withIds(1000) };
    const encoded = await encodeQueuedRequest(request);
    expect(encoded.headers.get('Content-Encoding')).toBe('gzip');
    expect(encoded.data.byteLength).toBeLessThan(Buffer.byteLength(JSON.stringify(request)) / 3);
    expect(await decodeQueuedRequest(encoded.data, encoded.headers)).toEqual(request);
  });

  it('refuses bodies it did not write', async () => {
    await expect(decodeQueuedRequest(Buffer.from('not json'), undefined)).rejects.toThrow();
    await expect(decodeQueuedRequest(Buffer.from('{"tenant":"acme"}'), undefined)).rejects.toThrow();
    const eventWithoutId = JSON.stringify({ tenant: 'acme', events: [sampleEvent()] });
    await expect(decodeQueuedRequest(Buffer.from(eventWithoutId), undefined)).rejects.toThrow();
  });
});

describe('request message id', () => {
  it('is the same for the same tenant and ids, and differs when either changes', () => {
    const ids = ['a', 'b'];
    expect(requestMessageId('acme', ids)).toBe(requestMessageId('acme', [...ids]));
    expect(requestMessageId('acme', ids)).not.toBe(requestMessageId('globex', ids));
    expect(requestMessageId('acme', ids)).not.toBe(requestMessageId('acme', ['a']));
    expect(requestMessageId('acme', ['ab'])).not.toBe(requestMessageId('acme', ['a', 'b']));
  });
});

describe('sequencing reply', () => {
  it('carries acks to the waiter', () => {
    const acks = [{ id: 'x', seq: 4, leafHash: randomBytes(32).toString('hex') }];
    expect(settleSequencingReply(encodeSequencingReply({ ok: true, acks }))).toEqual(acks);
  });

  it('turns a reported failure back into the same LedgerError', () => {
    const reply = encodeSequencingReply(replyForError(new LedgerError('CONFLICT', 'event id x was already used')));
    let caught: unknown;
    try {
      settleSequencingReply(reply);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(LedgerError);
    expect((caught as LedgerError).code).toBe('CONFLICT');
    expect((caught as LedgerError).status).toBe(409);
    expect((caught as LedgerError).message).toBe('event id x was already used');
  });
});

describe('failure policy', () => {
  it('gives up only on what the request itself got wrong', () => {
    expect(isPermanentFailure(new LedgerError('CONFLICT', 'x'))).toBe(true);
    expect(isPermanentFailure(new LedgerError('VALIDATION_FAILED', 'x'))).toBe(true);
    expect(isPermanentFailure(new LedgerError('UNAVAILABLE', 'x'))).toBe(false);
    expect(isPermanentFailure(new LedgerError('INTERNAL', 'x'))).toBe(false);
    expect(isPermanentFailure(new Error('connection refused'))).toBe(false);
  });

  it('backs off exponentially up to a ceiling', () => {
    expect(redeliveryDelayMs(1)).toBe(1_000);
    expect(redeliveryDelayMs(2)).toBe(2_000);
    expect(redeliveryDelayMs(3)).toBe(4_000);
    expect(redeliveryDelayMs(50)).toBe(30_000);
  });
});
