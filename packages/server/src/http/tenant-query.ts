/** The `?tenant=` parameter of every tenant-scoped route: a tenant key may leave it out, a platform key must name one. */
export const TENANT_QUERY = { type: 'string', description: 'The tenant; required with a platform key.' } as const;

/** The query of a route that takes nothing but the tenant. */
export const TENANT_ONLY_QUERY = { type: 'object', additionalProperties: false, properties: { tenant: TENANT_QUERY } } as const;
