import { randomBytes } from 'node:crypto';
import { audited, type AuditRecorder } from '@audit-ledger/sdk';
import type { Redis } from 'ioredis';

export type Role = 'owner' | 'admin' | 'accountant' | 'viewer';

export interface Member {
  user_id: string;
  role: Role;
  invited_by: string;
  /** The secret of the invitation link: it must never reach the audit trail. */
  invite_token: string;
}

/**
 * The people of an account and their roles, kept as JSON documents in Redis. It is written with the plain Redis
 * client: its audit trail comes from the generic `audited()` decorator around the whole directory (see
 * `auditedMembers`), which works the same over any store — an ORM, a document database, another service's API.
 */
export class MemberDirectory {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  #key(account: string, userId: string): string {
    return `member:${account}:${userId}`;
  }

  async find(account: string, userId: string): Promise<Member | null> {
    const stored = await this.#redis.get(this.#key(account, userId));
    return stored === null ? null : (JSON.parse(stored) as Member);
  }

  /** Adds the member, or changes the role of an existing one. */
  async save(account: string, userId: string, role: Role, invitedBy: string): Promise<Member> {
    const existing = await this.find(account, userId);
    const member: Member = existing !== null
      ? { ...existing, role }
      : { user_id: userId, role, invited_by: invitedBy, invite_token: randomBytes(16).toString('base64url') };
    await this.#redis.set(this.#key(account, userId), JSON.stringify(member));
    return member;
  }

  async remove(account: string, userId: string): Promise<boolean> {
    return (await this.#redis.del(this.#key(account, userId))) > 0;
  }
}

/**
 * The directory with an audit trail: `save` records `member.create` or `member.update` (whichever it turned out to
 * be) and `remove` records `member.delete`, each with the member before and after, without the invitation secret.
 */
export function auditedMembers(directory: MemberDirectory, recorder: AuditRecorder): MemberDirectory {
  return audited(directory, {
    recorder,
    resourceType: 'member',
    omit: ['invite_token'],
    methods: {
      save: {
        operation: 'update',
        id: ([, userId]) => userId,
        before: (userId, [account]) => directory.find(account, userId),
        after: (_args, member) => member,
      },
      remove: {
        operation: 'delete',
        id: ([, userId]) => userId,
        before: (userId, [account]) => directory.find(account, userId),
      },
    },
  });
}
