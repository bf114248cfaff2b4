const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether text is a UUID in its usual hyphenated form. Lookups skip anything else: such an id cannot be stored, and
 * casting it to uuid would turn a harmless miss into a database error.
 */
export function isUuidText(text: string): boolean {
  return UUID_TEXT.test(text);
}
