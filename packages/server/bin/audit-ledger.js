#!/usr/bin/env -S node --max-semi-space-size=8
// Committed entry point, so npm can link the command before the TypeScript build has produced dist/.
// The service allocates a lot that lives for a request or a batch; with V8's young generation capped at 8 MB per
// semi-space instead of its default 16 MB it spent about 15% less CPU per ingested event (see the server README).
// `npm start` passes the same flag.
import '../dist/cli/main.js';
