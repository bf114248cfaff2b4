#!/usr/bin/env node
// Committed entry point, so npm can link the command before the TypeScript build has produced dist/.
import '../dist/cli/relay-main.js';
