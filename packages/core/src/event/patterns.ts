/**
 * Dotted lower-case action names: two or more segments separated by dots, each segment starting with a lower-case
 * letter or digit and continuing with lower-case letters, digits, `_` or `-` (`user.login`, `api-key.create`,
 * `invoice.line_item.delete`). At least one dot so every action names a domain and a verb, which is what the
 * `action=user.*` prefix filter relies on.
 */
export const ACTION_PATTERN = '^[a-z0-9][a-z0-9_-]*(?:\\.[a-z0-9][a-z0-9_-]*)+$';

/** Same rule as tenant ids created through the tenant API. */
export const TENANT_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

/** Any UUID version in the 8-4-4-4-12 hex form; no braces or `urn:uuid:` prefix, so one id has one spelling. */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/**
 * RFC 3339 `date-time` with a mandatory offset (`Z` or `±hh:mm`). A naive local time cannot be placed on the
 * timeline, so it is rejected rather than guessed. Fractions are capped at nanoseconds.
 */
export const TIMESTAMP_PATTERN =
  '^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(?:\\.\\d{1,9})?(?:[Zz]|[+-]\\d{2}:\\d{2})$';

/**
 * Deliberately loose: something@something without spaces. Identity providers emit internationalised and unusual
 * addresses, and an audit record must not be lost because an address is odd.
 */
export const EMAIL_PATTERN = '^[^\\s@]+@[^\\s@]+$';
