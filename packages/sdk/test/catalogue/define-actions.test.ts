import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import {
  AuditValidationError,
  createAuditClient,
  defineActions,
  type AuditClient,
  type AuditEvent,
  type AuditRecorder,
  type InferInput,
} from '../../src/index.js';
import { startLiveService, type LiveService } from '../support/live-service.js';

const catalogue = {
  'invoice.paid': z.object({ invoice_id: z.string(), amount: z.number().positive(), currency: z.enum(['EUR', 'USD']) }),
  'user.role.grant': z.object({ role: z.string(), granted_by: z.string().default('self-service') }),
};

const who = { actor: { id: 'user-1' }, resource: { type: 'invoice', id: 'inv-1' } };

describe('defineActions (types)', () => {
  it('infers each payload from its schema', () => {
    const recorded: AuditEvent[] = [];
    const recorder: AuditRecorder = { record: (event) => (recorded.push(event), 'id') };
    const audit = defineActions(recorder, catalogue);
    expectTypeOf(audit.record<'invoice.paid'>)
      .parameter(1)
      .toEqualTypeOf<{ invoice_id: string; amount: number; currency: 'EUR' | 'USD' }>();
    expectTypeOf<InferInput<(typeof catalogue)['user.role.grant']>>().toEqualTypeOf<{
      role: string;
      granted_by?: string | undefined;
    }>();
    expectTypeOf(audit.actions).toEqualTypeOf<readonly ('invoice.paid' | 'user.role.grant')[]>();
    // The calls below are type checks (tsc -p tsconfig.tests.json): each must fail to compile.
    const wrongPayload = () =>
      // @ts-expect-error amount must be a number
      audit.record('invoice.paid', { invoice_id: 'inv-1', amount: '12.50', currency: 'EUR' }, who);
    const missingField = () =>
      // @ts-expect-error currency is required
      audit.record('invoice.paid', { invoice_id: 'inv-1', amount: 12.5 }, who);
    const unknownAction = () =>
      // @ts-expect-error not in the catalogue
      audit.record('invoice.deleted', { invoice_id: 'inv-1' }, who);
    const payloadOfOtherAction = () =>
      // @ts-expect-error the payload of user.role.grant is not an invoice.paid payload
      audit.record('invoice.paid', { role: 'admin' }, who);
    const noActor = () =>
      // @ts-expect-error the event still needs an actor
      audit.record('user.role.grant', { role: 'admin' }, { resource: { type: 'user', id: 'u' } });
    expect([wrongPayload, missingField, unknownAction, payloadOfOtherAction, noActor]).toHaveLength(5);
  });
});

describe('defineActions (runtime)', () => {
  let service: LiveService;
  let client: AuditClient;

  beforeAll(async () => {
    service = await startLiveService();
    client = createAuditClient({ url: service.url, apiKey: await service.tenantWithKey('catalogue'), flushOnExit: false });
  });

  afterAll(async () => {
    await client.close();
    await service.close();
  });

  it('records the validated payload as metadata, with the schema defaults applied', async () => {
    const audit = defineActions(client, catalogue);
    const paid = audit.record('invoice.paid', { invoice_id: 'inv-9', amount: 12.5, currency: 'EUR' }, who);
    const granted = audit.record('user.role.grant', { role: 'admin' }, { ...who, resource: { type: 'user', id: 'u-2' } });
    await client.flush();
    expect(await client.events.get(paid)).toMatchObject({
      action: 'invoice.paid',
      metadata: { invoice_id: 'inv-9', amount: 12.5, currency: 'EUR' },
    });
    expect((await client.events.get(granted)).metadata).toEqual({ role: 'admin', granted_by: 'self-service' });
  });

  it('throws AuditValidationError with JSON Pointer paths for a payload that fails its schema', () => {
    const audit = defineActions(client, catalogue);
    const before = client.stats().recorded;
    const bad = { invoice_id: 'inv-1', amount: -3, currency: 'GBP' } as unknown as z.input<(typeof catalogue)['invoice.paid']>;
    const error = (() => {
      try {
        audit.record('invoice.paid', bad, who);
        return null;
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(AuditValidationError);
    expect((error as AuditValidationError).issues.map((issue) => issue.path).sort()).toEqual(['/amount', '/currency']);
    expect(client.stats().recorded).toBe(before);
  });

  it('refuses action names the service would reject, and schemas that are not Standard Schema', () => {
    expect(() => defineActions(client, { 'Invoice Paid': z.object({}) })).toThrow(/not a valid action name/);
    expect(() => defineActions(client, { 'invoice.paid': {} as never })).toThrow(/Standard Schema/);
  });
});
