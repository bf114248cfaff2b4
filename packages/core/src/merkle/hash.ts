import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

// Leaves and interior nodes are the hot path (one of each per appended leaf, millions when a log is replayed): the
// one-shot hash over a reused input buffer costs half to two thirds of a streaming Hash object. Node 20 before 20.12
// lacks it.
const oneShotHash = typeof nodeCrypto.hash === 'function' ? nodeCrypto.hash : undefined;

/** Leaves up to this size are copied behind the prefix in one reused buffer; larger ones are streamed, not copied. */
const LEAF_INPUT_LIMIT = 64 * 1024;
let leafInput = Buffer.alloc(4096);

/** RFC 9162 §2.1.1: the hash of a leaf is SHA-256(0x00 || leaf). */
export function hashLeaf(leaf: Uint8Array): Uint8Array {
  if (oneShotHash === undefined || leaf.byteLength >= LEAF_INPUT_LIMIT) {
    return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
  }
  if (leaf.byteLength >= leafInput.length) leafInput = Buffer.alloc(LEAF_INPUT_LIMIT);
  leafInput.set(leaf, 1);
  return oneShotHash('sha256', leafInput.subarray(0, leaf.byteLength + 1), 'buffer');
}

const CHILDREN_INPUT = Buffer.alloc(65);
CHILDREN_INPUT[0] = 0x01;

/** RFC 9162 §2.1.1: an interior node is SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (oneShotHash === undefined || left.byteLength !== 32 || right.byteLength !== 32) {
    return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
  }
  CHILDREN_INPUT.set(left, 1);
  CHILDREN_INPUT.set(right, 33);
  return oneShotHash('sha256', CHILDREN_INPUT, 'buffer');
}

/** The root of the empty tree: SHA-256 of the empty string. */
export const EMPTY_TREE_ROOT: Uint8Array = createHash('sha256').digest();

/** Every hash in the tree is a SHA-256 digest. */
export const HASH_SIZE = 32;
