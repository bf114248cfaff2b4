/** A proof, or the roots and sizes it is checked against, does not hold. */
export class ProofError extends Error {
  override readonly name = 'ProofError';
}
